import Foundation
import Testing

@Suite("GET /v1/projects/{project}/stream", .timeLimit(.minutes(1)))
struct ProjectStreamTests {
    @Test func startsWithConnectedThenRunLifecycleAcrossRuns() async throws {
        try await TestServer.with { server in
            try await server.ingest([
                #"{"run":"a","project":"p","type":"run.started"}"#,
                #"{"run":"other","project":"q","type":"run.started"}"#,
                #"{"run":"b","project":"p","type":"run.started"}"#,
                #"{"run":"a","project":"p","type":"x.noise"}"#,
                #"{"run":"a","project":"p","type":"run.completed"}"#,
            ])
            let stream = try await SSEConnection(server, "/v1/projects/p/stream")
            let connected = try #require(try await stream.nextMessage())
            #expect(connected.event == "herald.connected")
            #expect(connected.id == nil)
            #expect(connected.data.contains(#""activeRuns":["b"]"#))
            let messages = try await stream.messages(3)
            #expect(messages.map(\.event) == ["run.started", "run.started", "run.completed"])
            #expect(messages.map(\.id) == ["1", "2", "4"], "ids are the project's own positions: q's event is not counted")
        }
    }

    @Test func logLinesOnlyForTheSelectedRuns() async throws {
        try await TestServer.with { server in
            try await server.ingest([
                #"{"run":"a","type":"agent.log","agent":"w","data":{"line":"from a"}}"#,
                #"{"run":"b","type":"agent.log","agent":"w","data":{"line":"from b"}}"#,
                #"{"run":"b","type":"run.started"}"#,
            ])
            let selected = try await SSEConnection(server, "/v1/projects/default/stream?logs=b")
            _ = try await selected.nextMessage()
            let got = try await selected.messages(2)
            #expect(got.map(\.event) == ["agent.log", "run.started"])
            #expect(got.first?.data.contains("from b") == true)

            let all = try await SSEConnection(server, "/v1/projects/default/stream?logs=all")
            _ = try await all.nextMessage()
            #expect(try await all.messages(3).map(\.id) == ["1", "2", "3"])
        }
    }

    @Test func resumesAcrossRunsWithThePositionToken() async throws {
        try await TestServer.with { server in
            try await server.ingest([#"{"run":"a","type":"run.started"}"#, #"{"run":"b","type":"run.started"}"#])
            let first = try await SSEConnection(server, "/v1/projects/default/stream")
            _ = try await first.nextMessage()
            let seen = try await first.messages(2)
            let token = try #require(seen.last?.id)

            try await server.ingest([#"{"run":"c","type":"run.started"}"#, #"{"run":"a","type":"run.completed"}"#])
            let resumed = try await SSEConnection(server, "/v1/projects/default/stream", headers: [("Last-Event-ID", token)])
            _ = try await resumed.nextMessage()
            let after = try await resumed.messages(2)
            #expect(after.map(\.event) == ["run.started", "run.completed"])
            #expect(after.map(\.id) == ["3", "4"])
        }
    }

    @Test func typesFilterReplacesTheDefault() async throws {
        try await TestServer.with { server in
            try await server.ingest([#"{"run":"a","type":"x.custom"}"#, #"{"run":"a","type":"run.started"}"#])
            let stream = try await SSEConnection(server, "/v1/projects/default/stream?types=x.*")
            _ = try await stream.nextMessage()
            try await server.ingest([#"{"run":"a","type":"x.later"}"#])
            #expect(try await stream.messages(2).map(\.event) == ["x.custom", "x.later"])
        }
    }

    @Test func connectedLabelsTheActiveRuns() async throws {
        try await TestServer.with { server in
            try await server.ingest([
                #"{"run":"a","project":"p","type":"run.started","data":{"name":"Nightly eval"}}"#,
                #"{"run":"a","project":"p","type":"agent.started","agent":"planner"}"#,
                #"{"run":"b","project":"p","type":"run.started"}"#,
                #"{"run":"b","project":"p","type":"run.completed"}"#,
            ])
            let stream = try await SSEConnection(server, "/v1/projects/p/stream?from=now")
            let connected = try #require(try await stream.nextMessage())
            let object = try #require(try JSONSerialization.jsonObject(with: Data(connected.data.utf8)) as? [String: Any])
            #expect(object["type"] as? String == "herald.connected")
            #expect(object["activeRuns"] as? [String] == ["a"])
            let runs = try #require(object["runs"] as? [[String: Any]])
            #expect(runs.count == 1)
            #expect(runs.first?["run"] as? String == "a")
            #expect(runs.first?["name"] as? String == "Nightly eval")
            #expect(runs.first?["status"] as? String == "running")
            #expect(runs.first?["agents"] as? [String] == ["planner"])
            #expect(runs.first?["startedAt"] is String)
        }
    }

    @Test func messageFramesCarryNoEventLineAndTheTypeInTheirJSON() async throws {
        try await TestServer.with { server in
            try await server.ingest([#"{"run":"a","type":"run.started"}"#, #"{"run":"a","type":"step.started","data":{"stepId":"fetch"}}"#])
            let stream = try await SSEConnection(server, "/v1/projects/default/stream?frames=message")
            let messages = try await stream.messages(3)
            // Herald's parser names an unnamed frame "message", as EventSource does.
            #expect(messages.map(\.event) == ["message", "message", "message"])
            #expect(messages[0].data.hasPrefix(#"{"type":"herald.connected""#))
            #expect(messages.dropFirst().map(\.id) == ["1", "2"])
            #expect(messages[2].data.contains(#""type":"step.started""#))

            try await server.ingest([#"{"run":"a","type":"run.completed"}"#])
            let run = try await SSEConnection(server, "/v1/runs/a/stream?frames=message&after=1")
            let live = try await run.messages(3)
            #expect(live.map(\.event) == ["message", "message"], "the run stream ends after run.completed")
            #expect(live.map(\.id) == ["2", "3"])
            #expect(live.last?.data.contains(#""type":"run.completed""#) == true)
        }
    }

    @Test func messageFramesGoLiveToo() async throws {
        try await TestServer.with { server in
            try await server.ingest([#"{"run":"a","type":"run.started"}"#])
            let stream = try await SSEConnection(server, "/v1/runs/a/stream?frames=message")
            #expect(try await stream.nextMessage()?.id == "1")
            try await server.ingest([#"{"run":"a","type":"step.started","data":{"stepId":"fetch"}}"#])
            let live = try #require(try await stream.nextMessage())
            #expect(live.event == "message" && live.id == "2" && live.data.contains(#""type":"step.started""#))
        }
    }

    @Test func anUnknownFramesValueIsRefused() async throws {
        try await TestServer.with { server in
            let answer = try await server.get("/v1/projects/default/stream?frames=plain")
            #expect(answer.status == 400 && answer.errorCode == "invalid_parameter")
            #expect(answer.text.contains("frames must be named"))
        }
    }
}
