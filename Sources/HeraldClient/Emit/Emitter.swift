import Foundation
import HeraldCore
import Logging
import ServiceLifecycle
import Synchronization

/// Publishes a producer's events without ever blocking or failing its loop (R-emit).
///
/// `emit` puts the event in a bounded buffer and returns its id; ``run()`` — a `Service`, or
/// the task ``withEmitter(sink:configuration:logger:_:)`` starts — delivers the buffer in
/// batches, in emit order, retrying with exponential backoff until the sink takes them. Ids are
/// assigned at emit time, so a batch retried after a lost answer is stored once.
///
/// ```swift
/// try await Emitter.withEmitter(sink: HTTPSink(baseURL: "http://127.0.0.1:7373"),
///                               configuration: .init(run: "nightly-42", agent: "planner")) { herald in
///     herald.emit("task.started", ["taskId": "t1"])
///     herald.progress(step: "fetch", percent: 40, label: "3 of 7 pages")
/// }   // returns once everything emitted was delivered (or the shutdown timeout passed)
/// ```
///
/// Nothing here throws at the producer: a payload that cannot be encoded, an event the server
/// refuses, a full buffer — each is logged and counted in ``counters``.
public final class Emitter: Service, Sendable {
    public let configuration: Configuration
    let sink: any EventSink
    let logger: Logger
    let ids = ULIDGenerator()
    private let state = Mutex(State())
    // Filtered emits touch only this counter, not the lock.
    private let filteredCount = Atomic<Int>(0)

    /// An emitted event waiting in the buffer; its payload is encoded when it is delivered.
    struct Pending: Sendable {
        var id: EventID
        var time: Timestamp
        var run: String
        var type: String
        var level: Level
        var agent: String?
        var turn: Int64?
        var causedBy: [EventID]
        var payload: Payload
    }

    enum Payload: Sendable {
        case value(JSONValue)
        case encodable(any Encodable & Sendable)
    }

    private struct State {
        var buffer: [Pending] = []
        var counters = Counters()
        var accepting = true
        var started = false
        var finished = false
        /// Give up retrying after this instant (set by a shutdown).
        var deadline: ContinuousClock.Instant?
        /// Events taken out of the buffer and delivered or failed, in emit order.
        var settled = 0
        var idleDrainer: CheckedContinuation<Void, Never>?
        var flushWaiters: [(upTo: Int, token: UInt64, continuation: CheckedContinuation<Void, Never>)] = []
        var flushRequested = false
        var cancelled = false

        var watchdog: CheckedContinuation<Void, Never>?
        var watchdogReleased = false

        mutating func takeDrainer() -> CheckedContinuation<Void, Never>? {
            defer { idleDrainer = nil }
            return idleDrainer
        }

        mutating func releaseWatchdog() -> CheckedContinuation<Void, Never>? {
            watchdogReleased = true
            defer { watchdog = nil }
            return watchdog
        }
    }

    /// - Parameters:
    ///   - sink: where batches go.
    ///   - logger: the emitter's own messages: debug per delivered batch, error per failure.
    public init(sink: any EventSink, configuration: Configuration, logger: Logger = Logger(label: "herald.emitter")) {
        precondition(configuration.bufferCapacity > 0 && configuration.maxBatchSize > 0, "buffer and batch sizes must be positive")
        self.sink = sink
        self.configuration = configuration
        self.logger = logger
    }

    /// The counts so far.
    public var counters: Counters {
        var counters = state.withLock { $0.counters }
        counters.filtered = filteredCount.load(ordering: .relaxed)
        return counters
    }

    // MARK: Emitting

    /// Emits an event of `type` with a payload written as a literal: `["taskId": "t1"]`.
    ///
    /// The payload is only built when the event passes the verbosity, so a filtered-out emit
    /// costs a comparison.
    ///
    /// - Returns: the event's id (for another event's `causedBy`), or nil when the event was
    ///   filtered out or dropped.
    @discardableResult
    public func emit(
        _ type: String,
        _ data: @autoclosure () -> JSONValue = [:],
        level: Level? = nil,
        agent: String? = nil,
        turn: Int64? = nil,
        causedBy: [EventID] = [],
        run: String? = nil
    ) -> EventID? {
        guard let level = admitted(type, level) else { return nil }
        return enqueue(type: type, level: level, agent: agent, turn: turn, causedBy: causedBy, run: run, payload: .value(data()))
    }

    /// Emits an event whose payload is any `Encodable` that encodes as a JSON object.
    ///
    /// The payload is encoded in the background; one that fails (or is not an object) is
    /// logged and counted in ``Counters/failed``.
    @discardableResult
    public func emit(
        _ type: String,
        payload: some Encodable & Sendable,
        level: Level? = nil,
        agent: String? = nil,
        turn: Int64? = nil,
        causedBy: [EventID] = [],
        run: String? = nil
    ) -> EventID? {
        guard let level = admitted(type, level) else { return nil }
        return enqueue(type: type, level: level, agent: agent, turn: turn, causedBy: causedBy, run: run, payload: .encodable(payload))
    }

    /// The event's level if it passes the verbosity; nil (counted as filtered) if not.
    @inline(__always)
    private func admitted(_ type: String, _ level: Level?) -> Level? {
        let level = level ?? Vocabulary.defaultLevel(for: type)
        guard level.isVisible(at: configuration.verbosity) else {
            filteredCount.add(1, ordering: .relaxed)
            return nil
        }
        return level
    }

    /// Whether an event of `level` would be sent: lets a producer skip preparing one that would not.
    public func wants(_ level: Level) -> Bool { level.isVisible(at: configuration.verbosity) }

    private func enqueue(
        type: String, level: Level, agent: String?, turn: Int64?, causedBy: [EventID], run: String?, payload: Payload
    ) -> EventID? {
        let run = run ?? configuration.run
        let agent = agent ?? configuration.agent
        var deadline: ContinuousClock.Instant?
        while true {
            let (id, drainer, full) = state.withLock { state -> (EventID?, CheckedContinuation<Void, Never>?, Bool) in
                // Pending = in the buffer or taken by the delivery task, not yet settled: that is what is bounded.
                guard state.accepting, state.counters.emitted - state.settled < configuration.bufferCapacity else {
                    return (nil, nil, state.accepting)
                }
                // Time and id are taken under the lock, so ids increase in the order events are delivered.
                let time = Timestamp.now()
                let id = ids.nextID(at: time)
                state.buffer.append(
                    Pending(id: id, time: time, run: run, type: type, level: level, agent: agent, turn: turn, causedBy: causedBy, payload: payload)
                )
                state.counters.emitted += 1
                return (id, state.takeDrainer(), false)
            }
            if let id {
                drainer?.resume()
                return id
            }
            // Full: wait for room if the policy allows and time remains, else drop.
            if full, case .block(let timeout) = configuration.overflow {
                let limit = deadline ?? ContinuousClock.now.advanced(by: timeout)
                deadline = limit
                if ContinuousClock.now < limit {
                    usleep(200)
                    continue
                }
            }
            state.withLock { $0.counters.dropped += 1 }
            return nil
        }
    }

    // MARK: Delivering

    /// Delivers the buffer until a graceful shutdown (or ``shutdown()``), then delivers what is
    /// left for up to ``Configuration/shutdownTimeout`` and closes the sink.
    ///
    /// Cancelling the task stops at once: whatever is undelivered is counted as failed.
    public func run() async throws {
        let first = state.withLock { state in
            defer { state.started = true }
            return !state.started
        }
        guard first else { throw HeraldError(.invalidRequest, "an emitter runs once") }
        // Everything the delivery side logs is kept out of the log bridge (see `isDelivering`).
        await Self.$isDelivering.withValue(true) {
            await withGracefulShutdownHandler {
                await withTaskGroup(of: Void.self) { group in
                    group.addTask {
                        await withTaskCancellationHandler {
                            await self.drain()
                        } onCancel: {
                            self.state.withLock { state in
                                state.cancelled = true
                                state.accepting = false
                                return state.takeDrainer()
                            }?.resume()
                        }
                    }
                    // A sink that hangs must not hold a shutdown past its deadline (if it honours cancellation).
                    group.addTask { await self.waitForShutdownDeadline() }
                    await group.next()
                    group.cancelAll()
                }
            } onGracefulShutdown: {
                self.shutdown()
            }
            do {
                try await sink.close()
            } catch {
                logger.error("closing the Herald sink failed: \(error)")
            }
        }
        let waiters = state.withLock { state in
            state.finished = true
            state.accepting = false
            defer { state.flushWaiters = [] }
            return state.flushWaiters
        }
        for waiter in waiters { waiter.continuation.resume() }
    }

    /// Stops accepting events (later emits are dropped) and lets ``run()`` deliver what is
    /// buffered, for up to ``Configuration/shutdownTimeout``, and return.
    public func shutdown() {
        let (drainer, watchdog) = state.withLock { state -> (CheckedContinuation<Void, Never>?, CheckedContinuation<Void, Never>?) in
            guard state.accepting else { return (nil, nil) }
            state.accepting = false
            state.deadline = ContinuousClock.now.advanced(by: configuration.shutdownTimeout)
            return (state.takeDrainer(), state.releaseWatchdog())
        }
        drainer?.resume()
        watchdog?.resume()
    }

    /// Returns once every event emitted before the call is delivered or has failed (or the
    /// emitter has stopped, or the calling task is cancelled). Needs ``run()`` to be running.
    public func flush() async {
        let token = UInt64.random(in: 0...UInt64.max)
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let (ready, drainer) = state.withLock { state -> (Bool, CheckedContinuation<Void, Never>?) in
                    let target = state.counters.emitted
                    if state.finished || state.settled >= target || Task.isCancelled { return (true, nil) }
                    state.flushWaiters.append((target, token, continuation))
                    state.flushRequested = true
                    return (false, state.takeDrainer())
                }
                drainer?.resume()
                if ready { continuation.resume() }
            }
        } onCancel: {
            // A cancelled flush returns at once; the events stay buffered and are still delivered.
            state.withLock { state in
                defer { state.flushWaiters.removeAll { $0.token == token } }
                return state.flushWaiters.first { $0.token == token }?.continuation
            }?.resume()
        }
    }

    /// Returns once a shutdown's deadline has passed (the delivery is then cancelled), or when cancelled.
    private func waitForShutdownDeadline() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let released = state.withLock { state -> Bool in
                    if state.watchdogReleased { return true }
                    state.watchdog = continuation
                    return false
                }
                if released { continuation.resume() }
            }
        } onCancel: {
            state.withLock { $0.releaseWatchdog() }?.resume()
        }
        guard !Task.isCancelled, let deadline = state.withLock({ $0.deadline }) else { return }
        try? await Task.sleep(until: deadline)
        if !Task.isCancelled { logger.error("Herald shutdown timeout passed; abandoning the delivery in progress") }
    }

    /// Set while the emitter delivers, so the log bridge does not turn the delivery's own log
    /// records (the emitter's, the HTTP client's) into more events.
    @TaskLocal static var isDelivering = false

    private func drain() async {
        // Two arrays trade places: the buffer emits append to, and the one being delivered.
        // Taking the buffer is a swap (no copy, no shift under the lock), and each keeps its
        // capacity, so emits do not reallocate.
        let reserve = min(configuration.bufferCapacity, 1 << 18)
        var taken: [Pending] = []
        taken.reserveCapacity(reserve)
        state.withLock { $0.buffer.reserveCapacity(reserve) }
        while await waitForBatch() {
            state.withLock { swap(&$0.buffer, &taken) }
            var start = 0
            while start < taken.count {
                let end = min(start + configuration.maxBatchSize, taken.count)
                if state.withLock({ $0.cancelled }) {
                    logger.error("Herald emitter cancelled: \(taken.count - start) events not delivered")
                    settle(taken.count - start, Outcome(failed: taken.count - start))
                    break
                }
                let outcome = await deliver(taken[start..<end])
                settle(end - start, outcome)
                start = end
            }
            taken.removeAll(keepingCapacity: true)
        }
    }

    private func settle(_ count: Int, _ outcome: Outcome) {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.counters.delivered += outcome.delivered
            state.counters.failed += outcome.failed
            state.settled += count
            let settled = state.settled
            let ready = state.flushWaiters.filter { $0.upTo <= settled }.map(\.continuation)
            state.flushWaiters.removeAll { $0.upTo <= settled }
            if state.flushWaiters.isEmpty { state.flushRequested = false }
            return ready
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Waits for events and lingers briefly for a fuller batch; false once stopped with nothing left.
    private func waitForBatch() async -> Bool {
        while true {
            let (hasWork, stopping) = state.withLock { (!$0.buffer.isEmpty, !$0.accepting || $0.cancelled) }
            if hasWork { break }
            if stopping { return false }
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let wake = state.withLock { state -> Bool in
                    if !state.buffer.isEmpty || !state.accepting || state.cancelled { return true }
                    state.idleDrainer = continuation
                    return false
                }
                if wake { continuation.resume() }
            }
        }
        let waitForMore = state.withLock { $0.accepting && !$0.flushRequested && $0.buffer.count < configuration.maxBatchSize }
        if waitForMore { try? await Task.sleep(for: configuration.linger) }
        return true
    }

    private struct Outcome {
        var delivered = 0
        var failed = 0
    }

    /// Encodes and delivers one batch, retrying temporary failures; refused events are dropped
    /// from the batch and the rest sent again.
    private func deliver(_ batch: ArraySlice<Pending>) async -> Outcome {
        var outcome = Outcome()
        var drafts: [EventDraft] = []
        drafts.reserveCapacity(batch.count)
        for pending in batch {
            do {
                drafts.append(try draft(of: pending))
            } catch {
                outcome.failed += 1
                logger.error("Herald event \(pending.type) (\(pending.id)) not sent: its payload cannot be encoded: \(error)")
            }
        }
        await deliver(drafts, outcome: &outcome)
        return outcome
    }

    private func deliver(_ initial: [EventDraft], outcome: inout Outcome) async {
        var drafts = initial
        var attempt = 0
        while !drafts.isEmpty {
            do {
                try await sink.deliver(drafts)
                outcome.delivered += drafts.count
                if attempt > 0 { logger.info("Herald delivery recovered after \(attempt) failed attempts") }
                logger.debug("delivered \(drafts.count) events to Herald")
                return
            } catch DeliveryError.rejected(let given) {
                // A refusal that names no event of the batch refuses all of it (never a busy loop).
                var reasons = given.filter { drafts.indices.contains($0.key) }
                if reasons.isEmpty {
                    reasons = Dictionary(uniqueKeysWithValues: drafts.indices.map { ($0, "refused: \(given.values.first ?? "no reason given")") })
                }
                for (index, reason) in reasons.sorted(by: { $0.key < $1.key }) {
                    logger.error("Herald refused event \(drafts[index].type) (\(drafts[index].id ?? "")): \(reason)")
                }
                outcome.failed += reasons.count
                drafts = drafts.indices.filter { reasons[$0] == nil }.map { drafts[$0] }
            } catch DeliveryError.tooLarge(let reason) {
                guard drafts.count > 1 else {
                    logger.error("Herald refused event \(drafts[0].type) (\(drafts[0].id ?? "")) as too large: \(reason)")
                    outcome.failed += 1
                    return
                }
                let half = drafts.count / 2
                await deliver(Array(drafts[..<half]), outcome: &outcome)
                await deliver(Array(drafts[half...]), outcome: &outcome)
                return
            } catch {
                attempt += 1
                let deadline = state.withLock { $0.deadline }
                if Task.isCancelled || (deadline.map { ContinuousClock.now >= $0 } ?? false) {
                    logger.error("gave up delivering \(drafts.count) events to Herald: \(error)")
                    outcome.failed += drafts.count
                    return
                }
                if attempt == 1 { logger.warning("Herald delivery failed, retrying: \(error)") }
                try? await Task.sleep(for: retryDelay(attempt: attempt, until: deadline))
            }
        }
    }

    /// 100 ms, 200 ms, 400 ms … capped, with up to 25 % jitter, and never past the deadline.
    private func retryDelay(attempt: Int, until deadline: ContinuousClock.Instant?) -> Duration {
        let base = configuration.initialRetryDelay * (1 << min(attempt - 1, 20))
        var delay = min(base, configuration.maxRetryDelay) * Double.random(in: 0.75...1.0)
        if let deadline { delay = max(.zero, min(delay, deadline - ContinuousClock.now)) }
        return delay
    }

    private func draft(of pending: Pending) throws -> EventDraft {
        let data: [UInt8]
        switch pending.payload {
        case .value(let value):
            guard case .object = value else { throw PayloadError.notAnObject }
            data = try value.encoded()
        case .encodable(let value):
            data = Array(try JSONEncoder().encode(value))
            guard data.first == UInt8(ascii: "{") else { throw PayloadError.notAnObject }
        }
        return EventDraft(
            id: pending.id.description, project: configuration.project, run: pending.run, type: pending.type, level: pending.level,
            time: pending.time, agent: pending.agent, turn: pending.turn, causedBy: pending.causedBy.map(\.description), data: data
        )
    }

    enum PayloadError: Error, CustomStringConvertible {
        case notAnObject
        var description: String { "an event's data must be a JSON object" }
    }
}

extension Emitter {
    /// Runs `body` with an emitter delivering to `sink`; when `body` ends (returning or
    /// throwing) the emitter stops accepting, delivers what is buffered (up to the shutdown
    /// timeout) and closes the sink before this returns.
    public static func withEmitter<Result>(
        sink: any EventSink,
        configuration: Configuration,
        logger: Logger = Logger(label: "herald.emitter"),
        isolation: isolated (any Actor)? = #isolation,
        _ body: (Emitter) async throws -> Result
    ) async throws -> Result {
        let emitter = Emitter(sink: sink, configuration: configuration, logger: logger)
        return try await withThrowingTaskGroup(of: Void.self, returning: Result.self) { group in
            group.addTask { try await emitter.run() }
            do {
                let result = try await body(emitter)
                emitter.shutdown()
                try await group.waitForAll()
                return result
            } catch {
                emitter.shutdown()
                try? await group.waitForAll()
                throw error
            }
        }
    }
}
