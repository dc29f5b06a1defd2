/// A block of IP addresses, `10.0.0.0/8` or `fd00::/8`; a bare address is the block of itself
/// (`/32` for IPv4, `/128` for IPv6). An IPv4 block also holds the IPv4-mapped IPv6 spelling of
/// its addresses (``IPAddress``).
///
/// ```swift
/// let proxies = try CIDR(parsing: "10.0.0.0/8")
/// proxies.contains(IPAddress("10.1.2.3")!)   // true
/// ```
public struct CIDR: Hashable, Sendable, CustomStringConvertible {
    /// The first address of the block (bits past the prefix are zero).
    public let network: IPAddress
    /// Leading bits shared by the block's addresses, counted over 128 bits (an IPv4 `/8` is 104).
    public let prefixLength: Int

    /// Parses `address`, or `address/prefix`. Bits set past the prefix are ignored
    /// (`192.168.1.10/24` is `192.168.1.0/24`), as `ip route` reads them.
    ///
    /// - Throws: ``CIDR/ParseError`` naming what is wrong with `text`.
    public init(parsing text: some StringProtocol) throws(ParseError) {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let address = IPAddress(parts[0]) else {
            throw ParseError(text: String(text), reason: "not an IPv4 or IPv6 address")
        }
        // An IPv4 prefix counts the 32 bits of IPv4; held over the mapped form's 128.
        let width = address.isIPv4 && !parts[0].contains(":") ? 32 : 128
        var length = width
        if parts.count == 2 {
            let digits = parts[1]
            guard !digits.isEmpty, digits.count <= 3, digits.allSatisfy({ ("0"..."9").contains($0) }), let value = Int(digits),
                (0...width).contains(value)
            else {
                throw ParseError(text: String(text), reason: "the prefix length after / must be 0 to \(width)")
            }
            length = value
        }
        prefixLength = 128 - width + length
        network = IPAddress(bits: address.bits & Self.mask(prefixLength))
    }

    /// Whether `address` is in the block.
    public func contains(_ address: IPAddress) -> Bool {
        address.bits & Self.mask(prefixLength) == network.bits
    }

    /// `10.0.0.0/8`, `fd00::/8`: an IPv4 block is told in IPv4 terms.
    public var description: String {
        network.isIPv4 && prefixLength >= 96 ? "\(network)/\(prefixLength - 96)" : "\(network)/\(prefixLength)"
    }

    private static func mask(_ length: Int) -> UInt128 {
        length == 0 ? 0 : ~UInt128(0) << (128 - length)
    }

    /// Why a text is not a CIDR block.
    public struct ParseError: Error, Sendable, CustomStringConvertible {
        public let text: String
        public let reason: String

        public var description: String {
            "'\(text)' is not an address or CIDR block (\(reason)); write e.g. 10.0.0.0/8, 192.0.2.7 or fd00::/8"
        }
    }
}
