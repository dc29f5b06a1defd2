import HeraldCore
import ServiceLifecycle

/// Runs the store's background work (PostgreSQL's connections and notifications) while the
/// application runs, and closes the store on shutdown, after the HTTP server has stopped.
struct StoreService: Service {
    let store: any EventStore

    func run() async throws {
        let background = Task { await store.run() }
        try? await gracefulShutdown()
        background.cancel()
        await background.value
        // Closing checkpoints the store: it must run even when a shutdown that overran
        // --shutdown-timeout cancelled this task (the store refuses work in a cancelled task).
        await Task { await store.close() }.value
    }
}
