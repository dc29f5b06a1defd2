import Foundation
import HeraldClient
import HeraldCore
import Testing

@Suite("Subscribing to a run: typed events, resume, end, gap")
struct RunEventsTests {
    static func post(_ server: RunningServer, _ drafts: [EventDraft]) async throws {
        _ = try await HeraldClient.withClient(baseURL: server.baseURL) { try await $0.post(drafts) }
    }

    static func tick(_ number: Int, run: String = "r1") -> EventDraft {
        EventDraft(run: run, type: "my.tick", data: Array(#"{"n":\#(number)}"#.utf8))
    }

    @Test(.timeLimit(.minutes(1)))
    func itResumesAcrossAServerRestartAndEndsAtTheTerminalEvent() async throws {
        var server = try await RunningServer.start()
        try await Self.post(server, [EventDraft(run: "r1", type: "run.started")] + (1...3).map { Self.tick($0) })
        let client = HeraldClient(baseURL: server.baseURL)

        var iterator = client.subscribe(run: "r1").makeAsyncIterator()
        var seqs: [Int64] = []
        for _ in 0..<4 {
            guard case .event(let event) = try await iterator.next() else { throw TestServerError.didNotStart }
            seqs.append(event.seq)
        }
        // The server goes away mid-stream and comes back; events published meanwhile are not missed.
        server = try await server.restarted()
        try await Self.post(server, (4...6).map { Self.tick($0) } + [EventDraft(run: "r1", type: "run.completed")])
        while let item = try await iterator.next() {
            guard case .event(let event) = item else { continue }
            seqs.append(event.seq)
        }

        #expect(seqs == Array(1...8), "every event once, in order, and the sequence ends after run.completed")
        try await client.shutdown()
        await server.stop()
    }

    @Test(.timeLimit(.minutes(1)))
    func filtersAndTheResumePointApply() async throws {
        try await RunningServer.with { server in
            try await Self.post(
                server,
                [EventDraft(run: "r1", type: "run.started"), EventDraft(run: "r1", type: "agent.log", agent: "a", data: Array(#"{"line":"x"}"#.utf8))]
                    + (1...3).map { Self.tick($0) } + [EventDraft(run: "r1", type: "run.failed", data: Array(#"{"error":"e"}"#.utf8))]
            )
            try await HeraldClient.withClient(baseURL: server.baseURL) { client in
                var types: [String] = []
                for try await item in client.subscribe(run: "r1", filter: EventFilter(types: [.exact("my.tick"), .prefix("run.")]), after: 3) {
                    if case .event(let event) = item { types.append("\(event.seq):\(event.type)") }
                }
                #expect(types == ["4:my.tick", "5:my.tick", "6:run.failed"])
            }
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func aResumePointPastTheEndArrivesAsAGap() async throws {
        try await RunningServer.with { server in
            try await Self.post(server, (1...3).map { Self.tick($0) })
            try await HeraldClient.withClient(baseURL: server.baseURL) { client in
                var iterator = client.subscribe(run: "r1", after: 10).makeAsyncIterator()
                let first = try await iterator.next()
                guard case .gap(let gap) = first else {
                    Issue.record("expected a gap, got \(String(describing: first))")
                    return
                }
                #expect(gap.requested == 10 && gap.continuesAfter == 3 && gap.reason == "ahead")
                try await Self.post(server, [Self.tick(4)])
                guard case .event(let event) = try await iterator.next() else {
                    Issue.record("expected the next event")
                    return
                }
                #expect(event.seq == 4)
            }
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func anUnknownRunIsAnError() async throws {
        try await RunningServer.with { server in
            try await HeraldClient.withClient(baseURL: server.baseURL) { client in
                await #expect(throws: HeraldError.self) {
                    for try await _ in client.subscribe(run: "bad run name") {}
                }
            }
        }
    }
}
