import Foundation
import HeraldClient
import HeraldCore
import Testing

@Suite("EmitLine: a producer's printed line, made an ingest event")
struct EmitLineTests {
    static let berlin = TimeZone(identifier: "Europe/Berlin")!

    static func prepared(_ line: String, _ emitLine: EmitLine) throws -> [String: Any] {
        let bytes = try emitLine.prepare(Array(line.utf8)).get()
        return try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
    }

    @Test("run, project and agent fill in what a line lacks; a line's own values win")
    func defaults() throws {
        let line = EmitLine(run: "r1", project: "p1", agent: "planner", timeZone: Self.berlin)
        let filled = try Self.prepared(#"{"type":"thought","data":{"text":"hm"}}"#, line)
        #expect(filled["run"] as? String == "r1" && filled["project"] as? String == "p1" && filled["agent"] as? String == "planner")
        let own = try Self.prepared(#"{"type":"thought","run":"mine","agent":null,"data":{"text":"hm"}}"#, line)
        #expect(own["run"] as? String == "mine")
        #expect(own["agent"] as? String == "planner", "null counts as absent")
        #expect(try EmitLine().prepare(Array(#"{"type":"a.b"}"#.utf8)).get() == Array(#"{"type":"a.b"}"#.utf8))
    }

    @Test("a time without an offset is read in the machine's zone and sent as UTC")
    func naiveTime() throws {
        let line = EmitLine(run: "r1", timeZone: Self.berlin)
        let winter = try Self.prepared(#"{"type":"a.b","timestamp":"2026-12-06T16:20:30.123456"}"#, line)
        #expect(winter["timestamp"] as? String == "2026-12-06T15:20:30.123456Z")
        let summer = try Self.prepared(#"{"type":"a.b","time":"2026-07-06 16:20:30"}"#, line)
        #expect(summer["time"] as? String == "2026-07-06T14:20:30.000000Z")
        // With an offset, or in milliseconds (AG-UI), the time is left as written.
        let aware = try Self.prepared(#"{"type":"a.b","timestamp":"2026-12-06T16:20:30.123456+00:00"}"#, line)
        #expect(aware["timestamp"] as? String == "2026-12-06T16:20:30.123456+00:00")
        let milliseconds = try Self.prepared(#"{"type":"RUN_STARTED","threadId":"t","runId":"r","timestamp":1000}"#, line)
        #expect(milliseconds["timestamp"] as? Int == 1000)
        #expect(EmitLine.utc(fromLocal: "2026-12-06T16:20:30Z", in: Self.berlin) == nil)
    }

    @Test("a line that is not a JSON object is a problem, not an event", arguments: ["Loading model…", "[1,2]", #"{"type":"a.b""#, #"{"type":"a.b"} x"#])
    func notAnObject(line: String) {
        #expect(throws: EmitLine.Problem.self) { try EmitLine(run: "r").prepare(Array(line.utf8)).get() }
    }
}
