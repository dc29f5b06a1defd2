import Crypto
import HeraldCore

/// The text of an API key: `hk_<id>_<secret>`. The id is public (it names the key in
/// `herald keys list`, limits and logs); only the SHA-256 of the secret is stored. A secret of
/// 160 random bits needs no slow hash: nobody can guess one from its digest.
public enum APIKey {
    static let prefix = "hk_"
    static let alphabet = Array("abcdefghijklmnopqrstuvwxyz234567".utf8)

    /// A new key: its stored form (without the secret) and the text to hand out, once.
    public static func generate(project: String, role: Role, name: String, at time: Timestamp = .now()) -> (key: StoredKey, token: String) {
        let id = randomText(count: 12)
        let secret = randomText(count: 32)
        let key = StoredKey(id: id, secretHash: hash(secret), project: project, role: role, name: name, createdAt: time)
        return (key, prefix + id + "_" + secret)
    }

    /// The id and secret of a key's text, or nil when it is not shaped like one.
    static func parse(_ token: Substring) -> (id: Substring, secret: Substring)? {
        guard token.hasPrefix(prefix) else { return nil }
        let rest = token.dropFirst(prefix.count)
        guard let separator = rest.firstIndex(of: "_") else { return nil }
        let id = rest[..<separator]
        let secret = rest[rest.index(after: separator)...]
        guard id.utf8.count == 12, secret.utf8.count == 32 else { return nil }
        return (id, secret)
    }

    /// The id inside a key's text (`herald keys revoke` takes either).
    public static func id(of token: String) -> String? {
        parse(Substring(token)).map { String($0.id) }
    }

    static func hash(_ secret: some StringProtocol) -> [UInt8] {
        Array(SHA256.hash(data: Array(secret.utf8)))
    }

    /// Compares two digests in time that does not depend on where they differ.
    static func digestsMatch(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in a.indices { difference |= a[index] ^ b[index] }
        return difference == 0
    }

    private static func randomText(count: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        return String(decoding: (0..<count).map { _ in alphabet[Int(generator.next(upperBound: UInt32(alphabet.count)))] }, as: UTF8.self)
    }
}
