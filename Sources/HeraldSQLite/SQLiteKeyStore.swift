import Foundation
import GRDB
import HeraldCore

/// API keys in the embedded store's database file. Opened on its own connection, so
/// `herald keys` can change keys while `herald serve` runs on the same data folder.
public final class SQLiteKeyStore: KeyStore {
    private let queue: DatabaseQueue

    /// Opens (creating if needed) the database at `path`, bringing its schema up to date.
    public init(path: String) throws {
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        let queue = try DatabaseQueue(path: path, configuration: configuration)
        try queue.writeWithoutTransaction { db in _ = try String.fetchOne(db, sql: "PRAGMA journal_mode = WAL") }
        try Schema.migrator.migrate(queue)
        self.queue = queue
    }

    public func createKey(_ key: StoredKey) async throws(HeraldError) {
        try await perform { db in
            try db.execute(
                sql: "INSERT INTO api_keys (id, secret_hash, project, role, name, created_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                arguments: [
                    key.id, Data(key.secretHash), key.project, key.role.rawValue, key.name, key.createdAt.microseconds,
                    key.revokedAt?.microseconds,
                ]
            )
        }
    }

    public func keys() async throws(HeraldError) -> [StoredKey] {
        try await perform { db in
            try Row.fetchAll(db, sql: "SELECT * FROM api_keys ORDER BY created_at, id").compactMap { row -> StoredKey? in
                guard let role = Role(rawValue: row["role"]) else { return nil }
                let revoked: Int64? = row["revoked_at"]
                return StoredKey(
                    id: row["id"], secretHash: [UInt8](row["secret_hash"] as Data), project: row["project"], role: role,
                    name: row["name"], createdAt: Timestamp(microseconds: row["created_at"]),
                    revokedAt: revoked.map(Timestamp.init(microseconds:))
                )
            }
        }
    }

    public func revokeKey(id: String, at time: Timestamp) async throws(HeraldError) -> Bool {
        try await perform { db in
            try db.execute(
                sql: "UPDATE api_keys SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?", arguments: [time.microseconds, id]
            )
            return db.changesCount > 0
        }
    }

    private func perform<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws(HeraldError) -> T {
        do {
            return try await queue.write(body)
        } catch {
            throw HeraldError(.unavailable, "the key store could not be read or written: \(error)")
        }
    }
}
