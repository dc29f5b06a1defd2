import HeraldCore
import Synchronization

/// Ingest rate per caller, in events per second: a token bucket of `burst` events that refills
/// at `eventsPerSecond`. A request is let in while the bucket holds at least one event and
/// takes its whole cost, even past zero; the debt delays the caller's next requests. So a request larger than
/// the burst still passes (when the bucket is full) and the long-run rate holds.
final class RateLimiter: Sendable {
    private struct Bucket {
        var tokens: Double
        var updated: ContinuousClock.Instant
    }

    let eventsPerSecond: Double
    let burst: Double
    private let buckets = Mutex([String: Bucket]())
    private let clock = ContinuousClock()

    init(eventsPerSecond: Double, burst: Double) {
        self.eventsPerSecond = eventsPerSecond
        self.burst = max(burst, 1)
    }

    /// Takes `cost` events from `caller`'s bucket, or throws 429 with the seconds to wait.
    func admit(_ caller: String, cost: Int) throws(HeraldError) {
        let now = clock.now
        let wait: Double? = buckets.withLock { buckets in
            var bucket = buckets[caller] ?? Bucket(tokens: burst, updated: now)
            let elapsed = now - bucket.updated
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            bucket.tokens = min(burst, bucket.tokens + seconds * eventsPerSecond)
            bucket.updated = now
            defer {
                buckets[caller] = bucket
                if buckets.count > 10_000 { Self.forgetFull(&buckets, burst: burst) }
            }
            guard bucket.tokens >= 1 else { return (1 - bucket.tokens) / eventsPerSecond }
            bucket.tokens -= Double(cost)
            return nil
        }
        if let wait {
            throw HeraldError(
                .rateLimited, "this caller publishes more than \(Self.format(eventsPerSecond)) events/s; retry after the Retry-After delay",
                retryAfter: max(1, Int(wait.rounded(.up)))
            )
        }
    }

    /// Callers whose bucket is full again are as good as new: forget them to bound memory.
    private static func forgetFull(_ buckets: inout [String: Bucket], burst: Double) {
        buckets = buckets.filter { $0.value.tokens < burst }
    }

    private static func format(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(value)
    }
}
