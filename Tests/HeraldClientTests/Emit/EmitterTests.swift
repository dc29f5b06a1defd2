import Foundation
import HeraldClient
import HeraldCore
import Synchronization
import Testing

@Suite("Emitter: verbosity, overflow, payloads, vocabulary helpers")
struct EmitterTests {
    /// Runs `body` with an emitter into a ``CollectingSink`` and answers what it delivered.
    static func collect(
        _ configuration: Emitter.Configuration = .init(run: "r1", agent: "a1"), _ body: (Emitter) async throws -> Void
    ) async throws -> [EventDraft] {
        let sink = CollectingSink()
        try await Emitter.withEmitter(sink: sink, configuration: configuration) { try await body($0) }
        return sink.drafts
    }

    @Test func anEmitterAtActionSendsNoStateOrDetailAndDoesNotBuildTheirPayloads() async throws {
        let built = Atomic<Int>(0)
        func payload() -> JSONValue {
            built.add(1, ordering: .relaxed)
            return ["k": "v"]
        }
        var configuration = Emitter.Configuration(run: "r1", agent: "a1", verbosity: .action)
        configuration.linger = .zero
        let sink = CollectingSink()
        let counters = try await Emitter.withEmitter(sink: sink, configuration: configuration) { herald in
            herald.emit("state", payload(), level: .state)
            herald.emit("detail", payload())
            herald.emit("thought", payload())  // detail by default
            herald.emit("my.custom", payload())  // action by default
            herald.emit("decision", payload())
            herald.emit("run.started", payload())
            herald.emit("system.alert", payload())
            herald.emit("my.verbose", payload(), level: .detail)
            await herald.flush()
            return herald.counters
        }

        #expect(sink.drafts.map(\.type) == ["my.custom", "decision", "run.started", "system.alert"])
        #expect(built.load(ordering: .relaxed) == 4, "filtered-out payloads are never built")
        #expect(counters.filtered == 4 && counters.emitted == 4 && counters.delivered == 4)
    }

    @Test func idsTimeAndEnvelopeAreSetAtEmitTime() async throws {
        let before = Timestamp.now()
        var ids: [EventID?] = []
        let drafts = try await Self.collect { herald in
            ids.append(herald.emit("my.thing", ["x": 1], turn: 3, causedBy: [EventID("01JAAAAAAAAAAAAAAAAAAAAAAA")!]))
            ids.append(herald.emit("my.thing", agent: "other", run: "r2"))
        }
        let after = Timestamp.now()

        #expect(drafts.map(\.id) == ids.map { $0?.description })
        #expect(drafts.allSatisfy { $0.id.map(ULID.isValid) == true })
        #expect(drafts[0].id! < drafts[1].id!, "ids increase in emit order")
        #expect(drafts.allSatisfy { $0.time.map { $0 >= before && $0 <= after } == true })
        #expect(drafts[0].run == "r1" && drafts[0].agent == "a1" && drafts[0].turn == 3)
        #expect(drafts[0].causedBy == ["01JAAAAAAAAAAAAAAAAAAAAAAA"] && drafts[0].data == Array(#"{"x":1}"#.utf8))
        #expect(drafts[1].run == "r2" && drafts[1].agent == "other" && drafts[1].data == Array("{}".utf8))
    }

    @Test func encodablePayloadsAreEncodedAsObjects() async throws {
        struct Usage: Encodable, Sendable {
            var prompt: Int
            var model: String
        }
        let drafts = try await Self.collect { herald in
            herald.emit("llm.usage", payload: Usage(prompt: 12, model: "m"))
        }
        let object = try JSONSerialization.jsonObject(with: Data(drafts[0].data)) as? [String: Any]
        #expect(object?["prompt"] as? Int == 12 && object?["model"] as? String == "m")
    }

    @Test(.timeLimit(.minutes(1)))
    func theBlockPolicyWaitsForRoomThenDrops() async throws {
        let gate = GatedSink()
        var configuration = Emitter.Configuration(run: "r1")
        configuration.bufferCapacity = 4
        configuration.maxBatchSize = 4
        configuration.overflow = .block(timeout: .milliseconds(50))
        let emitter = Emitter(sink: gate, configuration: configuration)

        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await emitter.run() }
            // The first event goes to the sink and waits at the gate; 3 more make 4 pending, the capacity.
            emitter.emit("my.tick")
            while gate.waiting == 0 { try await Task.sleep(for: .milliseconds(1)) }
            for _ in 0..<3 { #expect(emitter.emit("my.tick") != nil) }

            let clock = ContinuousClock()
            let start = clock.now
            let refused = emitter.emit("my.tick")
            let waited = clock.now - start

            #expect(refused == nil && emitter.counters.dropped == 1)
            #expect(waited >= .milliseconds(50), "the emit waited for room before dropping")
            gate.open()
            emitter.shutdown()
            try await group.waitForAll()
        }
        #expect(emitter.counters.delivered == 4)
    }

    @Test(.timeLimit(.minutes(1)))
    func cancellingTheEmitterStopsItAndCountsWhatIsLeft() async throws {
        let gate = GatedSink()  // never opens: the first delivery hangs until cancelled
        let emitter = Emitter(sink: gate, configuration: .init(run: "r1"))
        let running = Task { try await emitter.run() }
        for _ in 0..<10 { emitter.emit("my.tick") }
        while gate.waiting == 0 { try await Task.sleep(for: .milliseconds(1)) }
        for _ in 0..<5 { emitter.emit("my.tick") }

        running.cancel()
        try await running.value
        await emitter.flush()  // returns at once: the emitter has stopped

        let counters = emitter.counters
        #expect(emitter.emit("my.tick") == nil, "a stopped emitter accepts nothing")
        #expect(counters.emitted == 15 && counters.delivered == 0 && counters.failed == 15 && counters.pending == 0)
    }

    @Test(.timeLimit(.minutes(1)))
    func aCancelledFlushReturnsAndTheEventsAreStillDelivered() async throws {
        let gate = GatedSink()
        try await Emitter.withEmitter(sink: gate, configuration: .init(run: "r1")) { herald in
            herald.emit("my.tick")
            let flushing = Task { await herald.flush() }
            while gate.waiting == 0 { try await Task.sleep(for: .milliseconds(1)) }
            flushing.cancel()
            await flushing.value
            #expect(herald.counters.pending == 1)
            gate.open()
        }
    }

    @Test func everyBuiltInTypeHasAHelperWhoseEventsTheServerAccepts() async throws {
        let drafts = try await Self.collect { herald in
            herald.runQueued(name: "n")
            herald.runStarted(name: "n", goal: "g")
            herald.turnStarted(1)
            herald.turnEnded(1)
            herald.phaseTransition(from: "a", to: "b")
            herald.decision("route", from: "x", to: ["y"], reason: "r")
            herald.action("call", payload: ["a": 1])
            herald.stateChange("v", from: .null, to: 2, scope: "run")
            herald.detail("sum", values: [1, 2])
            herald.system("error", errorType: "Timeout", status: "failed", retryCount: 2, message: "m")
            herald.system("note")
            herald.taskStarted("t", title: "T")
            herald.taskCompleted("t", result: ["ok": true])
            herald.taskFailed("t2", error: "e")
            herald.taskStatusChanged("t", from: "a", to: "b")
            herald.subtaskStatusChanged(task: "t", subtask: "s", from: "a", to: "b")
            herald.subtaskUnblocked(task: "t", subtask: "s", by: "s0")
            herald.stepQueued("s", label: "l")
            herald.stepStarted("s")
            herald.progress(step: "s", percent: 42.5, label: "l")
            herald.stepCompleted("s", tokensUsed: 10, artifactId: "a")
            herald.stepFailed("s2", code: "c", message: "m")
            herald.agentStarted(role: "worker")
            herald.log("[12:00:01] hi", lineNumber: 1, logTime: "12:00:01", truncated: false)
            herald.agentCompleted(prUrl: "https://x", summary: "s")
            herald.agentFailed(error: "e", willRetry: true)
            herald.reflection("r")
            herald.thought("t")
            herald.runCompleted(summary: "s")
            herald.runFailed(error: "e", code: "c", run: "r2")
            herald.runCancelled(reason: "r", run: "r3")
            herald.messageStarted("m1", role: "assistant", name: "planner")
            herald.messageDelta("m1", "Hello")
            herald.messageCompleted("m1")
            herald.toolCallStarted("c1", name: "search", parentMessageId: "m1")
            herald.toolCallArgs("c1", #"{"q":"x"}"#)
            herald.toolCallCompleted("c1")
            herald.toolCallResult("c1", messageId: "t1", content: "found")
            herald.stateSnapshot(["done": []])
            herald.stateDelta([["op": "add", "path": "/done/-", "value": "t1"]])
            herald.reasoningStarted("r1")
            herald.reasoningMessageStarted("r1m")
            herald.reasoningDelta("r1m", "because")
            herald.reasoningMessageCompleted("r1m")
            herald.reasoningCompleted("r1")
        }

        let builtins = Set(Vocabulary.rules.keys)
        #expect(builtins.subtracting(drafts.map(\.type)).isEmpty, "a helper for every built-in type")
        // The server's own parser and validation accept every one of them.
        let parsed = try EventParser().parse(drafts.ndjson, format: .ndjson)
        #expect(parsed.count == drafts.count)
        #expect(parsed.first { $0.type == "state" }?.data == Array(#"{"variable":"v","old":null,"new":2,"scope":"run"}"#.utf8))
        #expect(parsed.first { $0.type == "step.progress" }?.data == Array(#"{"stepId":"s","percent":42.5,"label":"l"}"#.utf8))
        #expect(parsed.first { $0.type == "step.started" }?.data == Array(#"{"stepId":"s"}"#.utf8), "unset optionals are left out")
        #expect(parsed.first { $0.type == "system.error" }?.level == .system)
    }
}

/// Holds every delivery until ``open()``.
final class GatedSink: EventSink {
    private let state = Mutex<(open: Bool, waiting: Int)>((false, 0))

    var waiting: Int { state.withLock { $0.waiting } }

    func open() { state.withLock { $0.open = true } }

    func deliver(_ batch: [EventDraft]) async throws {
        state.withLock { $0.waiting += 1 }
        while !state.withLock({ $0.open }) { try await Task.sleep(for: .milliseconds(1)) }
    }
}

@Suite("The README's emitter example")
struct ReadmeExampleTests {
    @Test func theExampleEmitsWhatItSays() async throws {
        let sink = CollectingSink()
        // As in README.md, with a collecting sink for the HTTP one.
        try await Emitter.withEmitter(sink: sink, configuration: .init(run: "nightly-42", agent: "planner")) { herald in
            let plan = herald.decision("plan", to: ["fetch", "summarise"], reason: "two sources")
            herald.taskStarted("t1", title: "Fetch sources", causedBy: plan.map { [$0] } ?? [])
            herald.progress(step: "fetch", percent: 40, label: "3 of 7 pages", agent: "worker-1")
            herald.emit("my.custom.event", ["anything": [1, 2, 3]])
            herald.runCompleted()
        }
        #expect(sink.drafts.map(\.type) == ["decision", "task.started", "step.progress", "my.custom.event", "run.completed"])
        #expect(sink.drafts[1].causedBy == [sink.drafts[0].id!])
        #expect(try EventParser().parse(sink.drafts.ndjson, format: .ndjson).count == 5)
    }
}
