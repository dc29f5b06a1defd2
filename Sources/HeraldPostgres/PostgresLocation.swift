#if PostgreSQL
import Foundation
import NIOSSL
import PostgresNIO

/// Where a PostgreSQL store lives, from a URL as libpq writes it:
/// `postgres://user[:password]@host[:port]/database[?sslmode=disable|prefer|require]`.
/// The password may also come from `PGPASSWORD`, so it need not appear in a process list.
public struct PostgresLocation: Sendable, CustomStringConvertible {
    public enum TLSMode: String, Sendable {
        case disable, prefer, require
    }

    public var host: String
    public var port: Int
    public var username: String
    public var password: String?
    public var database: String
    public var tls: TLSMode

    public init(host: String, port: Int = 5432, username: String, password: String?, database: String, tls: TLSMode = .prefer) {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.database = database
        self.tls = tls
    }

    /// Whether `text` names a PostgreSQL store rather than a SQLite folder.
    public static func isPostgresURL(_ text: String) -> Bool {
        text.hasPrefix("postgres://") || text.hasPrefix("postgresql://")
    }

    public init(url text: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws(PostgresLocationError) {
        guard Self.isPostgresURL(text), let url = URLComponents(string: text) else {
            throw PostgresLocationError("not a PostgreSQL URL: expected postgres://user[:password]@host[:port]/database")
        }
        guard let host = url.host, !host.isEmpty else { throw PostgresLocationError("the PostgreSQL URL names no host") }
        guard let user = url.user, !user.isEmpty else { throw PostgresLocationError("the PostgreSQL URL names no user") }
        let database = String(url.path.drop { $0 == "/" })
        guard !database.isEmpty else { throw PostgresLocationError("the PostgreSQL URL names no database (…/herald)") }
        var tls = TLSMode.prefer
        for item in url.queryItems ?? [] {
            switch item.name {
            case "sslmode":
                guard let mode = item.value.flatMap(TLSMode.init(rawValue:)) else {
                    throw PostgresLocationError("sslmode must be disable, prefer or require")
                }
                tls = mode
            default:
                throw PostgresLocationError("unknown PostgreSQL URL parameter \(item.name) (known: sslmode)")
            }
        }
        self.init(
            host: host.hasPrefix("[") ? String(host.dropFirst().dropLast()) : host, port: url.port ?? 5432, username: user,
            password: url.password ?? environment["PGPASSWORD"], database: database, tls: tls
        )
    }

    /// The URL without its password, for logs and messages (the password travels in PGPASSWORD).
    public var url: String {
        "postgres://\(username)@\(host.contains(":") ? "[\(host)]" : host):\(port)/\(database)?sslmode=\(tls.rawValue)"
    }

    public var description: String { url }

    var clientTLS: PostgresClient.Configuration.TLS {
        switch tls {
        case .disable: .disable
        case .prefer: .prefer(.makeClientConfiguration())
        case .require: .require(.makeClientConfiguration())
        }
    }

    var connectionTLS: PostgresConnection.Configuration.TLS {
        get throws {
            switch tls {
            case .disable: .disable
            case .prefer: .prefer(try NIOSSLContext(configuration: .makeClientConfiguration()))
            case .require: .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
            }
        }
    }

    var clientConfiguration: PostgresClient.Configuration {
        var configuration = PostgresClient.Configuration(
            host: host, port: port, username: username, password: password, database: database, tls: clientTLS
        )
        configuration.options.maximumConnections = 16
        configuration.options.connectTimeout = .seconds(5)
        return configuration
    }

    /// For one connection of its own (the listener, migrations).
    public var connectionConfiguration: PostgresConnection.Configuration {
        get throws {
            var configuration = PostgresConnection.Configuration(
                host: host, port: port, username: username, password: password, database: database, tls: try connectionTLS
            )
            configuration.options.connectTimeout = .seconds(5)
            return configuration
        }
    }
}

public struct PostgresLocationError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
#endif
