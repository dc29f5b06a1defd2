import HeraldCore
import HeraldSQLite
import Logging

/// Everything `herald serve` can be told, with safe defaults.
public struct HeraldConfiguration: Sendable {
    /// Address to bind. Loopback by default.
    public var host = "127.0.0.1"
    /// Port to bind; 0 picks a free one.
    public var port = 7373
    /// Folder holding the embedded store.
    public var dataDirectory = "./herald-data"
    /// How hard each commit is pushed to disk.
    public var durability: SQLiteStore.Durability = .normal
    /// Limits on ingest requests.
    public var limits = IngestLimits()
    /// Largest page of a query.
    public var maxPageSize = 1000
    public var logLevel: Logger.Level = .info
    /// Live stream behaviour.
    public var streams = StreamConfiguration()

    public init() {}
}

/// How live streams behave.
public struct StreamConfiguration: Sendable {
    /// A heartbeat comment is sent after this much silence.
    public var heartbeat: Duration = .seconds(15)
    /// Events buffered per subscriber before it is switched to reading from the store.
    public var bufferCapacity = 4096
    /// Live connections one client may hold (429 past it).
    public var maxConnectionsPerClient = 100
    /// A stream is closed at an event boundary after this long; the client resumes seamlessly.
    public var maxLifetime: Duration = .seconds(3600)
    /// The `retry:` hint sent to EventSource clients.
    public var retryMilliseconds = 2000

    public init() {}
}
