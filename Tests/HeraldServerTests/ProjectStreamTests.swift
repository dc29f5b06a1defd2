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
            #expect(messages.map(\.id) == ["1", "3", "5"], "ids are store positions")
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
}
