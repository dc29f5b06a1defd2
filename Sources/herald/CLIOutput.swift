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
        FileHandle.standardOutput.write(Data(buffer))
        buffer.removeAll(keepingCapacity: true)
    }

    /// Writes one line to standard error.
    static func note(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
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
