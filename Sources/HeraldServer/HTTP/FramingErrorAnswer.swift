import HeraldCore
import HTTPTypes
import NIOCore
import NIOHTTP1
import NIOHTTPTypes

/// Answers a request the HTTP parser refused before it became a request (a 64 KiB header, a NUL
/// in a header, thousands of headers, garbage instead of a request line) in the documented shape,
/// `{"error": {…}}` with 400 (431 for headers too large), and closes the connection. Hummingbird
/// would answer an empty 400. A parse error inside a request's body (malformed chunking) reaches
/// the route instead, which answers it through ``ErrorMiddleware``.
final class FramingErrorAnswer: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    /// A request's head arrived and its response has not ended.
    private var exchangeOpen = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head = unwrapInboundIn(data) { exchangeOpen = true }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) { exchangeOpen = false }
        context.write(data, promise: promise)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let parseError = error as? HTTPParserError, !exchangeOpen else {
            context.fireErrorCaught(error)
            return
        }
        // The connection closed mid-head: nobody is left to answer.
        if parseError == .invalidEOFState {
            context.close(promise: nil)
            return
        }
        let refusal = Self.refusal(for: parseError)
        let body = ByteBuffer(bytes: refusal.json)
        let head = HTTPResponse(
            status: HTTPResponse.Status(code: refusal.code.status),
            headerFields: [.contentType: "application/json", .contentLength: String(body.readableBytes), .connection: "close"]
        )
        exchangeOpen = true
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(body)), promise: nil)
        let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in loopBound.value.close(promise: nil) }
    }

    static func refusal(for error: HTTPParserError) -> HeraldError {
        switch error {
        case .headerOverflow:
            HeraldError(.headersTooLarge, "the request's headers are too large (at most 64 KiB in all)")
        default:
            HeraldError(.invalidRequest, "malformed HTTP request (\(error)); the connection is closed")
        }
    }
}
