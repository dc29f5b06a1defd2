import Logging

/// How `herald serve` writes its log: `text` for people (``TextLogHandler``, standard output),
/// `json` for log shippers (``JSONLogHandler``, standard error).
public enum LogFormat: String, Sendable, CaseIterable {
    case text, json

    /// A handler writing in this format, for `LoggingSystem.bootstrap`.
    public func makeHandler(label: String) -> any LogHandler {
        switch self {
        case .text: TextLogHandler(label: label)
        case .json: JSONLogHandler(label: label)
        }
    }
}
