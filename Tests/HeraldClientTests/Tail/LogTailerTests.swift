import Foundation
import HeraldClient
import Testing

@Suite("Following a log file")
struct LogTailerTests {
    static func configuration(_ path: String) -> LogTailer.Configuration {
        var configuration = LogTailer.Configuration(path: path)
        configuration.pollInterval = .milliseconds(5)
        configuration.waitTimeout = .seconds(10)
        return configuration
    }

    static func append(_ text: String, to path: String) throws {
        if !FileManager.default.fileExists(atPath: path) { FileManager.default.createFile(atPath: path, contents: nil) }
        let handle = try #require(FileHandle(forWritingAtPath: path))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(text.utf8))
        try handle.close()
    }

    /// Every line until the sentinel, while `write` runs alongside.
    static func lines(_ configuration: LogTailer.Configuration, write: @escaping @Sendable () async throws -> Void = {}) async throws
        -> [LogTailer.Line]
    {
        async let writing: Void = write()
        var lines: [LogTailer.Line] = []
        for try await line in LogTailer(configuration: configuration) { lines.append(line) }
        try await writing
        return lines
    }

    @Test(.timeLimit(.minutes(1)))
    func waitsForTheFileThenFollowsItsGrowthUntilTheSentinel() async throws {
        let path = try temporaryDirectory() + "/agent.log"
        let lines = try await Self.lines(Self.configuration(path)) {
            try await Task.sleep(for: .milliseconds(50))
            try Self.append("[09:15:02] first\r\nsec", to: path)
            try await Task.sleep(for: .milliseconds(30))
            try Self.append("ond\n", to: path)
            try await Task.sleep(for: .milliseconds(30))
            try Self.append("  === Run Complete ===  \nnever read\n", to: path)
        }

        #expect(lines.map(\.text) == ["[09:15:02] first", "second", "  === Run Complete ===  "])
        #expect(lines.map(\.number) == [1, 2, 3])
        #expect(lines.map(\.logTime) == ["09:15:02", nil, nil])
        #expect(lines.map(\.isSentinel) == [false, false, true])
    }

    @Test(.timeLimit(.minutes(1)))
    func aFileThatNeverAppearsIsAnError() async throws {
        var configuration = Self.configuration(try temporaryDirectory() + "/missing.log")
        configuration.waitTimeout = .milliseconds(50)
        await #expect(throws: LogTailer.TailError.self) { _ = try await Self.lines(configuration) }
    }

    @Test(.timeLimit(.minutes(1)))
    func rotationReadsTheOldFileToItsEndThenTheNewOne() async throws {
        let path = try temporaryDirectory() + "/agent.log"
        try Self.append("a1\na2\n", to: path)
        let lines = try await Self.lines(Self.configuration(path)) {
            try await Task.sleep(for: .milliseconds(50))
            try FileManager.default.moveItem(atPath: path, toPath: path + ".1")
            try Self.append("a3 unterminated", to: path + ".1")  // written to the old file after the rename
            try await Task.sleep(for: .milliseconds(30))
            try Self.append("b1\n=== Run Complete ===\n", to: path)
        }
        #expect(lines.map(\.text) == ["a1", "a2", "a3 unterminated", "b1", "=== Run Complete ==="])
        #expect(lines.map(\.number) == [1, 2, 3, 1, 2], "numbers restart in the new file")
    }

    @Test(.timeLimit(.minutes(1)))
    func truncationRestartsAtTheTop() async throws {
        let path = try temporaryDirectory() + "/agent.log"
        // The old content is longer than the new, so the shrink is seen whenever the tailer looks.
        let padding = String(repeating: ".", count: 100)
        try Self.append("old 1\(padding)\nold 2\nold 3\n", to: path)
        let lines = try await Self.lines(Self.configuration(path)) {
            try await Task.sleep(for: .milliseconds(50))
            let handle = try #require(FileHandle(forWritingAtPath: path))
            try handle.truncate(atOffset: 0)
            try handle.close()
            try await Task.sleep(for: .milliseconds(30))
            try Self.append("new 1\n=== Run Complete ===\n", to: path)
        }
        #expect(lines.map(\.text) == ["old 1" + padding, "old 2", "old 3", "new 1", "=== Run Complete ==="])
        #expect(lines.map(\.number) == [1, 2, 3, 1, 2])
    }

    @Test(.timeLimit(.minutes(1)))
    func veryLongLinesAreCutAtACharacterBoundaryAndMarked() async throws {
        let path = try temporaryDirectory() + "/agent.log"
        // 63 ASCII bytes then "é" (2 bytes) straddling the 64-byte limit, then much more.
        let long = String(repeating: "x", count: 63) + "é" + String(repeating: "y", count: 200_000)
        try Self.append(long + "\nshort\n=== Run Complete ===\n", to: path)
        var configuration = Self.configuration(path)
        configuration.maxLineBytes = 64
        let lines = try await Self.lines(configuration)
        #expect(lines.map(\.text) == [String(repeating: "x", count: 63), "short", "=== Run Complete ==="])
        #expect(lines.map(\.truncated) == [true, false, false])
    }

    @Test func logTimesAreParsedOnlyWhenValid() {
        func time(_ line: String) -> String? { LogTailer.logTime(in: Array(line.utf8)) }
        #expect(time("[23:59:60] leap") == "23:59:60")
        #expect(time("INFO [07:08:09] later in the line") == "07:08:09")
        #expect(time("[24:00:00] no") == nil && time("[12:60:00] no") == nil && time("[1:02:03] no") == nil)
        #expect(time("[12:00:00") == nil && time("") == nil)
    }

    static let all = ["l1", "l2", "l3", "=== Run Complete ==="]

    /// Resume points: (line number, its text as published, the lines expected).
    @Test(.timeLimit(.minutes(1)), arguments: [
        (2, "l2", ["l3", "=== Run Complete ==="]),  // the same file: the published lines are skipped
        (4, "=== Run Complete ===", []),  // the sentinel was published: nothing is left to do
        (2, "something else", all),  // line 2 reads differently: another file, read from the top
        (7, "beyond the end", all),  // the file is shorter than what was published: another file
    ])
    func aResumePointSkipsOnlyWhatThisFileAlreadyPublished(line: Int, text: String, expected: [String]) async throws {
        let path = try temporaryDirectory() + "/agent.log"
        try Self.append(Self.all.joined(separator: "\n") + "\n", to: path)
        var configuration = Self.configuration(path)
        configuration.resume = (line, text)
        #expect(try await Self.lines(configuration).map(\.text) == expected)
    }

    @Test(.timeLimit(.minutes(1)))
    func aLargeFileIsReadAcrossChunksAndResumedDeepInside() async throws {
        let path = try temporaryDirectory() + "/big.log"
        // Lines of 1 to 300 bytes, so lines straddle the 64 KiB reads everywhere.
        let lines = (1...100_000).map { number in "\(number) " + String(repeating: "x", count: number % 300) }
        try Self.append(lines.joined(separator: "\n") + "\n=== Run Complete ===\n", to: path)
        var configuration = Self.configuration(path)
        #expect(try await Self.lines(configuration).map(\.text) == lines + ["=== Run Complete ==="])

        configuration.resume = (99_990, lines[99_989])
        #expect(try await Self.lines(configuration).map(\.text) == Array(lines[99_990...]) + ["=== Run Complete ==="])
    }

    @Test(.timeLimit(.minutes(1)))
    func cancellingStopsFollowing() async throws {
        let path = try temporaryDirectory() + "/agent.log"
        try Self.append("only\n", to: path)
        let task = Task {
            var lines: [String] = []
            for try await line in LogTailer(configuration: Self.configuration(path)) { lines.append(line.text) }
            return lines
        }
        try await Task.sleep(for: .milliseconds(100))
        task.cancel()
        #expect(try await task.value == ["only"])
    }
}
