import Foundation
import HeraldClient
import HeraldCore
import Testing

@Suite("RotatingJSONLWriter")
struct RotatingJSONLWriterTests {
    /// A clock that never moves: every rotation happens "in the same microsecond".
    static let frozen = Timestamp(rfc3339: "2026-03-04T05:06:07.123456Z")!

    /// A line of exactly `length` bytes that starts with its number (the writer does not care whether lines are JSON).
    static func line(_ number: Int, length: Int) -> [UInt8] {
        let digits = Array(String(number).utf8)
        return digits + [UInt8](repeating: UInt8(ascii: "x"), count: max(0, length - digits.count))
    }

    static func contents(_ directory: String, prefix: String = "events") throws -> [[UInt8]] {
        try JSONLFiles.ordered(in: directory, prefix: prefix).map { Array(try Data(contentsOf: URL(fileURLWithPath: $0))) }
    }

    /// What greedy packing must produce: a line starts a new file exactly when it would take a non-empty file past the limit.
    static func expectedFiles(_ lines: [[UInt8]], limit: Int) -> [[UInt8]] {
        var files: [[UInt8]] = [[]]
        for line in lines {
            if !files[files.count - 1].isEmpty && files[files.count - 1].count + line.count + 1 > limit { files.append([]) }
            files[files.count - 1] += line + [0x0A]
        }
        return files
    }

    @Test func filesAreFilledUpToTheLimitAndNeverSplitALine() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // Lengths chosen to hit the limit exactly, fall one short, and pass it by one.
        let lengths = [39, 59, 30, 30, 38, 1, 99, 50, 49, 20, 79, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10]
        let lines = lengths.enumerated().map { Self.line($0.offset, length: $0.element) }
        #expect(lines.map(\.count) == lengths)

        let writer = try RotatingJSONLWriter(directory: directory, maxFileBytes: 100, bufferCapacity: 16, clock: { Self.frozen })
        for line in lines { try writer.write(line) }
        try writer.close()

        let files = try Self.contents(directory)
        #expect(files == Self.expectedFiles(lines, limit: 100))
        #expect(files.count > 5)
        #expect(files.allSatisfy { $0.count <= 100 && $0.last == 0x0A })
        #expect(files.joined().split(separator: 0x0A).map(Array.init) == lines, "every line, whole and in order")
    }

    @Test func aLineThatExactlyFillsTheFileStaysInIt() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let writer = try RotatingJSONLWriter(directory: directory, maxFileBytes: 64, clock: { Self.frozen })
        try writer.write(Self.line(1, length: 31))
        try writer.write(Self.line(2, length: 31))
        #expect(writer.liveFileBytes == 64)
        try writer.write(Self.line(3, length: 1))
        try writer.close()
        #expect(try Self.contents(directory).map(\.count) == [64, 2])
    }

    @Test func aLineLargerThanTheLimitGetsAFileOfItsOwn() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let writer = try RotatingJSONLWriter(directory: directory, maxFileBytes: 50, clock: { Self.frozen })
        let big = Self.line(2, length: 120)
        try writer.write(Self.line(1, length: 20))
        try writer.write(big)
        try writer.write(Self.line(3, length: 20))
        try writer.close()
        let files = try Self.contents(directory)
        #expect(files.map(\.count) == [21, 121, 21])
        #expect(files[1] == big + [0x0A])
    }

    @Test func rotatedNamesAreTimestampedUniqueAndSortable() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let writer = try RotatingJSONLWriter(directory: directory, prefix: "log", maxFileBytes: 10, clock: { Self.frozen })
        for number in 0..<4 { try writer.write("{\"n\":\(number)}".utf8) }
        try writer.close()

        let names = try JSONLFiles.ordered(in: directory, prefix: "log").map { ($0 as NSString).lastPathComponent }
        #expect(
            names == [
                "log-20260304T050607.123456Z.jsonl", "log-20260304T050607.123457Z.jsonl", "log-20260304T050607.123458Z.jsonl", "log.jsonl",
            ]
        )
        #expect(try Self.contents(directory, prefix: "log").map { String(decoding: $0, as: UTF8.self) } == (0..<4).map { "{\"n\":\($0)}\n" })
    }

    @Test func reopeningContinuesAfterTheNewestRotatedFile() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let first = try RotatingJSONLWriter(directory: directory, maxFileBytes: 10, clock: { Self.frozen })
        try first.write("{\"n\":1}".utf8)
        try first.write("{\"n\":2}".utf8)
        try first.close()

        // A clock stepped back must not produce a name that sorts before the files already there.
        let earlier = Timestamp(microseconds: Self.frozen.microseconds - 60_000_000)
        let second = try RotatingJSONLWriter(directory: directory, maxFileBytes: 10, clock: { earlier })
        #expect(second.liveFileBytes == 8)
        try second.write("{\"n\":3}".utf8)
        try second.close()
        let text = try Self.contents(directory).map { String(decoding: $0, as: UTF8.self) }
        #expect(text == ["{\"n\":1}\n", "{\"n\":2}\n", "{\"n\":3}\n"])
    }

    @Test func aLineTornByACrashIsCutWhenTheFileIsOpenedAgain() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let writer = try RotatingJSONLWriter(directory: directory)
        try writer.write("{\"n\":1}".utf8)
        try writer.close()
        let handle = try #require(FileHandle(forWritingAtPath: writer.livePath))
        handle.seekToEndOfFile()
        handle.write(Data("{\"n\":2,\"trunc".utf8))
        handle.closeFile()

        let reopened = try RotatingJSONLWriter(directory: directory)
        #expect(reopened.liveFileBytes == 8)
        try reopened.write("{\"n\":3}".utf8)
        try reopened.close()
        #expect(try Self.contents(directory) == [Array("{\"n\":1}\n{\"n\":3}\n".utf8)])
    }

    @Test func aLineWithANewlineInsideIsRefused() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let writer = try RotatingJSONLWriter(directory: directory)
        #expect(throws: JSONLFileError.self) { try writer.write("{\"a\":1}\n{\"b\":2}".utf8) }
        try writer.write("{\"a\":1}\n".utf8)
        try writer.close()
        #expect(try Self.contents(directory) == [Array("{\"a\":1}\n".utf8)])
    }
}
