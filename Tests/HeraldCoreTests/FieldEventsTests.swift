import Testing

@testable import HeraldCore

/// The events Python teams write today (docs/vocabulary.md, "Coming from …"): taken as written
/// where Herald can, refused with the rename to make where it cannot.
@Suite("EventParser: the field's events, as written")
struct FieldEventsTests {
    @Test("timestamp is an alias of time, with Z or a +00:00 offset")
    func timestampAlias() throws {
        for text in ["2026-12-06T16:20:30.123456Z", "2026-12-06T16:20:30.123456+00:00", "2026-12-06T17:20:30.123456+01:00"] {
            let draft = try #require(try parse(#"{"run":"r","type":"task_started","data":{"task_id":"t1"},"timestamp":"\#(text)"}"#).first)
            #expect(draft.time?.rfc3339 == "2026-12-06T16:20:30.123456Z")
        }
        // Both, naming the same instant: fine.
        let same = try parse(#"{"run":"r","type":"a.b","time":"2026-12-06T16:20:30Z","timestamp":"2026-12-06T17:20:30+01:00"}"#)
        #expect(same.first?.time?.rfc3339 == "2026-12-06T16:20:30.000000Z")
    }

    @Test("timestamp and time that differ are refused")
    func timestampConflict() throws {
        let error = try #require(parseError(#"{"run":"r","type":"a.b","time":"2026-12-06T16:20:30Z","timestamp":"2026-12-06T16:20:31Z"}"#))
        #expect(error.code == .validationFailed)
        #expect(error.problems == ["0:timestamp:conflict"])
    }

    @Test("a time without an offset is refused with the fix", arguments: ["time", "timestamp"])
    func naiveTime(field: String) throws {
        let error = try #require(parseError(#"{"run":"r","type":"a.b","\#(field)":"2026-12-06T16:20:30.123456"}"#))
        #expect(error.problems == ["0:\(field):invalid_value"])
        #expect(error.details[0].message.contains("no UTC offset"))
        #expect(error.details[0].message.contains("datetime.now(timezone.utc).isoformat()"))
        #expect(Timestamp.lacksOffset("2026-12-06T16:20:30.123456"))
        #expect(Timestamp.lacksOffset("2026-12-06 16:20:30"))
        #expect(!Timestamp.lacksOffset("2026-12-06T16:20:30Z"))
        #expect(!Timestamp.lacksOffset("yesterday"))
    }

    @Test("a Go event hub's type name is refused with Herald's", arguments: [
        ("agent:started", "agent.started"), ("task:status_changed", "task.status_changed"),
        ("subtask:unblocked", "task.subtask_unblocked"),
    ])
    func foreignTypeName(foreign: String, herald: String) throws {
        let error = try #require(parseError(#"{"run":"r","type":"\#(foreign)","agent":"w"}"#))
        #expect(error.problems == ["0:type:invalid_value"])
        #expect(error.details[0].message.hasSuffix(": \(foreign) is \(herald) in Herald"), "\(error.details[0].message)")
    }

    @Test("an AG-UI event's timestamp stays milliseconds")
    func aguiTimestamp() throws {
        let draft = try #require(try parse(#"{"type":"RUN_STARTED","threadId":"t","runId":"r","timestamp":1000}"#).first)
        #expect(draft.time == Timestamp(microseconds: 1_000_000))
    }

    @Test(
        "reflection and thought take the fields the orchestrator hooks name",
        arguments: [
            #"{"type":"reflection","data":{"done":false,"gaps":["tests"],"new_tasks":[]}}"#,
            #"{"type":"reflection","data":{"done":true}}"#,
            #"{"type":"reflection","data":{"newTasks":[{"id":"t2"}]}}"#,
            #"{"type":"reflection","data":{"content":"looks fine"}}"#,
            #"{"type":"thought","data":{"text":"I should fetch first"}}"#,
            #"{"type":"thought","data":{"content":"hm"}}"#,
        ]
    )
    func hooks(line: String) throws {
        let body = line.replacingOccurrences(of: #"{"type""#, with: #"{"run":"r","type""#)
        #expect(parseError(body) == nil)
    }

    @Test("reflection and thought need one of their fields, and name a rename found")
    func hooksNeedOne() throws {
        let thought = try #require(parseError(#"{"run":"r","type":"thought","data":{}}"#))
        #expect(thought.problems == ["0:data:required"])
        #expect(thought.details[0].message == "thought events need data.content or data.text")
        let reflection = try #require(parseError(#"{"run":"r","type":"reflection","data":{"new_tasks":[]}}"#))
        #expect(
            reflection.details[0].message
                == "reflection events need data.content, data.done, data.gaps or data.newTasks (found data.new_tasks: Herald's name is newTasks)"
        )
        let wrongKind = try #require(parseError(#"{"run":"r","type":"reflection","data":{"done":"no"}}"#))
        #expect(wrongKind.problems == ["0:data.done:invalid_type"])
    }

    @Test(
        "a top-level field under another team's name is refused with Herald's name",
        arguments: [
            ("event_id", "id"), ("eventId", "id"), ("turn_number", "turn"), ("agent_id", "agent"), ("caused_by", "causedBy"),
            ("event_type", "type"), ("simulation_id", "run"), ("run_id", "run"), ("project_id", "project"),
        ]
    )
    func topLevelRenames(written: String, herald: String) throws {
        let error = try #require(parseError(#"{"run":"r","type":"a.b","\#(written)":"x"}"#))
        #expect(error.problems == ["0:\(written):unknown_field"])
        #expect(error.details[0].message == "unknown field '\(written)': Herald calls it '\(herald)'")
    }

    @Test(
        "a required data field under another spelling is named",
        arguments: [
            (#""type":"task.started","data":{"task_id":"t1"}"#, "task.started events need data.taskId (found data.task_id: Herald's name is taskId)"),
            (#""type":"decision","agent":"a","data":{"decision_type":"plan","newValue":1}"#, "decision events need data.decisionType (found data.decision_type: Herald's name is decisionType)"),
            (#""type":"state","data":{"variable":"x","new_value":1}"#, "state events need data.new (found data.new_value: Herald's name is new)"),
            (#""type":"detail","data":{"calculation_type":"sum"}"#, "detail events need data.calculationType (found data.calculation_type: Herald's name is calculationType)"),
            (#""type":"state","data":{"variable_name":"x","new":1}"#, "state events need data.variable (found data.variable_name: Herald's name is variable)"),
        ]
    )
    func dataRenames(members: String, message: String) throws {
        let error = try #require(parseError(#"{"run":"r",\#(members)}"#))
        #expect(error.details.map(\.message) == [message])
    }

    @Test("causedBy null is no cause")
    func causedByNull() throws {
        let draft = try #require(try parse(#"{"run":"r","type":"a.b","causedBy":null}"#).first)
        #expect(draft.causedBy.isEmpty)
    }

    @Test("an upper-case level is answered with Herald's types, not the AG-UI list")
    func upperCaseLevel() throws {
        let milestone = try #require(parseError(#"{"run":"r","type":"MILESTONE","data":{"milestone_type":"turn_start"}}"#))
        #expect(milestone.problems == ["0:type:unknown_type"], "one problem, with its hint")
        let message = try #require(milestone.details.first { $0.field == "type" }?.message)
        #expect(message.contains("lowercase dotted names") && message.contains("milestone.turn_start"))
        #expect(!message.contains("TEXT_MESSAGE_START"))
        let decision = try #require(parseError(#"{"run":"r","type":"DECISION"}"#))
        #expect(decision.details.first { $0.field == "type" }?.message.contains("use the type decision") == true)
        let task = try #require(parseError(#"{"run":"r","type":"TASK_STARTED"}"#))
        #expect(task.details.first { $0.field == "type" }?.message.contains("use task.started") == true)
        // A near miss of an AG-UI type still gets the AG-UI list.
        let typo = try #require(parseError(#"{"type":"RUN_FINSHED","runId":"r"}"#))
        #expect(typo.details.first { $0.field == "type" }?.message.contains("RUN_FINISHED") == true)
    }

    @Test("bare system and milestone are categories, not types", arguments: [("system", "system.error"), ("milestone", "milestone.turn_start")])
    func bareCategories(type: String, hint: String) throws {
        let error = try #require(parseError(#"{"run":"r","type":"\#(type)","data":{"status":"ok"}}"#))
        #expect(error.problems == ["0:type:unknown_type"])
        #expect(error.details[0].message.contains("is a category, not a type") && error.details[0].message.contains(hint))
    }

    @Test("partial parsing keeps the valid events with their indices and the problems of each refused one")
    func partial() throws {
        let body = #"""
            {"run":"r","type":"a.b"}
            {"run":"r","type":"thought","data":{}}
            {"run":"r","type":"c.d","event_id":"x"}
            {"run":"r","type":"e.f"}
            """#
        let batch = try Array(body.utf8).withUnsafeBufferPointer { try EventParser().parsePartial($0, format: .ndjson) }
        #expect(batch.drafts.map(\.type) == ["a.b", "e.f"])
        #expect(batch.indices == [0, 3])
        #expect(batch.problems.keys.sorted() == [1, 2])
        #expect(batch.problems[2]?.map(\.field) == ["event_id"])
    }
}
