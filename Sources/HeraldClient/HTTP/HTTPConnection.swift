import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// One keep-alive HTTP/1.1 connection, with one request in flight at a time.
///
/// This is the client's transport, and the load client of `herald bench`, written on SwiftNIO
/// rather than AsyncHTTPClient: it costs a few pipeline writes per request and no thread hops,
/// and it keeps AsyncHTTPClient (and HTTP/2) out of what `herald` builds. Measured with
/// `herald bench loopback` (8 connections, single-event POSTs to a trivial in-process server on
/// one event-loop thread, client on one event-loop thread, release build, nproc 2, medians of
/// 3 runs): it reaches about 39,000 requests/s at about 25 µs of client CPU per request;
/// AsyncHTTPClient 1.37 in the same setup (8 concurrent `execute` loops, a pool of 8 HTTP/1
/// connections) reached about 13,000 requests/s at about 108 µs per request.
///
/// ```swift
/// let connection = try await HTTPConnection.connect(to: endpoint, on: group.next()).get()
/// let reply = try await connection.send(.get(endpoint, "/healthz")).get()
/// ```
package final class HTTPConnection: Sendable {
    /// How connections are opened and how long answers may take.
    package struct Settings: Sendable {
        /// Longest wait for the connection to open.
        package var connectTimeout: TimeAmount = .seconds(5)
        /// Longest silence while an answer is awaited; nil waits for ever.
        package var readTimeout: TimeAmount?
        /// Largest answer body accepted.
        package var maxBodyBytes = Int.max

        package init(connectTimeout: TimeAmount = .seconds(5), readTimeout: TimeAmount? = nil, maxBodyBytes: Int = .max) {
            self.connectTimeout = connectTimeout
            self.readTimeout = readTimeout
            self.maxBodyBytes = maxBodyBytes
        }
    }

    package let channel: any Channel

    package var eventLoop: any EventLoop { channel.eventLoop }

    /// Whether the connection is still open (a server that closed an idle connection makes it false).
    package var isActive: Bool { channel.isActive }

    private init(channel: any Channel) { self.channel = channel }

    /// Opens a connection; `localAddress` picks the source address (to spread clients over
    /// `127.0.0.x`, which the server sees as distinct clients).
    package static func connect(
        to endpoint: HTTPEndpoint, on eventLoop: any EventLoop, settings: Settings = Settings(), localAddress: SocketAddress? = nil
    ) -> EventLoopFuture<HTTPConnection> {
        let (readTimeout, maxBodyBytes) = (settings.readTimeout, settings.maxBodyBytes)
        return bootstrap(for: endpoint, on: eventLoop, settings: settings, localAddress: localAddress) {
            ExchangeHandler(readTimeout: readTimeout, maxBodyBytes: maxBodyBytes)
        }
        .connect(host: endpoint.host, port: endpoint.port).map { HTTPConnection(channel: $0) }
    }

    /// Opens a connection, giving up at once when the task is cancelled; connect failures are
    /// thrown as ``HTTPConnectionError/cannotConnect(_:)``.
    package static func open(to endpoint: HTTPEndpoint, on eventLoop: any EventLoop, settings: Settings) async throws -> HTTPConnection {
        let channel = try await openChannel(
            bootstrap(for: endpoint, on: eventLoop, settings: settings, localAddress: nil) {
                ExchangeHandler(readTimeout: settings.readTimeout, maxBodyBytes: settings.maxBodyBytes)
            },
            to: endpoint,
            settings: settings
        )
        return HTTPConnection(channel: channel)
    }

    /// Connects `bootstrap` to `endpoint`; cancelling the task fails the wait at once and closes
    /// the channel should it open later.
    package static func openChannel(_ bootstrap: ClientBootstrap, to endpoint: HTTPEndpoint, settings: Settings) async throws -> any Channel {
        let connecting = bootstrap.connect(host: endpoint.host, port: endpoint.port)
        let opened = connecting.eventLoop.makePromise(of: (any Channel).self)
        connecting.whenComplete { result in
            switch result {
            case .success(let channel):
                opened.succeed(channel)
                // Already failed by a cancellation: nobody will use this channel.
                opened.futureResult.whenFailure { _ in channel.close(promise: nil) }
            case .failure(let error):
                opened.fail(HTTPConnectionError.cannotConnect(error, timeout: settings.connectTimeout))
            }
        }
        return try await withTaskCancellationHandler {
            try await opened.futureResult.get()
        } onCancel: {
            opened.fail(CancellationError())
        }
    }

    /// The client's TCP settings, TLS for an `https://` endpoint, the HTTP/1.1 codecs and then
    /// `handler` in the pipeline.
    package static func bootstrap(
        for endpoint: HTTPEndpoint, on eventLoop: any EventLoop, settings: Settings, localAddress: SocketAddress?,
        handler: @escaping @Sendable () -> some ChannelHandler
    ) -> ClientBootstrap {
        let bootstrap = ClientBootstrap(group: eventLoop)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connectTimeout(settings.connectTimeout)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if endpoint.usesTLS {
                        try channel.pipeline.syncOperations.addHandler(try ClientTLS.handler(for: endpoint.host))
                    }
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(handler())
                }
            }
        return localAddress.map { bootstrap.bind(to: $0) } ?? bootstrap
    }

    /// Sends one request; the future completes with the whole response, or fails when the
    /// connection fails, the answer is too large, is silent past the read timeout, or is not
    /// whole by `deadline`.
    package func send(_ request: PreparedRequest, deadline: NIODeadline? = nil) -> EventLoopFuture<HTTPReply> {
        let promise = channel.eventLoop.makePromise(of: HTTPReply.self)
        // A write that fails before reaching the handler (a closed channel) must still fail the
        // exchange; a promise completed twice keeps its first result.
        channel.writeAndFlush(HTTPExchange(request: request, deadline: deadline, reply: promise)).whenFailure { promise.fail($0) }
        return promise.futureResult
    }

    package func close() {
        channel.close(promise: nil)
    }
}

/// The TLS of `https://` servers: the system's trust roots, one context for the process.
enum ClientTLS {
    private static let context = Result { try NIOSSLContext(configuration: .makeClientConfiguration()) }

    /// A handler that verifies the server's certificate for `host` (by name, or by address when
    /// `host` is an IP address, which SNI cannot carry).
    static func handler(for host: String) throws -> NIOSSLClientHandler {
        let context: NIOSSLContext
        do { context = try self.context.get() } catch { throw HTTPConnectionError.tls(error) }
        let isAddress = (try? SocketAddress(ipAddress: host, port: 0)) != nil
        return try NIOSSLClientHandler(context: context, serverHostname: isAddress ? nil : host)
    }
}
