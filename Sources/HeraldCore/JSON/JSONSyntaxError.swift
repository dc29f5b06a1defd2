/// Malformed JSON, located by byte offset so a producer can find the mistake.
public struct JSONSyntaxError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Byte offset into the document where the problem was found.
    public var offset: Int
    /// 1-based line and column of `offset`, filled in by ``located(in:)``.
    public var line: Int = 0
    public var column: Int = 0
    public var reason: String

    public init(offset: Int, reason: String) {
        self.offset = offset
        self.reason = reason
    }

    /// The same error with its line and column computed from the whole document.
    public func located(in bytes: UnsafeBufferPointer<UInt8>, base: Int = 0) -> JSONSyntaxError {
        var copy = self
        copy.offset = base + offset
        var line = 1
        var lineStart = 0
        for index in 0..<min(copy.offset, bytes.count) where bytes[index] == UInt8(ascii: "\n") {
            line += 1
            lineStart = index + 1
        }
        copy.line = line
        copy.column = copy.offset - lineStart + 1
        return copy
    }

    public var description: String {
        line > 0 ? "\(reason) at line \(line), column \(column) (byte \(offset))" : "\(reason) at byte \(offset)"
    }
}
