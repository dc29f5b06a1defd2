/// Writes one connection's run events as AG-UI events (`?format=ag-ui`).
///
/// - The stream opens with `RUN_STARTED` (`threadId`, `runId`, `protocolVersion`): the run's
///   `run.started` when it is the first event written, otherwise one made up (without an id)
///   before the first event. A resumed connection does not repeat it.
/// - `run.completed` and `run.cancelled` end with `RUN_FINISHED` (a cancelled outcome for the
///   latter), `run.failed` with `RUN_ERROR`.
/// - Types with an AG-UI equivalent are written as it, with only the fields AG-UI defines;
///   events that came in as AG-UI types without an equivalent (`ag_ui.*`) are written back as
///   they came; everything else is a `CUSTOM` event named `herald.<type>` whose value is the
///   Herald event.
/// - Each frame is `data:` compact JSON; the frame written for an event carries the event's seq
///   as `id:`, so `Last-Event-ID` resumes exactly after it.
public struct AGUIStream: Sendable {
    private var startedSent: Bool
    /// The AG-UI thread: the run's `run.started` `data.threadId`, else the run's name.
    private var threadId: String?

    /// - Parameters:
    ///   - resuming: whether the client resumes after an event it already has (it then has
    ///     RUN_STARTED too).
    ///   - threadId: the run's thread, when known before its `run.started` is written.
    public init(resuming: Bool, threadId: String? = nil) {
        startedSent = resuming
        self.threadId = threadId
    }

    /// The SSE frames for `event`.
    public mutating func frames(for event: Event) -> [UInt8] {
        let objects = objects(for: event)
        var out: [UInt8] = []
        for (index, object) in objects.enumerated() {
            if index == objects.count - 1 { out.append(contentsOf: "id: \(event.seq)\n".utf8) }
            out.append(contentsOf: "data: ".utf8)
            out.append(contentsOf: object)
            out.append(contentsOf: "\n\n".utf8)
        }
        return out
    }

    /// The AG-UI event objects `event` is written as, in order.
    public mutating func objects(for event: Event) -> [[UInt8]] {
        let data = AGUI.members(of: Self.data(of: event))
        var out: [[UInt8]] = []
        func value(_ name: String) -> ArraySlice<UInt8>? { data.first { $0.key == name }?.value }
        if event.type == "run.started", threadId == nil { threadId = value("threadId").flatMap(AGUI.string) }
        if !startedSent {
            startedSent = true
            if event.type == "run.started" { return [runStarted(event, data: data)] }
            out.append(runStarted(event, data: []))
        }
        switch event.type {
        case "run.completed":
            var object = Self.object("RUN_FINISHED", event, data: data)
            object.field("threadId", raw: value("threadId"), orString: threadId ?? event.run)
            object.field("runId", string: event.run)
            if let result = value("result") ?? value("summary") { object.field("result", raw: result) }
            if let outcome = value("outcome") { object.field("outcome", raw: outcome) }
            out.append(object.close())
        case "run.cancelled":
            var object = Self.object("RUN_FINISHED", event, data: data)
            object.field("threadId", raw: value("threadId"), orString: threadId ?? event.run)
            object.field("runId", string: event.run)
            object.field("outcome", raw: Array(#"{"type":"cancelled"}"#.utf8)[...])
            out.append(object.close())
        case "run.failed":
            var object = Self.object("RUN_ERROR", event, data: data)
            object.field("message", raw: value("error"), orString: "the run failed")
            if let code = value("code"), AGUI.string(code) != nil { object.field("code", raw: code) }
            out.append(object.close())
        case "step.failed":
            // AG-UI has no failed step: it is finished, and the failure rides in its metadata.
            var object = Self.object("STEP_FINISHED", event, data: data.filter { $0.key != "metadata" })
            object.field("stepName", raw: value("stepId"), orString: "")
            var failure = JSONWriter()
            failure.raw(#"{"herald":{"type":"step.failed""#)
            for name in ["code", "message"] {
                if let raw = value(name), AGUI.string(raw) != nil {
                    failure.raw(",")
                    failure.string(name)
                    failure.raw(":")
                    failure.raw(raw)
                }
            }
            failure.raw("}}")
            object.field("metadata", raw: failure.bytes[...])
            out.append(object.close())
        case let type where type.hasPrefix(AGUI.passthroughPrefix):
            var object = Self.object(String(type.dropFirst(AGUI.passthroughPrefix.count)).uppercased(), event, data: [])
            // As it came, nulls included (ingest keeps `type` and `timestamp` out of data).
            for member in data where member.key != "type" && member.key != "timestamp" { object.field(member.key, raw: member.value) }
            out.append(object.close())
        case let type:
            guard let mapping = AGUI.byHerald[type], type != "run.started" else {
                out.append(Self.custom(event))
                return out
            }
            var object = Self.object(mapping.agui, event, data: data)
            for (herald, agui) in mapping.fields where agui != "role" || type != "reasoning.message_started" {
                // An absent optional field is left out; null is written only where AG-UI takes any JSON.
                if let raw = value(herald), raw != Self.null[...] || ["snapshot", "result", "content"].contains(agui) {
                    object.field(agui, raw: raw)
                }
            }
            if type == "reasoning.message_started" { object.field("role", string: "reasoning") }
            out.append(object.close())
        }
        return out
    }

    /// The `herald.gap` notice as an AG-UI CUSTOM frame (AG-UI clients read every frame as an event).
    public static func gap(_ json: [UInt8], continuesAfter: Int64) -> [UInt8] {
        var writer = JSONWriter()
        writer.raw(#"{"type":"CUSTOM","name":"herald.gap","value":"#)
        writer.raw(json)
        writer.raw("}")
        return Array("id: \(continuesAfter)\ndata: ".utf8) + writer.bytes + Array("\n\n".utf8)
    }

    // MARK: Writing objects

    static let null = Array("null".utf8)

    /// An AG-UI object being written: `{"type":…,"timestamp":…` then fields, then base fields at close.
    struct Object {
        var writer = JSONWriter(capacity: 256)
        var base: [(key: String, value: ArraySlice<UInt8>)] = []

        mutating func field(_ name: String, raw: ArraySlice<UInt8>) {
            writer.raw(",")
            writer.string(name)
            writer.raw(":")
            writer.raw(raw)
        }

        mutating func field(_ name: String, string: String) {
            writer.raw(",")
            writer.string(name)
            writer.raw(":")
            writer.string(string)
        }

        /// A string field from `raw` when it holds a string, else `fallback`.
        mutating func field(_ name: String, raw: ArraySlice<UInt8>?, orString fallback: String) {
            if let raw, AGUI.string(raw) != nil { field(name, raw: raw) } else { field(name, string: fallback) }
        }

        mutating func close() -> [UInt8] {
            for member in base { field(member.key, raw: member.value) }
            writer.raw("}")
            return writer.bytes
        }
    }

    static func object(_ type: String, _ event: Event, data: [(key: String, value: ArraySlice<UInt8>)]) -> Object {
        var object = Object()
        object.writer.raw(#"{"type":"#)
        object.writer.string(type)
        object.writer.raw(#","timestamp":"#)
        object.writer.integer(event.time.microseconds / 1000)
        // AG-UI's own base fields, when the event came in with them (run events take no subagentRunId).
        let allowed = type.hasPrefix("RUN_") ? AGUI.baseFields.filter { $0 != "subagentRunId" } : AGUI.baseFields
        object.base = data.filter { allowed.contains($0.key) && $0.value != null[...] }
        return object
    }

    func runStarted(_ event: Event, data: [(key: String, value: ArraySlice<UInt8>)]) -> [UInt8] {
        var object = Self.object("RUN_STARTED", event, data: data)
        object.field("threadId", raw: data.first { $0.key == "threadId" }?.value, orString: threadId ?? event.run)
        object.field("runId", string: event.run)
        object.field("protocolVersion", string: AGUI.protocolVersion)
        if let parent = data.first(where: { $0.key == "parentRunId" })?.value, AGUI.string(parent) != nil {
            object.field("parentRunId", raw: parent)
        }
        return object.close()
    }

    /// `CUSTOM` named `herald.<type>`, whose value is the whole Herald event.
    static func custom(_ event: Event) -> [UInt8] {
        var object = object("CUSTOM", event, data: [])
        object.field("name", string: "herald." + event.type)
        object.field("value", raw: event.json[...])
        return object.close()
    }

    /// `data.threadId` of a `run.started` event, if it names one.
    public static func threadId(in event: Event) -> String? {
        AGUI.members(of: data(of: event)).first { $0.key == "threadId" }.flatMap { AGUI.string($0.value) }
    }

    /// The `data` object of a stored event's JSON.
    static func data(of event: Event) -> ArraySlice<UInt8> {
        AGUI.members(of: event.json).first { $0.key == "data" }?.value ?? Array("{}".utf8)[...]
    }
}
