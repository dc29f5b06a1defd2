import Foundation
import HeraldCore
import HeraldServer
import HeraldSQLite
import HeraldTestSupport
import Logging
import NIOHTTP1
import Synchronization
import Testing

/// API keys end to end: every role against every endpoint, project isolation, how credentials
/// travel, revocation, and when authentication is on.
@Suite("Access control")
struct AccessControlTests {
    /// Keys of a server whose data folder holds runs of two projects, acme and beta.
    struct Fixture: Sendable {
        let readAcme: String
        let publishAcme: String
        let adminAcme: String
        let adminAll: String
        let readBeta: String
        /// An event id of the acme run `a1`.
        let eventID: String
    }

    static func withFixture(
        configure: @escaping @Sendable (inout HeraldConfiguration) -> Void = { _ in }, logger: Logger? = nil,
        _ body: @Sendable (TestServer, Fixture) async throws -> Void
    ) async throws {
        let directory = TestServer.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let keys = (
            try await TestKeys.create(in: directory, project: "acme", role: .read),
            try await TestKeys.create(in: directory, project: "acme", role: .publish),
            try await TestKeys.create(in: directory, project: "acme", role: .admin),
            try await TestKeys.create(in: directory, project: "*", role: .admin),
            try await TestKeys.create(in: directory, project: "beta", role: .read)
        )
        try await TestServer.with(
            dataDirectory: directory,
            configure: { configuration in
                // Project streams end quickly, so their answers can be read whole.
                configuration.streams.heartbeat = .milliseconds(150)
                configuration.streams.maxLifetime = .milliseconds(300)
                configure(&configuration)
            },
            logger: logger
        ) { server in
            let seeded = try await server.request(
                .POST, "/v1/events",
                body: """
                    [{"project":"acme","run":"a1","type":"run.started"},{"project":"acme","run":"a1","type":"agent.log","agent":"w","data":{"line":"hi"}},\
                    {"project":"acme","run":"a1","type":"run.completed"},{"project":"beta","run":"b1","type":"run.started"}]
                    """,
                headers: TestKeys.bearer(keys.3)
            )
            #expect(seeded.status == 200, "\(seeded.text)")
            let events = try seeded.json["events"] as? [[String: Any]] ?? []
            let eventID = try #require(events.first?["id"] as? String)
            try await body(server, Fixture(readAcme: keys.0, publishAcme: keys.1, adminAcme: keys.2, adminAll: keys.3, readBeta: keys.4, eventID: eventID))
        }
    }

    // MARK: Roles × endpoints

    @Test(.timeLimit(.minutes(1))) func everyRoleAgainstEveryEndpoint() async throws {
        try await Self.withFixture { server, keys in
            let id = keys.eventID
            // (method, path, body) → expected status for: no key, read acme, publish acme, admin acme, read beta.
            let table: [(HTTPMethod, String, String?, [Int])] = [
                (.POST, "/v1/events", #"{"project":"acme","run":"a2","type":"x.y"}"#, [401, 403, 200, 200, 403]),
                (.POST, "/v1/events", #"{"run":"a3","type":"x.y"}"#, [401, 403, 200, 200, 403]),
                (.POST, "/v1/events", #"{"project":"beta","run":"b2","type":"x.y"}"#, [401, 403, 403, 403, 403]),
                (.GET, "/v1/runs", nil, [401, 200, 200, 200, 200]),
                (.GET, "/v1/projects", nil, [401, 200, 200, 200, 200]),
                (.GET, "/v1/runs/a1", nil, [401, 200, 200, 200, 404]),
                (.GET, "/v1/runs/b1", nil, [401, 404, 404, 404, 200]),
                (.GET, "/v1/runs/a1/events", nil, [401, 200, 200, 200, 404]),
                (.GET, "/v1/runs/a1/events?before=3", nil, [401, 200, 200, 200, 404]),
                (.GET, "/v1/runs/a1/events/\(id)", nil, [401, 200, 200, 200, 404]),
                (.GET, "/v1/runs/a1/events/\(id)/causality", nil, [401, 200, 200, 200, 404]),
                (.GET, "/v1/runs/a1/stream", nil, [401, 200, 200, 200, 404]),
                (.GET, "/v1/projects/acme/stream", nil, [401, 200, 200, 200, 404]),
                (.GET, "/v1/projects/beta/stream", nil, [401, 404, 404, 404, 200]),
                (.GET, "/metrics", nil, [401, 403, 403, 403, 403]),  // server-wide: an admin key for every project
                (.GET, "/v1/access", nil, [401, 200, 200, 200, 200]),
                (.GET, "/healthz", nil, [200, 200, 200, 200, 200]),
                (.GET, "/readyz", nil, [200, 200, 200, 200, 200]),
                (.GET, "/openapi.json", nil, [200, 200, 200, 200, 200]),
            ]
            let callers: [String?] = [nil, keys.readAcme, keys.publishAcme, keys.adminAcme, keys.readBeta]
            for (method, path, body, expected) in table {
                for (caller, status) in zip(callers, expected) {
                    let answer = try await server.request(method, path, body: body, headers: caller.map(TestKeys.bearer) ?? [])
                    let who = caller.map { String($0.prefix(15)) } ?? "nobody"
                    #expect(answer.status == status, "\(method) \(path) as \(who): \(answer.status) \(answer.text.prefix(200))")
                    switch answer.status {
                    case 401:
                        #expect(answer.errorCode == "unauthorized")
                        #expect(answer.headers["WWW-Authenticate"].first == #"Bearer realm="herald""#)
                    case 403: #expect(answer.errorCode == "forbidden")
                    case 404: #expect(["run_not_found", "not_found"].contains(answer.errorCode))
                    default: break
                    }
                }
            }
        }
    }

    @Test func anotherProjectsRunsDoNotExistForAKey() async throws {
        try await Self.withFixture { server, keys in
            let listed = try await server.get("/v1/runs", headers: TestKeys.bearer(keys.readAcme))
            #expect(Self.runNames(listed) == ["a1"])
            let asked = try await server.get("/v1/runs?project=beta", headers: TestKeys.bearer(keys.readAcme))
            #expect(Self.runNames(asked) == [])
            let all = try await server.get("/v1/runs", headers: TestKeys.bearer(keys.adminAll))
            #expect(Set(Self.runNames(all)) == ["a1", "b1"])
            // The same 404 as a run that does not exist: nothing tells the two apart.
            let other = try await server.get("/v1/runs/b1", headers: TestKeys.bearer(keys.readAcme))
            let missing = try await server.get("/v1/runs/zz", headers: TestKeys.bearer(keys.readAcme))
            #expect(other.status == 404 && missing.status == 404)
            #expect(other.text.replacingOccurrences(of: "b1", with: "zz") == missing.text)
        }
    }

    @Test func theProjectsListingShowsOnlyWhatTheKeyReads() async throws {
        try await Self.withFixture { server, keys in
            func projects(_ key: String) async throws -> [String] {
                let answer = try await server.get("/v1/projects", headers: TestKeys.bearer(key))
                let listed = try answer.json["projects"] as? [[String: Any]] ?? []
                return listed.compactMap { $0["project"] as? String }
            }
            let (acme, beta, all) = (try await projects(keys.readAcme), try await projects(keys.readBeta), try await projects(keys.adminAll))
            #expect(acme == ["acme"])
            #expect(beta == ["beta"])
            #expect(Set(all) == ["acme", "beta"])
        }
    }

    @Test func metricsTakeAnAdminKeyForEveryProject() async throws {
        try await Self.withFixture { server, keys in
            #expect(try await server.get("/metrics", headers: TestKeys.bearer(keys.adminAll)).status == 200)
            let scoped = try await server.get("/metrics", headers: TestKeys.bearer(keys.adminAcme))
            #expect(scoped.status == 403 && scoped.text.contains("every project"))
        }
    }

    /// What another project holds is neither taken from nor told to a publisher: its run names
    /// and event ids answer exactly as names and ids nobody uses.
    @Test func anotherProjectsRunsAndIdsAreNeitherTakenNorTold() async throws {
        try await Self.withFixture { server, keys in
            let publishBeta = try await TestKeys.create(in: server.dataDirectory, project: "beta", role: .publish)
            func post(_ body: String) async throws -> TestServer.Answer {
                try await server.request(.POST, "/v1/events", body: body, headers: TestKeys.bearer(publishBeta))
            }
            func same(_ acmes: TestServer.Answer, _ nobodys: TestServer.Answer, replacing: [(String, String)]) {
                #expect(acmes.status == nobodys.status)
                let replaced = replacing.reduce(acmes.text) { $0.replacingOccurrences(of: $1.0, with: $1.1) }
                #expect(replaced == nobodys.text, "\(acmes.text) vs \(nobodys.text)")
            }
            // expectedSeq on acme's run name (a1 is at seq 3 in acme) and on a name nobody uses.
            same(
                try await post(#"{"run":"a1","type":"x.y","expectedSeq":3}"#), try await post(#"{"run":"zz","type":"x.y","expectedSeq":3}"#),
                replacing: [("a1", "zz")]
            )
            // acme's finished run's name starts a new run in beta.
            let taken = try await post(#"{"run":"a1","type":"x.y"}"#)
            #expect(taken.status == 200 && taken.text.contains(#""seq":1"#), "\(taken.text)")
            // acme's event id is a new event in beta, as a fresh id is.
            let fresh = ULIDGenerator().next()
            same(
                try await post(#"{"id":"\#(keys.eventID)","run":"c1","type":"x.y"}"#),
                try await post(#"{"id":"\#(fresh)","run":"c2","type":"x.y"}"#),
                replacing: [(keys.eventID, fresh), ("c1", "c2")]
            )
            // Nothing of acme's changed, and its own retry is still a duplicate.
            let a1 = try await server.get("/v1/runs/a1?project=acme", headers: TestKeys.bearer(keys.adminAll)).json
            #expect(a1["eventCount"] as? Int == 3 && a1["status"] as? String == "completed")
            let retried = try await server.request(
                .POST, "/v1/events", body: #"{"id":"\#(keys.eventID)","project":"acme","run":"a1","type":"run.started"}"#,
                headers: TestKeys.bearer(keys.adminAll)
            )
            #expect(retried.status == 200 && retried.text.contains(#""duplicate":true"#), "\(retried.text)")
            // beta's own conflicts are told in full: they are about beta's runs.
            let reused = try await post(#"{"id":"\#(keys.eventID)","run":"a1","type":"x.y"}"#)
            #expect(reused.status == 409 && reused.errorCode == "id_conflict" && reused.text.contains("c1"), "\(reused.text)")
        }
    }

    @Test func publicReadinessTellsNothingAboutProjectsWhenKeysExist() async throws {
        try await Self.withFixture { server, _ in
            let ready = try await server.get("/readyz")
            #expect(ready.status == 200 && ready.text == #"{"status":"ready"}"#)
        }
    }

    @Test func aCallerCanAskWhatItsCredentialGrants() async throws {
        try await Self.withFixture { server, keys in
            let read = try await server.get("/v1/access", headers: TestKeys.bearer(keys.readAcme)).json
            #expect(read["role"] as? String == "read" && read["projects"] as? [String] == ["acme"])
            #expect(read["authentication"] as? Bool == true)
            #expect((read["caller"] as? String)?.hasPrefix("key:") == true && read["caller"] as? String == "key:" + APIKey.id(of: keys.readAcme)!)
            let all = try await server.get("/v1/access", headers: TestKeys.bearer(keys.adminAll)).json
            #expect(all["projects"] as? String == "*" && all["role"] as? String == "admin")
        }
        try await TestServer.with { server in
            let open = try await server.get("/v1/access").json
            #expect(open["authentication"] as? Bool == false && open["projects"] as? String == "*")
        }
    }

    @Test func anEventWithoutAProjectGoesToTheKeysProject() async throws {
        try await Self.withFixture { server, keys in
            let answer = try await server.request(.POST, "/v1/events", body: #"{"run":"p1","type":"x.y"}"#, headers: TestKeys.bearer(keys.publishAcme))
            #expect(answer.status == 200)
            let run = try await server.get("/v1/runs/p1", headers: TestKeys.bearer(keys.adminAll)).json
            #expect(run["project"] as? String == "acme")
        }
    }

    @Test func aStreamWaitingForAnotherProjectsRunStaysSilent() async throws {
        try await Self.withFixture { server, keys in
            async let stream = server.get("/v1/runs/b9/stream?wait=1", headers: TestKeys.bearer(keys.readAcme))
            try await Task.sleep(for: .milliseconds(200))
            let published = try await server.request(
                .POST, "/v1/events", body: #"{"project":"beta","run":"b9","type":"run.started","data":{"name":"secret"}}"#,
                headers: TestKeys.bearer(keys.adminAll)
            )
            #expect(published.status == 200)
            let answer = try await stream
            #expect(answer.status == 200)
            #expect(!answer.text.contains("secret") && !answer.text.contains("run.started"), "\(answer.text)")
        }
    }

    /// The same run name in two projects: every run route answers each key with its own
    /// project's run, and a stream one project holds open is counted only in its own run.
    @Test func theSameRunNameInTwoProjectsIsTwoRunsOnEveryRoute() async throws {
        try await Self.withFixture(configure: { $0.streams.maxLifetime = .seconds(30) }) { server, keys in
            let seeded = try await server.request(
                .POST, "/v1/events", body: #"[{"project":"beta","run":"a1","type":"run.started","data":{"name":"beta's a1"}}]"#,
                headers: TestKeys.bearer(keys.adminAll)
            )
            let betaID = try #require((try seeded.json["events"] as? [[String: Any]])?.first?["id"] as? String)
            for (key, project, id, count) in [(keys.readAcme, "acme", keys.eventID, 3), (keys.readBeta, "beta", betaID, 1)] {
                let run = try await server.get("/v1/runs/a1", headers: TestKeys.bearer(key)).json
                #expect(run["project"] as? String == project && run["eventCount"] as? Int == count)
                let events = try await server.get("/v1/runs/a1/events", headers: TestKeys.bearer(key)).json["events"] as? [[String: Any]]
                #expect(events?.compactMap { $0["project"] as? String } == Array(repeating: project, count: count))
                #expect(try await server.get("/v1/runs/a1/events/\(id)", headers: TestKeys.bearer(key)).status == 200)
                #expect(try await server.get("/v1/runs/a1/events/\(id)/causality", headers: TestKeys.bearer(key)).status == 200)
                let other = id == keys.eventID ? betaID : keys.eventID
                let missing = try await server.get("/v1/runs/a1/events/\(other)", headers: TestKeys.bearer(key))
                #expect(missing.status == 404 && missing.errorCode == "event_not_found", "the other project's event is not in this run")
            }
            // The key reaching both is asked to choose; naming the project settles it.
            let unnamed = try await server.get("/v1/runs/a1", headers: TestKeys.bearer(keys.adminAll))
            #expect(unnamed.status == 400 && unnamed.errorCode == "ambiguous_run")
            #expect(try await server.get("/v1/runs/a1?project=beta", headers: TestKeys.bearer(keys.adminAll)).json["project"] as? String == "beta")

            // beta's reader waits on a1: it is beta's a1, and acme's a1 shows no subscriber.
            let watcher = try await SSEConnection(server, "/v1/runs/a1/stream", headers: TestKeys.bearer(keys.readBeta))
            #expect(try await watcher.nextMessage()?.data.contains("beta's a1") == true)
            let acme = try await server.get("/v1/runs/a1?project=acme", headers: TestKeys.bearer(keys.adminAll)).json
            let beta = try await server.get("/v1/runs/a1?project=beta", headers: TestKeys.bearer(keys.adminAll)).json
            #expect(acme["subscribers"] as? Int == 0 && beta["subscribers"] as? Int == 1, "\(acme) \(beta)")
        }
    }

    // MARK: Credentials

    @Test func streamsTakeAnAccessTokenAndNothingElseDoes() async throws {
        try await Self.withFixture { server, keys in
            let stream = try await server.get("/v1/runs/a1/stream?access_token=\(keys.readAcme)")
            #expect(stream.status == 200)
            #expect(stream.text.contains("event: run.completed"))
            let query = try await server.get("/v1/runs/a1?access_token=\(keys.readAcme)")
            #expect(query.status == 401)
            #expect(query.text.contains("stream endpoints only"))
        }
    }

    @Test func malformedUnknownAndOtherSchemeCredentialsAre401() async throws {
        try await Self.withFixture { server, keys in
            let forged = "hk_" + keys.readAcme.dropFirst(3).prefix(12) + "_" + String(repeating: "a", count: 32)
            for (header, code) in [
                ("Bearer nonsense", "invalid_token"), ("Bearer \(forged)", "invalid_token"), ("Basic dXNlcjpwdw==", "unauthorized"),
                ("Bearer", "unauthorized"),
            ] {
                let answer = try await server.get("/v1/runs", headers: [("Authorization", header)])
                #expect(answer.status == 401, "\(header)")
                #expect(answer.errorCode == code, "\(header): \(answer.text)")
                #expect(answer.headers["WWW-Authenticate"].first?.hasPrefix("Bearer realm=\"herald\"") == true)
            }
        }
    }

    @Test(.timeLimit(.minutes(1))) func aRevokedKeyStopsWorkingAndANewOneWorksAtOnce() async throws {
        try await Self.withFixture(configure: { $0.access.keyRefreshInterval = .milliseconds(100) }) { server, keys in
            #expect(try await server.get("/v1/runs", headers: TestKeys.bearer(keys.readAcme)).status == 200)
            let id = try #require(APIKey.id(of: keys.readAcme))
            #expect(try await TestStores.withKeyStore(server.dataDirectory) { store in try await store.revokeKey(id: id, at: .now()) })
            var status = 200
            while status == 200 {
                try await Task.sleep(for: .milliseconds(50))
                status = try await server.get("/v1/runs", headers: TestKeys.bearer(keys.readAcme)).status
            }
            #expect(status == 401)
            // Created while the server runs: usable on its first request.
            let fresh = try await TestKeys.create(in: server.dataDirectory, project: "acme", role: .read)
            #expect(try await server.get("/v1/runs", headers: TestKeys.bearer(fresh)).status == 200)
        }
    }

    // MARK: When authentication is on

    @Test(.timeLimit(.minutes(1))) func withoutKeysLoopbackIsOpenUntilTheFirstKeyAppears() async throws {
        try await TestServer.with(configure: { $0.access.keyRefreshInterval = .milliseconds(100) }) { server in
            #expect(try await server.get("/v1/runs").status == 200)
            let key = try await TestKeys.create(in: server.dataDirectory, project: "*", role: .admin)
            // Within a refresh interval the server knows of the key; from then on one is required.
            while try await server.get("/v1/runs").status == 200 { try await Task.sleep(for: .milliseconds(50)) }
            #expect(try await server.get("/v1/runs").status == 401)
            #expect(try await server.get("/v1/runs", headers: TestKeys.bearer(key)).status == 200)
            #expect(try await TestStores.withKeyStore(server.dataDirectory) { store in try await store.revokeKey(id: APIKey.id(of: key)!, at: .now()) })
            try await Task.sleep(for: .milliseconds(400))
            // Revoking every key does not open the server again.
            #expect(try await server.get("/v1/runs").status == 401)
            #expect(try await server.get("/v1/runs", headers: TestKeys.bearer(key)).status == 401)
        }
    }

    @Test func aPublicAddressWithoutAuthenticationIsRefusedWithTheWayOut() async throws {
        let directory = TestServer.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var configuration = try await TestServer.configuration(directory: directory)
        configuration.host = "0.0.0.0"
        do {
            _ = try await buildApplication(configuration)
            Issue.record("listening on 0.0.0.0 without keys was allowed")
        } catch let error as HeraldError {
            #expect(error.message.contains("refusing to listen on 0.0.0.0 without authentication"))
            #expect(error.message.contains("--insecure-no-auth") && error.message.contains("herald keys create"))
        }
        configuration.access.insecureNoAuth = true
        _ = try await buildApplication(configuration)
        configuration.access.insecureNoAuth = false
        _ = try await TestKeys.create(in: directory, project: "*", role: .admin)
        _ = try await buildApplication(configuration)
    }

    @Test func anyOriginWithoutAuthenticationIsRefusedWithTheWayOut() async throws {
        let directory = TestServer.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var configuration = try await TestServer.configuration(directory: directory)
        configuration.access.corsOrigins = ["https://app.example", "*"]
        do {
            _ = try await buildApplication(configuration)
            Issue.record("--cors-origin '*' without keys was allowed")
        } catch let error as HeraldError {
            #expect(error.message.contains("refusing --cors-origin '*' without authentication"))
            #expect(error.message.contains("any web page"))
            #expect(error.message.contains("--insecure-no-auth") && error.message.contains("herald keys create"))
        }
        // Named origins are not refused; nor is '*' once something authenticates, or when accepted.
        configuration.access.corsOrigins = ["https://app.example"]
        _ = try await buildApplication(configuration)
        configuration.access.corsOrigins = ["*"]
        configuration.access.jwt = JWTConfiguration(key: .hs256(secret: Array("a shared secret of reasonable length".utf8)))
        _ = try await buildApplication(configuration)
        configuration.access.jwt = nil
        let records = LogRecords()
        configuration.access.insecureNoAuth = true
        configuration.logLevel = .warning
        _ = try await buildApplication(configuration, logger: Logger(label: "herald") { _ in records })
        #expect(records.text.contains("warning cors.any"), "\(records.text)")
        configuration.access.insecureNoAuth = false
        _ = try await TestKeys.create(in: directory, project: "*", role: .admin)
        _ = try await buildApplication(configuration)
    }

    @Test func withoutKeysOnlyLoopbackNamesAreServed() async throws {
        try await TestServer.with { server in
            #expect(try await server.get("/v1/runs", headers: [("Host", "localhost:\(server.port)")]).status == 200)
            // A page whose domain was rebound to 127.0.0.1 sends its own name.
            let rebound = try await server.get("/v1/runs", headers: [("Host", "evil.example:\(server.port)")])
            #expect(rebound.status == 403 && rebound.text.contains("herald keys create"))
            #expect(try await server.get("/healthz", headers: [("Host", "evil.example")]).status == 200)
        }
        try await TestServer.with(configure: { $0.access.insecureNoAuth = true }) { server in
            let answer = try await server.get("/v1/runs", headers: [("Host", "herald.internal")])
            #expect(answer.status == 200)
        }
    }

    @Test func loopbackIsAnAddressNotAPrefix() {
        for host in ["127.0.0.1", "127.1.2.3", "localhost", "::1", "[::1]"] { #expect(HeraldConfiguration.isLoopback(host), "\(host)") }
        for host in ["0.0.0.0", "127.evil.example", "10.0.0.1", "::", "example.com", ""] { #expect(!HeraldConfiguration.isLoopback(host), "\(host)") }
    }

    // MARK: Secrets stay secret

    @Test func thePlainKeyNeverReachesTheDataFolderOrTheLogs() async throws {
        let records = LogRecords()
        var logger = Logger(label: "herald") { _ in records }
        logger.logLevel = .trace
        try await Self.withFixture(configure: { $0.logLevel = .trace }, logger: logger) { server, keys in
            _ = try await server.get("/v1/runs", headers: TestKeys.bearer(keys.readAcme))
            _ = try await server.get("/v1/runs/a1/stream?access_token=\(keys.readAcme)")
            _ = try await server.get("/v1/runs/a1?access_token=\(keys.readAcme)")
            _ = try await server.request(.POST, "/v1/events", body: "{", headers: TestKeys.bearer(keys.publishAcme))
            let secrets = [keys.readAcme, keys.publishAcme, keys.adminAll].map { String($0.split(separator: "_")[2]) }
            #expect(records.text.contains("request"), "the server logged nothing to search")
            for secret in secrets {
                #expect(!records.text.contains(secret), "a key's secret is in the logs")
                for file in try FileManager.default.contentsOfDirectory(atPath: server.dataDirectory) {
                    let bytes = try Data(contentsOf: URL(fileURLWithPath: server.dataDirectory + "/" + file))
                    #expect(bytes.range(of: Data(secret.utf8)) == nil, "a key's secret is in \(file)")
                }
            }
        }
    }

    static func runNames(_ answer: TestServer.Answer) -> [String] {
        ((try? answer.json["runs"] as? [[String: Any]]) ?? []).compactMap { $0["run"] as? String }
    }
}

/// Every log record's message and metadata, as text.
final class LogRecords: LogHandler, @unchecked Sendable {
    private let lines = Mutex([String]())
    var logLevel: Logger.Level = .trace
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let line = "\(event.level) \(event.message) \((event.metadata ?? [:]).merging(metadata) { a, _ in a })"
        lines.withLock { $0.append(line) }
    }

    var text: String { lines.withLock { $0.joined(separator: "\n") } }
}
