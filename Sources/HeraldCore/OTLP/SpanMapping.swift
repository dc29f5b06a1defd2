/// Turns OTLP spans into Herald events (docs/otlp.md has the table).
///
/// - A run is a trace: the run's name is the trace id in hex, and the trace's root span ending
///   ends it (`run.completed`, or `run.failed` when the root span failed). A conversation
///   (`gen_ai.conversation.id`) spans many traces, one per invocation; it is kept in the run's
///   `run.started` and on its agents' events.
/// - Each span becomes the events of its kind — agent, tool call, model call, step, or any other
///   span as a custom `otel.span` event — dated by the span's start and end.
/// - Event ids are derived from the trace id, the span id and the event's part, so a span sent
///   twice is stored once, and a child names its parent's first event in `causedBy` before the
///   parent (which ends later) has arrived.
/// - A run's first span synthesises its `run.started` (with an id derived from the trace alone,
///   so every request may carry it and the store keeps the first).
public struct SpanMapping: Sendable {
    /// The project of spans whose resource names none (`herald.project`).
    public var defaultProject: String
    /// The longest text (a tool's arguments or result, a model's answer, an attribute) kept; longer
    /// ones are cut at a Unicode scalar boundary and marked with `…`.
    public var maxTextBytes = 32 << 10
    /// How many attributes of an unknown span `otel.span` keeps (each string cut to 4 KiB, 64 KiB
    /// in all), and how deep their values nest.
    public var maxAttributes = 64
    public var maxValueDepth = 4

    public init(defaultProject: String) {
        self.defaultProject = defaultProject
    }

    /// The events of a request's spans, and the spans refused before any event was made.
    public struct Result: Sendable {
        /// Event objects in the order they are to be appended: per run, `run.started`, then its
        /// spans' events by time, then the run's end.
        public var events: [JSONValue] = []
        /// For each of ``events``, the index of the span it came from (nil: the run's `run.started`).
        public var spanOfEvent: [Int?] = []
        /// Spans refused by the mapping itself, with the reason.
        public var refused: [(span: Int, reason: String)] = []
    }

    public func map(_ spans: [OTLPSpan]) -> Result {
        var result = Result()
        // Index of each span by trace and span id, to find a span's agent among its ancestors.
        var byId: [SpanKey: Int] = [:]
        for (index, span) in spans.enumerated() where span.traceId.count == 16 && span.spanId.count == 8 {
            byId[SpanKey(trace: span.traceId, span: span.spanId)] = index
        }
        var runs: [RunRef: PendingRun] = [:]
        var runOrder: [RunRef] = []
        for (index, span) in spans.enumerated() {
            if let reason = Self.problem(with: span) {
                result.refused.append((index, reason))
                continue
            }
            let project = span.resource("herald.project")?.string ?? defaultProject
            guard Names.isValidRun(project) else {
                result.refused.append((index, "resource attribute herald.project \(project.prefix(64)) is not a project name ([A-Za-z0-9._:-]{1,128})"))
                continue
            }
            let ref = RunRef(project: project, run: span.traceId.hexString)
            if runs[ref] == nil {
                runs[ref] = PendingRun()
                runOrder.append(ref)
            }
            let agent = agentName(of: span, spans: spans, byId: byId)
            runs[ref]!.add(span, index: index, events: events(of: span, agent: agent, ref: ref))
        }
        for ref in runOrder {
            let run = runs[ref]!
            result.events.append(runStarted(ref, run: run, spans: spans))
            result.spanOfEvent.append(nil)
            // By time; a span's own events keep their order (stable sort), and the run's end goes last.
            let ordered = run.events.enumerated().sorted { lhs, rhs in
                let (left, right) = (lhs.element, rhs.element)
                if left.endsRun != right.endsRun { return right.endsRun }
                if left.time != right.time { return left.time < right.time }
                return lhs.offset < rhs.offset
            }
            for (_, event) in ordered {
                result.events.append(event.json)
                result.spanOfEvent.append(event.span)
            }
        }
        return result
    }

    // MARK: Spans

    struct SpanKey: Hashable {
        var trace: [UInt8]
        var span: [UInt8]
    }

    /// One event on its way, with what orders it within its run.
    struct Pending {
        var json: JSONValue
        var time: Timestamp
        var span: Int
        var endsRun = false
    }

    struct PendingRun {
        var events: [Pending] = []
        var earliest: Timestamp?
        var root: Int?
        var conversation: String?

        mutating func add(_ span: OTLPSpan, index: Int, events spanEvents: [Pending]) {
            events += spanEvents.map { var event = $0; event.span = index; return event }
            let start = SpanMapping.startTime(of: span)
            earliest = min(earliest ?? start, start)
            if span.isRoot { root = index }
            conversation = conversation ?? span["gen_ai.conversation.id"]?.string
        }
    }

    /// Why a span cannot be mapped, if it cannot.
    static func problem(with span: OTLPSpan) -> String? {
        if span.traceId.count != 16 || span.traceId.allSatisfy({ $0 == 0 }) {
            return "span \(span.name.prefix(64)): traceId must be 16 bytes, not all zero"
        }
        if span.spanId.count != 8 || span.spanId.allSatisfy({ $0 == 0 }) {
            return "span \(span.name.prefix(64)): spanId must be 8 bytes, not all zero"
        }
        if !span.parentSpanId.isEmpty, span.parentSpanId.count != 8 {
            return "span \(span.name.prefix(64)): parentSpanId must be 8 bytes or empty"
        }
        return nil
    }

    /// What a span is, from the GenAI conventions' `gen_ai.operation.name` or OpenInference's
    /// `openinference.span.kind`.
    enum Kind: Equatable {
        case agent, tool, model, step, other
    }

    static func kind(of span: OTLPSpan) -> Kind {
        switch span["gen_ai.operation.name"]?.string {
        case "invoke_agent", "create_agent": return .agent
        case "execute_tool": return .tool
        case "chat", "text_completion", "generate_content", "embeddings": return .model
        case .some: return .step
        case nil: break
        }
        switch span["openinference.span.kind"]?.string?.uppercased() {
        case "AGENT": return .agent
        case "TOOL": return .tool
        case "LLM", "EMBEDDING": return .model
        case .some: return .step  // CHAIN, RETRIEVER, RERANKER, GUARDRAIL, EVALUATOR, PROMPT
        case nil: return .other
        }
    }

    /// The span's agent: its own `gen_ai.agent.name` (or OpenInference's `agent.name`), an
    /// agent span's name, or else the nearest agent among its ancestors in this request.
    func agentName(of span: OTLPSpan, spans: [OTLPSpan], byId: [SpanKey: Int]) -> String? {
        var current = span
        for _ in 0..<64 {
            if let name = Self.ownAgentName(of: current) { return name }
            guard !current.isRoot, let parent = byId[SpanKey(trace: current.traceId, span: current.parentSpanId)] else { return nil }
            current = spans[parent]
        }
        return nil
    }

    static func ownAgentName(of span: OTLPSpan) -> String? {
        let named = span["gen_ai.agent.name"]?.string ?? span["agent.name"]?.string
        let name = named ?? (kind(of: span) == .agent ? agentFromSpanName(span.name) : nil)
        // An agent name is 1–128 bytes of printable characters without commas (they separate
        // agents in ?agent= filters).
        guard let name else { return nil }
        let printable = String(String.UnicodeScalarView(name.unicodeScalars.filter { $0.value >= 0x20 && $0.value != 0x7F }))
        let cleaned = String(printable.replacing(",", with: " ").trimmingSpaces)
        return cleaned.isEmpty ? nil : clip(cleaned, bytes: 128).text
    }

    /// `invoke_agent weather` names the agent `weather`.
    static func agentFromSpanName(_ name: String) -> String {
        for prefix in ["invoke_agent ", "create_agent "] where name.hasPrefix(prefix) {
            return String(name.dropFirst(prefix.count))
        }
        return name
    }

    // MARK: Events

    func events(of span: OTLPSpan, agent: String?, ref: RunRef) -> [Pending] {
        let start = Self.startTime(of: span)
        let end = Self.endTime(of: span)
        let hex = span.spanId.hexString
        let parent = span.isRoot ? [] : [Self.id(span.traceId, span.parentSpanId, "span").description]
        let first = Self.id(span.traceId, span.spanId, "span").description
        let failure = Self.failure(of: span)
        var events: [Pending] = []
        // The span's first event is named by its children's causedBy; the rest follow from it.
        func add(_ type: String, _ part: String, at time: Timestamp, agent: String? = agent, data: [(String, JSONValue)], endsRun: Bool = false) {
            let id = events.isEmpty ? first : Self.id(span.traceId, span.spanId, part).description
            let causedBy = events.isEmpty ? parent : [first]
            var members: [(String, JSONValue)] = [
                ("id", .string(id)), ("project", .string(ref.project)), ("run", .string(ref.run)), ("type", .string(type)),
                ("time", .string(time.rfc3339)),
            ]
            if let agent { members.append(("agent", .string(agent))) }
            if !causedBy.isEmpty { members.append(("causedBy", .array(causedBy.map(JSONValue.string)))) }
            members.append(("data", .object(data)))
            events.append(Pending(json: .object(members), time: time, span: 0, endsRun: endsRun))
        }
        let spanRef: [(String, JSONValue)] = [("spanId", .string(hex))]
        switch Self.kind(of: span) {
        case .agent:
            let name = agent ?? "agent"
            var started = spanRef
            if let description = span["gen_ai.agent.description"]?.string { started.append(("role", text(description))) }
            if let conversation = span["gen_ai.conversation.id"]?.string { started.append(("conversationId", text(conversation))) }
            add("agent.started", "start", at: start, agent: name, data: started)
            if let failure {
                add("agent.failed", "end", at: end, agent: name, data: spanRef + [("error", text(failure.message)), ("willRetry", .bool(false))])
            } else {
                var completed = spanRef
                if let output = Self.agentOutput(of: span) { completed.append(("summary", text(output))) }
                add("agent.completed", "end", at: end, agent: name, data: completed)
            }
        case .tool:
            let callId = span["gen_ai.tool.call.id"]?.string.flatMap { $0.isEmpty ? nil : $0 } ?? hex
            let name = span["gen_ai.tool.name"]?.string ?? span["tool.name"]?.string ?? span.name
            add("tool.call_started", "start", at: start, data: spanRef + [("toolCallId", text(callId)), ("toolCallName", text(name))])
            if let arguments = span["gen_ai.tool.call.arguments"] ?? span["tool.parameters"] ?? span["input.value"] {
                add("tool.call_args", "args", at: start, data: [("toolCallId", text(callId)), ("delta", text(arguments.text))])
            }
            let result = failure.map { "error: \($0.message)" } ?? (span["gen_ai.tool.call.result"] ?? span["output.value"])?.text
            if let result {
                add("tool.call_result", "result", at: end, data: [
                    ("toolCallId", text(callId)), ("messageId", .string("\(hex)-result")), ("content", text(result)), ("role", .string("tool")),
                ])
            }
            add("tool.call_completed", "end", at: end, data: [("toolCallId", text(callId))])
            if let failure { add("step.failed", "failed", at: end, data: stepFailed(hex, failure)) }
        case .model:
            add("step.started", "start", at: start, data: [("stepId", .string(hex)), ("label", text(span.name))])
            if let answer = Self.modelOutput(of: span) {
                add("message.started", "message", at: end, data: [("messageId", .string(hex)), ("role", .string("assistant"))])
                add("message.delta", "delta", at: end, data: [("messageId", .string(hex)), ("delta", text(answer))])
                add("message.completed", "message-end", at: end, data: [("messageId", .string(hex))])
            }
            if let failure {
                add("step.failed", "end", at: end, data: stepFailed(hex, failure))
            } else {
                add("step.completed", "end", at: end, data: [("stepId", .string(hex))] + Self.usage(of: span))
            }
        case .step:
            add("step.started", "start", at: start, data: [("stepId", .string(hex)), ("label", text(span.name))])
            if let failure {
                add("step.failed", "end", at: end, data: stepFailed(hex, failure))
            } else {
                add("step.completed", "end", at: end, data: [("stepId", .string(hex))])
            }
        case .other:
            add("otel.span", "span", at: end, data: otelSpan(span, start: start, end: end, failure: failure))
        }
        if span.isRoot {
            if let failure {
                add("run.failed", "run-end", at: end, data: [("error", text(failure.message)), ("code", text(failure.code))], endsRun: true)
            } else {
                var completed: [(String, JSONValue)] = []
                if let output = Self.agentOutput(of: span) { completed.append(("summary", text(output))) }
                add("run.completed", "run-end", at: end, data: completed, endsRun: true)
            }
        }
        return events
    }

    func runStarted(_ ref: RunRef, run: PendingRun, spans: [OTLPSpan]) -> JSONValue {
        var data: [(String, JSONValue)] = [("traceId", .string(ref.run))]
        // The root span names the run (its agent, if it is one); until it arrives (it ends last),
        // the first agent named does.
        let root = run.root.map { spans[$0] }
        let firstAgent = run.events.lazy.compactMap { $0.json["agent"] }.first
        if let title = root.map({ Self.kind(of: $0) == .agent ? Self.ownAgentName(of: $0) ?? $0.name : $0.name }) {
            data.append(("name", text(title)))
        } else if let firstAgent {
            data.append(("name", firstAgent))
        }
        if let conversation = run.conversation { data.append(("conversationId", text(conversation))) }
        let traceId = Array(ref.run.utf8)
        return .object([
            ("id", .string(Self.id(traceId, [], "run").description)), ("project", .string(ref.project)), ("run", .string(ref.run)),
            ("type", .string("run.started")), ("time", .string((run.earliest ?? .now()).rfc3339)), ("data", .object(data)),
        ])
    }

    func stepFailed(_ stepId: String, _ failure: Failure) -> [(String, JSONValue)] {
        [("stepId", .string(stepId)), ("code", text(failure.code)), ("message", text(failure.message))]
    }

    /// An unknown span, kept whole but bounded.
    func otelSpan(_ span: OTLPSpan, start: Timestamp, end: Timestamp, failure: Failure?) -> [(String, JSONValue)] {
        var data: [(String, JSONValue)] = [
            ("name", text(span.name)), ("spanId", .string(span.spanId.hexString)), ("kind", .integer(Int64(span.kind))),
            ("startTime", .string(start.rfc3339)), ("durationMs", .number(Double(end.microseconds - start.microseconds) / 1000)),
        ]
        if !span.parentSpanId.isEmpty { data.append(("parentSpanId", .string(span.parentSpanId.hexString))) }
        if !span.scope.isEmpty { data.append(("scope", text(span.scope))) }
        if let failure { data.append(("error", .object([("code", text(failure.code)), ("message", text(failure.message))]))) }
        // At most maxAttributes, each string cut to 4 KiB, and no more than 64 KiB of them as JSON.
        var kept: [(String, JSONValue)] = []
        var size = 0
        for attribute in span.attributes.prefix(maxAttributes) {
            let value = bounded(attribute.value.json(maxDepth: maxValueDepth), bytes: 4 << 10)
            size += attribute.key.utf8.count + ((try? value.encoded().count) ?? 0)
            guard size <= 64 << 10 else { break }
            kept.append((clip(attribute.key, bytes: 256).text, value))
        }
        if !kept.isEmpty { data.append(("attributes", .object(kept))) }
        if span.attributes.count > kept.count { data.append(("droppedAttributes", .integer(Int64(span.attributes.count - kept.count)))) }
        return data
    }

    // MARK: What spans say

    struct Failure {
        var code: String
        var message: String
    }

    /// A span whose status is ERROR: the status message, or its `exception` event's.
    static func failure(of span: OTLPSpan) -> Failure? {
        guard span.status.isError else { return nil }
        let exception = span.events.last { $0.name == "exception" }
        let type = exception?["exception.type"]?.string ?? span["error.type"]?.string
        let message = [span.status.message, exception?["exception.message"]?.string ?? ""].first { !$0.isEmpty } ?? type ?? "span failed"
        return Failure(code: type ?? "error", message: message)
    }

    /// What an agent or root span answered: PydanticAI's `final_result`, OpenInference's
    /// `output.value`, or the text of `gen_ai.output.messages`.
    static func agentOutput(of span: OTLPSpan) -> String? {
        (span["final_result"] ?? span["output.value"])?.text ?? modelOutput(of: span)
    }

    /// A model call's answer: the text parts of `gen_ai.output.messages` (a JSON string, or a
    /// structured value), or OpenInference's first output message.
    static func modelOutput(of span: OTLPSpan) -> String? {
        if let messages = span["gen_ai.output.messages"] {
            let json: JSONValue? = switch messages {
            case .string(let text): JSONValue(parsing: Array(text.utf8))
            default: messages.json(maxDepth: 8)
            }
            var texts: [String] = []
            if case .array(let list)? = json {
                for message in list {
                    guard case .array(let parts)? = message["parts"] else { continue }
                    for part in parts where part["type"] == .string("text") {
                        if case .string(let content)? = part["content"] { texts.append(content) }
                    }
                }
            }
            if !texts.isEmpty { return texts.joined(separator: "\n") }
        }
        return span["llm.output_messages.0.message.content"]?.string
    }

    /// Token usage and model of a model call, under Herald's `tokensUsed` and beside it.
    static func usage(of span: OTLPSpan) -> [(String, JSONValue)] {
        let input = (span["gen_ai.usage.input_tokens"] ?? span["llm.token_count.prompt"])?.int
        let output = (span["gen_ai.usage.output_tokens"] ?? span["llm.token_count.completion"])?.int
        // Counts are whatever the span says: a sum past Int64 is clamped, never a trap.
        let sum = (input ?? 0).addingReportingOverflow(output ?? 0)
        let total = span["llm.token_count.total"]?.int ?? (sum.overflow ? .max : sum.partialValue)
        var data: [(String, JSONValue)] = []
        if input != nil || output != nil || span["llm.token_count.total"] != nil {
            data.append(("tokensUsed", .integer(max(0, total))))
        }
        if let input { data.append(("inputTokens", .integer(input))) }
        if let output { data.append(("outputTokens", .integer(output))) }
        if let model = (span["gen_ai.response.model"] ?? span["gen_ai.request.model"] ?? span["llm.model_name"])?.string {
            data.append(("model", .string(clip(model, bytes: 256).text)))
        }
        return data
    }

    static func startTime(of span: OTLPSpan) -> Timestamp {
        Timestamp(microseconds: Int64(clamping: (span.startNanos != 0 ? span.startNanos : span.endNanos) / 1000))
    }

    static func endTime(of span: OTLPSpan) -> Timestamp {
        max(startTime(of: span), Timestamp(microseconds: Int64(clamping: span.endNanos / 1000)))
    }

    // MARK: Ids and bounds

    /// A ULID made from the trace id, the span id and the event's part: the same span gives the
    /// same ids however often it is sent. Its 48 "time" bits hash the trace alone, so a trace's
    /// events sit together in the store's id index (an insert per trace, not one per event, at a
    /// random place); they are not a time.
    static func id(_ traceId: [UInt8], _ spanId: [UInt8], _ part: String) -> EventID {
        var trace = Hash64(seed: 0xCBF2_9CE4_8422_2325)
        var first = trace
        var second = Hash64(seed: 0x6C62_272E_07BB_0142)
        trace.add(traceId)
        first.add(traceId); first.add(spanId); first.add(Array(part.utf8))
        second.add(traceId); second.add(spanId); second.add(Array(part.utf8))
        return EventID(milliseconds: trace.value >> 16, randomHigh: UInt16(truncatingIfNeeded: first.value), randomLow: second.value)
    }

    /// A text kept to ``maxTextBytes``.
    func text(_ value: String) -> JSONValue {
        .string(clip(value, bytes: maxTextBytes).text)
    }

    /// Strings anywhere in an attribute value kept to `bytes`.
    func bounded(_ value: JSONValue, bytes: Int) -> JSONValue {
        switch value {
        case .string(let text): .string(clip(text, bytes: bytes).text)
        case .array(let values): .array(values.map { bounded($0, bytes: bytes) })
        case .object(let members): .object(members.map { ($0.0, bounded($0.1, bytes: bytes)) })
        default: value
        }
    }
}

/// FNV-1a over bytes, finished with SplitMix64's mixer: a stable 64-bit hash (Swift's `Hasher`
/// is seeded per process, and ids must be the same in every process).
struct Hash64 {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func add(_ bytes: [UInt8]) {
        for byte in bytes {
            state ^= UInt64(byte)
            state = state &* 0x0000_0100_0000_01B3
        }
        // A separator, so ("ab", "c") and ("a", "bc") differ.
        state ^= 0xFF
        state = state &* 0x0000_0100_0000_01B3
    }

    var value: UInt64 {
        var z = state &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Text cut to at most `bytes` UTF-8 bytes at a Unicode scalar boundary, ending with `…` when
/// cut. (Scalars, not characters: a rule every client can apply the same way without Unicode's
/// grapheme tables; a combining mark may lose its base at the cut.)
func clip(_ text: String, bytes limit: Int) -> (text: String, wasCut: Bool) {
    guard text.utf8.count > limit else { return (text, false) }
    let marker = "…"
    var kept = String.UnicodeScalarView()
    var used = 0
    for scalar in text.unicodeScalars {
        let size = String(scalar).utf8.count
        if used + size + marker.utf8.count > limit { break }
        kept.append(scalar)
        used += size
    }
    return (String(kept) + marker, true)
}
