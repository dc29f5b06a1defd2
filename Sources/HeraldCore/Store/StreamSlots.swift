/// Counts live streams per caller where every replica sees them (PostgreSQL), so a
/// connection limit holds across a cluster. A single server counts in memory instead.
public protocol StreamSlots: Sendable {
    /// Takes one of `client`'s slots, or throws `too_many_connections` when it holds `limit`.
    func acquireSlot(client: String, limit: Int) async throws(HeraldError)
    /// Gives one slot back.
    func releaseSlot(client: String) async
}
