import ArgumentParser
import HeraldClient
import NIOCore
import NIOHTTP1
import NIOPosix

/// `herald bench loopback`: the load client against a trivial in-process HTTP server, to show
/// the most the client can drive on this machine — the ceiling of every other mode.
struct BenchLoopback: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "loopback",
        abstract: "The load client's own ceiling: single-event POSTs to a trivial in-process server.",
        discussion: """
            Starts an HTTP server on 127.0.0.1 that answers every request with a fixed ingest answer and \
            does no work, then runs the ingest loop against it. If a server mode comes near this figure, \
            the client and not the server is being measured.
            """
    )

    @Option(help: "Concurrent connections, each with one request in flight.")
    var connections = 8

    @Option(help: "Events per request.")
    var batch = 1

    @Option(help: "Seconds to measure, after the warm-up.")
    var duration = 5.0

    @Option(help: "Seconds of load before measuring starts.")
    var warmup = 1.0

    @Option(help: "Event-loop threads of the load client.")
    var threads = 1

    @Option(help: "Event-loop threads of the trivial server.")
    var serverThreads = 1

    func run() async throws {
        BenchHeader.print(server: "in-process trivial server")
        let serverGroup = MultiThreadedEventLoopGroup(numberOfThreads: serverThreads)
        let server = try await ServerBootstrap(group: serverGroup)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(FixedAnswerHandler())
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let endpoint = HTTPEndpoint(host: "127.0.0.1", port: server.localAddress?.port ?? 0)
        var options = try BenchServerOptions.parse(["--server", "http://\(endpoint.authority)"])
        options.threads = threads
        let cpuBefore = ProcessCPU.seconds()
        let (stats, clientCPU) = try await BenchSession.with(options) { session in
            var factory = EventFactory(payloadBytes: 200, seed: 1)
            let requests = (0..<16).map { _ in
                PreparedRequest.postJSON(endpoint, "/v1/events", body: ByteBuffer(bytes: factory.batch(count: batch, runs: ["loopback"])))
            }
            let pool = try await session.connect(count: connections)
            let clientBefore = try await ProcessCPU.seconds(of: session.group)
            var plan = ClosedLoop<BodyRotation>.Plan()
            let warmupEnd = NIODeadline.now() + .nanoseconds(Int64(warmup * 1e9))
            plan.warmup = .until(warmupEnd)
            plan.stopAt = warmupEnd + .nanoseconds(Int64(duration * 1e9))
            let loops = pool.map { ClosedLoop.run(on: $0, endpoint: endpoint, plan: plan, source: BodyRotation(requests: requests, units: batch)) }
            var all: [LoadStats] = []
            for loop in loops { all.append(try await loop.get()) }
            return (LoadStats.merged(all), try await ProcessCPU.seconds(of: session.group) - clientBefore)
        }
        let cpuSeconds = ProcessCPU.seconds() - cpuBefore
        try await server.close()
        try await serverGroup.shutdownGracefully()
        print("loopback: \(connections) connections × \(batch) events/request, client \(threads) thread(s), server \(serverThreads) thread(s)")
        BenchReport.line("requests/s", BenchReport.count(Double(stats.requests) / max(stats.seconds, 1e-9)))
        BenchReport.line("latency", BenchReport.latency(stats.latency))
        let attempted = Double(max(stats.attempted, 1))
        BenchReport.line("client CPU", String(format: "%.1f µs per request (the client's event-loop threads)", clientCPU / attempted * 1e6))
        BenchReport.line("process CPU", String(format: "%.1f µs per request (client and trivial server)", cpuSeconds / attempted * 1e6))
        BenchReport.line("errors", BenchReport.errors(stats))
    }
}

/// Answers every request with the same small ingest answer, doing no other work.
final class FixedAnswerHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private static let body = ByteBuffer(
        string: #"{"accepted":1,"duplicates":0,"events":[{"id":"01J0000000000000000000000","run":"loopback","seq":1}]}"#
    )
    private static let head: HTTPResponseHead = {
        var head = HTTPResponseHead(version: .http1_1, status: .ok)
        head.headers.add(name: "Content-Type", value: "application/json")
        head.headers.add(name: "Content-Length", value: String(body.readableBytes))
        return head
    }()

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .end = unwrapInboundIn(data) else { return }
        context.write(wrapOutboundOut(.head(Self.head)), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(Self.body))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }
}
