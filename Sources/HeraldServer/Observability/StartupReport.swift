import Foundation
import HeraldCore
import HeraldSQLite
import Logging

#if PostgreSQL
import HeraldPostgres
#endif

/// What the server says once, when it listens: which build runs, where its dashboard is, where
/// the events are kept, and whether callers must authenticate (and, when they need not, how to
/// make them). It orients a first-time operator without a trip to `--help`.
///
/// In the `text` log format it is readable lines; in `json`, one `started` event with the same
/// facts as fields. It never holds a secret: PostgreSQL appears without its password.
struct StartupReport {
    /// The store the application was built on, as the report names it.
    enum Store: Sendable {
        /// The embedded store in its data folder.
        case sqlite(folder: String, durability: SQLiteStore.Durability)
        #if PostgreSQL
        case postgres(PostgresLocation)
        #endif
        /// A store the embedding program opened and passed in: the report knows only its type.
        case provided(any EventStore)
    }

    /// Whether callers must authenticate, as the server starts.
    enum Authentication: Sendable {
        /// `--insecure-no-auth`: keys are not checked.
        case disabled
        /// Off until the first key exists (the key ring picks it up within seconds); allowed on loopback only.
        case offUntilFirstKey
        /// On, by these means: "API keys", "JWTs".
        case on(by: [String])

        init(_ authenticator: Authenticator) {
            if authenticator.mode == .off {
                self = .disabled
            } else if authenticator.canAuthenticate {
                self = .on(by: [authenticator.keyRing.isEmpty ? nil : "API keys", authenticator.jwt == nil ? nil : "JWTs"].compactMap { $0 })
            } else {
                self = .offUntilFirstKey
            }
        }
    }

    private(set) var lines: [String] = []
    private(set) var fields: Logger.Metadata = [:]

    init(configuration: HeraldConfiguration, port: Int, store: Store, authentication: Authentication) {
        lines.append("Herald \(BuildInfo.summary)")
        fields["version"] = "\(BuildInfo.version)"
        fields["commit"] = "\(BuildInfo.commit)"
        fields["built"] = "\(BuildInfo.date)"

        let dashboard = "http://\(Self.browsable(configuration.host)):\(port)/"
        lines.append("dashboard: \(dashboard)")
        fields["dashboard"] = "\(dashboard)"

        // The command that creates a first key: it names the same store, so it can be pasted as is.
        let createKey: String?
        switch store {
        case .sqlite(let given, let durability):
            // Absolute, so the operator finds it whatever the server's working directory was.
            let folder = URL(fileURLWithPath: given).standardizedFileURL.path
            let path = folder + "/herald.sqlite"
            let consequence = durability == .full ? "survives a power loss" : "survives a process crash; --sync full survives a power loss too"
            lines.append("store: SQLite \(path), --sync \(durability.rawValue) (\(consequence))")
            fields["store"] = "sqlite"
            fields["store.path"] = "\(path)"
            fields["store.sync"] = "\(durability.rawValue)"
            createKey = "herald keys create --data \(Self.shellQuoted(folder)) --project '*' --role admin"
        #if PostgreSQL
        case .postgres(let location):
            lines.append("store: PostgreSQL \(location.url)")
            fields["store"] = "postgres"
            fields["store.url"] = "\(location.url)"
            createKey = "herald keys create --store \(Self.shellQuoted(location.url)) --project '*' --role admin"
        #endif
        case .provided(let store):
            lines.append("store: \(type(of: store)), opened by the program that embeds Herald")
            fields["store"] = "\(type(of: store))"
            createKey = nil
        }

        let anyone =
            HeraldConfiguration.isLoopback(configuration.host)
            ? "any program on this machine can read and write every run"
            : "anyone who can reach \(configuration.host):\(port) can read and write every run"
        switch authentication {
        case .disabled:
            lines.append("authentication: off (--insecure-no-auth): \(anyone); keys are not checked")
            fields["auth"] = "off"
            fields["auth.reason"] = "--insecure-no-auth"
        case .on(let means):
            lines.append("authentication: on (\(means.joined(separator: " and ")))")
            fields["auth"] = "on"
            fields["auth.by"] = "\(means.joined(separator: ","))"
        case .offUntilFirstKey:
            lines.append("authentication: off until the first key exists: \(anyone)" + (createKey.map { "; create one with: \($0)" } ?? ""))
            fields["auth"] = "off"
            fields["auth.reason"] = "no API key exists and no JWT key is configured"
            if let createKey { fields["auth.create-key"] = "\(createKey)" }
        }
    }

    func log(to logger: Logger, format: LogFormat) {
        switch format {
        case .text: for line in lines { logger.info("\(line)") }
        case .json: logger.info("started", metadata: fields)
        }
    }

    /// An address a browser on this machine can open: the unspecified address listens on every
    /// interface, loopback among them; an IPv6 literal takes brackets in a URL.
    private static func browsable(_ host: String) -> String {
        switch host {
        case "0.0.0.0": "127.0.0.1"
        case "::", "[::]": "[::1]"
        case _ where host.contains(":") && !host.hasPrefix("["): "[\(host)]"
        default: host
        }
    }

    /// `text` as one shell word: as it is when it holds nothing a shell would read, else in single quotes.
    private static func shellQuoted(_ text: String) -> String {
        let plain = text.unicodeScalars.allSatisfy { CharacterSet.alphanumerics.contains($0) || "/._-:@+,=".unicodeScalars.contains($0) }
        return plain ? text : "'" + text.replacingOccurrences(of: "'", with: #"'\''"#) + "'"
    }
}
