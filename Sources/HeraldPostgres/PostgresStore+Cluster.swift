#if PostgreSQL
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

    // Each caller's live streams are counted twice, in one statement each time: a cluster-wide
    // total (`stream_totals`, where the limit is checked under the row's lock) and a tally per
    // replica (`stream_slots`). When a replica stops refreshing its heartbeat (killed), the
    // others subtract its tallies from the totals. Every statement locks a total before a
    // tally, and no statement waits on another's transaction for longer than one row update.

    /// A replica whose heartbeat is older than this no longer counts (it was killed).
    static let replicaTimeout = Duration.seconds(15)
    static let heartbeatInterval = Duration.seconds(5)

    public func acquireSlot(client: String, limit: Int) async throws(HeraldError) {
        // The total goes up only while under the limit: an upsert checks it on the locked row.
        let taken = try await rows(
            """
            WITH taken AS (
                INSERT INTO stream_totals AS t (client, held) SELECT $1, 1 WHERE $3 > 0
                ON CONFLICT (client) DO UPDATE SET held = t.held + 1 WHERE t.held < $3
                RETURNING held
            )
            INSERT INTO stream_slots AS s (replica, client, held) SELECT $2, $1, 1 FROM taken
            ON CONFLICT (replica, client) DO UPDATE SET held = s.held + 1
            RETURNING held
            """,
            [.text(client), .text(replica), .integer(Int64(limit))]
        )
        guard taken.isEmpty else { return }
        throw HeraldError(
            .tooManyConnections, "this caller already holds \(limit) live streams across the cluster (limit \(limit))",
            retryAfter: 1
        )
    }

    public func releaseSlot(client: String) async {
        do {
            _ = try await rows(
                """
                WITH total AS (
                    UPDATE stream_totals SET held = held - 1
                    WHERE client = $1 AND held > 0
                        AND EXISTS (SELECT 1 FROM stream_slots WHERE replica = $2 AND client = $1 AND held > 0)
                    RETURNING 1
                )
                UPDATE stream_slots SET held = held - 1
                WHERE replica = $2 AND client = $1 AND held > 0 AND EXISTS (SELECT 1 FROM total)
                """,
                [.text(client), .text(replica)]
            )
        } catch {
            logger.warning("store.slot.release.failed", metadata: ["error": "\(error)"])
        }
    }

    /// Removes replicas (`condition` over `replicas`) with their streams from the totals.
    ///
    /// Locks in the order acquire and release do, totals before tallies: first the totals of
    /// every caller the gone replicas held streams for (in one order, so two forgetters queue
    /// instead of deadlocking), then one statement deletes the tallies and lowers the totals.
    /// (The data-modifying parts of one statement run in no set order, so the totals cannot be
    /// locked first within it.)
    func forgetReplicas(where condition: String, _ values: [FilterClause.Value]) async throws(HeraldError) {
        let sql = (
            lock: """
                SELECT t.client FROM stream_totals t
                WHERE t.client IN (SELECT s.client FROM stream_slots s JOIN replicas r ON r.id = s.replica WHERE \(condition))
                ORDER BY t.client FOR UPDATE OF t
                """,
            forget: """
                WITH gone AS (DELETE FROM replicas WHERE \(condition) RETURNING id),
                slots AS (DELETE FROM stream_slots s USING gone WHERE s.replica = gone.id RETURNING s.client, s.held),
                sums AS (SELECT client, SUM(held) AS held FROM slots GROUP BY client)
                UPDATE stream_totals t SET held = GREATEST(t.held - sums.held, 0) FROM sums WHERE t.client = sums.client
                """
        )
        do {
            try await connections.transaction(logger: logger) { connection in
                let bindings = Self.bindings(values)
                _ = try await connection.query(PostgresQuery(unsafeSQL: sql.lock, binds: bindings), logger: self.logger).collect()
                _ = try await connection.query(PostgresQuery(unsafeSQL: sql.forget, binds: bindings), logger: self.logger).collect()
            }
        } catch {
            throw Self.unavailable(error, "forget a stopped replica", logger: logger)
        }
    }

    // MARK: Secrets

    /// The secret called `name` every replica shares: `candidate` if none was stored yet (the
    /// first replica to ask wins), else the stored one.
    public func sharedSecret(named name: String, candidate: [UInt8]) async throws(HeraldError) -> [UInt8] {
        var bindings = PostgresBindings()
        bindings.append(name)
        bindings.append(ByteBuffer(bytes: candidate))
        let rows = try await rows(
            PostgresQuery(
                unsafeSQL: """
                    WITH made AS (INSERT INTO secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING RETURNING value)
                    SELECT value FROM made UNION ALL SELECT value FROM secrets WHERE name = $1
                    """,
                binds: bindings
            )
        )
        do {
            guard let row = rows.first else { throw PostgresStoreError("no secret \(name) was stored") }
            return Array(try row.decode(ByteBuffer.self).readableBytesView)
        } catch {
            throw Self.unavailable(error, "read the shared secret \(name)", logger: logger)
        }
    }

    // MARK: RateBuckets

    public func take(client: String, cost: Int, rate: Double, burst: Double) async throws(HeraldError) -> Double? {
        // One statement, on the caller's locked row: refill by the time since the last take
        // (the database's clock, the same for every replica), then take when at least one
        // event is left. `full_at` is when the bucket will be full again, for the sweep.
        let refilled = "LEAST($2, b.tokens + EXTRACT(EPOCH FROM excluded.updated_at - b.updated_at)::DOUBLE PRECISION * $4)"
        let left = "(\(refilled) - CASE WHEN \(refilled) >= 1 THEN $3 ELSE 0 END)"
        var bindings = PostgresBindings()
        bindings.append(client)
        bindings.append(burst)
        bindings.append(Double(cost))
        bindings.append(rate)
        let rows = try await rows(
            PostgresQuery(
                unsafeSQL: """
                    INSERT INTO rate_buckets AS b (client, tokens, updated_at, admitted, full_at)
                    SELECT $1, $2 - $3, t, true, t + make_interval(secs => $3 / $4) FROM (SELECT clock_timestamp() AS t) AS now
                    ON CONFLICT (client) DO UPDATE SET
                        tokens = \(left),
                        admitted = \(refilled) >= 1,
                        updated_at = excluded.updated_at,
                        full_at = excluded.updated_at + make_interval(secs => GREATEST($2 - \(left), 0) / $4)
                    RETURNING admitted, tokens
                    """,
                binds: bindings
            )
        )
        guard let row = rows.first else { return nil }
        let (admitted, tokens): (Bool, Double)
        do {
            (admitted, tokens) = try row.decode((Bool, Double).self)
        } catch {
            throw Self.unavailable(error, "read a rate bucket", logger: logger)
        }
        return admitted ? nil : (1 - tokens) / rate
    }

    /// Deletes the buckets that are full again: as good as new, so memory stays bounded.
    func sweepRateBuckets() async throws(HeraldError) {
        _ = try await rows("DELETE FROM rate_buckets WHERE full_at < clock_timestamp()", [])
    }

    /// Keeps this replica counted and forgets replicas that stopped.
    func heartbeat() async {
        while !Task.isCancelled {
            do {
                _ = try await rows(
                    "INSERT INTO replicas (id, seen_at) VALUES ($1, now()) ON CONFLICT (id) DO UPDATE SET seen_at = now()",
                    [.text(replica)]
                )
                try await forgetReplicas(
                    where: "seen_at < now() - make_interval(secs => $1)", [.integer(Self.replicaTimeout.components.seconds)]
                )
                try await sweepRateBuckets()
            } catch {
                if Task.isCancelled { return }
                logger.debug("store.heartbeat.failed", metadata: ["error": "\(error)"])
            }
            try? await Task.sleep(for: Self.heartbeatInterval)
        }
    }
}
#endif
