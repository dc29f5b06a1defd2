import Foundation
import HeraldCore
import HeraldSQLite
import Hummingbird
import Logging

/// Builds the Herald application: opens the store, wires the hub and the routes.
///
/// - Parameters:
///   - configuration: what `herald serve` was told.
///   - onServerRunning: called with the bound port once the server listens (useful with port 0).
public func buildApplication(
    _ configuration: HeraldConfiguration,
    logger: Logger? = nil,
    onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
) async throws -> some ApplicationProtocol {
    var logger = logger ?? Logger(label: "herald")
    logger.logLevel = configuration.logLevel

    try FileManager.default.createDirectory(atPath: configuration.dataDirectory, withIntermediateDirectories: true)
    let store = try SQLiteStore(
        path: configuration.dataDirectory + "/herald.sqlite", durability: configuration.durability, logger: logger
    )
    return buildApplication(configuration, store: store, logger: logger, onServerRunning: onServerRunning)
}

/// Builds the Herald application on a store the caller opened: a Swift program that embeds
/// Herald appends to the same store (e.g. through `HeraldClient`'s `StoreSink`) and its
/// events reach the application's live streams like any ingested over HTTP. The application
/// closes the store when it stops.
public func buildApplication(
    _ configuration: HeraldConfiguration,
    store: any EventStore,
    logger: Logger? = nil,
    onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
) -> some ApplicationProtocol {
    var logger = logger ?? Logger(label: "herald")
    logger.logLevel = configuration.logLevel
    let hub = Hub(configuration: configuration.streams)
    store.observeCommits { events in hub.publish(events) }

    let router = buildRouter(configuration, store: store, hub: hub, logger: logger)
    return Application(
        router: router,
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "Herald"),
        services: [StoreService(store: store), hub],
        onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? configuration.port) },
        logger: logger
    )
}

/// All of Herald's routes.
func buildRouter(_ configuration: HeraldConfiguration, store: any EventStore, hub: Hub, logger: Logger? = nil) -> Router<HeraldRequestContext> {
    let router = Router(context: HeraldRequestContext.self)
    let allowedMethods = AllowedMethods()
    router.add(middleware: ErrorMiddleware(allowedMethods: allowedMethods))
    HealthController(store: store, hub: hub).addRoutes(to: router)
    OpenAPIController().addRoutes(to: router)
    let dashboard = DashboardController()
    if dashboard.folder == nil {
        logger?.warning("dashboard files not found next to the herald binary (herald_HeraldServer.resources): / answers 404")
    }
    dashboard.addRoutes(to: router)
    let v1 = router.group("v1")
    IngestController(store: store, parser: EventParser(limits: configuration.limits)).addRoutes(to: v1)
    RunsController(store: store, presence: hub, maxPageSize: configuration.maxPageSize).addRoutes(to: v1)
    StreamController(store: store, hub: hub).addRoutes(to: v1)
    allowedMethods.record(router.routes)
    return router
}
