/// The rules that place a request's events on their runs, shared by every store: idempotent
/// ids, runs named within their project, finished runs, `expectedSeq`, the next seq and the
/// store-wide and per-project positions.
///
/// A run is identified by its project and name (``RunRef``), and an event id is unique within
/// its project: nothing one project stores can refuse, or be learned from, another project's
/// events.
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

    /// A project as the placer knows it: the store's key for it and its last position.
    public struct PlacedProject: Sendable, Equatable {
        public var key: Int64
        public var lastPosition: Int64

        public init(key: Int64, lastPosition: Int64) {
            self.key = key
            self.lastPosition = lastPosition
        }
    }

    /// One new event and the store's keys for its run and project.
    public struct NewEvent {
        public var event: Event
        public var runKey: Int64
        public var projectKey: Int64
    }

    /// One accepted request: what to write.
    public struct Placement {
        public var result: AppendResult
        /// The new events, in position order.
        public var events: [NewEvent]
        /// Every run the request changed, as it is now.
        public var runs: [RunRef: PlacedRun]
    }

    /// The last position, run key and project key handed out.
    public private(set) var lastPosition: Int64
    public private(set) var lastRunKey: Int64
    public private(set) var lastProjectKey: Int64
    /// Runs changed by the requests placed so far.
    public private(set) var touched: [RunRef: PlacedRun] = [:]
    /// Projects that received events in the requests placed so far, by name.
    public private(set) var touchedProjects: [String: PlacedProject] = [:]
    private let storedPlacement: (_ project: String, _ id: String) throws -> AppendResult.Placement?
    private let storedRun: (RunRef) throws -> PlacedRun?
    private let storedProject: (String) throws -> PlacedProject?
    private let ids: ULIDGenerator

    /// - Parameters:
    ///   - storedPlacement: where an event id already stored in a project was placed, if it was.
    ///   - storedRun: a run as committed (before this transaction), if it exists.
    ///   - storedProject: a project as committed (before this transaction), if it has events.
    public init(
        lastPosition: Int64, lastRunKey: Int64, lastProjectKey: Int64, ids: ULIDGenerator,
        storedPlacement: @escaping (_ project: String, _ id: String) throws -> AppendResult.Placement?,
        storedRun: @escaping (RunRef) throws -> PlacedRun?,
        storedProject: @escaping (String) throws -> PlacedProject?
    ) {
        self.lastPosition = lastPosition
        self.lastRunKey = lastRunKey
        self.lastProjectKey = lastProjectKey
        self.ids = ids
        self.storedPlacement = storedPlacement
        self.storedRun = storedRun
        self.storedProject = storedProject
    }

    /// Places one request's events, or refuses the whole request. A partial request is never
    /// refused whole: each event that cannot be placed is rejected alone.
    public mutating func place(_ request: AppendRequest) throws -> Result<Placement, HeraldError> {
        var runs: [RunRef: PlacedRun] = [:]
        var projects: [String: PlacedProject] = [:]
        var indices: [Int] = []
        var rejected: [AppendResult.Rejection] = []
        var placements: [AppendResult.Placement] = []
        placements.reserveCapacity(request.drafts.count)
        var events: [NewEvent] = []
        events.reserveCapacity(request.drafts.count)
        // Producer-chosen ids seen earlier in this request (generated ids are fresh), per project.
        var pendingIds: [ProjectEventID: AppendResult.Placement] = [:]
        var position = lastPosition
        var runKey = lastRunKey
        var projectKey = lastProjectKey

        func current(_ ref: RunRef) throws -> PlacedRun? {
            try runs[ref] ?? touched[ref] ?? storedRun(ref)
        }
        func currentProject(_ name: String) throws -> PlacedProject? {
            try projects[name] ?? touchedProjects[name] ?? storedProject(name)
        }

        for (index, draft) in request.drafts.enumerated() {
            // The request fails whole, or (partial) only this event does.
            func refuse(_ error: HeraldError) -> Result<Placement, HeraldError>? {
                guard request.partial else { return .failure(error) }
                rejected.append(AppendResult.Rejection(index: index, error: error))
                return nil
            }
            // Idempotency: an id already stored in this project (or earlier in this request)
            // answers its original place.
            if let id = draft.id {
                let stored = try pendingIds[ProjectEventID(project: draft.project, id: id)] ?? storedPlacement(draft.project, id)
                if let stored {
                    guard stored.run == draft.run else {
                        if let failure = refuse(Self.idConflict(id, index: index, run: stored.run)) { return failure }
                        continue
                    }
                    placements.append(AppendResult.Placement(id: id, run: stored.run, seq: stored.seq, duplicate: true))
                    indices.append(index)
                    continue
                }
            }
            let ref = draft.runRef
            var placed: PlacedRun
            var newRunKey = runKey
            if let run = try current(ref) {
                placed = run
            } else {
                newRunKey += 1
                placed = PlacedRun(key: newRunKey, run: Run(first: draft, at: draft.time ?? request.receivedAt))
            }
            if let refusal = Self.check(draft, against: placed.run, index: index) {
                if let failure = refuse(refusal) { return failure }
                continue
            }
            runKey = newRunKey
            var project: PlacedProject
            if let known = try currentProject(draft.project) {
                project = known
            } else {
                projectKey += 1
                project = PlacedProject(key: projectKey, lastPosition: 0)
            }

            position += 1
            project.lastPosition += 1
            let id = draft.id ?? ids.next(at: request.receivedAt)
            let event = Event(
                draft: draft, id: id, seq: placed.run.lastSeq + 1, time: draft.time ?? request.receivedAt, position: position,
                projectPosition: project.lastPosition
            )
            placed.run.apply(event, name: Vocabulary.runName(in: draft))
            placed.run.receivedAt = request.receivedAt
            runs[ref] = placed
            projects[draft.project] = project
            let placement = AppendResult.Placement(id: id, run: draft.run, seq: event.seq, duplicate: false)
            if draft.id != nil { pendingIds[ProjectEventID(project: draft.project, id: id)] = placement }
            placements.append(placement)
            indices.append(index)
            events.append(NewEvent(event: event, runKey: placed.key, projectKey: project.key))
        }

        touched.merge(runs) { _, new in new }
        touchedProjects.merge(projects) { _, new in new }
        lastPosition = position
        lastRunKey = runKey
        lastProjectKey = projectKey
        let result = AppendResult(placements: placements, indices: request.partial ? indices : nil, rejected: rejected)
        return .success(Placement(result: result, events: events, runs: runs))
    }

    /// Event ids are unique within a project.
    private struct ProjectEventID: Hashable {
        var project: String
        var id: String
    }

    /// Why `draft` may not be appended to `run`, if it may not.
    private static func check(_ draft: EventDraft, against run: Run, index: Int) -> HeraldError? {
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

    private static func idConflict(_ id: String, index: Int, run: String) -> HeraldError {
        HeraldError(
            .idConflict, "event id \(id) is already used in run \(run)",
            details: [FieldError(index: index, field: "id", code: "conflict", message: "the id belongs to an event of run \(run)")]
        )
    }
}
