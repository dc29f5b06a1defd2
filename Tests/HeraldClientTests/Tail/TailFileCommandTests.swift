import Foundation
import HeraldClient
import HeraldCore
import Testing

@Suite("herald tail-file and herald demo against a live server")
struct TailFileCommandTests {
    /// `lineNumber: line` of every agent.log event of `run`, in seq order.
    static func published(_ run: String, _ server: RunningServer) async throws -> [String] {
        try await HeraldClient.withClient(baseURL: server.baseURL) { client in
            var lines: [String] = []
            guard try await client.runs().runs.contains(where: { $0.run == run }) else { return [] }
            for try await page in client.eventPages(run: run, filter: EventFilter(types: [.exact("agent.log")])) {
                for event in page.events {
                    let data = try #require(JSONSerialization.jsonObject(with: Data(event.data)) as? [String: Any])
                    lines.append("\(data["lineNumber"] as? Int ?? 0): \(data["line"] as? String ?? "")")
                }
            }
            return lines
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func aRestartedTailResumesWithoutDuplicatesAndAFinishedOneIsANoOp() async throws {
        try await RunningServer.with { server in
            let path = try temporaryDirectory() + "/worker-7.log"
            try LogTailerTests.append("[10:00:01] one\ntwo\nthree\n", to: path)
            let arguments = ["tail-file", path, "--run", "tailed", "--server", server.baseURL, "--poll-interval", "0.02", "--wait", "10"]

            // A first tail publishes what is there, then is interrupted.
            let first = try HeraldCommand(arguments)
            while try await Self.published("tailed", server).count < 3 { try await Task.sleep(for: .milliseconds(20)) }
            first.interrupt()
            let stopped = await first.finish()
            #expect(stopped.status == 0, "\(stopped.output)")

            // The agent writes on; a second tail resumes after line 3 and stops at the sentinel.
            try LogTailerTests.append("four\n=== Run Complete ===\n", to: path)
            let second = try await HeraldCommand.run(arguments)
            #expect(second.status == 0 && second.output.contains("resumed after line 3"), "\(second.output)")

            // Starting again after the sentinel does nothing.
            let third = try await HeraldCommand.run(arguments)
            #expect(third.status == 0, "\(third.output)")

            #expect(try await Self.published("tailed", server) == [
                "1: [10:00:01] one", "2: two", "3: three", "4: four", "5: === Run Complete ===",
            ])
            let events = try await HeraldClient.withClient(baseURL: server.baseURL) { try await $0.events(run: "tailed").events }
            #expect(events.allSatisfy { $0.agent == "worker-7" }, "the agent defaults to the file's name")
            #expect(String(decoding: events[0].data, as: UTF8.self).contains(#""logTime":"10:00:01""#))
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func aSecondTailOfTheSameFileIntoTheSameRunExitsAtOnce() async throws {
        try await RunningServer.with { server in
            let path = try temporaryDirectory() + "/agent.log"
            try LogTailerTests.append("one\n", to: path)
            let arguments = ["tail-file", path, "--run", "twice", "--agent", "a", "--server", server.baseURL, "--poll-interval", "0.02"]
            let first = try HeraldCommand(arguments)
            while try await Self.published("twice", server).isEmpty { try await Task.sleep(for: .milliseconds(20)) }

            let second = try await HeraldCommand.run(arguments)
            #expect(second.status == 0 && second.output.contains("already publishing"), "\(second.output)")

            first.interrupt()
            _ = await first.finish()
            #expect(try await Self.published("twice", server) == ["1: one"])
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func aMissingFileEndsWithAClearError() async throws {
        try await RunningServer.with { server in
            let path = try temporaryDirectory() + "/never.log"
            let result = try await HeraldCommand.run(["tail-file", path, "--run", "r", "--server", server.baseURL, "--wait", "0.1"])
            #expect(result.status != 0 && result.output.contains("did not appear"), "\(result.output)")
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func theDemoWritesJSONLinesWithoutAServerThatImportLoads() async throws {
        try await RunningServer.with { server in
            let result = try await HeraldCommand.run(["demo", "--stdout", "--run", "offline", "--pace", "0"])
            #expect(result.status == 0, "\(result.output)")
            // Standard output and error share the pipe here: keep the JSON lines.
            let lines = result.output.split(separator: "\n").filter { $0.hasPrefix("{") }
            #expect(lines.count > 100)
            let file = try temporaryDirectory() + "/offline.jsonl"
            try lines.joined(separator: "\n").appending("\n").write(toFile: file, atomically: true, encoding: .utf8)
            let summary = try await HeraldClient.withClient(baseURL: server.baseURL) { try await EventImporter(client: $0).importFiles([file]) }
            #expect(summary.accepted == lines.count)
            let run = try await HeraldClient.withClient(baseURL: server.baseURL) { try await $0.run("offline") }
            #expect(run.status == .completed && run.eventCount == Int64(lines.count))
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func theDemoPlaysACompleteRunAndAFailedOne() async throws {
        try await RunningServer.with { server in
            let completed = try await HeraldCommand.run(["demo", "--server", server.baseURL, "--run", "demo-ok", "--pace", "0"])
            #expect(completed.status == 0 && completed.output.contains("herald watch demo-ok"), "\(completed.output)")
            #expect(completed.output.contains("/#/runs/demo-ok"), "the dashboard link")
            let failed = try await HeraldCommand.run(["demo", "--server", server.baseURL, "--run", "demo-bad", "--pace", "0", "--fail"])
            #expect(failed.status == 0, "\(failed.output)")

            try await HeraldClient.withClient(baseURL: server.baseURL) { client in
                #expect(try await client.run("demo-ok").status == .completed)
                #expect(try await client.run("demo-bad").status == .failed)
                let ok = try await client.run("demo-ok")
                #expect(Set(ok.agents) == ["planner", "worker-1", "worker-2", "worker-3"])

                var events: [EventRecord] = []
                for try await page in client.eventPages(run: "demo-ok") { events += page.events }
                let types = Set(events.map(\.type))
                for type in ["decision", "task.started", "step.progress", "agent.log", "agent.failed", "system.retry", "step.completed", "reflection"] {
                    #expect(types.contains(type), "the demo emits \(type)")
                }
                // The worker that failed retried, and the plan is the cause of every task.
                let failure = try #require(events.first { $0.type == "agent.failed" })
                #expect(String(decoding: failure.data, as: UTF8.self).contains(#""willRetry":true"#))
                let plan = try #require(events.first { $0.type == "decision" })
                #expect(events.filter { $0.type == "task.started" }.allSatisfy { $0.causedBy == [plan.id] })
                let progress = events.filter { $0.type == "step.progress" && $0.agent == "worker-1" }
                #expect(progress.last.map { String(decoding: $0.data, as: UTF8.self).contains(#""percent":100"#) } == true)
            }
        }
    }
}
