/// Where API keys live: only their hashes, never the keys themselves. The SQLite store keeps
/// them in its database, so `herald keys` works on the data folder `herald serve` uses.
public protocol KeyStore: Sendable {
    func createKey(_ key: StoredKey) async throws(HeraldError)
    /// Every key, revoked ones included, oldest first.
    func keys() async throws(HeraldError) -> [StoredKey]
    /// Marks a key revoked; answers false when no key has that id.
    func revokeKey(id: String, at time: Timestamp) async throws(HeraldError) -> Bool
}

/// An API key as stored: its public id, the SHA-256 of its secret, and what it may do.
public struct StoredKey: Sendable, Equatable {
    public var id: String
    public var secretHash: [UInt8]
    public var project: String
    public var role: Role
    /// A label for people (`--name`).
    public var name: String
    public var createdAt: Timestamp
    public var revokedAt: Timestamp?

    public init(id: String, secretHash: [UInt8], project: String, role: Role, name: String, createdAt: Timestamp, revokedAt: Timestamp? = nil) {
        self.id = id
        self.secretHash = secretHash
        self.project = project
        self.role = role
        self.name = name
        self.createdAt = createdAt
        self.revokedAt = revokedAt
    }
}
