import Foundation
import HeraldCore
import HeraldTestSupport
import Logging
import Testing

@testable import HeraldServer

/// A run whose producer went silent ends as `run.failed` with `code: "abandoned"` after its
/// project's `--run-idle-timeout` (issue: runs that end when their producer dies).
@Suite("Abandoned runs", .timeLimit(.minutes(1)))
struct AbandonedRunsTests {
    @Test func idleTimeoutsParseWithPerProjectRulesAndOff() throws {
        var policy = RunIdlePolicy.standard
        try policy.add("30m")
        try policy.add("nightly:6h")
        try policy.add("scratch:off")
        try policy.add("ns:sub:90s")
        #expect(policy.timeout(for: "any") == .seconds(1800))
        #expect(policy.timeout(for: "nightly") == .seconds(6 * 3600))
        #expect(policy.timeout(for: "scratch") == nil)
        #expect(policy.timeout(for: "ns:sub") == .seconds(90))
        #expect(policy.shortest == .seconds(90))
        #expect(!policy.isOff)
        for bad in ["", "soon", "acme:", "30x", "bad name:5m", "-5m"] {
            var other = RunIdlePolicy()
            #expect(throws: HeraldError.self, "\(bad)") { try other.add(bad) }
        }
        var off = RunIdlePolicy.standard
        try off.add("off")
        #expect(off.isOff)
        #expect(AbandonedRunsService.interval(for: .standard) == .seconds(30))
        #expect(AbandonedRunsService.interval(for: RunIdlePolicy(defaultTimeout: .seconds(2))) == .seconds(1))
        #expect(RunIdlePolicy.describe(.seconds(7200)) == "2h" && RunIdlePolicy.describe(.seconds(90)) == "90s")
    }

    /// By the server's receipt clock, on the backend the run chose, without waiting.
    @Test func onlyRunsSilentPastTheirProjectsTimeoutAreEnded() async throws {
        let t0 = Timestamp(microseconds: 1_800_000_000_000_000)
        func at(_ minutes: Int64) -> Timestamp { Timestamp(microseconds: t0.microseconds + minutes * 60_000_000) }
        try await TestStores.open(TestStores.makeTemporaryDirectory()).whileRunning { store in
            func post(_ drafts: [EventDraft], minutes: Int64) async throws {
                _ = try await store.append(AppendRequest(drafts: drafts, receivedAt: at(minutes)))
            }
            try await post(
                [
                    EventDraft(project: "p", run: "silent", type: "run.started"), EventDraft(project: "p", run: "done", type: "run.started"),
                    EventDraft(project: "p", run: "done", type: "run.completed"), EventDraft(project: "keep", run: "waits", type: "run.started"),
                    EventDraft(project: "p", run: "busy", type: "run.started"),
                    // Dated long ago (a replay): the idle clock is when Herald received it.
                    EventDraft(project: "p", run: "replayed", type: "run.started", time: at(-10_000)),
                ],
                minutes: 0
            )
            try await post([EventDraft(project: "p", run: "busy", type: "x.y")], minutes: 40)
            var policy = RunIdlePolicy(defaultTimeout: .seconds(3600))
            try policy.add("keep:off")
            let service = AbandonedRunsService(store: store, policy: policy, interval: .seconds(1), logger: Logger(label: "test"))
            #expect(await service.endAbandoned(now: at(59)) == 0)
            #expect(await service.endAbandoned(now: at(61)) == 2)
            for (run, status) in [("silent", RunStatus.failed), ("replayed", .failed), ("busy", .running), ("done", .completed)] {
                #expect(try await store.run(RunRef(project: "p", run: run))?.status == status, "\(run)")
            }
            #expect(try await store.run(RunRef(project: "keep", run: "waits"))?.status == .running)
            let last = try #require(try await store.events(run: RunRef(project: "p", run: "silent"), filter: EventFilter(), afterSeq: 1, limit: 5).events.first)
            #expect(last.type == "run.failed")
            let body = String(decoding: last.json, as: UTF8.self)
            #expect(body.contains(#""code":"abandoned""#) && body.contains("no event for 1h"), "\(body)")
            // Once ended, a run is not ended again; the busy one goes at its own hour.
            #expect(await service.endAbandoned(now: at(62)) == 0)
            #expect(await service.endAbandoned(now: at(101)) == 1)
        }
    }

    @Test func aWatcherOfASilentRunSeesItFailAndItsStreamEnds() async throws {
        try await TestServer.with(configure: {
            $0.runIdle = RunIdlePolicy(defaultTimeout: .seconds(1))
            $0.runIdleCheckInterval = .milliseconds(100)
        }) { server in
            try await server.ingest([#"{"run":"quiet","type":"run.started"}"#])
            let stream = try await SSEConnection(server, "/v1/runs/quiet/stream")
            let messages = try await stream.messagesUntilEnd()
            #expect(messages.map(\.event) == ["run.started", "run.failed"])
            #expect(messages.last?.data.contains(#""code":"abandoned""#) == true)
            let run = try await server.get("/v1/runs/quiet").json
            #expect(run["status"] as? String == "failed")
            // A late event from the producer, if it was not dead after all, is told why.
            let late = try await server.post(#"{"run":"quiet","type":"x.y"}"#)
            #expect(late.status == 409 && late.errorCode == "run_finished")
        }
    }
}
