/// The proxies whose word Herald takes for who the client is (`--trusted-proxy`).
///
/// A request whose TCP peer is in one of ``blocks`` is named by the address its proxies report
/// in `X-Forwarded-For` or `Forwarded: for=`: the right-most address of the chain that is not
/// itself a trusted proxy. Everything left of it is what the client sent and may be forged;
/// everything right of it was written by proxies Herald trusts. Any other peer is named by its
/// own address, whatever its headers say.
///
/// ```swift
/// let proxies = TrustedProxies([try CIDR(parsing: "10.0.0.0/8")])
/// proxies.client(peer: "10.0.0.2", forwardedFor: ["6.6.6.6, 203.0.113.7, 10.0.0.9"], forwarded: [])
/// // "203.0.113.7": 6.6.6.6 is what the client claimed
/// ```
public struct TrustedProxies: Sendable {
    public var blocks: [CIDR]

    public init(_ blocks: [CIDR] = []) {
        self.blocks = blocks
    }

    public var isEmpty: Bool { blocks.isEmpty }

    public func contains(_ address: IPAddress) -> Bool {
        blocks.contains { $0.contains(address) }
    }

    /// The address that names the caller of a request that came from `peer` (the TCP peer's
    /// address) with these header lines.
    ///
    /// `peer` itself unless it is a trusted proxy and its header names a client. A chain with an
    /// entry that is not an address where the client should be (or right of it) names nobody:
    /// `peer` it is. A request with both headers is named by them only when they agree: Herald
    /// cannot tell which one its proxy wrote and which the client did.
    public func client(peer: String, forwardedFor: [String], forwarded: [String]) -> String {
        guard !isEmpty, !forwardedFor.isEmpty || !forwarded.isEmpty, let address = IPAddress(peer), contains(address) else {
            return peer
        }
        var named: [IPAddress?] = []
        if !forwardedFor.isEmpty { named.append(origin(ForwardedHeaders.xForwardedFor(forwardedFor))) }
        if !forwarded.isEmpty { named.append(origin(ForwardedHeaders.forwarded(forwarded))) }
        guard let first = named.first, let client = first, named.allSatisfy({ $0 == client }) else { return peer }
        return client.description
    }

    /// The right-most hop of `chain` that is not a trusted proxy, or its left-most when every hop
    /// is one; nil when an entry up to there is not an address.
    func origin(_ chain: [IPAddress?]) -> IPAddress? {
        var leftmost: IPAddress?
        for hop in chain.reversed() {
            guard let hop else { return nil }
            guard contains(hop) else { return hop }
            leftmost = hop
        }
        return leftmost
    }
}
