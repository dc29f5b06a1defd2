#if PostgreSQL
import HeraldCore
import Logging
import NIOCore
import PostgresNIO

extension PostgresStore {
    static let eventColumns =
        "e.pos, e.seq, e.id, e.type, e.level, e.agent, e.turn, e.time, e.caused_by, e.body, r.run, r.project, e.project_pos"

    public func run(_ run: RunRef) async throws(HeraldError) -> Run? {
        try await rows("SELECT \(Self.runColumns) FROM runs WHERE project = $1 AND run = $2", [.text(run.project), .text(run.run)]).first
            .map { row throws(HeraldError) in try placedRun(row).run }
    }

    public func runs(named name: String, in scope: ProjectScope, limit: Int) async throws(HeraldError) -> [Run] {
        var bindings = PostgresBindings()
        bindings.append(name)
        var projectClause = ""
        if case .only(let projects) = scope {
            guard !projects.isEmpty else { return [] }
            bindings.append(projects.sorted())
            projectClause = "AND project = ANY($2)"
        }
        var runs: [Run] = []
        for row in try await rows(
            PostgresQuery(unsafeSQL: "SELECT \(Self.runColumns) FROM runs WHERE run = $1 \(projectClause) LIMIT \(limit)", binds: bindings)
        ) {
            runs.append(try placedRun(row).run)
        }
        return runs
    }

    public func runs(_ query: RunQuery) async throws(HeraldError) -> RunPage {
        var conditions = ["run <> ''"]  // a project's own events are no run (RunRef.projectLevel)
        var values: [FilterClause.Value] = []
        func bind(_ value: FilterClause.Value) -> String {
            values.append(value)
            return "$\(values.count)"
        }
        switch query.status {
        case .any: break
        case .active: conditions.append("status IN ('queued', 'running')")
        case .only(let status): conditions.append("status = \(bind(.text(status.rawValue)))")
        }
        if let project = query.project { conditions.append("project = \(bind(.text(project)))") }
        if let receivedBefore = query.receivedBefore { conditions.append("received_at < \(bind(.integer(receivedBefore.microseconds)))") }
        if let cursor = query.cursor {
            let parts = cursor.split(separator: "_")
            guard parts.count == 2, let updated = Int64(parts[0]), let key = Int64(parts[1]) else {
                throw HeraldError(.invalidParameter, "cursor is not one this server gave out")
            }
            conditions.append("(updated_at, run_key) < (\(bind(.integer(updated))), \(bind(.integer(key))))")
        }
        let whereClause = "WHERE " + conditions.joined(separator: " AND ")
        let sql = "SELECT \(Self.runColumns) FROM runs \(whereClause) ORDER BY updated_at DESC, run_key DESC LIMIT \(query.limit + 1)"
        do {
            return try await connections.query(PostgresQuery(unsafeSQL: sql, binds: Self.bindings(values)), logger: logger) { rows in
                var budget = PageBudget(limit: query.limit, maxBytes: query.maxBytes)
                var runs: [EventPlacer.PlacedRun] = []
                for try await row in rows {
                    let placed = try Self.runFrom(row)
                    guard budget.admit(placed.run.pageBytes) else {
                        // The run that did not fit shows that more follow.
                        return RunPage(runs: runs.map(\.run), nextCursor: runs.last.map { "\($0.run.updatedAt.microseconds)_\($0.key)" })
                    }
                    runs.append(placed)
                }
                return RunPage(runs: runs.map(\.run), nextCursor: nil)
            }
        } catch {
            throw Self.unavailable(error, "be read", logger: logger)
        }
    }

    public func projects(limit: Int) async throws(HeraldError) -> [ProjectSummary] {
        let sql = """
            SELECT project, COUNT(*) FILTER (WHERE run <> ''), COUNT(*) FILTER (WHERE run <> '' AND status IN ('queued', 'running')),
                MAX(updated_at)
            FROM runs GROUP BY project ORDER BY MAX(updated_at) DESC, project LIMIT \(limit)
            """
        do {
            return try await connections.query(PostgresQuery(unsafeSQL: sql, binds: PostgresBindings()), logger: logger) { rows in
                var projects: [ProjectSummary] = []
                for try await row in rows {
                    let (project, runs, active, updated) = try row.decode((String, Int64, Int64, Int64).self)
                    projects.append(ProjectSummary(project: project, runs: runs, activeRuns: active, updatedAt: Timestamp(microseconds: updated)))
                }
                return projects
            }
        } catch {
            throw Self.unavailable(error, "be read", logger: logger)
        }
    }

    /// One page of a run's events between `after` and `before` (both excluded), with the
    /// filtered total.
    public func events(
        run: RunRef, filter: EventFilter, after: Int64, before: Int64, newestFirst: Bool, limit: Int, maxBytes: Int
    ) async throws(HeraldError) -> EventPage {
        let order = newestFirst ? "DESC" : "ASC"
        guard
            let runRow = try await rows(
                "SELECT run_key, event_count FROM runs WHERE project = $1 AND run = $2", [.text(run.project), .text(run.run)]
            ).first
        else {
            throw HeraldError(.runNotFound, "run \(run.run) not found")
        }
        let (key, eventCount) = try decode(runRow, as: (Int64, Int64).self)
        let clause = FilterClause(filter) { "$\($0 + 4)" }
        let page = try await events(
            """
            SELECT \(Self.eventColumns) FROM events e JOIN runs r ON r.run_key = e.run_key
            WHERE e.run_key = $1 AND e.seq > $2 AND e.seq < $3 \(clause.sql) ORDER BY e.seq \(order) LIMIT \(limit + 1)
            """,
            [.integer(key), .integer(after), .integer(before)] + clause.values, budget: PageBudget(limit: limit, maxBytes: maxBytes)
        )
        let total: Int64
        let countClause = FilterClause(filter) { "$\($0 + 2)" }
        if filter.isEmpty {
            total = eventCount
        } else if FilterClause.countsFromFacets(filter) {
            total = try await scalar("SELECT COALESCE(SUM(e.count), 0)::BIGINT FROM run_facets e WHERE e.run_key = $1 \(countClause.sql)", [.integer(key)] + countClause.values)
        } else {
            total = try await scalar("SELECT COUNT(*) FROM events e WHERE e.run_key = $1 \(countClause.sql)", [.integer(key)] + countClause.values)
        }
        return EventPage(events: newestFirst ? page.events.reversed() : page.events, total: total, hasMore: page.hasMore)
    }

    public func events(
        project: String, filter: EventFilter, afterPosition: Int64, limit: Int, maxBytes: Int
    ) async throws(HeraldError) -> EventSlice {
        let clause = FilterClause(filter) { "$\($0 + 3)" }
        return try await events(
            """
            SELECT \(Self.eventColumns) FROM events e JOIN runs r ON r.run_key = e.run_key
            WHERE e.project_key = (SELECT project_key FROM projects WHERE project = $1) AND e.project_pos > $2 \(clause.sql)
            ORDER BY e.project_pos LIMIT \(limit + 1)
            """,
            [.text(project), .integer(afterPosition)] + clause.values, budget: PageBudget(limit: limit, maxBytes: maxBytes)
        )
    }

    /// Events of every project in store-wide position order after `afterPosition`: what the
    /// commit feed hands to this replica's streams.
    func events(afterPosition: Int64, limit: Int) async throws(HeraldError) -> EventSlice {
        try await events(
            """
            SELECT \(Self.eventColumns) FROM events e JOIN runs r ON r.run_key = e.run_key
            WHERE e.pos > $1 ORDER BY e.pos LIMIT \(limit + 1)
            """,
            [.integer(afterPosition)], budget: PageBudget(limit: limit)
        )
    }

    /// Events of `run` (bound as $1, $2) and a condition on `e`, through the project's id index.
    private static let runEventsSQL = """
        SELECT \(eventColumns) FROM events e JOIN runs r ON r.run_key = e.run_key
        WHERE e.project_key = (SELECT project_key FROM projects WHERE project = $1) AND r.project = $1 AND r.run = $2
        """

    public func event(run: RunRef, id: String) async throws(HeraldError) -> Event? {
        try await events("\(Self.runEventsSQL) AND e.id = $3", [.text(run.project), .text(run.run), .text(id)], budget: PageBudget(limit: 1))
            .events.first
    }

    public func events(run: RunRef, ids: [String], maxBytes: Int) async throws(HeraldError) -> EventSlice {
        guard !ids.isEmpty else { return EventSlice(events: [], hasMore: false) }
        var bindings = PostgresBindings()
        bindings.append(run.project)
        bindings.append(run.run)
        bindings.append(ids)
        // No ORDER BY, as in the SQLite store: the events kept are sorted here.
        var slice = try await events(
            PostgresQuery(
                unsafeSQL: "\(Self.runEventsSQL) AND e.id = ANY($3)",
                binds: bindings
            ),
            budget: PageBudget(limit: ids.count, maxBytes: maxBytes)
        )
        slice.events.sort { $0.seq < $1.seq }
        return slice
    }

    public func effects(run: RunRef, of ids: [String], limit: Int, maxBytes: Int) async throws(HeraldError) -> EventSlice {
        guard !ids.isEmpty else { return EventSlice(events: [], hasMore: false) }
        var bindings = PostgresBindings()
        bindings.append(run.project)
        bindings.append(run.run)
        bindings.append(ids)
        // Within a run, position order is seq order.
        return try await events(
            PostgresQuery(
                unsafeSQL: """
                    SELECT \(Self.eventColumns) FROM events e JOIN runs r ON r.run_key = e.run_key
                    WHERE r.project = $1 AND r.run = $2 AND e.pos IN (SELECT c.pos FROM causes c WHERE c.cause_id = ANY($3))
                    ORDER BY e.pos LIMIT \(limit + 1)
                    """,
                binds: bindings
            ),
            budget: PageBudget(limit: limit, maxBytes: maxBytes)
        )
    }

    public func storedIds(run: RunRef, among ids: [String]) async throws(HeraldError) -> Set<String> {
        guard !ids.isEmpty else { return [] }
        var bindings = PostgresBindings()
        bindings.append(run.project)
        bindings.append(run.run)
        bindings.append(ids)
        let rows = try await rows(
            PostgresQuery(
                unsafeSQL: """
                    SELECT e.id FROM events e JOIN runs r ON r.run_key = e.run_key
                    WHERE e.project_key = (SELECT project_key FROM projects WHERE project = $1) AND r.project = $1 AND r.run = $2
                        AND e.id = ANY($3)
                    """,
                binds: bindings
            )
        )
        var stored = Set<String>()
        for row in rows { stored.insert(try decode(row, as: String.self)) }
        return stored
    }

    public func lastPosition() async throws(HeraldError) -> Int64 {
        try await scalar("SELECT last_pos FROM head", [])
    }

    public func lastPosition(project: String) async throws(HeraldError) -> Int64 {
        try await scalar("SELECT last_pos FROM projects WHERE project = $1", [.text(project)])
    }

    public func storedBytes() async throws(HeraldError) -> Int64 {
        try await scalar("SELECT pg_database_size(current_database())", [])
    }

    // MARK: Helpers

    private func events(_ sql: String, _ values: [FilterClause.Value], budget: PageBudget) async throws(HeraldError) -> EventSlice {
        try await events(PostgresQuery(unsafeSQL: sql, binds: Self.bindings(values)), budget: budget)
    }

    /// Runs an event query (selecting ``eventColumns``), decoding rows as they arrive and
    /// stopping at the first one `budget` does not admit: `hasMore` is then true.
    private func events(_ query: PostgresQuery, budget: PageBudget) async throws(HeraldError) -> EventSlice {
        do {
            return try await connections.query(query, logger: logger) { rows in
                var budget = budget
                var events: [Event] = []
                for try await row in rows {
                    let (position, seq, id, type, level, agent, turn, time, causedBy, body, run, project, projectPosition) = try row.decode(
                        (Int64, Int64, String, String, Int64, String?, Int64?, Int64, String?, ByteBuffer, String, String, Int64).self
                    )
                    guard budget.admit(Event.pageBytes(json: body.readableBytes)) else { return EventSlice(events: events, hasMore: true) }
                    events.append(
                        Event(
                            position: position, projectPosition: projectPosition, id: id, project: project, run: run, seq: seq, type: type,
                            level: Level(rawValue: Int(level)) ?? .action, time: Timestamp(microseconds: time), agent: agent, turn: turn,
                            causedBy: causedBy.map { $0.split(separator: ",").map(String.init) } ?? [], json: Array(body.readableBytesView)
                        )
                    )
                }
                return EventSlice(events: events, hasMore: false)
            }
        } catch {
            throw Self.unavailable(error, "be read", logger: logger)
        }
    }

    private func placedRun(_ row: PostgresRow) throws(HeraldError) -> EventPlacer.PlacedRun {
        do {
            return try Self.runFrom(row)
        } catch {
            throw Self.unavailable(error, "decode a run", logger: logger)
        }
    }

    private func scalar(_ sql: String, _ values: [FilterClause.Value]) async throws(HeraldError) -> Int64 {
        guard let row = try await rows(sql, values).first else { return 0 }
        return try decode(row, as: Int64.self)
    }

    func rows(_ sql: String, _ values: [FilterClause.Value]) async throws(HeraldError) -> [PostgresRow] {
        try await rows(PostgresQuery(unsafeSQL: sql, binds: Self.bindings(values)))
    }

    /// Runs a read on a pooled connection, mapping failures to ``HeraldError``.
    func rows(_ query: PostgresQuery) async throws(HeraldError) -> [PostgresRow] {
        do {
            return try await connections.query(query, logger: logger)
        } catch {
            throw Self.unavailable(error, "be read", logger: logger)
        }
    }

    private func decode<each T: PostgresDecodable>(_ row: PostgresRow, as type: (repeat each T).Type) throws(HeraldError) -> (repeat each T) {
        do {
            return try row.decode(type)
        } catch {
            throw Self.unavailable(error, "decode a row", logger: logger)
        }
    }

    static func bindings(_ values: [FilterClause.Value]) -> PostgresBindings {
        var bindings = PostgresBindings(capacity: values.count)
        for value in values {
            switch value {
            case .text(let text): bindings.append(text)
            case .integer(let integer): bindings.append(integer)
            }
        }
        return bindings
    }
}
#endif
