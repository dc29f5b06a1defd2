import Foundation
import HeraldClient
import Testing

@Suite("Reading rotated JSONL files back")
struct JSONLFilesTests {
    @Test func onlyThePrefixsRotatedFilesAreListedOldestFirstThenTheLiveOne() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        for name in [
            "events.jsonl", "events-20260101T000000.000002Z.jsonl", "events-20251231T235959.999999Z.jsonl",
            "events-20260101T000000.000001Z.jsonl", "other-20260101T000000.000001Z.jsonl", "events-x-20260101T000000.000001Z.jsonl",
            "events-20261301T000000.000001Z.jsonl", "events-20260101T000000.1Z.jsonl", "events.jsonl.bak", "notes.txt",
        ] {
            _ = FileManager.default.createFile(atPath: directory + "/" + name, contents: Data())
        }
        let names = try JSONLFiles.ordered(in: directory, prefix: "events").map { ($0 as NSString).lastPathComponent }
        #expect(
            names == [
                "events-20251231T235959.999999Z.jsonl", "events-20260101T000000.000001Z.jsonl", "events-20260101T000000.000002Z.jsonl",
                "events.jsonl",
            ]
        )
        #expect(try JSONLFiles.ordered(in: directory, prefix: "other").count == 1)
        #expect(throws: JSONLFileError.self) { try JSONLFiles.ordered(in: directory + "/missing") }
    }

    @Test func theLineReaderHandlesLongLinesCRLFAndAMissingFinalNewline() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let long = String(repeating: "y", count: 5000)
        let path = directory + "/lines.jsonl"
        _ = FileManager.default.createFile(atPath: path, contents: Data("a\r\n\n\(long)\nlast".utf8))

        let reader = try JSONLLineReader(path: path, chunkSize: 1024)
        var lines: [String] = []
        while let line = try reader.next() { lines.append(String(decoding: line, as: UTF8.self)) }
        #expect(lines == ["a", "", long, "last"])
        #expect(reader.lineNumber == 4)
        #expect(try reader.next() == nil)
    }
}
