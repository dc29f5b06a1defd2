import Foundation
import HeraldCore
import HeraldServer
import Testing

/// An event dated further ahead of the server's clock than `--max-clock-skew` is refused like any
/// other invalid field: 422 in a whole request, one `rejected` entry in a partial one.
@Suite("Ingest: times ahead of the server's clock")
struct ClockSkewIngestTests {
    static func soon(_ seconds: Int64) -> String { Timestamp(microseconds: Timestamp.now().microseconds + seconds * 1_000_000).rfc3339 }

    @Test func anEventDatedInTheYear9999IsRefusedAndNothingIsStored() async throws {
        try await TestServer.with { server in
            let answer = try await server.post(#"[{"run":"far","type":"x.y"},{"run":"far","type":"x.y","time":"9999-01-01T00:00:00Z"}]"#)
            #expect(answer.status == 422 && answer.errorCode == "validation_failed", "\(answer.text)")
            let error = try #require(try answer.json["error"] as? [String: Any])
            let detail = try #require((error["details"] as? [[String: Any]])?.first)
            #expect(detail["index"] as? Int == 1 && detail["field"] as? String == "time" && detail["code"] as? String == "time_in_future")
            #expect((detail["message"] as? String)?.contains("ahead of the server's clock") == true, "\(detail)")
            #expect(try await server.get("/v1/runs/far").status == 404, "nothing was stored")
        }
    }

    @Test func anEventDatedAMinuteAheadIsAccepted() async throws {
        try await TestServer.with { server in
            let time = Self.soon(60)
            let events = try await server.ingest([#"{"run":"soon","type":"x.y","time":"\#(time)"}"#])
            #expect(events.first?["seq"] as? Int == 1)
            let stored = try await server.get("/v1/runs/soon/events").json["events"] as? [[String: Any]]
            #expect(stored?.first?["time"] as? String == time)
        }
    }

    @Test func aPartialRequestRefusesOnlyTheEventDatedAhead() async throws {
        try await TestServer.with { server in
            let body = [
                #"{"run":"part","type":"x.y"}"#, #"{"run":"part","type":"x.y","time":"9999-01-01T00:00:00Z"}"#,
                #"{"type":"RUN_STARTED","threadId":"t","runId":"part","timestamp":253402300799999}"#,
                #"{"run":"part","type":"x.y","time":"\#(Self.soon(60))"}"#,
            ].joined(separator: "\n")
            let answer = try await server.request(.POST, "/v1/events?partial=true", body: body, contentType: "application/x-ndjson")
            #expect(answer.status == 200, "\(answer.text)")
            let json = try answer.json
            #expect((json["events"] as? [[String: Any]])?.compactMap { $0["index"] as? Int } == [0, 3])
            let rejected = try #require(json["rejected"] as? [[String: Any]])
            #expect(rejected.compactMap { $0["index"] as? Int } == [1, 2])
            #expect(rejected.allSatisfy { $0["code"] as? String == "validation_failed" })
            let details = rejected.compactMap { ($0["details"] as? [[String: Any]])?.first }
            #expect(details.map { "\($0["field"] ?? ""):\($0["code"] ?? "")" } == ["time:time_in_future", "timestamp:time_in_future"])
        }
    }

    @Test func theSkewIsTheConfiguredOne() async throws {
        try await TestServer.with(configure: { $0.limits.maxClockSkew = .seconds(10) }) { server in
            let answer = try await server.post(#"{"run":"tight","type":"x.y","time":"\#(Self.soon(60))"}"#)
            #expect(answer.status == 422 && answer.text.contains("time_in_future") && answer.text.contains("at most 10 s ahead"), "\(answer.text)")
        }
    }
}
