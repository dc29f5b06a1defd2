import NIOCore
import NIOHTTP1
import NIOPosix

/// One keep-alive HTTP/1.1 connection of the load client, with one request in flight at a time.
///
/// The bench client is written on SwiftNIO rather than AsyncHTTPClient because it must leave
/// the 2 cores of the reference machine to the server it measures, and must be able to drive
/// at least 30,000 single-event requests/s on loopback. Measured with `herald bench loopback`
/// (8 connections, single-event POSTs to a trivial in-process server on one event-loop thread,
/// client on one event-loop thread, release build, nproc 2, medians of 3 runs): this client
/// reaches about 39,000 requests/s at about 25 µs of client CPU per request; AsyncHTTPClient
/// 1.37 in the same setup (8 concurrent `execute` loops, a pool of 8 HTTP/1 connections)
/// reaches about 13,000 requests/s at about 108 µs per request — four times the CPU, and under
/// the target. AsyncHTTPClient pays for its pool, request state machines and a hop between the
/// event loop and Swift concurrency on every request. Here a request is three pipeline writes
/// of a prebuilt head and body, and ``ClosedLoop`` issues the next one from the response
/// callback without leaving the event loop.
///
/// ```swift
/// let connection = try await HTTPConnection.connect(to: endpoint, on: group.next()).get()
/// let reply = try await connection.send(.get(endpoint, "/healthz")).get()
/// ```
final class HTTPConnection: Sendable {
    let channel: any Channel

    var eventLoop: any EventLoop { channel.eventLoop }

    private init(channel: any Channel) { self.channel = channel }

    /// Opens a connection; `localAddress` picks the source address (to spread clients over
    /// `127.0.0.x`, which the server sees as distinct clients).
    static func connect(to endpoint: Endpoint, on eventLoop: any EventLoop, localAddress: SocketAddress? = nil)
        -> EventLoopFuture<HTTPConnection>
    {
        bootstrap(on: eventLoop, localAddress: localAddress) { ExchangeHandler() }
            .connect(host: endpoint.host, port: endpoint.port).map { HTTPConnection(channel: $0) }
    }

    /// The load client's TCP settings, with HTTP/1.1 codecs and then `handler` in the pipeline.
    static func bootstrap(
        on eventLoop: any EventLoop, localAddress: SocketAddress?, handler: @escaping @Sendable () -> some ChannelHandler
    ) -> ClientBootstrap {
        let bootstrap = ClientBootstrap(group: eventLoop)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connectTimeout(.seconds(5))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(handler())
                }
            }
        return localAddress.map { bootstrap.bind(to: $0) } ?? bootstrap
    }

    /// Sends one request; the future completes with the whole response.
    func send(_ request: PreparedRequest) -> EventLoopFuture<HTTPReply> {
        let promise = channel.eventLoop.makePromise(of: HTTPReply.self)
        // A write that fails before reaching the handler (a closed channel) must still fail the
        // exchange; a promise completed twice keeps its first result.
        channel.writeAndFlush(HTTPExchange(request: request, reply: promise)).whenFailure { promise.fail($0) }
        return promise.futureResult
    }

    func close() {
        channel.close(promise: nil)
    }
}

/// A request built once and sent many times: its head and body are copy-on-write values.
struct PreparedRequest: Sendable {
    var head: HTTPRequestHead
    var body: ByteBuffer?

    static func get(_ endpoint: Endpoint, _ path: String) -> PreparedRequest {
        var head = HTTPRequestHead(version: .http1_1, method: .GET, uri: endpoint.path(path))
        head.headers.add(name: "Host", value: endpoint.authority)
        endpoint.authorize(&head)
        return PreparedRequest(head: head, body: nil)
    }

    static func postJSON(_ endpoint: Endpoint, _ path: String, body: ByteBuffer) -> PreparedRequest {
        post(endpoint, path, body: body, contentType: "application/json")
    }

    static func post(_ endpoint: Endpoint, _ path: String, body: ByteBuffer, contentType: String) -> PreparedRequest {
        var head = HTTPRequestHead(version: .http1_1, method: .POST, uri: endpoint.path(path))
        head.headers.add(name: "Host", value: endpoint.authority)
        head.headers.add(name: "Content-Type", value: contentType)
        head.headers.add(name: "Content-Length", value: String(body.readableBytes))
        endpoint.authorize(&head)
        return PreparedRequest(head: head, body: body)
    }
}

/// A whole response.
struct HTTPReply: Sendable {
    var status: HTTPResponseStatus
    var headers: HTTPHeaders
    var body: ByteBuffer

    var isSuccess: Bool { (200..<300).contains(status.code) }
    var text: String { String(buffer: body) }
}

/// Failures of the connection itself, as opposed to error statuses.
enum HTTPConnectionError: Error, CustomStringConvertible {
    case requestInFlight
    case closed

    var description: String {
        switch self {
        case .requestInFlight: "a request is already in flight on this connection"
        case .closed: "the server closed the connection"
        }
    }
}

/// A request and the promise of its response, as it travels down the pipeline.
struct HTTPExchange: Sendable {
    var request: PreparedRequest
    var reply: EventLoopPromise<HTTPReply>
}

/// Writes an ``HTTPExchange``'s request and completes its promise when the response has ended.
final class ExchangeHandler: ChannelDuplexHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundIn = HTTPExchange
    typealias OutboundOut = HTTPClientRequestPart

    private var pending: EventLoopPromise<HTTPReply>?
    private var head: HTTPResponseHead?
    private var body: ByteBuffer?

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let exchange = unwrapOutboundIn(data)
        guard pending == nil else {
            exchange.reply.fail(HTTPConnectionError.requestInFlight)
            promise?.fail(HTTPConnectionError.requestInFlight)
            return
        }
        pending = exchange.reply
        context.write(wrapOutboundOut(.head(exchange.request.head)), promise: nil)
        if let body = exchange.request.body {
            context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        }
        context.write(wrapOutboundOut(.end(nil)), promise: promise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
        case .body(var chunk):
            if body == nil { body = chunk } else { body!.writeBuffer(&chunk) }
        case .end:
            guard let head, let pending else { return }
            let reply = HTTPReply(status: head.status, headers: head.headers, body: body ?? ByteBuffer())
            self.head = nil
            self.body = nil
            self.pending = nil
            pending.succeed(reply)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        fail(HTTPConnectionError.closed)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail(error)
        context.close(promise: nil)
    }

    private func fail(_ error: any Error) {
        let pending = self.pending
        self.pending = nil
        pending?.fail(error)
    }
}
