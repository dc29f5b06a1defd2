/// The names teams write today for Herald's fields and types, so a refusal can teach the
/// rename instead of only saying what is wrong. Data only: ingest consults these tables when
/// it already refuses an event; nothing is renamed on the way in.
extension Vocabulary {
    /// Top-level members that are Herald fields under another name (`event_id` → `id`).
    /// (`timestamp` is not here: it is accepted as an alias of `time`.)
    public static let fieldRenames: [String: String] = [
        "event_id": "id", "eventId": "id",
        "turn_number": "turn", "turnNumber": "turn",
        "agent_id": "agent", "agentId": "agent",
        "caused_by": "causedBy",
        "event_type": "type", "eventType": "type",
        "simulation_id": "run", "run_id": "run", "runId": "run",
        "project_id": "project", "projectId": "project",
        "payload": "data", "details": "data",
    ]

    /// Members of a built-in type's `data` written in another spelling, with the Herald names
    /// they may stand for (`old_value` is `oldValue` in a decision and `old` in a state change).
    public static let dataRenames: [String: [String]] = [
        "task_id": ["taskId"], "subtask_id": ["subtaskId"], "step_id": ["stepId"],
        "unblocked_by": ["unblockedBy"],
        "decision_type": ["decisionType"],
        "old_value": ["oldValue", "old"], "new_value": ["newValue", "new"],
        "old_status": ["old"], "new_status": ["new"],
        "action_type": ["actionType"], "action_payload": ["payload"],
        "variable_name": ["variable"],
        "calculation_type": ["calculationType"], "intermediate_values": ["intermediateValues"],
        "error_type": ["errorType"], "retry_count": ["retryCount"],
        "new_tasks": ["newTasks"],
        "tokens_used": ["tokensUsed"], "artifact_id": ["artifactId"],
        "progress_pct": ["percent"], "progress_label": ["label"],
        "pr_url": ["prUrl"], "will_retry": ["willRetry"], "line_number": ["lineNumber"],
        "message_id": ["messageId"], "tool_call_id": ["toolCallId"], "tool_call_name": ["toolCallName"],
        "error_message": ["message", "error"], "error_code": ["code"],
    ]

    /// Bare names of levels whose events are a family of types, with the types to use instead.
    /// Without this, `system` or `milestone` would pass as custom types at level `action`.
    public static let categoryHints: [String: String] = [
        "system": "use system.error (with data.errorType) or system.<name>",
        "milestone": "use milestone.turn_start, milestone.turn_end or milestone.phase_transition",
    ]

    /// ` (found data.task_id: Herald's name is taskId)` when `data` holds a known other spelling
    /// of one of `names`; empty otherwise.
    static func renameHint(for names: [String], in data: DataView) -> String {
        let found = data.members.keys.sorted().compactMap { key -> String? in
            guard let canonical = dataRenames[key]?.first(where: names.contains) else { return nil }
            return "data.\(key): Herald's name is \(canonical)"
        }
        return found.isEmpty ? "" : " (found \(found.joined(separator: "; ")))"
    }

    /// Why an upper-case type that is not an AG-UI event type is refused, and what to write
    /// instead: a verbosity level written as a type (`MILESTONE`) names the types of that level.
    public static func upperCaseTypeHint(_ type: String) -> String {
        let lowered = type.lowercased()
        let base = "types are lowercase dotted names such as agent.log, task.started or my.custom_thing"
        switch Level(name: lowered) {
        case .milestone?:
            return "\(base); \(type) is a verbosity level: use milestone.turn_start, milestone.turn_end, milestone.phase_transition or run.started/run.completed"
        case .system?:
            return "\(base); \(type) is a verbosity level: use system.error or system.<name>"
        case let level?:
            return "\(base); \(type) is a verbosity level: use the type \(level.name) (level is defaulted from the type)"
        case nil:
            break
        }
        // A near miss of an AG-UI type (RUN_FINSHED, the removed THINKING_START) gets the AG-UI list.
        let family = type.split(separator: "_").first.map(String.init) ?? type
        if AGUI.knownTypes.contains(where: { $0.split(separator: "_").first.map(String.init) == family }) || family == "THINKING" {
            return "\(type) is not an AG-UI 1.0 event type; the AG-UI types are: \(AGUI.knownTypes.sorted().joined(separator: ", "))"
        }
        if rules[lowered] != nil { return "\(base): use \(lowered)" }
        let dotted = lowered.replacingFirstUnderscoreWithDot()
        if rules[dotted] != nil { return "\(base): use \(dotted)" }
        return "\(base) (\(type) is not an AG-UI event type either)"
    }
}

extension String {
    /// `task_started` → `task.started`: the usual spelling of a dotted name without dots.
    func replacingFirstUnderscoreWithDot() -> String {
        guard let index = firstIndex(of: "_") else { return self }
        return self[..<index] + "." + self[self.index(after: index)...]
    }
}
