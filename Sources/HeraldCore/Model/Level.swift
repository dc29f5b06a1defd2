/// Verbosity of an event (R-verbosity): `milestone < decision < action < state < detail`.
///
/// A reader that asks for a level gets that level and every coarser one; `system` events are
/// always delivered.
public enum Level: Int, Sendable, CaseIterable, Comparable, Codable {
    case milestone = 0
    case decision = 1
    case action = 2
    case state = 3
    case detail = 4
    case system = 5

    public init?(name: String) {
        switch name {
        case "milestone": self = .milestone
        case "decision": self = .decision
        case "action": self = .action
        case "state": self = .state
        case "detail": self = .detail
        case "system": self = .system
        default: return nil
        }
    }

    public var name: String {
        switch self {
        case .milestone: "milestone"
        case .decision: "decision"
        case .action: "action"
        case .state: "state"
        case .detail: "detail"
        case .system: "system"
        }
    }

    /// Whether an event of this level reaches a reader that asked for `verbosity`.
    public func isVisible(at verbosity: Level) -> Bool {
        self == .system || self <= verbosity
    }

    public static func < (lhs: Level, rhs: Level) -> Bool { lhs.rawValue < rhs.rawValue }

    public init(from decoder: any Decoder) throws {
        let name = try decoder.singleValueContainer().decode(String.self)
        guard let level = Level(name: name) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "unknown level \(name)"))
        }
        self = level
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(name)
    }
}
