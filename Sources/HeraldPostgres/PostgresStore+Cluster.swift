import HeraldCore
import Logging
import PostgresNIO

/// API keys and live-stream slots, shared by every replica.
extension PostgresStore {
    // MARK: KeyStore

    public func createKey(_ key: StoredKey) async throws(HeraldError) {
        var bindings = PostgresBindings()
        bindings.append(key.id)
        bindings.append(ByteBuffer(bytes: key.secretHash))
        bindings.append(key.project)
        bindings.append(key.role.rawValue)
        bindings.append(key.name)
        bindings.append(key.createdAt.microseconds)
        bindings.append(key.revokedAt?.microseconds)
        _ = try await rows(
            PostgresQuery(
                unsafeSQL: "INSERT INTO api_keys (id, secret_hash, project, role, name, created_at, revoked_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                binds: bindings
            )
        )
    }

    public func keys() async throws(HeraldError) -> [StoredKey] {
        let rows = try await rows("SELECT id, secret_hash, project, role, name, created_at, revoked_at FROM api_keys ORDER BY created_at, id", [])
        var keys: [StoredKey] = []
        for row in rows {
            do {
                let (id, hash, project, role, name, created, revoked) = try row.decode(
                    (String, ByteBuffer, String, String, String, Int64, Int64?).self
                )
                guard let role = Role(rawValue: role) else { continue }
                keys.append(
                    StoredKey(
                        id: id, secretHash: Array(hash.readableBytesView), project: project, role: role, name: name,
                        createdAt: Timestamp(microseconds: created), revokedAt: revoked.map(Timestamp.init(microseconds:))
                    )
                )
            } catch {
                throw Self.unavailable(error, "read the keys", logger: logger)
            }
        }
        return keys
    }

    public func revokeKey(id: String, at time: Timestamp) async throws(HeraldError) -> Bool {
        !(try await rows(
            "UPDATE api_keys SET revoked_at = COALESCE(revoked_at, $1) WHERE id = $2 RETURNING id", [.integer(time.microseconds), .text(id)]
        ).isEmpty)
    }

    // MARK: StreamSlots

    /// A replica whose heartbeat is older than this no longer counts (it was killed).
    static let replicaTimeout = Duration.seconds(15)
    static let heartbeatInterval = Duration.seconds(5)

    public func acquireSlot(client: String, limit: Int) async throws(HeraldError) {
        let held: Int64
        do {
            held = try await self.client.withTransaction(logger: logger) { connection in
                // One decision at a time per caller, cluster-wide; the lock ends with the transaction.
                try await connection.query("SELECT pg_advisory_xact_lock(hashtextextended(\(client), 7373))", logger: logger)
                try await connection.query(
                    "INSERT INTO replicas (id, seen_at) VALUES (\(replica), now()) ON CONFLICT (id) DO UPDATE SET seen_at = now()",
                    logger: logger
                )
                let held = try await connection.query(
                    """
                    SELECT COALESCE(SUM(s.held), 0)::BIGINT FROM stream_slots s JOIN replicas r ON r.id = s.replica
                    WHERE s.client = \(client) AND r.seen_at > now() - make_interval(secs => \(Self.replicaTimeout.components.seconds))
                    """,
                    logger: logger
                ).collect().first?.decode(Int64.self) ?? 0
                guard held < limit else { return held }
                try await connection.query(
                    """
                    INSERT INTO stream_slots (replica, client, held) VALUES (\(replica), \(client), 1)
                    ON CONFLICT (replica, client) DO UPDATE SET held = stream_slots.held + 1
                    """,
                    logger: logger
                )
                return -1
            }
        } catch {
            throw Self.unavailable(error, "count live streams", logger: logger)
        }
        if held >= 0 {
            throw HeraldError(
                .tooManyConnections, "this caller already holds \(held) live streams across the cluster (limit \(limit))",
                retryAfter: 1
            )
        }
    }

    public func releaseSlot(client: String) async {
        do {
            try await self.client.query(
                "UPDATE stream_slots SET held = held - 1 WHERE replica = \(replica) AND client = \(client) AND held > 0", logger: logger
            )
        } catch {
            logger.warning("store.slot.release.failed", metadata: ["error": "\(String(reflecting: error))"])
        }
    }

    /// Keeps this replica counted and forgets replicas that stopped (their slots with them).
    func heartbeat() async {
        while !Task.isCancelled {
            do {
                try await client.withTransaction(logger: logger) { connection in
                    try await connection.query(
                        "INSERT INTO replicas (id, seen_at) VALUES (\(replica), now()) ON CONFLICT (id) DO UPDATE SET seen_at = now()",
                        logger: logger
                    )
                    let stale = "now() - make_interval(secs => \(Self.replicaTimeout.components.seconds * 4))"
                    try await connection.query(
                        PostgresQuery(unsafeSQL: "DELETE FROM stream_slots WHERE replica IN (SELECT id FROM replicas WHERE seen_at < \(stale))"),
                        logger: logger
                    )
                    try await connection.query(PostgresQuery(unsafeSQL: "DELETE FROM replicas WHERE seen_at < \(stale)"), logger: logger)
                }
            } catch {
                if Task.isCancelled { return }
                logger.debug("store.heartbeat.failed", metadata: ["error": "\(String(reflecting: error))"])
            }
            try? await Task.sleep(for: Self.heartbeatInterval)
        }
    }
}
