import ArgumentParser
import Foundation
import HeraldClient
import NIOCore

/// `herald bench query`: seeds one large run once, then measures event-page queries with a few
/// filter combinations.
struct BenchQuery: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "query",
        abstract: "Query latency: GET /v1/runs/{run}/events?limit=100 with a few filter combinations on a large run.",
        discussion: """
            The run (default bench-query-<events>) is seeded with --events events in large batches unless it \
            already holds that many, so repeated runs against one data folder skip the seeding. Then each \
            combination is queried --requests times (after --warmup-requests unrecorded ones); after=random \
            picks a random seq in the run for each request.

            A combination stops after --max-seconds even when it has not made --requests requests, and says \
            so: on a slow filter the percentiles then come from fewer samples.
            """
    )

    @OptionGroup var options: BenchServerOptions

    @Option(help: "Events the run holds.")
    var events = 1_000_000

    @Option(help: "Measured requests per filter combination.")
    var requests = 2000

    @Option(help: "Unrecorded requests per combination before measuring (at most a tenth of --max-seconds).")
    var warmupRequests = 100

    @Option(help: "Most seconds spent on one combination; a slow one stops early and says how many requests it measured.")
    var maxSeconds = 60.0

    @Option(help: "Concurrent connections issuing queries.")
    var connections = 1

    @Option(help: "Events per page.")
    var limit = 100

    @Option(help: "Run to seed and query. (default: bench-query-<events>)")
    var run: String?

    @Option(help: "Events per seeding request.")
    var seedBatch = 5000

    @Option(help: "Connections used for seeding.")
    var seedConnections = 2

    @Option(help: "Approximate size of each seeded event's data object, in bytes.")
    var payloadBytes = 150

    func validate() throws {
        guard maxSeconds > 0 else { throw ValidationError("--max-seconds must be > 0") }
        guard events >= 1, requests >= 1, connections >= 1, limit >= 1, seedBatch >= 1, seedConnections >= 1, warmupRequests >= 0 else {
            throw ValidationError("counts must be at least 1")
        }
    }

    var runName: String { run ?? "bench-query-\(events)" }

    func run() async throws {
        BenchHeader.print(server: options.server)
        try await BenchSession.with(options) { session in
            try await QuerySeeder(bench: self, session: session).seed()
            print()
            print("query: run \(runName), \(events) events, limit=\(limit), \(connections) connection(s), \(requests) requests each")
            let width = QueryCombination.all.map(\.label.count).max()! + 2
            print("combination".padding(toLength: width, withPad: " ", startingAt: 0) + "req/s   client CPU   latency")
            var failures = 0
            for combination in QueryCombination.all {
                let meter = CPUMeter()
                let stats = try await measure(combination, session: session)
                let cores = meter.summary(requests: 0)
                let rate = BenchReport.count(Double(stats.requests) / max(stats.seconds, 1e-9))
                let cut =
                    stats.requests + stats.errors < requests
                    ? "  (stopped after \(BenchReport.seconds(maxSeconds)) s: \(stats.requests) requests)" : ""
                print(
                    combination.label.padding(toLength: width, withPad: " ", startingAt: 0) + rate.padding(toLength: 8, withPad: " ", startingAt: 0)
                        + cores.padding(toLength: 13, withPad: " ", startingAt: 0) + BenchReport.latency(stats.latency) + cut
                )
                fflush(nil)
                if stats.errors > 0 {
                    BenchReport.violation("\(combination.label): errors \(BenchReport.errors(stats)) \(stats.firstErrorBody ?? "")")
                    failures += 1
                }
            }
            if failures > 0 { throw BenchFailure("\(failures) combination(s) had errors") }
        }
    }

    private func measure(_ combination: QueryCombination, session: BenchSession) async throws -> LoadStats {
        let pool = try await session.connect(count: connections)
        let perConnection = (requests + connections - 1) / connections
        let warmupPerConnection = (warmupRequests + connections - 1) / connections
        var plan = ClosedLoop<QuerySource>.Plan()
        let start = NIODeadline.now()
        // A slow combination must still leave most of its time to measuring.
        plan.warmup = .requests(warmupPerConnection, atMostUntil: start + .nanoseconds(Int64(maxSeconds * 0.1 * 1e9)))
        plan.requests = perConnection
        plan.stopAt = start + .nanoseconds(Int64(maxSeconds * 1e9))
        let loops = pool.enumerated().map { index, connection in
            let source = QuerySource(
                endpoint: session.endpoint, run: runName, combination: combination, limit: limit, events: Int64(events),
                seed: UInt64(index + 1)
            )
            return ClosedLoop.run(on: connection, endpoint: session.endpoint, plan: plan, source: source)
        }
        var all: [LoadStats] = []
        for loop in loops { all.append(try await loop.get()) }
        return LoadStats.merged(all)
    }
}

/// One filter combination of the query bench.
struct QueryCombination: Sendable {
    var label: String
    /// Query parameters without `limit` and `after`.
    var parameters: String
    var randomAfter: Bool

    static let all: [QueryCombination] = [
        QueryCombination(label: "first page", parameters: "", randomAfter: false),
        QueryCombination(label: "after=random", parameters: "", randomAfter: true),
        QueryCombination(label: "types=agent.log", parameters: "types=agent.log", randomAfter: false),
        QueryCombination(label: "types=agent.log after=random", parameters: "types=agent.log", randomAfter: true),
        QueryCombination(label: "types=decision,action", parameters: "types=decision,action", randomAfter: false),
        QueryCombination(label: "types=agent.*,step.*", parameters: "types=agent.*,step.*", randomAfter: false),
        QueryCombination(label: "agents=worker-3", parameters: "agents=worker-3", randomAfter: false),
        QueryCombination(label: "level=decision", parameters: "level=decision", randomAfter: false),
        QueryCombination(label: "level=decision after=random", parameters: "level=decision", randomAfter: true),
        QueryCombination(label: "types=thought agents=planner after=random", parameters: "types=thought&agents=planner", randomAfter: true),
        QueryCombination(label: "rare: types=milestone.phase_transition", parameters: "types=milestone.phase_transition", randomAfter: false),
    ]
}

/// The query requests of one connection: fixed, or with a random `after` each time.
struct QuerySource: RequestSource {
    var endpoint: HTTPEndpoint
    var run: String
    var combination: QueryCombination
    var limit: Int
    var events: Int64
    var random: SplitMix64
    private let fixed: PreparedRequest

    init(endpoint: HTTPEndpoint, run: String, combination: QueryCombination, limit: Int, events: Int64, seed: UInt64) {
        self.endpoint = endpoint
        self.run = run
        self.combination = combination
        self.limit = limit
        self.events = events
        self.random = SplitMix64(seed: seed)
        self.fixed = .get(endpoint, Self.path(run: run, combination: combination, limit: limit, after: nil))
    }

    mutating func next() -> (request: PreparedRequest, units: Int) {
        guard combination.randomAfter else { return (fixed, 1) }
        let after = Int64(random.next() % UInt64(events))
        return (.get(endpoint, Self.path(run: run, combination: combination, limit: limit, after: after)), 1)
    }

    static func path(run: String, combination: QueryCombination, limit: Int, after: Int64?) -> String {
        var query = "limit=\(limit)"
        if !combination.parameters.isEmpty { query += "&" + combination.parameters }
        if let after { query += "&after=\(after)" }
        return "/v1/runs/\(run)/events?\(query)"
    }
}
