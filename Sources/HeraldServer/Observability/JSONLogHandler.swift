import Foundation
import HeraldCore
import Logging

/// `--log-format json`: one JSON object per line on standard error, for log shippers.
/// `{"time": …, "level": …, "label": …, "message": …, <metadata>…}`
public struct JSONLogHandler: LogHandler {
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    let label: String
    /// Where each line goes: standard error, or a test's collector.
    let output: @Sendable ([UInt8]) -> Void

    public init(label: String, output: @escaping @Sendable ([UInt8]) -> Void = JSONLogHandler.standardError) {
        self.label = label
        self.output = output
    }

    private static let lock = NSLock()

    /// Writes a whole line at once, so lines from several threads never interleave.
    public static let standardError: @Sendable ([UInt8]) -> Void = { bytes in
        lock.withLock { _ = bytes.withUnsafeBytes { write(2, $0.baseAddress, $0.count) } }
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
        output(writer.bytes)
    }
}
