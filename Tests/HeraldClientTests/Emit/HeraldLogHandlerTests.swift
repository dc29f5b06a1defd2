import Foundation
import HeraldClient
import HeraldCore
import Logging
import Synchronization
import Testing

@Suite("swift-log bridge")
struct HeraldLogHandlerTests {
    @Test func levelsMapToHeraldVerbosity() {
        let expected: [Logger.Level: Level] = [
            .trace: .detail, .debug: .detail, .info: .action, .notice: .decision, .warning: .decision, .error: .system, .critical: .system,
        ]
        for (swiftLog, herald) in expected { #expect(HeraldLogHandler.level(for: swiftLog) == herald) }
    }

    @Test func logRecordsBecomeAgentLogEventsWithTheirMetadata() async throws {
        let drafts = try await EmitterTests.collect(.init(run: "r1")) { herald in
            var logger = Logger(label: "planner") { HeraldLogHandler(label: $0, emitter: herald) }
            logger.logLevel = .trace
            logger[metadataKey: "task"] = "t1"
            logger.info("planning", metadata: ["attempt": "2", "tags": ["a", "b"], "ctx": ["k": "v"]])
            logger.trace("fine detail")
            logger.error("boom")
        }

        #expect(drafts.map(\.type) == ["agent.log", "agent.log", "agent.log"])
        #expect(drafts.allSatisfy { $0.agent == "planner" })
        #expect(drafts.map(\.level) == [.action, .detail, .system])
        let first = try #require(JSONSerialization.jsonObject(with: Data(drafts[0].data)) as? [String: Any])
        #expect(first["line"] as? String == "planning" && first["severity"] as? String == "info")
        let metadata = try #require(first["metadata"] as? [String: Any])
        #expect(metadata["task"] as? String == "t1" && metadata["attempt"] as? String == "2")
        #expect(metadata["tags"] as? [String] == ["a", "b"] && (metadata["ctx"] as? [String: String]) == ["k": "v"])
        let last = try #require(JSONSerialization.jsonObject(with: Data(drafts[2].data)) as? [String: Any])
        #expect(last["severity"] as? String == "error" && (last["metadata"] as? [String: String]) == ["task": "t1"], "the logger's own metadata only")
        // The server accepts them as they are.
        #expect(try EventParser().parse(drafts.ndjson, format: .ndjson).count == 3)
    }

    @Test func theEmittersVerbosityAppliesAndItsOwnDeliveryIsNotLogged() async throws {
        // A sink that logs through the bridged logger while delivering, as an HTTP client might.
        let sink = LoggingSink()
        var configuration = Emitter.Configuration(run: "r1", verbosity: .decision)
        configuration.linger = .zero
        try await Emitter.withEmitter(sink: sink, configuration: configuration) { herald in
            sink.logger.withLock { $0 = Logger(label: "sink") { HeraldLogHandler(label: $0, emitter: herald) } }
            let logger = Logger(label: "app") { HeraldLogHandler(label: $0, emitter: herald) }
            logger.info("below the emitter's verbosity")
            logger.warning("kept")
            await herald.flush()
            logger.critical("kept too")
        }
        #expect(sink.collected.drafts.map { String(decoding: $0.data, as: UTF8.self).contains("kept") } == [true, true])
    }
}

/// Collects batches and logs one line per delivery through `logger`.
final class LoggingSink: EventSink {
    let collected = CollectingSink()
    let logger = Mutex<Logger?>(nil)

    func deliver(_ batch: [EventDraft]) async throws {
        logger.withLock { $0 }?.warning("delivering \(batch.count)")
        try await collected.deliver(batch)
    }
}
