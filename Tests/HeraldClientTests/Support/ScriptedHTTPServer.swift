import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// An HTTP/1.1 server on 127.0.0.1 whose answers a test scripts, counting the connections it
/// accepted and saw closed, and recording the request targets it read: what the client's
/// transport does on the wire, which a real Herald server does not show.
final class ScriptedHTTPServer: Sendable {
    enum Answer: Sendable {
        /// 200 with `Content-Length`; `close` says `Connection: close` and closes after it.
        case length(String, close: Bool = false)
        /// 200, chunked, in pieces of `pieceSize` bytes.
        case chunked(String, pieceSize: Int)
        /// Nothing, ever.
        case silent
        /// A 200 head, then a space every `interval`, for ever.
        case trickle(TimeAmount)
        /// A 200 event stream that sends `text` and then stays open without a byte more.
        case stream(String)
    }

    let port: Int
    private let channel: any Channel
    private let log: Log

    final class Log: Sendable {
        let state = Mutex<(connections: Int, closed: Int, targets: [String])>((0, 0, []))
    }

    var connections: Int { log.state.withLock { $0.connections } }
    var closedConnections: Int { log.state.withLock { $0.closed } }
    var targets: [String] { log.state.withLock { $0.targets } }

    private init(port: Int, channel: any Channel, log: Log) {
        self.port = port
        self.channel = channel
        self.log = log
    }

    static func start(_ script: @escaping @Sendable (HTTPRequestHead) -> Answer) async throws -> ScriptedHTTPServer {
        let log = Log()
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                log.state.withLock { $0.connections += 1 }
                channel.closeFuture.whenComplete { _ in log.state.withLock { $0.closed += 1 } }
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(ScriptedAnswerHandler(script: script, log: log))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return ScriptedHTTPServer(port: channel.localAddress?.port ?? 0, channel: channel, log: log)
    }

    var baseURL: String { "http://127.0.0.1:\(port)" }

    func close() async {
        try? await channel.close()
    }
}

/// Answers each request as the script says.
final class ScriptedAnswerHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let script: @Sendable (HTTPRequestHead) -> ScriptedHTTPServer.Answer
    private let log: ScriptedHTTPServer.Log
    private var head: HTTPRequestHead?

    init(script: @escaping @Sendable (HTTPRequestHead) -> ScriptedHTTPServer.Answer, log: ScriptedHTTPServer.Log) {
        self.script = script
        self.log = log
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            log.state.withLock { $0.targets.append(head.uri) }
        case .body:
            break
        case .end:
            guard let head else { return }
            answer(script(head), context: context)
        }
    }

    private func answer(_ answer: ScriptedHTTPServer.Answer, context: ChannelHandlerContext) {
        var headers = HTTPHeaders([("Content-Type", "application/json")])
        switch answer {
        case .length(let text, let close):
            headers.add(name: "Content-Length", value: String(text.utf8.count))
            if close { headers.add(name: "Connection", value: "close") }
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers))), promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: text)))), promise: nil)
            let written = context.writeAndFlush(wrapOutboundOut(.end(nil)))
            if close { written.assumeIsolated().whenComplete { _ in context.close(promise: nil) } }
        case .chunked(let text, let pieceSize):
            headers.add(name: "Transfer-Encoding", value: "chunked")
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers))), promise: nil)
            var bytes = ByteBuffer(string: text)
            while let piece = bytes.readSlice(length: min(pieceSize, bytes.readableBytes)), piece.readableBytes > 0 {
                context.writeAndFlush(wrapOutboundOut(.body(.byteBuffer(piece))), promise: nil)
            }
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        case .silent:
            break
        case .stream(let text):
            headers.replaceOrAdd(name: "Content-Type", value: "text/event-stream")
            headers.add(name: "Transfer-Encoding", value: "chunked")
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers))), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: text)))), promise: nil)
        case .trickle(let interval):
            headers.add(name: "Transfer-Encoding", value: "chunked")
            context.writeAndFlush(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers))), promise: nil)
            trickle(every: interval, context: context)
        }
    }

    private func trickle(every interval: TimeAmount, context: ChannelHandlerContext) {
        context.eventLoop.assumeIsolated().scheduleTask(in: interval) {
            guard context.channel.isActive else { return }
            context.writeAndFlush(self.wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: " ")))), promise: nil)
            self.trickle(every: interval, context: context)
        }
    }
}
