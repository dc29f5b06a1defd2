import Foundation
import HeraldCore
import HeraldServer
import Testing

/// Queries bounded under abuse: caps on filters and query strings answered 400, pages capped
/// in bytes, causality capped in work and size.
@Suite("Bounded queries", .timeLimit(.minutes(2)))
struct BoundedQueryTests {
    /// `count` distinct type patterns, every other one a namespace wildcard.
    static func types(_ count: Int) -> String {
        (0..<count).map { $0 % 2 == 0 ? "t\($0).x" : "t\($0).*" }.joined(separator: ",")
    }

    static func agents(_ count: Int) -> String {
        (0..<count).map { "agent-\($0)" }.joined(separator: ",")
    }

    @Test func typesUpToTheCapWorkAndOnePastIsRefused() async throws {
        try await TestServer.with { server in
            try await server.ingest([#"{"run":"r1","type":"t0.x"}"#, #"{"run":"r1","type":"t1.y"}"#, #"{"run":"r1","type":"t2.x"}"#])
            let atCap = try await server.get("/v1/runs/r1/events?types=\(Self.types(EventFilter.maxTypes))")
            #expect(atCap.status == 200, "\(atCap.text)")
            #expect((try atCap.json["events"] as? [[String: Any]])?.count == 3)
            #expect(try atCap.json["total"] as? Int == 3)

            for path in ["/v1/runs/r1/events", "/v1/runs/r1/stream", "/v1/projects/default/stream"] {
                let past = try await server.get("\(path)?types=\(Self.types(EventFilter.maxTypes + 1))")
                #expect(past.status == 400, "\(path): \(past.text)")
                #expect(past.errorCode == "invalid_parameter")
                #expect(past.text.contains("at most 100"), "\(past.text)")
            }
            // What once reached SQLite's expression depth (a 503 quoting the SQL) is a 400 now.
            let many = try await server.get("/v1/runs/r1/events?types=\((0..<998).map { "t\($0).x" }.joined(separator: ","))")
            #expect(many.status == 400)
            #expect(!many.text.contains("SELECT"))
        }
    }

    @Test func agentsUpToTheCapWorkAndOnePastIsRefused() async throws {
        try await TestServer.with { server in
            try await server.ingest([#"{"run":"r1","type":"a.b","agent":"agent-99"}"#, #"{"run":"r1","type":"a.b","agent":"someone"}"#])
            let both = "agents=\(Self.agents(EventFilter.maxAgents))&types=\(Self.types(EventFilter.maxTypes))"
            let atCap = try await server.get("/v1/runs/r1/events?" + both)
            #expect(atCap.status == 200, "\(atCap.text)")
            let none = try await server.get("/v1/runs/r1/events?agents=\(Self.agents(EventFilter.maxAgents))")
            #expect((try none.json["events"] as? [[String: Any]])?.compactMap { $0["agent"] as? String } == ["agent-99"])
            for path in ["/v1/runs/r1/events", "/v1/runs/r1/stream"] {
                let past = try await server.get("\(path)?agents=\(Self.agents(EventFilter.maxAgents + 1))")
                #expect(past.status == 400, "\(path): \(past.text)")
                #expect(past.errorCode == "invalid_parameter")
                #expect(past.text.contains("agents may name at most 100"), "\(past.text)")
            }
        }
    }

    @Test func aQueryStringUpToTheCapIsReadAndALongerOneIsRefusedUnread() async throws {
        try await TestServer.with { server in
            try await server.ingest([#"{"run":"r1","type":"a.b"}"#])
            // `after=000…0` is a valid (if long) way to say 0.
            let atCap = "after=" + String(repeating: "0", count: 8192 - 6)
            let read = try await server.get("/v1/runs/r1/events?" + atCap)
            #expect(read.status == 200, "\(read.text)")
            let past = try await server.get("/v1/runs/r1/events?" + atCap + "0")
            #expect(past.status == 400)
            #expect(past.errorCode == "invalid_parameter")
            #expect(past.text.contains("8193 bytes"), "\(past.text)")
            // Refused before its parameters are read: an unknown one is not even named.
            let unknown = try await server.get("/v1/runs/r1/events?" + atCap + "&bogus=1")
            #expect(unknown.status == 400 && !unknown.text.contains("bogus"))
        }
    }

    /// 30 events of about 20 KB, then the run's end.
    static func seedBig(_ server: TestServer) async throws {
        let pad = String(repeating: "x", count: 20_000)
        for _ in 0..<3 {
            try await server.ingest((0..<10).map { _ in #"{"run":"big","type":"big.x","data":{"pad":"\#(pad)"}}"# })
        }
        try await server.ingest([#"{"run":"big","type":"run.completed"}"#])
    }

    @Test func pagesAreCappedInBytesAndHasMoreLeadsThroughEveryEvent() async throws {
        try await TestServer.with(configure: { $0.maxPageBytes = 64 << 10 }) { server in
            try await Self.seedBig(server)
            var seqs: [Int] = []
            var after = 0
            var pages = 0
            while true {
                let answer = try await server.get("/v1/runs/big/events?limit=1000&after=\(after)")
                #expect(answer.status == 200)
                #expect(answer.body.count < 64 << 10 + 1024)
                let json = try answer.json
                let page = (json["events"] as? [[String: Any]] ?? []).compactMap { $0["seq"] as? Int }
                #expect(!page.isEmpty)
                seqs += page
                pages += 1
                guard json["hasMore"] as? Bool == true, let last = page.last else { break }
                after = last
            }
            #expect(seqs == Array(1...31))
            #expect(pages >= 10)
        }
    }

    @Test(.timeLimit(.minutes(1))) func aStreamCatchesUpThroughShortPages() async throws {
        try await TestServer.with(configure: { $0.maxPageBytes = 64 << 10 }) { server in
            try await Self.seedBig(server)
            // The run has ended: its stream replays every event from the store, page after
            // byte-capped page, then ends with the terminal event.
            let answer = try await server.get("/v1/runs/big/stream?from=start")
            #expect(answer.status == 200)
            let ids = answer.text.split(separator: "\n").filter { $0.hasPrefix("id:") }
            #expect(ids.count == 31)
        }
    }

    @Test func causalityOfAnEventWithManyEffectsAndCausesIsBoundedInSize() async throws {
        try await TestServer.with { server in
            // The shape that once cost 22 s and a 14.6 MB answer: 999 effects naming the root
            // and 255 other ids each (stored nowhere).
            let root = "01JD0000000000000000000000"
            try await server.ingest([#"{"id":"\#(root)","run":"fan","type":"x.root"}"#])
            let ids = ULIDGenerator()
            for batch in 0..<5 {
                let events = (0..<(batch < 4 ? 200 : 199)).map { _ in
                    let causes = [root] + (0..<255).map { _ in ids.next() }
                    return #"{"run":"fan","type":"x.effect","causedBy":[\#(causes.map { "\"\($0)\"" }.joined(separator: ","))]}"#
                }
                try await server.ingest(events)
            }
            let answer = try await server.get("/v1/runs/fan/events/\(root)/causality")
            #expect(answer.status == 200)
            #expect(answer.body.count <= 3 << 20, "\(answer.body.count) bytes")
            let json = try answer.json
            #expect(json["truncated"] as? Bool == true)
            let downstream = json["downstream"] as? [[String: Any]] ?? []
            #expect(!downstream.isEmpty && downstream.count < 999)
            #expect((json["dangling"] as? [String] ?? []).count == Causality.maxDangling)

            // One of the effects: its causes are the root and 255 dangling ids, nothing cut.
            let effect = try #require(downstream.first?["id"] as? String)
            let up = try await server.get("/v1/runs/fan/events/\(effect)/causality").json
            #expect((up["upstream"] as? [[String: Any]])?.count == 1)
            #expect((up["dangling"] as? [String])?.count == 255)
            #expect(up["truncated"] as? Bool == false)
        }
    }
}
