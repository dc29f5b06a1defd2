import Foundation
import HeraldCore
import Testing

@Suite("AG-UI: ingest and ?format=ag-ui run streams", .timeLimit(.minutes(2)))
struct AGUIStreamTests {
    /// The AG-UI event objects of SSE messages, in order.
    static func objects(_ messages: [SSEMessage]) throws -> [[String: Any]] {
        try messages.map { message in
            try #require(JSONSerialization.jsonObject(with: Data(message.data.utf8)) as? [String: Any])
        }
    }

    static func types(_ messages: [SSEMessage]) throws -> [String] {
        try objects(messages).map { $0["type"] as? String ?? "?" }
    }

    @Test func agUIEventsPostedAreStoredAsHeraldEventsAndStreamBackAsTheyCame() async throws {
        try await TestServer.with { server in
            let posted = """
                {"type":"RUN_STARTED","threadId":"thread-1","runId":"chat-1","timestamp":1767225600000}
                {"type":"TEXT_MESSAGE_START","run":"chat-1","messageId":"m1","role":"assistant"}
                {"type":"TEXT_MESSAGE_CONTENT","run":"chat-1","messageId":"m1","delta":"Hello"}
                {"type":"TEXT_MESSAGE_END","run":"chat-1","messageId":"m1"}
                {"type":"STATE_SNAPSHOT","run":"chat-1","snapshot":{"count":1}}
                {"type":"STATE_DELTA","run":"chat-1","delta":[{"op":"replace","path":"/count","value":2}]}
                {"type":"CUSTOM","run":"chat-1","name":"acme.mood","value":"sunny"}
                {"type":"RUN_FINISHED","threadId":"thread-1","runId":"chat-1"}

                """
            let answer = try await server.post(posted, contentType: "application/x-ndjson")
            #expect(answer.status == 200, "\(answer.text)")

            // Stored as their Herald equivalents.
            let page = try await server.get("/v1/runs/chat-1/events").json
            let events = try #require(page["events"] as? [[String: Any]])
            #expect(events.map { $0["type"] as? String } == [
                "run.started", "message.started", "message.delta", "message.completed", "state.snapshot", "state.delta", "ag_ui.custom",
                "run.completed",
            ])
            #expect(events[0]["time"] as? String == "2026-01-01T00:00:00.000000Z", "timestamp (ms) became the time")
            #expect((events[2]["data"] as? [String: String]) == ["messageId": "m1", "delta": "Hello"])

            // And streamed back as AG-UI events, the same fields, RUN_STARTED first.
            let stream = try await SSEConnection(server, "/v1/runs/chat-1/stream?format=ag-ui")
            let messages = try await stream.messagesUntilEnd()
            let objects = try Self.objects(messages)
            #expect(try Self.types(messages) == [
                "RUN_STARTED", "TEXT_MESSAGE_START", "TEXT_MESSAGE_CONTENT", "TEXT_MESSAGE_END", "STATE_SNAPSHOT", "STATE_DELTA", "CUSTOM",
                "RUN_FINISHED",
            ])
            #expect(messages.allSatisfy { $0.event == "message" }, "no event: lines, so EventSource's onmessage gets every event")
            #expect(messages.map(\.id) == (1...8).map { String($0) })
            #expect(objects[0]["threadId"] as? String == "thread-1" && objects[0]["runId"] as? String == "chat-1")
            #expect(objects[0]["protocolVersion"] as? String == "1.0" && objects[0]["timestamp"] as? Int == 1_767_225_600_000)
            #expect(objects[2]["delta"] as? String == "Hello" && objects[2]["messageId"] as? String == "m1")
            #expect(messages[5].data.contains(#""delta":[{"op":"replace","path":"/count","value":2}]"#), "the patch as posted")
            #expect(objects[6]["name"] as? String == "acme.mood" && objects[6]["value"] as? String == "sunny")
            #expect(objects[7]["threadId"] as? String == "thread-1")
        }
    }

    @Test func aFailedRunEndsWithRunErrorAndHeraldOnlyTypesAreCustom() async throws {
        try await TestServer.with { server in
            try await server.ingest([
                #"{"run":"r","type":"run.queued"}"#,
                #"{"run":"r","type":"agent.log","agent":"w1","data":{"line":"hi"}}"#,
                #"{"run":"r","type":"step.started","data":{"stepId":"s1"}}"#,
                #"{"run":"r","type":"step.failed","data":{"stepId":"s1","code":"E1","message":"boom"}}"#,
                #"{"run":"r","type":"run.failed","data":{"error":"it broke","code":"E_RUN"}}"#,
            ])
            let stream = try await SSEConnection(server, "/v1/runs/r/stream?format=ag-ui")
            let messages = try await stream.messagesUntilEnd()
            let objects = try Self.objects(messages)
            #expect(try Self.types(messages) == ["RUN_STARTED", "CUSTOM", "CUSTOM", "STEP_STARTED", "STEP_FINISHED", "RUN_ERROR"])
            // RUN_STARTED is made up before the first event (run.queued), which keeps its id.
            #expect(messages.map(\.id) == [nil, "1", "2", "3", "4", "5"])
            #expect(objects[1]["name"] as? String == "herald.run.queued")
            let log = try #require(objects[2]["value"] as? [String: Any])
            #expect(objects[2]["name"] as? String == "herald.agent.log" && log["agent"] as? String == "w1" && log["seq"] as? Int == 2)
            #expect(objects[4]["stepName"] as? String == "s1" && (objects[4]["metadata"] as? [String: Any])?["herald"] != nil)
            #expect(objects[5]["message"] as? String == "it broke" && objects[5]["code"] as? String == "E_RUN")
            #expect(objects[5]["threadId"] == nil, "RUN_ERROR carries no threadId in AG-UI 1.0")
        }
    }

    @Test func resumingInTheMiddleOfAStreamedMessageLosesAndRepeatsNothing() async throws {
        try await TestServer.with { server in
            try await server.ingest([
                #"{"run":"chat","type":"run.started"}"#,
                #"{"run":"chat","type":"message.started","data":{"messageId":"m1","role":"assistant"}}"#,
                #"{"run":"chat","type":"message.delta","data":{"messageId":"m1","delta":"The"}}"#,
                #"{"run":"chat","type":"message.delta","data":{"messageId":"m1","delta":" answer"}}"#,
            ])
            let first = try await SSEConnection(server, "/v1/runs/chat/stream?format=ag-ui")
            let before = try await first.messages(3)  // RUN_STARTED, START, "The": then the connection drops
            #expect(try Self.types(before) == ["RUN_STARTED", "TEXT_MESSAGE_START", "TEXT_MESSAGE_CONTENT"])

            let resumed = try await SSEConnection(server, "/v1/runs/chat/stream?format=ag-ui", headers: [("Last-Event-ID", before.last?.id ?? "")])
            let stored = try await resumed.messages(1)
            try await server.ingest([
                #"{"run":"chat","type":"message.delta","data":{"messageId":"m1","delta":" is 42."}}"#,
                #"{"run":"chat","type":"message.completed","data":{"messageId":"m1"}}"#,
                #"{"run":"chat","type":"run.completed","data":{"summary":"answered"}}"#,
            ])
            let after = stored + (try await resumed.messagesUntilEnd())

            #expect(try Self.types(after) == ["TEXT_MESSAGE_CONTENT", "TEXT_MESSAGE_CONTENT", "TEXT_MESSAGE_END", "RUN_FINISHED"])
            let text = try Self.objects(before + after).compactMap { $0["delta"] as? String }.joined()
            #expect(text == "The answer is 42.", "every piece once, in order")
            #expect((before + after).compactMap(\.id) == (1...7).map { String($0) })
            #expect(try Self.objects(after).last?["result"] as? String == "answered")
        }
    }

    @Test func badInputIsRefusedClearly() async throws {
        try await TestServer.with { server in
            // A JSON Patch that is not one, in Herald's shape and in AG-UI's.
            let herald = try await server.post(#"{"run":"r","type":"state.delta","data":{"delta":[{"op":"add","path":"/a"}]}}"#)
            #expect(herald.status == 422 && herald.text.contains("invalid_patch") && herald.text.contains("add needs a value"), "\(herald.text)")
            let agUI = try await server.post(#"{"type":"STATE_DELTA","run":"r","delta":[{"op":"move","path":"/a"}]}"#)
            #expect(agUI.status == 422 && agUI.text.contains("data.delta"), "\(agUI.text)")
            let nested = try await server.post(#"{"type":"TEXT_MESSAGE_CONTENT","run":"r","data":{"messageId":"m","delta":"x"}}"#)
            #expect(nested.status == 422 && nested.text.contains("top level"), "\(nested.text)")
            let missing = try await server.post(#"{"type":"TEXT_MESSAGE_CONTENT","run":"r","messageId":"m"}"#)
            #expect(missing.status == 422 && missing.text.contains("data.delta"), "\(missing.text)")
            let badTime = try await server.post(#"{"type":"TEXT_MESSAGE_END","run":"r","messageId":"m","timestamp":"soon"}"#)
            #expect(badTime.status == 422 && badTime.text.contains("timestamp"), "\(badTime.text)")

            try await server.ingest([#"{"run":"r","type":"run.started"}"#])
            let format = try await SSEConnection(server, "/v1/runs/r/stream?format=xml")
            #expect(format.status == 400)
            let project = try await SSEConnection(server, "/v1/projects/default/stream?format=ag-ui")
            #expect(project.status == 400)
        }
    }

    @Test func agUIInputIsCheckedLikeAnyOther() async throws {
        try await TestServer.with { server in
            let cases: [(String, String)] = [
                (#"{"type":"RUN_FINSHED","runId":"r"}"#, "unknown_type"),  // a typo must not leave a run open for ever
                (#"{"type":"THINKING_START","run":"r"}"#, "unknown_type"),  // removed in AG-UI 1.0
                (#"{"run":"r","type":"ag_ui.custom","data":{"type":"RUN_FINISHED"}}"#, "unknown_type"),  // only AG-UI input makes ag_ui.*
                (#"{"type":"CUSTOM","run":"r","name":"a","value":1,"name":"b"}"#, "duplicate_field"),
                (#"{"type":"TEXT_MESSAGE_END","run":"r","messageId":"m","timestamp":253402300800000}"#, "invalid_value"),  // year 10000
                (#"{"type":"TEXT_MESSAGE_END","run":"r","messageId":"m","metadata":"x"}"#, "invalid_type"),
                (#"{"type":"ACTIVITY_DELTA","run":"r","runId":{}}"#, "invalid_type"),  // found by schemathesis
                (#"{"type":"TOOL_CALL_RESULT","run":"r","toolCallId":"c","messageId":"m","content":null}"#, "required"),
            ]
            for (body, code) in cases {
                let answer = try await server.post(body)
                #expect(answer.status == 422 && answer.text.contains(code), "\(body): \(answer.text)")
            }
            let accepted = try await server.post(#"{"type":"TEXT_MESSAGE_END","run":"r","messageId":"m","timestamp":null,"metadata":null}"#)
            #expect(accepted.status == 200, "null stands for absent in the envelope: \(accepted.text)")
        }
    }

    @Test func aCancelledOutcomeEndsTheRunCancelled() async throws {
        try await TestServer.with { server in
            try await server.ingest([
                #"{"type":"RUN_STARTED","threadId":"t","runId":"c1"}"#,
                #"{"type":"RUN_FINISHED","threadId":"t","runId":"c1","outcome":{"type":"cancelled"}}"#,
            ])
            #expect(try await server.get("/v1/runs/c1").json["status"] as? String == "cancelled")
            let messages = try await SSEConnection(server, "/v1/runs/c1/stream?format=ag-ui").messagesUntilEnd()
            let last = try #require(try Self.objects(messages).last)
            #expect(last["type"] as? String == "RUN_FINISHED" && (last["outcome"] as? [String: String]) == ["type": "cancelled"])
        }
    }

    @Test func everyWayOfJoiningGetsOneRunStartedWithTheRunsThread() async throws {
        try await TestServer.with { server in
            try await server.ingest([
                #"{"run":"t1","type":"run.queued"}"#,
                #"{"run":"t1","type":"run.started","data":{"threadId":"thread-9"}}"#,
                #"{"run":"t1","type":"message.started","data":{"messageId":"m"}}"#,
                #"{"run":"t1","type":"message.completed","data":{"messageId":"m"}}"#,
                #"{"run":"t1","type":"run.completed"}"#,
            ])
            for query in ["types=message.*", "after=0", ""] {
                let messages = try await SSEConnection(server, "/v1/runs/t1/stream?format=ag-ui&" + query).messagesUntilEnd()
                let objects = try Self.objects(messages)
                #expect(objects.filter { $0["type"] as? String == "RUN_STARTED" }.count == 1, "\(query)")
                #expect(objects.first?["type"] as? String == "RUN_STARTED" && objects.first?["threadId"] as? String == "thread-9", "\(query)")
                #expect(objects.last?["type"] as? String == "RUN_FINISHED" && objects.last?["threadId"] as? String == "thread-9", "\(query)")
            }
            // Resuming after an event the client has: no second RUN_STARTED.
            let resumed = try await SSEConnection(server, "/v1/runs/t1/stream?format=ag-ui", headers: [("Last-Event-ID", "3")])
            #expect(try Self.types(try await resumed.messagesUntilEnd()) == ["TEXT_MESSAGE_END", "RUN_FINISHED"])

            // Joining a live run at its newest event (from=now): RUN_STARTED comes before the first new one.
            try await server.ingest([#"{"run":"t2","type":"run.started","data":{"threadId":"thread-2"}}"#])
            let live = try await SSEConnection(server, "/v1/runs/t2/stream?format=ag-ui&from=now")
            try await server.ingest([#"{"run":"t2","type":"message.started","data":{"messageId":"m"}}"#, #"{"run":"t2","type":"run.completed"}"#])
            let objects = try Self.objects(try await live.messagesUntilEnd())
            #expect(objects.map { $0["type"] as? String } == ["RUN_STARTED", "TEXT_MESSAGE_START", "RUN_FINISHED"])
            #expect(objects.first?["threadId"] as? String == "thread-2" && objects.last?["threadId"] as? String == "thread-2")
        }
    }
}
