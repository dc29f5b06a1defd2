import HeraldCore
import Logging

/// A swift-log `LogHandler` that publishes every log record as an `agent.log` event, so an
/// orchestrator that already logs with swift-log streams its logs with one bootstrap line:
///
/// ```swift
/// LoggingSystem.bootstrap { label in
///     MultiplexLogHandler([StreamLogHandler.standardError(label: label), HeraldLogHandler(label: label, emitter: herald)])
/// }
/// ```
///
/// - The event's agent is the logger's label (or the `agent` given).
/// - swift-log levels map to Herald's verbosity: `trace`, `debug` → `detail`; `info` → `action`;
///   `notice`, `warning` → `decision`; `error`, `critical` → `system` (always delivered). The
///   swift-log level itself is kept in `data.severity`.
/// - `data` holds `line` (the message), `severity`, `source`, and the merged metadata (handler,
///   provider, record) under `metadata`, as strings, arrays and objects.
/// - Records logged while the emitter delivers (its own messages, its HTTP client's) are
///   skipped, so the bridge never feeds on itself.
public struct HeraldLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    public var logLevel: Logger.Level = .info
    let emitter: Emitter
    let agent: String

    /// - Parameters:
    ///   - label: the logger's label; it names the agent unless `agent` is given.
    ///   - emitter: where the events go.
    public init(label: String, emitter: Emitter, agent: String? = nil, metadataProvider: Logger.MetadataProvider? = nil) {
        self.emitter = emitter
        self.agent = agent ?? label
        self.metadataProvider = metadataProvider
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// The Herald level a swift-log level maps to.
    public static func level(for level: Logger.Level) -> Level {
        switch level {
        case .trace, .debug: .detail
        case .info: .action
        case .notice, .warning: .decision
        case .error, .critical: .system
        }
    }

    public func log(event: LogEvent) {
        guard !Emitter.isDelivering else { return }
        let level = Self.level(for: event.level)
        guard emitter.wants(level) else { return }
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let recorded = event.metadata { merged.merge(recorded) { _, new in new } }
        var data: [(String, JSONValue)] = [
            ("line", .string(event.message.description)), ("severity", .string(event.level.rawValue)), ("source", .string(event.source)),
        ]
        if !merged.isEmpty { data.append(("metadata", Self.json(merged))) }
        emitter.emit("agent.log", .object(data), level: level, agent: agent)
    }

    static func json(_ metadata: Logger.Metadata) -> JSONValue {
        .object(metadata.sorted { $0.key < $1.key }.map { ($0.key, json($0.value)) })
    }

    static func json(_ value: Logger.Metadata.Value) -> JSONValue {
        switch value {
        case .string(let text): .string(text)
        case .stringConvertible(let convertible): .string(convertible.description)
        case .array(let values): .array(values.map(json))
        case .dictionary(let dictionary): json(dictionary)
        }
    }
}
