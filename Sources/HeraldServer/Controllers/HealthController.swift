import HeraldCore
import Hummingbird

/// Liveness (`/healthz`: the process answers, and says which build it is) and readiness (`/readyz`: the store answers
/// too, and its last write did not fail: a full disk makes it unready until a write succeeds).
/// Both are public, for load balancers; with authentication on, readiness tells nothing more
/// (the store's position and the stream counts are every project's business: see `/metrics`).
struct HealthController<Context: RequestContext>: Sendable {
    let store: any EventStore
    let hub: Hub
    let authenticator: Authenticator

    func addRoutes(to router: Router<Context>) {
        router.get("healthz") { _, _ in Response.json(liveness) }
        router.get("readyz") { _, _ in
            if let failure = store.writeFailure {
                throw HeraldError(.unavailable, "the store cannot write (\(failure)); ready again once a write succeeds", retryAfter: 5)
            }
            do {
                let position = try await store.lastPosition()
                if authenticator.isRequired { return Response.json(Array(#"{"status":"ready"}"#.utf8)) }
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

/// `{"status":"ok","version":"0.9.0","commit":"abc1234"}`: which build answers is public, so an
/// operator can tell how far a rolling upgrade has got from the load balancer's side.
private let liveness: [UInt8] = {
    var writer = JSONWriter()
    writer.raw(#"{"status":"ok","version":"#)
    writer.string(BuildInfo.version)
    writer.raw(#","commit":"#)
    writer.string(BuildInfo.commit)
    writer.raw("}")
    return writer.bytes
}()
