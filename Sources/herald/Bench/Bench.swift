import ArgumentParser
import HeraldClient

/// `herald bench`: load generators that measure a running server, in the spirit of
/// `redis-benchmark`.
///
/// Every mode drives a server that is already running, so the figures are the server's and
/// not an in-process shortcut's. Each prints its own command line and the machine first, so
/// its output can be pasted into BENCHMARKS.md as it is.
struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure a running Herald server: ingest throughput, live fan-out, query latency.",
        discussion: """
            Start a server first (ideally a release build: swift build -c release), e.g.
              herald serve --port 7373 --data /tmp/bench-data
            then run one mode against it with --server. Results depend on the client sharing the \
            machine's cores with the server; `herald bench loopback` shows the client's own ceiling.
            """,
        subcommands: [BenchIngest.self, BenchFanout.self, BenchQuery.self, BenchLoopback.self, BenchEmit.self]
    )
}

/// Options every mode that talks to a server shares.
struct BenchServerOptions: ParsableArguments {
    @Option(help: "Base URL of the running server. (env: HERALD_SERVER)")
    var server = Env.string("HERALD_SERVER") ?? "http://127.0.0.1:7373"

    @Option(help: "Event-loop threads of the load client. Keep it low: the client shares the cores with the server.")
    var threads = 1

    @Option(help: ArgumentHelp("An API key for a server with authentication on. (env: HERALD_TOKEN)", valueName: "key"))
    var token = Env.string("HERALD_TOKEN")

    func validate() throws {
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
        _ = try HTTPEndpoint(benchServer: server)
    }

    var endpoint: HTTPEndpoint {
        get throws {
            var endpoint = try HTTPEndpoint(benchServer: server)
            endpoint.token = token
            return endpoint
        }
    }
}
