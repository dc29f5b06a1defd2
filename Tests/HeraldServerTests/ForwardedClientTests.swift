import Foundation
import HeraldServer
import Logging
import Testing

/// `--trusted-proxy` end to end: behind a trusted proxy (here 127.0.0.1, the test's own address)
/// each client the proxy names is its own caller, for the limits and the request log; without it
/// the header is ignored and every client is the proxy.
@Suite("Trusted proxies over HTTP")
struct ForwardedClientTests {
    static func trustingLoopback(_ configuration: inout HeraldConfiguration) {
        configuration.access.trustedProxies = TrustedProxies([try! CIDR(parsing: "127.0.0.1")])
    }

    /// One event a second at most, and a burst of one: a caller's second event is refused.
    static func rateLimited(_ configuration: inout HeraldConfiguration) {
        configuration.access.ingestEventsPerSecond = 0.001
        configuration.access.ingestBurst = 1
    }

    static func publish(_ server: TestServer, as client: String, header: String = "X-Forwarded-For") async throws -> TestServer.Answer {
        try await server.request(.POST, "/v1/events", body: #"{"run":"xff","type":"x.y"}"#, headers: [(header, client)])
    }

    static func caller(_ server: TestServer, _ headers: [(String, String)]) async throws -> String? {
        try await server.get("/v1/access", headers: headers).json["caller"] as? String
    }

    @Test func behindATrustedProxyEachForwardedClientHasItsOwnRateLimit() async throws {
        try await TestServer.with(configure: { Self.trustingLoopback(&$0); Self.rateLimited(&$0) }) { server in
            #expect(try await Self.publish(server, as: "198.51.100.1").status == 200)
            let again = try await Self.publish(server, as: "198.51.100.1")
            #expect(again.errorCode == "rate_limited", "\(again.text)")
            #expect(try await Self.publish(server, as: "198.51.100.2").status == 200, "another client, another bucket")
            #expect(try await Self.publish(server, as: "for=198.51.100.3", header: "Forwarded").status == 200)
            // A client cannot step out of its bucket by prepending an address.
            let prepended = try await Self.publish(server, as: "203.0.113.50, 198.51.100.1")
            #expect(prepended.errorCode == "rate_limited", "\(prepended.text)")
            let ipv6 = try await Self.caller(server, [("X-Forwarded-For", "6.6.6.6, 2001:DB8::7")])
            #expect(ipv6 == "2001:db8::7")
            // A header it cannot read leaves the proxy's own address.
            let junk = try await Self.caller(server, [("X-Forwarded-For", "not an address")])
            #expect(junk == "127.0.0.1")
            let disagreeing = try await Self.caller(server, [("X-Forwarded-For", "198.51.100.9"), ("Forwarded", "for=198.51.100.8")])
            #expect(disagreeing == "127.0.0.1")
        }
    }

    @Test func withoutTrustTheHeaderIsIgnoredAndTheClientsShareOneLimit() async throws {
        try await TestServer.with(configure: { Self.rateLimited(&$0) }) { server in
            #expect(try await Self.publish(server, as: "198.51.100.1").status == 200)
            let second = try await Self.publish(server, as: "198.51.100.2")
            #expect(second.status == 429 && second.errorCode == "rate_limited", "\(second.text)")
            let caller = try await Self.caller(server, [("X-Forwarded-For", "198.51.100.2")])
            #expect(caller == "127.0.0.1")
        }
        // Trusting another network is not trusting this peer.
        try await TestServer.with(configure: {
            $0.access.trustedProxies = TrustedProxies([try! CIDR(parsing: "10.0.0.0/8")])
            Self.rateLimited(&$0)
        }) { server in
            let caller = try await Self.caller(server, [("X-Forwarded-For", "198.51.100.2")])
            #expect(caller == "127.0.0.1")
        }
    }

    @Test(.timeLimit(.minutes(1))) func streamLimitsCountEachForwardedClient() async throws {
        try await TestServer.with(configure: { Self.trustingLoopback(&$0); $0.streams.maxConnectionsPerClient = 1 }) { server in
            try await server.ingest([#"{"run":"s","type":"x.y"}"#])
            let first = try await SSEConnection(server, "/v1/runs/s/stream", headers: [("X-Forwarded-For", "198.51.100.1")])
            #expect(first.status == 200)
            let again = try await server.get("/v1/runs/s/stream", headers: [("X-Forwarded-For", "198.51.100.1")])
            #expect(again.status == 429 && again.errorCode == "too_many_connections", "\(again.text)")
            let other = try await SSEConnection(server, "/v1/runs/s/stream", headers: [("X-Forwarded-For", "198.51.100.2")])
            #expect(other.status == 200, "another client holds its own stream")
        }
    }

    @Test func theRequestLogNamesTheForwardedClient() async throws {
        let records = LogRecords()
        var logger = Logger(label: "herald") { _ in records }
        logger.logLevel = .debug
        try await TestServer.with(configure: { Self.trustingLoopback(&$0); $0.logLevel = .debug }, logger: logger) { server in
            _ = try await server.get("/v1/runs", headers: [("X-Forwarded-For", "198.51.100.4")])
        }
        #expect(records.text.contains(#""client": 198.51.100.4"#), "\(records.text.suffix(2000))")
        #expect(records.text.contains(#""caller": 198.51.100.4"#), "authentication off: the address is the caller")
        #expect(records.text.contains("proxies.trusted"), "the trusted blocks are logged at start")
    }
}
