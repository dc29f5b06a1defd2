#if PostgreSQL
import Foundation
import HeraldCore
import Logging
import PostgresNIO
import Synchronization

/// The shared store: one PostgreSQL database behind any number of `herald serve` replicas.
///
/// - Writes: concurrent `append` calls of a replica share one transaction (group commit), and
///   every write transaction first locks the `head` row. Positions and seqs are therefore
///   handed out in commit order across the whole cluster, with no gap (see
///   docs/notes/resume-tokens.md for why a reader can then never skip an event).
/// - Fan-out: each commit sends `NOTIFY` with no data that matters. Every replica LISTENs and,
///   woken, reads what committed after the last position it delivered, from the table. A lost
///   notification or a dropped connection costs latency, never an event.
/// - Keys and live-stream counts live here too, so they hold across the cluster.
public final class PostgresStore: EventStore, KeyStore, StreamSlots, RateBuckets {
    public let location: PostgresLocation
    let connections: Connections
    let logger: Logger
    /// This process's id among the replicas (for stream slots).
    let replica = UUID().uuidString
    /// The notification channel; one per database, as NOTIFY is.
    static let channel = "herald_commits"
    let feed: CommitFeed
    private let batcher: Batcher<WriteRequest, WriteResult>
    private let ids = ULIDGenerator()

    enum WriteRequest: Sendable {
        case append(AppendRequest)
        case prune(RetentionPolicy, now: Timestamp, limit: Int)
    }

    enum WriteResult: Sendable {
        case append(Result<AppendResult, HeraldError>)
        case prune(Result<PruneResult, HeraldError>)
    }

    /// Connects once to bring the schema up to date and to learn where the log ends; the
    /// store's own connections open when ``run()`` runs.
    public static func open(_ location: PostgresLocation, logger: Logger = Logger(label: "herald.postgres")) async throws -> PostgresStore {
        let head = try await withConnection(location, logger: logger) { connection in
            try await PostgresSchema.migrate(connection, logger: logger)
            return try await connection.query("SELECT last_pos FROM head", logger: logger).collect().first?.decode(Int64.self) ?? 0
        }
        return PostgresStore(location: location, head: head, logger: logger)
    }

    /// Applies the migrations the database lacks (`herald migrate`); answers their versions.
    public static func migrate(_ location: PostgresLocation, logger: Logger = Logger(label: "herald.postgres")) async throws -> [Int] {
        try await withConnection(location, logger: logger) { connection in
            try await PostgresSchema.migrate(connection, logger: logger)
        }
    }

    /// Opens the store, runs it while `body` runs, then closes it: for tools and tests that use
    /// the store outside a server.
    public static func withRunning<T: Sendable>(
        _ location: PostgresLocation, logger: Logger = Logger(label: "herald.postgres"), _ body: (PostgresStore) async throws -> T
    ) async throws -> T {
        try await open(location, logger: logger).whileRunning(body)
    }

    private init(location: PostgresLocation, head: Int64, logger: Logger) {
        self.location = location
        self.logger = logger
        // The pool runs from open to close: the server reads keys before it serves.
        let connections = Connections(location.clientConfiguration, logger: logger)
        self.connections = connections
        let feed = CommitFeed(after: head, logger: logger)
        self.feed = feed
        let ids = self.ids
        self.batcher = Batcher { batch in
            await Self.write(batch, connections: connections, ids: ids, logger: logger, feed: feed)
        }
    }

    static func withConnection<T>(
        _ location: PostgresLocation, logger: Logger, _ body: (PostgresConnection) async throws -> T
    ) async throws -> T {
        let connection = try await PostgresConnection.connect(configuration: try location.connectionConfiguration, id: 0, logger: logger)
        do {
            let result = try await body(connection)
            try? await connection.close()
            return result
        } catch {
            try? await connection.close()
            throw error
        }
    }

    // MARK: Running

    /// The notification listener, the commit feed and this replica's heartbeat, until the task
    /// is cancelled.
    public func run() async {
        await withDiscardingTaskGroup { group in
            group.addTask { await self.listen() }
            group.addTask { await self.feed.run(self) }
            group.addTask { await self.heartbeat() }
        }
    }

    public func observeCommits(_ observer: @escaping @Sendable ([Event]) -> Void) {
        feed.observe(observer)
    }

    /// Gives this replica's stream slots back and closes the connections. Call it once
    /// ``run()`` has ended.
    public func close() async {
        do {
            try await forgetReplicas(where: "id = $1", [.text(replica)])
        } catch {
            logger.debug("store.close.slots", metadata: ["error": "\(error)"])
        }
        await connections.close()
    }

    /// LISTENs on a connection of its own, reconnecting with backoff when PostgreSQL goes away.
    /// Every (re)connection wakes the feed, which reads whatever committed meanwhile.
    private func listen() async {
        var delay = Duration.milliseconds(100)
        while !Task.isCancelled {
            do {
                try await Self.withConnection(location, logger: logger) { connection in
                    // A notification sequence does not end on cancellation; closing its connection does.
                    try await withTaskCancellationHandler {
                        try await connection.listen(on: Self.channel) { notifications in
                            if delay > .milliseconds(100) { logger.info("store.listen.resumed") }
                            delay = .milliseconds(100)
                            feed.wake()
                            for try await _ in notifications { feed.wake() }
                        }
                    } onCancel: {
                        connection.close().whenComplete { _ in }
                    }
                }
            } catch {
                if Task.isCancelled { return }
                logger.warning("store.listen.lost", metadata: ["error": "\(String(reflecting: error))", "retryIn": "\(delay)"])
            }
            try? await Task.sleep(for: delay)
            delay = min(delay * 2, .seconds(5))
        }
    }

    // MARK: Writing

    public func append(_ request: AppendRequest) async throws(HeraldError) -> AppendResult {
        guard case .append(let result) = await batcher.submit(.append(request)) else { preconditionFailure("an append answered as a prune") }
        return try result.get()
    }

    public func prune(_ policy: RetentionPolicy, now: Timestamp, limit: Int) async throws(HeraldError) -> PruneResult {
        guard case .prune(let result) = await batcher.submit(.prune(policy, now: now, limit: limit)) else {
            preconditionFailure("a prune answered as an append")
        }
        return try result.get()
    }

    /// One batch: its appends in one transaction, then its prunes, each in its own.
    private static func write(
        _ batch: [WriteRequest], connections: Connections, ids: ULIDGenerator, logger: Logger, feed: CommitFeed
    ) async -> [WriteResult] {
        let appends = batch.compactMap { request -> AppendRequest? in
            if case .append(let append) = request { return append }
            return nil
        }
        var appendResults = (appends.isEmpty ? [] : await append(appends, connections: connections, ids: ids, logger: logger, feed: feed)).makeIterator()
        var results: [WriteResult] = []
        for request in batch {
            switch request {
            case .append: results.append(.append(appendResults.next()!))
            case .prune(let policy, let now, let limit):
                results.append(.prune(await prune(policy, now: now, limit: limit, connections: connections, logger: logger)))
            }
        }
        return results
    }

    /// Maps a failure to reach or use PostgreSQL to ``HeraldError``.
    static func unavailable(_ error: any Error, _ what: String, logger: Logger) -> HeraldError {
        if let error = error as? HeraldError { return error }
        logger.error("store.failed", metadata: ["what": "\(what)", "error": "\(String(reflecting: error))"])
        return HeraldError(.unavailable, "the store (PostgreSQL) could not \(what); retry shortly", retryAfter: 2)
    }
}

/// Reads what committed after the last delivered position and hands it to the observer, in
/// position order, each event once; woken by local commits, notifications and reconnections.
final class CommitFeed: Sendable {
    private let wakes: AsyncStream<Void>
    private let wakeSource: AsyncStream<Void>.Continuation
    private let observer = Mutex<(@Sendable ([Event]) -> Void)?>(nil)
    private let delivered: Mutex<Int64>
    private let logger: Logger
    static let pageSize = 1000

    init(after position: Int64, logger: Logger) {
        (wakes, wakeSource) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
        delivered = Mutex(position)
        self.logger = logger
    }

    func observe(_ observer: @escaping @Sendable ([Event]) -> Void) {
        self.observer.withLock { $0 = observer }
    }

    func wake() { wakeSource.yield() }

    func run(_ store: PostgresStore) async {
        for await _ in wakes {
            while !Task.isCancelled {
                let after = delivered.withLock { $0 }
                do {
                    let page = try await store.events(afterPosition: after, limit: Self.pageSize)
                    guard let last = page.events.last else { break }
                    delivered.withLock { $0 = last.position }
                    observer.withLock { $0 }?(page.events)
                    if !page.hasMore { break }
                } catch {
                    // The store is unreachable: the listener's reconnection wakes us again.
                    logger.debug("store.feed.failed", metadata: ["error": "\(error)"])
                    break
                }
            }
        }
    }
}

/// Group commit for an asynchronous store: callers submit concurrently; one task takes
/// everything queued so far and writes it as one batch, then answers each caller. (SQLite's
/// ``GroupCommit`` blocks a thread of its own instead; here the waiting is on the network.)
final class Batcher<Input: Sendable, Output: Sendable>: Sendable {
    private struct State {
        var queue: [(Input, CheckedContinuation<Output, Never>)] = []
        var draining = false
    }

    private let state = Mutex(State())
    private let handle: @Sendable ([Input]) async -> [Output]

    init(handle: @escaping @Sendable ([Input]) async -> [Output]) {
        self.handle = handle
    }

    func submit(_ input: Input) async -> Output {
        await withCheckedContinuation { continuation in
            let startDrain = state.withLock { state in
                state.queue.append((input, continuation))
                guard !state.draining else { return false }
                state.draining = true
                return true
            }
            if startDrain { Task { await self.drain() } }
        }
    }

    private func drain() async {
        while true {
            let batch = state.withLock { state in
                let batch = state.queue
                state.queue.removeAll(keepingCapacity: true)
                if batch.isEmpty { state.draining = false }
                return batch
            }
            if batch.isEmpty { return }
            let outputs = await handle(batch.map(\.0))
            for (index, (_, continuation)) in batch.enumerated() {
                continuation.resume(returning: outputs[index])
            }
        }
    }
}
#endif
