import HeraldCore
import ServiceLifecycle

/// Keeps the store open while the application runs and closes it (checkpointing) on shutdown,
/// after the HTTP server has stopped.
struct StoreService: Service {
    let store: any EventStore

    func run() async throws {
        try? await gracefulShutdown()
        await store.close()
    }
}
