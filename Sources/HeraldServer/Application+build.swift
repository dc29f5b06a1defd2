import Foundation
import HeraldCore
import HeraldSQLite
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore

#if PostgreSQL
import HeraldPostgres
#endif

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
    // Every connection costs a descriptor: take what the operator allows.
    let files = OpenFilesLimit.raise()
    logger.info("limits", metadata: ["open-files": "\(files.soft)", "hard": "\(files.hard)"])

    #if PostgreSQL
    if let location = configuration.postgres {
        let fileSecret = try configuration.access.streamTicketSecretFile.map(StreamTicketSecret.read)
        let store = try await PostgresStore.open(location, logger: logger)
        // Replicas sign tickets with one secret: the file's, else the one kept in the database.
        var ticketSecret = fileSecret
        if ticketSecret == nil {
            ticketSecret = try await store.sharedSecret(named: StreamTicketSecret.fileName, candidate: StreamTicketSecret.random())
        }
        logger.info("store.opened", metadata: ["store": "\(location)"])
        return try await buildApplication(
            configuration, store: store, keys: store, reportedAs: .postgres(location), ticketSecret: ticketSecret, logger: logger,
            onServerRunning: onServerRunning
        )
    }
    #endif
    // Only the server's user may read a new data folder: it holds every project's events.
    try FileManager.default.createDirectory(
        atPath: configuration.dataDirectory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700]
    )
    // Restarts accept the tickets issued before: the secret is kept beside the store.
    let ticketSecret =
        try configuration.access.streamTicketSecretFile.map(StreamTicketSecret.read)
        ?? StreamTicketSecret.inDataFolder(configuration.dataDirectory)
    let path = configuration.dataDirectory + "/herald.sqlite"
    let store = try SQLiteStore(path: path, durability: configuration.durability, logger: logger)
    let keys = try SQLiteKeyStore(path: path)
    return try await buildApplication(
        configuration, store: store, keys: keys, reportedAs: .sqlite(folder: configuration.dataDirectory, durability: configuration.durability),
        ticketSecret: ticketSecret, logger: logger, onServerRunning: onServerRunning
    )
}

/// Builds the Herald application on a store the caller opened: a Swift program that embeds
/// Herald appends to the same store (e.g. through `HeraldClient`'s `StoreSink`) and its
/// events reach the application's live streams like any ingested over HTTP. The application
/// runs the store's background work and closes the store when it stops. Without a key store,
/// only JWTs (if configured) authenticate. A store that counts live streams for a cluster
/// (``StreamSlots``) holds the per-caller limit across it.
///
/// Throws when the configuration would expose Herald beyond loopback without authentication.
public func buildApplication(
    _ configuration: HeraldConfiguration,
    store: any EventStore,
    keys: (any KeyStore)? = nil,
    logger: Logger? = nil,
    onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
) async throws -> some ApplicationProtocol {
    try await buildApplication(
        configuration, store: store, keys: keys, reportedAs: .provided(store),
        ticketSecret: try configuration.access.streamTicketSecretFile.map(StreamTicketSecret.read), logger: logger,
        onServerRunning: onServerRunning
    )
}

/// Builds the application on an open store, which the startup report names as `reportedAs`.
func buildApplication(
    _ configuration: HeraldConfiguration,
    store: any EventStore,
    keys: (any KeyStore)?,
    reportedAs reportedStore: StartupReport.Store,
    ticketSecret: [UInt8]?,
    logger: Logger?,
    onServerRunning: @escaping @Sendable (Int) async -> Void
) async throws -> some ApplicationProtocol {
    var logger = logger ?? Logger(label: "herald")
    logger.logLevel = configuration.logLevel
    let services = try await HeraldServices.make(configuration, store: store, keys: keys, ticketSecret: ticketSecret, logger: logger)
    store.observeCommits { events in services.hub.publish(events) }

    let router = buildRouter(configuration, services: services)
    let (readTimeout, writeTimeout) = (configuration.requestReadTimeout, configuration.writeTimeout)
    let openFiles = OpenFilesLimit.current()
    let maxConnections = configuration.maxConnections ?? HeraldConfiguration.defaultMaxConnections(openFilesLimit: openFiles)
    if maxConnections > openFiles - 64 {
        logger.warning(
            "limits",
            metadata: ["reason": "--max-connections \(maxConnections) leaves too few of the \(openFiles) open files the process may have: raise ulimit -n"]
        )
    }
    let connections = ConnectionLimit(maximum: maxConnections, logger: logger)
    var http1 = HTTP1Channel.Configuration(
        additionalChannelHandlers: [
            connections.gate(), RequestReadDeadline(timeout: readTimeout), WriteDeadline(timeout: writeTimeout), FramingErrorAnswer(),
        ],
        idleTimeout: TimeAmount(configuration.idleTimeout)
    )
    http1.httpDecoder = .init(
        maxHeaderFieldSize: HeraldConfiguration.maxHeaderBytes, maxHeaderListSize: HeraldConfiguration.maxHeaderBytes,
        maxHeaderFieldCount: HeraldConfiguration.maxHeaderCount
    )
    return Application(
        responder: HeadAsGet(inner: router.buildResponder()),
        server: .http1(configuration: http1),
        configuration: .init(
            address: .hostname(configuration.host, port: configuration.port), serverName: "Herald",
            backlog: HeraldConfiguration.listenBacklog
        ),
        services: [StoreService(store: store), services.hub, services.authenticator.keyRing]
            + (configuration.retention.isEmpty
                ? [] : [RetentionService(store: store, policy: configuration.retention, interval: configuration.retentionInterval, logger: logger)])
            + (configuration.runIdle.isOff
                ? [] : [
                    AbandonedRunsService(
                        store: store, policy: configuration.runIdle,
                        interval: configuration.runIdleCheckInterval ?? AbandonedRunsService.interval(for: configuration.runIdle), logger: logger
                    )
                ]),
        onServerRunning: { [logger] channel in
            let port = channel.localAddress?.port ?? configuration.port
            StartupReport(configuration: configuration, port: port, store: reportedStore, authentication: .init(services.authenticator))
                .log(to: logger, format: configuration.logFormat)
            await onServerRunning(port)
        },
        logger: logger
    )
}

/// The parts every route shares.
struct HeraldServices: Sendable {
    let store: any EventStore
    let hub: Hub
    let authenticator: Authenticator
    let metrics: HeraldMetrics
    let rateLimiter: RateLimiter?
    let queryLimit: QueryLimit

    /// - Parameter ticketSecret: what stream tickets are signed with; nil: a secret of this
    ///   process's own (logged, since no other process accepts its tickets).
    static func make(
        _ configuration: HeraldConfiguration, store: any EventStore, keys: (any KeyStore)?, ticketSecret: [UInt8]? = nil, logger: Logger
    ) async throws -> HeraldServices {
        let access = configuration.access
        let keyRing = KeyRing(store: keys ?? NoKeys(), refreshInterval: access.keyRefreshInterval, logger: logger)
        await keyRing.reload()
        let jwt: JWTVerifier? = if let configuration = access.jwt { try await JWTVerifier(configuration) } else { nil }
        let anyOrigin = access.corsOrigins.contains("*")
        if access.insecureNoAuth {
            logger.warning("auth.off", metadata: ["reason": "--insecure-no-auth: anyone who reaches \(configuration.host) may read and write every run"])
            if anyOrigin {
                logger.warning("cors.any", metadata: ["reason": "--cors-origin * with --insecure-no-auth: any web page may read and write every run"])
            }
        } else if !HeraldConfiguration.isLoopback(configuration.host), keyRing.isEmpty, jwt == nil {
            throw HeraldError(.invalidParameter, HeraldConfiguration.refusalWithoutAuth(host: configuration.host))
        } else if anyOrigin, keyRing.isEmpty, jwt == nil {
            throw HeraldError(.invalidParameter, HeraldConfiguration.refusalOfAnyOriginWithoutAuth)
        }
        if let cookie = access.authCookie,
            let problem = HeraldConfiguration.authCookieProblem(name: cookie, hasJWTKey: access.jwt != nil, corsOrigins: access.corsOrigins)
        {
            throw HeraldError(.invalidParameter, problem)
        }
        if ticketSecret == nil {
            logger.notice(
                "tickets.secret",
                metadata: [
                    "reason": "no --stream-ticket-secret-file: stream tickets are signed with a secret of this process's own, so another replica (or this one restarted) refuses them"
                ]
            )
        }
        if !access.trustedProxies.isEmpty {
            logger.info("proxies.trusted", metadata: ["blocks": "\(access.trustedProxies.blocks.map(\.description).joined(separator: ","))"])
        }
        let metrics = HeraldMetrics()
        let rateLimiter = access.ingestEventsPerSecond.map { rate in
            RateLimiter(eventsPerSecond: rate, burst: access.ingestBurst ?? rate, shared: store as? any RateBuckets)
        }
        let authenticator = Authenticator(
            mode: access.insecureNoAuth ? .off : .keys, keyRing: keyRing, jwt: jwt,
            tickets: StreamTicketSigner(secret: ticketSecret ?? StreamTicketSecret.random(), lifetime: access.streamTicketLifetime), logger: logger
        )
        return HeraldServices(
            store: store,
            hub: Hub(
                configuration: configuration.streams, metrics: metrics, sharedSlots: store as? any StreamSlots,
                stillValid: { access, now in authenticator.stillValid(access, at: now) }
            ),
            authenticator: authenticator,
            metrics: metrics,
            rateLimiter: rateLimiter,
            queryLimit: QueryLimit(limit: access.maxQueriesPerClient)
        )
    }
}

/// The key store of an application built without one.
private struct NoKeys: KeyStore {
    func createKey(_ key: StoredKey) async throws(HeraldError) {
        throw HeraldError(.unavailable, "this server has no key store")
    }
    func keys() async throws(HeraldError) -> [StoredKey] { [] }
    func revokeKey(id: String, at time: Timestamp) async throws(HeraldError) -> Bool { false }
}

/// All of Herald's routes.
func buildRouter(_ configuration: HeraldConfiguration, services: HeraldServices) -> Router<HeraldRequestContext> {
    let router = Router(context: HeraldRequestContext.self)
    let allowedMethods = AllowedMethods()
    if !configuration.access.trustedProxies.isEmpty {
        router.add(middleware: ForwardedClientMiddleware(proxies: configuration.access.trustedProxies))
    }
    router.add(middleware: RequestLogMiddleware())
    if !configuration.access.corsOrigins.isEmpty {
        router.add(
            middleware: CORSMiddleware(allowedOrigins: Set(configuration.access.corsOrigins), allowCredentials: configuration.access.authCookie != nil)
        )
    }
    router.add(middleware: ErrorMiddleware(allowedMethods: allowedMethods))
    let store = services.store
    let hub = services.hub
    // Public: health checks, this API's description, the dashboard's and the JavaScript client's
    // files (the page asks for a key).
    HealthController(store: store, hub: hub, authenticator: services.authenticator).addRoutes(to: router)
    OpenAPIController().addRoutes(to: router)
    DashboardController().addRoutes(to: router)
    // Everything else goes through authentication: attached to the routes themselves, so no
    // spelling of a path can reach them around it.
    let authenticated = router.group().add(
        middleware: AuthMiddleware(
            authenticator: services.authenticator, queryKeys: configuration.access.queryKeys,
            cookie: configuration.access.authCookie.map { AuthCookie(name: $0, allowedOrigins: Set(configuration.access.corsOrigins)) }
        )
    )
    MetricsController(metrics: services.metrics, hub: hub, store: store).addRoutes(to: authenticated)
    let v1 = authenticated.group("v1").add(middleware: QueryParameterMiddleware())
    AccessController(authenticator: services.authenticator).addRoutes(to: v1)
    StreamTicketController(store: store, tickets: services.authenticator.tickets).addRoutes(to: v1)
    IngestController(
        store: store, parser: EventParser(limits: configuration.limits), metrics: services.metrics, rateLimiter: services.rateLimiter
    ).addRoutes(to: v1)
    // OTLP/HTTP's own path: exporters append /v1/traces to OTEL_EXPORTER_OTLP_ENDPOINT.
    OTLPController(
        store: store, parser: EventParser(limits: configuration.limits), metrics: services.metrics, rateLimiter: services.rateLimiter
    ).addRoutes(to: authenticated.group("otlp"))
    let queries = v1.group().add(middleware: QueryLimitMiddleware(limit: services.queryLimit, metrics: services.metrics))
    RunsController(store: store, presence: hub, maxPageSize: configuration.maxPageSize, maxPageBytes: configuration.maxPageBytes)
        .addRoutes(to: queries)
    StreamController(store: store, hub: hub).addRoutes(to: v1)
    allowedMethods.record(router.routes)
    return router
}
