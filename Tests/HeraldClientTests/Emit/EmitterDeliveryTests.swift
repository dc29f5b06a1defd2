import Foundation
import HeraldClient
import HeraldCore
import Synchronization
import Testing

@Suite("Emitter against a live server")
struct EmitterDeliveryTests {
    /// The `i` of each event of `run` in seq order, checking seqs are gapless.
    static func indices(of run: String, client: HeraldClient) async throws -> [Int] {
        var indices: [Int] = []
        var seq: Int64 = 0
        for try await page in client.eventPages(run: run, pageSize: 1_000) {
            for event in page.events {
                seq += 1
                #expect(event.seq == seq, "gapless seqs in \(run)")
                let data = try JSONSerialization.jsonObject(with: Data(event.data)) as? [String: Any]
                indices.append(try #require(data?["i"] as? Int))
            }
        }
        return indices
    }

    @Test(.timeLimit(.minutes(1)))
    func deliversEveryEventInEmitOrderPerRun() async throws {
        try await RunningServer.with { server in
            let runs = ["a", "b", "c"]

            let counters = try await Emitter.withEmitter(sink: HTTPSink(baseURL: server.baseURL), configuration: .init(run: "a")) { herald in
                for i in 0..<3_000 {
                    herald.emit("my.tick", ["i": .integer(Int64(i))], run: runs[i % 3])
                }
                return herald.counters
            }

            #expect(counters.emitted == 3_000 && counters.dropped == 0)
            try await HeraldClient.withClient(baseURL: server.baseURL) { client in
                for (offset, run) in runs.enumerated() {
                    let indices = try await Self.indices(of: run, client: client)
                    #expect(indices == Array(stride(from: offset, to: 3_000, by: 3)))
                }
            }
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func withEmitterReturnsWithEverythingDelivered() async throws {
        try await RunningServer.with { server in
            let emitter = Emitter(sink: HTTPSink(baseURL: server.baseURL), configuration: .init(run: "r"))

            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await emitter.run() }
                for i in 0..<250 { emitter.emit("my.tick", ["i": .integer(Int64(i))]) }
                await emitter.flush()
                // flush() returned: every event emitted before it is stored.
                #expect(emitter.counters.delivered == 250 && emitter.counters.pending == 0)
                let stored = try await HeraldClient.withClient(baseURL: server.baseURL) { try await $0.run("r").eventCount }
                #expect(stored == 250)

                for i in 250..<500 { emitter.emit("my.tick", ["i": .integer(Int64(i))]) }
                emitter.shutdown()
                try await group.waitForAll()
            }

            // The shutdown delivered what was buffered; later emits are dropped, not lost silently.
            #expect(emitter.counters.delivered == 500)
            #expect(emitter.emit("my.tick", ["i": 500]) == nil)
            #expect(emitter.counters.dropped == 1)
            let indices = try await HeraldClient.withClient(baseURL: server.baseURL) { try await Self.indices(of: "r", client: $0) }
            #expect(indices == Array(0..<500))
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func aServerRestartMidStreamLosesAndDoublesNothing() async throws {
        var server = try await RunningServer.start()
        var configuration = Emitter.Configuration(run: "restart")
        configuration.maxRetryDelay = .milliseconds(200)
        let emitter = Emitter(sink: HTTPSink(baseURL: server.baseURL), configuration: configuration)

        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await emitter.run() }
            func emit(_ range: Range<Int>) async throws {
                for i in range {
                    emitter.emit("my.tick", ["i": .integer(Int64(i))])
                    if i % 50 == 0 { try await Task.sleep(for: .milliseconds(5)) }
                }
            }
            try await emit(0..<400)
            // Stopped with batches in flight; emits go on while nobody listens, held in the buffer.
            await server.stop()
            try await emit(400..<600)
            try await Task.sleep(for: .milliseconds(300))
            server = try await RunningServer.start(port: server.port, dataDirectory: server.dataDirectory)
            try await emit(600..<1_000)
            emitter.shutdown()
            try await group.waitForAll()
        }

        let counters = emitter.counters
        #expect(counters.delivered == 1_000 && counters.failed == 0 && counters.dropped == 0)
        let indices = try await HeraldClient.withClient(baseURL: server.baseURL) { try await Self.indices(of: "restart", client: $0) }
        #expect(indices == Array(0..<1_000), "every emit stored exactly once, in emit order")
        await server.stop()
    }

    @Test(.timeLimit(.minutes(1)))
    func aBatchRetriedAfterALostAnswerIsStoredOnce() async throws {
        try await RunningServer.with { server in
            // Delivers every batch, then reports the first two as failed: the answer "got lost".
            let sink = AnswerLosingSink(inner: HTTPSink(baseURL: server.baseURL), losses: 2)
            var configuration = Emitter.Configuration(run: "idempotent")
            configuration.initialRetryDelay = .milliseconds(10)

            let counters = try await Emitter.withEmitter(sink: sink, configuration: configuration) { herald in
                for i in 0..<100 { herald.emit("my.tick", ["i": .integer(Int64(i))]) }
                await herald.flush()
                return herald.counters
            }

            #expect(sink.deliveries > sink.batches, "some batches were delivered more than once")
            #expect(counters.delivered == 100 && counters.failed == 0)
            let indices = try await HeraldClient.withClient(baseURL: server.baseURL) { try await Self.indices(of: "idempotent", client: $0) }
            #expect(indices == Array(0..<100))
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func neverBlocksWhenTheServerIsDown() async throws {
        // Nobody listens on this port: bind one, note it, close it.
        let server = try await RunningServer.start()
        let port = server.port
        await server.stop()
        var configuration = Emitter.Configuration(run: "down")
        configuration.bufferCapacity = 100
        configuration.maxBatchSize = 10
        configuration.shutdownTimeout = .milliseconds(300)
        let emitter = Emitter(sink: HTTPSink(baseURL: "http://127.0.0.1:\(port)"), configuration: configuration)

        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await emitter.run() }
            var accepted = 0
            for i in 0..<10_000 where emitter.emit("my.tick", ["i": .integer(Int64(i))]) != nil { accepted += 1 }
            // The buffer took 100 (plus at most one batch the drainer holds); the rest were refused at once.
            let counters = emitter.counters
            #expect(counters.emitted == accepted && counters.emitted + counters.dropped == 10_000)
            #expect(accepted >= 100 && accepted <= 110)
            emitter.shutdown()
            try await group.waitForAll()
        }

        // The shutdown gave up after its timeout and says so.
        let counters = emitter.counters
        #expect(counters.delivered == 0 && counters.failed == counters.emitted && counters.pending == 0)
    }

    @Test(.timeLimit(.minutes(1)))
    func refusedAndUnencodableEventsAreCountedAndTheRestDelivered() async throws {
        try await RunningServer.with { server in
            struct Broken: Encodable, Sendable {
                func encode(to encoder: any Encoder) throws { throw EncodingError.invalidValue(0, .init(codingPath: [], debugDescription: "no")) }
            }

            let counters = try await Emitter.withEmitter(sink: HTTPSink(baseURL: server.baseURL), configuration: .init(run: "mixed")) { herald in
                herald.emit("my.tick", ["i": 0])
                herald.progress(step: "s1", percent: 150)  // 422: percent must be 0…100
                herald.emit("my.tick", ["i": 1])
                herald.emit("my.tick", ["i": .number(.nan)])  // not JSON
                herald.emit("my.tick", payload: Broken())  // its encoder throws
                herald.emit("my.tick", ["not", "an", "object"])  // data must be an object
                herald.emit("my.tick", payload: ["i": 2])
                await herald.flush()
                return herald.counters
            }

            #expect(counters.emitted == 7 && counters.delivered == 3 && counters.failed == 4, "\(counters)")
            let indices = try await HeraldClient.withClient(baseURL: server.baseURL) { try await Self.indices(of: "mixed", client: $0) }
            #expect(indices == [0, 1, 2])
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func anEventOfAFinishedRunIsRefusedAndTheOthersGoOn() async throws {
        try await RunningServer.with { server in

            let counters = try await Emitter.withEmitter(sink: HTTPSink(baseURL: server.baseURL), configuration: .init(run: "done")) { herald in
                herald.runCompleted()
                herald.emit("my.tick", ["i": 0])  // 409 run_finished
                herald.emit("my.tick", ["i": 1], run: "other")
                await herald.flush()
                return herald.counters
            }

            #expect(counters.delivered == 2 && counters.failed == 1, "\(counters)")
            let indices = try await HeraldClient.withClient(baseURL: server.baseURL) { try await Self.indices(of: "other", client: $0) }
            #expect(indices == [1])
        }
    }
}

/// Passes batches on, then throws for the first `losses` of them as if the answer was lost.
final class AnswerLosingSink: EventSink {
    let inner: any EventSink
    private let state: Mutex<(losses: Int, deliveries: Int, batches: Set<String>)>

    init(inner: any EventSink, losses: Int) {
        self.inner = inner
        self.state = Mutex((losses, 0, []))
    }

    var deliveries: Int { state.withLock { $0.deliveries } }
    /// Distinct batches (by first id).
    var batches: Int { state.withLock { $0.batches.count } }

    struct LostAnswer: Error {}

    func deliver(_ batch: [EventDraft]) async throws {
        try await inner.deliver(batch)
        let lose = state.withLock { state in
            state.deliveries += 1
            state.batches.insert(batch.first?.id ?? "")
            defer { state.losses -= 1 }
            return state.losses > 0
        }
        if lose { throw LostAnswer() }
    }

    func close() async throws { try await inner.close() }
}
