import HeraldClient
import HeraldCore

/// A simulated multi-agent run, written the way an orchestrator uses Herald's client library:
/// a planner splits the goal into tasks, three workers carry them out concurrently (steps with
/// progress, log lines, tool actions, state changes), one worker fails and retries, and the
/// planner closes the run. `herald demo` runs exactly this code.
///
/// Every decision is linked to what caused it (`causedBy`), so the causality view of a task
/// leads back to the plan.
public struct DemoOrchestrator: Sendable {
    public struct Options: Sendable {
        /// The run's name.
        public var run: String
        /// The patch worker fails its retry too, and the run ends with `run.failed`.
        public var fail = false
        /// Seconds per beat of the story; the default plays a run in about 20 seconds, 0 at once.
        public var pace = 1.0

        public init(run: String, fail: Bool = false, pace: Double = 1.0) {
            self.run = run
            self.fail = fail
            self.pace = pace
        }
    }

    let herald: Emitter
    let options: Options

    public init(herald: Emitter, options: Options) {
        self.herald = herald
        self.options = options
    }

    /// Plays the run to its end. Throws only if the task is cancelled.
    public func run() async throws {
        herald.runStarted(name: "Fix the flaky checkout test", goal: "Make CI green on main without disabling tests")
        herald.agentStarted(role: "planner", agent: "planner")
        herald.turnStarted(1, agent: "planner")
        herald.phaseTransition(from: "idle", to: "planning", agent: "planner", turn: 1)
        herald.thought("The failure is intermittent: reproduce it under load before touching code.", agent: "planner", turn: 1)
        // The shared state a UI renders, then its changes as JSON Patches.
        herald.stateSnapshot(["phase": "planning", "tasksOpen": 0, "done": []], agent: "planner")
        await stream(reasoning: "Flaky only under load, so likely a race. Reproduce first, then patch, then prove it with repeated runs.")
        let plan = herald.decision(
            "plan", to: ["reproduce", "patch", "verify"], reason: "a fix without a reproduction cannot be verified",
            agent: "planner", turn: 1
        )
        let causes = plan.map { [$0] } ?? []
        let tasks: [(id: String, title: String, worker: String)] = [
            ("t-reproduce", "Reproduce the flaky failure", "worker-1"),
            ("t-patch", "Patch the race in CheckoutService", "worker-2"),
            ("t-verify", "Verify with 50 consecutive green runs", "worker-3"),
        ]
        var opened: [String: EventID] = [:]
        for task in tasks {
            opened[task.id] = herald.taskStarted(task.id, title: task.title, agent: "planner", causedBy: causes)
            herald.stepQueued(task.id + "/main", label: "waiting for " + task.worker, agent: task.worker)
        }
        let started = opened
        herald.stateChange("tasksOpen", from: 0, to: 3, scope: "run", agent: "planner", turn: 1)
        herald.stateDelta([["op": "replace", "path": "/phase", "value": "executing"], ["op": "replace", "path": "/tasksOpen", "value": 3]], agent: "planner")
        herald.turnEnded(1, agent: "planner")
        await beat(2)

        herald.phaseTransition(from: "planning", to: "executing", agent: "planner", turn: 2)
        herald.turnStarted(2, agent: "planner")
        herald.subtaskStatusChanged(task: "t-verify", subtask: "run-suite", from: "queued", to: "blocked", agent: "planner")
        let patched = try await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask {
                try await work(task: tasks[0], causedBy: started["t-reproduce"], beats: 6, tool: "run_tests", attempts: [true])
            }
            group.addTask {
                try await work(task: tasks[1], causedBy: started["t-patch"], beats: 8, tool: "edit_file", attempts: [false, !options.fail])
            }
            var results: [Bool] = []
            for try await result in group { results.append(result) }
            return results.allSatisfy { $0 }
        }

        guard patched else {
            let failure = herald.taskFailed("t-patch", error: "the race persists after two attempts", agent: "planner")
            herald.subtaskStatusChanged(task: "t-verify", subtask: "run-suite", from: "blocked", to: "cancelled", agent: "planner")
            herald.taskFailed("t-verify", error: "t-patch failed; nothing to verify", agent: "planner")
            herald.reflection(
                "Two attempts at the lock ordering failed; the race is likely in the payment client, not the service.",
                agent: "planner", turn: 2
            )
            herald.turnEnded(2, agent: "planner")
            herald.runFailed(error: "t-patch failed after a retry", code: "E_TASK_FAILED", causedBy: failure.map { [$0] } ?? [])
            return
        }
        let unblocked = herald.subtaskUnblocked(task: "t-verify", subtask: "run-suite", by: "t-patch", agent: "planner")
        herald.subtaskStatusChanged(task: "t-verify", subtask: "run-suite", from: "blocked", to: "running", agent: "planner")
        _ = try await work(task: tasks[2], causedBy: unblocked, beats: 5, tool: "run_tests", attempts: [true])
        herald.stateChange("tasksOpen", from: 3, to: 0, scope: "run", agent: "planner", turn: 2)
        herald.stateDelta([["op": "replace", "path": "/phase", "value": "done"], ["op": "replace", "path": "/tasksOpen", "value": 0]], agent: "planner")
        herald.phaseTransition(from: "executing", to: "done", agent: "planner", turn: 2)
        herald.reflection("Reproducing under load first made the patch small and the verification convincing.", agent: "planner", turn: 2)
        herald.turnEnded(2, agent: "planner")
        await stream(answer: "The flaky checkout test was a race in CheckoutService.reserve: two carts could take the last item. The reservation now holds a row lock, and 50 consecutive runs passed.")
        herald.agentCompleted(summary: "3 tasks done", agent: "planner")
        herald.runCompleted(summary: "CheckoutService race fixed; 50/50 green runs", causedBy: started["t-verify"].map { [$0] } ?? [])
    }

    /// One worker's task: a step that progresses beat by beat with log lines and tool actions.
    /// `attempts` says how each attempt ends (true: success); a failed attempt is retried while
    /// attempts remain. Answers whether the task succeeded.
    private func work(task: (id: String, title: String, worker: String), causedBy cause: EventID?, beats: Int, tool: String, attempts: [Bool])
        async throws -> Bool
    {
        let worker = task.worker
        let step = task.id + "/main"
        var causes = cause.map { [$0] } ?? []
        herald.agentStarted(role: "worker", agent: worker, causedBy: causes)
        for (attempt, succeeds) in attempts.enumerated() {
            let label = attempt == 0 ? task.title : "retry \(attempt): " + task.title
            herald.stepStarted(step, label: label, agent: worker, causedBy: causes)
            herald.taskStatusChanged(task.id, from: attempt == 0 ? "queued" : "retrying", to: "running", agent: worker)
            log(worker, "starting \(task.id) (attempt \(attempt + 1))")
            for beat in 1...beats {
                try Task.checkCancellation()
                await self.beat(1)
                let percent = (Double(beat) / Double(beats) * 1000).rounded() / 10
                if !succeeds && beat == beats - 2 {
                    let code = "E_TIMEOUT"
                    log(worker, "ERROR \(tool) timed out after 120s")
                    herald.stepFailed(step, code: code, message: "\(tool) timed out after 120s", agent: worker)
                    let retrying = attempt + 1 < attempts.count
                    let failure = herald.agentFailed(error: "\(tool) timed out", willRetry: retrying, agent: worker)
                    guard retrying else { return false }
                    herald.system("retry", status: "retrying", retryCount: attempt + 1, message: "retrying \(task.id)", agent: worker)
                    herald.taskStatusChanged(task.id, from: "running", to: "retrying", agent: worker)
                    causes = failure.map { [$0] } ?? causes
                    break
                }
                herald.action(tool, payload: ["target": .string(task.id), "iteration": .integer(Int64(beat))], agent: worker)
                if beat == 1 && attempt == 0 { await callTool(tool, worker: worker, task: task.id) }
                log(worker, "\(tool) #\(beat): \(beat * 7) checks passed")
                herald.detail("tokenEstimate", values: ["prompt": .integer(Int64(900 + beat * 40)), "completion": .integer(Int64(beat * 55))], agent: worker)
                herald.progress(step: step, percent: percent, label: "\(beat) of \(beats)", agent: worker)
                if beat == beats {
                    herald.stateChange("\(task.id).status", from: "running", to: "done", scope: "task", agent: worker)
                    herald.stepCompleted(step, tokensUsed: 1_200 * beats, artifactId: "artifact-\(task.id)", agent: worker)
                    herald.taskCompleted(task.id, result: ["attempts": .integer(Int64(attempt + 1))], agent: worker)
                    herald.stateDelta([["op": "add", "path": "/done/-", "value": .string(task.id)]], agent: worker)
                    let pr = task.id == "t-patch" ? "https://git.example.com/acme/api/pull/1287" : nil
                    herald.agentCompleted(prUrl: pr, summary: "\(task.id) done", agent: worker)
                    log(worker, "=== Run Complete ===")
                    return true
                }
            }
        }
        return false
    }

    /// A tool call as an LLM makes it: a short message, the arguments as JSON text in pieces, then the result.
    private func callTool(_ tool: String, worker: String, task: String) async {
        // The worker's LLM says what it is about to do, token by token, then calls the tool.
        let message = "message-\(task)"
        herald.messageStarted(message, agent: worker)
        for piece in Self.pieces(of: "Running \(tool) 50 times against \(task) to catch the race in the act.") {
            herald.messageDelta(message, piece, agent: worker)
            await beat(0.05)
        }
        herald.messageCompleted(message, agent: worker)
        let call = "call-\(task)"
        herald.toolCallStarted(call, name: tool, parentMessageId: message, agent: worker)
        for piece in [#"{"target":"#, #""\#(task)","#, #""repeat":50}"#] {
            herald.toolCallArgs(call, piece, agent: worker)
            await beat(0.1)
        }
        let done = herald.toolCallCompleted(call, agent: worker)
        herald.toolCallResult(
            call, messageId: "result-\(task)", content: "\(tool) ran 50 times: 3 failures, all in CheckoutService.reserve",
            agent: worker, causedBy: done.map { [$0] } ?? []
        )
    }

    /// The planner's reasoning, streamed in pieces.
    private func stream(reasoning text: String) async {
        herald.reasoningStarted("reasoning-plan", agent: "planner")
        herald.reasoningMessageStarted("reasoning-plan-1", agent: "planner")
        for word in Self.pieces(of: text) {
            herald.reasoningDelta("reasoning-plan-1", word, agent: "planner")
            await beat(0.05)
        }
        herald.reasoningMessageCompleted("reasoning-plan-1", agent: "planner")
        herald.reasoningCompleted("reasoning-plan", agent: "planner")
    }

    /// The planner's answer, streamed token by token as an LLM writes it.
    private func stream(answer text: String) async {
        herald.messageStarted("answer", agent: "planner")
        for word in Self.pieces(of: text) {
            herald.messageDelta("answer", word, agent: "planner")
            await beat(0.05)
        }
        herald.messageCompleted("answer", agent: "planner")
    }

    /// Words with the space before them, as tokens come.
    static func pieces(of text: String) -> [String] {
        text.split(separator: " ").enumerated().map { $0.offset == 0 ? String($0.element) : " " + $0.element }
    }

    private func log(_ worker: String, _ text: String) {
        let time = Self.clock()
        herald.log("[\(time)] \(text)", logTime: time, agent: worker)
    }

    private func beat(_ count: Double) async {
        guard options.pace > 0 else { return }
        try? await Task.sleep(for: .seconds(count * options.pace))
    }

    /// `HH:MM:SS` now (UTC), as log lines print it.
    static func clock() -> String {
        let seconds = Int(Timestamp.now().microseconds / 1_000_000) % 86_400
        func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(two(seconds / 3600)):\(two(seconds / 60 % 60)):\(two(seconds % 60))"
    }
}
