import Foundation
import HeraldPostgres
import HeraldTestSupport
import Logging
import Synchronization
import Testing

@testable import HeraldServer

/// What the server says once it listens: the version, the dashboard's URL, the store and
/// whether authentication is on (and how to turn it on) — readable lines in the text format,
/// one `started` event with the same facts as fields in JSON.
@Suite("Startup report", .timeLimit(.minutes(1)))
struct StartupReportTests {
    @Test func textLinesNameVersionDashboardStoreAndHowToCreateAKey() async throws {
        let lines = Mutex([String]())
        let logger = Logger(label: "herald") { label in TextLogHandler(label: label) { line in lines.withLock { $0.append(line) } } }
        try await TestServer.with(configure: { $0.logLevel = .info }, logger: logger) { server in
            let text = lines.withLock { $0.joined() }
            #expect(text.contains("Herald \(BuildInfo.summary)\n"))
            #expect(text.contains("dashboard: http://127.0.0.1:\(server.port)/\n"))
            if TestStores.backend == .sqlite {
                #expect(text.contains("store: SQLite \(server.dataDirectory)/herald.sqlite, --sync normal"))
                #expect(text.contains("herald keys create --data \(server.dataDirectory) --project '*' --role admin"), "\(text)")
            } else {
                #expect(text.contains("store: PostgreSQL postgres://"))
                #expect(text.contains("herald keys create --store "))
            }
            #expect(text.contains("authentication: off until the first key exists: any program on this machine can read and write every run"))
            #expect(lines.withLock { $0.filter { $0.contains("dashboard:") }.count } == 1, "said once")
        }
    }

    @Test func jsonIsOneStartedEventWithTheSameFacts() async throws {
        let lines = Mutex([[UInt8]]())
        let logger = Logger(label: "herald") { label in JSONLogHandler(label: label) { bytes in lines.withLock { $0.append(bytes) } } }
        let json: @Sendable (inout HeraldConfiguration) -> Void = { configuration in
            configuration.logLevel = .info
            configuration.logFormat = .json
        }
        try await TestServer.with(configure: json, logger: logger) { server in
            let objects = try lines.withLock { $0 }.map { try JSONSerialization.jsonObject(with: Data($0)) as? [String: String] ?? [:] }
            let started = objects.filter { $0["message"] == "started" }
            try #require(started.count == 1, "\(objects)")
            let fields = started[0]
            #expect(fields["version"] == BuildInfo.version && fields["commit"] == BuildInfo.commit && fields["built"] == BuildInfo.date)
            #expect(fields["dashboard"] == "http://127.0.0.1:\(server.port)/")
            #expect(fields["auth"] == "off")
            #expect(fields["auth.create-key"]?.hasPrefix("herald keys create ") == true)
            if TestStores.backend == .sqlite {
                #expect(
                    fields["store"] == "sqlite" && fields["store.path"] == server.dataDirectory + "/herald.sqlite" && fields["store.sync"] == "normal"
                )
            } else {
                #expect(fields["store"] == "postgres" && fields["store.url"]?.hasPrefix("postgres://") == true)
            }
        }
    }

    @Test func withAKeyAuthenticationIsOn() async throws {
        let directory = TestServer.makeTemporaryDirectory()
        _ = try await TestKeys.create(in: directory, project: "*", role: .admin)
        let lines = Mutex([String]())
        let logger = Logger(label: "herald") { label in TextLogHandler(label: label) { line in lines.withLock { $0.append(line) } } }
        try await TestServer.with(dataDirectory: directory, configure: { $0.logLevel = .info }, logger: logger) { _ in
            let text = lines.withLock { $0.joined() }
            #expect(text.contains("authentication: on (API keys)\n"), "\(text)")
            #expect(!text.contains("herald keys create"))
        }
    }

    @Test func insecureNoAuthSaysKeysAreNotChecked() async throws {
        let lines = Mutex([String]())
        let logger = Logger(label: "herald") { label in TextLogHandler(label: label) { line in lines.withLock { $0.append(line) } } }
        let insecure: @Sendable (inout HeraldConfiguration) -> Void = { configuration in
            configuration.logLevel = .info
            configuration.access.insecureNoAuth = true
        }
        try await TestServer.with(configure: insecure, logger: logger) { _ in
            let text = lines.withLock { $0.joined() }
            #expect(text.contains("authentication: off (--insecure-no-auth): any program on this machine can read and write every run"))
            #expect(text.contains("; keys are not checked\n"))
        }
    }

    /// A PostgreSQL store is named by its URL without the password, in the lines and the fields alike.
    @Test func aPostgresPasswordNeverAppears() throws {
        let location = try PostgresLocation(url: "postgres://herald:s3cret-pw@db.example:5433/events?sslmode=require", environment: [:])
        var configuration = HeraldConfiguration()
        configuration.postgres = location
        let report = StartupReport(configuration: configuration, port: 7373, store: .postgres(location), authentication: .offUntilFirstKey)
        let said = report.lines + report.fields.values.map(\.description)
        #expect(!said.contains { $0.contains("s3cret-pw") }, "\(said)")
        #expect(report.lines.contains("store: PostgreSQL postgres://herald@db.example:5433/events?sslmode=require"))
        let createKey = "herald keys create --store 'postgres://herald@db.example:5433/events?sslmode=require' --project '*' --role admin"
        #expect(report.lines.contains { $0.hasSuffix(createKey) })
    }

    @Test func aServerOnEveryInterfaceGivesALoopbackDashboardURLAndWarnsTheNetwork() {
        var configuration = HeraldConfiguration()
        configuration.host = "0.0.0.0"
        let report = StartupReport(
            configuration: configuration, port: 8080, store: .sqlite(folder: "/srv/herald data", durability: .full), authentication: .disabled
        )
        #expect(report.lines.contains("dashboard: http://127.0.0.1:8080/"))
        #expect(report.lines.contains("store: SQLite /srv/herald data/herald.sqlite, --sync full (survives a power loss)"))
        #expect(
            report.lines.contains(
                "authentication: off (--insecure-no-auth): anyone who can reach 0.0.0.0:8080 can read and write every run; keys are not checked"))
    }
}
