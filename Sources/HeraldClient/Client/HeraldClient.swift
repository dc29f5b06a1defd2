import Logging
import NIOCore

/// A client of one Herald server's HTTP API (v1): ingest, runs and event queries.
///
/// The client owns its connections, kept alive from one request to the next, so its lifecycle is
/// explicit: either scope it with ``withClient(baseURL:configuration:logger:isolation:_:)``, or
/// create it with ``init(baseURL:configuration:logger:)`` and call ``shutdown()`` when done.
///
/// ```swift
/// let answer = try await HeraldClient.withClient(baseURL: "http://127.0.0.1:7373") { client in
///     try await client.post([EventDraft(run: "r1", type: "run.started")])
/// }
/// print(answer.events[0].seq)
/// ```
///
/// Every refusal of the server is thrown as the `HeraldError` it answered (code, message and
/// per-field details); a server that cannot be reached is thrown as ``HeraldError/Code/unreachable``.
public struct HeraldClient: Sendable {
    /// How the client talks to the server.
    public struct Configuration: Sendable {
        /// Longest wait for one request, from sending it to the end of the answer.
        public var timeout: Duration = .seconds(60)
        /// Sent as `Authorization: Bearer <token>` when set.
        public var token: String?
        /// The project whose runs the run calls name (`?project=`), for a credential that reads
        /// several projects; nil leaves it to the server (a key of one project needs none).
        public var project: String?
        /// Longest wait for a connection to open.
        public var connectTimeout: Duration = .seconds(10)
        /// Longest silence on an open connection before it is dropped: three of the server's
        /// heartbeats (15 s), so a stream whose connection died without a word (a sleeping
        /// laptop, a proxy that dropped it) is noticed and resumed.
        public var readTimeout: Duration = .seconds(45)
        /// Whether a failed connection attempt is retried until the request's timeout. Off by
        /// default so that a server that is down is reported at once (a CLI user should not wait
        /// a minute to learn it); producers that must ride out restarts retry on their own terms.
        public var retriesConnecting = false
        /// Largest answer body accepted; a page of 1,000 events with large payloads can be big.
        public var maxResponseBytes = 1 << 30

        /// The defaults, with a request timeout and a token if given.
        public init(timeout: Duration = .seconds(60), token: String? = nil) {
            self.timeout = timeout
            self.token = token
        }

        /// How connections are opened and read.
        var connection: HTTPConnection.Settings {
            HTTPConnection.Settings(connectTimeout: TimeAmount(connectTimeout), readTimeout: TimeAmount(readTimeout), maxBodyBytes: maxResponseBytes)
        }
    }

    /// The server's address without a trailing slash, e.g. `http://127.0.0.1:7373`.
    public let baseURL: String
    /// Timeouts and credentials, fixed when the client is made.
    public let configuration: Configuration
    /// The kept-alive connections to the server; a base URL that is not one fails every request.
    let connections: Result<HTTPConnectionPool, HTTPEndpoint.InvalidURL>
    let logger: Logger?

    /// Creates a client with connections of its own; call ``shutdown()`` before releasing it.
    ///
    /// - Parameters:
    ///   - baseURL: the server, e.g. `http://127.0.0.1:7373` (a path prefix such as `http://proxy/herald` is kept).
    ///   - configuration: timeouts and credentials.
    ///   - logger: request logs, if wanted.
    public init(baseURL: String, configuration: Configuration = Configuration(), logger: Logger? = nil) {
        var base = baseURL
        while base.hasSuffix("/") { base.removeLast() }
        self.baseURL = base
        self.configuration = configuration
        self.connections = Result { () throws(HTTPEndpoint.InvalidURL) in
            HTTPConnectionPool(
                endpoint: try HTTPEndpoint(url: base), settings: configuration.connection, retriesConnecting: configuration.retriesConnecting
            )
        }
        self.logger = logger
    }

    /// Closes the client's connections. The client cannot be used afterwards.
    ///
    /// A live subscription (``subscribe(run:filter:after:project:)``) has a connection of its own,
    /// which ends when its iteration stops or its task is cancelled.
    public func shutdown() async throws {
        if case .success(let pool) = connections { await pool.shutdown() }
    }

    /// Runs `body` with a new client and shuts the client down afterwards, whether `body` throws or not.
    public static func withClient<Result>(
        baseURL: String,
        configuration: Configuration = Configuration(),
        logger: Logger? = nil,
        isolation: isolated (any Actor)? = #isolation,
        _ body: (HeraldClient) async throws -> Result
    ) async throws -> Result {
        let client = HeraldClient(baseURL: baseURL, configuration: configuration, logger: logger)
        let result: Result
        do {
            result = try await body(client)
        } catch {
            try? await client.shutdown()
            throw error
        }
        try await client.shutdown()
        return result
    }
}
