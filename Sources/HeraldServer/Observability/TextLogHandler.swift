import Foundation
import Logging

/// `--log-format text` (the default): swift-log's usual line,
/// `<time> <level> <label>: key=value … [<source>] <message>`, on standard output, except that
/// what callers can choose (a token's subject, a path, a run name) cannot forge a line: control
/// characters are escaped, and a value with spaces, quotes or `=` is quoted.
public struct TextLogHandler: LogHandler {
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    let label: String
    let output: @Sendable (String) -> Void

    public init(label: String, output: @escaping @Sendable (String) -> Void = TextLogHandler.standardOutput) {
        self.label = label
        self.output = output
    }

    private static let lock = NSLock()

    /// Writes a whole line at once, so lines from several threads never interleave.
    public static let standardOutput: @Sendable (String) -> Void = { line in
        var line = line
        lock.withLock { line.withUTF8 { _ = write(1, $0.baseAddress, $0.count) } }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let extra = event.metadata { merged.merge(extra) { _, new in new } }
        var line = Self.timestamp() + " \(event.level) \(label):"
        for (key, value) in merged.sorted(by: { $0.key < $1.key }) {
            line += " " + Self.escaped(key, quoting: false) + "=" + Self.escaped(value.description, quoting: true)
        }
        line += " [\(Self.escaped(event.source, quoting: false))] " + Self.escaped(event.message.description, quoting: false) + "\n"
        output(line)
    }

    /// `text` with control characters escaped (`\n`, `\u{1b}`); quoted when `quoting` and it
    /// would otherwise read as more than one value.
    static func escaped(_ text: String, quoting: Bool) -> String {
        let needsQuotes = quoting && (text.isEmpty || text.unicodeScalars.contains { $0 == " " || $0 == "\"" || $0 == "=" })
        guard needsQuotes || text.unicodeScalars.contains(where: isControl) else { return text }
        var out = needsQuotes ? "\"" : ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\"" where needsQuotes: out += "\\\""
            case "\\" where needsQuotes: out += "\\\\"
            case _ where isControl(scalar): out += "\\u{\(String(scalar.value, radix: 16))}"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return needsQuotes ? out + "\"" : out
    }

    private static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7f...0x9f).contains(scalar.value) || scalar == "\u{2028}" || scalar == "\u{2029}"
    }

    /// Local time as swift-log's stream handler writes it: `2026-12-06T20:17:56+0000`.
    private static func timestamp() -> String {
        var now = time(nil)
        var parts = tm()
        localtime_r(&now, &parts)
        var buffer = [CChar](repeating: 0, count: 32)
        let count = strftime(&buffer, buffer.count, "%Y-%m-%dT%H:%M:%S%z", &parts)
        return String(decoding: buffer.prefix(count).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
