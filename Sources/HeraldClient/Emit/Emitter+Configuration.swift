import HeraldCore

extension Emitter {
    /// What an emitter does when its buffer is full.
    public enum OverflowPolicy: Sendable, Equatable {
        /// Refuse the new event at once and count it in ``Counters/dropped``: the producer's
        /// loop never waits (the default).
        case dropNewest
        /// Wait up to `timeout` for room, then drop. Blocks the calling thread: only for a
        /// producer that prefers slowing down to losing events.
        case block(timeout: Duration)
    }

    /// How an emitter buffers, batches and retries.
    public struct Configuration: Sendable {
        /// The run of events emitted without one.
        public var run: String
        /// The project of every event.
        public var project: String = "default"
        /// The agent of events emitted without one.
        public var agent: String?
        /// Events finer than this are not sent (R-verbosity): `.action` drops `state` and
        /// `detail` events at the call, before anything is built. `system` always passes.
        public var verbosity: Level = .detail
        /// Most events pending at once (buffered, or being delivered): what is held while the
        /// sink is slow or unreachable.
        public var bufferCapacity = 10_000
        public var overflow: OverflowPolicy = .dropNewest
        /// Most events in one delivery.
        public var maxBatchSize = 500
        /// How long a batch smaller than `maxBatchSize` waits for more events before it is sent.
        public var linger: Duration = .milliseconds(5)
        /// First wait before a failed delivery is retried; it doubles up to `maxRetryDelay`.
        public var initialRetryDelay: Duration = .milliseconds(100)
        public var maxRetryDelay: Duration = .seconds(5)
        /// How long a graceful shutdown keeps delivering what is buffered before giving up.
        public var shutdownTimeout: Duration = .seconds(10)

        public init(run: String, project: String = "default", agent: String? = nil, verbosity: Level = .detail) {
            self.run = run
            self.project = project
            self.agent = agent
            self.verbosity = verbosity
        }
    }

    /// What happened to the events emitted so far.
    public struct Counters: Sendable, Equatable {
        /// Accepted into the buffer.
        public var emitted = 0
        /// Stored by the sink.
        public var delivered = 0
        /// Refused at the call: the buffer was full or the emitter had stopped.
        public var dropped = 0
        /// Accepted but never stored: a payload that could not be encoded, an event the sink
        /// refused, or one still undelivered when a shutdown gave up.
        public var failed = 0
        /// Left out at the call by ``Configuration/verbosity``.
        public var filtered = 0

        /// Accepted and not yet delivered or failed.
        public var pending: Int { emitted - delivered - failed }

        public init() {}
    }
}
