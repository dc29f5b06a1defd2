import Foundation
import HeraldClient
import HeraldCore
import Testing

@Suite("Export, then import into a fresh server")
struct ExportImportTests {
    /// Four runs, one of them finished, one in another project and one there under the same name
    /// as one of the default project's, with every optional field used somewhere and enough
    /// events to need several pages and several files.
    static func seed(_ client: HeraldClient) async throws {
        let started = try await client.post([
            EventDraft(run: "big", type: "run.started", data: #"{"name":"the big one","goal":"ünïcode ✓"}"#.bytes),
            EventDraft(project: "p2", run: "other", type: "run.queued"),
        ])
        let cause = started.events[0].id
        var drafts: [EventDraft] = []
        for number in 0..<1200 {
            let agent = "worker-\(number % 3)"
            drafts.append(
                number % 2 == 0
                    ? EventDraft(
                        run: "big",
                        type: "agent.log",
                        agent: agent,
                        turn: Int64(number / 10),
                        data: #"{"line":"line \#(number)","lineNumber":\#(number + 1)}"#.bytes
                    )
                    : EventDraft(
                        run: "big",
                        type: "my.metric",
                        level: .detail,
                        causedBy: [cause],
                        data: #"{"value":\#(number).5,"nested":{"a":[true,null]}}"#.bytes
                    )
            )
        }
        _ = try await client.post(drafts)
        _ = try await client.post([
            EventDraft(run: "done", type: "run.started", time: Timestamp(rfc3339: "2026-01-01T00:00:00.000001Z")),
            EventDraft(run: "done", type: "run.failed", time: Timestamp(rfc3339: "2026-01-01T00:00:09.5Z"), data: #"{"error":"boom"}"#.bytes),
            EventDraft(project: "p2", run: "other", type: "run.started", agent: "solo"),
            EventDraft(project: "p2", run: "big", type: "run.started", data: #"{"name":"p2's own big"}"#.bytes),
        ])
    }

    /// Every run (by project/run) with every event's exact bytes, as the API answers them.
    static func snapshot(_ client: HeraldClient) async throws -> [String: (run: RunSummary, events: [[UInt8]])] {
        var snapshot: [String: (run: RunSummary, events: [[UInt8]])] = [:]
        for run in try await client.allRuns() {
            var events: [[UInt8]] = []
            for try await page in client.eventPages(run: run.run, pageSize: 1000, project: run.project) { events += page.events.map(\.json) }
            snapshot["\(run.project)/\(run.run)"] = (run, events)
        }
        return snapshot
    }

    @Test(.timeLimit(.minutes(1)))
    func importRecreatesEveryEventAndRepeatingItOnlyFindsDuplicates() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }

        // Given: an export of a server in many small files
        let (original, exported) = try await withServer { client in
            try await Self.seed(client)
            let writer = try RotatingJSONLWriter(directory: directory, maxFileBytes: 16 << 10)
            var exporter = EventExporter(client: client)
            exporter.pageSize = 250
            let summary = try await exporter.exportAll(to: writer)
            try writer.close()
            return (try await Self.snapshot(client), summary)
        }
        let files = try JSONLFiles.ordered(in: directory)
        #expect(exported.runs == 4 && exported.events == 1206)
        #expect(files.count > 5)
        let lines = try files.flatMap { try String(contentsOfFile: $0, encoding: .utf8).split(separator: "\n").map { Array($0.utf8) } }
        #expect(Set(lines) == Set(original.values.flatMap(\.events)), "the files hold the API's bytes")

        // When: imported into a fresh server, twice
        let (copy, first, second) = try await withServer { client in
            let importer = EventImporter(client: client)
            let first = try await importer.importFiles([directory])
            let second = try await importer.importFiles([directory])
            return (try await Self.snapshot(client), first, second)
        }

        // Then
        #expect(first.files == files.count && first.events == 1206 && first.accepted == 1206 && first.duplicates == 0)
        #expect(first.requests >= 3, "500 lines a request")
        #expect(second.accepted == 0 && second.duplicates == 1206)
        #expect(Set(copy.keys) == ["default/big", "default/done", "p2/other", "p2/big"])
        for (name, expected) in original {
            let actual = try #require(copy[name])
            #expect(actual.events == expected.events, "run \(name): same ids, seqs, times and bytes")
            #expect(actual.run == expected.run, "run \(name): same status, name, times, counts and agents")
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func keepSeqRefusesAnEventThatWouldLandElsewhere() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try await withServer { client in
            _ = try await client.post([
                EventDraft(run: "r", type: "run.started"), EventDraft(run: "r", type: "thought", data: #"{"content":"a"}"#.bytes),
            ])
            let writer = try RotatingJSONLWriter(directory: directory)
            _ = try await EventExporter(client: client).export(runs: ["r"], to: writer)
            try writer.close()
        }
        try await withServer { client in
            // The target's run already has an event of its own, so the imported ones would move one seq down.
            _ = try await client.post([EventDraft(run: "r", type: "run.started")])
            var importer = EventImporter(client: client)
            importer.keepSeq = true
            let error = try await #require(throws: HeraldError.self) { try await importer.importFiles([directory]) }
            #expect(error.code == .seqConflict)
            #expect(error.message.contains("events.jsonl:1"))
            #expect(try await client.run("r").eventCount == 1, "the refused batch stored nothing")

            importer.keepSeq = false
            let summary = try await importer.importFiles([directory])
            #expect(summary.accepted == 2)
            #expect(try await client.run("r").lastSeq == 3)
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func aRefusedLineIsNamedByFileAndLine() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let file = directory + "/hand-made.jsonl"
        let text = #"{"run":"r","type":"run.started"}"# + "\n" + #"{"run":"r","type":"task.started","data":{}}"# + "\n"
        try text.write(toFile: file, atomically: true, encoding: .utf8)
        try await withServer { client in
            let error = try await #require(throws: HeraldError.self) { try await EventImporter(client: client).importFiles([file]) }
            #expect(error.code == .validationFailed)
            #expect(error.details.contains { $0.index == 1 && $0.field == "data.taskId" && $0.message.hasSuffix("(\(file):2)") })
        }
    }
}
