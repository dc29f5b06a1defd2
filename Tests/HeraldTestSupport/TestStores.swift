import Foundation
import HeraldCore
import HeraldSQLite
import Logging

#if PostgreSQL
import HeraldPostgres
import PostgresNIO
#endif

/// Which store the store, API and stream tests run on: the same tests, either backend.
///
/// `HERALD_TEST_STORE=postgres` runs them on PostgreSQL at `HERALD_TEST_POSTGRES_URL` (a role
/// that may create databases): each test gets a database of its own, named after its data
/// folder, so a test that restarts its server on the same folder finds its events again.
/// Tests that exist only for PostgreSQL (replicas) need the URL too; in CI (`CI` set) they
/// fail without it rather than being skipped.
public enum TestStores {
    public enum Backend: String, Sendable {
        case sqlite, postgres
    }

    public static let backend: Backend = {
        switch ProcessInfo.processInfo.environment["HERALD_TEST_STORE"] ?? "sqlite" {
        case "postgres": .postgres
        case "sqlite", "": .sqlite
        case let other: fatalError("HERALD_TEST_STORE must be sqlite or postgres, not \(other)")
        }
    }()

    /// The PostgreSQL server the tests may use, if one is configured.
    public static var postgresURL: String? {
        ProcessInfo.processInfo.environment["HERALD_TEST_POSTGRES_URL"].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// Whether PostgreSQL-only tests should run: a server is configured, or CI demands it.
    public static var postgresRequired: Bool {
        postgresURL != nil || ProcessInfo.processInfo.environment["CI"] != nil
    }

    #if PostgreSQL
    /// The PostgreSQL server's URL, or a failure explaining how to give one.
    public static func basePostgres() throws -> PostgresLocation {
        guard let url = postgresURL else {
            throw TestStoreError(
                "these tests need PostgreSQL: start one with Tests/postgres/cluster.sh start /tmp/herald-pg and set HERALD_TEST_POSTGRES_URL to the URL it prints"
            )
        }
        return try PostgresLocation(url: url)
    }

    /// The test database for a data folder, created on first use.
    public static func postgres(for directory: String) async throws -> PostgresLocation {
        var location = try basePostgres()
        let suffix = URL(fileURLWithPath: directory).lastPathComponent.lowercased().filter { $0.isLetter || $0.isNumber }
        let name = "herald_t_" + suffix.suffix(40)
        let logger = Logger(label: "herald.test")
        let connection = try await PostgresConnection.connect(configuration: try location.connectionConfiguration, id: 1, logger: logger)
        defer { Task { try? await connection.close() } }
        let exists = try await connection.query("SELECT 1 FROM pg_database WHERE datname = \(name)", logger: logger).collect()
        if exists.isEmpty {
            try await connection.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \"\(name)\""), logger: logger)
        }
        location.database = name
        return location
    }
    #endif

    /// The refusal of `HERALD_TEST_STORE=postgres` in a build without the `PostgreSQL` trait.
    static let builtWithoutPostgreSQL = TestStoreError("HERALD_TEST_STORE=postgres needs the PostgreSQL trait: test with default traits")

    /// Opens the backend's store for a data folder (a fresh folder: a fresh store).
    public static func open(_ directory: String) async throws -> any EventStore {
        switch backend {
        case .sqlite:
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            return try SQLiteStore(path: directory + "/herald.sqlite")
        case .postgres:
            #if PostgreSQL
            return try await PostgresStore.open(try await postgres(for: directory))
            #else
            throw builtWithoutPostgreSQL
            #endif
        }
    }

    /// The key store of a data folder, as `herald keys` opens it.
    public static func withKeyStore<T: Sendable>(_ directory: String, _ body: (any KeyStore) async throws -> T) async throws -> T {
        switch backend {
        case .sqlite:
            return try await body(try SQLiteKeyStore(path: directory + "/herald.sqlite"))
        case .postgres:
            #if PostgreSQL
            return try await PostgresStore.withRunning(try await postgres(for: directory)) { store in try await body(store) }
            #else
            throw builtWithoutPostgreSQL
            #endif
        }
    }

    public static func makeTemporaryDirectory() -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("herald-test-\(UUID().uuidString)").path
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }
}

public struct TestStoreError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
