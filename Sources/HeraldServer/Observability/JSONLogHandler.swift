import Foundation
import HeraldCore
import Logging

/// `--log-format json`: one JSON object per line on standard error, for log shippers.
/// `{"time": …, "level": …, "label": …, "message": …, <metadata>…}`
public struct JSONLogHandler: LogHandler {
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    let label: String
    private static let lock = NSLock()

    public init(label: String) {
        self.label = label
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var writer = JSONWriter()
        writer.raw("{\"time\":")
        writer.string(Timestamp.now().rfc3339)
        writer.raw(",\"level\":")
        writer.string(event.level.rawValue)
        writer.raw(",\"label\":")
        writer.string(label)
        writer.raw(",\"message\":")
        writer.string(event.message.description)
        var merged = metadata
        if let extra = event.metadata { merged.merge(extra) { _, new in new } }
        for (key, value) in merged.sorted(by: { $0.key < $1.key }) where !["time", "level", "label", "message"].contains(key) {
            writer.raw(",")
            writer.string(key)
            writer.raw(":")
            writer.string(value.description)
        }
        writer.raw("}\n")
        let bytes = writer.bytes
        Self.lock.withLock { _ = bytes.withUnsafeBytes { write(2, $0.baseAddress, $0.count) } }
    }
}
