#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An IPv4 or IPv6 address, held as 128 bits: an IPv4 address as its IPv4-mapped IPv6 form
/// (`::ffff:192.0.2.7`), so the two spellings of one IPv4 address are the same address and an
/// IPv4 network contains the mapped form a dual-stack socket reports.
///
/// ```swift
/// IPAddress("::ffff:192.0.2.7") == IPAddress("192.0.2.7")   // true
/// IPAddress("192.0.2.7")?.description                        // "192.0.2.7"
/// ```
public struct IPAddress: Hashable, Sendable, CustomStringConvertible {
    /// The address in network order, most significant bit first.
    public let bits: UInt128

    /// The prefix every IPv4-mapped IPv6 address shares: `::ffff:0:0/96`.
    static let mappedPrefix: UInt128 = 0xffff << 32

    /// Parses an address as `inet_pton` does: dotted-quad IPv4 (no leading zeros, no shorter
    /// forms) or IPv6 text (without brackets, port or zone). Nil for anything else.
    public init?(_ text: some StringProtocol) {
        // No text that inet_pton would read differently from what was sent: no NUL, no zone.
        guard !text.isEmpty, text.utf8.count <= 45, !text.utf8.contains(0) else { return nil }
        let string = String(text)
        var v4 = in_addr()
        if inet_pton(AF_INET, string, &v4) == 1 {
            bits = Self.mappedPrefix | UInt128(UInt32(bigEndian: v4.s_addr))
            return
        }
        var bytes = [UInt8](repeating: 0, count: 16)
        guard inet_pton(AF_INET6, string, &bytes) == 1 else { return nil }
        bits = bytes.reduce(0) { $0 << 8 | UInt128($1) }
    }

    init(bits: UInt128) {
        self.bits = bits
    }

    /// Whether this is an IPv4 address (or its IPv4-mapped IPv6 form).
    public var isIPv4: Bool { bits >> 32 == Self.mappedPrefix >> 32 }

    /// Dotted-quad for IPv4, RFC 5952 text (lower case, the longest zero run as `::`) for IPv6:
    /// one spelling per address, so one client is one caller however a proxy wrote it.
    public var description: String {
        if isIPv4 {
            let v4 = UInt32(truncatingIfNeeded: bits)
            return "\(v4 >> 24).\(v4 >> 16 & 0xff).\(v4 >> 8 & 0xff).\(v4 & 0xff)"
        }
        var bytes = (0..<16).map { UInt8(truncatingIfNeeded: bits >> (8 * (15 - $0))) }
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        guard inet_ntop(AF_INET6, &bytes, &text, socklen_t(text.count)) != nil else { return "unknown" }
        return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
