import Testing

@testable import HeraldCore

@Suite("EventParser: bodies and defaults")
struct EventParserTests {
    @Test("one object with every field")
    func fullObject() throws {
        let drafts = try parse(
            """
            {"id": "\(Ids.a)", "project": "p-1", "run": "r.1:x_y-z", "type": "my.custom_thing", "level": "state",
             "time": "2026-01-02T03:04:05.000006Z", "agent": "worker 1", "turn": 3, "causedBy": ["\(Ids.b)", "\(Ids.c)"],
             "expectedSeq": 0, "data": {"k": "v"}}
            """
        )
        let draft = try #require(drafts.first)
        #expect(drafts.count == 1)
        #expect(
            draft
                == EventDraft(
                    id: Ids.a,
                    project: "p-1",
                    run: "r.1:x_y-z",
                    type: "my.custom_thing",
                    level: .state,
                    time: Timestamp(microseconds: 1_767_323_045_000_006),
                    agent: "worker 1",
                    turn: 3,
                    causedBy: [Ids.b, Ids.c],
                    data: Array(#"{"k":"v"}"#.utf8),
                    expectedSeq: 0
                )
        )
    }

    @Test("defaults: project, level from the type, data, and null meaning absent")
    func defaults() throws {
        let draft = try #require(try parse(#"{"run":"r1","type":"my.thing"}"#).first)
        #expect(draft == EventDraft(run: "r1", type: "my.thing"))
        #expect(draft.project == "default")
        #expect(draft.level == .action)
        #expect(text(draft.data) == "{}")
        #expect(draft.id == nil && draft.time == nil && draft.agent == nil && draft.turn == nil && draft.causedBy.isEmpty)
        let nulls = try #require(
            try parse(#"{"run":"r1","type":"my.thing","id":null,"project":null,"agent":null,"turn":null,"level":null,"data":null}"#).first
        )
        #expect(nulls == draft)
    }

    @Test(
        "level defaults from the type through the vocabulary",
        arguments: [
            (#"{"run":"r","type":"run.started"}"#, Level.milestone),
            (#"{"run":"r","type":"agent.log","agent":"a","data":{"line":"x"}}"#, .detail),
            (#"{"run":"r","type":"decision","agent":"a","data":{"decisionType":"t","newValue":1}}"#, .decision),
            (#"{"run":"r","type":"system.heartbeat"}"#, .system),
            (#"{"run":"r","type":"my.thing"}"#, .action),
            (#"{"run":"r","type":"run.started","level":"detail"}"#, .detail),
        ]
    )
    func defaultLevel(body: String, level: Level) throws {
        #expect(try parse(body).first?.level == level)
    }

    @Test("an array yields its events in order; an empty array is refused like an empty body")
    func array() throws {
        let drafts = try parse(#"[{"run":"r1","type":"a.b"}, {"run":"r2","type":"c"} ,{"run":"r3","type":"d.e.f"}]"#)
        #expect(drafts.map(\.run) == ["r1", "r2", "r3"])
        #expect(drafts.map(\.type) == ["a.b", "c", "d.e.f"])
        #expect(throws: HeraldError(.invalidRequest, "the array holds no event")) { try parse(" [ ] ") }
    }

    @Test("NDJSON: one object per line, blank lines and CRLF allowed")
    func ndjson() throws {
        let body = "{\"run\":\"r1\",\"type\":\"a\"}\r\n\n  {\"run\":\"r2\",\n\"type\":\"b\"}  \t\n{\"run\":\"r3\",\"type\":\"c\"}"
        let drafts = try parse(body, format: .ndjson)
        #expect(drafts.map(\.run) == ["r1", "r2", "r3"])
    }

    @Test("data is kept as compact bytes, whitespace inside strings untouched")
    func dataCompaction() throws {
        let body = #"{"run":"r","type":"t","data": { "a" : [ 1, 2 ],"s" : "x  y\"} ", "n": { } } }"#
        let draft = try #require(try parse(body).first)
        #expect(text(draft.data) == #"{"a":[1,2],"s":"x  y\"} ","n":{}}"#)
    }

    @Test("field order does not matter for built-in validation")
    func dataBeforeType() throws {
        let draft = try #require(try parse(#"{"data":{"line":"hello"},"agent":"a1","type":"agent.log","run":"r"}"#).first)
        #expect(draft.type == "agent.log")
        #expect(text(draft.data) == #"{"line":"hello"}"#)
    }

    @Test("causedBy keeps valid ULIDs in order")
    func causedBy() throws {
        let draft = try #require(try parse(#"{"run":"r","type":"t","causedBy":["\#(Ids.c)","\#(Ids.a)"]}"#).first)
        #expect(draft.causedBy == [Ids.c, Ids.a])
        #expect(try parse(#"{"run":"r","type":"t","causedBy":[]}"#).first?.causedBy == [])
    }

    @Test("RFC 3339 times with an offset are stored in UTC")
    func timeWithOffset() throws {
        let draft = try #require(try parse(#"{"run":"r","type":"t","time":"2026-01-02T03:04:05.5+01:00"}"#).first)
        #expect(draft.time?.rfc3339 == "2026-01-02T02:04:05.500000Z")
    }
}
