import Foundation
import HeraldCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The lines of a log file as an agent writes them (R-logs), as an `AsyncSequence`.
///
/// - Waits for the file to appear (up to ``Configuration/waitTimeout``).
/// - Follows growth by polling; a line is delivered once its newline is written.
/// - Rotation (the path now names another file): the old file is read to its end, then the new
///   one from its start. Truncation (the file shrank): reading restarts at the top. Line numbers
///   count from 1 in each file.
/// - Lines longer than ``Configuration/maxLineBytes`` are cut (at a character boundary) and
///   marked ``Line/truncated``; the rest of such a line is skipped without being held in memory.
/// - A `[HH:MM:SS]` stamp near the start of a line is parsed into ``Line/logTime``.
/// - The sequence ends after the sentinel line (``Configuration/sentinel``), or when the task
///   iterating it is cancelled.
/// - ``Configuration/resume`` skips lines already published, after checking that the last of
///   them is still where it was (otherwise the file was replaced, and it is read from the top).
public struct LogTailer: AsyncSequence, Sendable {
    public struct Configuration: Sendable {
        public var path: String
        /// How long to wait for the file to exist.
        public var waitTimeout: Duration = .seconds(60)
        /// How often the file is checked for growth, rotation and truncation.
        public var pollInterval: Duration = .milliseconds(200)
        /// A line equal to this (ignoring surrounding spaces) is the last one; nil: follow forever.
        public var sentinel: String? = "=== Run Complete ==="
        /// Longer lines are cut to this many bytes.
        public var maxLineBytes = 16 << 10
        /// Lines already published: skip the first `lineNumber` lines if line `lineNumber` reads `text`.
        public var resume: (lineNumber: Int, text: String)?

        public init(path: String) {
            self.path = path
        }
    }

    /// One line of the file.
    public struct Line: Sendable, Equatable {
        /// 1-based, within the current file.
        public var number: Int
        /// The line without its line break (a cut line keeps its first ``Configuration/maxLineBytes`` bytes).
        public var text: String
        /// `HH:MM:SS` from a `[HH:MM:SS]` stamp at the start of the line.
        public var logTime: String?
        public var truncated: Bool
        /// Whether this is the sentinel line (the last one delivered).
        public var isSentinel: Bool
    }

    public enum TailError: Error, CustomStringConvertible {
        case fileDidNotAppear(String, Duration)
        case unreadable(String, String)

        public var description: String {
            switch self {
            case .fileDidNotAppear(let path, let timeout): "\(path) did not appear within \(timeout)"
            case .unreadable(let path, let reason): "cannot read \(path): \(reason)"
            }
        }
    }

    public let configuration: Configuration

    public init(configuration: Configuration) {
        self.configuration = configuration
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(follower: LogFileFollower(configuration)) }

    public struct AsyncIterator: AsyncIteratorProtocol {
        let follower: LogFileFollower

        public mutating func next() async throws -> Line? { try await follower.next() }
    }

    /// `HH:MM:SS` from the first `[HH:MM:SS]` within the first 64 bytes of `line`.
    public static func logTime(in line: some Collection<UInt8>) -> String? {
        let head = Array(line.prefix(64))
        guard head.count >= 10 else { return nil }
        func digits(_ at: Int, max: UInt8) -> Bool {
            let (high, low) = (head[at] &- UInt8(ascii: "0"), head[at + 1] &- UInt8(ascii: "0"))
            return high <= 9 && low <= 9 && high * 10 + low <= max
        }
        for start in 0...(head.count - 10) where head[start] == UInt8(ascii: "[") && head[start + 9] == UInt8(ascii: "]") {
            if head[start + 3] == UInt8(ascii: ":"), head[start + 6] == UInt8(ascii: ":"),
                digits(start + 1, max: 23), digits(start + 4, max: 59), digits(start + 7, max: 60)
            {
                return String(decoding: head[(start + 1)...(start + 8)], as: UTF8.self)
            }
        }
        return nil
    }
}

/// The reading state behind a ``LogTailer`` iterator: one open file, the bytes of the line in
/// progress, and where the file was.
final class LogFileFollower: @unchecked Sendable {
    // Used by one iterating task at a time, as an iterator is.
    let configuration: LogTailer.Configuration
    private var descriptor: Int32 = -1
    private var identity: (device: UInt64, inode: UInt64)?
    private var offset: Int64 = 0
    private var lineNumber = 0
    private var partial: [UInt8] = []
    private var partialTruncated = false
    /// Lines read and not yet handed out: at most one chunk's worth.
    private var ready: [LogTailer.Line] = []
    private var readyHead = 0
    private var chunk = [UInt8](repeating: 0, count: 64 << 10)
    private var resume: (lineNumber: Int, text: String)?
    /// Set once the sentinel is queued: nothing after it is read.
    private var finished = false
    /// Set when a failed resume check sends reading back to the top: the rest of the chunk is stale.
    private var rewound = false

    init(_ configuration: LogTailer.Configuration) {
        self.configuration = configuration
        self.resume = configuration.resume.flatMap { $0.lineNumber > 0 ? $0 : nil }
    }

    deinit {
        if descriptor >= 0 { close(descriptor) }
    }

    func next() async throws -> LogTailer.Line? {
        while true {
            if readyHead < ready.count {
                defer { readyHead += 1 }
                return ready[readyHead]
            }
            ready.removeAll(keepingCapacity: true)
            readyHead = 0
            if finished || Task.isCancelled { return nil }
            if descriptor < 0 {
                try await waitForFile()
                continue
            }
            if try readChunk() { continue }
            if resume != nil {
                // At the end of the file without reaching the resume point: not the file published from.
                restartFromTop()
                continue
            }
            if try followRotationOrTruncation() { continue }
            do {
                try await Task.sleep(for: configuration.pollInterval)
            } catch {
                return nil  // cancelled: stop where we are
            }
        }
    }

    private func waitForFile() async throws {
        let deadline = ContinuousClock.now.advanced(by: configuration.waitTimeout)
        while true {
            if try openFile() { return }
            guard ContinuousClock.now < deadline else {
                throw LogTailer.TailError.fileDidNotAppear(configuration.path, configuration.waitTimeout)
            }
            try await Task.sleep(for: configuration.pollInterval)
        }
    }

    /// Opens the file at the path from its start; false when there is none yet.
    private func openFile() throws -> Bool {
        let opened = open(configuration.path, O_RDONLY | O_CLOEXEC)
        guard opened >= 0 else {
            if errno == ENOENT { return false }
            throw LogTailer.TailError.unreadable(configuration.path, String(cString: strerror(errno)))
        }
        var status = stat()
        fstat(opened, &status)
        if descriptor >= 0 { close(descriptor) }
        descriptor = opened
        identity = (UInt64(status.st_dev), UInt64(status.st_ino))
        startFile()
        return true
    }

    private func startFile() {
        offset = 0
        lineNumber = 0
        partial = []
        partialTruncated = false
    }

    /// Reads the next chunk beyond `offset` and queues its complete lines; false at the end of the file.
    private func readChunk() throws -> Bool {
        var count: Int
        repeat {
            count = chunk.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress!, $0.count, off_t(offset)) }
        } while count < 0 && errno == EINTR
        if count < 0 { throw LogTailer.TailError.unreadable(configuration.path, String(cString: strerror(errno))) }
        if count == 0 { return false }
        offset += Int64(count)
        rewound = false
        var start = 0
        for index in 0..<count where chunk[index] == 0x0A {
            append(chunk[start..<index])
            start = index + 1
            finishLine()
            // The sentinel ends reading; a failed resume check rewinds to the top of the file.
            if finished || rewound { return true }
        }
        append(chunk[start..<count])
        return true
    }

    /// Takes bytes of the line in progress, keeping at most `maxLineBytes` of it.
    private func append(_ bytes: ArraySlice<UInt8>) {
        let room = configuration.maxLineBytes - partial.count
        if bytes.count <= room {
            partial.append(contentsOf: bytes)
        } else {
            partial.append(contentsOf: bytes.prefix(max(0, room)))
            partialTruncated = true
        }
    }

    private func finishLine() {
        var bytes = partial
        if !partialTruncated, bytes.last == 0x0D { bytes.removeLast() }
        if partialTruncated {
            // Cut at a character boundary: drop a trailing incomplete UTF-8 sequence.
            var end = bytes.count
            while end > 0, bytes[end - 1] & 0xC0 == 0x80 { end -= 1 }
            if end > 0, bytes[end - 1] >= 0xC0 { end -= 1 } else { end = bytes.count }
            bytes.removeSubrange(end...)
        }
        lineNumber += 1
        let text = String(decoding: bytes, as: UTF8.self)
        let sentinel = configuration.sentinel.map { text.trimmingSpaces == $0 } ?? false
        let line = LogTailer.Line(
            number: lineNumber, text: text, logTime: LogTailer.logTime(in: bytes), truncated: partialTruncated, isSentinel: sentinel
        )
        partial = []
        partialTruncated = false
        deliver(line)
    }

    /// Queues a line, or, while checking a resume point, skips it (keeping nothing).
    private func deliver(_ line: LogTailer.Line) {
        guard let resume else {
            ready.append(line)
            if line.isSentinel { finished = true }
            return
        }
        if line.number < resume.lineNumber {
            // A sentinel before the resume point: this file ends earlier than the one published from.
            if line.isSentinel { restartFromTop() }
            return
        }
        if line.text == resume.text {
            // The same file: everything up to here was published, the sentinel included if this is it.
            self.resume = nil
            if line.isSentinel { finished = true }
        } else {
            restartFromTop()  // another file now: it is all new
        }
    }

    /// Gives up a resume point and reads the current file again from its first line.
    private func restartFromTop() {
        resume = nil
        rewound = true
        startFile()
    }

    /// Handles a rotated or truncated file; true when reading should go on at once.
    private func followRotationOrTruncation() throws -> Bool {
        var status = stat()
        guard stat(configuration.path, &status) == 0 else { return false }  // moved away, new one not there yet
        let current = (UInt64(status.st_dev), UInt64(status.st_ino))
        if let identity, identity != current {
            // Rotated: the old file is read to its end (it may have grown since), and a last
            // line without a newline is still a line; then the new file from its start.
            if try readChunk() { return true }
            if !partial.isEmpty { finishLine() }
            return try openFile()
        }
        if Int64(status.st_size) < offset {
            startFile()  // truncated in place (copytruncate): read from the top again
            resume = nil
            return true
        }
        return false
    }
}
