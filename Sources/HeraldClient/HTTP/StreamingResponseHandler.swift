import NIOCore
import NIOHTTP1

/// Hands a response's head over once it arrives, then its body chunk by chunk to a
/// ``StreamingResponse/Body``, reading from the socket only while the reader wants more.
///
/// Reading is held back by swallowing the channel's `read` while the body's buffer is full, and
/// passing it on once the reader has drained it (``Demand/produceMore()``). The read timeout
/// counts only while the handler waits for bytes it asked for.
package final class StreamingResponseHandler: ChannelDuplexHandler {
    package typealias InboundIn = HTTPClientResponsePart
    package typealias OutboundIn = HTTPClientRequestPart

    /// The body's link back to the connection: more reads when the reader has room, and the
    /// connection's end when the reader is done with the body.
    package struct Demand: NIOAsyncSequenceProducerDelegate {
        let handler: NIOLoopBound<StreamingResponseHandler>
        let channel: any Channel

        package func produceMore() {
            let handler = self.handler
            channel.eventLoop.execute { handler.value.resume() }
        }

        package func didTerminate() {
            // Never from inside the handler: dropping the body can happen in the middle of
            // its own bookkeeping (``StreamingResponseHandler/finish(_:)``).
            let channel = self.channel
            channel.eventLoop.execute { channel.close(promise: nil) }
        }
    }

    private let answered: EventLoopPromise<StreamingResponse>
    private let readTimeout: TimeAmount?
    private var context: ChannelHandlerContext?
    private var source: StreamingResponse.Body.Source?
    /// Given to the reader with the head; kept until then only.
    private var body: StreamingResponse.Body?
    private var wantsMore = true
    private var readHeld = false
    private var lastRead = NIODeadline.now()
    private var timer: Scheduled<Void>?

    init(answered: EventLoopPromise<StreamingResponse>, readTimeout: TimeAmount?) {
        self.answered = answered
        self.readTimeout = readTimeout
    }

    package func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        let demand = Demand(handler: NIOLoopBound(self, eventLoop: context.eventLoop), channel: context.channel)
        let made = StreamingResponse.Body.makeSequence(
            backPressureStrategy: .init(lowWatermark: 4, highWatermark: 16), finishOnDeinit: false, delegate: demand
        )
        source = made.source
        body = made.sequence
    }

    package func handlerRemoved(context: ChannelHandlerContext) {
        finish(HTTPConnectionError.closed)
        // The body's `Demand` keeps this handler as long as the body lives; the pipeline need not.
        self.context = nil
    }

    package func channelActive(context: ChannelHandlerContext) {
        lastRead = .now()
        armTimer(context: context)
        context.fireChannelActive()
    }

    package func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        lastRead = .now()
        switch unwrapInboundIn(data) {
        case .head(let head):
            guard let body else { return }
            self.body = nil
            answered.succeed(StreamingResponse(head: head, body: body))
        case .body(let chunk):
            if source?.yield(chunk) == .stopProducing { wantsMore = false }
        case .end:
            finish(nil)
            context.close(promise: nil)  // one response per connection
        }
    }

    package func read(context: ChannelHandlerContext) {
        if wantsMore { context.read() } else { readHeld = true }
    }

    /// The reader drained the buffer: read again, and count the read timeout from now.
    private func resume() {
        wantsMore = true
        lastRead = .now()
        if readHeld, let context {
            readHeld = false
            context.read()
        }
    }

    package func channelInactive(context: ChannelHandlerContext) {
        finish(HTTPConnectionError.closed)
        context.fireChannelInactive()
    }

    package func errorCaught(context: ChannelHandlerContext, error: any Error) {
        finish(error)
        context.close(promise: nil)
    }

    /// Ends the body (and the wait for the head, if it had not come), once.
    private func finish(_ error: (any Error)?) {
        timer?.cancel()
        timer = nil
        // The state is settled before anything is called out: ending the body, or dropping one
        // nobody claimed, may come back here.
        let (source, unclaimed) = (self.source, self.body)
        self.source = nil
        self.body = nil
        answered.fail(error ?? HTTPConnectionError.closed)  // no effect once the head was handed over
        if let source {
            if let error { source.finish(error) } else { source.finish() }
        }
        withExtendedLifetime(unclaimed) {}
    }

    private func armTimer(context: ChannelHandlerContext) {
        guard let readTimeout else { return }
        timer = context.eventLoop.assumeIsolated().scheduleTask(deadline: lastRead + readTimeout) {
            self.timerFired(context: context)
        }
    }

    private func timerFired(context: ChannelHandlerContext) {
        guard let readTimeout, source != nil else { return }
        if !wantsMore { lastRead = .now() }  // the reader is behind: the silence is ours, not the server's
        if NIODeadline.now() >= lastRead + readTimeout {
            errorCaught(context: context, error: HTTPConnectionError.readTimeout(readTimeout))
        } else {
            armTimer(context: context)
        }
    }
}
