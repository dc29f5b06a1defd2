import Foundation
import GRDB
import HeraldCore
import Synchronization

/// The single writer's state: the next position and a cache of the runs it has touched, so
/// that placing an event needs no read of the runs table.
///
/// Only ever used on the group-commit queue (hence `@unchecked Sendable`), except `observer`.
final class Writer: @unchecked Sendable {
    struct CachedRun {
        var key: Int64
        var run: Run
    }

    private var runs: [String: CachedRun] = [:]
    private var dirtyRuns: Set<String> = []
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
    private let ids = ULIDGenerator()
    /// Who hears of commits. The closure sits in a box: a closure read through a generic
    /// container's `inout` accessor is re-wrapped in reabstraction thunks on every access.
    let observer = Mutex<CommitObserver?>(nil)

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
    }

    /// Forgets cached state after a failed transaction and reloads the counters.
    func reset(reloadingFrom db: Database) throws {
        runs.removeAll()
        dirtyRuns.removeAll()
        facets.removeAll()
        try load(db)
    }

    // MARK: Append

    static let insertEventSQL =
        "INSERT INTO events (pos, run_key, seq, id, type, level, agent, turn, time, caused_by, body) VALUES (?,?,?,?,?,?,?,?,?,?,?)"

    /// Places one request's events, or refuses the whole request. Nothing is written to the
    /// database until every event has been checked.
    func append(_ request: AppendRequest, db: Database, committed: inout [Event]) throws -> Result<AppendResult, HeraldError> {
        var touched: [String: CachedRun] = [:]
        var placements: [AppendResult.Placement] = []
        placements.reserveCapacity(request.drafts.count)
        var newEvents: [Event] = []
        newEvents.reserveCapacity(request.drafts.count)
        var runKeys: [Int64] = []
        runKeys.reserveCapacity(request.drafts.count)
        // Producer-chosen ids seen earlier in this request (generated ids are fresh).
        var pendingIds: [String: AppendResult.Placement] = [:]
        var position = lastPosition
        var runKey = lastRunKey

        for (index, draft) in request.drafts.enumerated() {
            // Idempotency: an id already stored (or earlier in this request) answers its original place.
            if let id = draft.id {
                if let earlier = pendingIds[id] {
                    guard earlier.run == draft.run else { return .failure(idConflict(id, index: index, run: earlier.run)) }
                    placements.append(AppendResult.Placement(id: id, run: earlier.run, seq: earlier.seq, duplicate: true))
                    continue
                }
                if let stored = try storedPlacement(of: id, db: db) {
                    guard stored.run == draft.run else { return .failure(idConflict(id, index: index, run: stored.run)) }
                    // The same event only if it names the same project: a retry never crosses projects.
                    if let run = try touched[draft.run]?.run ?? cachedRun(draft.run, db: db)?.run, run.project != draft.project {
                        return .failure(projectConflict(draft, run: run, index: index))
                    }
                    placements.append(stored)
                    continue
                }
            }
            var cached: CachedRun
            if let run = touched[draft.run] {
                cached = run
            } else if let run = try cachedRun(draft.run, db: db) {
                cached = run
            } else {
                runKey += 1
                cached = CachedRun(key: runKey, run: Run(first: draft, at: draft.time ?? request.receivedAt))
            }
            if let refusal = check(draft, against: cached.run, index: index) { return .failure(refusal) }

            position += 1
            let id = draft.id ?? ids.next(at: request.receivedAt)
            let event = Event(draft: draft, id: id, seq: cached.run.lastSeq + 1, time: draft.time ?? request.receivedAt, position: position)
            cached.run.apply(event, name: Vocabulary.runName(in: draft))
            touched[draft.run] = cached
            let placement = AppendResult.Placement(id: id, run: draft.run, seq: event.seq, duplicate: false)
            if draft.id != nil { pendingIds[id] = placement }
            placements.append(placement)
            newEvents.append(event)
            runKeys.append(cached.key)
        }

        // Every event passed: write them.
        let insertEvent = RawStatement(try db.cachedStatement(sql: Self.insertEventSQL))
        let insertCause = RawStatement(try db.cachedStatement(sql: "INSERT OR IGNORE INTO causes (cause_id, run_key, pos) VALUES (?,?,?)"))
        for (event, key) in zip(newEvents, runKeys) {
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
            try insertEvent.execute()
            for cause in event.causedBy {
                insertCause.bind(1, cause)
                insertCause.bind(2, key)
                insertCause.bind(3, event.position)
                try insertCause.execute()
            }
        }
        for (name, run) in touched {
            runs[name] = run
            dirtyRuns.insert(name)
        }
        lastPosition = position
        lastRunKey = runKey
        committed.append(contentsOf: newEvents)
        return .success(AppendResult(placements: placements))
    }

    /// Why `draft` may not be appended to `run`, if it may not.
    private func check(_ draft: EventDraft, against run: Run, index: Int) -> HeraldError? {
        if run.project != draft.project { return projectConflict(draft, run: run, index: index) }
        if run.status.isFinished {
            return HeraldError(
                .runFinished, "run \(draft.run) is \(run.status.rawValue); it accepts no more events",
                details: [FieldError(index: index, field: "run", code: "finished", message: "the run ended with \(run.status.rawValue)")]
            )
        }
        if let expected = draft.expectedSeq, expected != run.lastSeq {
            return HeraldError(
                .seqConflict, "run \(draft.run) is at seq \(run.lastSeq), not the expected \(expected)",
                details: [FieldError(index: index, field: "expectedSeq", code: "conflict", message: "the run's last seq is \(run.lastSeq)")]
            )
        }
        return nil
    }

    private func projectConflict(_ draft: EventDraft, run: Run, index: Int) -> HeraldError {
        HeraldError(
            .projectConflict, "run \(draft.run) belongs to project \(run.project), not \(draft.project)",
            details: [FieldError(index: index, field: "project", code: "conflict", message: "the run belongs to project \(run.project)")]
        )
    }

    private func idConflict(_ id: String, index: Int, run: String) -> HeraldError {
        HeraldError(
            .idConflict, "event id \(id) is already used in run \(run)",
            details: [FieldError(index: index, field: "id", code: "conflict", message: "the id belongs to an event of run \(run)")]
        )
    }

    private func storedPlacement(of id: String, db: Database) throws -> AppendResult.Placement? {
        let statement = try db.cachedStatement(
            sql: "SELECT runs.run, events.seq FROM events JOIN runs USING (run_key) WHERE events.id = ?"
        )
        guard let row = try Row.fetchOne(statement, arguments: [id]) else { return nil }
        return AppendResult.Placement(id: id, run: row[0], seq: row[1], duplicate: true)
    }

    private func cachedRun(_ name: String, db: Database) throws -> CachedRun? {
        if let cached = runs[name] { return cached }
        if runs.count >= maxCachedRuns && dirtyRuns.isEmpty { runs.removeAll() }
        let statement = try db.cachedStatement(sql: "SELECT \(RunRow.columns) FROM runs WHERE run = ?")
        guard let row = try Row.fetchOne(statement, arguments: [name]) else { return nil }
        let cached = CachedRun(key: row["run_key"], run: RunRow.run(from: row))
        runs[name] = cached
        return cached
    }

    /// Writes the runs and facet counts changed in this transaction.
    func flushRuns(db: Database) throws {
        let upsert = try db.cachedStatement(
            sql: """
                INSERT INTO runs (run_key, run, project, name, status, started_at, updated_at, finished_at, event_count, last_seq, last_pos, agents)
                VALUES (?,?,?,?,?,?,?,?,?,?,?,?)
                ON CONFLICT(run_key) DO UPDATE SET name = excluded.name, status = excluded.status, updated_at = excluded.updated_at,
                    finished_at = excluded.finished_at, event_count = excluded.event_count, last_seq = excluded.last_seq,
                    last_pos = excluded.last_pos, agents = excluded.agents
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
        for name in dirtyRuns {
            guard let cached = runs[name] else { continue }
            let run = cached.run
            try upsert.execute(arguments: [
                cached.key, run.run, run.project, run.name, run.status.rawValue, run.startedAt.microseconds,
                run.updatedAt.microseconds, run.finishedAt?.microseconds, run.eventCount, run.lastSeq, run.lastPosition,
                RunRow.encodeAgents(run.agents),
            ])
        }
    }

    /// Drops cached runs that something other than appends changed (retention), so the next
    /// append reads them afresh.
    func forget(_ names: [String]) {
        for name in names { runs[name] = nil }
    }

    /// After a successful commit: hand the new events to the observer, in position order.
    func didCommit(_ events: [Event]) {
        dirtyRuns.removeAll(keepingCapacity: true)
        facets.removeAll(keepingCapacity: true)
        if !events.isEmpty, let observer = observer.withLock({ $0 }) { observer.notify(events) }
    }
}
