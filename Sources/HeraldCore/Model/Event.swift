/// A stored event: the draft plus the place the store gave it.
///
/// `json` is the event's canonical encoding, made once when it is stored; query answers, export
/// and every stream subscriber reuse these bytes.
public struct Event: Sendable, Equatable {
    /// Store-wide position, increasing in commit order: the store's own order, never shown to
    /// callers (it would tell one project how much the others write).
    public var position: Int64
    /// Position within the project, increasing in commit order: the resume token of project
    /// streams.
    public var projectPosition: Int64
    public var id: String
    public var project: String
    public var run: String
    /// 1, 2, 3 … gapless per run, in commit order.
    public var seq: Int64
    public var type: String
    public var level: Level
    public var time: Timestamp
    public var agent: String?
    public var turn: Int64?
    public var causedBy: [String]
    public var json: [UInt8]

    public init(
        position: Int64, projectPosition: Int64, id: String, project: String, run: String, seq: Int64, type: String, level: Level,
        time: Timestamp, agent: String?, turn: Int64?, causedBy: [String], json: [UInt8]
    ) {
        self.position = position
        self.projectPosition = projectPosition
        self.id = id
        self.project = project
        self.run = run
        self.seq = seq
        self.type = type
        self.level = level
        self.time = time
        self.agent = agent
        self.turn = turn
        self.causedBy = causedBy
        self.json = json
    }

    /// Places `draft` at `seq` with `id` and `time`, encoding it once.
    public init(draft: EventDraft, id: String, seq: Int64, time: Timestamp, position: Int64, projectPosition: Int64) {
        var writer = JSONWriter(capacity: 160 + draft.data.count)
        writer.raw("{\"id\":")
        writer.string(id)
        writer.raw(",\"project\":")
        writer.string(draft.project)
        writer.raw(",\"run\":")
        writer.string(draft.run)
        writer.raw(",\"seq\":")
        writer.integer(seq)
        writer.raw(",\"type\":")
        writer.string(draft.type)
        writer.raw(",\"level\":")
        writer.string(draft.level.name)
        writer.raw(",\"time\":\"")
        time.write(to: &writer)
        writer.raw("\"")
        if let agent = draft.agent {
            writer.raw(",\"agent\":")
            writer.string(agent)
        }
        if let turn = draft.turn {
            writer.raw(",\"turn\":")
            writer.integer(turn)
        }
        if !draft.causedBy.isEmpty {
            writer.raw(",\"causedBy\":")
            writer.stringArray(draft.causedBy)
        }
        writer.raw(",\"data\":")
        writer.raw(draft.data)
        writer.raw("}")
        self.init(
            position: position, projectPosition: projectPosition, id: id, project: draft.project, run: draft.run, seq: seq, type: draft.type,
            level: draft.level, time: time, agent: draft.agent, turn: draft.turn, causedBy: draft.causedBy,
            json: writer.bytes
        )
    }

    /// The run the event belongs to.
    public var runRef: RunRef { RunRef(project: project, run: run) }

    /// Whether this event ends its run's live streams.
    public var isTerminal: Bool { Vocabulary.isTerminal(type) }
}
