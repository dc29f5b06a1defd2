import Foundation

/// The `herald` executable, found beside the test bundle (`swift test` builds it), run as a child process.
struct HeraldCommand {
    let process = Process()
    private let output = Pipe()

    init(_ arguments: [String], input: String? = nil, environment: [String: String] = [:]) throws {
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("herald")
        guard FileManager.default.isExecutableFile(atPath: binary.path) else {
            throw CommandFailure("no herald binary at \(binary.path): run `swift build` first")
        }
        process.executableURL = binary
        process.arguments = arguments
        process.standardOutput = output
        process.standardError = output
        if !environment.isEmpty { process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new } }
        let stdin = input.map { _ in Pipe() }
        if let stdin { process.standardInput = stdin }
        try process.run()
        if let stdin, let input {
            stdin.fileHandleForWriting.write(Data(input.utf8))
            try stdin.fileHandleForWriting.close()
        }
    }

    /// Runs `herald arguments` to its end; answers its exit status and output.
    static func run(
        _ arguments: [String], input: String? = nil, environment: [String: String] = [:]
    ) async throws -> (status: Int32, output: String) {
        let command = try HeraldCommand(arguments, input: input, environment: environment)
        return await command.finish()
    }

    func interrupt() { process.interrupt() }

    /// Waits for the process to exit (without blocking a test thread) and answers status and output.
    func finish() async -> (status: Int32, output: String) {
        while process.isRunning { try? await Task.sleep(for: .milliseconds(10)) }
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        return (process.terminationStatus, text)
    }
}

struct CommandFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
