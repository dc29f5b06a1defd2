import HeraldCore
import Hummingbird

/// `GET /metrics`: Prometheus text format. With authentication on, it takes an admin key for
/// every project (`*`): the figures are the whole server's.
struct MetricsController<Context: AccessRequestContext>: Sendable {
    let metrics: HeraldMetrics
    let hub: Hub
    let store: any EventStore

    func addRoutes(to group: RouterGroup<Context>) {
        group.get("metrics") { _, context in
            try context.access.require(.admin)
            guard context.access.projects == .all else {
                throw HeraldError(.forbidden, "/metrics covers every project: it takes an admin key for all projects (--project '*')")
            }
            let (live, catchingUp) = hub.subscriberStates()
            let bytes = try? await store.storedBytes()
            let body = metrics.exposition(live: live, catchingUp: catchingUp, storeBytes: bytes)
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: body))
            )
        }
    }
}
