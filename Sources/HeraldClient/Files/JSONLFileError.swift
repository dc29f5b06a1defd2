#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A failed file operation of the JSONL writer or reader, with the path and the system's reason.
public struct JSONLFileError: Error, Sendable, CustomStringConvertible {
    /// The file or folder concerned.
    public var path: String
    /// What went wrong, for people.
    public var message: String

    /// An error about `path`.
    public init(path: String, message: String) {
        self.path = path
        self.message = message
    }

    /// The error of the last failed system call, named by `operation`.
    static func system(_ operation: String, path: String, errno code: Int32 = errno) -> JSONLFileError {
        JSONLFileError(path: path, message: "\(operation) failed: \(String(cString: strerror(code)))")
    }

    public var description: String { "\(path): \(message)" }
}
