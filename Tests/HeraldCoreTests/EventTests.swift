import Testing

@testable import HeraldCore

@Suite("Event")
struct EventTests {
    static let time = Timestamp(microseconds: 1_767_323_045_000_006)

    @Test("encodes a full draft as the exact canonical JSON")
    func fullCanonicalJSON() {
        let draft = EventDraft(
            id: Ids.b,
            project: "p1",
            run: "r1",
            type: "decision",
            level: .decision,
            time: Timestamp(microseconds: 1),
            agent: "planner",
            turn: 4,
            causedBy: [Ids.a, Ids.c],
            data: Array(#"{"decisionType":"route","newValue":[1,2]}"#.utf8),
            expectedSeq: 3
        )
        let event = Event(draft: draft, id: Ids.c, seq: 7, time: Self.time, position: 99, projectPosition: 99)
        #expect(
            text(event.json)
                == #"{"id":"7ZZZZZZZZZZZZZZZZZZZZZZZZZ","project":"p1","run":"r1","seq":7,"type":"decision","level":"decision","#
                + #""time":"2026-01-02T03:04:05.000006Z","agent":"planner","turn":4,"#
                + #""causedBy":["01ARZ3NDEKTSV4RRFFQ69G5FAV","7ZZZZZZZZZZZZZZZZZZZZZZZZZ"],"#
                + #""data":{"decisionType":"route","newValue":[1,2]}}"#
        )
        #expect(
            event
                == Event(
                    position: 99, projectPosition: 99,
                    id: Ids.c,
                    project: "p1",
                    run: "r1",
                    seq: 7,
                    type: "decision",
                    level: .decision,
                    time: Self.time,
                    agent: "planner",
                    turn: 4,
                    causedBy: [Ids.a, Ids.c],
                    json: event.json
                )
        )
    }

    @Test("omits absent optional fields")
    func minimalCanonicalJSON() {
        let event = Event(draft: EventDraft(run: "r", type: "my.thing"), id: Ids.a, seq: 1, time: Timestamp(microseconds: -1), position: 1, projectPosition: 1)
        #expect(
            text(event.json)
                == #"{"id":"01ARZ3NDEKTSV4RRFFQ69G5FAV","project":"default","run":"r","seq":1,"type":"my.thing","level":"action","#
                + #""time":"1969-12-31T23:59:59.999999Z","data":{}}"#
        )
        #expect(!event.isTerminal)
    }

    @Test("escapes the agent and is valid JSON")
    func escaping() throws {
        let event = Event(
            draft: EventDraft(run: "r", type: "run.completed", agent: "say \"hi\" \\ \u{2028}", turn: 0),
            id: Ids.a,
            seq: 2,
            time: Self.time,
            position: 5, projectPosition: 5
        )
        #expect(text(event.json).contains(#","agent":"say \"hi\" \\ \u2028","turn":0,"#))
        #expect(try validateDocument(event.json) == .object)
        #expect(event.isTerminal)
    }

    @Test("a parsed event encodes its compacted data")
    func fromParser() throws {
        let draft = try #require(try parse(#"{"run":"r","type":"t","data": { "a" : [ 1 , "x y" ] }}"#).first)
        let event = Event(draft: draft, id: Ids.a, seq: 1, time: Self.time, position: 1, projectPosition: 1)
        #expect(text(event.json).hasSuffix(#","data":{"a":[1,"x y"]}}"#))
    }
}
