import Logging
import ServiceLifecycle

/// An application in a service group that a test stops with a graceful shutdown, as SIGTERM does
/// (`triggerGracefulShutdown()`), never by cancelling it: a cancelled Hummingbird server drops a
/// connection accepted at that instant without finishing its writer, and NIO traps ("Deinited
/// NIOAsyncWriter without calling finish()"). A shutdown still going after 10 s is cancelled.
public func gracefullyStopped(_ app: some Service) -> ServiceGroup {
    var configuration = ServiceGroupConfiguration(
        services: [.init(service: app)], logger: Logger(label: "herald.test", factory: { _ in SwiftLogNoOpLogHandler() })
    )
    configuration.maximumGracefulShutdownDuration = .seconds(10)
    return ServiceGroup(configuration: configuration)
}
