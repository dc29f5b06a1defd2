import Foundation
import Testing

@Suite("POST /v1/events?partial=true", .timeLimit(.minutes(1)))
struct PartialIngestTests {
    static func partial(_ server: TestServer, _ lines: [String]) async throws -> (status: Int, json: [String: Any]) {
        let answer = try await server.request(
            .POST, "/v1/events?partial=true", body: lines.joined(separator: "\n") + "\n", contentType: "application/x-ndjson"
        )
        return (answer.status, try answer.json)
    }

    @Test func theValidEventsAreStoredAndEachRefusedOneIsNamedByIndex() async throws {
        try await TestServer.with { server in
            // Given a batch with a bad type, a missing field and a rename in the middle
            let (status, json) = try await Self.partial(server, [
                #"{"run":"r1","type":"run.started"}"#,
                #"{"run":"r1","type":"Bad Type"}"#,
                #"{"run":"r1","type":"task.started","data":{"task_id":"t1"}}"#,
                #"{"run":"r1","type":"my.step","event_id":"e1"}"#,
                #"{"run":"r1","type":"run.completed"}"#,
            ])
            // Then the valid ones are stored, the run ended, and each refusal names its event
            #expect(status == 200)
            #expect(json["accepted"] as? Int == 2)
            #expect(json["duplicates"] as? Int == 0)
            let events = try #require(json["events"] as? [[String: Any]])
            #expect(events.map { $0["index"] as? Int } == [0, 4])
            #expect(events.map { $0["seq"] as? Int } == [1, 2])
            let rejected = try #require(json["rejected"] as? [[String: Any]])
            #expect(rejected.map { $0["index"] as? Int } == [1, 2, 3])
            #expect(rejected.map { $0["code"] as? String } == ["validation_failed", "validation_failed", "validation_failed"])
            let details = try #require(rejected[2]["details"] as? [[String: Any]])
            #expect(details.first?["field"] as? String == "event_id")
            #expect(details.first?["index"] as? Int == 3)
            #expect((rejected[1]["message"] as? String)?.contains("taskId") == true)
            let run = try await server.get("/v1/runs/r1").json
            #expect(run["status"] as? String == "completed")
        }
    }

    @Test func refusalsAtPlacementAreIsolatedPerEvent() async throws {
        try await TestServer.with { server in
            try await server.ingest([#"{"run":"done","type":"run.completed"}"#, #"{"id":"01JAAAAAAAAAAAAAAAAAAAAAAA","run":"a","type":"x.y"}"#])
            let (status, json) = try await Self.partial(server, [
                #"{"run":"done","type":"late.event"}"#,
                #"{"run":"open","type":"x.y"}"#,
                #"{"id":"01JAAAAAAAAAAAAAAAAAAAAAAA","run":"b","type":"x.y"}"#,
                #"{"run":"open","type":"x.y","expectedSeq":5}"#,
                #"{"id":"01JAAAAAAAAAAAAAAAAAAAAAAA","run":"a","type":"x.y"}"#,
                #"{"run":"open","type":"x.y","expectedSeq":1}"#,
            ])
            #expect(status == 200)
            #expect(json["accepted"] as? Int == 2)
            #expect(json["duplicates"] as? Int == 1)
            let events = try #require(json["events"] as? [[String: Any]])
            #expect(events.map { $0["index"] as? Int } == [1, 4, 5])
            #expect(events.map { $0["seq"] as? Int } == [1, 1, 2])
            let rejected = try #require(json["rejected"] as? [[String: Any]])
            #expect(rejected.map { $0["index"] as? Int } == [0, 2, 3])
            #expect(rejected.map { $0["code"] as? String } == ["run_finished", "id_conflict", "seq_conflict"])
            let details = try #require(rejected[0]["details"] as? [[String: Any]])
            #expect(details.first?["index"] as? Int == 0)
            // A run that never got a valid event does not exist.
            #expect(try await server.get("/v1/runs/b").status == 404)
        }
    }

    @Test func withoutPartialABatchIsStillAllOrNothing() async throws {
        try await TestServer.with { server in
            let answer = try await server.post("[" + #"{"run":"r","type":"a.b"},{"run":"r","type":"Bad"}"# + "]")
            #expect(answer.status == 422)
            #expect(try await server.get("/v1/runs/r").status == 404)
            let nothingValid = try await Self.partial(server, [#"{"run":"r","type":"Bad"}"#])
            #expect(nothingValid.status == 200)
            #expect(nothingValid.json["accepted"] as? Int == 0)
            #expect((nothingValid.json["rejected"] as? [[String: Any]])?.count == 1)
            let wrong = try await server.request(.POST, "/v1/events?partial=maybe", body: #"{"run":"r","type":"a.b"}"#)
            #expect(wrong.status == 400 && wrong.errorCode == "invalid_parameter")
            // Malformed JSON still fails the whole request.
            let malformed = try await server.request(.POST, "/v1/events?partial=true", body: "{\"run\":\"r\",", contentType: "application/json")
            #expect(malformed.status == 400 && malformed.errorCode == "invalid_json")
        }
    }
}
