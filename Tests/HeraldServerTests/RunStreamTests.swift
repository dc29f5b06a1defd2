import Foundation
import Testing

@Suite("GET /v1/runs/{run}/stream", .timeLimit(.minutes(2)))
struct RunStreamTests {
    @Test func aLateSubscriberGetsEveryEventThenTheEnd() async throws {
        try await TestServer.with { server in
            try await server.ingest((1...50).map { #"{"run":"r","type":"x.step","data":{"i":\#($0)}}"# })
            try await server.ingest([#"{"run":"r","type":"run.completed"}"#])
            let stream = try await SSEConnection(server, "/v1/runs/r/stream")
            #expect(stream.status == 200)
            #expect(stream.header("Content-Type") == "text/event-stream")
            #expect(stream.header("Cache-Control") == "no-cache")
            #expect(stream.header("X-Accel-Buffering") == "no")
            #expect(try await stream.next() == .retry(2000))
            let messages = try await stream.messagesUntilEnd()
            #expect(messages.map(\.id) == (1...51).map { String($0) })
            #expect(messages.last?.event == "run.completed")
            #expect(messages.first?.field("seq") == 1)
        }
    }

    @Test func aReconnectPastTheEndGets204ForEveryTerminalType() async throws {
        try await TestServer.with { server in
            for (run, terminal) in [("ok", "run.completed"), ("bad", "run.failed")] {
                let data = terminal == "run.failed" ? #","data":{"error":"boom"}"# : ""
                try await server.ingest([#"{"run":"\#(run)","type":"run.started"}"#, #"{"run":"\#(run)","type":"\#(terminal)"\#(data)}"#])
                let ended = try await SSEConnection(server, "/v1/runs/\(run)/stream", headers: [("Last-Event-ID", "2")])
                #expect(ended.status == 204)
                let beyond = try await SSEConnection(server, "/v1/runs/\(run)/stream?after=7")
                #expect(beyond.status == 204)
                let replay = try await SSEConnection(server, "/v1/runs/\(run)/stream", headers: [("Last-Event-ID", "1")])
                #expect(try await replay.messagesUntilEnd().map(\.event) == [terminal])
            }
        }
    }

    @Test func liveEventsArriveAndTheTerminalEventEndsTheStream() async throws {
        try await TestServer.with { server in
            try await server.ingest([#"{"run":"r","type":"run.started"}"#])
            let stream = try await SSEConnection(server, "/v1/runs/r/stream")
            #expect(try await stream.messages(1).map(\.id) == ["1"])
            try await server.ingest([#"{"run":"r","type":"x.live"}"#])
            #expect(try await stream.messages(1).map(\.event) == ["x.live"])
            try await server.ingest([#"{"run":"r","type":"run.failed","data":{"error":"e"}}"#])
            #expect(try await stream.messagesUntilEnd().map(\.event) == ["run.failed"])
        }
    }

    @Test func unknownRunIs404UnlessWaiting() async throws {
        try await TestServer.with { server in
            let missing = try await server.get("/v1/runs/later/stream")
            #expect(missing.status == 404)
            #expect(missing.errorCode == "run_not_found")

            let stream = try await SSEConnection(server, "/v1/runs/later/stream?wait=1")
            #expect(stream.status == 200)
            // The subscriber is registered before the producer starts: presence shows it.
            try await server.ingest([#"{"run":"other","type":"x.y"}"#])
            try await server.ingest([#"{"run":"later","type":"run.started"}"#, #"{"run":"later","type":"run.completed"}"#])
            #expect(try await stream.messagesUntilEnd().map(\.id) == ["1", "2"])
        }
    }

    @Test func fromNowSkipsHistory() async throws {
        try await TestServer.with { server in
            try await server.ingest([#"{"run":"r","type":"x.old"}"#, #"{"run":"r","type":"x.old"}"#])
            let stream = try await SSEConnection(server, "/v1/runs/r/stream?from=now")
            try await server.ingest([#"{"run":"r","type":"x.new"}"#])
            let message = try #require(try await stream.nextMessage())
            #expect(message.id == "3")
            #expect(message.event == "x.new")
        }
    }

    @Test func filtersApplyButTheTerminalEventAlwaysArrives() async throws {
        try await TestServer.with { server in
            try await server.ingest([
                #"{"run":"r","type":"agent.log","agent":"a","data":{"line":"1"}}"#,
                #"{"run":"r","type":"agent.log","agent":"b","data":{"line":"2"}}"#,
                #"{"run":"r","type":"x.other","agent":"a"}"#,
                #"{"run":"r","type":"state","agent":"a","data":{"variable":"v","new":1}}"#,
                #"{"run":"r","type":"run.completed"}"#,
            ])
            let byType = try await SSEConnection(server, "/v1/runs/r/stream?types=agent.*&agents=a")
            #expect(try await byType.messagesUntilEnd().map(\.id) == ["1", "5"])
            let byLevel = try await SSEConnection(server, "/v1/runs/r/stream?level=action")
            #expect(try await byLevel.messagesUntilEnd().map(\.id) == ["3", "5"])
            let bad = try await server.get("/v1/runs/r/stream?level=nope")
            #expect(bad.status == 400)
        }
    }

    @Test func aResumePointAheadOfTheStreamIsSignalledInBand() async throws {
        try await TestServer.with { server in
            try await server.ingest([#"{"run":"r","type":"x.y"}"#, #"{"run":"r","type":"x.y"}"#])
            let stream = try await SSEConnection(server, "/v1/runs/r/stream", headers: [("Last-Event-ID", "40")])
            let gap = try #require(try await stream.nextMessage())
            #expect(gap.event == "herald.gap")
            #expect(gap.id == "2")
            #expect(gap.field("requested") == 40)
            #expect(gap.field("continuesAfter") == 2)
            try await server.ingest([#"{"run":"r","type":"x.after"}"#])
            #expect(try await stream.nextMessage()?.id == "3")
            #expect(try await server.get("/v1/runs/r/stream?after=abc").status == 400)
            // An empty Last-Event-ID is "no id yet": ?after= still applies, and is still checked.
            #expect(try await server.get("/v1/runs/r/stream?after=-5", headers: [("Last-Event-ID", "")]).status == 400)
        }
    }

    @Test func heartbeatsKeepAnIdleStreamAlive() async throws {
        try await TestServer.with(configure: { $0.streams.heartbeat = .milliseconds(300) }) { server in
            try await server.ingest([#"{"run":"r","type":"x.y"}"#])
            let stream = try await SSEConnection(server, "/v1/runs/r/stream")
            #expect(try await stream.nextMessage()?.id == "1")
            #expect(try await stream.next() == .comment("heartbeat"))
        }
    }

    @Test func connectionsPerClientAreLimited() async throws {
        try await TestServer.with(configure: { $0.streams.maxConnectionsPerClient = 2 }) { server in
            try await server.ingest([#"{"run":"r","type":"x.y"}"#])
            let first = try await SSEConnection(server, "/v1/runs/r/stream")
            let second = try await SSEConnection(server, "/v1/runs/r/stream")
            #expect(first.status == 200 && second.status == 200)
            let third = try await server.get("/v1/runs/r/stream")
            #expect(third.status == 429)
            #expect(third.errorCode == "too_many_connections")
            #expect(try await server.get("/v1/runs/r").json["subscribers"] as? Int == 2)
        }
    }

    @Test func theStreamClosesAtItsLifetimeAndResumesSeamlessly() async throws {
        try await TestServer.with(configure: {
            $0.streams.maxLifetime = .milliseconds(200)
            $0.streams.heartbeat = .milliseconds(90)
        }) { server in
            try await server.ingest([#"{"run":"r","type":"x.y"}"#])
            let stream = try await SSEConnection(server, "/v1/runs/r/stream")
            let first = try await stream.messagesUntilEnd()
            #expect(first.map(\.id) == ["1"], "closed at the lifetime without ending the run")
            try await server.ingest([#"{"run":"r","type":"x.y"}"#])
            let resumed = try await SSEConnection(server, "/v1/runs/r/stream", headers: [("Last-Event-ID", "1")])
            #expect(try await resumed.nextMessage()?.id == "2")
        }
    }
}
