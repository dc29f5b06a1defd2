import Foundation
import HeraldClient
import HeraldCore
import HeraldSQLite
import Testing

@Suite("Sinks: JSON lines, rotating files, in-process store")
struct SinkTests {
    static let time = Timestamp(rfc3339: "2026-11-22T14:20:05.123456Z")!

    static func draft(_ number: Int, run: String = "r1") -> EventDraft {
        EventDraft(
            id: "01JD000000000000000000000\(number % 10)", run: run, type: "agent.log", time: time, agent: "w1",
            data: Array(#"{"line":"line \#(number)"}"#.utf8)
        )
    }

    @Test func jsonLinesAreByteExactImportableEvents() async throws {
        let path = try temporaryDirectory() + "/out.jsonl"
        FileManager.default.createFile(atPath: path, contents: nil)
        let handle = try #require(FileHandle(forWritingAtPath: path))
        let sink = JSONLinesSink(descriptor: handle.fileDescriptor)

        try await sink.deliver([
            Self.draft(1),
            EventDraft(
                id: "01JD0000000000000000000009", project: "p", run: "r2", type: "step.progress", level: .state, time: Self.time,
                turn: 4, causedBy: ["01JD0000000000000000000001"], data: Array("{\n \"stepId\": \"s\", \"percent\": 5\n}".utf8)
            ),
        ])
        try handle.close()

        let expected = """
            {"id":"01JD0000000000000000000001","run":"r1","type":"agent.log","time":"2026-11-22T14:20:05.123456Z","agent":"w1","data":{"line":"line 1"}}
            {"id":"01JD0000000000000000000009","project":"p","run":"r2","type":"step.progress","level":"state","time":"2026-11-22T14:20:05.123456Z","turn":4,"causedBy":["01JD0000000000000000000001"],"data":{"stepId":"s","percent":5}}

            """
        #expect(String(decoding: try Data(contentsOf: URL(fileURLWithPath: path)), as: UTF8.self) == expected)
    }

    @Test func theFileSinkWritesTheSameBytesAndRotatesBetweenLines() async throws {
        let directory = try temporaryDirectory()
        let line = Array(Self.draft(1).json) + [0x0A]
        // Room for exactly two lines per file.
        let writer = try RotatingJSONLWriter(directory: directory, maxFileBytes: line.count * 2) { Self.time }
        let sink = FileSink(writer: writer)

        try await sink.deliver([Self.draft(1), Self.draft(2), Self.draft(3)])
        try await sink.deliver([Self.draft(4)])
        try await sink.close()

        let files = try JSONLFiles.ordered(in: directory)
        let contents = try files.map { Array(try Data(contentsOf: URL(fileURLWithPath: $0))) }
        let expected = (1...4).map { Array(Self.draft($0).json) + [0x0A] }
        #expect(contents == [expected[0] + expected[1], expected[2] + expected[3]])
        #expect(files.last?.hasSuffix("/events.jsonl") == true)
    }

    @Test func anEmitterWritesOneLinePerEventToStandardOutputFormat() async throws {
        // The same sink an emitter without a server uses: one `{"id",…,"type",…,"time",…,"data"}` per line.
        let directory = try temporaryDirectory()
        let path = directory + "/stdout.jsonl"
        FileManager.default.createFile(atPath: path, contents: nil)
        let handle = try #require(FileHandle(forWritingAtPath: path))
        let ids = try await Emitter.withEmitter(sink: JSONLinesSink(descriptor: handle.fileDescriptor), configuration: .init(run: "r1")) { herald in
            [herald.taskStarted("t1"), herald.thought("hmm", agent: "a")]
        }
        try handle.close()

        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 2)
        let first = try #require(JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])
        #expect(first["id"] as? String == ids[0]?.description && first["type"] as? String == "task.started" && first["run"] as? String == "r1")
        #expect((first["data"] as? [String: String]) == ["taskId": "t1"])
        #expect((first["time"] as? String).flatMap(Timestamp.init(rfc3339:)) != nil)
        let records = try lines.map { try EventParser().parse(Array($0.utf8), format: .json) }
        #expect(records.map { $0[0].type } == ["task.started", "thought"])
    }

    @Test func rotatedFilesHoldWholeLinesAndImportInOrder() async throws {
        let directory = try temporaryDirectory()
        // A line here is about 150 bytes: rotate every 5 lines or so.
        var tick: Int64 = 0
        let writer = try RotatingJSONLWriter(directory: directory, prefix: "events", maxFileBytes: 800) {
            tick += 1
            return Timestamp(microseconds: SinkTests.time.microseconds + tick)
        }
        var configuration = Emitter.Configuration(run: "filed", agent: "w1")
        configuration.maxBatchSize = 7
        try await Emitter.withEmitter(sink: FileSink(writer: writer), configuration: configuration) { herald in
            for number in 1...60 { herald.log("line \(number)", lineNumber: number) }
        }

        let files = try JSONLFiles.ordered(in: directory)
        #expect(files.count > 5)
        var numbers: [Int] = []
        for file in files {
            let text = try String(contentsOfFile: file, encoding: .utf8)
            #expect(text.hasSuffix("\n") && text.utf8.count <= 800, "whole lines, under the threshold: \(file)")
            for line in text.split(separator: "\n") {
                let event = try #require(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
                numbers.append(try #require((event["data"] as? [String: Any])?["lineNumber"] as? Int))
            }
        }
        #expect(numbers == Array(1...60))

        // `herald import DIRECTORY` loads them back in order.
        try await withServer { client in
            let summary = try await EventImporter(client: client).importFiles([directory])
            #expect(summary.files == files.count && summary.accepted == 60)
            var imported: [Int] = []
            for try await page in client.eventPages(run: "filed") {
                for event in page.events {
                    let data = try JSONSerialization.jsonObject(with: Data(event.data)) as? [String: Any]
                    imported.append(try #require(data?["lineNumber"] as? Int))
                }
            }
            #expect(imported == Array(1...60))
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func aStoreSinkFeedsAnEmbeddedServersLiveStreams() async throws {
        // A Swift server embedding Herald: its own store, served by the Herald application.
        let directory = try temporaryDirectory()
        let store = try SQLiteStore(path: directory + "/herald.sqlite")
        let server = try await RunningServer.start(dataDirectory: directory, store: store)
        try await HeraldClient.withClient(baseURL: server.baseURL) { client in
            var configuration = Emitter.Configuration(run: "embedded", agent: "w1")
            configuration.linger = .zero
            let received = try await Emitter.withEmitter(sink: StoreSink(store: store), configuration: configuration) { herald in
                herald.runStarted(name: "in-process")
                async let read: [String] = {
                    var types: [String] = []
                    for try await item in client.subscribe(run: "embedded") {
                        if case .event(let event) = item { types.append(event.type) }
                    }
                    return types
                }()
                for number in 1...5 {
                    herald.log("line \(number)")
                    try await Task.sleep(for: .milliseconds(10))
                }
                herald.progress(step: "s", percent: 101)  // refused by the same checks as HTTP ingest
                herald.runCompleted()
                return try await read
            }
            #expect(received == ["run.started"] + Array(repeating: "agent.log", count: 5) + ["run.completed"])
        }
        await server.stop()
    }
}
