import Foundation
import Synchronization
import HeraldClient
import HeraldCore
import HeraldServer
import HeraldTestSupport
import ServiceLifecycle

/// A real Herald application on 127.0.0.1 that a test can stop and start again on the same
/// port and data folder, to see clients ride out a restart.
final class RunningServer: Sendable {
    let port: Int
    let dataDirectory: String
    private let services: ServiceGroup
    private let task: Task<Void, any Error>

    var baseURL: String { "http://127.0.0.1:\(port)" }

    private init(port: Int, dataDirectory: String, services: ServiceGroup, task: Task<Void, any Error>) {
        self.port = port
        self.dataDirectory = dataDirectory
        self.services = services
        self.task = task
    }

    /// Starts a server; port 0 picks a free one.
    static func start(port: Int = 0, dataDirectory: String? = nil, store: (any EventStore)? = nil) async throws -> RunningServer {
        let directory = try dataDirectory ?? temporaryDirectory()
        var configuration = HeraldConfiguration()
        configuration.port = port
        configuration.dataDirectory = directory
        configuration.logLevel = .critical
        let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self)
        let onRunning: @Sendable (Int) async -> Void = { port in
            portContinuation.yield(port)
            portContinuation.finish()
        }
        let services = if let store {
            gracefullyStopped(try await buildApplication(configuration, store: store, onServerRunning: onRunning))
        } else {
            gracefullyStopped(try await buildApplication(configuration, onServerRunning: onRunning))
        }
        let task = Task {
            defer { portContinuation.finish() }
            try await services.run()
        }
        var iterator = ports.makeAsyncIterator()
        guard let bound = await iterator.next() else {
            _ = await task.result
            throw TestServerError.didNotStart
        }
        return RunningServer(port: bound, dataDirectory: directory, services: services, task: task)
    }

    /// Runs `body` with a fresh server and stops it afterwards, whether `body` throws or not.
    static func with<Result>(_ body: (RunningServer) async throws -> Result) async throws -> Result {
        let server = try await start()
        do {
            let result = try await body(server)
            await server.stop()
            return result
        } catch {
            await server.stop()
            throw error
        }
    }

    /// Stops the server (a graceful shutdown, as SIGTERM) and waits until it has closed its store.
    func stop() async {
        await services.triggerGracefulShutdown()
        _ = await task.result
    }

    /// The same server again: same port, same data.
    func restarted() async throws -> RunningServer {
        await stop()
        return try await Self.start(port: port, dataDirectory: dataDirectory)
    }
}

/// A sink that keeps what it is given, for tests of what an emitter sends.
final class CollectingSink: EventSink {
    private let state = Mutex<[EventDraft]>([])

    var drafts: [EventDraft] { state.withLock { $0 } }

    func deliver(_ batch: [EventDraft]) async throws {
        state.withLock { $0.append(contentsOf: batch) }
    }
}
