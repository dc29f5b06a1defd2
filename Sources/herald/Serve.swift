import ArgumentParser
import HeraldServer
import HeraldSQLite
import Logging

/// `herald serve`: runs the server on the embedded store.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the Herald server.",
        discussion: "Every option can also be set with an environment variable: HERALD_HOST, HERALD_PORT, HERALD_DATA, …"
    )

    @Option(help: "Address to listen on. (env: HERALD_HOST)")
    var host = Env.string("HERALD_HOST") ?? "127.0.0.1"

    @Option(help: "Port to listen on; 0 picks a free one. (env: HERALD_PORT)")
    var port = Env.int("HERALD_PORT") ?? 7373

    @Option(name: .long, help: "Folder for the embedded store. (env: HERALD_DATA)")
    var data = Env.string("HERALD_DATA") ?? "./herald-data"

    @Option(help: "normal: survive a process crash (WAL); full: survive power loss too. (env: HERALD_SYNC)")
    var sync: SQLiteStore.Durability = Env.string("HERALD_SYNC").flatMap(SQLiteStore.Durability.init(rawValue:)) ?? .normal

    @Option(help: "Largest request body in bytes. (env: HERALD_MAX_BODY_BYTES)")
    var maxBodyBytes = Env.int("HERALD_MAX_BODY_BYTES") ?? (4 << 20)

    @Option(help: "Most events in one request. (env: HERALD_MAX_EVENTS_PER_REQUEST)")
    var maxEventsPerRequest = Env.int("HERALD_MAX_EVENTS_PER_REQUEST") ?? 10_000

    @Option(help: "Largest `data` of one event, in bytes. (env: HERALD_MAX_DATA_BYTES)")
    var maxDataBytes = Env.int("HERALD_MAX_DATA_BYTES") ?? (256 << 10)

    @Option(help: "Deepest JSON nesting accepted. (env: HERALD_MAX_DEPTH)")
    var maxDepth = Env.int("HERALD_MAX_DEPTH") ?? 32

    @Option(help: "Longest JSON string accepted, in bytes. (env: HERALD_MAX_STRING_BYTES)")
    var maxStringBytes = Env.int("HERALD_MAX_STRING_BYTES") ?? (64 << 10)

    @Option(help: "Seconds of silence before a stream heartbeat. (env: HERALD_HEARTBEAT)")
    var heartbeat = Env.int("HERALD_HEARTBEAT") ?? 15

    @Option(help: "Live streams one client may hold. (env: HERALD_MAX_STREAMS_PER_CLIENT)")
    var maxStreamsPerClient = Env.int("HERALD_MAX_STREAMS_PER_CLIENT") ?? 100

    @Option(help: "Seconds a stream may stay open before it is closed for the client to resume. (env: HERALD_STREAM_LIFETIME)")
    var streamLifetime = Env.int("HERALD_STREAM_LIFETIME") ?? 3600

    @Option(help: "trace, debug, info, notice, warning, error or critical. (env: HERALD_LOG_LEVEL)")
    var logLevel = Env.string("HERALD_LOG_LEVEL") ?? "info"

    @Flag(help: "Listen beyond loopback with no authentication. Anyone who can reach the port can read and write every run.")
    var insecureNoAuth = false

    func validate() throws {
        if !Self.isLoopback(host) && !insecureNoAuth {
            throw ValidationError(
                """
                refusing to listen on \(host) without authentication: Herald has no API keys configured, so anyone who can \
                reach this address could read and write every run. Listen on 127.0.0.1 (the default), or pass \
                --insecure-no-auth if the network in front of Herald does the access control.
                """
            )
        }
    }

    static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }

    func run() async throws {
        var configuration = HeraldConfiguration()
        configuration.host = host
        configuration.port = port
        configuration.dataDirectory = data
        configuration.durability = sync
        configuration.limits.maxBodyBytes = maxBodyBytes
        configuration.limits.maxEventsPerRequest = maxEventsPerRequest
        configuration.limits.maxDataBytes = maxDataBytes
        configuration.limits.maxDepth = maxDepth
        configuration.limits.maxStringBytes = maxStringBytes
        configuration.streams.heartbeat = .seconds(heartbeat)
        configuration.streams.maxConnectionsPerClient = maxStreamsPerClient
        configuration.streams.maxLifetime = .seconds(streamLifetime)
        guard let level = Logger.Level(rawValue: logLevel) else {
            throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error, critical")
        }
        configuration.logLevel = level
        let app = try await buildApplication(configuration)
        try await app.runService()
    }
}

extension SQLiteStore.Durability: ExpressibleByArgument {}
