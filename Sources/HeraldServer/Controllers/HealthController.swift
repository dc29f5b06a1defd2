import HeraldCore
import Hummingbird

/// Liveness (`/healthz`: the process answers) and readiness (`/readyz`: the store answers too).
struct HealthController<Context: RequestContext>: Sendable {
    let store: any EventStore
    let hub: Hub

    func addRoutes(to router: Router<Context>) {
        router.get("healthz") { _, _ in Response.json(Array(#"{"status":"ok"}"#.utf8)) }
        router.get("readyz") { _, _ in
            do {
                let position = try await store.lastPosition()
                let subscribers = hub.subscriberCount
                let overflows = hub.counters.overflows.load(ordering: .relaxed)
                return Response.json(
                    Array(#"{"status":"ready","lastPosition":\#(position),"subscribers":\#(subscribers),"overflows":\#(overflows)}"#.utf8)
                )
            } catch {
                throw HeraldError(.unavailable, "the store does not answer: \(error)")
            }
        }
    }
}
