#if PostgreSQL
import HeraldCore
import Logging
import NIOCore
import PostgresNIO

extension PostgresStore {
    static let runColumns =
        "run_key, run, project, name, status, started_at, updated_at, finished_at, event_count, first_seq, last_seq, last_pos, agents, received_at"

    /// Writes a group of requests in one transaction. Each request is placed (or refused) as
    /// a whole by ``EventPlacer`` while this transaction holds the head lock; the accepted ones
    /// are written with one statement per table.
    static func append(
        _ requests: [AppendRequest], connections: Connections, ids: ULIDGenerator, logger: Logger, feed: CommitFeed
    ) async -> [Result<AppendResult, HeraldError>] {
        do {
            let (results, wrote) = try await connections.transaction(logger: logger) { connection in
                try await place(requests, on: connection, ids: ids, logger: logger)
            }
            if wrote { feed.wake() }
            return results
        } catch {
            let failure = unavailable(error, "commit", logger: logger)
            return requests.map { _ in .failure(failure) }
        }
    }

    /// Places and writes; answers each request's result and whether anything was written.
    private static func place(
        _ requests: [AppendRequest], on connection: PostgresConnection, ids: ULIDGenerator, logger: Logger
    ) async throws -> ([Result<AppendResult, HeraldError>], Bool) {
        // The head lock: from here to COMMIT this transaction is the cluster's only writer.
        let head = try await connection.query("SELECT last_pos, last_run_key, last_project_key FROM head FOR UPDATE", logger: logger)
            .collect().first!.decode((Int64, Int64, Int64).self)

        // What the placer will ask about: the projects, runs and stored ids this batch names.
        let drafts = requests.flatMap(\.drafts)
        var projects: [String: EventPlacer.PlacedProject] = [:]
        let projectRows = try await connection.query(
            "SELECT project, project_key, last_pos FROM projects WHERE project = ANY(\(Array(Set(drafts.map(\.project)))))", logger: logger
        )
        for try await (name, key, lastPosition) in projectRows.decode((String, Int64, Int64).self) {
            projects[name] = EventPlacer.PlacedProject(key: key, lastPosition: lastPosition)
        }
        // Ids are looked up only in their own project (one that has no events stores none).
        var stored: [String: [String: AppendResult.Placement]] = [:]
        let keyedIds = drafts.compactMap { draft in draft.id.flatMap { id in projects[draft.project].map { ($0.key, id) } } }
        if !keyedIds.isEmpty {
            let rows = try await connection.query(
                """
                SELECT p.project, e.id, r.run, e.seq FROM events e JOIN runs r ON r.run_key = e.run_key
                    JOIN projects p ON p.project_key = e.project_key
                WHERE (e.project_key, e.id) IN (SELECT * FROM unnest(\(keyedIds.map(\.0)), \(keyedIds.map(\.1))))
                """,
                logger: logger
            )
            for try await (project, id, run, seq) in rows.decode((String, String, String, Int64).self) {
                stored[project, default: [:]][id] = AppendResult.Placement(id: id, run: run, seq: seq, duplicate: true)
            }
        }
        var runs: [RunRef: EventPlacer.PlacedRun] = [:]
        let refs = Array(Set(drafts.map(\.runRef)))
        let rows = try await connection.query(
            """
            SELECT \(unescaped: runColumns) FROM runs
            WHERE (project, run) IN (SELECT * FROM unnest(\(refs.map(\.project)), \(refs.map(\.run))))
            """,
            logger: logger
        )
        for try await row in rows {
            let placed = try runFrom(row)
            runs[placed.run.ref] = placed
        }

        var placer = EventPlacer(
            lastPosition: head.0, lastRunKey: head.1, lastProjectKey: head.2, ids: ids,
            storedPlacement: { project, id in stored[project]?[id] }, storedRun: { runs[$0] }, storedProject: { projects[$0] }
        )
        var results: [Result<AppendResult, HeraldError>] = []
        var events: [EventPlacer.NewEvent] = []
        for request in requests {
            switch try placer.place(request) {
            case .failure(let refusal): results.append(.failure(refusal))
            case .success(let placement):
                results.append(.success(placement.result))
                events += placement.events
            }
        }
        guard !events.isEmpty else { return (results, false) }

        try await insert(events, on: connection, logger: logger)
        try await upsert(Array(placer.touched.values), on: connection, logger: logger)
        let touchedProjects = Array(placer.touchedProjects)
        try await connection.perform(
            """
            INSERT INTO projects (project_key, project, last_pos)
            SELECT * FROM unnest(\(touchedProjects.map(\.value.key)), \(touchedProjects.map(\.key)), \(touchedProjects.map(\.value.lastPosition)))
            ON CONFLICT (project_key) DO UPDATE SET last_pos = excluded.last_pos
            """,
            logger: logger
        )
        try await connection.perform(
            """
            UPDATE head SET last_pos = \(placer.lastPosition), last_run_key = \(placer.lastRunKey),
                last_project_key = \(placer.lastProjectKey)
            """,
            logger: logger
        )
        // Delivered at COMMIT, to every replica; the payload is only a hint.
        try await connection.perform("SELECT pg_notify(\(channel), \(String(placer.lastPosition)))", logger: logger)
        return (results, true)
    }

    private static func insert(_ events: [EventPlacer.NewEvent], on connection: PostgresConnection, logger: Logger) async throws {
        // Columns as arrays, unnested server-side: one statement for the whole batch. Arrays
        // cannot hold NULL here, so optional values travel with a presence flag.
        var positions: [Int64] = [], runKeys: [Int64] = [], seqs: [Int64] = [], eventIds: [String] = [], types: [String] = []
        var levels: [Int64] = [], agents: [String] = [], hasAgent: [Bool] = [], turns: [Int64] = [], hasTurn: [Bool] = []
        var times: [Int64] = [], causes: [String] = [], bodies: [ByteBuffer] = [], projectKeys: [Int64] = [], projectPositions: [Int64] = []
        var causeIds: [String] = [], causeRunKeys: [Int64] = [], causePositions: [Int64] = []
        var facets: [Facet: Int64] = [:]
        for new in events {
            let (event, key) = (new.event, new.runKey)
            positions.append(event.position)
            projectKeys.append(new.projectKey)
            projectPositions.append(event.projectPosition)
            runKeys.append(key)
            seqs.append(event.seq)
            eventIds.append(event.id)
            types.append(event.type)
            levels.append(Int64(event.level.rawValue))
            agents.append(event.agent ?? "")
            hasAgent.append(event.agent != nil)
            turns.append(event.turn ?? 0)
            hasTurn.append(event.turn != nil)
            times.append(event.time.microseconds)
            causes.append(event.causedBy.joined(separator: ","))
            bodies.append(ByteBuffer(bytes: event.json))
            for cause in event.causedBy {
                causeIds.append(cause)
                causeRunKeys.append(key)
                causePositions.append(event.position)
            }
            facets[Facet(runKey: key, type: event.type, agent: event.agent ?? "", level: Int64(event.level.rawValue)), default: 0] += 1
        }
        try await connection.perform(
            """
            INSERT INTO events (pos, run_key, seq, id, type, level, agent, turn, time, caused_by, body, project_key, project_pos)
            SELECT pos, run_key, seq, id, type, level, CASE WHEN has_agent THEN agent END, CASE WHEN has_turn THEN turn END,
                time, NULLIF(caused_by, ''), body, project_key, project_pos
            FROM unnest(\(positions), \(runKeys), \(seqs), \(eventIds), \(types), \(levels), \(agents), \(hasAgent), \(turns),
                \(hasTurn), \(times), \(causes), \(bodies), \(projectKeys), \(projectPositions))
                AS t(pos, run_key, seq, id, type, level, agent, has_agent, turn, has_turn, time, caused_by, body, project_key, project_pos)
            """,
            logger: logger
        )
        if !causeIds.isEmpty {
            try await connection.perform(
                """
                INSERT INTO causes (cause_id, run_key, pos) SELECT * FROM unnest(\(causeIds), \(causeRunKeys), \(causePositions))
                ON CONFLICT DO NOTHING
                """,
                logger: logger
            )
        }
        let facetList = Array(facets)
        try await connection.perform(
            """
            INSERT INTO run_facets (run_key, type, agent, level, count)
            SELECT * FROM unnest(\(facetList.map(\.key.runKey)), \(facetList.map(\.key.type)), \(facetList.map(\.key.agent)),
                \(facetList.map(\.key.level)), \(facetList.map(\.value)))
            ON CONFLICT (run_key, type, agent, level) DO UPDATE SET count = run_facets.count + excluded.count
            """,
            logger: logger
        )
    }

    private struct Facet: Hashable {
        var runKey: Int64
        var type: String
        var agent: String
        var level: Int64
    }

    /// Writes the runs as the placer left them.
    private static func upsert(_ runs: [EventPlacer.PlacedRun], on connection: PostgresConnection, logger: Logger) async throws {
        // agents travel as one newline-joined text per run (agent names hold no control characters).
        try await connection.perform(
            """
            INSERT INTO runs (run_key, run, project, name, status, started_at, updated_at, finished_at, event_count, first_seq,
                last_seq, last_pos, agents, received_at)
            SELECT run_key, run, project, NULLIF(name, ''), status, started_at, updated_at, CASE WHEN has_finished THEN finished_at END, event_count,
                first_seq, last_seq, last_pos, CASE WHEN agents = '' THEN '{}'::text[] ELSE string_to_array(agents, E'\\n') END, received_at
            FROM unnest(\(runs.map(\.key)), \(runs.map(\.run.run)), \(runs.map(\.run.project)), \(runs.map { $0.run.name ?? "" }),
                \(runs.map(\.run.status.rawValue)), \(runs.map(\.run.startedAt.microseconds)), \(runs.map(\.run.updatedAt.microseconds)),
                \(runs.map { $0.run.finishedAt?.microseconds ?? 0 }), \(runs.map { $0.run.finishedAt != nil }), \(runs.map(\.run.eventCount)), \(runs.map(\.run.firstSeq)),
                \(runs.map(\.run.lastSeq)), \(runs.map(\.run.lastPosition)), \(runs.map { $0.run.agents.joined(separator: "\n") }),
                \(runs.map(\.run.receivedAt.microseconds)))
                AS t(run_key, run, project, name, status, started_at, updated_at, finished_at, has_finished, event_count, first_seq,
                    last_seq, last_pos, agents, received_at)
            ON CONFLICT (run_key) DO UPDATE SET name = excluded.name, status = excluded.status, updated_at = excluded.updated_at,
                finished_at = excluded.finished_at, event_count = excluded.event_count, last_seq = excluded.last_seq,
                last_pos = excluded.last_pos, agents = excluded.agents, received_at = excluded.received_at
            """,
            logger: logger
        )
    }

    /// A row of ``runColumns``.
    static func runFrom(_ row: PostgresRow) throws -> EventPlacer.PlacedRun {
        let (key, name, project, title, status, startedAt, updatedAt, finishedAt, eventCount, firstSeq, lastSeq, lastPosition, agents, receivedAt) =
            try row.decode((Int64, String, String, String?, String, Int64, Int64, Int64?, Int64, Int64, Int64, Int64, [String], Int64).self)
        var run = Run(
            run: name, project: project, name: title, status: RunStatus(rawValue: status) ?? .running,
            startedAt: Timestamp(microseconds: startedAt), updatedAt: Timestamp(microseconds: updatedAt),
            finishedAt: finishedAt.map(Timestamp.init(microseconds:)), receivedAt: Timestamp(microseconds: receivedAt), eventCount: eventCount,
            lastSeq: lastSeq,
            lastPosition: lastPosition, agents: agents
        )
        run.firstSeq = firstSeq
        return EventPlacer.PlacedRun(key: key, run: run)
    }

    static func bindings(_ values: some Sequence<String>) -> PostgresBindings {
        var bindings = PostgresBindings()
        bindings.append(Array(values))
        return bindings
    }
}
#endif
