import Foundation
import Testing

@testable import HeraldCore

@Suite("AG-UI mapping, both ways")
struct AGUITests {
    /// An AG-UI event (without `run`), the Herald type it is stored as, and its stored `data`.
    static let mappings: [(agui: String, herald: String, data: String)] = [
        (#"{"type":"STEP_STARTED","stepName":"plan"}"#, "step.started", #"{"stepId":"plan"}"#),
        (#"{"type":"STEP_FINISHED","stepName":"plan"}"#, "step.completed", #"{"stepId":"plan"}"#),
        (
            #"{"type":"TEXT_MESSAGE_START","messageId":"m1","role":"assistant","name":"bot"}"#, "message.started",
            #"{"messageId":"m1","role":"assistant","name":"bot"}"#
        ),
        (#"{"type":"TEXT_MESSAGE_CONTENT","messageId":"m1","delta":"Hi"}"#, "message.delta", #"{"messageId":"m1","delta":"Hi"}"#),
        (#"{"type":"TEXT_MESSAGE_END","messageId":"m1"}"#, "message.completed", #"{"messageId":"m1"}"#),
        (
            #"{"type":"TOOL_CALL_START","toolCallId":"c1","toolCallName":"search","parentMessageId":"m1"}"#, "tool.call_started",
            #"{"toolCallId":"c1","toolCallName":"search","parentMessageId":"m1"}"#
        ),
        (#"{"type":"TOOL_CALL_ARGS","toolCallId":"c1","delta":"{\"q\":"}"#, "tool.call_args", #"{"toolCallId":"c1","delta":"{\"q\":"}"#),
        (#"{"type":"TOOL_CALL_END","toolCallId":"c1"}"#, "tool.call_completed", #"{"toolCallId":"c1"}"#),
        (
            #"{"type":"TOOL_CALL_RESULT","messageId":"t1","toolCallId":"c1","content":"3 hits","role":"tool"}"#, "tool.call_result",
            #"{"messageId":"t1","toolCallId":"c1","content":"3 hits","role":"tool"}"#
        ),
        (#"{"type":"STATE_SNAPSHOT","snapshot":{"a":[1,null]}}"#, "state.snapshot", #"{"snapshot":{"a":[1,null]}}"#),
        (
            #"{"type":"STATE_DELTA","delta":[{"op":"add","path":"/a/-","value":2}]}"#, "state.delta",
            #"{"delta":[{"op":"add","path":"/a/-","value":2}]}"#
        ),
        (#"{"type":"REASONING_START","messageId":"r1"}"#, "reasoning.started", #"{"messageId":"r1"}"#),
        (
            #"{"type":"REASONING_MESSAGE_START","messageId":"r2","role":"reasoning"}"#, "reasoning.message_started",
            #"{"messageId":"r2","role":"reasoning"}"#
        ),
        (#"{"type":"REASONING_MESSAGE_CONTENT","messageId":"r2","delta":"so"}"#, "reasoning.delta", #"{"messageId":"r2","delta":"so"}"#),
        (#"{"type":"REASONING_MESSAGE_END","messageId":"r2"}"#, "reasoning.message_completed", #"{"messageId":"r2"}"#),
        (#"{"type":"REASONING_END","messageId":"r1"}"#, "reasoning.completed", #"{"messageId":"r1"}"#),
        (#"{"type":"RUN_ERROR","message":"boom","code":"E1"}"#, "run.failed", #"{"error":"boom","code":"E1"}"#),
        (#"{"type":"RUN_FINISHED","threadId":"t","runId":"r"}"#, "run.completed", #"{"threadId":"t","runId":"r"}"#),
        // No Herald equivalent: kept as it came, and written back as it came.
        (#"{"type":"CUSTOM","name":"acme.mood","value":null}"#, "ag_ui.custom", #"{"name":"acme.mood","value":null}"#),
        (
            #"{"type":"MESSAGES_SNAPSHOT","messages":[{"id":"u1","role":"user","content":"hi"}]}"#, "ag_ui.messages_snapshot",
            #"{"messages":[{"id":"u1","role":"user","content":"hi"}]}"#
        ),
        // AG-UI's own base fields travel along.
        (
            #"{"type":"TEXT_MESSAGE_END","messageId":"m1","metadata":{"k":"v"},"subagentRunId":"sub-1"}"#, "message.completed",
            #"{"messageId":"m1","metadata":{"k":"v"},"subagentRunId":"sub-1"}"#
        ),
    ]

    static func json(_ text: some Collection<UInt8>) throws -> NSDictionary {
        try #require(JSONSerialization.jsonObject(with: Data(text), options: [.fragmentsAllowed]) as? NSDictionary)
    }

    static func event(_ draft: EventDraft, seq: Int64 = 5) -> Event {
        Event(draft: draft, id: "01JD0000000000000000000000", seq: seq, time: draft.time ?? Timestamp(microseconds: 1_767_225_600_000_000), position: seq, projectPosition: seq)
    }

    @Test("each AG-UI event is stored as its Herald equivalent and written back as it came", arguments: mappings.indices)
    func roundTrip(index: Int) throws {
        let (agui, herald, data) = Self.mappings[index]
        let posted = String(agui.dropLast()) + #","run":"r","timestamp":1767225600123}"#

        let drafts = try parse(posted)
        #expect(drafts.map(\.type) == [herald])
        #expect(try Self.json(drafts[0].data) == Self.json(Array(data.utf8)))
        #expect(drafts[0].time == Timestamp(microseconds: 1_767_225_600_123_000))

        var stream = AGUIStream(resuming: true)
        let written = stream.objects(for: Self.event(drafts[0]))
        #expect(written.count == 1)
        let expected = try Self.json(Array(agui.utf8)).mutableCopy() as! NSMutableDictionary
        expected["timestamp"] = 1_767_225_600_123
        if herald == "run.completed" { expected["runId"] = "r" }  // a run's id is the Herald run
        #expect(try Self.json(written[0]) == expected)
    }

    @Test func runStartedOpensTheStreamOnce() throws {
        let started = try parse(#"{"type":"RUN_STARTED","threadId":"thread-1","runId":"chat-1"}"#)[0]
        #expect(started.run == "chat-1" && started.type == "run.started", "a RUN_* event's runId names the run")
        var stream = AGUIStream(resuming: false)
        let first = stream.objects(for: Self.event(started, seq: 1))
        #expect(try first.map(Self.json) == [["type": "RUN_STARTED", "timestamp": 1_767_225_600_000, "threadId": "thread-1", "runId": "chat-1", "protocolVersion": "1.0"]])
        // Another run.started later is not a second RUN_STARTED.
        #expect(stream.objects(for: Self.event(started, seq: 9)).map { try? Self.json($0)["type"] as? String } == ["CUSTOM"])
    }

    @Test func aStreamWhoseRunDoesNotBeginWithRunStartedGetsOneMadeUp() throws {
        let queued = try parse(#"{"run":"r9","type":"run.queued","data":{"name":"nightly"}}"#)[0]
        var fresh = AGUIStream(resuming: false)
        let frames = String(decoding: fresh.frames(for: Self.event(queued, seq: 1)), as: UTF8.self)
        // The made-up RUN_STARTED has no id; the event's own frame carries its seq.
        #expect(frames.hasPrefix(#"data: {"type":"RUN_STARTED","#) && frames.contains(#""threadId":"r9","runId":"r9","protocolVersion":"1.0"}"#))
        #expect(frames.contains("\n\nid: 1\ndata: {\"type\":\"CUSTOM\"") && frames.hasSuffix("}\n\n"))
        #expect(frames.components(separatedBy: "id: ").count == 2, "one id, on the last frame")

        var resumed = AGUIStream(resuming: true)
        #expect(try resumed.objects(for: Self.event(queued, seq: 1)).map { try Self.json($0)["type"] as? String } == ["CUSTOM"])
    }

    @Test func theRunsEndsMapToRunFinishedOrRunError() throws {
        var stream = AGUIStream(resuming: true)
        let cases: [(String, NSDictionary)] = [
            (#"{"run":"r","type":"run.completed","data":{"summary":"done"}}"#, ["type": "RUN_FINISHED", "threadId": "r", "runId": "r", "result": "done"]),
            (#"{"run":"r","type":"run.cancelled","data":{"reason":"user"}}"#, ["type": "RUN_FINISHED", "threadId": "r", "runId": "r", "outcome": ["type": "cancelled"]]),
            (#"{"run":"r","type":"run.failed","data":{"error":"boom"}}"#, ["type": "RUN_ERROR", "message": "boom"]),
        ]
        for (body, expected) in cases {
            let written = try Self.json(stream.objects(for: Self.event(try parse(body)[0]))[0]).mutableCopy() as! NSMutableDictionary
            written.removeObject(forKey: "timestamp")
            #expect(written == expected, "\(body)")
        }
    }

    @Test func heraldTypesWithoutAnEquivalentAreNamespacedCustomEvents() throws {
        var stream = AGUIStream(resuming: true)
        let log = Self.event(try parse(#"{"run":"r","type":"agent.log","agent":"w1","data":{"line":"hi"}}"#)[0])
        let object = try Self.json(stream.objects(for: log)[0])
        #expect(object["type"] as? String == "CUSTOM" && object["name"] as? String == "herald.agent.log")
        #expect(try Self.json(log.json) == object["value"] as? NSDictionary, "the value is the Herald event itself")

        // A failed step is finished; the failure rides in its metadata (one frame, one id).
        let failed = Self.event(try parse(#"{"run":"r","type":"step.failed","data":{"stepId":"s","code":"E","message":"m"}}"#)[0])
        let written = try stream.objects(for: failed).map(Self.json)
        #expect(written.map { $0["type"] as? String } == ["STEP_FINISHED"] && written[0]["stepName"] as? String == "s")
        #expect(written[0]["metadata"] as? NSDictionary == ["herald": ["type": "step.failed", "code": "E", "message": "m"]])
    }

    @Test func jsonPointers() {
        for valid in ["", "/", "/a", "/a/0", "/a~0b/~1c", "/-"] { #expect(JSONPatch.isPointer(valid), "\(valid)") }
        for invalid in ["a", "a/b", "/a~", "/a~2", "#/a"] { #expect(!JSONPatch.isPointer(invalid), "\(invalid)") }
    }

    @Test func typesAreTellApart() {
        #expect(AGUI.isAGUIType("TEXT_MESSAGE_CONTENT") && AGUI.isAGUIType("RUN_STARTED") && AGUI.isAGUIType("X1"))
        #expect(!AGUI.isAGUIType("text_message") && !AGUI.isAGUIType("_X") && !AGUI.isAGUIType("1X") && !AGUI.isAGUIType(""))
        #expect(AGUI.heraldType(for: "ACTIVITY_DELTA") == "ag_ui.activity_delta")
    }
}
