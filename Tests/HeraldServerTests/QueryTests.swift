import Foundation
import Testing

@Suite("Runs and event queries", .timeLimit(.minutes(1)))
struct QueryTests {
    /// A run of 20 events over two agents and four turns, with a few types.
    static func seed(_ server: TestServer) async throws {
        var events = [#"{"run":"q","type":"run.started","data":{"name":"query run"},"time":"2026-01-01T00:00:00Z"}"#]
        for index in 1..<20 {
            let agent = index % 2 == 0 ? "planner" : "worker"
            let type = index % 3 == 0 ? "agent.log" : (index % 3 == 1 ? "custom.tick" : "state")
            let data = type == "agent.log" ? #"{"line":"l\#(index)"}"# : (type == "state" ? #"{"variable":"v","new":\#(index)}"# : "{}")
            let time = String(format: "2026-01-01T00:00:%02dZ", index)
            events.append(#"{"run":"q","type":"\#(type)","agent":"\#(agent)","turn":\#(index / 5),"time":"\#(time)","data":\#(data)}"#)
        }
        try await server.ingest(events)
    }

    func seqs(_ server: TestServer, _ query: String) async throws -> [Int] {
        let answer = try await server.get("/v1/runs/q/events?\(query)")
        #expect(answer.status == 200, "\(query): \(answer.text)")
        return try (answer.json["events"] as? [[String: Any]] ?? []).compactMap { $0["seq"] as? Int }
    }

    @Test func everyFilterSelectsTheRightEvents() async throws {
        try await TestServer.with { server in
            try await Self.seed(server)
            #expect(try await seqs(server, "types=agent.log") == [4, 7, 10, 13, 16, 19])
            #expect(try await seqs(server, "types=agent.*,run.started") == [1, 4, 7, 10, 13, 16, 19])
            #expect(try await seqs(server, "agents=planner&types=custom.tick") == [5, 11, 17])
            #expect(try await seqs(server, "agents=planner,worker&limit=3") == [2, 3, 4])
            // level=milestone: run.started only; state (level state) appears from level=state.
            #expect(try await seqs(server, "level=milestone") == [1])
            #expect(try await seqs(server, "level=action") == [1, 2, 5, 8, 11, 14, 17, 20], "milestone + the custom.tick events (action)")
            #expect(try await seqs(server, "turnFrom=2&turnTo=2") == [11, 12, 13, 14, 15])
            #expect(try await seqs(server, "since=2026-01-01T00:00:17Z") == [18, 19, 20])
            #expect(try await seqs(server, "until=2026-01-01T00:00:02Z") == [1, 2])
            #expect(try await seqs(server, "since=2026-01-01T00:00:05Z&until=2026-01-01T00:00:08Z&agents=worker") == [6, 8])
        }
    }

    @Test func pagingWithAfterAndLimit() async throws {
        try await TestServer.with { server in
            try await Self.seed(server)
            var after = 0
            var all: [Int] = []
            var pages = 0
            while true {
                let page = try await server.get("/v1/runs/q/events?after=\(after)&limit=7").json
                let events = try #require(page["events"] as? [[String: Any]])
                #expect(page["total"] as? Int == 20)
                all += events.compactMap { $0["seq"] as? Int }
                pages += 1
                guard page["hasMore"] as? Bool == true else { break }
                after = all.last!
            }
            #expect(all == Array(1...20))
            #expect(pages == 3)

            let exact = try await server.get("/v1/runs/q/events?after=13&limit=7").json
            #expect(exact["hasMore"] as? Bool == false, "the last page is not followed by an empty one")
            let past = try await server.get("/v1/runs/q/events?after=20").json
            #expect((past["events"] as? [Any])?.isEmpty == true)
            #expect(past["hasMore"] as? Bool == false)
            let filtered = try await server.get("/v1/runs/q/events?types=agent.log&limit=2").json
            #expect(filtered["total"] as? Int == 6)
            #expect(filtered["hasMore"] as? Bool == true)
            // Totals from facet counts (types, agents, level) and from a count (turns, times) agree with the events.
            for query in ["agents=planner", "agents=worker&types=custom.*,state", "level=state", "turnFrom=1&turnTo=2", "since=2026-01-01T00:00:10Z"] {
                let page = try await server.get("/v1/runs/q/events?\(query)&limit=1000").json
                #expect(page["total"] as? Int == (page["events"] as? [Any])?.count, "\(query)")
            }
        }
    }

    @Test func pagingBackwardWithBefore() async throws {
        try await TestServer.with { server in
            try await Self.seed(server)
            // The last lines first, still in seq order; page on with the first seq received.
            #expect(try await seqs(server, "types=agent.log&before=999&limit=4") == [10, 13, 16, 19])
            let first = try await server.get("/v1/runs/q/events?types=agent.log&before=999&limit=4").json
            #expect(first["hasMore"] as? Bool == true && first["total"] as? Int == 6)
            #expect(try await seqs(server, "types=agent.log&before=10&limit=4") == [4, 7])
            let last = try await server.get("/v1/runs/q/events?types=agent.log&before=10&limit=4").json
            #expect(last["hasMore"] as? Bool == false)
            #expect(try await seqs(server, "before=3") == [1, 2])
            #expect(try await seqs(server, "before=1").isEmpty)
        }
    }

    @Test func afterAndBeforeTogetherReadTheRangeBetween() async throws {
        try await TestServer.with { server in
            try await Self.seed(server)
            #expect(try await seqs(server, "after=1&before=5") == [2, 3, 4])
            #expect(try await seqs(server, "types=agent.log&after=3&before=17") == [4, 7, 10, 13, 16])
            let page = try await server.get("/v1/runs/q/events?types=agent.log&after=3&before=17&limit=2").json
            #expect(page["hasMore"] as? Bool == true && page["total"] as? Int == 6)
            let rest = try await server.get("/v1/runs/q/events?types=agent.log&after=7&before=17&limit=10").json
            #expect(rest["hasMore"] as? Bool == false)
            #expect(try await seqs(server, "after=5&before=5").isEmpty)
            #expect(try await seqs(server, "after=9&before=2").isEmpty)
        }
    }

    @Test func badParametersAreA400() async throws {
        try await TestServer.with { server in
            try await Self.seed(server)
            for query in ["limit=0", "limit=x", "after=-1", "level=loud", "types=Bad", "since=yesterday", "turnFrom=-2"] {
                let answer = try await server.get("/v1/runs/q/events?\(query)")
                #expect(answer.status == 400, "\(query)")
                #expect(answer.errorCode == "invalid_parameter", "\(query)")
            }
            #expect(try await server.get("/v1/runs?status=sleeping").status == 400)
        }
    }

    @Test func unknownRunsAndEventsAre404WithTheirCode() async throws {
        try await TestServer.with { server in
            try await Self.seed(server)
            #expect(try await server.get("/v1/runs/nope").errorCode == "run_not_found")
            #expect(try await server.get("/v1/runs/nope/events").errorCode == "run_not_found")
            #expect(try await server.get("/v1/runs/nope/events/01JAAAAAAAAAAAAAAAAAAAAAAA").errorCode == "run_not_found")
            #expect(try await server.get("/v1/runs/q/events/01JAAAAAAAAAAAAAAAAAAAAAAA").errorCode == "event_not_found")
            #expect(try await server.get("/v1/runs/q/events/not-a-ulid").status == 404)
            let unknown = try await server.get("/v1/nothing/here")
            #expect(unknown.status == 404)
            #expect(unknown.errorCode == "not_found")
            // A known path with the wrong method says which methods it takes.
            let wrongMethod = try await server.request(.DELETE, "/v1/runs/q/events")
            #expect(wrongMethod.status == 405)
            #expect(wrongMethod.errorCode == "method_not_allowed")
            #expect(wrongMethod.headers["Allow"].first == "GET")
            #expect(try await server.request(.GET, "/v1/events").headers["Allow"].first == "POST")
        }
    }

    @Test func runsListWithStatusProjectAndPaging() async throws {
        try await TestServer.with { server in
            try await server.ingest([#"{"run":"a","type":"run.queued"}"#])
            try await server.ingest([#"{"run":"b","type":"run.started","agent":"x"}"#, #"{"run":"b","type":"run.completed"}"#])
            try await server.ingest([#"{"run":"c","project":"other","type":"run.started"}"#])
            try await server.ingest([#"{"run":"d","type":"run.failed","data":{"error":"e"}}"#])

            func names(_ query: String) async throws -> [String] {
                try (await server.get("/v1/runs?\(query)").json["runs"] as? [[String: Any]] ?? []).compactMap { $0["run"] as? String }
            }
            #expect(Set(try await names("")) == ["a", "b", "c", "d"])
            #expect(Set(try await names("status=active")) == ["a", "c"])
            #expect(try await names("status=queued") == ["a"])
            #expect(try await names("status=failed") == ["d"])
            #expect(try await names("project=other") == ["c"])

            var seen: [String] = []
            var cursor: String? = nil
            repeat {
                let page = try await server.get("/v1/runs?limit=3" + (cursor.map { "&cursor=\($0)" } ?? "")).json
                seen += (page["runs"] as? [[String: Any]] ?? []).compactMap { $0["run"] as? String }
                cursor = page["nextCursor"] as? String
            } while cursor != nil
            #expect(seen.sorted() == ["a", "b", "c", "d"])
            #expect(try await server.get("/v1/runs?cursor=garbage").status == 400)

            let b = try await server.get("/v1/runs/b").json
            #expect(b["status"] as? String == "completed")
            #expect(b["eventCount"] as? Int == 2)
            #expect(b["lastSeq"] as? Int == 2)
            #expect(b["agents"] as? [String] == ["x"])
            #expect(b["subscribers"] as? Int == 0)
            #expect(try await server.get("/v1/runs/a").json["name"] is NSNull)
        }
    }

    @Test func causalityIsTransitiveCycleSafeAndReportsDangling() async throws {
        try await TestServer.with { server in
            // a ← b ← c ← d, and e caused by both c and a missing id; b also names d (a cycle).
            let a = "01JA0000000000000000000001"
            let b = "01JA0000000000000000000002"
            let c = "01JA0000000000000000000003"
            let d = "01JA0000000000000000000004"
            let e = "01JA0000000000000000000005"
            let missing = "01JA0000000000000000000099"
            try await server.ingest([
                #"{"id":"\#(a)","run":"c1","type":"x.a"}"#,
                #"{"id":"\#(b)","run":"c1","type":"x.b","causedBy":["\#(a)","\#(d)"]}"#,
                #"{"id":"\#(c)","run":"c1","type":"x.c","causedBy":["\#(b)"]}"#,
                #"{"id":"\#(d)","run":"c1","type":"x.d","causedBy":["\#(c)"]}"#,
                #"{"id":"\#(e)","run":"c1","type":"x.e","causedBy":["\#(c)","\#(missing)"]}"#,
            ])
            let answer = try await server.get("/v1/runs/c1/events/\(c)/causality")
            #expect(answer.status == 200)
            let json = try answer.json
            func ids(_ key: String) -> Set<String> {
                Set((json[key] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String })
            }
            #expect((json["event"] as? [String: Any])?["id"] as? String == c)
            #expect(ids("upstream") == [a, b, d])
            // In a cycle an event is both a cause and an effect: each walk lists it once.
            #expect(ids("downstream") == [d, e, b])
            #expect(json["dangling"] as? [String] == [missing])

            let root = try await server.get("/v1/runs/c1/events/\(a)/causality?maxDepth=1").json
            #expect(Set((root["downstream"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }) == [b])
            #expect(root["truncated"] as? Bool == true)
        }
    }
}
