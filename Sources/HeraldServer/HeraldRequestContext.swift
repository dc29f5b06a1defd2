import Hummingbird
import NIOCore

/// Herald's request context: Hummingbird's basics plus the peer address, which identifies a
/// client for connection limits until API keys do.
public struct HeraldRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }

    /// Who is asking, for per-client limits.
    var clientIdentity: String { remoteAddress?.ipAddress ?? "unknown" }
}
