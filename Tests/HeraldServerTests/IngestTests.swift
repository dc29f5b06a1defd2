import Foundation
import Testing

@Suite("POST /v1/events", .timeLimit(.minutes(1)))
struct IngestTests {
    @Test func acceptsOneObjectAnArrayAndNDJSON() async throws {
        try await TestServer.with { server in
            let one = try await server.post(#"{"run":"r1","type":"run.started","data":{"name":"first"}}"#)
            #expect(one.status == 200)
            #expect(try one.json["accepted"] as? Int == 1)

            let array = try await server.post(#"[{"run":"r1","type":"my.step"},{"run":"r1","type":"my.step"}]"#)
            let events = try #require(try array.json["events"] as? [[String: Any]])
            #expect(events.map { $0["seq"] as? Int } == [2, 3])

            let ndjson = try await server.post(
                "{\"run\":\"r1\",\"type\":\"a.b\"}\n{\"run\":\"r2\",\"type\":\"a.b\"}\n", contentType: "application/x-ndjson"
            )
            let placed = try #require(try ndjson.json["events"] as? [[String: Any]])
            #expect(placed.map { $0["run"] as? String } == ["r1", "r2"])
            #expect(placed.map { $0["seq"] as? Int } == [4, 1])
        }
    }

    @Test func storesTheCanonicalEventWithDefaults() async throws {
        try await TestServer.with { server in
            let placed = try await server.ingest([#"{"run":"r1","type":"agent.log","agent":"w1","turn":2,"data":{ "line" : "hi" }}"#])
            let id = try #require(placed.first?["id"] as? String)
            let answer = try await server.get("/v1/runs/r1/events/\(id)")
            let event = try answer.json
            #expect(event["project"] as? String == "default")
            #expect(event["level"] as? String == "detail")
            #expect(event["seq"] as? Int == 1)
            #expect(event["agent"] as? String == "w1")
            #expect(event["turn"] as? Int == 2)
            #expect(answer.text.contains(#""data":{"line":"hi"}"#), "data is stored compact: \(answer.text)")
            let time = try #require(event["time"] as? String)
            #expect(time.hasSuffix("Z") && time.count == 27, "RFC 3339 UTC with microseconds: \(time)")
        }
    }

    @Test func aRetriedEventWithTheSameIdIsStoredOnce() async throws {
        try await TestServer.with { server in
            let body = #"[{"id":"01JAAAAAAAAAAAAAAAAAAAAAAA","run":"r1","type":"x.y"},{"run":"r1","type":"x.z"}]"#
            let first = try await server.post(body)
            #expect(try first.json["accepted"] as? Int == 2)
            let retry = try await server.post(#"{"id":"01JAAAAAAAAAAAAAAAAAAAAAAA","run":"r1","type":"x.y"}"#)
            let json = try retry.json
            #expect(json["accepted"] as? Int == 0)
            #expect(json["duplicates"] as? Int == 1)
            let placement = try #require((json["events"] as? [[String: Any]])?.first)
            #expect(placement["seq"] as? Int == 1)
            #expect(placement["duplicate"] as? Bool == true)
            let run = try await server.get("/v1/runs/r1").json
            #expect(run["eventCount"] as? Int == 2)
        }
    }

    @Test func anIdReusedInAnotherRunIsAConflict() async throws {
        try await TestServer.with { server in
            try await server.ingest([#"{"id":"01JAAAAAAAAAAAAAAAAAAAAAAA","run":"r1","type":"x.y"}"#])
            let answer = try await server.post(#"{"id":"01JAAAAAAAAAAAAAAAAAAAAAAA","run":"r2","type":"x.y"}"#)
            #expect(answer.status == 409)
            #expect(answer.errorCode == "id_conflict")
        }
    }

    @Test func expectedSeqGuardsAgainstConcurrentWriters() async throws {
        try await TestServer.with { server in
            try await server.ingest([#"{"run":"r1","type":"x.y"}"#, #"{"run":"r1","type":"x.y"}"#])
            let stale = try await server.post(#"{"run":"r1","type":"x.y","expectedSeq":1}"#)
            #expect(stale.status == 409)
            #expect(stale.errorCode == "seq_conflict")
            let current = try await server.post(#"{"run":"r1","type":"x.y","expectedSeq":2}"#)
            #expect(current.status == 200)
            let fresh = try await server.post(#"{"run":"new","type":"x.y","expectedSeq":0}"#)
            #expect(fresh.status == 200)
        }
    }

    @Test func aBatchIsAllOrNothing() async throws {
        try await TestServer.with { server in
            try await server.ingest([#"{"run":"done","type":"run.completed"}"#])
            // The second event is for a finished run: nothing of the request may be stored.
            let answer = try await server.post(#"[{"run":"r1","type":"x.y"},{"run":"done","type":"x.y"}]"#)
            #expect(answer.status == 409)
            #expect(answer.errorCode == "run_finished")
            #expect(try await server.get("/v1/runs/r1").status == 404)

            // A validation error anywhere refuses the whole request too.
            let invalid = try await server.post(#"[{"run":"r1","type":"x.y"},{"run":"r1","type":"decision"}]"#)
            #expect(invalid.status == 422)
            #expect(try await server.get("/v1/runs/r1").status == 404)
        }
    }

    @Test func terminalEventsFinishTheRun() async throws {
        try await TestServer.with { server in
            for (run, terminal, status) in [("a", "run.completed", "completed"), ("b", "run.cancelled", "cancelled")] {
                try await server.ingest([#"{"run":"\#(run)","type":"run.started"}"#, #"{"run":"\#(run)","type":"\#(terminal)"}"#])
                let info = try await server.get("/v1/runs/\(run)").json
                #expect(info["status"] as? String == status)
                #expect(info["finishedAt"] as? String != nil)
                let late = try await server.post(#"{"run":"\#(run)","type":"x.y"}"#)
                #expect(late.status == 409)
                #expect(late.errorCode == "run_finished")
            }
            try await server.ingest([#"{"run":"c","type":"run.failed","data":{"error":"boom"}}"#])
            #expect(try await server.get("/v1/runs/c").json["status"] as? String == "failed")
        }
    }

    @Test func twoProjectsMayHoldRunsOfTheSameName() async throws {
        try await TestServer.with { server in
            try await server.ingest([#"{"run":"r1","project":"alpha","type":"x.y"}"#])
            let answer = try await server.post(#"[{"run":"r1","project":"beta","type":"x.y"},{"run":"r1","project":"beta","type":"x.z"}]"#)
            #expect(answer.status == 200, "\(answer.text)")
            #expect(answer.text.contains(#""seq":1"#) && answer.text.contains(#""seq":2"#), "beta's r1 starts at seq 1: \(answer.text)")
            let alpha = try await server.get("/v1/runs/r1?project=alpha").json
            let beta = try await server.get("/v1/runs/r1?project=beta").json
            #expect(alpha["project"] as? String == "alpha" && alpha["eventCount"] as? Int == 1)
            #expect(beta["project"] as? String == "beta" && beta["eventCount"] as? Int == 2)
            let betaEvents = try await server.get("/v1/runs/r1/events?project=beta").json["events"] as? [[String: Any]] ?? []
            #expect(betaEvents.map { $0["type"] as? String } == ["x.y", "x.z"])
            // A caller reaching both projects is asked to name one, never given either by chance.
            let unnamed = try await server.get("/v1/runs/r1")
            #expect(unnamed.status == 400 && unnamed.errorCode == "ambiguous_run", "\(unnamed.text)")
            #expect(unnamed.text.contains("?project="))
            let stream = try await server.get("/v1/runs/r1/stream")
            #expect(stream.status == 400 && stream.errorCode == "ambiguous_run")
        }
    }

    @Test func malformedJSONIsA400WithItsPosition() async throws {
        try await TestServer.with { server in
            let answer = try await server.post("[{\"run\":\"r1\",\n\"type\":\"x.y\",}]")
            #expect(answer.status == 400)
            #expect(answer.errorCode == "invalid_json")
            #expect(answer.text.contains("line 2"), "\(answer.text)")
            for body in ["", "   ", "nul", "{\"run\":\"r1\",\"type\":\"x\"} trailing", "\"just a string\"", "{\"run\":\"\u{7F}\u{01}\"}"] {
                let bad = try await server.post(body)
                #expect(bad.status == 400, "\(body.debugDescription) → \(bad.status) \(bad.text)")
            }
        }
    }

    @Test func invalidFieldsAreA422WithPerEventDetails() async throws {
        try await TestServer.with { server in
            let answer = try await server.post(
                #"[{"run":"ok","type":"x.y"},{"run":"bad run","type":"Bad"},{"run":"r","type":"decision","data":{"newValue":1}},{"type":"x.y","colour":1}]"#
            )
            #expect(answer.status == 422)
            #expect(answer.errorCode == "validation_failed")
            let details = try #require((try answer.json["error"] as? [String: Any])?["details"] as? [[String: Any]])
            func problems(at index: Int) -> Set<String> {
                Set(details.filter { $0["index"] as? Int == index }.compactMap { $0["field"] as? String })
            }
            #expect(problems(at: 0).isEmpty)
            #expect(problems(at: 1) == ["run", "type"])
            #expect(problems(at: 2) == ["agent", "data.decisionType"])
            #expect(problems(at: 3) == ["run", "colour"])
        }
    }

    @Test func inputEdgesFoundByFuzzing() async throws {
        try await TestServer.with { server in
            // JSON Schema's integers include 2.0.
            #expect(try await server.post(#"{"run":"r","type":"x.y","turn":2.0}"#).status == 200)
            // A null is not an event id.
            #expect(try await server.post(#"{"run":"r","type":"x.y","causedBy":[null]}"#).status == 422)
            // herald.* names the streams' own control events.
            let reserved = try await server.post(#"{"run":"r","type":"herald.gap"}"#)
            #expect(reserved.status == 422)
            #expect(reserved.text.contains("reserved"))
        }
    }

    @Test func limitsAnswer413And415() async throws {
        try await TestServer.with(configure: {
            $0.limits.maxBodyBytes = 10_000
            $0.limits.maxEventsPerRequest = 5
            $0.limits.maxDataBytes = 100
            $0.limits.maxDepth = 4
        }) { server in
            let big = try await server.post("[" + String(repeating: " ", count: 20_000) + "]")
            #expect(big.status == 413)
            #expect(big.errorCode == "payload_too_large")

            let many = try await server.post("[" + Array(repeating: #"{"run":"r","type":"x.y"}"#, count: 6).joined(separator: ",") + "]")
            #expect(many.status == 413)
            #expect(many.errorCode == "too_many_events")

            let largeData = try await server.post(#"{"run":"r","type":"x.y","data":{"s":"\#(String(repeating: "a", count: 200))"}}"#)
            #expect(largeData.status == 422)

            let deep = try await server.post(#"{"run":"r","type":"x.y","data":{"a":{"b":{"c":{"d":{}}}}}}"#)
            #expect(deep.status == 400)

            let wrongType = try await server.post("run=r1", contentType: "application/x-www-form-urlencoded")
            #expect(wrongType.status == 415)
            #expect(wrongType.errorCode == "unsupported_media_type")
            #expect(try await server.get("/v1/runs/r").status == 404, "nothing was stored by refused requests")
        }
    }

    @Test func concurrentRequestsGetGaplessSeqs() async throws {
        try await TestServer.with { server in
            let writers = 16
            let perWriter = 25
            try await withThrowingTaskGroup(of: Void.self) { group in
                for writer in 0..<writers {
                    group.addTask {
                        for index in 0..<perWriter {
                            try await server.ingest([#"{"run":"shared","type":"x.y","data":{"w":\#(writer),"i":\#(index)}}"#])
                        }
                    }
                }
                try await group.waitAll()
            }
            let page = try await server.get("/v1/runs/shared/events?limit=1000").json
            let seqs = try #require(page["events"] as? [[String: Any]]).compactMap { $0["seq"] as? Int }
            #expect(seqs == Array(1...(writers * perWriter)))
        }
    }
}

extension ThrowingTaskGroup {
    mutating func waitAll() async throws { while try await next() != nil {} }
}
