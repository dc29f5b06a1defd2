import Foundation
import HeraldClient
import HeraldCore
import Testing

@Suite("herald emit --stdin against a live server")
struct EmitCommandTests {
    /// What a Python StreamManager prints today, with a stray print() and an event the server refuses.
    static let streamManagerOutput = """
        {"type": "task_started", "data": {"task_id": "t1", "description": "fetch"}, "timestamp": "2026-12-06T16:20:30.123456"}
        Loading model weights...
        {"type": "thought", "data": {"text": "fetch the sources first"}, "timestamp": "2026-12-06T16:20:31.000001"}
        {"type": "reflection", "data": {"done": false, "gaps": ["tests"], "new_tasks": []}, "timestamp": "2026-12-06T16:20:32"}
        {"type": "task.started", "data": {"task_id": "t2"}}
        {"type": "run.completed"}

        """

    @Test(.timeLimit(.minutes(1)))
    func theStreamManagersLinesAreTakenAndTheInvalidOnesSkippedByLineNumber() async throws {
        try await RunningServer.with { server in
            // When the producer's output is piped in with --run and --skip-invalid
            let result = try await HeraldCommand.run(
                ["emit", "--stdin", "--run", "nano-1", "--agent", "orchestrator", "--skip-invalid", "--json", "--server", server.baseURL],
                input: Self.streamManagerOutput, environment: ["TZ": "Europe/Berlin"]
            )
            // Then the valid lines are stored, in order, and the two others are named by line
            #expect(result.status == 0, "\(result.output)")
            #expect(result.output.contains("skipped stdin:2: not a JSON object"), "\(result.output)")
            #expect(result.output.contains("skipped stdin:5: data.taskId: task.started events need data.taskId (found data.task_id"), "\(result.output)")
            #expect(result.output.contains(#""accepted":4"#) && result.output.contains(#""skipped":2"#), "\(result.output)")
            let events = try await HeraldClient.withClient(baseURL: server.baseURL) { try await $0.events(run: "nano-1").events }
            #expect(events.map(\.type) == ["task_started", "thought", "reflection", "run.completed"])
            #expect(events.allSatisfy { $0.agent == "orchestrator" })
            // The naive times were read in the producer's zone (Berlin, UTC+1 in December).
            #expect(events.first?.time.rfc3339 == "2026-12-06T15:20:30.123456Z")
            #expect(events[2].time.rfc3339 == "2026-12-06T15:20:32.000000Z")
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func withoutSkipInvalidTheFirstBadLineStopsTheUploadNamingItsLine() async throws {
        try await RunningServer.with { server in
            let notJSON = try await HeraldCommand.run(
                ["emit", "--stdin", "--run", "strict", "--server", server.baseURL], input: Self.streamManagerOutput
            )
            #expect(notJSON.status != 0)
            #expect(notJSON.output.contains("stdin:2: not a JSON object"), "\(notJSON.output)")
            let refused = try await HeraldCommand.run(
                ["emit", "--stdin", "--run", "strict", "--server", server.baseURL],
                input: #"{"type":"a.b"}"# + "\n" + #"{"type":"task.started","data":{}}"# + "\n"
            )
            #expect(refused.status != 0)
            #expect(refused.output.contains("(stdin:2)"), "\(refused.output)")
            let runs = try await HeraldClient.withClient(baseURL: server.baseURL) { try await $0.runs().runs }
            #expect(runs.isEmpty, "an all-or-nothing batch stored nothing")
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func stdinRefusesPerEventOptionsButTakesRunProjectAndAgent() async throws {
        let refused = try await HeraldCommand.run(["emit", "--stdin", "--type", "a.b"])
        #expect(refused.status != 0 && refused.output.contains("only --run, --project and --agent"), "\(refused.output)")
        let skipAlone = try await HeraldCommand.run(["emit", "--run", "r", "--type", "a.b", "--skip-invalid"])
        #expect(skipAlone.status != 0 && skipAlone.output.contains("--skip-invalid applies to --stdin"), "\(skipAlone.output)")
    }
}
