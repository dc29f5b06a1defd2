import HeraldCore
import NIOCore
import Testing

@testable import HeraldClient

/// What the client's own HTTP/1.1 transport promises on the wire: kept-alive connections,
/// both body framings, the base path, the limits and timeouts, and cancellation.
@Suite("The client's HTTP transport")
struct HTTPTransportTests {
    static let noRuns = #"{"runs":[],"nextCursor":null}"#

    @Test(.timeLimit(.minutes(1)))
    func sequentialRequestsShareOneConnection() async throws {
        let server = try await ScriptedHTTPServer.start { _ in .length(Self.noRuns) }
        let pages = try await HeraldClient.withClient(baseURL: server.baseURL) { client in
            var pages: [RunList] = []
            for _ in 0..<5 { pages.append(try await client.runs()) }
            return pages
        }
        #expect(pages.count == 5 && pages.allSatisfy { $0.runs.isEmpty })
        #expect(server.connections == 1)
        #expect(server.targets.count == 5)
        await server.close()
    }

    @Test(.timeLimit(.minutes(1)))
    func aConnectionTheServerClosesIsReplaced() async throws {
        // Given a server that closes the connection after each answer
        let server = try await ScriptedHTTPServer.start { _ in .length(Self.noRuns, close: true) }
        // When three requests follow each other
        let pages = try await HeraldClient.withClient(baseURL: server.baseURL) { client in
            var pages: [RunList] = []
            for _ in 0..<3 { pages.append(try await client.runs()) }
            return pages
        }
        // Then each had a connection of its own
        #expect(pages.count == 3)
        #expect(server.connections == 3)
        await server.close()
    }

    @Test(.timeLimit(.minutes(1)))
    func chunkedAndLengthAnswersAreBothRead() async throws {
        let server = try await ScriptedHTTPServer.start { head in
            head.uri.contains("limit=1") ? .chunked(Self.noRuns, pieceSize: 3) : .length(Self.noRuns)
        }
        let pages = try await HeraldClient.withClient(baseURL: server.baseURL) { client in
            [try await client.runs(limit: 1), try await client.runs(), try await client.runs(limit: 1)]
        }
        #expect(pages.allSatisfy { $0.runs.isEmpty })
        #expect(server.connections == 1, "a chunked answer read to its end leaves the connection reusable")
        await server.close()
    }

    @Test(.timeLimit(.minutes(1)))
    func aBasePathPrefixesEveryRequest() async throws {
        let server = try await ScriptedHTTPServer.start { _ in .length(Self.noRuns) }
        try await HeraldClient.withClient(baseURL: server.baseURL + "/herald/") { client in
            _ = try await client.runs(project: "a b")
        }
        #expect(server.targets == ["/herald/v1/runs?project=a%20b"])
        await server.close()
    }

    @Test(.timeLimit(.minutes(1)))
    func anAnswerLargerThanTheLimitIsRefused() async throws {
        var configuration = HeraldClient.Configuration()
        configuration.maxResponseBytes = 1000
        let (error, _) = try await Self.failure(of: .chunked(String(repeating: " ", count: 5000) + Self.noRuns, pieceSize: 1000), configuration)
        #expect(error.code == .unreachable && error.message.contains("larger than 1000 bytes"))
    }

    @Test(.timeLimit(.minutes(1)))
    func aSilentServerIsDroppedAfterTheReadTimeout() async throws {
        var configuration = HeraldClient.Configuration()
        configuration.readTimeout = .milliseconds(300)
        let (error, waited) = try await Self.failure(of: .silent, configuration)
        #expect(error.code == .unreachable && error.message.contains("read timeout"))
        #expect(waited < .seconds(20))
    }

    @Test(.timeLimit(.minutes(1)))
    func anAnswerThatNeverEndsIsCutAtTheRequestTimeout() async throws {
        // A byte every 100 ms keeps the read timeout from firing: only the request's own time ends it.
        let (error, waited) = try await Self.failure(of: .trickle(.milliseconds(100)), HeraldClient.Configuration(timeout: .milliseconds(800)))
        #expect(error.code == .unreachable && error.message.contains("timed out"))
        #expect(waited < .seconds(20))
    }

    /// What `client.runs()` throws against a server that answers `answer`, and how long it took.
    static func failure(
        of answer: ScriptedHTTPServer.Answer, _ configuration: HeraldClient.Configuration
    ) async throws -> (error: HeraldError, waited: Duration) {
        let server = try await ScriptedHTTPServer.start { _ in answer }
        let start = ContinuousClock.now
        let error = try await HeraldClient.withClient(baseURL: server.baseURL, configuration: configuration) { client in
            try await #require(throws: HeraldError.self) { try await client.runs() }
        }
        let waited = ContinuousClock.now - start
        await server.close()
        return (error, waited)
    }

    @Test(.timeLimit(.minutes(1)))
    func cancellingTheCallerIsPassedOnAsCancellation() async throws {
        let server = try await ScriptedHTTPServer.start { _ in .silent }
        let client = HeraldClient(baseURL: server.baseURL)
        let call = Task { try await client.runs() }
        while server.targets.isEmpty { try await Task.sleep(for: .milliseconds(20)) }
        call.cancel()
        await #expect(throws: CancellationError.self) { try await call.value }
        try await client.shutdown()
        await server.close()
    }

    @Test(.timeLimit(.minutes(1)))
    func connectingIsRetriedUntilTheTimeoutWhenAsked() async throws {
        // Port 1 on loopback refuses at once; with retries the client keeps trying for its timeout.
        var configuration = HeraldClient.Configuration(timeout: .seconds(2))
        configuration.retriesConnecting = true
        let start = ContinuousClock.now
        try await HeraldClient.withClient(baseURL: "http://127.0.0.1:1", configuration: configuration) { client in
            let error = try await #require(throws: HeraldError.self) { try await client.runs() }
            #expect(error.code == .unreachable && error.message.contains("refused"))
        }
        let waited = ContinuousClock.now - start
        #expect(waited > .seconds(1) && waited < .seconds(20))
    }

    @Test(.timeLimit(.minutes(1)))
    func aSubscriptionLeftBehindClosesItsConnection() async throws {
        // Given a stream that sends one event and then nothing
        let server = try await ScriptedHTTPServer.start { _ in .stream("id: 1\nevent: my.tick\ndata: {}\n\n") }
        // When the reader stops after the first message
        for try await message in EventSubscription(url: server.baseURL + "/v1/runs/r1/stream") {
            #expect(message.id == "1")
            break
        }
        // Then the connection is closed, not left open for the server's heartbeats
        let deadline = ContinuousClock.now + .seconds(10)
        while server.closedConnections < 1 && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        #expect(server.closedConnections == 1 && server.connections == 1)
        await server.close()
    }

    @Test(.timeLimit(.minutes(1)))
    func aStreamWhoseHeadNeverComesIsTriedAgain() async throws {
        // Given a server that accepts the stream's request and never answers
        let server = try await ScriptedHTTPServer.start { _ in .silent }
        let subscription = EventSubscription(url: server.baseURL + "/v1/runs/r1/stream", readTimeout: .milliseconds(200))
        let reading = Task { for try await _ in subscription {} }
        // When the read timeout passes twice
        let deadline = ContinuousClock.now + .seconds(20)
        while server.closedConnections < 2 && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        reading.cancel()
        // Then each silent connection was closed and a new one opened, until the reader stopped
        await #expect(throws: CancellationError.self) { try await reading.value }
        #expect(server.closedConnections >= 2 && server.connections >= 2)
        await server.close()
    }

    @Test func baseURLsAreReadWithTheirSchemePortAndPath() throws {
        let secure = try HTTPEndpoint(url: "https://proxy.example/herald/")
        #expect(secure.usesTLS && secure.port == 443 && secure.basePath == "/herald" && secure.authority == "proxy.example")
        let local = try HTTPEndpoint(url: "http://[::1]:7373")
        #expect(!local.usesTLS && local.host == "::1" && local.authority == "[::1]:7373" && local.basePath.isEmpty)
        let (endpoint, target) = try HTTPEndpoint.split(url: "http://127.0.0.1:7373/v1/runs/r%201/stream?types=agent.*")
        #expect(endpoint.authority == "127.0.0.1:7373" && target == "/v1/runs/r%201/stream?types=agent.*")
        #expect(throws: HTTPEndpoint.InvalidURL.self) { try HTTPEndpoint(url: "ftp://example.com") }
    }
}
