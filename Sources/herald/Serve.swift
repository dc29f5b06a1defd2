import ArgumentParser
import Foundation
import HeraldCore
import HeraldServer
import HeraldSQLite
import Logging
import ServiceLifecycle

/// `herald serve`: runs the server on the embedded store, or as one replica on PostgreSQL.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the Herald server.",
        discussion: """
            Every option but --insecure-no-auth can also be set with the environment variable named in its help \
            (the option wins when both are given); --insecure-no-auth must be said on the command line. Without \
            authentication (no API key, no JWT key) Herald refuses to start on a public --host or with \
            --cors-origin '*' unless --insecure-no-auth is given. \
            HERALD_DASHBOARD_DIR and HERALD_SDK_DIR serve the dashboard's and the JavaScript client's files \
            from a folder instead of the binary, for working on them. The password of a --store URL may come from \
            PGPASSWORD.
            """
    )

    @Option(help: "Address to listen on. (env: HERALD_HOST)")
    var host = Env.string("HERALD_HOST") ?? "127.0.0.1"

    @Option(help: "Port to listen on; 0 picks a free one. (env: HERALD_PORT)")
    var port = Env.int("HERALD_PORT") ?? 7373

    @OptionGroup var storage: StoreOption

    @Option(help: "normal: survive a process crash (WAL); full: survive power loss too. (env: HERALD_SYNC)")
    var sync: SQLiteStore.Durability = Env.string("HERALD_SYNC").flatMap(SQLiteStore.Durability.init(rawValue:)) ?? .normal

    @Option(help: "Largest request body in bytes. (env: HERALD_MAX_BODY_BYTES)")
    var maxBodyBytes = Env.int("HERALD_MAX_BODY_BYTES") ?? (4 << 20)

    @Option(help: "Seconds an event's time may be ahead of the server's clock when it arrives; a later one is refused (422 time_in_future). (env: HERALD_MAX_CLOCK_SKEW)")
    var maxClockSkew = Env.int("HERALD_MAX_CLOCK_SKEW") ?? 300

    @Option(help: "Most events in one request. (env: HERALD_MAX_EVENTS_PER_REQUEST)")
    var maxEventsPerRequest = Env.int("HERALD_MAX_EVENTS_PER_REQUEST") ?? 10_000

    @Option(help: "Largest `data` of one event, in bytes. (env: HERALD_MAX_DATA_BYTES)")
    var maxDataBytes = Env.int("HERALD_MAX_DATA_BYTES") ?? (256 << 10)

    @Option(help: "Deepest JSON nesting accepted. (env: HERALD_MAX_DEPTH)")
    var maxDepth = Env.int("HERALD_MAX_DEPTH") ?? 32

    @Option(help: "Longest JSON string accepted, in bytes. (env: HERALD_MAX_STRING_BYTES)")
    var maxStringBytes = Env.int("HERALD_MAX_STRING_BYTES") ?? (64 << 10)

    @Option(help: "Largest page of events a query or a stream's catch-up reads, in bytes; at least 65536. (env: HERALD_MAX_PAGE_BYTES)")
    var maxPageBytes = Env.int("HERALD_MAX_PAGE_BYTES") ?? PageBudget.defaultMaxBytes

    @Option(help: "Seconds of silence before a stream heartbeat. (env: HERALD_HEARTBEAT)")
    var heartbeat = Env.int("HERALD_HEARTBEAT") ?? 15

    @Option(help: "Live streams one caller (API key, token subject, or address) may hold. (env: HERALD_MAX_STREAMS_PER_CLIENT)")
    var maxStreamsPerClient = Env.int("HERALD_MAX_STREAMS_PER_CLIENT") ?? 100

    @Option(help: "Seconds a stream may stay open before it is closed for the client to resume. (env: HERALD_STREAM_LIFETIME)")
    var streamLifetime = Env.int("HERALD_STREAM_LIFETIME") ?? 3600

    @Option(help: "trace, debug, info, notice, warning, error or critical. (env: HERALD_LOG_LEVEL)")
    var logLevel = Env.string("HERALD_LOG_LEVEL") ?? "info"

    @Option(help: "text, or json: one JSON object per line for log shippers. (env: HERALD_LOG_FORMAT)")
    var logFormat = Env.string("HERALD_LOG_FORMAT").flatMap(LogFormat.init(rawValue:)) ?? .text

    @Flag(help: "No authentication, even beyond loopback or with --cors-origin '*': anyone who can reach the port (or, with '*', any web page) can read and write every run. For a network that does the access control in front of Herald.")
    var insecureNoAuth = false

    @Option(help: "Accept JWTs signed with HS256 and the secret in this file. (env: HERALD_JWT_SECRET_FILE)")
    var jwtSecretFile = Env.string("HERALD_JWT_SECRET_FILE")

    @Option(help: "Accept JWTs signed with RS256 or ES256, verified with the PEM public key in this file. (env: HERALD_JWT_PUBLIC_KEY_FILE)")
    var jwtPublicKeyFile = Env.string("HERALD_JWT_PUBLIC_KEY_FILE")

    @Option(help: "Require JWTs to carry this issuer (iss). (env: HERALD_JWT_ISSUER)")
    var jwtIssuer = Env.string("HERALD_JWT_ISSUER")

    @Option(help: "Require JWTs to carry this audience (aud). (env: HERALD_JWT_AUDIENCE)")
    var jwtAudience = Env.string("HERALD_JWT_AUDIENCE")

    @Option(help: "Seconds a stream ticket (POST /v1/stream-tickets) may open its stream; the stream then lasts as long as the credential that issued it. (env: HERALD_STREAM_TICKET_TTL)")
    var streamTicketTtl = Env.int("HERALD_STREAM_TICKET_TTL") ?? 60

    @Option(help: "Sign stream tickets with the secret in this file (at least 32 bytes), so that replicas accept each other's tickets. Default: stream-ticket.secret in the data folder, made at first start. (env: HERALD_STREAM_TICKET_SECRET_FILE)")
    var streamTicketSecretFile = Env.string("HERALD_STREAM_TICKET_SECRET_FILE")

    @Flag(
        inversion: .prefixedNo,
        help: "Take a key in ?access_token= on stream routes; --no-query-keys refuses it (proxies and browser history keep URLs), and pages open streams with a stream ticket instead. (env: HERALD_NO_QUERY_KEYS=1 for --no-query-keys)"
    )
    var queryKeys = !(Env.string("HERALD_NO_QUERY_KEYS").flatMap(Serve.flag) ?? false)

    @Option(help: "Read a JWT from this cookie on stream routes only (never for writes or queries), for the pages of a same-site app; needs --jwt-secret-file or --jwt-public-key-file, and lets the origins named by --cors-origin (not *) send it. (env: HERALD_AUTH_COOKIE)")
    var authCookie = Env.string("HERALD_AUTH_COOKIE")

    @Option(help: "An origin whose web pages may call Herald (repeat it; * for any, which needs authentication or --insecure-no-auth). None by default. (env: HERALD_CORS_ORIGINS, comma-separated)")
    var corsOrigin: [String] = Env.string("HERALD_CORS_ORIGINS").map { $0.split(separator: ",").map(String.init) } ?? []

    @Option(help: "A proxy in front of Herald, an address or CIDR block (IPv4 or IPv6; repeat it): its X-Forwarded-For or Forwarded header names the client, for per-caller limits and the request log. None by default. (env: HERALD_TRUSTED_PROXIES, comma-separated)")
    var trustedProxy: [String] = Env.string("HERALD_TRUSTED_PROXIES").map { $0.split(separator: ",").map { String($0.trimmingSpaces) } } ?? []

    @Option(help: "Events per second one caller may publish (429 past it); none by default. (env: HERALD_RATE_LIMIT)")
    var rateLimit = Env.string("HERALD_RATE_LIMIT").flatMap(Double.init)

    @Option(help: "Events a caller may publish at once before --rate-limit applies; default: one second's worth. (env: HERALD_RATE_BURST)")
    var rateBurst = Env.string("HERALD_RATE_BURST").flatMap(Double.init)

    @Option(help: "A retention rule, [project:]max-age=30d and/or max-events=100000 (repeat it; a rule without project is the default). (env: HERALD_RETENTION, semicolon-separated)")
    var retention: [String] = Env.string("HERALD_RETENTION").map { $0.split(separator: ";").map(String.init) } ?? []

    @Option(help: "End a run that receives nothing for this long with run.failed (code abandoned): [project:]30m, [project:]off (repeat it; a rule without project is the default). (env: HERALD_RUN_IDLE_TIMEOUT, semicolon-separated) (default: 1h)")
    var runIdleTimeout: [String] = Env.string("HERALD_RUN_IDLE_TIMEOUT").map { $0.split(separator: ";").map(String.init) } ?? []

    @Option(help: "Seconds between retention passes. (env: HERALD_RETENTION_INTERVAL)")
    var retentionInterval = Env.int("HERALD_RETENTION_INTERVAL") ?? 60

    @Option(help: "Seconds a client has to send a whole request; slower ones are cut off. (env: HERALD_REQUEST_TIMEOUT)")
    var requestTimeout = Env.int("HERALD_REQUEST_TIMEOUT") ?? 30

    @Option(help: "Seconds an idle keep-alive connection stays open. (env: HERALD_IDLE_TIMEOUT)")
    var idleTimeout = Env.int("HERALD_IDLE_TIMEOUT") ?? 75

    @Option(help: "Seconds a client may take no byte of a response (a stream it stopped reading) before its connection is closed. (env: HERALD_WRITE_TIMEOUT)")
    var writeTimeout = Env.int("HERALD_WRITE_TIMEOUT") ?? 30

    @Option(help: "Open connections at most; past it new ones are closed at once. Default: the open-files limit less 256, at most 16384. (env: HERALD_MAX_CONNECTIONS)")
    var maxConnections = Env.int("HERALD_MAX_CONNECTIONS")

    @Option(help: "Queries one caller may have in progress at once (429 past it). (env: HERALD_MAX_QUERIES_PER_CLIENT)")
    var maxQueriesPerClient = Env.int("HERALD_MAX_QUERIES_PER_CLIENT") ?? 8

    @Option(help: "Seconds a shutdown (SIGTERM, SIGINT) waits for open responses before cutting them off. (env: HERALD_SHUTDOWN_TIMEOUT)")
    var shutdownTimeout = Env.int("HERALD_SHUTDOWN_TIMEOUT") ?? 5

    /// Each whole-number option and the values it takes: checked before anything is opened or created.
    private var ranges: [(option: String, value: Int?, range: ClosedRange<Int>)] {
        [
            ("--port", port, 0...65_535),
            ("--max-body-bytes", maxBodyBytes, 1024...(1 << 30)),
            ("--max-events-per-request", maxEventsPerRequest, 1...1_000_000),
            ("--max-data-bytes", maxDataBytes, 1...(64 << 20)),
            ("--max-depth", maxDepth, 1...1000),
            ("--max-string-bytes", maxStringBytes, 1...(64 << 20)),
            ("--heartbeat", heartbeat, 1...3600),
            ("--max-streams-per-client", maxStreamsPerClient, 1...1_000_000),
            ("--stream-lifetime", streamLifetime, 1...(7 * 86_400)),
            ("--retention-interval", retentionInterval, 1...86_400),
            ("--request-timeout", requestTimeout, 1...3600),
            ("--idle-timeout", idleTimeout, 1...86_400),
            ("--write-timeout", writeTimeout, 1...3600),
            ("--max-connections", maxConnections, 1...10_000_000),
            ("--max-queries-per-client", maxQueriesPerClient, 1...100_000),
            ("--shutdown-timeout", shutdownTimeout, 0...3600),
            ("--max-page-bytes", maxPageBytes, HeraldConfiguration.minPageBytes...(1 << 30)),
            // Up to 10,000 years: room to switch the check off, e.g. for a simulation dated ahead.
            ("--max-clock-skew", maxClockSkew, 1...(10_000 * 366 * 86_400)),
            ("--stream-ticket-ttl", streamTicketTtl, 1...3600),
        ]
    }

    func validate() throws {
        for (option, value, range) in ranges {
            // A variable that is not a number would otherwise leave the default in place silently.
            let variable = "HERALD_" + option.dropFirst(2).uppercased().replacingOccurrences(of: "-", with: "_")
            if let text = Env.string(variable), Int(text) == nil {
                throw ValidationError("\(variable)=\(text): \(option) takes a whole number")
            }
            guard let value, !range.contains(value) else { continue }
            throw ValidationError("\(option) must be between \(range.lowerBound) and \(range.upperBound) (got \(value))")
        }
        for variable in ["HERALD_RATE_LIMIT", "HERALD_RATE_BURST"] {
            if let text = Env.string(variable), Double(text) == nil { throw ValidationError("\(variable)=\(text) is not a number") }
        }
        if let text = Env.string("HERALD_SYNC"), SQLiteStore.Durability(rawValue: text) == nil {
            throw ValidationError("HERALD_SYNC=\(text): --sync takes normal or full")
        }
        guard Logger.Level(rawValue: logLevel) != nil else {
            throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error, critical")
        }
        if jwtSecretFile != nil && jwtPublicKeyFile != nil {
            throw ValidationError("give --jwt-secret-file or --jwt-public-key-file, not both")
        }
        if let text = Env.string("HERALD_LOG_FORMAT"), LogFormat(rawValue: text) == nil {
            throw ValidationError("HERALD_LOG_FORMAT=\(text): --log-format takes text or json")
        }
        if let rateLimit, !(rateLimit.isFinite && rateLimit >= 0.001 && rateLimit <= 1e9) {
            throw ValidationError("--rate-limit must be a number of events per second between 0.001 and 1e9")
        }
        if let rateBurst, !(rateBurst.isFinite && rateBurst >= 1 && rateBurst <= 1e9) {
            throw ValidationError("--rate-burst must be a number of events between 1 and 1e9")
        }
        for text in trustedProxy {
            do throws(CIDR.ParseError) { _ = try CIDR(parsing: text.trimmingSpaces) } catch { throw ValidationError("--trusted-proxy: \(error)") }
        }
        var policy = RetentionPolicy()
        for rule in retention {
            do { try policy.add(rule) } catch { throw ValidationError(error.message) }
        }
        var idle = RunIdlePolicy.standard
        for rule in runIdleTimeout {
            do { try idle.add(rule) } catch { throw ValidationError(error.message) }
        }
        if let text = Env.string("HERALD_NO_QUERY_KEYS"), Self.flag(text) == nil {
            throw ValidationError("HERALD_NO_QUERY_KEYS=\(text): say 1 (or true, yes) to refuse keys in URLs, 0 (false, no) to take them")
        }
        if let authCookie,
            let problem = HeraldConfiguration.authCookieProblem(
                name: authCookie, hasJWTKey: jwtSecretFile != nil || jwtPublicKeyFile != nil, corsOrigins: corsOrigin
            )
        {
            throw ValidationError(problem)
        }
        if let streamTicketSecretFile {
            do throws(HeraldError) { _ = try StreamTicketSecret.read(streamTicketSecretFile) } catch { throw ValidationError(error.message) }
        }
        #if !JWT
        if jwtSecretFile != nil || jwtPublicKeyFile != nil {
            let option = jwtSecretFile != nil ? "--jwt-secret-file" : "--jwt-public-key-file"
            throw ValidationError("\(option): " + HeraldError.builtWithout("JWT", trait: "JWT").message)
        }
        #endif
        if let jwtSecretFile { _ = try Self.read(jwtSecretFile, what: "--jwt-secret-file") }
        if let jwtPublicKeyFile { _ = try Self.read(jwtPublicKeyFile, what: "--jwt-public-key-file") }
        // A public address with no way to authenticate is refused before the data folder is made
        // (a data folder that does not exist yet holds no key).
        if !insecureNoAuth, !HeraldConfiguration.isLoopback(host), jwtSecretFile == nil, jwtPublicKeyFile == nil,
            !storage.isShared, !FileManager.default.fileExists(atPath: storage.data + "/herald.sqlite")
        {
            throw ValidationError(HeraldConfiguration.refusalWithoutAuth(host: host))
        }
        // So is any origin's web pages reading and writing a server without authentication.
        if !insecureNoAuth, corsOrigin.contains("*"), jwtSecretFile == nil, jwtPublicKeyFile == nil,
            !storage.isShared, !FileManager.default.fileExists(atPath: storage.data + "/herald.sqlite")
        {
            throw ValidationError(HeraldConfiguration.refusalOfAnyOriginWithoutAuth)
        }
    }

    func run() async throws {
        var configuration = HeraldConfiguration()
        configuration.host = host
        configuration.port = port
        configuration.dataDirectory = storage.data
        #if PostgreSQL
        configuration.postgres = try storage.postgres
        #endif
        configuration.durability = sync
        configuration.limits.maxBodyBytes = maxBodyBytes
        configuration.limits.maxEventsPerRequest = maxEventsPerRequest
        configuration.limits.maxDataBytes = maxDataBytes
        configuration.limits.maxDepth = maxDepth
        configuration.limits.maxStringBytes = maxStringBytes
        configuration.limits.maxClockSkew = .seconds(maxClockSkew)
        configuration.maxPageBytes = maxPageBytes
        configuration.streams.heartbeat = .seconds(heartbeat)
        configuration.streams.maxConnectionsPerClient = maxStreamsPerClient
        configuration.streams.maxLifetime = .seconds(streamLifetime)
        configuration.logLevel = Logger.Level(rawValue: logLevel) ?? .info
        configuration.logFormat = logFormat
        LoggingSystem.bootstrap(logFormat.makeHandler)
        configuration.access.insecureNoAuth = insecureNoAuth
        configuration.access.corsOrigins = corsOrigin
        configuration.access.ingestEventsPerSecond = rateLimit
        configuration.access.ingestBurst = rateBurst
        configuration.access.streamTicketLifetime = .seconds(streamTicketTtl)
        configuration.access.streamTicketSecretFile = streamTicketSecretFile
        configuration.access.queryKeys = queryKeys
        configuration.access.authCookie = authCookie
        configuration.access.trustedProxies = TrustedProxies(try trustedProxy.map { try CIDR(parsing: $0.trimmingSpaces) })
        if let jwtSecretFile {
            let secret = try Self.read(jwtSecretFile, what: "--jwt-secret-file")
            configuration.access.jwt = JWTConfiguration(key: .hs256(secret: Array(secret.trimmingCharacters(in: .whitespacesAndNewlines).utf8)), issuer: jwtIssuer, audience: jwtAudience)
        } else if let jwtPublicKeyFile {
            configuration.access.jwt = JWTConfiguration(key: .publicKeyPEM(try Self.read(jwtPublicKeyFile, what: "--jwt-public-key-file")), issuer: jwtIssuer, audience: jwtAudience)
        }
        for rule in retention { try configuration.retention.add(rule) }
        for rule in runIdleTimeout { try configuration.runIdle.add(rule) }
        configuration.retentionInterval = .seconds(retentionInterval)
        configuration.requestReadTimeout = .seconds(requestTimeout)
        configuration.idleTimeout = .seconds(idleTimeout)
        configuration.writeTimeout = .seconds(writeTimeout)
        configuration.maxConnections = maxConnections
        configuration.access.maxQueriesPerClient = maxQueriesPerClient
        configuration.shutdownTimeout = .seconds(shutdownTimeout)
        try await CLIOutput.reportingErrors {
            let app = try await buildApplication(configuration)
            // SIGTERM or SIGINT: stop accepting, end streams at an event boundary, and once
            // --shutdown-timeout has passed cancel whatever still writes (a client that stopped
            // reading), then close (checkpoint) the store.
            var group = ServiceGroupConfiguration(services: [app], gracefulShutdownSignals: [.sigterm, .sigint], logger: Logger(label: "herald"))
            group.maximumGracefulShutdownDuration = configuration.shutdownTimeout
            do {
                try await ServiceGroup(configuration: group).run()
            } catch {
                guard let reason = ListenFailure.reason(error, port: port) else { throw error }
                CLIOutput.note("herald: cannot listen on \(host):\(port): \(reason)")
                throw ExitCode.failure
            }
        }
    }

    /// A yes-or-no environment variable: 1, true, yes or 0, false, no.
    private static func flag(_ text: String) -> Bool? {
        switch text.lowercased() {
        case "1", "true", "yes": true
        case "0", "false", "no": false
        default: nil
        }
    }

    private static func read(_ path: String, what: String) throws -> String {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw ValidationError("\(what): cannot read \(path)")
        }
        return text
    }
}

extension SQLiteStore.Durability: ExpressibleByArgument {}

extension LogFormat: ExpressibleByArgument {}
