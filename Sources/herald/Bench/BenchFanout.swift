import ArgumentParser
import Foundation
import HeraldClient
import NIOCore

/// `herald bench fanout`: many live subscribers on one run while a publisher posts at a fixed
/// rate; prints delivered events/s and publish→receive latency, and checks that every
/// subscriber got every seq exactly once.
struct BenchFanout: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fanout",
        abstract: "Live fan-out: S SSE subscribers on one fresh run, a publisher posting R events/s.",
        discussion: """
            The run is created with run.started, the subscribers connect (GET /v1/runs/{run}/stream), then \
            the publisher posts bench.tick events at --rate for --duration seconds — all events due at a \
            moment go in one request, with the send time in data.sentNs — and ends the run with \
            run.completed so the streams close. Latency is from the POST leaving the publisher to the event \
            arriving at a subscriber, so it includes the commit. Every subscriber must receive seqs 1…N \
            with no gap and no duplicate; any violation is reported and the command exits non-zero.

            The server allows 100 streams per client address by default: for more subscribers, raise its \
            --max-streams-per-client or spread them over loopback addresses with --source-ips.
            """
    )

    @OptionGroup var options: BenchServerOptions

    @Option(help: "Live subscribers on the run.")
    var subscribers = 100

    @Option(help: "Events per second the publisher posts.")
    var rate = 1000.0

    @Option(help: "Seconds of publishing.")
    var duration = 10.0

    @Option(help: "Approximate size of each event's data object, in bytes.")
    var payloadBytes = 100

    @Option(help: "Most events in one publish request when the publisher catches up.")
    var maxBatch = 1000

    @Option(help: "Spread subscribers over this many source addresses 127.0.0.1…127.0.0.N (loopback servers only).")
    var sourceIps = 1

    @Option(help: "Seconds to wait, after run.completed, for every stream to end.")
    var drainTimeout = 30.0

    @Option(help: "Publish through this server instead of --server, where the subscribers stay: fan-out across replicas of one PostgreSQL store.")
    var publishServer: String?

    /// Where the publisher posts.
    var publishEndpoint: HTTPEndpoint? {
        get throws {
            guard let publishServer else { return nil }
            var endpoint = try HTTPEndpoint(benchServer: publishServer)
            endpoint.token = options.token
            return endpoint
        }
    }

    func validate() throws {
        guard subscribers >= 1, rate > 0, duration > 0, maxBatch >= 1 else {
            throw ValidationError("--subscribers and --max-batch must be at least 1, --rate and --duration > 0")
        }
        guard (1...254).contains(sourceIps) else { throw ValidationError("--source-ips must be between 1 and 254") }
        _ = try publishEndpoint
    }

    func run() async throws {
        BenchHeader.print(server: options.server)
        let run = BenchSession.freshRunPrefix("fanout")
        print(
            "fanout: \(subscribers) subscribers on run \(run), \(BenchReport.count(rate)) events/s "
                + "for \(BenchReport.seconds(duration)) s, data ≈\(payloadBytes) B"
        )
        fflush(nil)
        let outcome = try await BenchSession.with(options) { session in
            try await FanoutRound(bench: self, session: session, run: run).execute()
        }
        outcome.report(subscribers: subscribers)
        if outcome.failedSubscribers > 0 {
            throw BenchFailure("\(outcome.failedSubscribers) of \(subscribers) subscribers did not receive the run exactly once, in order")
        }
    }
}
