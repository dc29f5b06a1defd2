import NIOCore
import NIOHTTP1

/// A request and the promise of its response, as it travels down the pipeline.
struct HTTPExchange: Sendable {
    var request: PreparedRequest
    /// When the whole answer must have arrived; nil: no limit.
    var deadline: NIODeadline?
    var reply: EventLoopPromise<HTTPReply>
}

/// Writes an ``HTTPExchange``'s request and completes its promise when the response has ended.
///
/// The timeouts cost nothing when unset (the bench's load loops): one timer per request when
/// set, which a read pushes back by updating a time stamp, not by rescheduling.
final class ExchangeHandler: ChannelDuplexHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundIn = HTTPExchange
    typealias OutboundOut = HTTPClientRequestPart

    private let readTimeout: TimeAmount?
    private let maxBodyBytes: Int
    private var pending: EventLoopPromise<HTTPReply>?
    private var head: HTTPResponseHead?
    private var body: ByteBuffer?
    private var deadline: NIODeadline?
    private var lastRead = NIODeadline.now()
    private var timer: Scheduled<Void>?

    init(readTimeout: TimeAmount?, maxBodyBytes: Int) {
        self.readTimeout = readTimeout
        self.maxBodyBytes = maxBodyBytes
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let exchange = unwrapOutboundIn(data)
        guard pending == nil else {
            exchange.reply.fail(HTTPConnectionError.requestInFlight)
            promise?.fail(HTTPConnectionError.requestInFlight)
            return
        }
        pending = exchange.reply
        deadline = exchange.deadline
        lastRead = .now()
        armTimer(context: context)
        context.write(wrapOutboundOut(.head(exchange.request.head)), promise: nil)
        if let body = exchange.request.body {
            context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        }
        context.write(wrapOutboundOut(.end(nil)), promise: promise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if timer != nil { lastRead = .now() }
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
        case .body(var chunk):
            guard pending != nil else { return }
            guard (body?.readableBytes ?? 0) + chunk.readableBytes <= maxBodyBytes else {
                return failAndClose(HTTPConnectionError.responseTooLarge(limit: maxBodyBytes), context: context)
            }
            if body == nil { body = chunk } else { body!.writeBuffer(&chunk) }
        case .end:
            guard let head, let pending else { return }
            let reply = HTTPReply(head: head, body: body ?? ByteBuffer())
            self.head = nil
            self.body = nil
            self.pending = nil
            cancelTimer()
            pending.succeed(reply)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        fail(HTTPConnectionError.closed)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        failAndClose(error, context: context)
    }

    // MARK: Timeouts

    /// Schedules the next check: the deadline, or the end of the read timeout, whichever is first.
    private func armTimer(context: ChannelHandlerContext) {
        let silence = readTimeout.map { lastRead + $0 }
        guard let due = [deadline, silence].compactMap({ $0 }).min() else { return }
        timer = context.eventLoop.assumeIsolated().scheduleTask(deadline: due) { self.timerFired(context: context) }
    }

    private func timerFired(context: ChannelHandlerContext) {
        timer = nil
        guard pending != nil else { return }
        let now = NIODeadline.now()
        if let deadline, now >= deadline {
            failAndClose(HTTPConnectionError.timedOut, context: context)
        } else if let readTimeout, now >= lastRead + readTimeout {
            failAndClose(HTTPConnectionError.readTimeout(readTimeout), context: context)
        } else {
            armTimer(context: context)  // a read came since: wait for the rest of the silence
        }
    }

    private func cancelTimer() {
        timer?.cancel()
        timer = nil
    }

    // MARK: Failures

    private func failAndClose(_ error: any Error, context: ChannelHandlerContext) {
        fail(error)
        context.close(promise: nil)
    }

    private func fail(_ error: any Error) {
        cancelTimer()
        let pending = self.pending
        self.pending = nil
        head = nil
        body = nil
        pending?.fail(error)
    }
}
