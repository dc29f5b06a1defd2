import ArgumentParser
import Foundation
import HeraldClient
import HeraldCore

/// Buffered standard output for commands that print many lines, and error reporting on
/// standard error.
struct CLIOutput {
    private var buffer: [UInt8] = []

    /// Appends `bytes` and a newline; written out in large blocks.
    mutating func line(_ bytes: some Sequence<UInt8>) {
        buffer.append(contentsOf: bytes)
        buffer.append(0x0A)
        if buffer.count >= 64 << 10 { flush() }
    }

    mutating func line(_ text: String) { line(text.utf8) }

    mutating func flush() {
        guard !buffer.isEmpty else { return }
        Self.writeAll(buffer, to: STDOUT_FILENO)
        buffer.removeAll(keepingCapacity: true)
    }

    /// Writes one line to standard error.
    static func note(_ text: String) {
        writeAll(Array((text + "\n").utf8), to: STDERR_FILENO)
    }

    /// Writes all of `bytes` at once (unbuffered). A reader that went away (`herald events … | head`)
    /// ends the command quietly, as it ends any Unix tool, instead of crashing it.
    static func writeAll(_ bytes: [UInt8], to descriptor: Int32) {
        var written = 0
        while written < bytes.count {
            let count = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress! + written, $0.count - written) }
            if count < 0 {
                if errno == EINTR { continue }
                if errno == EPIPE { exit(0) }
                return
            }
            written += count
        }
    }

    /// Runs `body`; a Herald or file error is printed (with every detail) and ends the command with status 1.
    static func reportingErrors<Result>(_ body: () async throws -> Result) async throws -> Result {
        do {
            return try await body()
        } catch let error as HeraldError {
            note("error: \(error.message) [\(error.code.rawValue)\(error.code.status > 0 ? ", HTTP \(error.code.status)" : "")]")
            // Uploads name each detail's line in its message, so the event index would only repeat it.
            for detail in error.details { note("  \(detail.field): \(detail.message)") }
            throw ExitCode.failure
        } catch let error as JSONLFileError {
            note("error: \(error)")
            throw ExitCode.failure
        }
    }
}
