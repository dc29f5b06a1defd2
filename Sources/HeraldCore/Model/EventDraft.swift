/// A validated event as a producer sent it, before the store assigns its place.
public struct EventDraft: Sendable, Equatable {
    /// Producer-chosen ULID, or nil to have one assigned. A stored id makes a retry idempotent.
    public var id: String?
    public var project: String
    public var run: String
    public var type: String
    public var level: Level
    /// Producer time; nil means "time of receipt".
    public var time: Timestamp?
    public var agent: String?
    public var turn: Int64?
    public var causedBy: [String]
    /// The payload: a compact JSON object (`{}` when none was given).
    public var data: [UInt8]
    /// Optimistic concurrency: the run's last seq must be exactly this before this event is appended.
    public var expectedSeq: Int64?

    public init(
        id: String? = nil, project: String = "default", run: String, type: String, level: Level? = nil,
        time: Timestamp? = nil, agent: String? = nil, turn: Int64? = nil, causedBy: [String] = [],
        data: [UInt8] = Array("{}".utf8), expectedSeq: Int64? = nil
    ) {
        self.id = id
        self.project = project
        self.run = run
        self.type = type
        self.level = level ?? Vocabulary.defaultLevel(for: type)
        self.time = time
        self.agent = agent
        self.turn = turn
        self.causedBy = causedBy
        self.data = data
        self.expectedSeq = expectedSeq
    }

    /// The run the event goes to.
    public var runRef: RunRef { RunRef(project: project, run: run) }
}
