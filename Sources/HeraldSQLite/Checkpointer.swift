import Dispatch
import GRDB
import Logging
import Synchronization

/// Copies the WAL back into the database file from a connection of its own, so that the writer
/// never waits for a checkpoint.
///
/// Left to SQLite, the connection whose commit takes the WAL past 1,000 pages checkpoints at
/// once: it copies the pages and syncs both files before the next transaction can start. Under
/// single-event requests that was a checkpoint every ~80 commits and about 110 `fdatasync`s a
/// second on the writer's thread. A passive checkpoint here runs beside the writer (it takes
/// no write lock) every ``interval``. The writer keeps a much larger automatic checkpoint as
/// a backstop (``writerBackstopPages``), so the WAL stays bounded if this one falls behind.
final class Checkpointer: Sendable {
    static let interval: DispatchTimeInterval = .milliseconds(200)
    /// The writer's own `wal_autocheckpoint`: 16,000 pages of 4 KiB, a 64 MiB WAL.
    static let writerBackstopPages = 16_000

    private let connection: DatabaseQueue
    private let queue = DispatchQueue(label: "herald.checkpoint", qos: .utility)
    private let stopped = Atomic<Bool>(false)
    private let logger: Logger

    init(path: String, logger: Logger) throws {
        var configuration = Configuration()
        configuration.busyMode = .timeout(1)
        connection = try DatabaseQueue(path: path, configuration: configuration)
        self.logger = logger
    }

    /// Checkpoints every ``interval`` until ``stop()``, or until the store lets go of it.
    func start() {
        queue.asyncAfter(deadline: .now() + Self.interval) { [weak self] in
            guard let self, !stopped.load(ordering: .relaxed) else { return }
            do {
                try connection.writeWithoutTransaction { db in try db.checkpoint(.passive) }
            } catch {
                logger.warning("store.checkpoint.failed", metadata: ["error": "\(error)"])
            }
            start()
        }
    }

    /// Stops the checkpoints (the last one, if running, finishes first) and closes the connection.
    func stop() {
        stopped.store(true, ordering: .relaxed)
        queue.sync {}
        try? connection.close()
    }
}
