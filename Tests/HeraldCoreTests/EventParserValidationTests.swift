import Testing

@testable import HeraldCore

@Suite("EventParser: field validation")
struct EventParserValidationTests {
    @Test("problems are collected per event and per field; nothing is accepted")
    func collected() throws {
        let body = """
            [{"run":"ok","type":"t"},
             {"type":"t"},
             {"run":"r","type":"t","data":[1]},
             {"run":"bad run!","type":"Bad","agent":"a,b","turn":-1}]
            """
        let error = try #require(parseError(body))
        #expect(error.code == .validationFailed)
        #expect(error.code.status == 422)
        #expect(error.message == "3 of 4 events failed validation; nothing was stored")
        #expect(
            error.problems == [
                "1:run:required", "2:data:invalid_type", "3:turn:invalid_value", "3:run:invalid_value", "3:type:invalid_value",
                "3:agent:invalid_value",
            ]
        )
        #expect(error.details[0] == FieldError(index: 1, field: "run", code: "required", message: "run is required"))
    }

    @Test("a single event's message uses the singular")
    func singular() throws {
        let error = try #require(parseError(#"{"run":"r"}"#))
        #expect(error.message == "1 of 1 event failed validation; nothing was stored")
        #expect(error.problems == ["0:type:required"])
    }

    @Test(
        "each top-level field is checked",
        arguments: [
            (#""id":"not-a-ulid""#, "0:id:invalid_value"),
            (#""id":"\#(Ids.a.lowercased())""#, "0:id:invalid_value"),
            (#""id":42"#, "0:id:invalid_type"),
            (#""project":"a/b""#, "0:project:invalid_value"),
            (#""project":"""#, "0:project:invalid_value"),
            (#""level":"verbose""#, "0:level:invalid_value"),
            (#""level":1"#, "0:level:invalid_type"),
            (#""time":"yesterday""#, "0:time:invalid_value"),
            (#""time":"2026-02-30T00:00:00Z""#, "0:time:invalid_value"),
            (#""time":1700000000"#, "0:time:invalid_type"),
            (#""agent":"""#, "0:agent:invalid_value"),
            (#""agent":"a\nb""#, "0:agent:invalid_value"),
            (#""agent":["a"]"#, "0:agent:invalid_type"),
            (#""turn":-1"#, "0:turn:invalid_value"),
            (#""turn":1.5"#, "0:turn:invalid_type"),
            (#""turn":"1""#, "0:turn:invalid_type"),
            (#""turn":99999999999999999999"#, "0:turn:invalid_type"),
            (#""expectedSeq":-1"#, "0:expectedSeq:invalid_value"),
            (#""causedBy":"\#(Ids.a)""#, "0:causedBy:invalid_type"),
            (#""causedBy":["\#(Ids.a)","nope"]"#, "0:causedBy[1]:invalid_value"),
            (#""causedBy":[7]"#, "0:causedBy[0]:invalid_type"),
            (#""causedBy":["8ZZZZZZZZZZZZZZZZZZZZZZZZZ"]"#, "0:causedBy[0]:invalid_value"),
            (#""data":"text""#, "0:data:invalid_type"),
            (#""data":[]"#, "0:data:invalid_type"),
            (#""data":true"#, "0:data:invalid_type"),
            (#""seq":3"#, "0:seq:unknown_field"),
            (#""payload":{"a":1}"#, "0:payload:unknown_field"),
            (#""run":"r2""#, "0:run:duplicate_field"),
        ] as [(String, String)]
    )
    func topLevelField(member: String, problem: String) throws {
        let error = try #require(parseError(#"{"run":"r","type":"my.thing",\#(member)}"#))
        #expect(error.code == .validationFailed)
        #expect(error.problems == [problem])
    }

    @Test(
        "run and type must be strings and well-formed",
        arguments: [
            (#"{"run":5,"type":"t"}"#, ["0:run:invalid_type", "0:run:required"]),
            (#"{"run":"r","type":"a..b"}"#, ["0:type:invalid_value"]),
            (#"{"run":"r","type":"a."}"#, ["0:type:invalid_value"]),
            (#"{"run":"r","type":"1a"}"#, ["0:type:invalid_value"]),
            (#"{"run":"\#(String(repeating: "r", count: 129))","type":"t"}"#, ["0:run:invalid_value"]),
        ] as [(String, [String])]
    )
    func runAndType(body: String, problems: [String]) throws {
        #expect(try #require(parseError(body)).problems == problems)
    }

    @Test("unknown and duplicate fields are named in the message")
    func unknownAndDuplicate() throws {
        let error = try #require(parseError(#"{"run":"r","type":"t","colour":"red","type":"t"}"#))
        // Unknown fields are known only once the whole object is read (an AG-UI event's type may come last).
        #expect(error.problems == ["0:type:duplicate_field", "0:colour:unknown_field"])
        #expect(error.details[1].message.contains("'colour'"))
    }

    @Test("causedBy, data size and reported problems are limited")
    func limits() throws {
        var limits = IngestLimits()
        limits.maxCausedBy = 1
        limits.maxDataBytes = 9
        limits.maxReportedProblems = 2
        #expect(try parse(#"{"run":"r","type":"t","causedBy":["\#(Ids.a)"],"data":{"a":123}}"#, limits: limits).count == 1)
        #expect(parseError(#"{"run":"r","type":"t","causedBy":["\#(Ids.a)","\#(Ids.b)"]}"#, limits: limits)?.problems == ["0:causedBy:too_long"])
        #expect(parseError(#"{"run":"r","type":"t","data":{"a":1234}}"#, limits: limits)?.problems == ["0:data:too_long"])
        let error = try #require(parseError(#"[{"run":"r"},{"run":"r"},{"run":"r"}]"#, limits: limits))
        #expect(error.problems == ["0:type:required", "1:type:required"])
        #expect(error.message == "3 of 3 events failed validation; nothing was stored")
    }

    @Test("built-in data fields are validated through the vocabulary")
    func builtinData() throws {
        let error = try #require(parseError(#"[{"run":"r","type":"agent.log","data":{"line":1}},{"run":"r","type":"run.complete"}]"#))
        #expect(error.problems == ["0:agent:required", "0:data.line:invalid_type", "1:type:unknown_type"])
    }
}
