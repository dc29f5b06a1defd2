import ArgumentParser
import Foundation
import HeraldClient
import HeraldCore
import NIOCore

/// `herald bench ingest`: connections POST batches of events back to back; prints events/s,
/// requests/s, latency percentiles and errors.
struct BenchIngest: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ingest",
        abstract: "Ingest throughput: each connection POSTs batches of events back to back.",
        discussion: """
            Each connection keeps one request in flight: it sends the next batch when the previous one \
            is answered (after commit). Events are realistic (log lines, progress, decisions, …) and spread \
            over fresh runs; request bodies are built before the clock starts and sent in rotation. \
            Latency is per request, in ms; only requests started after the warm-up count.
            """
    )

    @OptionGroup var options: BenchServerOptions

    @Option(help: "Concurrent connections, each with one request in flight.")
    var connections = 8

    @Option(help: "Events per request.")
    var batch = 100

    @Option(help: "Seconds to measure, after the warm-up.")
    var duration = 10.0

    @Option(help: "Seconds of load before measuring starts.")
    var warmup = 2.0

    @Option(help: "Approximate size of each event's data object, in bytes.")
    var payloadBytes = 200

    @Option(help: "Fresh runs the events are spread over. (default: one per connection)")
    var runs: Int?

    @Option(help: "Distinct request bodies prepared per connection and sent in rotation.")
    var bodies = 16

    @Flag(help: """
        Send OpenTelemetry spans instead, as an OTLP exporter does: protobuf to /otlp/v1/traces, --batch \
        spans per request (512 is the batch span processor's default), in traces of --spans-per-trace.
        """)
    var otlp = false

    @Option(help: "With --otlp: spans per trace, the last one its root.")
    var spansPerTrace = 32

    func validate() throws {
        guard connections >= 1, batch >= 1, bodies >= 1, payloadBytes >= 0 else {
            throw ValidationError("--connections, --batch and --bodies must be at least 1")
        }
        guard duration > 0, warmup >= 0 else { throw ValidationError("--duration must be > 0 and --warmup ≥ 0") }
        if let runs, runs < 1 { throw ValidationError("--runs must be at least 1") }
    }

    func run() async throws {
        BenchHeader.print(server: options.server)
        let runNames = (0..<(runs ?? connections)).map { "\(BenchSession.freshRunPrefix("ingest"))-\($0)" }
        let (stats, cpu) = try await BenchSession.with(options) { session in
            if otlp { return try await otlpLoad(session) }
            var sources: [BodyRotation] = []
            for index in 0..<connections {
                var factory = EventFactory(payloadBytes: payloadBytes, seed: UInt64(index + 1))
                let requests = (0..<bodies).map { _ in
                    PreparedRequest.postJSON(session.endpoint, "/v1/events", body: ByteBuffer(bytes: factory.batch(count: batch, runs: runNames)))
                }
                sources.append(BodyRotation(requests: requests, units: batch))
            }
            let wireBytes = sources.flatMap(\.requests).map { $0.body?.readableBytes ?? 0 }.reduce(0, +) / (connections * bodies * batch)
            print(
                "ingest: \(connections) connections × \(batch) events/request, data ≈\(payloadBytes) B "
                    + "(\(wireBytes) B/event on the wire), \(runNames.count) runs"
            )
            let seconds = (BenchReport.seconds(warmup), BenchReport.seconds(duration))
            print("        \(seconds.0) s warm-up, \(seconds.1) s measured, \(options.threads) client thread(s)")
            fflush(nil)
            return try await load(session, sources: sources)
        }
        print()
        if otlp { BenchReport.line("spans/s", BenchReport.count(Double(stats.units) / max(stats.seconds, 1e-9))) }
        BenchReport.line("events/s", BenchReport.count(Double(stats.units) * eventsPerUnit / max(stats.seconds, 1e-9)))
        BenchReport.line("requests/s", BenchReport.count(Double(stats.requests) / max(stats.seconds, 1e-9)))
        BenchReport.line("latency", BenchReport.latency(stats.latency))
        BenchReport.line(otlp ? "spans" : "events", "\(stats.units) in \(stats.requests) requests over \(BenchReport.seconds(stats.seconds)) s")
        BenchReport.line("errors", BenchReport.errors(stats))
        BenchReport.line("client CPU", cpu)
        if let body = stats.firstErrorBody { BenchReport.line("first error", body) }
        if stats.requests == 0 { throw BenchFailure("no request succeeded") }
    }
}

extension BenchIngest {
    /// Events stored per unit sent: 1 for events; for spans, as the receiver maps them.
    var eventsPerUnit: Double {
        guard otlp else { return 1 }
        var factory = SpanFactory(seed: 1)
        let spans = factory.spans(count: batch, spansPerTrace: spansPerTrace)
        return Double(SpanMapping(defaultProject: "default").map(spans).events.count) / Double(batch)
    }

    /// Each connection sends its requests back to back until the plan says stop.
    func load<Source: RequestSource>(_ session: BenchSession, sources: [Source]) async throws -> (LoadStats, String) {
        let pool = try await session.connect(count: connections)
        let meter = CPUMeter()
        let start = NIODeadline.now()
        var plan = ClosedLoop<Source>.Plan()
        let warmupEnd = start + .nanoseconds(Int64(warmup * 1e9))
        plan.warmup = .until(warmupEnd)
        plan.stopAt = warmupEnd + .nanoseconds(Int64(duration * 1e9))
        let loops = zip(pool, sources).map { ClosedLoop.run(on: $0, endpoint: session.endpoint, plan: plan, source: $1) }
        var all: [LoadStats] = []
        for loop in loops { all.append(try await loop.get()) }
        let stats = LoadStats.merged(all)
        return (stats, meter.summary(requests: stats.attempted))
    }

    /// `--otlp`: OTLP protobuf bodies with fresh trace ids on every request.
    func otlpLoad(_ session: BenchSession) async throws -> (LoadStats, String) {
        var sources: [FreshTraces] = []
        for index in 0..<connections {
            var factory = SpanFactory(seed: UInt64(index + 1))
            let spans = factory.spans(count: batch, spansPerTrace: spansPerTrace)
            let body = ByteBuffer(bytes: OTLPTraces.encodeProtobuf(spans))
            let template = PreparedRequest.post(session.endpoint, "/otlp/v1/traces", body: body, contentType: "application/x-protobuf")
            var traces: [[UInt8]] = []
            for span in spans where !traces.contains(span.traceId) { traces.append(span.traceId) }
            sources.append(FreshTraces(template: template, traceIds: traces, units: batch, connection: index + 1))
        }
        let wireBytes = (sources.first?.template.body?.readableBytes ?? 0) / batch
        print(
            "ingest: \(connections) connections × \(batch) OTLP spans/request (protobuf, \(wireBytes) B/span on the wire), "
                + "\(spansPerTrace) spans/trace, ≈\(BenchReport.count(eventsPerUnit * Double(batch))) events/request"
        )
        print("        \(BenchReport.seconds(warmup)) s warm-up, \(BenchReport.seconds(duration)) s measured, \(options.threads) client thread(s)")
        fflush(nil)
        return try await load(session, sources: sources)
    }
}

/// Prebuilt requests sent in rotation.
struct BodyRotation: RequestSource {
    var requests: [PreparedRequest]
    var units: Int
    private var index = 0

    init(requests: [PreparedRequest], units: Int) {
        self.requests = requests
        self.units = units
    }

    mutating func next() -> (request: PreparedRequest, units: Int) {
        defer { index = (index + 1) % requests.count }
        return (requests[index], units)
    }
}
