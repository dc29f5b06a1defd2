#if PostgreSQL
import Logging
import PostgresNIO
import Synchronization

/// The store's connection pool, running from open to close.
///
/// Every use runs in a task of its own with a deadline: a caller's cancellation (a client gone)
/// never cuts a statement or a transaction off halfway, and a statement whose connection died
/// under it (PostgreSQL restarting) fails after ``deadline`` instead of waiting forever.
/// Closing waits for what is in flight and refuses new work.
final class Connections: Sendable {
    private let client: PostgresClient
    private let pool: Task<Void, Never>
    private let state = Mutex((inFlight: 0, closed: false))

    init(_ configuration: PostgresClient.Configuration, logger: Logger) {
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        self.client = client
        self.pool = Task { await client.run() }
    }

    /// How long one statement or transaction may take before its caller is answered with a failure.
    static let deadline = Duration.seconds(30)

    /// Runs `body` in a transaction (committed when it returns, rolled back when it throws).
    func transaction<T: Sendable>(logger: Logger, _ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        try enter()
        defer { leave() }
        let client = client
        return try await Self.withDeadline { try await client.withTransaction(logger: logger) { connection in try await body(connection) } }
    }

    /// Runs one statement and answers all its rows.
    @discardableResult
    func query(_ query: PostgresQuery, logger: Logger) async throws -> [PostgresRow] {
        try enter()
        defer { leave() }
        let client = client
        return try await Self.withDeadline { try await client.query(query, logger: logger).collect() }
    }

    /// Runs one statement and hands its rows to `consume` as they arrive: a reader that stops
    /// early (a page full) holds no more than it kept. Rows left unread are discarded by the
    /// connection before it serves another statement.
    func query<T: Sendable>(
        _ query: PostgresQuery, logger: Logger, _ consume: @escaping @Sendable (PostgresRowSequence) async throws -> T
    ) async throws -> T {
        try enter()
        defer { leave() }
        let client = client
        return try await Self.withDeadline { try await consume(try await client.query(query, logger: logger)) }
    }

    /// Waits (up to 10 s) for what is in flight, then shuts the pool down.
    func close() async {
        state.withLock { $0.closed = true }
        for _ in 0..<1000 where state.withLock({ $0.inFlight > 0 }) {
            try? await Task.sleep(for: .milliseconds(10))
        }
        pool.cancel()
        await pool.value
    }

    /// `work` in a task of its own; its result, or a failure once ``deadline`` has passed.
    private static func withDeadline<T: Sendable>(_ work: @escaping @Sendable () async throws -> T) async throws -> T {
        let first = FirstResult<T>()
        return try await withCheckedThrowingContinuation { continuation in
            first.wait(continuation)
            let worker = Task { try await work() }
            let timer = Task {
                // Cancelled when the work finished first.
                guard (try? await Task.sleep(for: deadline)) != nil else { return }
                // The worker is left to finish: cancelling a statement in flight can lose its connection.
                first.settle(.failure(PostgresStoreError("PostgreSQL did not answer within \(deadline)")))
            }
            Task {
                first.settle(await worker.result)
                timer.cancel()
            }
        }
    }

    private func enter() throws {
        try state.withLock { state in
            guard !state.closed else { throw PostgresStoreError("the store is closed") }
            state.inFlight += 1
        }
    }

    private func leave() {
        state.withLock { $0.inFlight -= 1 }
    }
}

extension PostgresConnection {
    /// Runs a statement whose rows (if any) do not matter, reading them to the end: a row
    /// stream left unread holds its connection, and the next statement waits behind it.
    func perform(_ query: PostgresQuery, logger: Logger) async throws {
        _ = try await self.query(query, logger: logger).collect()
    }
}

/// Whichever of several racing tasks finishes first answers the one continuation.
private final class FirstResult<T: Sendable>: Sendable {
    private let state = Mutex<(continuation: CheckedContinuation<T, any Error>?, settled: Bool)>((nil, false))

    func wait(_ continuation: CheckedContinuation<T, any Error>) {
        state.withLock { $0.continuation = continuation }
    }

    /// Answers whether this result was the first.
    @discardableResult
    func settle(_ result: Result<T, any Error>) -> Bool {
        let continuation = state.withLock { state -> CheckedContinuation<T, any Error>? in
            guard !state.settled else { return nil }
            state.settled = true
            defer { state.continuation = nil }
            return state.continuation
        }
        continuation?.resume(with: result)
        return continuation != nil
    }
}
#endif
