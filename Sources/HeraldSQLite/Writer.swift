import Foundation
import GRDB
import HeraldCore
import Synchronization

/// The single writer's state: the next position and a cache of the runs and projects it has
/// touched, so that placing an event needs no read of the runs or projects table.
///
/// Only ever used on the group-commit queue (hence `@unchecked Sendable`), except `observer`.
final class Writer: @unchecked Sendable {
    private var runs: [RunRef: EventPlacer.PlacedRun] = [:]
    private var dirtyRuns: Set<RunRef> = []
    private var projects: [String: EventPlacer.PlacedProject] = [:]
    private var dirtyProjects: Set<String> = []
    /// Facet counts added by the current transaction.
    private var facets: [Facet: Int64] = [:]

    struct Facet: Hashable {
        var runKey: Int64
        var type: String
        var agent: String
        var level: Level
    }
    private var lastPosition: Int64 = 0
    private var lastRunKey: Int64 = 0
    private var lastProjectKey: Int64 = 0
    private let ids = ULIDGenerator()
    /// Who hears of commits. The closure sits in a box: a closure read through a generic
    /// container's `inout` accessor is re-wrapped in reabstraction thunks on every access.
    let observer = Mutex<CommitObserver?>(nil)
    /// Why the last transaction failed to commit; nil once one commits again.
    let failure = Mutex<String?>(nil)

    final class CommitObserver: Sendable {
        let notify: @Sendable ([Event]) -> Void
        init(_ notify: @escaping @Sendable ([Event]) -> Void) { self.notify = notify }
    }

    /// Bound on cached runs; past it the cache is dropped and refilled lazily.
    private let maxCachedRuns = 100_000

    init(db: Database) throws {
        try load(db)
    }

    private func load(_ db: Database) throws {
        lastPosition = try Int64.fetchOne(db, sql: "SELECT COALESCE(MAX(pos), 0) FROM events") ?? 0
        lastRunKey = try Int64.fetchOne(db, sql: "SELECT COALESCE(MAX(run_key), 0) FROM runs") ?? 0
        lastProjectKey = try Int64.fetchOne(db, sql: "SELECT COALESCE(MAX(project_key), 0) FROM projects") ?? 0
    }

    /// Forgets cached state after a failed transaction and reloads the counters.
    func reset(reloadingFrom db: Database) throws {
        runs.removeAll()
        dirtyRuns.removeAll()
        projects.removeAll()
        dirtyProjects.removeAll()
        facets.removeAll()
        try load(db)
    }

    // MARK: Append

    static let insertEventSQL =
        """
        INSERT INTO events (pos, run_key, seq, id, type, level, agent, turn, time, caused_by, body, project_key, project_pos)
        VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)
        """

    /// A placer for one transaction, reading runs and projects through the cache.
    func placer(db: Database) -> EventPlacer {
        EventPlacer(
            lastPosition: lastPosition, lastRunKey: lastRunKey, lastProjectKey: lastProjectKey, ids: ids,
            storedPlacement: { [unowned self] project, id in try self.storedPlacement(of: id, in: project, db: db) },
            storedRun: { [unowned self] ref in try self.cachedRun(ref, db: db) },
            storedProject: { [unowned self] name in try self.cachedProject(name, db: db) }
        )
    }

    /// Places one request's events and writes them, or refuses the whole request.
    func append(
        _ request: AppendRequest, placer: inout EventPlacer, db: Database, committed: inout [Event]
    ) throws -> Result<AppendResult, HeraldError> {
        let placement: EventPlacer.Placement
        switch try placer.place(request) {
        case .failure(let refusal): return .failure(refusal)
        case .success(let placed): placement = placed
        }
        let insertEvent = RawStatement(try db.cachedStatement(sql: Self.insertEventSQL))
        let insertCause = RawStatement(try db.cachedStatement(sql: "INSERT OR IGNORE INTO causes (cause_id, run_key, pos) VALUES (?,?,?)"))
        for new in placement.events {
            let (event, key) = (new.event, new.runKey)
            facets[Facet(runKey: key, type: event.type, agent: event.agent ?? "", level: event.level), default: 0] += 1
            insertEvent.bind(1, event.position)
            insertEvent.bind(2, key)
            insertEvent.bind(3, event.seq)
            insertEvent.bind(4, event.id)
            insertEvent.bind(5, event.type)
            insertEvent.bind(6, Int64(event.level.rawValue))
            insertEvent.bind(7, event.agent)
            insertEvent.bind(8, event.turn)
            insertEvent.bind(9, event.time.microseconds)
            insertEvent.bind(10, event.causedBy.isEmpty ? nil : event.causedBy.joined(separator: ","))
            insertEvent.bind(11, blob: event.json)
            insertEvent.bind(12, new.projectKey)
            insertEvent.bind(13, event.projectPosition)
            try insertEvent.execute()
            for cause in event.causedBy {
                insertCause.bind(1, cause)
                insertCause.bind(2, key)
                insertCause.bind(3, event.position)
                try insertCause.execute()
            }
            committed.append(event)
        }
        return .success(placement.result)
    }

    private func storedPlacement(of id: String, in project: String, db: Database) throws -> AppendResult.Placement? {
        guard let projectKey = try cachedProject(project, db: db)?.key else { return nil }
        let statement = try db.cachedStatement(
            sql: "SELECT runs.run, events.seq FROM events JOIN runs USING (run_key) WHERE events.project_key = ? AND events.id = ?"
        )
        guard let row = try Row.fetchOne(statement, arguments: [projectKey, id]) else { return nil }
        return AppendResult.Placement(id: id, run: row[0], seq: row[1], duplicate: true)
    }

    private func cachedRun(_ ref: RunRef, db: Database) throws -> EventPlacer.PlacedRun? {
        if let cached = runs[ref] { return cached }
        if runs.count >= maxCachedRuns && dirtyRuns.isEmpty { runs.removeAll() }
        let statement = try db.cachedStatement(sql: "SELECT \(RunRow.columns) FROM runs WHERE project = ? AND run = ?")
        guard let row = try Row.fetchOne(statement, arguments: [ref.project, ref.run]) else { return nil }
        let cached = EventPlacer.PlacedRun(key: row["run_key"], run: RunRow.run(from: row))
        runs[ref] = cached
        return cached
    }

    private func cachedProject(_ name: String, db: Database) throws -> EventPlacer.PlacedProject? {
        if let cached = projects[name] { return cached }
        if projects.count >= maxCachedRuns && dirtyProjects.isEmpty { projects.removeAll() }
        let statement = try db.cachedStatement(sql: "SELECT project_key, last_pos FROM projects WHERE project = ?")
        guard let row = try Row.fetchOne(statement, arguments: [name]) else { return nil }
        let cached = EventPlacer.PlacedProject(key: row[0], lastPosition: row[1])
        projects[name] = cached
        return cached
    }

    /// Writes the runs, projects and facet counts changed in this transaction.
    func flushRuns(_ placer: EventPlacer, db: Database) throws {
        for (ref, run) in placer.touched {
            runs[ref] = run
            dirtyRuns.insert(ref)
        }
        for (name, project) in placer.touchedProjects {
            projects[name] = project
            dirtyProjects.insert(name)
        }
        let upsertProject = try db.cachedStatement(
            sql: "INSERT INTO projects (project_key, project, last_pos) VALUES (?,?,?) ON CONFLICT(project_key) DO UPDATE SET last_pos = excluded.last_pos"
        )
        for name in dirtyProjects {
            guard let project = projects[name] else { continue }
            try upsertProject.execute(arguments: [project.key, name, project.lastPosition])
        }
        let upsert = try db.cachedStatement(
            sql: """
                INSERT INTO runs (run_key, run, project, name, status, started_at, updated_at, finished_at, event_count, last_seq, last_pos, agents,
                    received_at)
                VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)
                ON CONFLICT(run_key) DO UPDATE SET name = excluded.name, status = excluded.status, updated_at = excluded.updated_at,
                    finished_at = excluded.finished_at, event_count = excluded.event_count, last_seq = excluded.last_seq,
                    last_pos = excluded.last_pos, agents = excluded.agents, received_at = excluded.received_at
                """
        )
        let addFacet = RawStatement(
            try db.cachedStatement(
                sql: """
                    INSERT INTO run_facets (run_key, type, agent, level, count) VALUES (?,?,?,?,?)
                    ON CONFLICT DO UPDATE SET count = count + excluded.count
                    """
            )
        )
        for (facet, count) in facets {
            addFacet.bind(1, facet.runKey)
            addFacet.bind(2, facet.type)
            addFacet.bind(3, facet.agent)
            addFacet.bind(4, Int64(facet.level.rawValue))
            addFacet.bind(5, count)
            try addFacet.execute()
        }
        for ref in dirtyRuns {
            guard let cached = runs[ref] else { continue }
            let run = cached.run
            try upsert.execute(arguments: [
                cached.key, run.run, run.project, run.name, run.status.rawValue, run.startedAt.microseconds,
                run.updatedAt.microseconds, run.finishedAt?.microseconds, run.eventCount, run.lastSeq, run.lastPosition,
                RunRow.encodeAgents(run.agents), run.receivedAt.microseconds,
            ])
        }
    }

    /// Drops cached runs that something other than appends changed (retention), so the next
    /// append reads them afresh.
    func forget(_ refs: [RunRef]) {
        for ref in refs { runs[ref] = nil }
    }

    /// After a successful commit: keep the counters and hand the new events to the observer, in position order.
    func didCommit(_ placer: EventPlacer, events: [Event]) {
        lastPosition = placer.lastPosition
        lastRunKey = placer.lastRunKey
        lastProjectKey = placer.lastProjectKey
        dirtyRuns.removeAll(keepingCapacity: true)
        dirtyProjects.removeAll(keepingCapacity: true)
        facets.removeAll(keepingCapacity: true)
        if !events.isEmpty, let observer = observer.withLock({ $0 }) { observer.notify(events) }
    }
}
