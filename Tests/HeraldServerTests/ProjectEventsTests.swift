import Foundation
import Testing

/// A project's own events (a task board's status changes): published without inventing a run,
/// stored, streamed on the project stream, queryable, and never shown as a run.
@Suite("Project-level events", .timeLimit(.minutes(1)))
struct ProjectEventsTests {
    static let moved = #"{"type":"task.status_changed","data":{"taskId":"t1","old":"todo","new":"doing"}}"#

    @Test func publishedToAProjectTheyAreStreamedAndQueriedButAreNoRun() async throws {
        try await TestServer.with { server in
            try await server.ingest([#"{"project":"board","run":"r1","type":"run.started"}"#])
            let stream = try await SSEConnection(server, "/v1/projects/board/stream")
            #expect(try await stream.nextMessage()?.event == "herald.connected")
            #expect(try await stream.nextMessage()?.event == "run.started")

            let answer = try await server.request(
                .POST, "/v1/projects/board/events", body: "[\(Self.moved),\(#"{"type":"board.note","data":{"text":"hi"}}"#)]"
            )
            #expect(answer.status == 200, "\(answer.text)")
            #expect(answer.text.contains(#""seq":1"#) && answer.text.contains(#""seq":2"#))
            let live = try #require(try await stream.nextMessage())
            #expect(live.event == "task.status_changed" && live.id == "2", "the project's positions count its own events too")
            #expect(live.data.contains(#""project":"board""#) && live.data.contains(#""run":"""#))

            let page = try await server.get("/v1/projects/board/events").json
            let events = page["events"] as? [[String: Any]] ?? []
            #expect(events.map { $0["type"] as? String } == ["task.status_changed", "board.note"])
            #expect(page["total"] as? Int == 2)
            let filtered = try await server.get("/v1/projects/board/events?types=board.*").json["events"] as? [[String: Any]]
            #expect(filtered?.count == 1)

            // No run: not listed, not active, not counted; the project is.
            let runs = try await server.get("/v1/runs?project=board").json["runs"] as? [[String: Any]] ?? []
            #expect(runs.map { $0["run"] as? String } == ["r1"])
            let projects = try await server.get("/v1/projects").json["projects"] as? [[String: Any]] ?? []
            let board = projects.first { $0["project"] as? String == "board" }
            #expect(board?["runs"] as? Int == 1 && board?["activeRuns"] as? Int == 1, "\(projects)")
            let connected = try await SSEConnection(server, "/v1/projects/board/stream?from=now")
            #expect(try await connected.nextMessage()?.data.contains(#""activeRuns":["r1"]"#) == true)
            #expect((try await server.get("/v1/projects/empty/events").json["events"] as? [Any])?.isEmpty == true)
        }
    }

    @Test func aProjectEventNamesNoRunAndNoOtherProject() async throws {
        try await TestServer.with { server in
            for (body, field, code) in [
                (#"{"run":"r1","type":"board.note"}"#, "run", "not_allowed"),
                (#"{"project":"other","type":"board.note"}"#, "project", "not_allowed"),
                (#"{"project":"board","type":"board.note"}"#, "project", "not_allowed"),
                (#"{"type":"TEXT_MESSAGE_CONTENT","messageId":"m1","delta":"hi"}"#, "type", "not_allowed"),
                (#"{"type":"run.completed"}"#, "type", "not_allowed"),
            ] {
                let answer = try await server.request(.POST, "/v1/projects/board/events", body: body)
                #expect(answer.status == 422 && answer.errorCode == "validation_failed", "\(body): \(answer.text)")
                let detail = (try answer.json["error"] as? [String: Any])?["details"] as? [[String: Any]]
                #expect(detail?.first?["field"] as? String == field && detail?.first?["code"] as? String == code, "\(answer.text)")
            }
            // Partial mode refuses only the bad one.
            let partial = try await server.request(
                .POST, "/v1/projects/board/events?partial=true", body: "[\(Self.moved),\(#"{"run":"r1","type":"board.note"}"#)]"
            )
            #expect(partial.status == 200 && partial.text.contains(#""accepted":1"#), "\(partial.text)")
            let invalid = try await server.request(.POST, "/v1/projects/bad%20name/events", body: Self.moved)
            #expect(invalid.status == 404)
        }
    }

    @Test func aKeyPublishesAndReadsOnlyItsOwnProjectsEvents() async throws {
        try await AccessControlTests.withFixture { server, keys in
            let publishBeta = try await TestKeys.create(in: server.dataDirectory, project: "beta", role: .publish)
            let refused = try await server.request(.POST, "/v1/projects/acme/events", body: Self.moved, headers: TestKeys.bearer(publishBeta))
            #expect(refused.status == 403)
            let mine = try await server.request(.POST, "/v1/projects/beta/events", body: Self.moved, headers: TestKeys.bearer(publishBeta))
            #expect(mine.status == 200)
            let readByAcme = try await server.get("/v1/projects/beta/events", headers: TestKeys.bearer(keys.readAcme))
            let readNowhere = try await server.get("/v1/projects/nowhere/events", headers: TestKeys.bearer(keys.readAcme))
            #expect(readByAcme.status == 404 && readByAcme.text.replacingOccurrences(of: "beta", with: "nowhere") == readNowhere.text)
            #expect(try await server.get("/v1/projects/beta/events", headers: TestKeys.bearer(keys.readBeta)).status == 200)
        }
    }
}
