import HeraldCore
import Logging
import ServiceLifecycle

/// Applies the retention policy in the background: every `interval`, passes of bounded size
/// (so an ingest waits at most one small transaction) until nothing more is due.
struct RetentionService: Service {
    let store: any EventStore
    let policy: RetentionPolicy
    let interval: Duration
    let logger: Logger

    /// Events deleted per pass.
    static let passLimit = 2000

    func run() async throws {
        try? await cancelWhenGracefulShutdown {
            while true {
                await self.applyOnce()
                try await Task.sleep(for: self.interval)
            }
        }
    }

    func applyOnce() async {
        var total = PruneResult()
        do {
            while !Task.isCancelled {
                let pass = try await store.prune(policy, now: .now(), limit: Self.passLimit)
                total.runsDeleted += pass.runsDeleted
                total.eventsDeleted += pass.eventsDeleted
                if pass.isComplete { break }
                await Task.yield()
            }
        } catch {
            logger.error("retention.failed", metadata: ["error": "\(error)"])
        }
        if total.eventsDeleted > 0 || total.runsDeleted > 0 {
            logger.info("retention.pruned", metadata: ["runs": "\(total.runsDeleted)", "events": "\(total.eventsDeleted)"])
        }
    }
}
