import Foundation
import GRDB
import HeraldCore

extension SQLiteStore {
    static let eventColumns =
        "e.pos, e.seq, e.id, e.type, e.level, e.agent, e.turn, e.time, e.caused_by, e.body, r.run, r.project, e.project_pos"

    public func run(_ run: RunRef) async throws(HeraldError) -> Run? {
        try await read { db in
            try Row.fetchOne(
                db, sql: "SELECT \(RunRow.columns) FROM runs WHERE project = ? AND run = ?", arguments: [run.project, run.run]
            ).map(RunRow.run(from:))
        }
    }

    public func runs(named name: String, in scope: ProjectScope, limit: Int) async throws(HeraldError) -> [Run] {
        var arguments: StatementArguments = [name]
        var projectClause = ""
        if case .only(let projects) = scope {
            guard !projects.isEmpty else { return [] }
            projectClause = "AND project IN (\(Self.marks(projects.count)))"
            arguments += StatementArguments(projects.sorted())
        }
        arguments += [limit]
        return try await read { [arguments, projectClause] db in
            try Row.fetchAll(
                db, sql: "SELECT \(RunRow.columns) FROM runs WHERE run = ? \(projectClause) LIMIT ?", arguments: arguments
            ).map(RunRow.run(from:))
        }
    }

    public func runs(_ query: RunQuery) async throws(HeraldError) -> RunPage {
        var conditions = ["run <> ''"]  // a project's own events are no run (RunRef.projectLevel)
        var arguments: StatementArguments = []
        switch query.status {
        case .any: break
        case .active: conditions.append("status IN ('queued', 'running')")
        case .only(let status):
            conditions.append("status = ?")
            arguments += [status.rawValue]
        }
        if let project = query.project {
            conditions.append("project = ?")
            arguments += [project]
        }
        if let receivedBefore = query.receivedBefore {
            conditions.append("received_at < ?")
            arguments += [receivedBefore.microseconds]
        }
        if let cursor = query.cursor {
            let parts = cursor.split(separator: "_")
            guard parts.count == 2, let updated = Int64(parts[0]), let key = Int64(parts[1]) else {
                throw HeraldError(.invalidParameter, "cursor is not one this server gave out")
            }
            conditions.append("(updated_at, run_key) < (?, ?)")
            arguments += [updated, key]
        }
        let whereClause = "WHERE " + conditions.joined(separator: " AND ")
        let limit = query.limit
        arguments += [limit + 1]
        return try await read { [arguments] db in
            var budget = PageBudget(limit: limit, maxBytes: query.maxBytes)
            var runs: [Run] = []
            var lastKey: Int64 = 0
            let rows = try Row.fetchCursor(
                db, sql: "SELECT \(RunRow.columns) FROM runs \(whereClause) ORDER BY updated_at DESC, run_key DESC LIMIT ?",
                arguments: arguments
            )
            while let row = try rows.next() {
                let run = RunRow.run(from: row)
                guard budget.admit(run.pageBytes) else {
                    // The run that did not fit shows that more follow.
                    return RunPage(runs: runs, nextCursor: runs.last.map { "\($0.updatedAt.microseconds)_\(lastKey)" })
                }
                runs.append(run)
                lastKey = row["run_key"]
            }
            return RunPage(runs: runs, nextCursor: nil)
        }
    }

    public func projects(limit: Int) async throws(HeraldError) -> [ProjectSummary] {
        try await read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT project, SUM(run <> '') AS runs, SUM(run <> '' AND status IN ('queued', 'running')) AS active,
                        MAX(updated_at) AS updated
                    FROM runs GROUP BY project ORDER BY updated DESC, project LIMIT ?
                    """,
                arguments: [limit]
            ).map { row in
                ProjectSummary(
                    project: row["project"], runs: row["runs"], activeRuns: row["active"], updatedAt: Timestamp(microseconds: row["updated"])
                )
            }
        }
    }

    /// One page of a run's events between `after` and `before` (both excluded), with the
    /// filtered total.
    public func events(
        run: RunRef, filter: EventFilter, after: Int64, before: Int64, newestFirst: Bool, limit: Int, maxBytes: Int
    ) async throws(HeraldError) -> EventPage {
        let order = newestFirst ? "DESC" : "ASC"
        let clause = FilterSQL(filter)
        return try await read { db in
            guard
                let runRow = try Row.fetchOne(
                    db, sql: "SELECT run_key, event_count FROM runs WHERE project = ? AND run = ?", arguments: [run.project, run.run]
                )
            else {
                throw HeraldError(.runNotFound, "run \(run.run) not found")
            }
            let key: Int64 = runRow["run_key"]
            var arguments: StatementArguments = [key, after, before]
            arguments += clause.arguments
            arguments += [limit + 1]
            var budget = PageBudget(limit: limit, maxBytes: maxBytes)
            let page = try Self.fetchEvents(
                db,
                sql: """
                    SELECT \(Self.eventColumns) FROM events e JOIN runs r ON r.run_key = e.run_key
                    WHERE e.run_key = ? AND e.seq > ? AND e.seq < ? \(clause.sql) ORDER BY e.seq \(order) LIMIT ?
                    """,
                arguments: arguments, cached: filter.isEmpty, budget: &budget
            )
            let total: Int64
            var countArguments: StatementArguments = [key]
            countArguments += clause.arguments
            if filter.isEmpty {
                total = runRow["event_count"]
            } else if FilterClause.countsFromFacets(filter) {
                // Types, agents and level only: a sum over the run's facet counts.
                total = try Int64.fetchOne(
                    db, sql: "SELECT COALESCE(SUM(e.count), 0) FROM run_facets e WHERE e.run_key = ? \(clause.sql)",
                    arguments: countArguments
                ) ?? 0
            } else {
                total = try Int64.fetchOne(
                    db, sql: "SELECT COUNT(*) FROM events e WHERE e.run_key = ? \(clause.sql)", arguments: countArguments
                ) ?? 0
            }
            return EventPage(events: newestFirst ? page.events.reversed() : page.events, total: total, hasMore: page.hasMore)
        }
    }

    public func events(
        project: String, filter: EventFilter, afterPosition: Int64, limit: Int, maxBytes: Int
    ) async throws(HeraldError) -> EventSlice {
        let clause = FilterSQL(filter)
        var arguments: StatementArguments = [project, afterPosition]
        arguments += clause.arguments
        arguments += [limit + 1]
        return try await read { [arguments] db in
            var budget = PageBudget(limit: limit, maxBytes: maxBytes)
            return try Self.fetchEvents(
                db,
                sql: """
                    SELECT \(Self.eventColumns) FROM events e JOIN runs r ON r.run_key = e.run_key
                    WHERE e.project_key = (SELECT project_key FROM projects WHERE project = ?) AND e.project_pos > ? \(clause.sql)
                    ORDER BY e.project_pos LIMIT ?
                    """,
                arguments: arguments, cached: filter.isEmpty, budget: &budget
            )
        }
    }

    /// Events of `run` matching `condition` (on `e`), through the project's id index.
    private static let runEventsSQL = """
        SELECT \(eventColumns) FROM events e JOIN runs r ON r.run_key = e.run_key
        WHERE e.project_key = (SELECT project_key FROM projects WHERE project = ?) AND r.project = ? AND r.run = ?
        """

    public func event(run: RunRef, id: String) async throws(HeraldError) -> Event? {
        try await read { db in
            var budget = PageBudget(limit: 1)
            return try Self.fetchEvents(
                db, sql: "\(Self.runEventsSQL) AND e.id = ?", arguments: [run.project, run.project, run.run, id], cached: true,
                budget: &budget
            ).events.first
        }
    }

    public func events(run: RunRef, ids: [String], maxBytes: Int) async throws(HeraldError) -> EventSlice {
        guard !ids.isEmpty else { return EventSlice(events: [], hasMore: false) }
        var arguments: StatementArguments = [run.project, run.project, run.run]
        arguments += StatementArguments(ids)
        return try await read { [arguments] db in
            // No ORDER BY: SQLite would sort whole rows, bodies included, before the budget
            // could stop it. Rows come in id order; the events kept are sorted here.
            var budget = PageBudget(limit: ids.count, maxBytes: maxBytes)
            var slice = try Self.fetchEvents(
                db,
                sql: "\(Self.runEventsSQL) AND e.id IN (\(Self.marks(ids.count)))",
                arguments: arguments, cached: false, budget: &budget
            )
            slice.events.sort { $0.seq < $1.seq }
            return slice
        }
    }

    public func effects(run: RunRef, of ids: [String], limit: Int, maxBytes: Int) async throws(HeraldError) -> EventSlice {
        guard !ids.isEmpty else { return EventSlice(events: [], hasMore: false) }
        var arguments = StatementArguments(ids)
        arguments += [run.project, run.run, limit + 1]
        return try await read { [arguments] db in
            // Within a run, position order is seq order. CROSS JOIN keeps events the outer loop:
            // SQLite then looks the positions up in order, each once, instead of scanning the
            // run and sorting whole rows.
            var budget = PageBudget(limit: limit, maxBytes: maxBytes)
            return try Self.fetchEvents(
                db,
                sql: """
                    SELECT \(Self.eventColumns) FROM events e CROSS JOIN runs r ON r.run_key = e.run_key
                    WHERE e.pos IN (SELECT c.pos FROM causes c WHERE c.cause_id IN (\(Self.marks(ids.count)))) AND r.project = ? AND r.run = ?
                    ORDER BY e.pos LIMIT ?
                    """,
                arguments: arguments, cached: false, budget: &budget
            )
        }
    }

    public func storedIds(run: RunRef, among ids: [String]) async throws(HeraldError) -> Set<String> {
        guard !ids.isEmpty else { return [] }
        var arguments: StatementArguments = [run.project, run.project, run.run]
        arguments += StatementArguments(ids)
        return try await read { [arguments] db in
            let statement = try db.makeStatement(
                sql: """
                    SELECT e.id FROM events e JOIN runs r ON r.run_key = e.run_key
                    WHERE e.project_key = (SELECT project_key FROM projects WHERE project = ?) AND r.project = ? AND r.run = ?
                        AND e.id IN (\(Self.marks(ids.count)))
                    """
            )
            return Set(try String.fetchAll(statement, arguments: arguments))
        }
    }

    public func lastPosition() async throws(HeraldError) -> Int64 {
        try await read { db in try Int64.fetchOne(db, sql: "SELECT COALESCE(MAX(pos), 0) FROM events") ?? 0 }
    }

    public func lastPosition(project: String) async throws(HeraldError) -> Int64 {
        try await read { db in
            try Int64.fetchOne(db, sql: "SELECT last_pos FROM projects WHERE project = ?", arguments: [project]) ?? 0
        }
    }

    // MARK: Helpers

    /// Runs a read on one of the pool's readers, mapping database errors to ``HeraldError``.
    func read<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws(HeraldError) -> T {
        do {
            return try await pool.read(body)
        } catch let error as HeraldError {
            throw error
        } catch {
            logger.error("store.read.failed", metadata: ["error": "\(error)"])
            // The log has the statement; the answer says what SQLite said, never the SQL.
            let reason = (error as? DatabaseError).map { $0.message ?? "\($0.resultCode)" } ?? "\(error)"
            throw HeraldError(.unavailable, "the store could not be read: \(reason)")
        }
    }

    /// Runs an event query (selecting ``eventColumns``) and decodes its rows straight from
    /// SQLite's C API: replay and query pages read many rows, and GRDB's generic row decoding
    /// costs more than the rest of the read. Stops at the first row `budget` does not admit,
    /// before copying it: `hasMore` is then true.
    ///
    /// - Parameter cached: whether to keep the prepared statement for the next read. Only for
    ///   SQL of a fixed shape: GRDB never evicts a cached statement, so caching every filter's
    ///   or id list's shape would grow memory with each new one (8,000 shapes took 144 MB).
    static func fetchEvents(
        _ db: Database, sql: String, arguments: StatementArguments, cached: Bool, budget: inout PageBudget
    ) throws -> EventSlice {
        let statement = try cached ? db.cachedStatement(sql: sql) : db.makeStatement(sql: sql)
        try statement.setArguments(arguments)
        let row = RawStatement(statement)
        var events: [Event] = []
        while try row.step() {
            guard budget.admit(Event.pageBytes(json: row.byteCount(9))) else {
                row.reset()  // a statement left mid-way would hold its read snapshot
                return EventSlice(events: events, hasMore: true)
            }
            events.append(
                Event(
                    position: row.int64(0), projectPosition: row.int64(12), id: row.text(2) ?? "", project: row.text(11) ?? "", run: row.text(10) ?? "",
                    seq: row.int64(1), type: row.text(3) ?? "", level: Level(rawValue: Int(row.int64(4))) ?? .action,
                    time: Timestamp(microseconds: row.int64(7)), agent: row.text(5), turn: row.optionalInt64(6),
                    causedBy: row.text(8).map { $0.split(separator: ",").map(String.init) } ?? [], json: row.blob(9)
                )
            )
        }
        return EventSlice(events: events, hasMore: false)
    }

    /// `?,?,…`: `count` placeholders.
    static func marks(_ count: Int) -> String {
        Array(repeating: "?", count: count).joined(separator: ",")
    }
}

/// An ``EventFilter``'s condition in SQLite's spelling.
struct FilterSQL {
    let sql: String
    let arguments: StatementArguments

    init(_ filter: EventFilter) {
        let clause = FilterClause(filter) { _ in "?" }
        sql = clause.sql
        arguments = StatementArguments(
            clause.values.map { value -> any DatabaseValueConvertible in
                switch value {
                case .text(let text): text
                case .integer(let integer): integer
                }
            }
        )
    }
}
