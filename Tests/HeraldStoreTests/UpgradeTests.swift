import Foundation
import GRDB
import HeraldCore
@testable import HeraldPostgres
import HeraldSQLite
import HeraldTestSupport
import Logging
import PostgresNIO
import Testing

/// A store written by herald 0.9.0 (run names one namespace across projects) opens under
/// runs named within their project with every event kept, and resume tokens given out before
/// the upgrade still resume exactly. The fixtures were made with the 0.9.0 release binary
/// (`Fixtures/make-fixtures.sh`).
@Suite("Upgrading a 0.9.0 store", .timeLimit(.minutes(1)))
struct UpgradeTests {
    /// An event as the old store held it.
    struct OldEvent: Equatable {
        var position: Int64
        var project: String
        var run: String
        var seq: Int64
        var id: String
        var body: [UInt8]
    }

    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    @Test func aSQLiteDataFolderFrom090KeepsEveryEvent() async throws {
        let directory = TestStores.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/herald.sqlite"
        try FileManager.default.copyItem(atPath: Self.fixtures.appendingPathComponent("herald-0.9.0.sqlite").path, toPath: path)
        let before = try await DatabaseQueue(path: path).read { db in
            try Row.fetchAll(
                db, sql: "SELECT e.pos, r.project, r.run, e.seq, e.id, e.body FROM events e JOIN runs r USING (run_key) ORDER BY e.pos"
            ).map { row in
                OldEvent(position: row[0], project: row[1], run: row[2], seq: row[3], id: row[4], body: [UInt8](row[5] as Data))
            }
        }
        try await SQLiteStore(path: path).whileRunning { store in try await Self.checkUpgraded(store, before: before) }
    }

    @Test(.enabled(if: TestStores.postgresRequired)) func aPostgreSQLDatabaseFrom090KeepsEveryEvent() async throws {
        let location = try await TestStores.postgres(for: TestStores.makeTemporaryDirectory())
        let logger = Logger(label: "herald.test")
        let connection = try await PostgresConnection.connect(configuration: try location.connectionConfiguration, id: 1, logger: logger)
        // Schema version 1 as 0.9.0 created it, then the data it held.
        try await connection.query(
            "CREATE TABLE herald_migrations (version INT PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())",
            logger: logger
        )
        for statement in PostgresSchema.migrations[0].statements {
            try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
        }
        try await connection.query("DELETE FROM head", logger: logger)
        let dump = try String(contentsOf: Self.fixtures.appendingPathComponent("herald-0.9.0-postgres.sql"), encoding: .utf8)
        for line in dump.split(separator: "\n") where line.hasPrefix("INSERT INTO") {
            try await connection.query(PostgresQuery(unsafeSQL: String(line)), logger: logger)
        }
        var before: [OldEvent] = []
        let rows = try await connection.query(
            "SELECT e.pos, r.project, r.run, e.seq, e.id, e.body FROM events e JOIN runs r USING (run_key) ORDER BY e.pos", logger: logger
        )
        for try await (position, project, run, seq, id, body) in rows.decode((Int64, String, String, Int64, String, ByteBuffer).self) {
            before.append(OldEvent(position: position, project: project, run: run, seq: seq, id: id, body: Array(body.readableBytesView)))
        }
        try await connection.close()
        try await PostgresStore.withRunning(location) { store in try await Self.checkUpgraded(store, before: before) }
    }

    /// What an upgraded store must show of the fixture's events (three projects, four runs).
    static func checkUpgraded(_ store: any EventStore, before: [OldEvent]) async throws {
        #expect(before.count == 10, "the fixture holds ten events")
        // Every event, read by run and by project stream, byte for byte, where it was.
        var after: [OldEvent] = []
        for project in Set(before.map(\.project)).sorted() {
            let events = try await store.events(project: project, filter: EventFilter(), afterPosition: 0, limit: 100).events
            for event in events {
                #expect(event.projectPosition == event.position, "a project position given out before the upgrade still means the same event")
                after.append(OldEvent(position: event.position, project: event.project, run: event.run, seq: event.seq, id: event.id, body: event.json))
            }
        }
        #expect(after.sorted { $0.position < $1.position } == before)
        for ref in Set(before.map { RunRef(project: $0.project, run: $0.run) }) {
            let run = try #require(try await store.run(ref))
            let page = try await store.events(run: ref, filter: EventFilter(), afterSeq: 0, limit: 100)
            #expect(page.events.map(\.id) == before.filter { $0.project == ref.project && $0.run == ref.run }.map(\.id))
            #expect(run.eventCount == Int64(page.events.count))
        }
        // Causal links and idempotent retries still hold within their project.
        let root = try #require(before.first)
        let effects = try await store.effects(run: RunRef(project: root.project, run: root.run), of: [root.id], limit: 10, maxBytes: 1 << 20)
        #expect(effects.events.map(\.type) == ["tool.call_started"])
        let retry = try await store.append(AppendRequest(drafts: [EventDraft(id: root.id, project: root.project, run: root.run, type: "run.started")]))
        #expect(retry.placements.first?.duplicate == true && retry.placements.first?.seq == 1)
        // A resume token from before the upgrade resumes exactly; new events count on after
        // every old position, so no old token can skip one.
        let acme = try await store.events(project: "acme", filter: EventFilter(), afterPosition: 3, limit: 100).events
        #expect(acme.map(\.projectPosition) == before.filter { $0.project == "acme" && $0.position > 3 }.map(\.position))
        let placed = try await store.append(
            AppendRequest(drafts: [EventDraft(project: "beta", run: "a1", type: "run.started"), EventDraft(project: "acme", run: "a2", type: "x.y")])
        )
        #expect(placed.placements.map(\.seq) == [1, 3], "beta may now use the name acme's run has")
        let last = before.map(\.position).max() ?? 0
        #expect(try await store.lastPosition(project: "beta") == last + 1)
        #expect(try await store.lastPosition(project: "acme") == last + 1)
        let resumed = try await store.events(project: "acme", filter: EventFilter(), afterPosition: last, limit: 10).events
        #expect(resumed.map(\.run) == ["a2"])
    }
}
