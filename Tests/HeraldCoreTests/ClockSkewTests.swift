import Testing

@testable import HeraldCore

@Suite("EventParser: times ahead of the server's clock")
struct ClockSkewTests {
    static let arrival = Timestamp(rfc3339: "2026-12-07T12:00:00Z")!

    /// A parser whose request arrived at ``arrival``.
    static func parser(maxSkew: Duration = .seconds(300)) -> EventParser {
        var limits = IngestLimits()
        limits.maxClockSkew = maxSkew
        var parser = EventParser(limits: limits)
        parser.receivedAt = arrival
        return parser
    }

    static func problems(_ body: String, format: EventParser.BodyFormat = .json, maxSkew: Duration = .seconds(300)) -> [FieldError] {
        do {
            _ = try parser(maxSkew: maxSkew).parse(Array(body.utf8), format: format)
            return []
        } catch {
            return error.details
        }
    }

    static func compact(_ problem: FieldError) -> String { "\(problem.index.map(String.init) ?? "-"):\(problem.field):\(problem.code)" }

    @Test("a time up to the skew ahead is taken; one past it is refused, naming the field and the limit")
    func bound() throws {
        #expect(Self.problems(#"{"run":"r","type":"t","time":"2026-12-07T12:04:59Z"}"#).isEmpty)
        #expect(Self.problems(#"{"run":"r","type":"t","time":"2026-12-07T12:05:00Z"}"#).isEmpty, "exactly the skew is still taken")
        #expect(Self.problems(#"{"run":"r","type":"t","time":"2026-12-07T11:00:00Z"}"#).isEmpty, "the past is not bounded")
        let late = Self.problems(#"{"run":"r","type":"t","time":"2026-12-07T12:05:00.000001Z"}"#)
        #expect(late.map(\.code) == ["time_in_future"])
        #expect(late.first?.field == "time" && late.first?.index == 0)
        let far = try #require(Self.problems(#"{"run":"r","type":"t","time":"9999-12-31T23:59:59Z"}"#).first)
        #expect(far.code == "time_in_future")
        #expect(far.message.contains("days ahead of the server's clock (2026-12-07T12:00:00.000000Z when the request arrived)"), "\(far.message)")
        #expect(far.message.contains("at most 5 minutes ahead"), "\(far.message)")
    }

    @Test("the whole request is refused with validation_failed (422), as for any other field")
    func wholeRequest() throws {
        let body = #"[{"run":"r","type":"t"},{"run":"r","type":"t","time":"9999-01-01T00:00:00Z"}]"#
        do {
            _ = try Self.parser().parse(Array(body.utf8), format: .json)
            Issue.record("a time in the year 9999 was taken")
        } catch {
            #expect(error.code == .validationFailed && error.code.status == 422)
            #expect(error.problems == ["1:time:time_in_future"])
        }
    }

    @Test("partial ingest refuses only the event dated ahead")
    func partial() throws {
        let body = """
            {"run":"r","type":"t","time":"2026-12-07T12:01:00Z"}
            {"run":"r","type":"t","time":"9999-01-01T00:00:00Z"}
            {"run":"r","type":"t"}
            """
        let batch = try Array(body.utf8).withUnsafeBufferPointer { try Self.parser().parsePartial($0, format: .ndjson) }
        #expect(batch.indices == [0, 2])
        #expect(batch.problems.keys.sorted() == [1])
        #expect(batch.problems[1]?.map(\.code) == ["time_in_future"])
    }

    @Test("the timestamp alias and an AG-UI event's milliseconds are held to it too, under their own name")
    func aliases() {
        #expect(Self.problems(#"{"run":"r","type":"t","timestamp":"9999-01-01T00:00:00Z"}"#).map(Self.compact) == ["0:timestamp:time_in_future"])
        #expect(
            Self.problems(#"{"type":"RUN_STARTED","threadId":"t","runId":"r","timestamp":253402300799999}"#).map(Self.compact)
                == ["0:timestamp:time_in_future"]
        )
        #expect(Self.problems(#"{"type":"RUN_STARTED","threadId":"t","runId":"r","timestamp":1796644800000}"#).isEmpty, "2026-12-07T12:00:00Z")
    }

    @Test("it stands beside the event's other problems")
    func withOthers() {
        #expect(Self.problems(#"{"type":"t","time":"9999-01-01T00:00:00Z"}"#).map(Self.compact) == ["0:time:time_in_future", "0:run:required"])
    }

    @Test("the skew is the configured one; a huge one is no limit and no crash")
    func configured() {
        let body = #"{"run":"r","type":"t","time":"2026-12-07T12:00:11Z"}"#
        #expect(Self.problems(body, maxSkew: .seconds(10)).map(\.code) == ["time_in_future"])
        #expect(Self.problems(body, maxSkew: .seconds(11)).isEmpty)
        #expect(Self.problems(#"{"run":"r","type":"t","time":"9999-12-31T23:59:59Z"}"#, maxSkew: .seconds(Int64.max)).isEmpty)
    }

    @Test("without an arrival time the parser reads the clock")
    func now() {
        let parser = EventParser()
        let soon = Timestamp(microseconds: Timestamp.now().microseconds + 60_000_000).rfc3339
        #expect((try? parser.parse(Array(#"{"run":"r","type":"t","time":"\#(soon)"}"#.utf8), format: .json)) != nil)
        #expect(throws: HeraldError.self) { try parser.parse(Array(#"{"run":"r","type":"t","time":"9999-01-01T00:00:00Z"}"#.utf8), format: .json) }
    }

    @Test("how far ahead is said in words")
    func spoken() {
        #expect(ClockCheck.spoken(seconds: 42) == "42 s")
        #expect(ClockCheck.spoken(seconds: 300) == "5 minutes")
        #expect(ClockCheck.spoken(seconds: 3 * 3600) == "3 hours")
        #expect(ClockCheck.spoken(seconds: 10 * 86_400) == "10 days")
    }
}
