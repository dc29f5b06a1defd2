import Testing

@testable import HeraldCore

@Suite("EventParser: refusals")
struct EventParserErrorTests {
    @Test("an empty body is an invalid request", arguments: ["", "  \n\t "])
    func emptyBody(body: String) throws {
        for format in [EventParser.BodyFormat.json, .ndjson] {
            let error = try #require(parseError(body, format: format))
            #expect(error.code == .invalidRequest)
            #expect(error.code.status == 400)
            #expect(error.message.contains("empty"))
        }
    }

    @Test("malformed JSON is invalid_json with line and column")
    func invalidJSON() throws {
        let error = try #require(parseError("{\n  \"run\": \"r1\",\n  \"type\" \"x\"\n}"))
        #expect(error.code == .invalidJSON)
        #expect(error.code.status == 400)
        #expect(error.message == "malformed JSON: expected ':' at line 3, column 10 (byte 26)")
        #expect(error.details == [FieldError(index: nil, field: "body", code: "syntax", message: "expected ':' at line 3, column 10 (byte 26)")])
    }

    @Test("NDJSON syntax errors are located on their line")
    func ndjsonLocated() throws {
        let body = "{\"run\":\"r\",\"type\":\"a.b\"}\n{\"run\":\"r\" \"type\":\"a.b\"}\n"
        let error = try #require(parseError(body, format: .ndjson))
        #expect(error.code == .invalidJSON)
        #expect(error.message == "malformed JSON: expected ',' or '}' at line 2, column 12 (byte 36)")
    }

    @Test(
        "structural problems are invalid_json",
        arguments: [
            (#"{"run":"r","type":"t"} {"run":"r","type":"t"}"#, EventParser.BodyFormat.json, "unexpected data after the JSON value"),
            (#"{"run":"r","type":"t"}"# + "\n" + #"{"run":"r","type":"t"}"#, .json, "unexpected data after the JSON value"),
            (#"[{"run":"r","type":"t"},]"#, .json, "expected an event object"),
            ("[1]", .json, "expected an event object"),
            (#""event""#, .json, "expected an event object or an array of events"),
            (#"[{"run":"r","type":"t"}"#, .json, "unexpected end of input in array"),
            (#"{"run":"r","type":"t",}"#, .json, "expected a string key"),
            (#"{"run":"r","type":"t","data":{"a":01}}"#, .json, "leading zero in number"),
            (#"{"run":"r","type":"t"} {"run":"r","type":"t"}"#, .ndjson, "expected a newline after the event object"),
            (#"[{"run":"r","type":"t"}]"#, .ndjson, "expected an event object"),
            ("{\"run\":\"r\",\"type\":\"t\"}\n42\n", .ndjson, "expected an event object"),
        ] as [(String, EventParser.BodyFormat, String)]
    )
    func structural(body: String, format: EventParser.BodyFormat, reason: String) throws {
        let error = try #require(parseError(body, format: format))
        #expect(error.code == .invalidJSON)
        #expect(error.message.contains(reason), "\(error.message)")
        #expect(error.problems == ["-:body:syntax"])
    }

    @Test("data nested too deeply is invalid_json")
    func tooDeep() throws {
        let deep = String(repeating: #"{"a":"#, count: 40) + "1" + String(repeating: "}", count: 40)
        let error = try #require(parseError(#"{"run":"r","type":"t","data":\#(deep)}"#))
        #expect(error.code == .invalidJSON)
        #expect(error.message.contains("nesting deeper than 32 levels"))
        let shallow = String(repeating: #"{"a":"#, count: 10) + "1" + String(repeating: "}", count: 10)
        #expect(try parse(#"{"run":"r","type":"t","data":\#(shallow)}"#).count == 1)
    }

    @Test("a string longer than the limit is invalid_json")
    func longString() throws {
        var limits = IngestLimits()
        limits.maxStringBytes = 8
        #expect(try parse(#"{"run":"r","type":"t","data":{"s":"12345678"}}"#, limits: limits).count == 1)
        let error = try #require(parseError(#"{"run":"r","type":"t","data":{"s":"123456789"}}"#, limits: limits))
        #expect(error.code == .invalidJSON)
        #expect(error.message.contains("string longer than 8 bytes"))
    }

    @Test("a body over maxBodyBytes is payload_too_large")
    func payloadTooLarge() throws {
        let body = #"{"run":"r","type":"t"}"#
        var limits = IngestLimits()
        limits.maxBodyBytes = body.utf8.count
        #expect(try parse(body, limits: limits).count == 1)
        limits.maxBodyBytes -= 1
        let error = try #require(parseError(body, limits: limits))
        #expect(error.code == .payloadTooLarge)
        #expect(error.code.status == 413)
    }

    @Test("more events than maxEventsPerRequest is too_many_events", arguments: [EventParser.BodyFormat.json, .ndjson])
    func tooManyEvents(format: EventParser.BodyFormat) throws {
        var limits = IngestLimits()
        limits.maxEventsPerRequest = 2
        let event = #"{"run":"r","type":"t"}"#
        func body(_ count: Int) -> String {
            let events = Array(repeating: event, count: count)
            return format == .json ? "[" + events.joined(separator: ",") + "]" : events.joined(separator: "\n")
        }
        #expect(try parse(body(2), format: format, limits: limits).count == 2)
        let error = try #require(parseError(body(3), format: format, limits: limits))
        #expect(error.code == .tooManyEvents)
        #expect(error.code.status == 413)
        #expect(error.message.contains("at most 2 events"))
    }
}
