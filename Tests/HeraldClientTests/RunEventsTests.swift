import Foundation
import HeraldClient
import HeraldCore
import Testing

@Suite("Subscribing to a run or a project: typed events, resume, end, gap, 204")
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

    @Test(.timeLimit(.minutes(1)))
    func aFinishedRunResumedPastItsEndEndsAt204WithNothing() async throws {
        try await RunningServer.with { server in
            try await Self.post(server, [EventDraft(run: "r1", type: "run.started"), Self.tick(1), EventDraft(run: "r1", type: "run.completed")])
            try await HeraldClient.withClient(baseURL: server.baseURL) { client in
                var items: [RunEvents.Item] = []
                for try await item in client.subscribe(run: "r1", after: 3) { items.append(item) }
                #expect(items.isEmpty, "the server's 204 ends the sequence, with no error and no event")
            }
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func aProjectStreamCarriesTheLogLinesOfTheChosenRunsAndResumesByPosition() async throws {
        try await RunningServer.with { server in
            func log(_ run: String, _ line: String) -> EventDraft {
                EventDraft(project: "p", run: run, type: "agent.log", agent: "w", data: Array(#"{"line":"\#(line)"}"#.utf8))
            }
            try await Self.post(server, [
                EventDraft(project: "p", run: "a", type: "run.started", data: Array(#"{"name":"Alpha"}"#.utf8)), log("a", "a1"),
                EventDraft(project: "p", run: "b", type: "run.started"), log("b", "b1"), EventDraft(project: "q", run: "c", type: "run.started"),
            ])
            try await HeraldClient.withClient(baseURL: server.baseURL) { client in
                var iterator = client.subscribe(project: "p", logs: ["b"]).makeAsyncIterator()
                guard case .connected(let connected) = try await iterator.next() else {
                    Issue.record("expected herald.connected first")
                    return
                }
                #expect(connected.runs.map(\.run).sorted() == ["a", "b"])
                #expect(connected.runs.first { $0.run == "a" }?.name == "Alpha")
                var seen: [String] = []
                while seen.count < 3, case .event(let event, let position) = try await iterator.next() {
                    seen.append("\(position):\(event.run):\(event.type)")
                }
                #expect(seen == ["1:a:run.started", "3:b:run.started", "4:b:agent.log"], "a's lines and project q are not carried")

                // Resuming after a position misses nothing across runs.
                try await Self.post(server, [log("b", "b2"), EventDraft(project: "p", run: "a", type: "run.completed")])
                var resumed = client.subscribe(project: "p", logs: ["b"], after: 4).makeAsyncIterator()
                var after: [String] = []
                while after.count < 2, let item = try await resumed.next() {
                    if case .event(let event, let position) = item { after.append("\(position):\(event.type)") }
                }
                #expect(after == ["5:agent.log", "6:run.completed"], "positions count p's events only: q's run.started is not one")
            }
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func aClientForOneProjectNamesItOnRunCalls() async throws {
        try await RunningServer.with { server in
            try await Self.post(server, [EventDraft(project: "p", run: "r1", type: "run.started"), EventDraft(project: "p", run: "r1", type: "my.tick")])
            var inP = HeraldClient.Configuration()
            inP.project = "p"
            var inQ = HeraldClient.Configuration()
            inQ.project = "q"
            let (p, q) = (HeraldClient(baseURL: server.baseURL, configuration: inP), HeraldClient(baseURL: server.baseURL, configuration: inQ))
            #expect(try await p.run("r1").project == "p")
            await #expect(throws: HeraldError.self) { try await q.run("r1") }
            await #expect(throws: HeraldError.self) { try await q.events(run: "r1") }
            try await p.shutdown()
            try await q.shutdown()
        }
    }
}

/// A connection that went silent without closing (a sleeping laptop, a proxy that dropped it) is
/// noticed after the read timeout and resumed: a server that answers one event and then says
/// nothing more is connected to again, with the last id.
@Suite("Subscribing: a silent connection")
struct SilentConnectionTests {
    @Test(.timeLimit(.minutes(1)))
    func aStreamSilentPastTheReadTimeoutIsResumed() async throws {
        let server = try SilentServer()
        defer { server.close() }
        var configuration = HeraldClient.Configuration()
        configuration.readTimeout = .milliseconds(300)
        let client = HeraldClient(baseURL: "http://127.0.0.1:\(server.port)", configuration: configuration)
        let reading = Task {
            for try await _ in client.subscribe(run: "r1") {}
        }
        // A loaded machine can let the read timeout pass before the first event is read; the
        // client then rightly reconnects without an id. From the first resume on, every
        // request must carry it. A connection that sent nothing (opened as the test cancelled
        // the reading task) is no request.
        func resumed(_ requests: [String]) -> [String] {
            Array(requests.filter { !$0.isEmpty }.drop { !$0.lowercased().contains("last-event-id") })
        }
        let deadline = ContinuousClock.now + .seconds(20)
        while resumed(server.requests).count < 2 && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
        reading.cancel()
        _ = await reading.result
        try await client.shutdown()
        let requests = server.requests
        #expect(resumed(requests).count >= 2, "reconnected after each silence: \(requests.count) requests")
        #expect(resumed(requests).allSatisfy { $0.lowercased().contains("last-event-id: 1\r\n") }, "resumed after the event it had: \(requests)")
    }
}

/// A TCP server that answers every request with one SSE event and then keeps the connection
/// open without a byte more, recording the requests.
final class SilentServer: @unchecked Sendable {
    let port: Int
    private let listener: Int32
    private let lock = NSLock()
    private var received: [String] = []
    private var connections: [Int32] = []

    var requests: [String] { lock.withLock { received } }

    init() throws {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, length) == 0 && getsockname(listener, $0, &length) == 0 }
        }
        guard bound, listen(listener, 16) == 0 else { throw TestServerError.didNotStart }
        self.listener = listener
        port = Int(UInt16(bigEndian: address.sin_port))
        Thread.detachNewThread { [self] in acceptLoop() }
    }

    private func acceptLoop() {
        while true {
            let connection = accept(listener, nil, nil)
            guard connection >= 0 else { return }
            var buffer = [UInt8](repeating: 0, count: 4096)
            let count = read(connection, &buffer, buffer.count)
            let request = String(decoding: buffer.prefix(max(count, 0)), as: UTF8.self)
            let answer = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\nid: 1\nevent: my.tick\ndata: {\"id\":\"01J0000000000000000000000A\",\"run\":\"r1\",\"seq\":1,\"type\":\"my.tick\",\"level\":\"action\",\"time\":\"2026-12-06T00:00:00Z\",\"data\":{}}\n\n"
            _ = answer.utf8CString.withUnsafeBufferPointer { write(connection, $0.baseAddress, $0.count - 1) }
            lock.withLock {
                received.append(request)
                connections.append(connection)  // kept open, silent
            }
        }
    }

    func close() {
        shutdown(listener, Int32(SHUT_RDWR))
        Glibc.close(listener)
        for connection in lock.withLock({ connections }) { Glibc.close(connection) }
    }
}
