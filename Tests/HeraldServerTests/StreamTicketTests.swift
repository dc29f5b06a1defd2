import Foundation
import HeraldCore
import HeraldTestSupport
import JWTKit
import NIOHTTP1
import Testing

@testable import HeraldServer

/// Stream tickets end to end: `POST /v1/stream-tickets`, the ticket on its own stream, and its
/// refusal everywhere else, once expired, altered or revoked.
@Suite("Stream tickets", .timeLimit(.minutes(2)))
struct StreamTicketTests {
    typealias Fixture = AccessControlTests.Fixture

    /// A fixture server (acme run a1 finished, beta run b1 running) whose tickets are signed with
    /// a secret file the test knows, so it can make tickets of its own.
    static func withFixture(
        configure: @escaping @Sendable (inout HeraldConfiguration) -> Void = { _ in },
        _ body: @Sendable (TestServer, Fixture, StreamTicketSigner) async throws -> Void
    ) async throws {
        let secretFile = try Self.secretFile()
        defer { try? FileManager.default.removeItem(atPath: secretFile) }
        let signer = StreamTicketSigner(secret: try StreamTicketSecret.read(secretFile), lifetime: .seconds(60))
        try await AccessControlTests.withFixture(configure: { configuration in
            configuration.access.streamTicketSecretFile = secretFile
            configure(&configuration)
        }) { server, keys in
            try await body(server, keys, signer)
        }
    }

    static func secretFile() throws -> String {
        let path = TestServer.makeTemporaryDirectory() + ".secret"
        try Data(String((0..<48).map { _ in "abcdefghijklmnopqrstuvwxyz0123456789".randomElement()! }).utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// Issues a ticket; fails the test unless it is granted.
    static func ticket(_ server: TestServer, _ body: String, key: String?) async throws -> [String: Any] {
        let answer = try await server.request(.POST, "/v1/stream-tickets", body: body, headers: key.map(TestKeys.bearer) ?? [])
        guard answer.status == 200 else { throw TestFailure("ticket \(body): \(answer.status) \(answer.text)") }
        return try answer.json
    }

    static func expectRefused(_ answer: TestServer.Answer, _ reason: String, _ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(answer.status == 401, "\(what): \(answer.status) \(answer.text)", sourceLocation: sourceLocation)
        #expect(answer.errorCode == "invalid_ticket", "\(what): \(answer.text)", sourceLocation: sourceLocation)
        #expect(answer.text.contains(reason), "\(what): \(answer.text)", sourceLocation: sourceLocation)
        #expect(answer.headers["WWW-Authenticate"].first == #"Bearer realm="herald""#, "\(what)", sourceLocation: sourceLocation)
    }

    // MARK: Issuing and using

    @Test func aRunTicketOpensItsStreamAndIsRefusedEverywhereElse() async throws {
        try await Self.withFixture { server, keys, _ in
            // Given a read key's ticket for acme's run a1
            let issued = try await Self.ticket(server, #"{"run":"a1"}"#, key: keys.readAcme)
            let ticket = try #require(issued["ticket"] as? String)
            #expect(ticket.hasPrefix("ht_"))
            #expect(issued["project"] as? String == "acme" && issued["run"] as? String == "a1")
            let expiresAt = try #require(Timestamp(rfc3339: issued["expiresAt"] as? String ?? ""))
            let lifetime = expiresAt.microseconds - Timestamp.now().microseconds
            #expect(lifetime > 50_000_000 && lifetime <= 60_000_000, "the default lifetime is 60 s")
            let url = try #require(issued["streamURL"] as? String)
            #expect(url == "/v1/runs/a1/stream?project=acme&ticket=\(ticket)")

            // When it opens the stream it names, with no other credential: the run is served.
            let stream = try await server.get(url)
            #expect(stream.status == 200, "\(stream.text)")
            #expect(stream.text.contains("event: run.completed"))
            #expect(try await server.get("/v1/runs/a1/stream?ticket=\(ticket)&types=agent.log").status == 200, "unbound filters are free")
            #expect(try await server.request(.HEAD, "/v1/runs/a1/stream?ticket=\(ticket)").status == 200)

            // Then anywhere else it is refused with invalid_ticket, saying why.
            let elsewhere: [(HTTPMethod, String, String)] = [
                (.GET, "/v1/runs/a1?ticket=\(ticket)", "nothing else"),
                (.GET, "/v1/runs/a1/events?ticket=\(ticket)", "nothing else"),
                (.GET, "/v1/runs/a1/events/\(keys.eventID)?ticket=\(ticket)", "nothing else"),
                (.GET, "/v1/runs?ticket=\(ticket)", "nothing else"),
                (.GET, "/v1/projects?ticket=\(ticket)", "nothing else"),
                (.GET, "/v1/access?ticket=\(ticket)", "nothing else"),
                (.GET, "/metrics?ticket=\(ticket)", "nothing else"),
                (.POST, "/v1/events?ticket=\(ticket)", "nothing else"),
                (.POST, "/v1/stream-tickets?ticket=\(ticket)", "nothing else"),
                (.GET, "/v1/runs/a2/stream?ticket=\(ticket)&wait=1", "not run a2"),
                (.GET, "/v1/runs/b1/stream?ticket=\(ticket)", "not run b1"),
                (.GET, "/v1/runs/a1/stream?project=beta&ticket=\(ticket)", "not run a1 of project beta"),
                (.GET, "/v1/projects/acme/stream?ticket=\(ticket)", "not project acme's stream"),
            ]
            for (method, path, reason) in elsewhere {
                let body = method == .POST ? #"{"run":"a1","type":"x.y"}"# : nil
                Self.expectRefused(try await server.request(method, path, body: body), reason, "\(method) \(path.prefix(40))")
            }
            // As a bearer credential or an access_token it is not a key: refused, pointing to ?ticket=.
            for (path, headers) in [
                ("/v1/runs", TestKeys.bearer(ticket)), ("/v1/runs/a1/stream", TestKeys.bearer(ticket)),
                ("/v1/runs/a1/stream?access_token=\(ticket)", []),
            ] {
                Self.expectRefused(try await server.get(path, headers: headers), "as ?ticket=", path)
            }
            Self.expectRefused(
                try await server.request(.POST, "/v1/stream-tickets", body: #"{"run":"a1"}"#, headers: TestKeys.bearer(ticket)), "as ?ticket=",
                "a ticket issuing a ticket"
            )
            // With a key beside it, the request is ambiguous: refused too.
            Self.expectRefused(
                try await server.get("/v1/runs/a1/stream?ticket=\(ticket)", headers: TestKeys.bearer(keys.readAcme)), "send it alone", "ticket and key"
            )
            // Nothing was stored by the refused POST.
            let run = try await server.get("/v1/runs/a1", headers: TestKeys.bearer(keys.readAcme)).json
            #expect(run["eventCount"] as? Int == 3)
        }
    }

    @Test func aProjectTicketOpensItsProjectStreamOnly() async throws {
        try await Self.withFixture { server, keys, _ in
            let issued = try await Self.ticket(server, #"{"project":"beta","logs":["b1"]}"#, key: keys.readBeta)
            let ticket = try #require(issued["ticket"] as? String)
            #expect(issued["run"] == nil)
            #expect(issued["streamURL"] as? String == "/v1/projects/beta/stream?logs=b1&ticket=\(ticket)")
            let stream = try await server.get(try #require(issued["streamURL"] as? String))
            #expect(stream.status == 200 && stream.text.contains("herald.connected"), "\(stream.text)")
            Self.expectRefused(try await server.get("/v1/projects/acme/stream?logs=b1&ticket=\(ticket)"), "not project acme's stream", "another project")
            Self.expectRefused(try await server.get("/v1/runs/b1/stream?ticket=\(ticket)"), "not run b1", "a run of its project")
            Self.expectRefused(try await server.get("/v1/projects/beta/stream?ticket=\(ticket)"), "bound to logs=b1", "without its logs")
        }
    }

    @Test func onlyStreamsTheCredentialReadsGetTickets() async throws {
        try await Self.withFixture { server, keys, _ in
            // Another project's run or stream answers as one that does not exist.
            for (body, code) in [
                (#"{"project":"beta"}"#, "not_found"), (#"{"run":"b1","project":"beta"}"#, "run_not_found"),
                (#"{"project":"bad name"}"#, "invalid_request"),
            ] {
                let answer = try await server.request(.POST, "/v1/stream-tickets", body: body, headers: TestKeys.bearer(keys.readAcme))
                #expect(answer.errorCode == code, "\(body): \(answer.text)")
            }
            // A ticket needs a credential once authentication is on.
            let anonymous = try await server.request(.POST, "/v1/stream-tickets", body: #"{"run":"a1"}"#)
            #expect(anonymous.status == 401 && anonymous.errorCode == "unauthorized")
            // A run not there yet gets a ticket in the key's project, and the stream waits for it.
            let later = try await Self.ticket(server, #"{"run":"later"}"#, key: keys.readAcme)
            #expect(later["project"] as? String == "acme")
            // An admin key on every project names the project, or is asked to.
            let unnamed = try await server.request(.POST, "/v1/stream-tickets", body: #"{"run":"later"}"#, headers: TestKeys.bearer(keys.adminAll))
            let project = try unnamed.json["project"] as? String
            #expect(unnamed.status == 200 && project == "default", "\(unnamed.text)")
        }
    }

    @Test func malformedRequestsAreRefusedWithTheReason() async throws {
        try await Self.withFixture { server, keys, _ in
            for (body, status, says) in [
                ("{", 400, "not a JSON object"), ("[]", 400, "not a JSON object"), ("{}", 400, "name the stream"),
                (#"{"run":"a1","typ":"x"}"#, 400, "unknown member typ"), (#"{"run":1}"#, 400, "run must be a string"),
                (#"{"run":"a1","logs":["all"]}"#, 400, "logs applies to project streams"), (#"{"run":"a1","types":["Bad"]}"#, 400, "types"),
                (#"{"run":"a1","level":"loud"}"#, 400, "level"), (#"{"run":"a1","agents":[1]}"#, 400, "list of strings"),
                (#"{"run":"a1","types":"run.*"}"#, 400, "list of strings"), (#"{"run":"a1","agents":["a,b"]}"#, 400, "agent names"),
                (#"{"project":"acme","logs":["r 1"]}"#, 400, "run names"),
            ] {
                let answer = try await server.request(.POST, "/v1/stream-tickets", body: body, headers: TestKeys.bearer(keys.readAcme))
                #expect(answer.status == status && answer.text.contains(says), "\(body): \(answer.status) \(answer.text)")
            }
            let text = try await server.request(
                .POST, "/v1/stream-tickets", body: "run=a1", contentType: "application/x-www-form-urlencoded", headers: TestKeys.bearer(keys.readAcme)
            )
            #expect(text.status == 415 && text.errorCode == "unsupported_media_type")
        }
    }

    @Test func boundFiltersMustBeAskedExactly() async throws {
        try await Self.withFixture { server, keys, _ in
            let issued = try await Self.ticket(server, #"{"run":"a1","types":["agent.log","run.*"],"agents":["w"]}"#, key: keys.readAcme)
            let ticket = try #require(issued["ticket"] as? String)
            let url = try #require(issued["streamURL"] as? String)
            #expect(url.hasPrefix("/v1/runs/a1/stream?project=acme&agents=w&types=agent.log,run.*&ticket="), "\(url)")
            let stream = try await SSEConnection(server, url)
            #expect(try await stream.messagesUntilEnd().map(\.event) == ["agent.log", "run.completed"])
            // The same lists in another order are the same filter.
            #expect(try await server.get("/v1/runs/a1/stream?types=run.*,agent.log&agents=w&ticket=\(ticket)").status == 200)
            Self.expectRefused(try await server.get("/v1/runs/a1/stream?agents=w&ticket=\(ticket)"), "bound to types=agent.log,run.*", "no types")
            Self.expectRefused(
                try await server.get("/v1/runs/a1/stream?types=*&agents=w&ticket=\(ticket)"), "asked with types=*", "wider types"
            )
        }
    }

    // MARK: Refusals of the ticket itself

    @Test func expiredAlteredAndForeignTicketsAreRefused() async throws {
        try await Self.withFixture { server, keys, signer in
            let issued = try await Self.ticket(server, #"{"run":"a1"}"#, key: keys.readAcme)
            let ticket = try #require(issued["ticket"] as? String)
            let claims = try signer.verify(ticket, at: .now())
            #expect(claims.issuer == "key:" + APIKey.id(of: keys.readAcme)! && claims.stream == .run && claims.project == "acme")

            // Expired: the same claims, signed with the server's secret, dated a second ago.
            var expired = claims
            expired.expiresAt = Timestamp.now().microseconds - 1_000_000
            Self.expectRefused(try await server.get("/v1/runs/a1/stream?ticket=\(signer.sign(expired))"), "it expired at", "expired")

            // Altered: the claims changed (another run, another project), the signature kept.
            let parts = ticket.dropFirst(3).split(separator: ".")
            var widened = claims
            widened.project = "beta"
            widened.run = "b1"
            let forged = String(signer.sign(widened).split(separator: ".")[0]) + "." + parts[1]
            Self.expectRefused(try await server.get("/v1/runs/b1/stream?ticket=\(forged)"), "signature does not verify", "altered claims")
            // Or one character of the signature changed.
            var signature = Array(parts[1])
            signature[5] = signature[5] == "A" ? "B" : "A"
            Self.expectRefused(try await server.get("/v1/runs/a1/stream?ticket=ht_\(parts[0]).\(String(signature))"), "signature", "altered signature")

            // Signed with another secret (another server, a replica without the shared file).
            let foreign = StreamTicketSigner(secret: StreamTicketSecret.random(), lifetime: .seconds(60)).sign(claims)
            Self.expectRefused(try await server.get("/v1/runs/a1/stream?ticket=\(foreign)"), "--stream-ticket-secret-file", "another secret")
            for junk in ["ht_", "ht_abc", "ht_a.b.c", "nonsense", "ht_\(parts[0])."] {
                let answer = try await server.get("/v1/runs/a1/stream?ticket=\(junk)")
                #expect(answer.status == 401 && answer.errorCode == "invalid_ticket", "\(junk): \(answer.text)")
            }
        }
    }

    @Test func aStreamOutlivesItsTicketAndAReconnectNeedsANewOne() async throws {
        try await Self.withFixture(configure: {
            // Room for a loaded machine between issuing the ticket and opening its stream.
            $0.access.streamTicketLifetime = .seconds(4)
            $0.streams.maxLifetime = .seconds(30)
        }) { server, keys, _ in
            let issued = try await Self.ticket(server, #"{"run":"b1"}"#, key: keys.readBeta)
            let url = try #require(issued["streamURL"] as? String)
            let expiresAt = try #require(Timestamp(rfc3339: issued["expiresAt"] as? String ?? ""))
            let stream = try await SSEConnection(server, url)
            #expect(try await stream.messages(1).map(\.event) == ["run.started"])
            // Once the ticket has expired, the stream it opened goes on...
            while Timestamp.now() <= expiresAt { try await Task.sleep(for: .milliseconds(50)) }
            let publish = try await TestKeys.create(in: server.dataDirectory, project: "beta", role: .publish)
            let posted = try await server.request(.POST, "/v1/events", body: #"{"run":"b1","type":"x.after"}"#, headers: TestKeys.bearer(publish))
            #expect(posted.status == 200)
            #expect(try await stream.messages(1).map(\.event) == ["x.after"])
            // ...but it opens nothing more: the client fetches a new ticket for its reconnect.
            Self.expectRefused(try await server.get(url, headers: [("Last-Event-ID", "2")]), "it expired at", "a reconnect with the old ticket")
            let fresh = try await Self.ticket(server, #"{"run":"b1"}"#, key: keys.readBeta)
            _ = try await server.request(.POST, "/v1/events", body: #"{"run":"b1","type":"run.completed"}"#, headers: TestKeys.bearer(publish))
            let resumed = try await SSEConnection(server, try #require(fresh["streamURL"] as? String), headers: [("Last-Event-ID", "2")])
            #expect(try await resumed.messagesUntilEnd().map(\.event) == ["run.completed"])
        }
    }

    @Test func aRevokedKeysTicketsAndTheirStreamsStop() async throws {
        try await Self.withFixture(configure: {
            $0.access.keyRefreshInterval = .milliseconds(100)
            $0.streams.maxLifetime = .seconds(30)
        }) { server, keys, _ in
            let reader = try await TestKeys.create(in: server.dataDirectory, project: "beta", role: .read)
            let opened = try await Self.ticket(server, #"{"run":"b1"}"#, key: reader)
            let unused = try await Self.ticket(server, #"{"run":"b1"}"#, key: reader)
            let stream = try await SSEConnection(server, try #require(opened["streamURL"] as? String))
            #expect(try await stream.messages(1).map(\.event) == ["run.started"])
            // When the issuing key is revoked, the stream its ticket opened ends as the key's own would...
            #expect(try await TestStores.withKeyStore(server.dataDirectory) { try await $0.revokeKey(id: APIKey.id(of: reader)!, at: .now()) })
            #expect(try await stream.messagesUntilEnd().isEmpty)
            // ...and its tickets open nothing, even those not used yet.
            Self.expectRefused(try await server.get(try #require(unused["streamURL"] as? String)), "has been revoked", "a revoked key's ticket")
            // Another key's tickets are untouched.
            let other = try await Self.ticket(server, #"{"run":"b1"}"#, key: keys.readBeta)
            let still = try await SSEConnection(server, try #require(other["streamURL"] as? String))
            #expect(still.status == 200)
        }
    }

    @Test func aTokensTicketLastsNoLongerThanTheTokenAndItsStreamEndsWithIt() async throws {
        let secret = "a shared secret of reasonable length"
        let signer = JWTKeyCollection()
        await signer.add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256)
        try await TestServer.with(configure: {
            $0.access.jwt = JWTConfiguration(key: .hs256(secret: Array(secret.utf8)))
            $0.access.streamTicketLifetime = .seconds(4)
        }) { server in
            // Room for a loaded machine (the PostgreSQL pass runs every suite at once) between
            // issuing the ticket and opening its stream (4 s; 1 s was seen to pass in CI), and
            // between the ticket's expiry and the token's.
            let expiry = Date().addingTimeInterval(14).timeIntervalSince1970.rounded(.up)
            let token = try await signer.sign(
                TokenAndLimitTests.Claims(sub: "viewer", exp: .init(value: Date(timeIntervalSince1970: expiry)), projects: ["acme"], role: "read")
            )
            let issued = try await Self.ticket(server, #"{"run":"t1","project":"acme"}"#, key: token)
            let stream = try await SSEConnection(server, try #require(issued["streamURL"] as? String) + "&wait=1")
            #expect(stream.status == 200)
            let ticketExpiry = try #require(Timestamp(rfc3339: issued["expiresAt"] as? String ?? ""))
            while Timestamp.now() <= ticketExpiry { try await Task.sleep(for: .milliseconds(50)) }
            // The ticket has expired; the stream has not: it ends at the token's exp (within the
            // hub's one-second check), with nothing lost before.
            _ = try await server.request(.POST, "/v1/events", body: #"{"run":"t1","type":"x.y"}"#, headers: TestKeys.bearer(try await self.publisher(signer)))
            #expect(try await stream.messages(1).map(\.event) == ["x.y"])
            #expect(try await stream.messagesUntilEnd().isEmpty)
            #expect(Date().timeIntervalSince1970 >= expiry, "the stream ended at the token's expiry, not before")
            // A ticket never outlives its token.
            let late = try await Self.ticket(server, #"{"run":"t1","project":"acme"}"#, key: try await self.publisher(signer, expiresIn: 2))
            let lateExpiry = try #require(Timestamp(rfc3339: late["expiresAt"] as? String ?? "")).microseconds
            #expect(lateExpiry <= Timestamp.now().microseconds + 2_000_000)
        }
    }

    private func publisher(_ signer: JWTKeyCollection, expiresIn: TimeInterval = 600) async throws -> String {
        try await signer.sign(TokenAndLimitTests.Claims(sub: "producer", exp: .init(value: Date().addingTimeInterval(expiresIn)), projects: ["acme"], role: "publish"))
    }

    // MARK: Keys in URLs, restarts, no authentication

    @Test func withoutQueryKeysAccessTokenIsRefusedPointingToTickets() async throws {
        try await Self.withFixture(configure: { $0.access.queryKeys = false }) { server, keys, _ in
            let refused = try await server.get("/v1/runs/a1/stream?access_token=\(keys.readAcme)")
            #expect(refused.status == 401 && refused.errorCode == "unauthorized")
            #expect(refused.text.contains("--no-query-keys") && refused.text.contains("POST /v1/stream-tickets"), "\(refused.text)")
            let issued = try await Self.ticket(server, #"{"run":"a1"}"#, key: keys.readAcme)
            #expect(try await server.get(try #require(issued["streamURL"] as? String)).status == 200)
            #expect(try await server.get("/v1/runs/a1/stream", headers: TestKeys.bearer(keys.readAcme)).status == 200)
        }
    }

    @Test func aRestartedServerAcceptsTheTicketsItIssuedAndKeepsItsSecretPrivate() async throws {
        let directory = TestServer.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let key = try await TestKeys.create(in: directory, project: "acme", role: .read)
        let publisher = try await TestKeys.create(in: directory, project: "acme", role: .publish)
        // PostgreSQL has no data folder for the secret: replicas (and restarts) share a file.
        let secretFile = TestStores.backend == .postgres ? try Self.secretFile() : nil
        let configure: @Sendable (inout HeraldConfiguration) -> Void = { $0.access.streamTicketSecretFile = secretFile }
        let url = try await TestServer.with(dataDirectory: directory, configure: configure) { server in
            _ = try await server.request(.POST, "/v1/events", body: #"{"run":"r1","type":"run.completed"}"#, headers: TestKeys.bearer(publisher))
            return try #require(try await Self.ticket(server, #"{"run":"r1"}"#, key: key)["streamURL"] as? String)
        }
        try await TestServer.with(dataDirectory: directory, configure: configure) { server in
            let stream = try await server.get(url)
            #expect(stream.status == 200, "\(stream.text)")
        }
        if TestStores.backend == .sqlite {
            let attributes = try FileManager.default.attributesOfItem(atPath: directory + "/" + StreamTicketSecret.fileName)
            #expect((attributes[.posixPermissions] as? Int) == 0o600)
            #expect(try StreamTicketSecret.read(directory + "/" + StreamTicketSecret.fileName).count >= 32)
        }
    }

    @Test func withoutKeysOnLoopbackTicketsWorkAndAreStillChecked() async throws {
        try await TestServer.with { server in
            try await server.ingest([#"{"run":"open","type":"run.completed"}"#])
            let issued = try await Self.ticket(server, #"{"run":"open"}"#, key: nil)
            #expect(try await server.get(try #require(issued["streamURL"] as? String)).status == 200)
            Self.expectRefused(try await server.get("/v1/runs?ticket=\(try #require(issued["ticket"] as? String))"), "nothing else", "a query")
            let rebound = try await server.get(try #require(issued["streamURL"] as? String), headers: [("Host", "evil.example")])
            #expect(rebound.status == 403, "DNS rebinding is refused with a ticket too")
        }
    }

    @Test func aSecretFileTooShortOrMissingIsRefusedAtStart() async throws {
        let path = TestServer.makeTemporaryDirectory() + ".short"
        try Data("too short".utf8).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        for (file, says) in [(path, "at least 32"), (path + ".missing", "cannot read")] {
            var configuration = try await TestServer.configuration(directory: TestServer.makeTemporaryDirectory())
            configuration.access.streamTicketSecretFile = file
            do {
                _ = try await buildApplication(configuration)
                Issue.record("\(file) was taken")
            } catch let error as HeraldError {
                #expect(error.message.contains(says), "\(error.message)")
            }
        }
    }
}
