/// The lifecycle status of a run, derived from its `run.*` events.
public enum RunStatus: String, Sendable, Codable, CaseIterable {
    case queued, running, completed, failed, cancelled

    public var isFinished: Bool { self == .completed || self == .failed || self == .cancelled }

    /// The status after an event of `type` arrives in a run that had `self`.
    public func after(_ type: String) -> RunStatus {
        if isFinished { return self }
        switch type {
        case "run.queued": return self == .queued ? .queued : self
        case "run.completed": return .completed
        case "run.failed": return .failed
        case "run.cancelled": return .cancelled
        default: return .running
        }
    }
}

/// A run's identity: its name within its project. Two projects may hold runs of the same name;
/// they are different runs, and neither project can learn of the other's.
public struct RunRef: Sendable, Hashable, CustomStringConvertible {
    public var project: String
    public var run: String

    /// A run of `project`: by default the project events go to when they name none.
    public init(project: String = "default", run: String) {
        self.project = project
        self.run = run
    }

    /// `project/run`, for logs and messages to the run's own callers.
    public var description: String { isProjectLevel ? "\(project) (project-level)" : "\(project)/\(run)" }

    /// Where a project's own events are kept (a task board's status changes, that belong to no
    /// run): under an empty run name, which no run can have. Runs listings, run lookups and
    /// idle-run checks never show it; project streams carry its events like any other.
    public static func projectLevel(_ project: String) -> RunRef { RunRef(project: project, run: "") }

    public var isProjectLevel: Bool { run.isEmpty }
}

/// What Herald knows of a run: created by its first event, updated by every later one.
public struct Run: Sendable, Equatable {
    public var run: String
    public var project: String
    public var name: String?
    public var status: RunStatus
    public var startedAt: Timestamp
    public var updatedAt: Timestamp
    public var finishedAt: Timestamp?
    /// When the server last received an event for the run (whatever `time` the event says): the
    /// clock of ``RunIdlePolicy``.
    public var receivedAt: Timestamp
    public var eventCount: Int64
    public var lastSeq: Int64
    public var lastPosition: Int64
    /// The first seq still stored: 1, unless retention removed the run's oldest events.
    public var firstSeq: Int64 = 1
    /// Agents seen, in order of first appearance.
    public var agents: [String]

    public init(
        run: String, project: String, name: String? = nil, status: RunStatus, startedAt: Timestamp, updatedAt: Timestamp,
        finishedAt: Timestamp? = nil, receivedAt: Timestamp? = nil, eventCount: Int64 = 0, lastSeq: Int64 = 0, lastPosition: Int64 = 0,
        agents: [String] = []
    ) {
        self.run = run
        self.project = project
        self.name = name
        self.status = status
        self.startedAt = startedAt
        self.updatedAt = updatedAt
        self.finishedAt = finishedAt
        self.receivedAt = receivedAt ?? updatedAt
        self.eventCount = eventCount
        self.lastSeq = lastSeq
        self.lastPosition = lastPosition
        self.agents = agents
    }

    public var ref: RunRef { RunRef(project: project, run: run) }

    /// A new run whose first event is `draft`.
    public init(first draft: EventDraft, at time: Timestamp) {
        self.init(
            run: draft.run, project: draft.project, status: draft.type == "run.queued" ? .queued : .running, startedAt: time,
            updatedAt: time
        )
    }

    /// Folds a newly stored event into the run.
    public mutating func apply(_ event: Event, name: String?) {
        status = status.after(event.type)
        if status.isFinished && finishedAt == nil { finishedAt = event.time }
        if let name, self.name == nil { self.name = name }
        if event.time > updatedAt { updatedAt = event.time }
        eventCount += 1
        lastSeq = event.seq
        lastPosition = event.position
        if let agent = event.agent, !agents.contains(agent) { agents.append(agent) }
    }
}

/// A project as its runs show it: what a project picker lists.
public struct ProjectSummary: Sendable, Equatable {
    public var project: String
    public var runs: Int64
    /// Runs queued or running.
    public var activeRuns: Int64
    /// The latest `updatedAt` of its runs.
    public var updatedAt: Timestamp

    public init(project: String, runs: Int64, activeRuns: Int64, updatedAt: Timestamp) {
        self.project = project
        self.runs = runs
        self.activeRuns = activeRuns
        self.updatedAt = updatedAt
    }
}
