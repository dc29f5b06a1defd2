import Foundation
import HeraldCore
import HeraldServer
import JWTKit
import NIOHTTP1
import Testing

/// `--auth-cookie`: a JWT in a cookie opens streams, and nothing else; CORS lets only the
/// listed origins send it.
@Suite("Cookie authentication", .timeLimit(.minutes(1)))
struct CookieAuthTests {
    static let secret = "a shared secret of reasonable length"
    static let app = "https://app.example"

    static func withServer(_ body: @Sendable (TestServer, JWTKeyCollection) async throws -> Void) async throws {
        let signer = JWTKeyCollection()
        await signer.add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256)
        try await TestServer.with(configure: {
            $0.access.jwt = JWTConfiguration(key: .hs256(secret: Array(secret.utf8)))
            $0.access.authCookie = "herald_session"
            $0.access.corsOrigins = [app]
            // Project streams end quickly, so their answers can be read whole.
            $0.streams.heartbeat = .milliseconds(150)
            $0.streams.maxLifetime = .milliseconds(300)
        }) { server in
            let publisher = try await signer.sign(TokenAndLimitTests.claims(role: "publish"))
            let seeded = try await server.request(
                .POST, "/v1/events", body: #"[{"run":"c1","type":"run.started"},{"run":"c1","type":"run.completed"}]"#,
                headers: TestKeys.bearer(publisher)
            )
            #expect(seeded.status == 200, "\(seeded.text)")
            try await body(server, signer)
        }
    }

    static func cookie(_ token: String) -> (String, String) { ("Cookie", "theme=dark; herald_session=\(token); other=1") }

    @Test func theCookiesJWTOpensAStream() async throws {
        try await Self.withServer { server, signer in
            let reader = try await signer.sign(TokenAndLimitTests.claims(role: "read"))
            let stream = try await server.get("/v1/runs/c1/stream", headers: [Self.cookie(reader)])
            #expect(stream.status == 200 && stream.text.contains("event: run.completed"), "\(stream.text)")
            let project = try await server.get("/v1/projects/acme/stream?from=now", headers: [Self.cookie(reader)])
            #expect(project.status == 200)
            // Verified as a bearer JWT is: expired, wrongly signed, another project's, or a key, refused.
            let other = JWTKeyCollection()
            await other.add(hmac: HMACKey(from: "another secret entirely, also long enough"), digestAlgorithm: .sha256)
            for (token, status) in [
                (try await signer.sign(TokenAndLimitTests.claims(role: "read", expiresIn: -60)), 401),
                (try await other.sign(TokenAndLimitTests.claims(role: "read")), 401),
                ("hk_aaaaaaaaaaaa_" + String(repeating: "b", count: 32), 401),
            ] {
                let answer = try await server.get("/v1/runs/c1/stream", headers: [Self.cookie(token)])
                #expect(answer.status == status && answer.errorCode == "invalid_token", "\(answer.text)")
            }
            let beta = try await signer.sign(TokenAndLimitTests.claims(role: "read", projects: ["beta"]))
            #expect(try await server.get("/v1/runs/c1/stream", headers: [Self.cookie(beta)]).status == 404)
        }
    }

    @Test func aRequestWithOnlyTheCookieMayNotWriteNorQuery() async throws {
        try await Self.withServer { server, signer in
            // Even a publish token: a cookie travels with any page's request, so it never writes.
            let publisher = try await signer.sign(TokenAndLimitTests.claims(role: "publish"))
            let refusals: [(HTTPMethod, String, String?)] = [
                (.POST, "/v1/events", #"{"run":"c2","type":"x.y"}"#), (.POST, "/v1/stream-tickets", #"{"run":"c1"}"#),
                (.GET, "/v1/runs", nil), (.GET, "/v1/runs/c1", nil), (.GET, "/v1/runs/c1/events", nil), (.GET, "/v1/access", nil),
                (.GET, "/metrics", nil),
            ]
            for (method, path, body) in refusals {
                let answer = try await server.request(method, path, body: body, headers: [Self.cookie(publisher), ("Origin", Self.app)])
                #expect(answer.status == 401 && answer.errorCode == "unauthorized", "\(method) \(path): \(answer.text)")
                #expect(answer.text.contains("cookie authenticates streams only"), "\(answer.text)")
                // A page of the listed origin can read why.
                #expect(answer.headers["Access-Control-Allow-Origin"].first == Self.app)
            }
            // Nothing was written; with the token in the Authorization header the same write passes.
            let reader = try await signer.sign(TokenAndLimitTests.claims(role: "read"))
            #expect(try await server.get("/v1/runs/c2", headers: TestKeys.bearer(reader)).status == 404)
            let bearer = try await server.request(
                .POST, "/v1/events", body: #"{"run":"c2","type":"x.y"}"#, headers: TestKeys.bearer(publisher) + [Self.cookie(publisher)]
            )
            #expect(bearer.status == 200)
        }
    }

    @Test func onlyListedOriginsGetCredentialsAndStreamWithTheCookie() async throws {
        try await Self.withServer { server, signer in
            let reader = try await signer.sign(TokenAndLimitTests.claims(role: "read"))
            let allowed = try await server.get("/v1/runs/c1/stream", headers: [Self.cookie(reader), ("Origin", Self.app)])
            #expect(allowed.status == 200)
            #expect(allowed.headers["Access-Control-Allow-Origin"].first == Self.app)
            #expect(allowed.headers["Access-Control-Allow-Credentials"].first == "true")
            // Another origin: refused by Herald too (the browser would hide the answer anyway), without credentials.
            let other = try await server.get("/v1/runs/c1/stream", headers: [Self.cookie(reader), ("Origin", "https://evil.example")])
            #expect(other.status == 403 && other.text.contains("--cors-origin"), "\(other.text)")
            #expect(other.headers["Access-Control-Allow-Origin"].isEmpty && other.headers["Access-Control-Allow-Credentials"].isEmpty)
            // Herald's own origin (a page it serves, or one behind the same proxy) needs no listing.
            let own = try await server.get(
                "/v1/runs/c1/stream", headers: [Self.cookie(reader), ("Origin", "http://127.0.0.1:\(server.port)")]
            )
            #expect(own.status == 200)
            let preflight = try await server.request(
                .OPTIONS, "/v1/runs/c1/stream",
                headers: [("Origin", Self.app), ("Access-Control-Request-Method", "GET"), ("Access-Control-Request-Headers", "last-event-id")]
            )
            #expect(preflight.status == 204 && preflight.headers["Access-Control-Allow-Credentials"].first == "true")
            let refused = try await server.request(
                .OPTIONS, "/v1/runs/c1/stream", headers: [("Origin", "https://evil.example"), ("Access-Control-Request-Method", "GET")]
            )
            #expect(refused.status == 403 && refused.headers["Access-Control-Allow-Credentials"].isEmpty)
        }
        // Without --auth-cookie a listed origin is never told it may send credentials.
        try await TestServer.with(configure: { $0.access.corsOrigins = [Self.app] }) { server in
            let answer = try await server.get("/v1/runs", headers: [("Origin", Self.app)])
            #expect(answer.headers["Access-Control-Allow-Origin"].first == Self.app)
            #expect(answer.headers["Access-Control-Allow-Credentials"].isEmpty)
        }
    }

    @Test func theCookieNeedsAJWTKeyAndNamedOrigins() async throws {
        let directory = TestServer.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var configuration = try await TestServer.configuration(directory: directory)
        configuration.access.authCookie = "herald_session"
        for (change, says) in [
            ({ (c: inout HeraldConfiguration) in c.access.jwt = nil }, "--auth-cookie needs --jwt-secret-file or --jwt-public-key-file"),
            ({ (c: inout HeraldConfiguration) in c.access.corsOrigins = ["*"] }, "refusing --auth-cookie with --cors-origin '*'"),
            ({ (c: inout HeraldConfiguration) in c.access.authCookie = "a;b" }, "is not a cookie name"),
        ] {
            var attempt = configuration
            attempt.access.jwt = JWTConfiguration(key: .hs256(secret: Array(Self.secret.utf8)))
            change(&attempt)
            do {
                _ = try await buildApplication(attempt)
                Issue.record("started with \(says)")
            } catch let error as HeraldError {
                #expect(error.message.contains(says), "\(error.message)")
            }
        }
    }
}
