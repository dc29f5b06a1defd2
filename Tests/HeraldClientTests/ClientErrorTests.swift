import HeraldCore
import Testing

@testable import HeraldClient

@Suite("Errors surface as HeraldError")
struct ClientErrorTests {
    @Test(.timeLimit(.minutes(1)))
    func unknownRunIsRunNotFound() async throws {
        try await withServer { client in
            let error = try await #require(throws: HeraldError.self) { try await client.run("nope") }
            #expect(error.code == .runNotFound && error.code.status == 404)
            #expect(error.message.contains("nope"))
            let events = try await #require(throws: HeraldError.self) { try await client.event(run: "nope", id: "01JAAAAAAAAAAAAAAAAAAAAAAA") }
            #expect(events.code == .runNotFound)
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func aNameTwoProjectsHoldIsAmbiguousUntilTheProjectIsNamed() async throws {
        try await withServer { client in
            _ = try await client.post([
                EventDraft(project: "a", run: "r", type: "run.started", data: #"{"name":"a's"}"#.bytes),
                EventDraft(project: "b", run: "r", type: "run.started", data: #"{"name":"b's"}"#.bytes),
            ])
            let error = try await #require(throws: HeraldError.self) { try await client.run("r") }
            #expect(error.code == .ambiguousRun && error.code.status == 400 && error.message.contains("?project="))
            #expect(try await client.run("r", project: "b").name == "b's")
            #expect(try await client.events(run: "r", project: "a").events.map(\.project) == ["a"])
            var events = client.subscribe(run: "r", project: "b").makeAsyncIterator()
            guard case .event(let first) = try await events.next() else {
                Issue.record("expected b's first event")
                return
            }
            #expect(first.project == "b")
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func invalidEventsCarryPerFieldDetails() async throws {
        try await withServer { client in
            let error = try await #require(throws: HeraldError.self) {
                try await client.post([
                    EventDraft(run: "r", type: "run.started"),
                    EventDraft(run: "r", type: "decision", data: #"{"decisionType":"x"}"#.bytes),
                ])
            }
            #expect(error.code == .validationFailed && error.code.status == 422)
            #expect(error.details.contains(FieldError(index: 1, field: "agent", code: "required", message: "decision events need an agent")))
            #expect(error.details.contains { $0.index == 1 && $0.field == "data.newValue" && $0.code == "required" })
            #expect(try await client.runs().runs.isEmpty, "a refused request stores nothing")
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func eventsAfterTheEndAreRunFinished() async throws {
        try await withServer { client in
            _ = try await client.post([EventDraft(run: "r", type: "run.started"), EventDraft(run: "r", type: "run.cancelled")])
            let error = try await #require(throws: HeraldError.self) {
                try await client.post([EventDraft(run: "r", type: "thought", data: #"{"content":"late"}"#.bytes)])
            }
            #expect(error.code == .runFinished && error.code.status == 409)
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func badQueryParametersAreInvalidParameter() async throws {
        try await withServer { client in
            _ = try await client.post([EventDraft(run: "r", type: "run.started")])
            let error = try await #require(throws: HeraldError.self) { try await client.events(run: "r", limit: 0) }
            #expect(error.code == .invalidParameter && error.code.status == 400)
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func aServerThatIsNotThereIsUnreachable() async throws {
        // Port 1 on loopback: nothing listens there, so the connection is refused at once, and
        // the client reports it without retrying until the timeout.
        let start = ContinuousClock.now
        try await HeraldClient.withClient(baseURL: "http://127.0.0.1:1/", configuration: .init(timeout: .seconds(30))) { client in
            #expect(client.baseURL == "http://127.0.0.1:1")
            let error = try await #require(throws: HeraldError.self) { try await client.runs() }
            #expect(error.code == .unreachable && error.code.status == 0)
        }
        #expect(ContinuousClock.now - start < .seconds(20))
    }

    @Test func answersThatAreNotHeraldErrorsKeepTheirStatus() {
        let proxy = HeraldError(answer: "<html>Bad Gateway</html>".bytes, status: 502)
        #expect(proxy.code.rawValue == "http_502" && proxy.code.status == 502 && proxy.message.contains("Bad Gateway"))
        let empty = HeraldError(answer: [], status: 503)
        #expect(empty.code.rawValue == "http_503" && empty.message == "HTTP status 503")
        let herald = HeraldError(answer: #"{"error":{"code":"too_many_connections","message":"slow down"}}"#.bytes, status: 429)
        #expect(herald == HeraldError(.tooManyConnections, "slow down"))
    }
}
