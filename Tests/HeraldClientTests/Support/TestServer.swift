import Foundation
import HeraldClient
import HeraldServer
import HeraldTestSupport

/// Runs the real Herald application on 127.0.0.1 with a free port and a fresh data folder for
/// the duration of `body`, with a client of it; the server is stopped and its folder removed after.
func withServer<Result: Sendable>(_ body: @Sendable (HeraldClient) async throws -> Result) async throws -> Result {
    let directory = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    var configuration = HeraldConfiguration()
    configuration.host = "127.0.0.1"
    configuration.port = 0
    configuration.dataDirectory = directory
    // Keep test output to what fails.
    configuration.logLevel = .critical
    let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self)
    let app = try await buildApplication(
        configuration,
        onServerRunning: { port in
            portContinuation.yield(port)
            portContinuation.finish()
        }
    )
    let services = gracefullyStopped(app)
    return try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask {
            // Ends the port stream too, so a server that fails to start fails the test instead of hanging it.
            defer { portContinuation.finish() }
            try await services.run()
        }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else { throw TestServerError.didNotStart }
        let result = try await HeraldClient.withClient(baseURL: "http://127.0.0.1:\(port)") { client in try await body(client) }
        await services.triggerGracefulShutdown()
        try await group.waitForAll()
        return result
    }
}

enum TestServerError: Error { case didNotStart }

/// A new empty folder under the system's temporary folder.
func temporaryDirectory() throws -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("herald-client-tests-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

extension String {
    /// The UTF-8 bytes, for comparing with the byte arrays the client answers.
    var bytes: [UInt8] { Array(utf8) }
}
