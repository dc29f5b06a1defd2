import HeraldCore
import ServiceLifecycle

/// Runs the store's background work (PostgreSQL's connections and notifications) while the
/// application runs, and closes the store on shutdown, after the HTTP server has stopped.
struct StoreService: Service {
    let store: any EventStore

    func run() async throws {
        await withDiscardingTaskGroup { group in
            group.addTask { await store.run() }
            try? await gracefulShutdown()
            await store.close()
            group.cancelAll()
        }
    }
}
