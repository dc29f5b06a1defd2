/// The rules that place a request's events on their runs, shared by every store: idempotent
/// ids, run ownership by project, finished runs, `expectedSeq`, the next seq and position.
///
/// A store calls ``place(_:)`` for each request of a transaction, in order, while it alone
/// writes (SQLite's single writer; PostgreSQL's head lock). Nothing is written until a request
/// has passed as a whole: a refused request leaves the placer as it was.
public struct EventPlacer {
    /// A run as the placer knows it, with the store's key for it.
    public struct PlacedRun: Sendable {
        public var key: Int64
        public var run: Run

        public init(key: Int64, run: Run) {
            self.key = key
            self.run = run
        }
    }

    /// One accepted request: what to write.
    public struct Placement {
        public var result: AppendResult
        /// The new events, in position order, with their runs' keys.
        public var events: [(event: Event, runKey: Int64)]
        /// Every run the request changed, as it is now.
        public var runs: [String: PlacedRun]
    }

    /// The last position and run key handed out.
    public private(set) var lastPosition: Int64
    public private(set) var lastRunKey: Int64
    /// Runs changed by the requests placed so far.
    public private(set) var touched: [String: PlacedRun] = [:]
    private let storedPlacement: (String) throws -> AppendResult.Placement?
    private let storedRun: (String) throws -> PlacedRun?
    private let ids: ULIDGenerator

    /// - Parameters:
    ///   - storedPlacement: where an already stored event id was placed, if it was.
    ///   - storedRun: a run as committed (before this transaction), if it exists.
    public init(
        lastPosition: Int64, lastRunKey: Int64, ids: ULIDGenerator,
        storedPlacement: @escaping (String) throws -> AppendResult.Placement?,
        storedRun: @escaping (String) throws -> PlacedRun?
    ) {
        self.lastPosition = lastPosition
        self.lastRunKey = lastRunKey
        self.ids = ids
        self.storedPlacement = storedPlacement
        self.storedRun = storedRun
    }

    /// Places one request's events, or refuses the whole request. A partial request is never
    /// refused whole: each event that cannot be placed is rejected alone.
    public mutating func place(_ request: AppendRequest) throws -> Result<Placement, HeraldError> {
        var runs: [String: PlacedRun] = [:]
        var indices: [Int] = []
        var rejected: [AppendResult.Rejection] = []
        var placements: [AppendResult.Placement] = []
        placements.reserveCapacity(request.drafts.count)
        var events: [(event: Event, runKey: Int64)] = []
        events.reserveCapacity(request.drafts.count)
        // Producer-chosen ids seen earlier in this request (generated ids are fresh).
        var pendingIds: [String: AppendResult.Placement] = [:]
        var position = lastPosition
        var runKey = lastRunKey

        func current(_ name: String) throws -> PlacedRun? {
            try runs[name] ?? touched[name] ?? storedRun(name)
        }

        for (index, draft) in request.drafts.enumerated() {
            // The request fails whole, or (partial) only this event does.
            func refuse(_ error: HeraldError) -> Result<Placement, HeraldError>? {
                guard request.partial else { return .failure(error) }
                rejected.append(AppendResult.Rejection(index: index, error: error))
                return nil
            }
            // Idempotency: an id already stored (or earlier in this request) answers its original place.
            if let id = draft.id {
                if let earlier = pendingIds[id] {
                    guard earlier.run == draft.run else {
                        if let failure = refuse(Self.idConflict(id, index: index, run: earlier.run)) { return failure }
                        continue
                    }
                    placements.append(AppendResult.Placement(id: id, run: earlier.run, seq: earlier.seq, duplicate: true))
                    indices.append(index)
                    continue
                }
                if let stored = try storedPlacement(id) {
                    guard stored.run == draft.run else {
                        if let failure = refuse(Self.idConflict(id, index: index, run: stored.run)) { return failure }
                        continue
                    }
                    // The same event only if it names the same project: a retry never crosses projects.
                    if let run = try current(draft.run)?.run, run.project != draft.project {
                        if let failure = refuse(Self.projectConflict(draft, run: run, index: index)) { return failure }
                        continue
                    }
                    placements.append(stored)
                    indices.append(index)
                    continue
                }
            }
            var placed: PlacedRun
            var newKey = runKey
            if let run = try current(draft.run) {
                placed = run
            } else {
                newKey += 1
                placed = PlacedRun(key: newKey, run: Run(first: draft, at: draft.time ?? request.receivedAt))
            }
            if let refusal = Self.check(draft, against: placed.run, index: index) {
                if let failure = refuse(refusal) { return failure }
                continue
            }
            runKey = newKey

            position += 1
            let id = draft.id ?? ids.next(at: request.receivedAt)
            let event = Event(draft: draft, id: id, seq: placed.run.lastSeq + 1, time: draft.time ?? request.receivedAt, position: position)
            placed.run.apply(event, name: Vocabulary.runName(in: draft))
            runs[draft.run] = placed
            let placement = AppendResult.Placement(id: id, run: draft.run, seq: event.seq, duplicate: false)
            if draft.id != nil { pendingIds[id] = placement }
            placements.append(placement)
            indices.append(index)
            events.append((event, placed.key))
        }

        touched.merge(runs) { _, new in new }
        lastPosition = position
        lastRunKey = runKey
        let result = AppendResult(placements: placements, indices: request.partial ? indices : nil, rejected: rejected)
        return .success(Placement(result: result, events: events, runs: runs))
    }

    /// Why `draft` may not be appended to `run`, if it may not.
    private static func check(_ draft: EventDraft, against run: Run, index: Int) -> HeraldError? {
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

    private static func projectConflict(_ draft: EventDraft, run: Run, index: Int) -> HeraldError {
        HeraldError(
            .projectConflict, "run \(draft.run) belongs to project \(run.project), not \(draft.project)",
            details: [FieldError(index: index, field: "project", code: "conflict", message: "the run belongs to project \(run.project)")]
        )
    }

    private static func idConflict(_ id: String, index: Int, run: String) -> HeraldError {
        HeraldError(
            .idConflict, "event id \(id) is already used in run \(run)",
            details: [FieldError(index: index, field: "id", code: "conflict", message: "the id belongs to an event of run \(run)")]
        )
    }
}
