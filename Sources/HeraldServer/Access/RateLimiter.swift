import HeraldCore
import Synchronization

/// Ingest rate per caller, in events per second: a token bucket of `burst` events that refills
/// at `eventsPerSecond`. A request is let in while the bucket holds at least one event and
/// takes its whole cost, even past zero; the debt delays the caller's next requests. So a request larger than
/// the burst still passes (when the bucket is full) and the long-run rate holds.
///
/// On one server the buckets are in memory; replicas share theirs in the store (``RateBuckets``),
/// so a caller spreading its requests over replicas gets the same rate as on one.
final class RateLimiter: Sendable {
    private struct Bucket {
        var tokens: Double
        var updated: ContinuousClock.Instant
    }

    private struct State {
        var buckets: [String: Bucket] = [:]
        var sweptAt: ContinuousClock.Instant
    }

    let eventsPerSecond: Double
    let burst: Double
    /// The cluster's buckets, when replicas share a store; nil: this process's own.
    let shared: (any RateBuckets)?
    private let state: Mutex<State>
    private let clock = ContinuousClock()
    /// Past this many callers, buckets that have refilled are forgotten (at most once a second).
    static let sweepThreshold = 10_000

    /// - Precondition: `eventsPerSecond` and `burst` are finite and positive (checked by `herald serve`).
    init(eventsPerSecond: Double, burst: Double, shared: (any RateBuckets)? = nil) {
        self.eventsPerSecond = eventsPerSecond
        self.burst = max(burst, 1)
        self.shared = shared
        self.state = Mutex(State(sweptAt: clock.now))
    }

    /// Takes `cost` events from `caller`'s bucket, or throws 429 with the seconds to wait.
    func admit(_ caller: String, cost: Int) async throws(HeraldError) {
        let wait =
            if let shared {
                try await shared.take(client: caller, cost: cost, rate: eventsPerSecond, burst: burst)
            } else {
                take(caller, cost: cost)
            }
        if let wait {
            throw HeraldError(
                .rateLimited, "this caller publishes more than \(Self.format(eventsPerSecond)) events/s; retry after the Retry-After delay",
                retryAfter: Int(min(max(wait.rounded(.up), 1), 86_400))
            )
        }
    }

    /// Takes from this process's bucket: nil when let in, else the seconds to wait.
    private func take(_ caller: String, cost: Int) -> Double? {
        let now = clock.now
        let wait: Double? = state.withLock { state in
            var bucket = state.buckets[caller] ?? Bucket(tokens: burst, updated: now)
            bucket.tokens = refilled(bucket, at: now)
            bucket.updated = now
            defer {
                state.buckets[caller] = bucket
                if state.buckets.count > Self.sweepThreshold, now - state.sweptAt > .seconds(1) {
                    // A bucket full again is as good as new: forget it, to bound memory.
                    state.buckets = state.buckets.filter { refilled($0.value, at: now) < burst }
                    state.sweptAt = now
                }
            }
            guard bucket.tokens >= 1 else { return (1 - bucket.tokens) / eventsPerSecond }
            bucket.tokens -= Double(cost)
            return nil
        }
        return wait
    }

    private func refilled(_ bucket: Bucket, at now: ContinuousClock.Instant) -> Double {
        let elapsed = now - bucket.updated
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return min(burst, bucket.tokens + seconds * eventsPerSecond)
    }

    private static func format(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(value)
    }
}
