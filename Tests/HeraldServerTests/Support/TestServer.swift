import AsyncHTTPClient
import Foundation
import HeraldServer
import HeraldTestSupport
import Logging
import NIOCore
import NIOHTTP1

/// A real Herald server on 127.0.0.1 and a random free port, with its own data folder (or
/// PostgreSQL database, see ``TestStores``), for end-to-end tests over real HTTP.
struct TestServer: Sendable {
    let port: Int
    let dataDirectory: String
    let client: HTTPClient

    var base: String { "http://127.0.0.1:\(port)" }

    /// Runs `body` against a fresh server; stops it afterwards. Pass `dataDirectory` to reuse
    /// a folder across restarts.
    static func with<T: Sendable>(
        dataDirectory: String? = nil,
        configure: @Sendable (inout HeraldConfiguration) -> Void = { _ in },
        logger: Logger? = nil,
        _ body: @Sendable (TestServer) async throws -> T
    ) async throws -> T {
        let directory = dataDirectory ?? makeTemporaryDirectory()
        var configuration = try await configuration(directory: directory)
        configure(&configuration)
        let (ports, portSource) = AsyncStream<Int>.makeStream()
        let app = try await buildApplication(configuration, logger: logger) { port in portSource.yield(port) }
        var clientConfiguration = HTTPClient.Configuration()
        clientConfiguration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = 512
        clientConfiguration.timeout.connect = .seconds(5)
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: clientConfiguration)
        let services = gracefullyStopped(app)
        do {
            let result = try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await services.run() }
                var iterator = ports.makeAsyncIterator()
                guard let port = await iterator.next() else { throw TestFailure("the server did not start") }
                let server = TestServer(port: port, dataDirectory: directory, client: client)
                let result = try await body(server)
                await services.triggerGracefulShutdown()
                try await group.waitForAll()
                return result
            }
            try await client.shutdown()
            return result
        } catch {
            try? await client.shutdown()
            throw error
        }
    }

    static func makeTemporaryDirectory() -> String { TestStores.makeTemporaryDirectory() }

    /// A test server's configuration on the chosen store (``TestStores``), port 0, quiet.
    static func configuration(directory: String) async throws -> HeraldConfiguration {
        var configuration = HeraldConfiguration()
        configuration.port = 0
        configuration.dataDirectory = directory
        // HERALD_TEST_LOG_LEVEL=debug shows what the servers of a failing test did.
        configuration.logLevel = ProcessInfo.processInfo.environment["HERALD_TEST_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .critical
        if TestStores.backend == .postgres {
            configuration.postgres = try await TestStores.postgres(for: directory)
        }
        return configuration
    }

    // MARK: HTTP

    struct Answer: Sendable {
        let status: Int
        let headers: HTTPHeaders
        let body: [UInt8]

        var text: String { String(decoding: body, as: UTF8.self) }

        /// The body as a JSON object.
        var json: [String: Any] {
            get throws {
                guard let object = try JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] else {
                    throw TestFailure("not a JSON object: \(text)")
                }
                return object
            }
        }

        /// `error.code` of an error answer.
        var errorCode: String? { (try? json["error"] as? [String: Any])?["code"] as? String }
    }

    func request(
        _ method: HTTPMethod, _ path: String, body: String? = nil, contentType: String? = "application/json",
        headers: [(String, String)] = []
    ) async throws -> Answer {
        var request = HTTPClientRequest(url: base + path)
        request.method = method
        if let body {
            request.body = .bytes(ByteBuffer(string: body))
            if let contentType { request.headers.add(name: "Content-Type", value: contentType) }
        }
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        let response = try await client.execute(request, timeout: .seconds(30))
        let buffer = try await response.body.collect(upTo: 64 << 20)
        return Answer(status: Int(response.status.code), headers: response.headers, body: Array(buffer.readableBytesView))
    }

    /// A request whose body is raw bytes (not necessarily UTF-8).
    func request(
        _ method: HTTPMethod, _ path: String, bytes: [UInt8], contentType: String, headers: [(String, String)] = []
    ) async throws -> Answer {
        var request = HTTPClientRequest(url: base + path)
        request.method = method
        request.body = .bytes(ByteBuffer(bytes: bytes))
        request.headers.add(name: "Content-Type", value: contentType)
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        let response = try await client.execute(request, timeout: .seconds(30))
        let buffer = try await response.body.collect(upTo: 64 << 20)
        return Answer(status: Int(response.status.code), headers: response.headers, body: Array(buffer.readableBytesView))
    }

    func get(_ path: String, headers: [(String, String)] = []) async throws -> Answer {
        try await request(.GET, path, headers: headers)
    }

    func post(_ body: String, contentType: String? = "application/json") async throws -> Answer {
        try await request(.POST, "/v1/events", body: body, contentType: contentType)
    }

    /// Posts events given as JSON object literals; fails the test unless they are accepted.
    @discardableResult
    func ingest(_ events: [String]) async throws -> [[String: Any]] {
        let answer = try await post("[" + events.joined(separator: ",") + "]")
        guard answer.status == 200 else { throw TestFailure("ingest failed with \(answer.status): \(answer.text)") }
        return try answer.json["events"] as? [[String: Any]] ?? []
    }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
