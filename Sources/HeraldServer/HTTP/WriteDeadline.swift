import NIOCore

/// Closes a connection whose client has taken no byte for `timeout` while Herald has bytes
/// waiting for it. A client that stops reading a stream or a large answer would otherwise hold
/// the response (and the task writing it) for as long as it likes: neither the idle timeout nor
/// a stream's lifetime can act while a write is blocked.
///
/// NIO marks a channel unwritable once more than its high water mark (64 KiB) waits beyond what
/// the kernel's socket buffer took; it turns writable again as soon as the client reads enough.
final class WriteDeadline: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny

    let timeout: TimeAmount
    private var deadline: Scheduled<Void>?

    init(timeout: Duration) {
        self.timeout = TimeAmount(timeout)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            deadline?.cancel()
            deadline = nil
        } else if deadline == nil {
            let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
            deadline = context.eventLoop.scheduleTask(in: timeout) { loopBound.value.close(promise: nil) }
        }
        context.fireChannelWritabilityChanged()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        deadline?.cancel()
    }

    func channelInactive(context: ChannelHandlerContext) {
        deadline?.cancel()
        context.fireChannelInactive()
    }
}
