import Logging
import NIOCore
import Synchronization

/// The server-wide cap on open connections (`--max-connections`). Past it, a new connection is
/// closed as soon as it is accepted, so a flood of idle sockets (no credential needed to open
/// one) costs one descriptor each for an instant instead of making the server unreachable once
/// the process runs out of descriptors. Reaching the cap is logged once, and again only after
/// the count has fallen back below it.
final class ConnectionLimit: Sendable {
    let maximum: Int
    private let open = Atomic<Int>(0)
    private let refusing = Atomic<Bool>(false)
    private let refused = Atomic<Int>(0)
    private let logger: Logger

    init(maximum: Int, logger: Logger) {
        self.maximum = maximum
        self.logger = logger
    }

    /// Connections open now.
    var count: Int { open.load(ordering: .relaxed) }

    /// Counts a new connection in; false when the cap is reached (the caller closes it).
    func admit() -> Bool {
        let now = open.wrappingAdd(1, ordering: .relaxed).newValue
        guard now > maximum else { return true }
        open.wrappingSubtract(1, ordering: .relaxed)
        refused.wrappingAdd(1, ordering: .relaxed)
        if !refusing.exchange(true, ordering: .relaxed) {
            logger.warning(
                "connections.limit",
                metadata: ["open": "\(maximum)", "reason": "--max-connections reached: new connections are closed at once until some end"]
            )
        }
        return false
    }

    /// Counts a connection out.
    func release() {
        let now = open.wrappingSubtract(1, ordering: .relaxed).newValue
        if now < maximum, refusing.exchange(false, ordering: .relaxed) {
            logger.notice("connections.accepting", metadata: ["refused": "\(refused.exchange(0, ordering: .relaxed))"])
        }
    }

    /// The handler that admits one connection (one per child channel).
    func gate() -> ConnectionGate { ConnectionGate(limit: self) }
}

/// Admits its connection under the ``ConnectionLimit`` when added to the channel, and counts
/// it out when the channel closes.
final class ConnectionGate: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny

    private let limit: ConnectionLimit
    private var admitted = false

    init(limit: ConnectionLimit) {
        self.limit = limit
    }

    func handlerAdded(context: ChannelHandlerContext) {
        admitted = limit.admit()
        if !admitted { context.close(promise: nil) }
    }

    func channelInactive(context: ChannelHandlerContext) {
        leave()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        leave()
    }

    private func leave() {
        if admitted { limit.release() }
        admitted = false
    }
}
