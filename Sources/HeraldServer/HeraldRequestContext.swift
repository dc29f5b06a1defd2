import HeraldCore
import Hummingbird
import NIOCore
import Synchronization

/// A request context that carries who is asking, settled by ``AuthMiddleware``.
public protocol AccessRequestContext: RequestContext {
    /// Before the middleware runs: no rights at all, so a route it does not cover serves nobody.
    var access: Access { get set }
    /// The caller's address: the TCP peer's, or the client a trusted proxy names
    /// (``ForwardedClientMiddleware``). Names the caller when authentication is off.
    var peer: String { get set }
    /// Shared by every middleware's copy of the context, so the request log (outermost) names
    /// the caller the authentication (further in) settled.
    var callerRecord: CallerRecord { get }
    /// The connection the request came on.
    var connection: any Channel { get }
}

/// The caller's identity as settled for one request.
public final class CallerRecord: Sendable {
    private let identity = Mutex("nobody")

    public init() {}

    public var value: String {
        get { identity.withLock { $0 } }
        set { identity.withLock { $0 = newValue } }
    }
}

/// Herald's request context: Hummingbird's basics, the peer address and the caller's access.
public struct HeraldRequestContext: AccessRequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: SocketAddress?
    public var access: Access
    public let callerRecord = CallerRecord()
    public let connection: any Channel
    public var peer: String

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        connection = source.channel
        remoteAddress = source.channel.remoteAddress
        peer = remoteAddress?.ipAddress ?? "unknown"
        access = Access(identity: "nobody", role: .read, projects: .only([]))
    }
}
