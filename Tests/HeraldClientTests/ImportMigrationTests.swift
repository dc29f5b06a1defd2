import Foundation
import HeraldClient
import HeraldCore
import Synchronization
import Testing

/// `herald import` of files a team wrote before Herald: any names, any order.
@Suite("Import for migrations", .timeLimit(.minutes(1)))
struct ImportMigrationTests {
    static func write(_ lines: [String], to path: String) throws {
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
    }

    static func types(_ run: String, _ client: HeraldClient) async throws -> [String] {
        try await client.events(run: run).events.map(\.type)
    }

    @Test func aFolderWarnsAboutTheJSONLFilesItDoesNotRead() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try Self.write([#"{"run":"r","type":"a.one"}"#], to: directory + "/events.jsonl")
        try Self.write([#"{"run":"r","type":"a.two"}"#], to: directory + "/events_20250101_120000.jsonl")
        try Self.write([#"{"run":"r","type":"a.three"}"#], to: directory + "/notes.jsonl")
        try "not jsonl".write(toFile: directory + "/README.txt", atomically: true, encoding: .utf8)
        try await withServer { client in
            let warnings = Mutex<[String]>([])
            let summary = try await EventImporter(client: client).importFiles([directory], warn: { text in warnings.withLock { $0.append(text) } })
            #expect(summary.events == 1)
            let told = warnings.withLock { $0 }
            #expect(told.count == 2, "\(told)")
            #expect(told.contains { $0.hasPrefix(directory + "/events_20250101_120000.jsonl is not read") })
            #expect(told.contains { $0.hasPrefix(directory + "/notes.jsonl is not read") })
            #expect(try await Self.types("r", client) == ["a.one"])
        }
    }

    @Test func filesGivenNewestFirstAreReadOldestFirst() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // Rotated by a writer of its own: the older file, then the live one, which ends the run.
        try Self.write([
            #"{"run":"sim","type":"run.started","time":"2026-01-01T10:00:00Z"}"#,
            #"{"run":"sim","type":"work.one","time":"2026-01-01T10:00:01Z"}"#,
        ], to: directory + "/events_20260101_100000.jsonl")
        try Self.write([
            #"{"run":"sim","type":"work.two","timestamp":"2026-01-01T11:00:00+00:00"}"#,
            #"{"run":"sim","type":"run.completed","timestamp":"2026-01-01T11:00:01+00:00"}"#,
        ], to: directory + "/events.jsonl")
        try await withServer { client in
            let summary = try await EventImporter(client: client).importFiles([directory + "/events.jsonl", directory + "/events_20260101_100000.jsonl"])
            #expect(summary.accepted == 4)
            #expect(try await Self.types("sim", client) == ["run.started", "work.one", "work.two", "run.completed"])
            #expect(try await client.run("sim").status == .completed)
        }
    }

    @Test func filesAreOrderedByTheTimeInTheirIdsWhenTheyCarryNoTime() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let ids = ULIDGenerator()
        let (early, late) = (ids.next(at: Timestamp(rfc3339: "2026-01-01T00:00:00Z")!), ids.next(at: Timestamp(rfc3339: "2026-01-02T00:00:00Z")!))
        try Self.write([#"{"id":"\#(late)","run":"r","type":"x.late"}"#], to: directory + "/b.jsonl")
        try Self.write([#"{"id":"\#(early)","run":"r","type":"run.started"}"#], to: directory + "/a.jsonl")
        try await withServer { client in
            _ = try await EventImporter(client: client).importFiles([directory + "/b.jsonl", directory + "/a.jsonl"])
            #expect(try await client.events(run: "r").events.map(\.id) == [early, late])
        }
    }

    @Test func aRunsEndIsPostedAfterEveryOtherLineSoOlderFilesAreNotStranded() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // Nothing says when these happened: the files are read as given, the newer first.
        try Self.write([#"{"run":"r","type":"work.late"}"#, #"{"run":"r","type":"run.completed"}"#, #"{"run":"s","type":"x.y"}"#], to: directory + "/newer.jsonl")
        try Self.write([#"{"run":"r","type":"work.early"}"#], to: directory + "/older.jsonl")
        try await withServer { client in
            let summary = try await EventImporter(client: client).importFiles([directory + "/newer.jsonl", directory + "/older.jsonl"])
            #expect(summary.accepted == 4)
            #expect(try await Self.types("r", client) == ["work.late", "work.early", "run.completed"])
        }
    }

    @Test func aRunFinishedByAnEarlierImportIsExplained() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try Self.write([#"{"run":"r","type":"run.completed"}"#], to: directory + "/newer.jsonl")
        try Self.write([#"{"run":"r","type":"work.early"}"#], to: directory + "/older.jsonl")
        try await withServer { client in
            _ = try await EventImporter(client: client).importFiles([directory + "/newer.jsonl"])
            let error = try await #require(throws: HeraldError.self) {
                try await EventImporter(client: client).importFiles([directory + "/older.jsonl"])
            }
            #expect(error.code == .runFinished)
            #expect(error.message.contains("import every file of a run in one herald import"), "\(error.message)")
        }
    }
}

extension ImportMigrationTests {
    @Test func aTimeWithoutAnOffsetIsReadInTheImportersZone() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try Self.write([
            #"{"run":"py","type":"task_started","data":{"task_id":"t1"},"timestamp":"2026-12-06T16:20:30.123456"}"#,
            #"{"run":"py","type":"thought","data":{"text":"hm"},"time":"2026-12-06T16:20:31Z"}"#,
        ], to: directory + "/stream.jsonl")
        try await withServer { client in
            var importer = EventImporter(client: client)
            importer.timeZone = TimeZone(identifier: "America/New_York")!
            _ = try await importer.importFiles([directory + "/stream.jsonl"])
            let times = try await client.events(run: "py").events.map(\.time.rfc3339)
            #expect(times == ["2026-12-06T21:20:30.123456Z", "2026-12-06T16:20:31.000000Z"])
        }
    }
}
