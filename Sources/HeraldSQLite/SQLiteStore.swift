import GRDB
import HeraldCore
import Logging
import Synchronization

/// The embedded store: one SQLite database in WAL mode, through GRDB.
///
/// Writes go through a group committer (see ``GroupCommit``): concurrent `append` calls share
/// one transaction, so throughput grows with concurrency while each request stays
/// all-or-nothing (a savepoint each). Reads run concurrently on the pool's readers.
public final class SQLiteStore: EventStore {
    /// How hard a commit pushes data to disk.
    public enum Durability: String, Sendable, CaseIterable {
        /// WAL with `synchronous=NORMAL`: survives a process crash (the default).
        case normal
        /// `synchronous=FULL`: survives power loss too.
        case full
    }

    let pool: DatabasePool
    let writer: Writer
    let logger: Logger
    private let commit: GroupCommit<WriteRequest, WriteResult>
    private let checkpointer: Checkpointer

    /// What the writer's queue does: appends (grouped into shared transactions) and retention
    /// passes (each in its own transaction, after the appends queued with it).
    enum WriteRequest: Sendable {
        case append(AppendRequest)
        case prune(RetentionPolicy, now: Timestamp, limit: Int)
    }

    enum WriteResult: Sendable {
        case append(Result<AppendResult, HeraldError>)
        case prune(Result<PruneResult, HeraldError>)
    }

    /// Opens (creating if needed) the database at `path` and brings its schema up to date.
    public init(path: String, durability: Durability = .normal, logger: Logger = Logger(label: "herald.sqlite")) throws {
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        configuration.maximumReaderCount = 4
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA foreign_keys = OFF")
        }
        let pool = try DatabasePool(path: path, configuration: configuration)
        // WAL resets `synchronous` to NORMAL after prepareDatabase: set it afterwards and check it.
        try pool.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA synchronous = \(durability == .full ? "FULL" : "NORMAL")")
            try db.execute(sql: "PRAGMA wal_autocheckpoint = \(Checkpointer.writerBackstopPages)")
            let level = try Int.fetchOne(db, sql: "PRAGMA synchronous") ?? -1
            guard level == (durability == .full ? 2 : 1) else {
                throw DatabaseError(message: "could not set synchronous=\(durability.rawValue) (SQLite reports \(level))")
            }
        }
        try Schema.migrator.migrate(pool)
        self.pool = pool
        self.logger = logger
        let writer = try pool.read { db in try Writer(db: db) }
        self.writer = writer
        self.checkpointer = try Checkpointer(path: path, logger: logger)
        self.commit = GroupCommit { batch in
            Self.write(batch, with: writer, in: pool, logger: logger)
        }
        checkpointer.start()
    }

    public func append(_ request: AppendRequest) async throws(HeraldError) -> AppendResult {
        guard case .append(let result) = await commit.submit(.append(request)) else { preconditionFailure("an append answered as a prune") }
        return try result.get()
    }

    public func prune(_ policy: RetentionPolicy, now: Timestamp, limit: Int) async throws(HeraldError) -> PruneResult {
        guard case .prune(let result) = await commit.submit(.prune(policy, now: now, limit: limit)) else {
            preconditionFailure("a prune answered as an append")
        }
        return try result.get()
    }

    public func storedBytes() async throws(HeraldError) -> Int64 {
        try await read { db in
            try Int64.fetchOne(db, sql: "SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()") ?? 0
        }
    }

    /// Handles one batch from the writer's queue: its appends first, in one transaction, then its prunes.
    private static func write(_ batch: [WriteRequest], with writer: Writer, in pool: DatabasePool, logger: Logger) -> [WriteResult] {
        let appends = batch.compactMap { request -> AppendRequest? in
            if case .append(let append) = request { return append }
            return nil
        }
        var appendResults = (appends.isEmpty ? [] : write(appends, with: writer, in: pool, logger: logger)).makeIterator()
        return batch.map { request in
            switch request {
            case .append: .append(appendResults.next()!)
            case .prune(let policy, let now, let limit): .prune(prune(policy, now: now, limit: limit, with: writer, in: pool, logger: logger))
            }
        }
    }

    private static func prune(
        _ policy: RetentionPolicy, now: Timestamp, limit: Int, with writer: Writer, in pool: DatabasePool, logger: Logger
    ) -> Result<PruneResult, HeraldError> {
        var pruner = Pruner(policy: policy, now: now, limit: limit)
        do {
            try pool.write { db in try pruner.run(db) }
        } catch {
            logger.error("store.prune.failed", metadata: ["error": "\(error)"])
            return .failure(HeraldError(.unavailable, "retention could not delete: \(error)"))
        }
        writer.forget(pruner.touchedRuns)
        return .success(pruner.result)
    }

    /// Writes a group of requests in one transaction. A request that breaks a rule is rolled
    /// back to its savepoint and answered with its error; the others commit.
    private static func write(
        _ requests: [AppendRequest], with writer: Writer, in pool: DatabasePool, logger: Logger
    ) -> [Result<AppendResult, HeraldError>] {
        var results: [Result<AppendResult, HeraldError>] = []
        var committed: [Event] = []
        var placer: EventPlacer?
        do {
            try pool.writeWithoutTransaction { db in
                try db.inTransaction(.immediate) {
                    results = []
                    committed = []
                    var transaction = writer.placer(db: db)
                    for request in requests {
                        results.append(try writer.append(request, placer: &transaction, db: db, committed: &committed))
                    }
                    try writer.flushRuns(transaction, db: db)
                    placer = transaction
                    return .commit
                }
            }
        } catch {
            try? pool.read { db in try writer.reset(reloadingFrom: db) }
            logger.error("store.write.failed", metadata: ["error": "\(error)"])
            writer.failure.withLock { $0 = "\(error)" }
            let failure = HeraldError(.unavailable, "the store could not commit: \(error)", retryAfter: Self.retryAfterFailedWrite)
            return requests.map { _ in .failure(failure) }
        }
        writer.failure.withLock { $0 = nil }
        if let placer { writer.didCommit(placer, events: committed) }
        return results
    }

    /// Seconds a client is told to wait after a failed commit (a full disk frees up slowly).
    static let retryAfterFailedWrite = 5

    public var writeFailure: String? { writer.failure.withLock { $0 } }

    public func observeCommits(_ observer: @escaping @Sendable ([Event]) -> Void) {
        writer.observer.withLock { $0 = Writer.CommitObserver(observer) }
    }

    public func close() async {
        checkpointer.stop()
        _ = try? await pool.writeWithoutTransaction { db in try db.checkpoint(.truncate) }
        try? pool.close()
    }
}
