/// Counts live streams per caller where every replica sees them (PostgreSQL), so a
/// connection limit holds across a cluster. A single server counts in memory instead.
public protocol StreamSlots: Sendable {
    /// Takes one of `client`'s slots, or throws `too_many_connections` when it holds `limit`.
    func acquireSlot(client: String, limit: Int) async throws(HeraldError)
    /// Gives one slot back.
    func releaseSlot(client: String) async
}

/// Ingest-rate token buckets where every replica sees them (PostgreSQL), so `--rate-limit`
/// holds across a cluster. A single server keeps its buckets in memory instead.
public protocol RateBuckets: Sendable {
    /// Takes `cost` events from `client`'s bucket of `burst` events refilling at `rate` per
    /// second, when it holds at least one; answers nil then, else the seconds to wait. A bucket
    /// may go below zero (a large request when full): the debt delays the next ones.
    func take(client: String, cost: Int, rate: Double, burst: Double) async throws(HeraldError) -> Double?
}
