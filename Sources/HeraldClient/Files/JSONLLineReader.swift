#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads a JSONL file line by line in large chunks, so files of hundreds of megabytes stream
/// through a small buffer.
///
/// ```swift
/// let reader = try JSONLLineReader(path: "out/events.jsonl")
/// while let line = try reader.next() { … }
/// ```
public final class JSONLLineReader {
    /// The file being read.
    public let path: String
    /// The number of the line last returned by ``next()`` (1-based).
    public private(set) var lineNumber = 0

    private var descriptor: Int32
    private var buffer: [UInt8]
    private var start = 0
    private var end = 0
    private var atEndOfFile = false

    /// Opens `path` for reading.
    public init(path: String, chunkSize: Int = 1 << 20) throws {
        self.path = path
        descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw JSONLFileError.system("open", path: path) }
        buffer = [UInt8](repeating: 0, count: max(chunkSize, 1024))
    }

    deinit { close() }

    /// The next line without its line ending (`\n` or `\r\n`), or nil at the end of the file.
    /// A last line without a final newline is returned too.
    public func next() throws -> [UInt8]? {
        while true {
            if let newline = buffer[start..<end].firstIndex(of: 0x0A) {
                var lineEnd = newline
                if lineEnd > start, buffer[lineEnd - 1] == 0x0D { lineEnd -= 1 }
                let line = Array(buffer[start..<lineEnd])
                start = newline + 1
                lineNumber += 1
                return line
            }
            if atEndOfFile {
                guard start < end else { return nil }
                let line = Array(buffer[start..<end])
                start = end
                lineNumber += 1
                return line
            }
            try fill()
        }
    }

    /// Closes the file; ``next()`` then answers what is already buffered, then nil.
    public func close() {
        if descriptor >= 0 { closeDescriptor(descriptor) }
        descriptor = -1
        atEndOfFile = true
    }

    /// Moves the unread bytes to the front (growing the buffer for a line longer than it) and reads more.
    private func fill() throws {
        if start > 0 {
            buffer.withUnsafeMutableBufferPointer { bytes in
                _ = memmove(bytes.baseAddress!, bytes.baseAddress! + start, end - start)
            }
            end -= start
            start = 0
        }
        if end == buffer.count { buffer.append(contentsOf: repeatElement(0, count: buffer.count)) }
        let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress! + end, $0.count - end) }
        if count < 0 {
            if errno == EINTR { return }
            throw JSONLFileError.system("read", path: path)
        }
        if count == 0 { atEndOfFile = true }
        end += count
    }
}

private func closeDescriptor(_ descriptor: Int32) { _ = close(descriptor) }
