import Foundation
import HeraldCore
import HeraldServer
import JWTKit
import Testing

/// JWTs minted elsewhere, per-caller limits, CORS and metrics, over real HTTP.
@Suite("Tokens, limits, CORS and metrics")
struct TokenAndLimitTests {
    struct Claims: JWTPayload {
        var sub: SubjectClaim
        var exp: ExpirationClaim
        var iss: IssuerClaim?
        var projects: [String]?
        var project: String?
        var role: String

        func verify(using algorithm: some JWTAlgorithm) throws {}
    }

    static func claims(role: String = "publish", projects: [String]? = ["acme"], expiresIn: TimeInterval = 600, issuer: String? = nil) -> Claims {
        Claims(sub: "ci-bot", exp: .init(value: Date().addingTimeInterval(expiresIn)), iss: issuer.map(IssuerClaim.init(value:)), projects: projects, role: role)
    }

    // MARK: JWT

    @Test func hs256TokensNameTheirProjectsAndRole() async throws {
        let secret = "a shared secret of reasonable length"
        let signer = JWTKeyCollection()
        await signer.add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256)
        let wrong = JWTKeyCollection()
        await wrong.add(hmac: HMACKey(from: "another secret entirely, also long enough"), digestAlgorithm: .sha256)
        try await TestServer.with(configure: { $0.access.jwt = JWTConfiguration(key: .hs256(secret: Array(secret.utf8)), issuer: "idp") }) { server in
            let token = try await signer.sign(Self.claims(issuer: "idp"))
            let published = try await server.request(.POST, "/v1/events", body: #"{"run":"j1","type":"x.y"}"#, headers: TestKeys.bearer(token))
            #expect(published.status == 200, "\(published.text)")
            let run = try await server.get("/v1/runs/j1", headers: TestKeys.bearer(token)).json
            #expect(run["project"] as? String == "acme")
            // Another project: 403 to publish, 404 to read.
            let elsewhere = try await server.request(.POST, "/v1/events", body: #"{"project":"beta","run":"j2","type":"x.y"}"#, headers: TestKeys.bearer(token))
            #expect(elsewhere.status == 403)

            let refusals: [(String, String)] = [
                (try await signer.sign(Self.claims(expiresIn: -60, issuer: "idp")), "expired"),
                (try await wrong.sign(Self.claims(issuer: "idp")), "signature"),
                (try await signer.sign(Self.claims(issuer: "someone-else")), "issuer"),
                (try await signer.sign(Self.claims(role: "owner", issuer: "idp")), "role"),
                (try await signer.sign(Self.claims(projects: nil, issuer: "idp")), "no project"),
            ]
            for (token, reason) in refusals {
                let answer = try await server.get("/v1/runs", headers: TestKeys.bearer(token))
                #expect(answer.status == 401, "\(reason)")
                #expect(answer.errorCode == "invalid_token", "\(reason): \(answer.text)")
                #expect(answer.text.contains(reason), "\(reason): \(answer.text)")
            }
        }
    }

    @Test func es256AndRS256TokensVerifyWithAPublicKey() async throws {
        let ecdsa = ES256PrivateKey()
        let rsaPrivate = try Insecure.RSA.PrivateKey(pem: TestRSAKey.privatePEM)
        for (publicPEM, add) in [
            (ecdsa.publicKey.pemRepresentation, { (keys: JWTKeyCollection) async -> Void in _ = await keys.add(ecdsa: ecdsa) }),
            (TestRSAKey.publicPEM, { (keys: JWTKeyCollection) async -> Void in _ = await keys.add(rsa: rsaPrivate, digestAlgorithm: .sha256) }),
        ] {
            let signer = JWTKeyCollection()
            await add(signer)
            try await TestServer.with(configure: { $0.access.jwt = JWTConfiguration(key: .publicKeyPEM(publicPEM)) }) { server in
                let token = try await signer.sign(Self.claims(role: "read", projects: ["*"]))
                #expect(try await server.get("/v1/runs", headers: TestKeys.bearer(token)).status == 200)
                // A read token may not publish.
                let publish = try await server.request(.POST, "/v1/events", body: #"{"run":"x","type":"x.y"}"#, headers: TestKeys.bearer(token))
                #expect(publish.status == 403)
                // Authentication is on because a JWT key is configured: no credential, no entry.
                #expect(try await server.get("/v1/runs").status == 401)
                // Algorithm confusion: HS256 "signed" with the public key as the secret does not verify.
                let confused = JWTKeyCollection()
                await confused.add(hmac: HMACKey(from: publicPEM), digestAlgorithm: .sha256)
                let forged = try await confused.sign(Self.claims(role: "admin", projects: ["*"]))
                #expect(try await server.get("/v1/runs", headers: TestKeys.bearer(forged)).status == 401)
            }
        }
    }

    @Test func aShortHS256SecretIsRefusedAtStart() async throws {
        var configuration = HeraldConfiguration()
        configuration.dataDirectory = TestServer.makeTemporaryDirectory()
        configuration.access.jwt = JWTConfiguration(key: .hs256(secret: Array("too short".utf8)))
        await #expect(throws: HeraldError.self) { _ = try await buildApplication(configuration) }
    }

    // MARK: Limits

    @Test(.timeLimit(.minutes(1))) func liveConnectionsAreCappedPerKey() async throws {
        let directory = TestServer.makeTemporaryDirectory()
        let first = try await TestKeys.create(in: directory, project: "*", role: .read)
        let second = try await TestKeys.create(in: directory, project: "*", role: .read)
        try await TestServer.with(dataDirectory: directory, configure: { $0.streams.maxConnectionsPerClient = 1 }) { server in
            let held = try await SSEConnection(server, "/v1/runs/r1/stream?wait=1", headers: TestKeys.bearer(first))
            #expect(held.status == 200)
            let refused = try await server.get("/v1/runs/r1/stream?wait=1", headers: TestKeys.bearer(first))
            #expect(refused.status == 429)
            #expect(refused.errorCode == "too_many_connections")
            #expect(Int(refused.headers["Retry-After"].first ?? "") ?? 0 >= 1)
            // Another key has its own allowance (all connections come from one address here).
            let other = try await server.get("/v1/runs/r1/stream?after=0&from=now", headers: TestKeys.bearer(second))
            #expect(other.status == 404 || other.status == 200, "\(other.status) \(other.text)")
            #expect(other.status != 429)
            let metrics = try await server.get("/metrics", headers: TestKeys.bearer(try await TestKeys.create(in: directory, project: "*", role: .admin)))
            #expect(metrics.text.contains(#"herald_refused_by_limit_total{limit="connections"} 1"#), "\(metrics.text)")
        }
    }

    @Test func ingestIsRateLimitedPerKeyWithRetryAfter() async throws {
        let directory = TestServer.makeTemporaryDirectory()
        let first = try await TestKeys.create(in: directory, project: "*", role: .publish)
        let second = try await TestKeys.create(in: directory, project: "*", role: .publish)
        try await TestServer.with(dataDirectory: directory, configure: {
            $0.access.ingestEventsPerSecond = 0.1
            $0.access.ingestBurst = 10
        }) { server in
            let batch = "[" + (1...10).map { _ in #"{"run":"rl","type":"x.y"}"# }.joined(separator: ",") + "]"
            #expect(try await server.request(.POST, "/v1/events", body: batch, headers: TestKeys.bearer(first)).status == 200)
            let refused = try await server.request(.POST, "/v1/events", body: #"{"run":"rl","type":"x.y"}"#, headers: TestKeys.bearer(first))
            #expect(refused.status == 429)
            #expect(refused.errorCode == "rate_limited")
            #expect(Int(refused.headers["Retry-After"].first ?? "") ?? 0 >= 1)
            // The refused request stored nothing; another key is not held back.
            #expect(try await server.request(.POST, "/v1/events", body: #"{"run":"rl","type":"x.y"}"#, headers: TestKeys.bearer(second)).status == 200)
            let run = try await server.get("/v1/runs/rl", headers: TestKeys.bearer(first)).json
            #expect(run["eventCount"] as? Int == 11)
        }
    }

    // MARK: CORS

    @Test func corsAnswersOnlyTheAllowedOrigins() async throws {
        try await TestServer.with { server in
            let answer = try await server.get("/v1/runs", headers: [("Origin", "https://app.example")])
            #expect(answer.status == 200)
            #expect(answer.headers["Access-Control-Allow-Origin"].isEmpty, "no allow-list, no CORS")
        }
        try await TestServer.with(configure: { $0.access.corsOrigins = ["https://app.example"] }) { server in
            let preflight = try await server.request(
                .OPTIONS, "/v1/events", headers: [("Origin", "https://app.example"), ("Access-Control-Request-Method", "POST")]
            )
            #expect(preflight.status == 204)
            #expect(preflight.headers["Access-Control-Allow-Origin"].first == "https://app.example")
            #expect(preflight.headers["Access-Control-Allow-Headers"].first?.contains("Authorization") == true)
            #expect(preflight.headers["Access-Control-Allow-Methods"].first?.contains("POST") == true)

            let refused = try await server.request(
                .OPTIONS, "/v1/events", headers: [("Origin", "https://evil.example"), ("Access-Control-Request-Method", "POST")]
            )
            #expect(refused.status == 403)
            #expect(refused.headers["Access-Control-Allow-Origin"].isEmpty)

            let allowed = try await server.get("/v1/runs", headers: [("Origin", "https://app.example")])
            #expect(allowed.headers["Access-Control-Allow-Origin"].first == "https://app.example")
            #expect(allowed.headers["Vary"].first == "Origin")
            // Errors carry the headers too, so a page can read its 404 (or 401, 429).
            let missing = try await server.get("/v1/runs/nope", headers: [("Origin", "https://app.example")])
            #expect(missing.status == 404)
            #expect(missing.headers["Access-Control-Allow-Origin"].first == "https://app.example")
            let other = try await server.get("/v1/runs", headers: [("Origin", "https://evil.example")])
            #expect(other.headers["Access-Control-Allow-Origin"].isEmpty)
        }
    }

    // MARK: Metrics

    @Test(.timeLimit(.minutes(1))) func metricsMoveAsEventsFlow() async throws {
        try await TestServer.with { server in
            let before = try await Self.metrics(server)
            #expect(before["herald_events_ingested_total"] == 0)
            try await server.ingest([#"{"run":"m1","type":"run.started"}"#, #"{"run":"m1","type":"agent.log","agent":"a","data":{"line":"x"}}"#])
            _ = try await server.post("{")
            _ = try await server.post(#"{"run":"m1","type":"decision"}"#)
            let subscriber = try await SSEConnection(server, "/v1/runs/m1/stream")
            _ = try await subscriber.messages(2)
            // Caught up, it follows live.
            var live = try await Self.metrics(server)
            while live[#"herald_subscribers{state="live"}"#] != 1 {
                try await Task.sleep(for: .milliseconds(20))
                live = try await Self.metrics(server)
            }
            #expect(live[#"herald_subscribers{state="catching_up"}"#] == 0)
            try await server.ingest([#"{"run":"m1","type":"run.completed"}"#])
            #expect(try await subscriber.messagesUntilEnd().count == 1)
            var after = try await Self.metrics(server)
            #expect(after["herald_events_ingested_total"] == 3)
            #expect(after[#"herald_ingest_requests_rejected_total{reason="invalid_json"}"#] == 1)
            #expect(after[#"herald_ingest_requests_rejected_total{reason="validation_failed"}"#] == 1)
            #expect(after["herald_ingest_duration_seconds_count"] == 2)
            #expect(after["herald_commit_duration_seconds_count"] == 2)
            #expect((after["herald_store_size_bytes"] ?? 0) > 0)
            // run.completed went out live: its fan-out lag was measured.
            #expect(after["herald_fanout_lag_seconds_count"] == 1)
            while after[#"herald_subscribers{state="live"}"#] != 0 {
                try await Task.sleep(for: .milliseconds(20))
                after = try await Self.metrics(server)
            }
        }
    }

    /// `GET /metrics` as name{labels} → value.
    static func metrics(_ server: TestServer) async throws -> [String: Double] {
        let answer = try await server.get("/metrics")
        #expect(answer.status == 200)
        #expect(answer.headers["Content-Type"].first?.hasPrefix("text/plain") == true)
        var values: [String: Double] = [:]
        for line in answer.text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else { continue }
            values[String(line[..<space])] = value
        }
        return values
    }
}
