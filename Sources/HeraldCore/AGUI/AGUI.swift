/// The AG-UI protocol (the event protocol agent front-ends speak, e.g. CopilotKit) and Herald's
/// events, both ways: AG-UI events posted to ingest are stored as their Herald equivalents, and
/// a run stream with `?format=ag-ui` is written as AG-UI events. docs/ag-ui.md has the table.
public enum AGUI {
    /// The AG-UI protocol version the streams speak.
    public static let protocolVersion = "1.0"

    /// One Herald type and its AG-UI type; `fields` are the AG-UI event's own fields with the
    /// `data` member each comes from (renamed where Herald's vocabulary names it otherwise).
    struct Mapping {
        var herald: String
        var agui: String
        var fields: [(herald: String, agui: String)]
    }

    static func same(_ names: String...) -> [(herald: String, agui: String)] { names.map { ($0, $0) } }

    /// Types that map one to one (the run lifecycle is written separately: see ``AGUIStream``).
    static let mappings: [Mapping] = [
        Mapping(herald: "run.started", agui: "RUN_STARTED", fields: same("threadId", "runId", "parentRunId")),
        Mapping(herald: "run.completed", agui: "RUN_FINISHED", fields: same("threadId", "runId", "result", "outcome")),
        Mapping(herald: "run.failed", agui: "RUN_ERROR", fields: [("error", "message"), ("code", "code")]),
        Mapping(herald: "step.started", agui: "STEP_STARTED", fields: [("stepId", "stepName")]),
        Mapping(herald: "step.completed", agui: "STEP_FINISHED", fields: [("stepId", "stepName")]),
        Mapping(herald: "message.started", agui: "TEXT_MESSAGE_START", fields: same("messageId", "role", "name")),
        Mapping(herald: "message.delta", agui: "TEXT_MESSAGE_CONTENT", fields: same("messageId", "delta")),
        Mapping(herald: "message.completed", agui: "TEXT_MESSAGE_END", fields: same("messageId")),
        Mapping(herald: "tool.call_started", agui: "TOOL_CALL_START", fields: same("toolCallId", "toolCallName", "parentMessageId")),
        Mapping(herald: "tool.call_args", agui: "TOOL_CALL_ARGS", fields: same("toolCallId", "delta")),
        Mapping(herald: "tool.call_completed", agui: "TOOL_CALL_END", fields: same("toolCallId")),
        Mapping(herald: "tool.call_result", agui: "TOOL_CALL_RESULT", fields: same("messageId", "toolCallId", "content", "role")),
        Mapping(herald: "state.snapshot", agui: "STATE_SNAPSHOT", fields: same("snapshot")),
        Mapping(herald: "state.delta", agui: "STATE_DELTA", fields: same("delta")),
        Mapping(herald: "reasoning.started", agui: "REASONING_START", fields: same("messageId")),
        Mapping(herald: "reasoning.message_started", agui: "REASONING_MESSAGE_START", fields: same("messageId", "role")),
        Mapping(herald: "reasoning.delta", agui: "REASONING_MESSAGE_CONTENT", fields: same("messageId", "delta")),
        Mapping(herald: "reasoning.message_completed", agui: "REASONING_MESSAGE_END", fields: same("messageId")),
        Mapping(herald: "reasoning.completed", agui: "REASONING_END", fields: same("messageId")),
    ]

    static let byHerald = Dictionary(uniqueKeysWithValues: mappings.map { ($0.herald, $0) })
    static let byAGUI = Dictionary(uniqueKeysWithValues: mappings.map { ($0.agui, $0) })

    /// AG-UI types without a Herald equivalent are stored as `ag_ui.<type in lower case>`, their
    /// fields in `data`, and written back as they came (CUSTOM, RAW, MESSAGES_SNAPSHOT, …).
    static let passthroughPrefix = "ag_ui."

    /// The 31 event types of AG-UI 1.0. Others (a typo, the removed THINKING_*) are refused.
    public static let knownTypes: Set<String> = [
        "RUN_STARTED", "RUN_FINISHED", "RUN_ERROR", "STEP_STARTED", "STEP_FINISHED",
        "TEXT_MESSAGE_START", "TEXT_MESSAGE_CONTENT", "TEXT_MESSAGE_END", "TEXT_MESSAGE_CHUNK",
        "TOOL_CALL_START", "TOOL_CALL_ARGS", "TOOL_CALL_END", "TOOL_CALL_CHUNK", "TOOL_CALL_RESULT",
        "STATE_SNAPSHOT", "STATE_DELTA", "MESSAGES_SNAPSHOT", "ACTIVITY_SNAPSHOT", "ACTIVITY_DELTA",
        "REASONING_START", "REASONING_MESSAGE_START", "REASONING_MESSAGE_CONTENT", "REASONING_MESSAGE_END",
        "REASONING_MESSAGE_CHUNK", "REASONING_END", "REASONING_ENCRYPTED_VALUE",
        "RAW", "CUSTOM", "SUBAGENT_STARTED", "SUBAGENT_FINISHED", "SUBAGENT_ERROR",
    ]

    public static func isKnown(_ aguiType: String) -> Bool { knownTypes.contains(aguiType) }

    /// Fields every AG-UI event may carry; kept in `data` and written back.
    static let baseFields = ["metadata", "rawEvent", "subagentRunId"]

    /// Whether `type` is spelled as an AG-UI event type (`TEXT_MESSAGE_CONTENT`): upper case,
    /// digits and underscores. Herald's own types are lower case, so the two cannot be confused.
    public static func isAGUIType(_ type: String) -> Bool {
        !type.isEmpty && type.utf8.allSatisfy { ($0 >= 0x41 && $0 <= 0x5A) || $0 == 0x5F || ($0 >= 0x30 && $0 <= 0x39) }
            && type.utf8.first.map { $0 >= 0x41 && $0 <= 0x5A } == true
    }

    /// The Herald type an AG-UI event is stored as.
    public static func heraldType(for aguiType: String) -> String {
        byAGUI[aguiType]?.herald ?? passthroughPrefix + aguiType.lowercased()
    }

    /// The `data` member name an AG-UI field of `aguiType` is stored under.
    static func heraldField(_ field: String, of aguiType: String) -> String {
        byAGUI[aguiType]?.fields.first { $0.agui == field }?.herald ?? field
    }
}

extension AGUI {
    /// The members of a JSON object as raw values, in order (empty for anything else).
    static func members(of object: some Collection<UInt8>) -> [(key: String, value: ArraySlice<UInt8>)] {
        let bytes = Array(object)
        return bytes.withUnsafeBufferPointer { buffer in
            var reader = JSONReader(buffer, maxDepth: .max, maxStringBytes: .max)
            var members: [(key: String, value: ArraySlice<UInt8>)] = []
            do throws(JSONSyntaxError) {
                try reader.readObject { (value: inout JSONReader, key: String) throws(JSONSyntaxError) in
                    value.skipWhitespace()
                    let start = value.offset
                    try value.skipValue()
                    members.append((key, bytes[start..<value.offset]))
                }
            } catch {
                return []
            }
            return members
        }
    }

    /// The string a raw JSON value holds, if it is a string.
    static func string(_ raw: ArraySlice<UInt8>) -> String? {
        Array(raw).withUnsafeBufferPointer { buffer in
            var reader = JSONReader(buffer, maxDepth: 1, maxStringBytes: .max)
            return (try? reader.peekKind()) == .string ? try? reader.readString() : nil
        }
    }
}
