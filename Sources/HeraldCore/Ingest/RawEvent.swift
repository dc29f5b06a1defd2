/// The top-level fields of one event object as read, before they are checked together.
struct RawEvent {
    var id: String?
    var project: String?
    var run: String?
    var type: String?
    var level: Level?
    var time: Timestamp?
    /// The member `time` was read from: `time`, or its alias `timestamp` (for messages).
    var timeField = "time"
    var agent: String?
    var turn: Int64?
    var causedBy: [String] = []
    var dataRange: Range<Int>?
    var data: [UInt8]?
    var dataView = DataView()
    var expectedSeq: Int64?
    /// Members that are not Herald fields: an error, unless the event is AG-UI-shaped.
    var extras: [(key: String, range: Range<Int>)] = []
    /// Whether the type was already refused with its own hint (an upper-case type that is not an
    /// AG-UI one), so the grammar check does not refuse it twice.
    var typeRefused = false

    /// One bit per known field already read (unknown fields are refused anyway).
    private var seen: UInt16 = 0

    typealias Problem = (_ field: String, _ code: String, _ message: String) -> Void

    static let fieldNames = ["id", "project", "run", "type", "agent", "level", "time", "turn", "expectedSeq", "causedBy", "data"]

    /// Records that `key` was read; answers whether it had been read before.
    mutating func markSeen(_ key: String) -> Bool {
        guard let index = Self.fieldNames.firstIndex(of: key) else { return false }
        let bit: UInt16 = 1 << index
        defer { seen |= bit }
        return seen & bit != 0
    }

    /// Reads the value of `key`, reporting field problems through `problem`.
    mutating func read(key: String, from reader: inout JSONReader, limits: IngestLimits, problem: Problem) throws(JSONSyntaxError) {
        switch key {
        case "id": id = try readString(key, &reader, problem)
        case "project": project = try readString(key, &reader, problem)
        case "run": run = try readString(key, &reader, problem)
        case "type": type = try readString(key, &reader, problem)
        case "agent": agent = try readString(key, &reader, problem)
        case "level":
            if let name = try readString(key, &reader, problem) {
                level = Level(name: name)
                if level == nil {
                    problem(key, "invalid_value", "level must be one of milestone, decision, action, state, detail, system")
                }
            }
        case "time":
            if let text = try readString(key, &reader, problem) {
                time = Timestamp(rfc3339: text)
                if time == nil { problem(key, "invalid_value", Self.timeProblem(key, text)) }
            }
        case "turn":
            turn = try readInteger(key, &reader, problem)
            if let value = turn, value < 0 { problem(key, "invalid_value", "turn must be ≥ 0") }
        case "expectedSeq":
            expectedSeq = try readInteger(key, &reader, problem)
            if let value = expectedSeq, value < 0 { problem(key, "invalid_value", "expectedSeq must be ≥ 0") }
        case "causedBy":
            // null stands for "caused by nothing", as an empty list does.
            if reader.readNull() { return }
            guard try reader.peekKind() == .array else {
                try reader.skipValue()
                problem(key, "invalid_type", "causedBy must be an array of event ids")
                return
            }
            var position = 0
            try reader.readArray(depth: 0) { (element: inout JSONReader) throws(JSONSyntaxError) in
                if element.peek() == UInt8(ascii: "n") {
                    problem("causedBy[\(position)]", "invalid_type", "causedBy entries must be event ids, not null")
                }
                if let id = try readString("causedBy[\(position)]", &element, problem) {
                    if ULID.isValid(id) {
                        causedBy.append(id)
                    } else {
                        problem("causedBy[\(position)]", "invalid_value", "causedBy entries must be event ids (ULIDs)")
                    }
                }
                position += 1
            }
            if causedBy.count > limits.maxCausedBy {
                problem(key, "too_long", "causedBy may name at most \(limits.maxCausedBy) events")
            }
        case "data":
            let start: Int
            reader.skipWhitespace()
            start = reader.offset
            let kind = try reader.skipValue()
            if kind == .null { return }
            guard kind == .object else {
                problem(key, "invalid_type", "data must be a JSON object")
                return
            }
            if reader.offset - start > limits.maxDataBytes {
                problem(key, "too_long", "data is larger than \(limits.maxDataBytes) bytes")
                return
            }
            dataRange = start..<reader.offset
        default:
            reader.skipWhitespace()
            let start = reader.offset
            try reader.skipValue()
            extras.append((key, start..<reader.offset))
        }
    }

    /// Refuses the members that are not Herald fields, naming Herald's field when the member is
    /// a known other spelling of one (``Vocabulary/fieldRenames``).
    func reportExtras(problem: Problem) {
        for extra in extras {
            if let herald = Vocabulary.fieldRenames[extra.key] {
                problem(extra.key, "unknown_field", "unknown field '\(extra.key)': Herald calls it '\(herald)'")
            } else {
                problem(extra.key, "unknown_field", "unknown field '\(extra.key)'; the payload goes in 'data'")
            }
        }
    }

    /// Takes a top-level `timestamp` (what R-emit lines carry) as `time`. Both may be given only
    /// when they name the same instant. (An AG-UI event's `timestamp`, in milliseconds, is read
    /// by ``translateFromAGUI(_:limits:problem:)`` instead.)
    mutating func takeTimestampAlias(_ bytes: UnsafeBufferPointer<UInt8>, limits: IngestLimits, problem: Problem) {
        guard let position = extras.firstIndex(where: { $0.key == "timestamp" }) else { return }
        let range = extras.remove(at: position).range
        if extras.contains(where: { $0.key == "timestamp" }) {
            problem("timestamp", "duplicate_field", "the field appears more than once")
            extras.removeAll { $0.key == "timestamp" }
        }
        var reader = JSONReader(UnsafeBufferPointer(rebasing: bytes[range]), maxDepth: 1, maxStringBytes: limits.maxStringBytes)
        if reader.readNull() { return }
        guard (try? reader.peekKind()) == .string, let text = try? reader.readString() else {
            problem("timestamp", "invalid_type", "timestamp (an alias of time) must be an RFC 3339 string")
            return
        }
        guard let value = Timestamp(rfc3339: text) else {
            problem("timestamp", "invalid_value", Self.timeProblem("timestamp", text))
            return
        }
        if let time, time != value {
            problem("timestamp", "conflict", "timestamp is an alias of time, and the two differ: send one of them")
            return
        }
        if time == nil { timeField = "timestamp" }
        time = value
    }

    /// Why `text` is not a time, with the fix for the usual case: Python's naive `isoformat()`.
    static func timeProblem(_ field: String, _ text: String) -> String {
        if Timestamp.lacksOffset(text) {
            return "\(field) has no UTC offset, so the instant it names is unknown: add one, "
                + "e.g. datetime.now(timezone.utc).isoformat() in Python, or end it with Z"
        }
        return "\(field) must be an RFC 3339 timestamp, e.g. 2026-01-02T03:04:05.000006Z"
    }

    /// Turns an AG-UI-shaped event (`{"type":"TEXT_MESSAGE_CONTENT","messageId":…,"delta":…,"run":…}`)
    /// into its Herald equivalent: the type mapped (see ``AGUI``), its fields moved into `data`
    /// under Herald's names, `timestamp` (milliseconds) as `time`, and a RUN_* event's `runId`
    /// as the run when none is given.
    mutating func translateFromAGUI(_ bytes: UnsafeBufferPointer<UInt8>, limits: IngestLimits, problem: Problem) {
        guard let aguiType = type else { return }
        guard AGUI.isKnown(aguiType) else {
            problem("type", "unknown_type", Vocabulary.upperCaseTypeHint(aguiType))
            typeRefused = true
            return
        }
        if dataRange != nil {
            problem("data", "unknown_field", "an AG-UI event (\(aguiType)) carries its fields at the top level, not in data")
            return
        }
        func kind(_ raw: UnsafeBufferPointer<UInt8>) -> JSONReader.Kind? {
            var reader = JSONReader(raw, maxDepth: .max, maxStringBytes: .max)
            return try? reader.peekKind()
        }
        var writer = JSONWriter(capacity: 128)
        writer.raw("{")
        var written: Set<String> = []
        var members = 0
        var cancelled = false
        for (key, range) in extras {
            let raw = UnsafeBufferPointer(rebasing: bytes[range])
            guard written.insert(key).inserted else {
                problem(key, "duplicate_field", "the field appears more than once")
                continue
            }
            // null stands for absent in the envelope fields; elsewhere (CUSTOM's value, a result) it is a value.
            if kind(raw) == .null, ["timestamp", "metadata", "subagentRunId"].contains(key) { continue }
            switch key {
            case "timestamp":
                var reader = JSONReader(raw, maxDepth: 1, maxStringBytes: 64)
                // Up to the last millisecond of year 9999, the latest time Herald writes.
                guard let milliseconds = try? reader.readInteger(), milliseconds >= 0, milliseconds <= 253_402_300_799_999 else {
                    problem(key, "invalid_value", "timestamp must be milliseconds since 1970 (an integer, up to the year 9999)")
                    continue
                }
                if time == nil {
                    time = Timestamp(microseconds: milliseconds * 1000)
                    timeField = "timestamp"
                }
                continue
            case "metadata" where kind(raw) != .object, "outcome" where kind(raw) != .object:
                problem(key, "invalid_type", "\(key) must be an object")
                continue
            case "subagentRunId" where kind(raw) != .string, "runId" where kind(raw) != .string:
                problem(key, "invalid_type", "\(key) must be a string")
                continue
            case "outcome":
                // RUN_FINISHED with a cancelled outcome ends the run as cancelled.
                cancelled = AGUI.members(of: UnsafeBufferPointer(rebasing: bytes[range]))
                    .first { $0.key == "type" }.flatMap { AGUI.string($0.value) } == "cancelled"
            case "runId" where run == nil && aguiType.hasPrefix("RUN_"):
                var reader = JSONReader(raw, maxDepth: 1, maxStringBytes: limits.maxStringBytes)
                if kind(raw) == .string { run = try? reader.readString() }
            default:
                break
            }
            if members > 0 { writer.raw(",") }
            members += 1
            writer.string(AGUI.heraldField(key, of: aguiType))
            writer.raw(":")
            writer.compacted(raw)
        }
        writer.raw("}")
        if writer.bytes.count > limits.maxDataBytes {
            problem("data", "too_long", "the event's fields are larger than \(limits.maxDataBytes) bytes")
            return
        }
        type = aguiType == "RUN_FINISHED" && cancelled ? "run.cancelled" : AGUI.heraldType(for: aguiType)
        data = writer.bytes
    }

    private func readString(_ field: String, _ reader: inout JSONReader, _ problem: Problem) throws(JSONSyntaxError) -> String? {
        if reader.readNull() { return nil }
        guard try reader.peekKind() == .string else {
            try reader.skipValue()
            problem(field, "invalid_type", "\(field) must be a string")
            return nil
        }
        return try reader.readString()
    }

    private func readInteger(_ field: String, _ reader: inout JSONReader, _ problem: Problem) throws(JSONSyntaxError) -> Int64? {
        if reader.readNull() { return nil }
        guard try reader.peekKind() == .number else {
            try reader.skipValue()
            problem(field, "invalid_type", "\(field) must be an integer")
            return nil
        }
        guard let value = try reader.readInteger() else {
            problem(field, "invalid_type", "\(field) must be an integer")
            return nil
        }
        return value
    }

    /// Checks the fields together and builds the draft, or reports why not.
    func draft(index: Int, defaultProject: String, projectLevel: Bool = false, problem: Problem) -> EventDraft? {
        var ok = true
        func fail(_ field: String, _ code: String, _ message: String) {
            problem(field, code, message)
            ok = false
        }
        if let id, !ULID.isValid(id) {
            fail("id", "invalid_value", "id must be a ULID (26 characters of Crockford base32, upper case)")
        }
        let project = self.project ?? defaultProject
        if !Names.isValidRun(project) {
            fail("project", "invalid_value", "project must match [A-Za-z0-9._:-]{1,128}")
        }
        if projectLevel {
            if run != nil { fail("run", "not_allowed", "a project-level event names no run: post run events to /v1/events") }
            if self.project != nil { fail("project", "not_allowed", "the path names the project (\(defaultProject)): leave project out") }
            if let type, type.hasPrefix("run.") { fail("type", "not_allowed", "\(type) belongs to a run: post it to /v1/events") }
        } else if let run {
            if !Names.isValidRun(run) { fail("run", "invalid_value", "run must match [A-Za-z0-9._:-]{1,128}") }
        } else {
            fail("run", "required", "run is required")
        }
        if let type {
            if !Names.isValidType(type), !typeRefused {
                let rename = Vocabulary.herald(typeFor: type).map { ": \(type) is \($0) in Herald" } ?? ""
                fail("type", "invalid_value", "type must be a lowercase dotted name such as agent.log or my.custom_thing (at most 128 characters)\(rename)")
            }
        } else {
            fail("type", "required", "type is required")
        }
        if let agent, !Names.isValidAgent(agent) {
            fail("agent", "invalid_value", "agent must be 1 to 128 printable characters without commas")
        }
        guard ok, !typeRefused, let run = projectLevel ? RunRef.projectLevel(project).run : run, let type else { return nil }
        return EventDraft(
            id: id, project: project, run: run, type: type, level: level, time: time, agent: agent, turn: turn,
            causedBy: causedBy, data: data ?? Array("{}".utf8), expectedSeq: expectedSeq
        )
    }
}
