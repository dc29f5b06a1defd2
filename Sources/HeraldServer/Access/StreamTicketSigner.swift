import Crypto
import Foundation
import HeraldCore

/// Signs and verifies ``StreamTicket``s: `ht_<claims>.<mac>`, the claims as JSON and the
/// HMAC-SHA256 of those bytes under the server's ticket secret (``StreamTicketSecret``), both
/// base64url without padding, so a ticket goes in a URL as it is.
///
/// Nothing is stored per ticket: any server holding the same secret (a restarted one, another
/// replica) verifies it.
struct StreamTicketSigner: Sendable {
    static let prefix = "ht_"

    private let key: SymmetricKey
    /// How long a new ticket opens streams.
    let lifetime: Duration

    init(secret: [UInt8], lifetime: Duration) {
        self.key = SymmetricKey(data: secret)
        self.lifetime = lifetime
    }

    /// Whether a credential is shaped like a ticket (so it can be told apart from a key or a JWT).
    static func looksLikeTicket(_ text: some StringProtocol) -> Bool { text.hasPrefix(prefix) }

    /// The ticket's text.
    func sign(_ ticket: StreamTicket) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        // Encoding a struct of strings and integers cannot fail.
        let claims = (try? encoder.encode(ticket)) ?? Data()
        let mac = HMAC<SHA256>.authenticationCode(for: claims, using: key)
        return Self.prefix + Self.base64URL(claims) + "." + Self.base64URL(Data(mac))
    }

    /// The claims of an authentic ticket that has not expired at `now`; 401 `invalid_ticket`
    /// saying why otherwise.
    func verify(_ text: some StringProtocol, at now: Timestamp) throws(HeraldError) -> StreamTicket {
        guard Self.looksLikeTicket(text) else { throw Self.refusal("it is not a stream ticket (ht_…)") }
        let parts = text.dropFirst(Self.prefix.count).split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, let claims = Self.data(base64URL: parts[0]), let mac = Self.data(base64URL: parts[1]),
            mac.count == SHA256.byteCount
        else {
            throw Self.refusal("it is malformed")
        }
        guard HMAC<SHA256>.isValidAuthenticationCode(mac, authenticating: claims, using: key) else {
            throw Self.refusal(
                "its signature does not verify: it was altered, or signed with another ticket secret (another --stream-ticket-secret-file, or a replaced secret)"
            )
        }
        guard let ticket = try? JSONDecoder().decode(StreamTicket.self, from: claims), ticket.version == StreamTicket.version else {
            throw Self.refusal("its claims are not a version \(StreamTicket.version) ticket's")
        }
        guard now.microseconds < ticket.expiresAt else {
            let expired = Timestamp(microseconds: ticket.expiresAt).rfc3339
            throw Self.refusal("it expired at \(expired): fetch a new one (POST /v1/stream-tickets) for each connection")
        }
        return ticket
    }

    static func refusal(_ reason: String) -> HeraldError {
        HeraldError(.invalidTicket, "the stream ticket was refused: \(reason)")
    }

    // MARK: base64url

    static func base64URL(_ data: Data) -> String {
        var text = data.base64EncodedString()
        text = text.replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
        while text.hasSuffix("=") { text.removeLast() }
        return text
    }

    static func data(base64URL text: some StringProtocol) -> Data? {
        guard !text.isEmpty, text.utf8.count <= 16 << 10 else { return nil }
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        // "+" and "/" are not base64url: refuse them rather than read them as the other alphabet.
        guard !text.contains("+"), !text.contains("/") else { return nil }
        while base64.utf8.count % 4 != 0 { base64 += "=" }
        // One text per value: unused bits set (a character changed that decodes the same) is refused.
        guard let data = Data(base64Encoded: base64), base64URL(data) == text else { return nil }
        return data
    }
}
