import HeraldCore
import HeraldSQLite
import Logging

#if PostgreSQL
import HeraldPostgres
#endif

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Everything `herald serve` can be told, with safe defaults.
public struct HeraldConfiguration: Sendable {
    /// Address to bind. Loopback by default.
    public var host = "127.0.0.1"
    /// Port to bind; 0 picks a free one.
    public var port = 7373
    /// Folder holding the embedded store.
    public var dataDirectory = "./herald-data"
    #if PostgreSQL
    /// The shared store, when replicas scale out on PostgreSQL (`--store postgres://…`);
    /// nil: the embedded store in ``dataDirectory``. Only in builds with the `PostgreSQL` trait.
    public var postgres: PostgresLocation?
    #endif
    /// How hard each commit is pushed to disk.
    public var durability: SQLiteStore.Durability = .normal
    /// Limits on ingest requests.
    public var limits = IngestLimits()
    /// Largest page of a query.
    public var maxPageSize = 1000
    /// Largest page in bytes of events (``PageBudget``), for queries and for live streams'
    /// catch-up reads alike: a page stops before the event that would pass it (one event
    /// alone always goes), and `hasMore` or the stream's next read carries the rest. What a
    /// reader holds is bounded by this, whatever its events' size. Kept in ``streams``, where
    /// the streams read it.
    public var maxPageBytes: Int {
        get { streams.maxPageBytes }
        set { streams.maxPageBytes = newValue }
    }
    /// The smallest ``maxPageBytes`` `herald serve` takes: 64 KiB.
    public static let minPageBytes = 64 << 10
    public var logLevel: Logger.Level = .info
    /// The log's format, as the process's handler writes it: the startup report follows it
    /// (readable lines for `text`, one event with fields for `json`).
    public var logFormat: LogFormat = .text
    /// Live stream behaviour.
    public var streams = StreamConfiguration()
    /// Who may do what, and how much.
    public var access = AccessConfiguration()
    /// What is deleted, and how often retention looks.
    public var retention = RetentionPolicy()
    public var retentionInterval: Duration = .seconds(60)
    /// When a silent run is ended as abandoned, and how often the server looks (by default a
    /// quarter of the shortest timeout, between 1 and 30 seconds).
    public var runIdle = RunIdlePolicy.standard
    public var runIdleCheckInterval: Duration?
    /// A request's head and body must arrive within this; slower clients are cut off (slowloris).
    public var requestReadTimeout: Duration = .seconds(30)
    /// A keep-alive connection with no request for this long is closed.
    public var idleTimeout: Duration = .seconds(75)
    /// A connection whose client has taken no byte of what Herald sends for this long is closed.
    public var writeTimeout: Duration = .seconds(30)
    /// Open connections the server holds at most; past it new ones are closed at once. Nil:
    /// ``defaultMaxConnections(openFilesLimit:)`` of the process's open-files limit.
    public var maxConnections: Int?
    /// How long a shutdown waits for open responses to end before cancelling them.
    public var shutdownTimeout: Duration = .seconds(5)

    public init() {}

    /// The connection cap when none is given: the open-files limit less room for the store's
    /// files and the listener, and at most 16,384 (about 45 KiB each when idle, 8 MiB at worst
    /// for a stream whose client stopped reading: see docs/operations.md).
    public static func defaultMaxConnections(openFilesLimit: Int) -> Int {
        max(64, min(16_384, openFilesLimit - 256))
    }

    /// Connections the kernel queues before Herald accepts them (capped by `net.core.somaxconn`).
    /// A burst of reconnecting subscribers (after a restart) past a short queue has its handshakes
    /// dropped and retried by TCP for up to a minute; 256, the usual default, is far too short.
    public static let listenBacklog = 4096

    /// Largest request head (all header lines together, and any one of them); 431 past it.
    public static let maxHeaderBytes = 64 << 10
    /// Most header lines in one request; 431 past it.
    public static let maxHeaderCount = 256

    /// Why Herald will not listen on `host` (not loopback) with no way to authenticate.
    public static func refusalWithoutAuth(host: String) -> String {
        """
        refusing to listen on \(host) without authentication: no API key exists and no JWT key is \
        configured, so anyone who can reach this address could read and write every run. Create a key first \
        (herald keys create --project <name> --role admin), configure --jwt-secret-file or --jwt-public-key-file, \
        listen on 127.0.0.1 (the default), or pass --insecure-no-auth if the network in front of Herald does the \
        access control.
        """
    }

    /// Why Herald will not let every origin's pages call it (`--cors-origin '*'`) with no way to
    /// authenticate: a page on any site, open in a browser that can reach Herald (on loopback: any
    /// browser on this machine), could read and write every run.
    public static let refusalOfAnyOriginWithoutAuth = """
        refusing --cors-origin '*' without authentication: no API key exists and no JWT key is configured, so any web \
        page open in a browser that can reach this server could read and write every run. Create a key first \
        (herald keys create --project <name> --role admin), configure --jwt-secret-file or --jwt-public-key-file, \
        allow only the origins that need it (--cors-origin https://dash.example.com), or pass --insecure-no-auth to \
        accept that.
        """

    /// Why `--auth-cookie NAME` cannot be used as configured, or nil. The cookie holds a JWT (so a
    /// JWT key must be configured), and is never offered to every origin's pages:
    /// `Access-Control-Allow-Credentials` cannot go with `*`, and a credential the browser sends
    /// by itself must not serve pages Herald does not name.
    public static func authCookieProblem(name: String, hasJWTKey: Bool, corsOrigins: [String]) -> String? {
        if !AuthCookie.isValidName(name) {
            return "--auth-cookie \(name) is not a cookie name (letters, digits and !#$%&'*+-.^_`|~)"
        }
        if !hasJWTKey {
            return "--auth-cookie needs --jwt-secret-file or --jwt-public-key-file: the cookie holds a JWT, verified as a bearer JWT is"
        }
        if corsOrigins.contains("*") {
            return "refusing --auth-cookie with --cors-origin '*': every site's pages would stream with the cookie that browsers send by themselves; list the origins of your app's pages instead"
        }
        return nil
    }

    /// Whether `host` is a loopback address (`localhost`, `127.0.0.0/8`, `::1`), where Herald
    /// may run without authentication. A name that merely starts with `127.` is not one.
    public static func isLoopback(_ host: String) -> Bool {
        if host == "localhost" || host == "::1" || host == "[::1]" { return true }
        var address = in_addr()
        return inet_pton(AF_INET, host, &address) == 1 && UInt32(bigEndian: address.s_addr) >> 24 == 127
    }
}

/// Authentication and per-caller limits.
public struct AccessConfiguration: Sendable {
    /// No authentication even beyond loopback: the network in front of Herald does it.
    public var insecureNoAuth = false
    /// Tokens minted elsewhere, verified with this key.
    public var jwt: JWTConfiguration?
    /// Origins whose pages may call Herald from a browser (`*`: any). None by default.
    public var corsOrigins: [String] = []
    /// Events per second one caller (key, token subject, or address) may publish; nil: no limit.
    public var ingestEventsPerSecond: Double?
    /// Events a caller may publish at once before the rate applies; defaults to one second's worth.
    public var ingestBurst: Double?
    /// How soon a revoked key stops working (and the streams opened with it end).
    public var keyRefreshInterval: Duration = .seconds(2)
    /// Queries (`GET /v1/runs…`) one caller may have in progress at once (429 past it).
    public var maxQueriesPerClient = 8
    /// Proxies whose `X-Forwarded-For` or `Forwarded` header names the client (`--trusted-proxy`).
    /// None by default: the TCP peer is the caller's address, whatever a request's headers say.
    public var trustedProxies = TrustedProxies()
    /// How long a stream ticket (`POST /v1/stream-tickets`) opens its stream (`--stream-ticket-ttl`).
    public var streamTicketLifetime: Duration = .seconds(60)
    /// The file holding the secret stream tickets are signed with (`--stream-ticket-secret-file`),
    /// for replicas that must accept each other's tickets. Nil: ``StreamTicketSecret/fileName`` in
    /// the data folder, made at first start; on PostgreSQL, a secret of the process's own.
    public var streamTicketSecretFile: String?
    /// Whether the stream endpoints take a key in `?access_token=`; `--no-query-keys` turns it
    /// off, since proxies and browser histories keep URLs (stream tickets replace it).
    public var queryKeys = true
    /// A cookie whose JWT authenticates streams (`--auth-cookie`), for same-site apps' pages.
    /// Needs ``jwt``; refused with `*` in ``corsOrigins``.
    public var authCookie: String?

    public init() {}
}

/// How bearer tokens that are not Herald API keys are verified.
public struct JWTConfiguration: Sendable {
    public enum Key: Sendable {
        case hs256(secret: [UInt8])
        /// An RS256 or ES256 public key in PEM.
        case publicKeyPEM(String)
    }

    public var key: Key
    /// When set, a token's `iss` must equal it.
    public var issuer: String?
    /// When set, a token's `aud` must include it.
    public var audience: String?

    public init(key: Key, issuer: String? = nil, audience: String? = nil) {
        self.key = key
        self.issuer = issuer
        self.audience = audience
    }
}

/// How live streams behave.
public struct StreamConfiguration: Sendable {
    /// A heartbeat comment is sent after this much silence.
    public var heartbeat: Duration = .seconds(15)
    /// Events buffered per subscriber before it is switched to reading from the store.
    public var bufferCapacity = 4096
    /// Bytes of frames buffered per subscriber before it is switched to reading from the store.
    public var bufferBytes = 1 << 20
    /// Live connections one caller (API key, token subject, or address) may hold (429 past it).
    public var maxConnectionsPerClient = 100
    /// A stream is closed at an event boundary after this long; the client resumes seamlessly.
    public var maxLifetime: Duration = .seconds(3600)
    /// The `retry:` hint sent to EventSource clients.
    public var retryMilliseconds = 2000
    /// The byte budget of a page read from the store (``HeraldConfiguration/maxPageBytes``); a
    /// stream's catch-up reads take at most ``bufferBytes`` of it.
    public var maxPageBytes = PageBudget.defaultMaxBytes

    public init() {}
}
