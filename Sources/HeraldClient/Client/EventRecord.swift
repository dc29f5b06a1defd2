import HeraldCore

/// One stored event as the API answers it: the decoded envelope, and the exact JSON bytes the
/// server sent, so that an export or a relay passes the event on unchanged.
public struct EventRecord: Sendable, Equatable {
    public var id: String
    public var project: String
    public var run: String
    /// 1, 2, 3 … gapless per run.
    public var seq: Int64
    public var type: String
    public var level: Level
    public var time: Timestamp
    public var agent: String?
    public var turn: Int64?
    public var causedBy: [String]
    /// The payload, as the JSON object bytes stored (`{}` when none).
    public var data: [UInt8]
    /// The whole event exactly as the server encoded it.
    public var json: [UInt8]

    /// Decodes one event object, e.g. a line of an export or the answer of `GET …/events/{id}`.
    public init(json: [UInt8]) throws(HeraldError) {
        let result: Result<EventRecord, HeraldError> = json.withUnsafeBufferPointer { buffer in
            var reader = JSONReader(buffer, maxDepth: .max, maxStringBytes: .max)
            do throws(JSONSyntaxError) {
                let record = try Self.read(from: &reader)
                guard reader.isAtEnd else { return .failure(HeraldError(.invalidResponse, "unexpected data after the event object")) }
                return record.map { .success($0) } ?? .failure(Self.incomplete)
            } catch {
                return .failure(HeraldError(.invalidResponse, "malformed event JSON: \(error)"))
            }
        }
        self = try result.get()
    }

    init(
        id: String,
        project: String,
        run: String,
        seq: Int64,
        type: String,
        level: Level,
        time: Timestamp,
        agent: String?,
        turn: Int64?,
        causedBy: [String],
        data: [UInt8],
        json: [UInt8]
    ) {
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
        self.data = data
        self.json = json
    }

    static let incomplete = HeraldError(.invalidResponse, "an event lacks id, run, seq, type, level or time")

    /// Reads the event object at the reader's position; nil when a required field is missing.
    /// Unknown fields are skipped: the API may add fields.
    static func read(from reader: inout JSONReader) throws(JSONSyntaxError) -> EventRecord? {
        reader.skipWhitespace()
        let start = reader.offset
        var id: String?
        var project = "default"
        var run: String?
        var seq: Int64?
        var type: String?
        var level: Level?
        var time: Timestamp?
        var agent: String?
        var turn: Int64?
        var causedBy: [String] = []
        var data: Range<Int>?
        try reader.readObject { (value: inout JSONReader, key: String) throws(JSONSyntaxError) in
            if value.readNull() { return }
            switch key {
            case "id": id = try value.readString()
            case "project": project = try value.readString()
            case "run": run = try value.readString()
            case "seq": seq = try value.readInteger()
            case "type": type = try value.readString()
            case "level": level = Level(name: try value.readString())
            case "time": time = Timestamp(rfc3339: try value.readString())
            case "agent": agent = try value.readString()
            case "turn": turn = try value.readInteger()
            case "causedBy":
                try value.readArray { (element: inout JSONReader) throws(JSONSyntaxError) in causedBy.append(try element.readString()) }
            case "data":
                value.skipWhitespace()
                let dataStart = value.offset
                try value.skipValue()
                data = dataStart..<value.offset
            default:
                try value.skipValue()
            }
        }
        guard let id, let run, let seq, let type, let level, let time else { return nil }
        let bytes = reader.bytes
        return EventRecord(
            id: id,
            project: project,
            run: run,
            seq: seq,
            type: type,
            level: level,
            time: time,
            agent: agent,
            turn: turn,
            causedBy: causedBy,
            data: data.map { Array(bytes[$0]) } ?? Array("{}".utf8),
            json: Array(bytes[start..<reader.offset])
        )
    }
}
