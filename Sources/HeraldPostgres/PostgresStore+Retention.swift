#if PostgreSQL
import HeraldCore
import Logging
import PostgresNIO

extension PostgresStore {
    /// Runs looked at per rule and pass.
    static let runsPerPass = 100

    /// One retention pass in its own transaction, holding the head lock like an append (it
    /// changes runs' counts), deleting at most about `limit` events.
    static func prune(
        _ policy: RetentionPolicy, now: Timestamp, limit: Int, connections: Connections, logger: Logger
    ) async -> Result<PruneResult, HeraldError> {
        do {
            return .success(
                try await connections.transaction(logger: logger) { connection in
                    try await connection.perform("SELECT 1 FROM head FOR UPDATE", logger: logger)
                    var pass = PrunePass(budget: max(limit, 1), connection: connection, logger: logger)
                    for (project, rule) in rules(policy) where pass.budget > 0 {
                        if let maxAge = rule.maxAge {
                            let cutoff = now.microseconds - Int64(maxAge.components.seconds) * 1_000_000
                            try await pass.pruneRuns(condition: "updated_at < \(cutoff)", project: project, keep: 0)
                        }
                        if let maxEvents = rule.maxEventsPerRun, pass.budget > 0 {
                            try await pass.pruneRuns(condition: "event_count > \(maxEvents)", project: project, keep: Int64(maxEvents))
                        }
                    }
                    return pass.result
                }
            )
        } catch {
            return .failure(unavailable(error, "delete what retention no longer keeps", logger: logger))
        }
    }

    /// Which runs each rule covers: a project's own rule, then the default for every other project.
    enum RuleScope {
        case project(String)
        case allBut([String])
    }

    static func rules(_ policy: RetentionPolicy) -> [(RuleScope, RetentionRule)] {
        var rules: [(RuleScope, RetentionRule)] = policy.projects.sorted { $0.key < $1.key }.map { (.project($0.key), $0.value) }
        if let rule = policy.defaultRule { rules.append((.allBut(policy.projects.keys.sorted()), rule)) }
        return rules
    }

    private struct PrunePass {
        var budget: Int
        let connection: PostgresConnection
        let logger: Logger
        var result = PruneResult()

        /// Trims each matching run to its newest `keep` events; a run trimmed to none is deleted.
        /// `condition` holds only integers this code wrote; the projects are bound.
        mutating func pruneRuns(condition: String, project: RuleScope, keep: Int64) async throws {
            var bindings = PostgresBindings()
            let projectCondition: String
            switch project {
            case .project(let name):
                bindings.append(name)
                projectCondition = "project = $1"
            case .allBut(let names):
                bindings.append(names)
                projectCondition = "NOT (project = ANY($1))"
            }
            let rows = try await connection.query(
                PostgresQuery(
                    unsafeSQL: """
                        SELECT run_key, run, first_seq, last_seq FROM runs WHERE \(condition) AND \(projectCondition)
                        ORDER BY run_key LIMIT \(runsPerPass)
                        """,
                    binds: bindings
                ),
                logger: logger
            ).collect()
            if rows.count == runsPerPass { result.isComplete = false }
            for row in rows {
                guard budget > 0 else {
                    result.isComplete = false
                    return
                }
                let (key, _, firstSeq, lastSeq) = try row.decode((Int64, String, Int64, Int64).self)
                let target = lastSeq - keep
                let through = min(target, firstSeq - 1 + Int64(budget))
                let deleted = try await deleteEvents(runKey: key, throughSeq: through)
                budget -= deleted
                result.eventsDeleted += deleted
                if through < target {
                    result.isComplete = false
                } else if keep == 0 {
                    try await connection.perform("DELETE FROM run_facets WHERE run_key = \(key)", logger: logger)
                    try await connection.perform("DELETE FROM runs WHERE run_key = \(key)", logger: logger)
                    result.runsDeleted += 1
                }
            }
        }

        /// Deletes a run's events up to `throughSeq` with their causal links and facet counts.
        private func deleteEvents(runKey: Int64, throughSeq: Int64) async throws -> Int {
            try await connection.perform(
                """
                UPDATE run_facets f SET count = f.count - d.n
                FROM (SELECT type, COALESCE(agent, '') AS agent, level, COUNT(*) AS n FROM events
                      WHERE run_key = \(runKey) AND seq <= \(throughSeq) GROUP BY 1, 2, 3) d
                WHERE f.run_key = \(runKey) AND f.type = d.type AND f.agent = d.agent AND f.level = d.level
                """,
                logger: logger
            )
            try await connection.perform("DELETE FROM run_facets WHERE run_key = \(runKey) AND count <= 0", logger: logger)
            try await connection.perform(
                """
                DELETE FROM causes WHERE run_key = \(runKey)
                    AND pos IN (SELECT pos FROM events WHERE run_key = \(runKey) AND seq <= \(throughSeq))
                """,
                logger: logger
            )
            let deleted = try await connection.query(
                """
                WITH gone AS (DELETE FROM events WHERE run_key = \(runKey) AND seq <= \(throughSeq) RETURNING 1)
                SELECT COUNT(*) FROM gone
                """,
                logger: logger
            ).collect().first?.decode(Int64.self) ?? 0
            try await connection.perform(
                """
                UPDATE runs SET event_count = event_count - \(deleted), first_seq = GREATEST(first_seq, \(throughSeq) + 1)
                WHERE run_key = \(runKey)
                """,
                logger: logger
            )
            return Int(deleted)
        }
    }
}
#endif
