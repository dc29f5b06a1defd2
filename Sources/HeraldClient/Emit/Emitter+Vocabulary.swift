import HeraldCore

/// Typed helpers for every built-in event type, so producers never spell field names by hand.
///
/// Each takes the type's fields as parameters (optional ones default to absent) plus the
/// envelope's `agent`, `turn` and `causedBy`, and answers the new event's id like ``emit(_:_:level:agent:turn:causedBy:run:)``.
extension Emitter {
    // MARK: Runs

    @discardableResult
    public func runQueued(name: String? = nil, run: String? = nil) -> EventID? {
        emit("run.queued", fields(["name": name.map(JSONValue.string)]), run: run)
    }

    @discardableResult
    public func runStarted(name: String? = nil, goal: String? = nil, run: String? = nil) -> EventID? {
        emit("run.started", fields(["name": name.map(JSONValue.string), "goal": goal.map(JSONValue.string)]), run: run)
    }

    /// Ends the run with success; its live streams end after this event.
    @discardableResult
    public func runCompleted(summary: String? = nil, causedBy: [EventID] = [], run: String? = nil) -> EventID? {
        emit("run.completed", fields(["summary": summary.map(JSONValue.string)]), causedBy: causedBy, run: run)
    }

    /// Ends the run with failure; its live streams end after this event.
    @discardableResult
    public func runFailed(error: String, code: String? = nil, causedBy: [EventID] = [], run: String? = nil) -> EventID? {
        emit("run.failed", fields(["error": .string(error), "code": code.map(JSONValue.string)]), causedBy: causedBy, run: run)
    }

    @discardableResult
    public func runCancelled(reason: String? = nil, causedBy: [EventID] = [], run: String? = nil) -> EventID? {
        emit("run.cancelled", fields(["reason": reason.map(JSONValue.string)]), causedBy: causedBy, run: run)
    }

    // MARK: Milestones

    @discardableResult
    public func turnStarted(_ turn: Int64, agent: String? = nil, causedBy: [EventID] = []) -> EventID? {
        emit("milestone.turn_start", agent: agent, turn: turn, causedBy: causedBy)
    }

    @discardableResult
    public func turnEnded(_ turn: Int64, agent: String? = nil, causedBy: [EventID] = []) -> EventID? {
        emit("milestone.turn_end", agent: agent, turn: turn, causedBy: causedBy)
    }

    @discardableResult
    public func phaseTransition(from: String? = nil, to: String, agent: String? = nil, turn: Int64? = nil, causedBy: [EventID] = []) -> EventID? {
        emit("milestone.phase_transition", fields(["from": from.map(JSONValue.string), "to": .string(to)]), agent: agent, turn: turn, causedBy: causedBy)
    }

    // MARK: Decisions, actions, state, details

    /// A choice an agent made (`decisionType`), from `oldValue` (absent when there was none) to `newValue`.
    @discardableResult
    public func decision(
        _ decisionType: String, from oldValue: JSONValue? = nil, to newValue: JSONValue, reason: String? = nil,
        agent: String? = nil, turn: Int64? = nil, causedBy: [EventID] = []
    ) -> EventID? {
        emit(
            "decision",
            fields(["decisionType": .string(decisionType), "oldValue": oldValue, "newValue": newValue, "reason": reason.map(JSONValue.string)]),
            agent: agent, turn: turn, causedBy: causedBy
        )
    }

    /// Something an agent did (`actionType`), with what it acted on.
    @discardableResult
    public func action(_ actionType: String, payload: JSONValue? = nil, agent: String? = nil, turn: Int64? = nil, causedBy: [EventID] = []) -> EventID? {
        emit("action", fields(["actionType": .string(actionType), "payload": payload]), agent: agent, turn: turn, causedBy: causedBy)
    }

    /// A variable changing; `from` absent when it was unset, `.null` when it was null.
    @discardableResult
    public func stateChange(
        _ variable: String, from old: JSONValue? = nil, to new: JSONValue, scope: String? = nil,
        agent: String? = nil, turn: Int64? = nil, causedBy: [EventID] = []
    ) -> EventID? {
        emit(
            "state", fields(["variable": .string(variable), "old": old, "new": new, "scope": scope.map(JSONValue.string)]),
            agent: agent, turn: turn, causedBy: causedBy
        )
    }

    /// The inner workings of a calculation.
    @discardableResult
    public func detail(_ calculationType: String, values: JSONValue? = nil, agent: String? = nil, turn: Int64? = nil, causedBy: [EventID] = []) -> EventID? {
        emit(
            "detail", fields(["calculationType": .string(calculationType), "intermediateValues": values]),
            agent: agent, turn: turn, causedBy: causedBy
        )
    }

    /// A `system.<name>` event (always delivered, whatever the reader's verbosity);
    /// `system.error` needs `errorType`.
    @discardableResult
    public func system(
        _ name: String, errorType: String? = nil, status: String? = nil, retryCount: Int? = nil, message: String? = nil,
        agent: String? = nil, turn: Int64? = nil, causedBy: [EventID] = []
    ) -> EventID? {
        emit(
            "system." + name,
            fields([
                "errorType": errorType.map(JSONValue.string), "status": status.map(JSONValue.string), "retryCount": retryCount.map { .integer(Int64($0)) },
                "message": message.map(JSONValue.string),
            ]),
            agent: agent, turn: turn, causedBy: causedBy
        )
    }

    // MARK: Tasks

    @discardableResult
    public func taskStarted(_ taskId: String, title: String? = nil, agent: String? = nil, causedBy: [EventID] = []) -> EventID? {
        emit("task.started", fields(["taskId": .string(taskId), "title": title.map(JSONValue.string)]), agent: agent, causedBy: causedBy)
    }

    @discardableResult
    public func taskCompleted(_ taskId: String, result: JSONValue? = nil, agent: String? = nil, causedBy: [EventID] = []) -> EventID? {
        emit("task.completed", fields(["taskId": .string(taskId), "result": result]), agent: agent, causedBy: causedBy)
    }

    @discardableResult
    public func taskFailed(_ taskId: String, error: String, agent: String? = nil, causedBy: [EventID] = []) -> EventID? {
        emit("task.failed", fields(["taskId": .string(taskId), "error": .string(error)]), agent: agent, causedBy: causedBy)
    }

    @discardableResult
    public func taskStatusChanged(_ taskId: String, from old: String, to new: String, agent: String? = nil, causedBy: [EventID] = []) -> EventID? {
        emit("task.status_changed", ["taskId": .string(taskId), "old": .string(old), "new": .string(new)], agent: agent, causedBy: causedBy)
    }

    @discardableResult
    public func subtaskStatusChanged(
        task taskId: String, subtask subtaskId: String, from old: String, to new: String, agent: String? = nil, causedBy: [EventID] = []
    ) -> EventID? {
        emit(
            "task.subtask_status_changed",
            ["taskId": .string(taskId), "subtaskId": .string(subtaskId), "old": .string(old), "new": .string(new)],
            agent: agent, causedBy: causedBy
        )
    }

    @discardableResult
    public func subtaskUnblocked(
        task taskId: String, subtask subtaskId: String, by unblockedBy: String, agent: String? = nil, causedBy: [EventID] = []
    ) -> EventID? {
        emit(
            "task.subtask_unblocked",
            ["taskId": .string(taskId), "subtaskId": .string(subtaskId), "unblockedBy": .string(unblockedBy)],
            agent: agent, causedBy: causedBy
        )
    }

    // MARK: Steps: the status cards (R-progress)

    @discardableResult
    public func stepQueued(_ stepId: String, label: String? = nil, agent: String? = nil, causedBy: [EventID] = []) -> EventID? {
        emit("step.queued", fields(["stepId": .string(stepId), "label": label.map(JSONValue.string)]), agent: agent, causedBy: causedBy)
    }

    @discardableResult
    public func stepStarted(_ stepId: String, label: String? = nil, agent: String? = nil, causedBy: [EventID] = []) -> EventID? {
        emit("step.started", fields(["stepId": .string(stepId), "label": label.map(JSONValue.string)]), agent: agent, causedBy: causedBy)
    }

    /// A running step's progress: `percent` from 0 to 100, and what it is doing.
    @discardableResult
    public func progress(step stepId: String, percent: Double, label: String? = nil, agent: String? = nil, causedBy: [EventID] = []) -> EventID? {
        emit(
            "step.progress", fields(["stepId": .string(stepId), "percent": .number(percent), "label": label.map(JSONValue.string)]),
            agent: agent, causedBy: causedBy
        )
    }

    @discardableResult
    public func stepCompleted(
        _ stepId: String, tokensUsed: Int? = nil, artifactId: String? = nil, agent: String? = nil, causedBy: [EventID] = []
    ) -> EventID? {
        emit(
            "step.completed",
            fields(["stepId": .string(stepId), "tokensUsed": tokensUsed.map { .integer(Int64($0)) }, "artifactId": artifactId.map(JSONValue.string)]),
            agent: agent, causedBy: causedBy
        )
    }

    @discardableResult
    public func stepFailed(_ stepId: String, code: String, message: String, agent: String? = nil, causedBy: [EventID] = []) -> EventID? {
        emit(
            "step.failed", ["stepId": .string(stepId), "code": .string(code), "message": .string(message)], agent: agent, causedBy: causedBy
        )
    }

    // MARK: Agents (these need an agent: the call's, or the configuration's)

    @discardableResult
    public func agentStarted(role: String? = nil, agent: String? = nil, causedBy: [EventID] = []) -> EventID? {
        emit("agent.started", fields(["role": role.map(JSONValue.string)]), agent: agent, causedBy: causedBy)
    }

    /// One line of an agent's log; `logTime` is the `HH:MM:SS` the line itself shows, if any.
    @discardableResult
    public func log(
        _ line: String, lineNumber: Int? = nil, logTime: String? = nil, truncated: Bool? = nil, agent: String? = nil,
        turn: Int64? = nil, causedBy: [EventID] = []
    ) -> EventID? {
        emit(
            "agent.log",
            fields([
                "line": .string(line), "lineNumber": lineNumber.map { .integer(Int64($0)) }, "logTime": logTime.map(JSONValue.string), "truncated": truncated.map(JSONValue.bool),
            ]),
            agent: agent, turn: turn, causedBy: causedBy
        )
    }

    @discardableResult
    public func agentCompleted(prUrl: String? = nil, summary: String? = nil, agent: String? = nil, causedBy: [EventID] = []) -> EventID? {
        emit("agent.completed", fields(["prUrl": prUrl.map(JSONValue.string), "summary": summary.map(JSONValue.string)]), agent: agent, causedBy: causedBy)
    }

    @discardableResult
    public func agentFailed(error: String, willRetry: Bool, agent: String? = nil, causedBy: [EventID] = []) -> EventID? {
        emit("agent.failed", ["error": .string(error), "willRetry": .bool(willRetry)], agent: agent, causedBy: causedBy)
    }

    // MARK: Orchestrator hooks

    @discardableResult
    public func reflection(_ content: String, agent: String? = nil, turn: Int64? = nil, causedBy: [EventID] = []) -> EventID? {
        emit("reflection", ["content": .string(content)], agent: agent, turn: turn, causedBy: causedBy)
    }

    @discardableResult
    public func thought(_ content: String, agent: String? = nil, turn: Int64? = nil, causedBy: [EventID] = []) -> EventID? {
        emit("thought", ["content": .string(content)], agent: agent, turn: turn, causedBy: causedBy)
    }

    // MARK: What agent UIs render (AG-UI): streamed text, tool calls, shared state, reasoning

    /// Opens a streamed message; its text follows in ``messageDelta(_:_:agent:)`` pieces.
    @discardableResult
    public func messageStarted(_ messageId: String, role: String? = "assistant", name: String? = nil, agent: String? = nil) -> EventID? {
        emit("message.started", fields(["messageId": .string(messageId), "role": role.map(JSONValue.string), "name": name.map(JSONValue.string)]), agent: agent)
    }

    /// The next piece (token) of a streamed message's text.
    @discardableResult
    public func messageDelta(_ messageId: String, _ delta: String, agent: String? = nil) -> EventID? {
        emit("message.delta", ["messageId": .string(messageId), "delta": .string(delta)], agent: agent)
    }

    @discardableResult
    public func messageCompleted(_ messageId: String, agent: String? = nil) -> EventID? {
        emit("message.completed", ["messageId": .string(messageId)], agent: agent)
    }

    /// A tool call begins; its arguments follow as JSON text in ``toolCallArgs(_:_:agent:)`` pieces.
    @discardableResult
    public func toolCallStarted(_ toolCallId: String, name: String, parentMessageId: String? = nil, agent: String? = nil) -> EventID? {
        emit(
            "tool.call_started",
            fields(["toolCallId": .string(toolCallId), "toolCallName": .string(name), "parentMessageId": parentMessageId.map(JSONValue.string)]),
            agent: agent
        )
    }

    @discardableResult
    public func toolCallArgs(_ toolCallId: String, _ delta: String, agent: String? = nil) -> EventID? {
        emit("tool.call_args", ["toolCallId": .string(toolCallId), "delta": .string(delta)], agent: agent)
    }

    @discardableResult
    public func toolCallCompleted(_ toolCallId: String, agent: String? = nil, causedBy: [EventID] = []) -> EventID? {
        emit("tool.call_completed", ["toolCallId": .string(toolCallId)], agent: agent, causedBy: causedBy)
    }

    /// What the tool answered, as the tool message `messageId`.
    @discardableResult
    public func toolCallResult(_ toolCallId: String, messageId: String, content: String, agent: String? = nil, causedBy: [EventID] = []) -> EventID? {
        emit(
            "tool.call_result", ["toolCallId": .string(toolCallId), "messageId": .string(messageId), "content": .string(content), "role": "tool"],
            agent: agent, causedBy: causedBy
        )
    }

    /// The whole shared state.
    @discardableResult
    public func stateSnapshot(_ snapshot: JSONValue, agent: String? = nil) -> EventID? {
        emit("state.snapshot", ["snapshot": snapshot], agent: agent)
    }

    /// A change to the shared state as an RFC 6902 JSON Patch, e.g.
    /// `[["op": "replace", "path": "/tasksOpen", "value": 2]]`.
    @discardableResult
    public func stateDelta(_ patch: JSONValue, agent: String? = nil) -> EventID? {
        emit("state.delta", ["delta": patch], agent: agent)
    }

    @discardableResult
    public func reasoningStarted(_ messageId: String, agent: String? = nil) -> EventID? {
        emit("reasoning.started", ["messageId": .string(messageId)], agent: agent)
    }

    @discardableResult
    public func reasoningMessageStarted(_ messageId: String, agent: String? = nil) -> EventID? {
        emit("reasoning.message_started", ["messageId": .string(messageId)], agent: agent)
    }

    @discardableResult
    public func reasoningDelta(_ messageId: String, _ delta: String, agent: String? = nil) -> EventID? {
        emit("reasoning.delta", ["messageId": .string(messageId), "delta": .string(delta)], agent: agent)
    }

    @discardableResult
    public func reasoningMessageCompleted(_ messageId: String, agent: String? = nil) -> EventID? {
        emit("reasoning.message_completed", ["messageId": .string(messageId)], agent: agent)
    }

    @discardableResult
    public func reasoningCompleted(_ messageId: String, agent: String? = nil) -> EventID? {
        emit("reasoning.completed", ["messageId": .string(messageId)], agent: agent)
    }

    /// An object of the fields that are set (`nil` leaves a field out; `.null` is a value).
    @inline(__always)
    private func fields(_ members: KeyValuePairs<String, JSONValue?>) -> JSONValue {
        var object: [(String, JSONValue)] = []
        object.reserveCapacity(members.count)
        for (key, value) in members {
            if let value { object.append((key, value)) }
        }
        return .object(object)
    }
}
