import GRDB
import HeraldCore

/// Retention in SQLite: deletes what a ``RetentionPolicy`` no longer keeps, a bounded number
/// of events per pass. Runs on the writer's queue, between group commits, in its own
/// transaction; the writer then forgets the runs it touched (their cached counts changed).
struct Pruner {
    let policy: RetentionPolicy
    let now: Timestamp
    var budget: Int
    private(set) var result = PruneResult()
    private(set) var touchedRuns: [RunRef] = []

    /// Runs looked at per rule and pass.
    static let runsPerPass = 100

    init(policy: RetentionPolicy, now: Timestamp, limit: Int) {
        self.policy = policy
        self.now = now
        self.budget = max(limit, 1)
    }

    mutating func run(_ db: Database) throws {
        for (condition, arguments, rule) in rules() where budget > 0 {
            if let maxAge = rule.maxAge {
                let cutoff = now.microseconds - Int64(maxAge.components.seconds) * 1_000_000
                try pruneRuns(db, condition: "updated_at < ? AND \(condition)", arguments: [cutoff] + arguments, keep: 0)
            }
            if let maxEvents = rule.maxEventsPerRun, budget > 0 {
                try pruneRuns(db, condition: "event_count > ? AND \(condition)", arguments: [maxEvents] + arguments, keep: Int64(maxEvents))
            }
        }
    }

    /// Each project's own rule, then the default rule for every other project.
    private func rules() -> [(String, StatementArguments, RetentionRule)] {
        var rules: [(String, StatementArguments, RetentionRule)] = policy.projects.sorted { $0.key < $1.key }.map {
            ("project = ?", [$0.key], $0.value)
        }
        if let rule = policy.defaultRule {
            let others = policy.projects.keys.sorted()
            let condition = others.isEmpty ? "1" : "project NOT IN (\(others.map { _ in "?" }.joined(separator: ",")))"
            rules.append((condition, StatementArguments(others), rule))
        }
        return rules
    }

    /// Trims each matching run to its newest `keep` events; a run trimmed to none is deleted.
    private mutating func pruneRuns(_ db: Database, condition: String, arguments: StatementArguments, keep: Int64) throws {
        let rows = try Row.fetchAll(
            db, sql: "SELECT run_key, project, run, first_seq, last_seq FROM runs WHERE \(condition) ORDER BY run_key LIMIT \(Self.runsPerPass)",
            arguments: arguments
        )
        if rows.count == Self.runsPerPass { result.isComplete = false }
        for row in rows {
            guard budget > 0 else {
                result.isComplete = false
                return
            }
            let (key, ref, firstSeq, lastSeq): (Int64, RunRef, Int64, Int64) = (row[0], RunRef(project: row[1], run: row[2]), row[3], row[4])
            let target = lastSeq - keep
            let through = min(target, firstSeq - 1 + Int64(budget))
            let deleted = try deleteEvents(db, runKey: key, throughSeq: through)
            budget -= deleted
            result.eventsDeleted += deleted
            touchedRuns.append(ref)
            if through < target {
                result.isComplete = false
            } else if keep == 0 {
                try db.execute(sql: "DELETE FROM run_facets WHERE run_key = ?", arguments: [key])
                try db.execute(sql: "DELETE FROM runs WHERE run_key = ?", arguments: [key])
                result.runsDeleted += 1
            }
        }
    }

    /// Deletes a run's events up to `throughSeq` with their causal links and facet counts.
    private func deleteEvents(_ db: Database, runKey: Int64, throughSeq: Int64) throws -> Int {
        let facets = try Row.fetchAll(
            db,
            sql: "SELECT type, COALESCE(agent, ''), level, COUNT(*) FROM events WHERE run_key = ? AND seq <= ? GROUP BY 1, 2, 3",
            arguments: [runKey, throughSeq]
        )
        for facet in facets {
            try db.execute(
                sql: "UPDATE run_facets SET count = count - ? WHERE run_key = ? AND type = ? AND agent = ? AND level = ?",
                arguments: [facet[3] as Int64, runKey, facet[0] as String, facet[1] as String, facet[2] as Int64]
            )
        }
        try db.execute(sql: "DELETE FROM run_facets WHERE run_key = ? AND count <= 0", arguments: [runKey])
        try db.execute(
            sql: "DELETE FROM causes WHERE run_key = ? AND pos IN (SELECT pos FROM events WHERE run_key = ? AND seq <= ?)",
            arguments: [runKey, runKey, throughSeq]
        )
        try db.execute(sql: "DELETE FROM events WHERE run_key = ? AND seq <= ?", arguments: [runKey, throughSeq])
        let deleted = db.changesCount
        try db.execute(
            sql: "UPDATE runs SET event_count = event_count - ?, first_seq = MAX(first_seq, ? + 1) WHERE run_key = ?",
            arguments: [deleted, throughSeq, runKey]
        )
        return deleted
    }
}
