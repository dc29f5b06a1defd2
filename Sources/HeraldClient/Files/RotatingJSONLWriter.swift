import Foundation
import HeraldCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Appends whole lines to `<directory>/<prefix>.jsonl`, rotating by size (R-file).
///
/// When the next line would take the live file past `maxFileBytes`, the live file is renamed to
/// `<prefix>-YYYYMMDDTHHMMSS.ffffffZ.jsonl` (UTC) and a new one is started. Lines are never
/// split across files, so a file only exceeds the threshold when it holds a single line that is
/// larger on its own. ``JSONLFiles/ordered(in:prefix:)`` lists the files back in write order.
///
/// ```swift
/// let writer = try RotatingJSONLWriter(directory: "out", prefix: "events", maxFileBytes: 500_000_000)
/// try writer.write(event.json)
/// try writer.close()
/// ```
///
/// Rules:
/// - One writer per directory and prefix: the writer is not thread-safe and assumes no other
///   process appends to its files.
/// - Rotated names strictly increase: a stamp that is not later than the newest existing one
///   (two rotations in one microsecond, a clock stepped back) is moved one microsecond past it.
/// - Lines are buffered (``bufferCapacity`` bytes) and written whole; ``flush()`` hands them to
///   the system. A line torn by a crash at the end of the live file is cut off when the
///   file is opened again, so every line a reader sees is complete.
public final class RotatingJSONLWriter {
    /// The folder holding the live and rotated files.
    public let directory: String
    /// The files' name prefix: `<prefix>.jsonl` and `<prefix>-<stamp>.jsonl`.
    public let prefix: String
    /// Rotate before a line that would take the live file past this many bytes.
    public let maxFileBytes: Int
    /// Bytes buffered before they are written.
    public let bufferCapacity: Int
    /// Size of the live file, including lines still buffered.
    public private(set) var liveFileBytes: Int
    /// `<directory>/<prefix>.jsonl`
    public let livePath: String

    private var descriptor: Int32
    private var buffer: [UInt8] = []
    private var lastStamp: Timestamp?
    private let clock: () -> Timestamp

    /// Opens (or creates) the live file, continuing after its last complete line.
    ///
    /// - Parameters:
    ///   - directory: created if missing.
    ///   - prefix: the files' name prefix.
    ///   - maxFileBytes: the rotation threshold, e.g. 500 MB.
    ///   - bufferCapacity: bytes held before a write to the file.
    ///   - clock: the time used for rotated names (tests pass a fixed one).
    public init(
        directory: String,
        prefix: String = "events",
        maxFileBytes: Int = 500_000_000,
        bufferCapacity: Int = 64 << 10,
        clock: @escaping () -> Timestamp = Timestamp.now
    ) throws {
        precondition(maxFileBytes > 0, "maxFileBytes must be positive")
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw JSONLFileError(path: directory, message: "cannot create the folder: \(error.localizedDescription)")
        }
        self.directory = directory
        self.prefix = prefix
        self.maxFileBytes = maxFileBytes
        self.bufferCapacity = bufferCapacity
        self.clock = clock
        self.livePath = directory + "/" + RotatedFileName.live(prefix: prefix)
        self.lastStamp = try JSONLFiles.rotated(in: directory, prefix: prefix).last?.stamp
        self.descriptor = try Self.open(livePath)
        do {
            self.liveFileBytes = try Self.cutTornTail(descriptor, path: livePath)
        } catch {
            posixClose(descriptor)
            throw error
        }
        buffer.reserveCapacity(bufferCapacity)
    }

    deinit {
        if descriptor >= 0 {
            try? flush()
            posixClose(descriptor)
        }
    }

    /// Appends one line; a final newline is added unless `line` ends with one.
    ///
    /// - Throws: ``JSONLFileError`` when `line` holds a newline before its end, or on a file error.
    public func write(_ line: some BidirectionalCollection<UInt8>) throws {
        let terminated = line.last == 0x0A
        if line.dropLast(terminated ? 1 : 0).contains(0x0A) {
            throw JSONLFileError(path: livePath, message: "a JSONL line may not contain a newline")
        }
        let size = line.count + (terminated ? 0 : 1)
        if liveFileBytes > 0 && liveFileBytes + size > maxFileBytes { try rotate() }
        buffer.append(contentsOf: line)
        if !terminated { buffer.append(0x0A) }
        liveFileBytes += size
        if buffer.count >= bufferCapacity { try flush() }
    }

    /// Renames a non-empty live file to its rotated name and starts a new live file.
    ///
    /// - Returns: the rotated file's path, or nil when the live file was empty.
    @discardableResult
    public func rotate() throws -> String? {
        try flush()
        guard liveFileBytes > 0 else { return nil }
        let target = nextRotatedPath()
        guard rename(livePath, target) == 0 else { throw JSONLFileError.system("rename to \(target)", path: livePath) }
        posixClose(descriptor)
        descriptor = -1
        descriptor = try Self.open(livePath)
        liveFileBytes = 0
        return target
    }

    /// Writes the buffered lines to the live file.
    public func flush() throws {
        guard !buffer.isEmpty else { return }
        guard descriptor >= 0 else { throw JSONLFileError(path: livePath, message: "the writer is closed") }
        var written = 0
        try buffer.withUnsafeBytes { bytes in
            while written < bytes.count {
                let count = posixWrite(descriptor, bytes.baseAddress! + written, bytes.count - written)
                if count < 0 {
                    if errno == EINTR { continue }
                    throw JSONLFileError.system("write", path: livePath)
                }
                written += count
            }
        }
        buffer.removeAll(keepingCapacity: true)
    }

    /// Flushes, then asks the system to put the live file on disk.
    public func sync() throws {
        try flush()
        guard fsync(descriptor) == 0 else { throw JSONLFileError.system("fsync", path: livePath) }
    }

    /// Flushes and closes the live file. Later writes throw.
    public func close() throws {
        guard descriptor >= 0 else { return }
        defer {
            posixClose(descriptor)
            descriptor = -1
        }
        try flush()
    }

    // MARK: Files

    private func nextRotatedPath() -> String {
        var stamp = clock()
        if let lastStamp, stamp <= lastStamp { stamp = Timestamp(microseconds: lastStamp.microseconds + 1) }
        func path(_ stamp: Timestamp) -> String { directory + "/" + RotatedFileName.name(prefix: prefix, stamp: stamp) }
        while FileManager.default.fileExists(atPath: path(stamp)) { stamp = Timestamp(microseconds: stamp.microseconds + 1) }
        lastStamp = stamp
        return path(stamp)
    }

    private static func open(_ path: String) throws -> Int32 {
        let descriptor = posixOpen(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw JSONLFileError.system("open", path: path) }
        return descriptor
    }

    /// Cuts a partial last line (a write torn by a crash) and answers the file's size.
    private static func cutTornTail(_ descriptor: Int32, path: String) throws -> Int {
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw JSONLFileError.system("fstat", path: path) }
        var end = Int(status.st_size)
        let size = end
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
        while end > 0 {
            let start = max(0, end - chunk.count)
            let count = chunk.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress!, end - start, off_t(start)) }
            guard count == end - start else { throw JSONLFileError.system("read", path: path) }
            if let newline = chunk[0..<count].lastIndex(of: 0x0A) {
                end = start + newline + 1
                break
            }
            end = start
        }
        if end != size {
            guard ftruncate(descriptor, off_t(end)) == 0 else { throw JSONLFileError.system("truncate", path: path) }
        }
        return end
    }
}

// The writer's own `write`, `close` and `open` shadow the system calls inside the class.
private func posixClose(_ descriptor: Int32) { _ = close(descriptor) }
private func posixWrite(_ descriptor: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int { write(descriptor, bytes, count) }
private func posixOpen(_ path: String, _ flags: Int32, _ mode: mode_t) -> Int32 { open(path, flags, mode) }
