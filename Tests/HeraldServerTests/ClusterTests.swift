import AsyncHTTPClient
import Foundation
import HeraldCore
@testable import HeraldPostgres
import HeraldServer
import HeraldTestSupport
import Synchronization
import Testing

/// Several replicas on one PostgreSQL: what scaling out promises. These need a PostgreSQL
/// server (`HERALD_TEST_POSTGRES_URL`); in CI they fail without one instead of being skipped.
/// One at a time: one of them restarts PostgreSQL.
@Suite("Replicas on one PostgreSQL", .serialized, .enabled(if: TestStores.postgresRequired), .timeLimit(.minutes(2)))
struct ClusterTests {
    /// Runs `body` with `count` in-process replicas sharing one fresh database.
    static func withReplicas(
        _ count: Int = 2, configure: @escaping @Sendable (inout HeraldConfiguration) -> Void = { _ in },
        _ body: @Sendable ([TestServer]) async throws -> Void
    ) async throws {
        let directory = TestServer.makeTemporaryDirectory()
        let location = try await TestStores.postgres(for: directory)
        @Sendable func nest(_ servers: [TestServer]) async throws {
            guard servers.count < count else { return try await body(servers) }
            try await TestServer.with(dataDirectory: directory, configure: { configuration in
                configuration.postgres = location
                configure(&configuration)
            }) { server in try await nest(servers + [server]) }
        }
        try await nest([])
    }

    /// Reads `count` messages, failing after 30 s instead of waiting forever (a response body
    /// being read does not stop when its task is cancelled, so the read is left behind).
    static func messages(_ stream: SSEConnection, _ count: Int) async throws -> [SSEMessage] {
        let outcome = Outcome<[SSEMessage]>()
        return try await withCheckedThrowingContinuation { continuation in
            outcome.wait(continuation)
            Task { outcome.settle(await Result { try await stream.messages(count) }) }
            Task {
                try? await Task.sleep(for: .seconds(30))
                outcome.settle(.failure(TestFailure("fewer than \(count) messages arrived within 30 s")))
            }
        }
    }

    @Test func anEventPublishedOnOneReplicaIsLiveOnTheOther() async throws {
        try await Self.withReplicas { replicas in
            let (a, b) = (replicas[0], replicas[1])
            let stream = try await SSEConnection(b, "/v1/runs/shared/stream?wait=1")
            #expect(stream.status == 200)
            try await a.ingest([#"{"run":"shared","type":"run.started"}"#, #"{"run":"shared","type":"agent.log","agent":"x","data":{"line":"hi"}}"#])
            let received = try await Self.messages(stream, 2)
            #expect(received.map(\.event) == ["run.started", "agent.log"])
            #expect(received.map(\.id) == ["1", "2"])
        }
    }

    /// Producers on both replicas write one run at once; a subscriber on each sees the same
    /// gapless sequence, and the project stream's positions have no hole.
    @Test func concurrentProducersOnBothReplicasGiveEverySubscriberTheSameGaplessSequence() async throws {
        try await Self.withReplicas { replicas in
            let perProducer = 40
            let producers = 3
            let total = perProducer * producers * replicas.count
            let runStreams = try await replicas.asyncMap { try await SSEConnection($0, "/v1/runs/hot/stream?wait=1") }
            let projectStreams = try await replicas.asyncMap { try await SSEConnection($0, "/v1/projects/default/stream?types=x.y") }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for (index, replica) in replicas.enumerated() {
                    for producer in 0..<producers {
                        group.addTask {
                            for event in 0..<perProducer {
                                try await replica.ingest([#"{"run":"hot","type":"x.y","data":{"r":\#(index),"p":\#(producer),"e":\#(event)}}"#])
                            }
                        }
                    }
                }
                try await group.waitAll()
            }
            var sequences: [[String]] = []
            for stream in runStreams {
                let received = try await Self.messages(stream, total)
                #expect(received.map(\.id) == (1...total).map(String.init), "seqs are gapless and in order")
                sequences.append(received.map(\.data))
            }
            #expect(sequences[0] == sequences[1], "both replicas stream the identical sequence")
            for stream in projectStreams {
                // herald.connected first, then the events.
                let positions = try await Self.messages(stream, total + 1).compactMap { $0.id.flatMap(Int.init) }
                #expect(positions == Array(1...total), "project positions have no hole and no repeat")
            }
        }
    }

    @Test func aSubscriberMovesToAnotherReplicaWithLastEventID() async throws {
        try await Self.withReplicas { replicas in
            let (a, b) = (replicas[0], replicas[1])
            try await a.ingest((1...5).map { #"{"run":"move","type":"x.y","data":{"n":\#($0)}}"# })
            let first = try await SSEConnection(a, "/v1/runs/move/stream")
            let before = try await Self.messages(first, 3)
            // Gone after seq 3; meanwhile more arrives through the other replica.
            try await b.ingest((6...8).map { #"{"run":"move","type":"x.y","data":{"n":\#($0)}}"# })
            let second = try await SSEConnection(b, "/v1/runs/move/stream", headers: [("Last-Event-ID", before.last?.id ?? "")])
            let after = try await Self.messages(second, 5)
            #expect((before + after).compactMap { $0.field("seq") } == Array(1...8))
            #expect((before + after).map { message in (try? JSONSerialization.jsonObject(with: Data(message.data.utf8)) as? [String: Any])?["data"] as? [String: Int] }.compactMap { $0?["n"] } == Array(1...8))
        }
    }

    @Test func theLiveStreamLimitHoldsAcrossReplicas() async throws {
        try await Self.withReplicas(configure: { $0.streams.maxConnectionsPerClient = 2 }) { replicas in
            let (a, b) = (replicas[0], replicas[1])
            try await withThrowingTaskGroup(of: Void.self) { group in
                let onA = try await SSEConnection(a, "/v1/runs/r/stream?wait=1")
                let onB = try await SSEConnection(b, "/v1/runs/r/stream?wait=1")
                #expect(onA.status == 200 && onB.status == 200)
                group.addTask { _ = try? await onA.messagesUntilEnd() }
                let third = try await b.get("/v1/runs/r/stream?wait=1")
                #expect(third.status == 429)
                #expect(third.errorCode == "too_many_connections")
                // Closing the stream on a gives its slot back to the cluster.
                group.cancelAll()
            }
            var status = 429
            for _ in 0..<100 where status == 429 {
                try await Task.sleep(for: .milliseconds(50))
                status = try await SSEConnection(b, "/v1/runs/r/stream?wait=1").status
            }
            #expect(status == 200)
        }
    }

    /// `--rate-limit` is one budget for the whole cluster: what a caller spent on one replica is
    /// gone on the other (rate 1/s, so the bucket barely refills during the test).
    @Test func theIngestRateLimitHoldsAcrossReplicas() async throws {
        try await Self.withReplicas(configure: { $0.access.ingestEventsPerSecond = 1; $0.access.ingestBurst = 10 }) { replicas in
            let (a, b) = (replicas[0], replicas[1])
            let batch = "[" + Array(repeating: #"{"run":"r","type":"x.y"}"#, count: 10).joined(separator: ",") + "]"
            let first = try await a.post(batch)
            #expect(first.status == 200, "\(first.text)")
            let second = try await b.post(#"{"run":"r","type":"x.y"}"#)
            #expect(second.status == 429 && second.errorCode == "rate_limited", "\(second.text)")
            #expect(second.headers.first(name: "Retry-After").flatMap(Int.init) ?? 0 >= 1)
        }
    }

    /// A stream ticket issued by one replica opens its stream on another: they sign with the
    /// secret kept in the database.
    @Test func aTicketFromOneReplicaOpensItsStreamOnAnother() async throws {
        try await Self.withReplicas { replicas in
            let (a, b) = (replicas[0], replicas[1])
            _ = try await a.post(#"[{"run":"r","type":"run.started"},{"run":"r","type":"run.completed"}]"#)
            let issued = try await a.request(.POST, "/v1/stream-tickets", body: #"{"run":"r","project":"default"}"#)
            let ticket = try #require(try issued.json["ticket"] as? String, "\(issued.text)")
            let stream = try await b.get("/v1/runs/r/stream?project=default&ticket=\(ticket)")
            #expect(stream.status == 200 && stream.text.contains("event: run.completed"), "\(stream.text)")
        }
    }

    /// Two replicas forgetting the same stopped replica, while streams open and close for the
    /// same callers, never deadlock (each locks the totals first, in one order, then the tallies).
    @Test func forgettingStoppedReplicasDoesNotDeadlockWithStreams() async throws {
        let location = try await TestStores.postgres(for: TestServer.makeTemporaryDirectory())
        try await PostgresStore.withRunning(location) { store in
            let clients = (0..<8).map { "c\($0)" }
            for round in 0..<40 {
                let gone = "gone-\(round)"
                _ = try await store.rows("INSERT INTO replicas (id, seen_at) VALUES ($1, now())", [.text(gone)])
                for client in clients.shuffled() {
                    _ = try await store.rows(
                        "INSERT INTO stream_totals AS t (client, held) VALUES ($1, 1) ON CONFLICT (client) DO UPDATE SET held = t.held + 1",
                        [.text(client)]
                    )
                    _ = try await store.rows("INSERT INTO stream_slots (replica, client, held) VALUES ($1, $2, 1)", [.text(gone), .text(client)])
                }
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for _ in 0..<2 {
                        group.addTask { try await store.forgetReplicas(where: "id = $1", [.text(gone)]) }
                    }
                    for client in clients.shuffled() {
                        group.addTask {
                            try await store.acquireSlot(client: client, limit: 1_000)
                            await store.releaseSlot(client: client)
                        }
                    }
                    try await group.waitForAll()
                }
            }
            let left = try await store.rows("SELECT COALESCE(SUM(held), 0)::BIGINT FROM stream_totals", [])
            #expect(try left.first?.decode(Int64.self) == 0, "every gone replica's streams were subtracted once")
        }
    }

    /// A replica SIGKILLed while producers write through it: every acknowledged event is stored
    /// exactly once, and the surviving replica streamed them live.
    @Test func killingAReplicaUnderLoadLosesNoAcknowledgedEvent() async throws {
        let data = TestServer.makeTemporaryDirectory()
        let location = try await TestStores.postgres(for: data)
        try await TestServer.with(dataDirectory: data, configure: { $0.postgres = location }) { survivor in
            let stream = try await SSEConnection(survivor, "/v1/runs/crash-0/stream?wait=1")
            let victim = try await ChildServer.start(data: data, postgres: location)
            let acknowledged = try await CrashTests.load(victim) { victim.kill() }
            let expected = acknowledged.batches.values.joined().count { _ in true }
            #expect(expected >= 2000)
            // The survivor saw crash-0's events live, gapless (seq = position in its run).
            let runCount = try #require(try await survivor.get("/v1/runs/crash-0").json["eventCount"] as? Int)
            let live = try await Self.messages(stream, runCount)
            #expect(live.compactMap { $0.field("seq") } == Array(1...runCount))
            try await CrashTests.verify(data: data, acknowledged: acknowledged, postgres: location)
        }
    }

    /// PostgreSQL restarts under two replicas: ingest fails while it is down (503, nothing
    /// acknowledged), then both recover; a stream on the other replica delivers what came after.
    @Test func replicasRecoverFromAPostgreSQLRestart() async throws {
        guard let restart = ProcessInfo.processInfo.environment["HERALD_TEST_POSTGRES_RESTART"] else {
            throw TestStoreError("set HERALD_TEST_POSTGRES_RESTART to a command that restarts the test PostgreSQL (.ci/run does)")
        }
        try await Self.withReplicas { replicas in
            let (a, b) = (replicas[0], replicas[1])
            try await a.ingest([#"{"run":"phoenix","type":"x.y","data":{"n":1}}"#])
            var stream = try await SSEConnection(b, "/v1/runs/phoenix/stream")
            var received = try await Self.messages(stream, 1)

            // system(3), not Process: the restarted server inherits the command's output, and
            // Process waits for that to close as well as for the command to exit.
            #expect(system(restart + " >/dev/null 2>&1") == 0, "the restart command failed")

            // Writes go through again once the pool reconnects.
            var accepted = false
            for attempt in 2...200 where !accepted {
                let answer = try await a.post(#"[{"run":"phoenix","type":"x.y","id":"\#(Self.ulid(attempt))","data":{"n":2}}]"#)
                accepted = answer.status == 200
                if !accepted {
                    try #require(answer.status == 503, "a store outage is a 503, not \(answer.status): \(answer.text)")
                    try await Task.sleep(for: .milliseconds(100))
                }
            }
            #expect(accepted)
            try await a.ingest([#"{"run":"phoenix","type":"x.y","data":{"n":3}}"#])
            // The stream on b either carried on (its listener reconnected) or ended; resume it if so.
            while received.count < 3 {
                if let message = try await Self.messages(stream, 1).first {
                    received.append(message)
                } else {
                    stream = try await SSEConnection(b, "/v1/runs/phoenix/stream", headers: [("Last-Event-ID", received.last?.id ?? "0")])
                }
            }
            #expect(received.compactMap { $0.field("seq") } == [1, 2, 3])
        }
    }

    static func ulid(_ n: Int) -> String {
        "01JRESTART" + String(repeating: "0", count: 16 - String(n).count) + String(n)
    }
}

extension ClusterTests {
    /// The resume token's guarantee, tested where it could break (docs/notes/resume-tokens.md):
    /// a tailer reading by position while two stores (two replicas) commit concurrently must
    /// never see a position before a smaller one that commits later.
    @Test func aTailerNeverSkipsALateCommit() async throws {
        let location = try await TestStores.postgres(for: TestServer.makeTemporaryDirectory())
        try await PostgresStore.withRunning(location) { first in
            try await PostgresStore.withRunning(location) { second in
                let writers = 8
                let perWriter = 60
                let total = writers * perWriter
                let observed = [Heard(), Heard()]
                first.observeCommits { events in observed[0].add(events.map(\.position)) }
                second.observeCommits { events in observed[1].add(events.map(\.position)) }
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for writer in 0..<writers {
                        let store: any EventStore = writer % 2 == 0 ? first : second
                        group.addTask {
                            for index in 0..<perWriter {
                                // Several runs and varying batch sizes, so transactions differ in length.
                                let drafts = (0...(index % 3)).map { _ in EventDraft(run: "r\(writer % 3)", type: "x.y") }
                                _ = try await store.append(AppendRequest(drafts: drafts))
                            }
                        }
                    }
                    // A tailer polling by project position the whole time (every event is in
                    // one project): every page it reads must start right after its cursor and
                    // have no hole.
                    group.addTask {
                        var cursor: Int64 = 0
                        var polls = 0
                        while true {
                            let page = try await first.events(project: "default", filter: EventFilter(), afterPosition: cursor, limit: 50).events
                            for event in page {
                                guard event.projectPosition == cursor + 1 else {
                                    throw TestFailure("the tailer skipped from \(cursor) to \(event.projectPosition)")
                                }
                                cursor = event.projectPosition
                            }
                            polls += 1
                            let appended = try await first.lastPosition(project: "default")
                            if page.isEmpty && cursor == appended && polls > 10 && appended >= Int64(total) { return }
                        }
                    }
                    try await group.waitAll()
                }
                let appended = Int(try await first.lastPosition())
                #expect(appended >= total)
                for _ in 0..<500 where observed.contains(where: { $0.positions.count < appended }) {
                    try await Task.sleep(for: .milliseconds(10))
                }
                for heard in observed {
                    #expect(heard.positions == Array(1...Int64(appended)), "each replica hears every commit once, in order")
                }
            }
        }
    }
}

extension Array where Element: Sendable {
    func asyncMap<T: Sendable>(_ transform: @Sendable (Element) async throws -> T) async throws -> [T] {
        var result: [T] = []
        for element in self { result.append(try await transform(element)) }
        return result
    }
}

final class Heard: Sendable {
    private let state = Mutex<[Int64]>([])
    func add(_ positions: [Int64]) { state.withLock { $0 += positions } }
    var positions: [Int64] { state.withLock { $0 } }
}

/// The first result of several racing tasks, handed to one continuation.
final class Outcome<T: Sendable>: Sendable {
    private let state = Mutex<(continuation: CheckedContinuation<T, any Error>?, result: Result<T, any Error>?)>((nil, nil))

    func wait(_ continuation: CheckedContinuation<T, any Error>) {
        state.withLock { $0.continuation = continuation }
    }

    func settle(_ result: Result<T, any Error>) {
        let continuation = state.withLock { state -> CheckedContinuation<T, any Error>? in
            guard state.result == nil else { return nil }
            state.result = result
            return state.continuation
        }
        continuation?.resume(with: result)
    }
}

extension Result where Failure == any Error {
    init(catching body: () async throws -> Success) async {
        do { self = .success(try await body()) } catch { self = .failure(error) }
    }
}
