/// Herald's built-in event types: their default levels and the fields they must carry.
///
/// Any other well-formed type passes through unchecked; a type inside a reserved namespace
/// (`run.`, `task.`, `step.`, `agent.`, `milestone.`) that is not listed here is refused, so a
/// typo such as `run.complete` cannot silently leave a run open. `system.*` is open-ended.
public enum Vocabulary {
    /// What a data field must hold.
    public enum FieldKind: Sendable {
        case string
        case integer(ClosedRange<Int64>)
        case number(ClosedRange<Double>)
        case bool
        case any
        /// A string from a fixed set.
        case oneOf([String])
        /// An RFC 6902 JSON Patch (checked by ``JSONPatch``).
        case jsonPatch
        /// A string or an array (AG-UI tool results: text, or a list of content parts).
        case stringOrArray

        var acceptsNull: Bool {
            if case .any = self { return true }
            return false
        }
    }

    public struct Field: Sendable {
        public var name: String
        public var kind: FieldKind
        public var required: Bool
    }

    /// The contract of one built-in type.
    public struct Rule: Sendable {
        public var level: Level
        public var needsAgent = false
        public var needsTurn = false
        public var fields: [Field] = []
        /// Fields of which at least one must be present (and not null), when not empty: the
        /// hooks that name their payload differently (`thought` with `content` or `text`).
        public var atLeastOneOf: [String] = []
    }

    static func required(_ name: String, _ kind: FieldKind = .string) -> Field { Field(name: name, kind: kind, required: true) }
    static func optional(_ name: String, _ kind: FieldKind = .string) -> Field { Field(name: name, kind: kind, required: false) }

    static let count: FieldKind = .integer(0...Int64.max)

    /// Every built-in type with its rule.
    public static let rules: [String: Rule] = [
        // Run lifecycle (R-progress: the run-level "all done", with an error flag on failure).
        "run.queued": Rule(level: .milestone, fields: [optional("name")]),
        "run.started": Rule(level: .milestone, fields: [optional("name"), optional("goal")]),
        "run.completed": Rule(level: .milestone, fields: [optional("summary")]),
        "run.failed": Rule(level: .milestone, fields: [required("error"), optional("code")]),
        "run.cancelled": Rule(level: .milestone, fields: [optional("reason")]),
        // Milestones (R-kinds).
        "milestone.turn_start": Rule(level: .milestone, needsTurn: true),
        "milestone.turn_end": Rule(level: .milestone, needsTurn: true),
        "milestone.phase_transition": Rule(level: .milestone, fields: [optional("from"), required("to")]),
        // Decisions, actions, state changes, details (R-kinds).
        "decision": Rule(
            level: .decision, needsAgent: true,
            fields: [required("decisionType"), optional("oldValue", .any), required("newValue", .any), optional("reason")]
        ),
        "action": Rule(level: .action, needsAgent: true, fields: [required("actionType"), optional("payload", .any)]),
        "state": Rule(
            level: .state, fields: [required("variable"), optional("old", .any), required("new", .any), optional("scope")]
        ),
        "detail": Rule(level: .detail, fields: [required("calculationType"), optional("intermediateValues", .any)]),
        // Tasks and subtasks (R-emit hooks, R-lifecycle).
        "task.started": Rule(level: .decision, fields: [required("taskId"), optional("title")]),
        "task.completed": Rule(level: .decision, fields: [required("taskId"), optional("result", .any)]),
        "task.failed": Rule(level: .decision, fields: [required("taskId"), required("error")]),
        "task.status_changed": Rule(level: .decision, fields: [required("taskId"), required("old"), required("new")]),
        "task.subtask_status_changed": Rule(
            level: .decision, fields: [required("taskId"), required("subtaskId"), required("old"), required("new")]
        ),
        "task.subtask_unblocked": Rule(
            level: .decision, fields: [required("taskId"), required("subtaskId"), required("unblockedBy")]
        ),
        // Steps: the status cards of R-progress.
        "step.queued": Rule(level: .action, fields: [required("stepId"), optional("label")]),
        "step.started": Rule(level: .action, fields: [required("stepId"), optional("label")]),
        "step.progress": Rule(
            level: .action, fields: [required("stepId"), required("percent", .number(0...100)), optional("label")]
        ),
        "step.completed": Rule(
            level: .action, fields: [required("stepId"), optional("tokensUsed", count), optional("artifactId")]
        ),
        "step.failed": Rule(level: .action, fields: [required("stepId"), required("code"), required("message")]),
        // Agents (R-lifecycle, R-logs).
        "agent.started": Rule(level: .milestone, needsAgent: true, fields: [optional("role")]),
        "agent.log": Rule(
            level: .detail, needsAgent: true,
            fields: [required("line"), optional("lineNumber", .integer(1...Int64.max)), optional("logTime"), optional("truncated", .bool)]
        ),
        "agent.completed": Rule(level: .milestone, needsAgent: true, fields: [optional("prUrl"), optional("summary")]),
        "agent.failed": Rule(level: .milestone, needsAgent: true, fields: [required("error"), required("willRetry", .bool)]),
        // Orchestrator hooks (R-emit).
        "reflection": Rule(
            level: .decision, fields: [optional("content"), optional("done", .bool), optional("gaps", .any), optional("newTasks", .any)],
            atLeastOneOf: ["content", "done", "gaps", "newTasks"]
        ),
        "thought": Rule(level: .detail, fields: [optional("content"), optional("text")], atLeastOneOf: ["content", "text"]),
        // What agent UIs render (the AG-UI protocol's events; docs/ag-ui.md has the mapping).
        // Streamed assistant text.
        "message.started": Rule(
            level: .action, fields: [required("messageId"), optional("role", .oneOf(messageRoles)), optional("name")]
        ),
        "message.delta": Rule(level: .detail, fields: [required("messageId"), required("delta")]),
        "message.completed": Rule(level: .action, fields: [required("messageId")]),
        // Tool calls: arguments stream as JSON text fragments.
        "tool.call_started": Rule(
            level: .action, fields: [required("toolCallId"), required("toolCallName"), optional("parentMessageId")]
        ),
        "tool.call_args": Rule(level: .detail, fields: [required("toolCallId"), required("delta")]),
        "tool.call_completed": Rule(level: .action, fields: [required("toolCallId")]),
        "tool.call_result": Rule(
            level: .action, fields: [required("toolCallId"), required("messageId"), required("content", .stringOrArray), optional("role", .oneOf(["tool"]))]
        ),
        // Shared state: a snapshot, then RFC 6902 patches to it.
        "state.snapshot": Rule(level: .state, fields: [required("snapshot", .any)]),
        "state.delta": Rule(level: .state, fields: [required("delta", .jsonPatch)]),
        // Reasoning: a span holding reasoning messages that stream like text.
        "reasoning.started": Rule(level: .detail, fields: [required("messageId")]),
        "reasoning.message_started": Rule(level: .detail, fields: [required("messageId")]),
        "reasoning.delta": Rule(level: .detail, fields: [required("messageId"), required("delta")]),
        "reasoning.message_completed": Rule(level: .detail, fields: [required("messageId")]),
        "reasoning.completed": Rule(level: .detail, fields: [required("messageId")]),
    ]

    /// Who a streamed message is from.
    public static let messageRoles = ["developer", "system", "assistant", "user"]

    /// Optional fields every `system.*` event may carry (R-kinds: error type, status, retry count).
    static let systemFields: [Field] = [
        optional("errorType"), optional("status"), optional("retryCount", count), optional("message"),
    ]

    /// `herald.` names the streams' own control events (`herald.gap`, `herald.connected`).
    static let reservedPrefixes = [
        "run.", "task.", "step.", "agent.", "milestone.", "herald.", "message.", "tool.", "state.", "reasoning.",
    ]

    /// The terminal types: they end a run and its live streams.
    public static let terminalTypes: Set<String> = ["run.completed", "run.failed", "run.cancelled"]

    public static func isTerminal(_ type: String) -> Bool { terminalTypes.contains(type) }

    /// Whether `type` is validated as a built-in (including unknown names in a reserved namespace).
    public static func isBuiltin(_ type: String) -> Bool {
        rules[type] != nil || type.hasPrefix("system.") || reservedPrefixes.contains { type.hasPrefix($0) }
    }

    /// The level an event of `type` gets when the producer names none.
    public static func defaultLevel(for type: String) -> Level {
        if let rule = rules[type] { return rule.level }
        if type.hasPrefix("system.") { return .system }
        return .action
    }

    /// Checks a draft of a built-in type against its rule, appending field-level problems.
    static func validate(_ draft: EventDraft, data: DataView, index: Int, problems: inout [FieldError]) {
        func problem(_ field: String, _ code: String, _ message: String) {
            problems.append(FieldError(index: index, field: field, code: code, message: message))
        }
        if let hint = categoryHints[draft.type] {
            problem("type", "unknown_type", "\(draft.type) is a category, not a type: \(hint)")
            return
        }
        let fields: [Field]
        var atLeastOneOf: [String] = []
        if let rule = rules[draft.type] {
            atLeastOneOf = rule.atLeastOneOf
            if rule.needsAgent && draft.agent == nil { problem("agent", "required", "\(draft.type) events need an agent") }
            if rule.needsTurn && draft.turn == nil { problem("turn", "required", "\(draft.type) events need a turn") }
            fields = rule.fields
        } else if draft.type.hasPrefix("system.") {
            fields = draft.type == "system.error" ? [required("errorType")] + systemFields.dropFirst() : systemFields
        } else if isBuiltin(draft.type) {
            let family = reservedPrefixes.first { draft.type.hasPrefix($0) } ?? ""
            let known = rules.keys.filter { $0.hasPrefix(family) }.sorted().joined(separator: ", ")
            let message = known.isEmpty
                ? "\(family)* is reserved for Herald's own stream events"
                : "\(draft.type) is not a built-in type; the \(family)* types are: \(known)"
            problem("type", "unknown_type", message)
            return
        } else {
            return
        }
        for key in data.duplicateKeys { problem("data.\(key)", "duplicate_field", "the field appears more than once") }
        for field in fields {
            // A null is a value for fields that take any JSON (a state may change to null).
            guard let member = data[field.name], member.kind != .null || field.kind.acceptsNull else {
                if field.required {
                    problem("data.\(field.name)", "required", "\(draft.type) events need data.\(field.name)" + renameHint(for: [field.name], in: data))
                }
                continue
            }
            check(member, against: field, type: draft.type, problem: problem)
        }
        if !atLeastOneOf.isEmpty, !atLeastOneOf.contains(where: { data[$0].map { $0.kind != .null } ?? false }) {
            let names = atLeastOneOf.map { "data.\($0)" }
            let list = names.count == 2 ? "\(names[0]) or \(names[1])" : names.dropLast().joined(separator: ", ") + " or " + names.last!
            problem("data", "required", "\(draft.type) events need \(list)" + renameHint(for: atLeastOneOf, in: data))
        }
    }

    private static func check(_ member: DataView.Member, against field: Field, type: String, problem: (String, String, String) -> Void) {
        let path = "data.\(field.name)"
        switch field.kind {
        case .any:
            return
        case .string:
            if member.kind != .string { problem(path, "invalid_type", "\(path) must be a string") }
        case .bool:
            if member.kind != .bool { problem(path, "invalid_type", "\(path) must be true or false") }
        case .oneOf(let values):
            guard let text = member.string else {
                problem(path, "invalid_type", "\(path) must be a string")
                return
            }
            if !values.contains(text) { problem(path, "invalid_value", "\(path) must be one of \(values.joined(separator: ", "))") }
        case .stringOrArray:
            if member.kind != .string && member.kind != .array { problem(path, "invalid_type", "\(path) must be a string or an array") }
        case .jsonPatch:
            guard let array = member.array else {
                problem(path, "invalid_type", "\(path) must be an array of JSON Patch operations (RFC 6902)")
                return
            }
            if let reason = JSONPatch.problem(in: array) { problem(path, "invalid_patch", "\(path) \(reason)") }
        case .integer(let range):
            guard let value = member.integer else {
                problem(path, "invalid_type", "\(path) must be an integer")
                return
            }
            if !range.contains(value) { problem(path, "invalid_value", "\(path) must be ≥ \(range.lowerBound)") }
        case .number(let range):
            guard let value = member.number else {
                problem(path, "invalid_type", "\(path) must be a number")
                return
            }
            if !range.contains(value) {
                problem(path, "invalid_value", "\(path) must be between \(range.lowerBound) and \(range.upperBound)")
            }
        }
    }
}

extension Vocabulary {
    /// The run name a `run.queued` or `run.started` event gives in `data.name`.
    public static func runName(in draft: EventDraft) -> String? {
        guard draft.type == "run.started" || draft.type == "run.queued" else { return nil }
        return draft.data.withUnsafeBufferPointer { buffer -> String? in
            var reader = JSONReader(buffer)
            var name: String?
            try? reader.readObject { (value: inout JSONReader, key: String) throws(JSONSyntaxError) in
                if key == "name", try value.peekKind() == .string {
                    name = try value.readString()
                } else {
                    try value.skipValue()
                }
            }
            return name
        }
    }
}
