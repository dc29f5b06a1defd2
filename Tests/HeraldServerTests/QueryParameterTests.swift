import Foundation
import Testing

@Suite("Query parameters: one table, every /v1 route", .timeLimit(.minutes(1)))
struct QueryParameterTests {
    @Test(
        "an unknown query parameter is refused, naming it",
        arguments: [
            ("/v1/runs/r1/events?offset=2", "offset"),
            ("/v1/runs/r1/events?event_types=a.b", "event_types"),
            ("/v1/runs?page=2", "page"),
            ("/v1/runs/r1?verbose=1", "verbose"),
            ("/v1/runs/r1/events/01JAAAAAAAAAAAAAAAAAAAAAAA?x=1", "x"),
            ("/v1/runs/r1/events/01JAAAAAAAAAAAAAAAAAAAAAAA/causality?depth=3", "depth"),
            ("/v1/runs/r1/stream?last_event_id=3", "last_event_id"),
            ("/v1/projects/default/stream?run=r1", "run"),
            ("/v1/access?project=x", "project"),
        ]
    )
    func unknownParameter(path: String, name: String) async throws {
        try await TestServer.with { server in
            try await server.ingest([#"{"run":"r1","type":"a.b"}"#])
            let answer = try await server.get(path)
            #expect(answer.status == 400, "\(path): \(answer.text)")
            #expect(answer.errorCode == "invalid_parameter")
            #expect(answer.text.contains("'\(name)'"), "\(answer.text)")
        }
    }

    @Test func aPostWithAnUnknownParameterStoresNothingAndTheKnownOnesPass() async throws {
        try await TestServer.with { server in
            let post = try await server.request(.POST, "/v1/events?run=r1", body: #"{"run":"r1","type":"a.b"}"#)
            #expect(post.status == 400 && post.errorCode == "invalid_parameter")
            #expect(try await server.get("/v1/runs/r1").status == 404, "nothing was stored")
            try await server.ingest([#"{"run":"r1","type":"run.completed"}"#])
            for path in [
                "/v1/runs?status=completed&project=default&limit=5&cursor=",
                "/v1/runs/r1/events?types=a.b&agents=x&level=detail&turnFrom=0&turnTo=9&since=2020-01-01T00:00:00Z&until=2100-01-01T00:00:00Z&after=0&before=9&limit=3&project=default",
                "/v1/runs/r1?project=default",
            ] {
                let answer = try await server.get(path)
                #expect(answer.status == 200, "\(path): \(answer.text)")
            }
            let stream = try await server.get("/v1/runs/r1/stream?after=1&format=herald&project=default&from=start")
            #expect(stream.status == 204)
        }
    }

    @Test func projectOnARunRouteNarrowsTheLookup() async throws {
        try await TestServer.with { server in
            let placed = try await server.ingest([#"{"project":"acme","run":"r1","type":"run.completed"}"#])
            let id = try #require(placed.first?["id"] as? String)
            for path in [
                "/v1/runs/r1", "/v1/runs/r1/events", "/v1/runs/r1/events/\(id)", "/v1/runs/r1/events/\(id)/causality",
                "/v1/runs/r1/stream",
            ] {
                let mine = try await server.get(path + "?project=acme")
                #expect([200, 204].contains(mine.status), "\(path): \(mine.text)")
                let other = try await server.get(path + "?project=beta")
                #expect(other.status == 404, "\(path) in another project answers like a missing run: \(other.text)")
                #expect(other.errorCode == "run_not_found")
                let missing = try await server.get(path.replacingOccurrences(of: "/r1", with: "/nope") + "?project=acme")
                #expect(other.text == missing.text.replacingOccurrences(of: "nope", with: "r1"))
            }
        }
    }
}
