import CoreMetrics
import HeraldCore
import Metrics
import Prometheus
import Synchronization

/// Herald's metrics, instrumented with swift-metrics and exposed by swift-prometheus at
/// `GET /metrics`. Each application has its own registry (no global bootstrap), so several
/// servers in one process (tests, embedders) count apart.
final class HeraldMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    private let factory: PrometheusMetricsFactory

    /// Events stored (duplicates of already stored ids not counted).
    let eventsIngested: CoreMetrics.Counter
    /// Whole `POST /v1/events` requests, from the first byte read to the answer.
    let ingestDuration: CoreMetrics.Timer
    /// The store's part of an ingest: the append until it is durable.
    let commitDuration: CoreMetrics.Timer
    /// From a commit to its frames written to a live subscriber.
    let fanoutLag: CoreMetrics.Timer
    let subscribersLive: CoreMetrics.Gauge
    let subscribersCatchingUp: CoreMetrics.Gauge
    let storeBytes: CoreMetrics.Gauge
    /// Live streams ended because their key was revoked or their token expired.
    let streamsEndedByCredential: CoreMetrics.Counter
    private let rejections = Mutex([String: CoreMetrics.Counter]())
    private let refusals = Mutex([String: CoreMetrics.Counter]())

    init() {
        var factory = PrometheusMetricsFactory(registry: registry)
        let latencyBuckets: [Duration] = [
            .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5),
            .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
            .seconds(1), .seconds(2), .seconds(5),
        ]
        factory.defaultDurationHistogramBuckets = latencyBuckets
        self.factory = factory
        eventsIngested = CoreMetrics.Counter(label: "herald_events_ingested_total", factory: factory)
        ingestDuration = CoreMetrics.Timer(label: "herald_ingest_duration_seconds", factory: factory)
        commitDuration = CoreMetrics.Timer(label: "herald_commit_duration_seconds", factory: factory)
        fanoutLag = CoreMetrics.Timer(label: "herald_fanout_lag_seconds", factory: factory)
        subscribersLive = CoreMetrics.Gauge(label: "herald_subscribers", dimensions: [("state", "live")], factory: factory)
        subscribersCatchingUp = CoreMetrics.Gauge(label: "herald_subscribers", dimensions: [("state", "catching_up")], factory: factory)
        storeBytes = CoreMetrics.Gauge(label: "herald_store_size_bytes", factory: factory)
        streamsEndedByCredential = CoreMetrics.Counter(label: "herald_streams_ended_by_credential_total", factory: factory)
        // Always 1: its labels say which build runs, the Prometheus way of joining a build to
        // the process's other series. The registry holds it from here on.
        CoreMetrics.Gauge(
            label: "herald_build_info", dimensions: [("version", BuildInfo.version), ("commit", BuildInfo.commit)], factory: factory
        ).record(1)
    }

    /// An ingest request refused, by its error code (`validation_failed`, `rate_limited`, …).
    func ingestRejected(_ code: HeraldError.Code) {
        counter(in: rejections, label: "herald_ingest_requests_rejected_total", dimension: ("reason", code.rawValue)).increment()
    }

    /// A connection or request refused by a limit: `connections` (live streams per caller),
    /// `queries` (concurrent queries per caller) or `rate`.
    func refusedByLimit(_ limit: String) {
        counter(in: refusals, label: "herald_refused_by_limit_total", dimension: ("limit", limit)).increment()
    }

    /// The text exposition of every metric, after updating the gauges read at scrape time.
    func exposition(live: Int, catchingUp: Int, storeBytes: Int64?) -> [UInt8] {
        subscribersLive.record(live)
        subscribersCatchingUp.record(catchingUp)
        if let storeBytes { self.storeBytes.record(storeBytes) }
        return registry.emitToBuffer()
    }

    private func counter(in cache: borrowing Mutex<[String: CoreMetrics.Counter]>, label: String, dimension: (String, String)) -> CoreMetrics.Counter {
        cache.withLock { counters in
            if let counter = counters[dimension.1] { return counter }
            let counter = CoreMetrics.Counter(label: label, dimensions: [dimension], factory: factory)
            counters[dimension.1] = counter
            return counter
        }
    }
}
