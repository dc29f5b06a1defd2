import Logging
import PostgresNIO
import Synchronization

/// The store's connection pool, running from open to close. Closing waits for the queries and
/// transactions in flight (a pool shut down under one can leave its caller waiting forever)
/// and refuses new ones.
final class Connections: Sendable {
    private let client: PostgresClient
    private let pool: Task<Void, Never>
    private let state = Mutex((inFlight: 0, closed: false))

    init(_ configuration: PostgresClient.Configuration, logger: Logger) {
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        self.client = client
        self.pool = Task { await client.run() }
    }

    /// Runs `body` in a transaction (committed when it returns, rolled back when it throws).
    /// Like every use of the pool, it runs in a task of its own: a caller's cancellation (a
    /// client gone) never cuts a statement or a transaction off halfway.
    func transaction<T: Sendable>(logger: Logger, _ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        try enter()
        defer { leave() }
        let client = client
        return try await Task { try await client.withTransaction(logger: logger) { connection in try await body(connection) } }.value
    }

    /// Runs one statement and answers all its rows.
    @discardableResult
    func query(_ query: PostgresQuery, logger: Logger) async throws -> [PostgresRow] {
        try enter()
        defer { leave() }
        let client = client
        return try await Task { try await client.query(query, logger: logger).collect() }.value
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
