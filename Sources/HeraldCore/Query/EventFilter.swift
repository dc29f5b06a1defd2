/// Which events a reader wants: one type shared by the query API and live streams, so both
/// select exactly the same events.
public struct EventFilter: Sendable, Equatable {
    /// A type name, or a namespace wildcard such as `agent.*` (`*` alone matches every type).
    public enum TypePattern: Sendable, Hashable {
        case exact(String)
        case prefix(String)

        public init?(_ text: String) {
            if text == "*" {
                self = .prefix("")
            } else if text.hasSuffix(".*") {
                let namespace = String(text.dropLast(1))
                guard Names.isValidType(String(namespace.dropLast())) else { return nil }
                self = .prefix(namespace)
            } else {
                guard Names.isValidType(text) else { return nil }
                self = .exact(text)
            }
        }

        public func matches(_ type: String) -> Bool {
            switch self {
            case .exact(let name): type == name
            case .prefix(let namespace): type.hasPrefix(namespace)
            }
        }
    }

    /// Empty means every type.
    public var types: [TypePattern] = []
    /// Empty means every agent.
    public var agents: [String] = []
    /// Verbosity: this level and every coarser one (and `system`); nil means everything.
    public var level: Level?
    public var turnFrom: Int64?
    public var turnTo: Int64?
    /// Inclusive lower bound on event time.
    public var since: Timestamp?
    /// Exclusive upper bound on event time.
    public var until: Timestamp?

    public init(
        types: [TypePattern] = [], agents: [String] = [], level: Level? = nil, turnFrom: Int64? = nil, turnTo: Int64? = nil,
        since: Timestamp? = nil, until: Timestamp? = nil
    ) {
        self.types = types
        self.agents = agents
        self.level = level
        self.turnFrom = turnFrom
        self.turnTo = turnTo
        self.since = since
        self.until = until
    }

    /// Whether the filter lets every event through.
    public var isEmpty: Bool { self == EventFilter() }

    public func matches(_ event: Event) -> Bool {
        if !types.isEmpty, !types.contains(where: { $0.matches(event.type) }) { return false }
        if !agents.isEmpty {
            guard let agent = event.agent, agents.contains(agent) else { return false }
        }
        if let level, !event.level.isVisible(at: level) { return false }
        if turnFrom != nil || turnTo != nil {
            guard let turn = event.turn else { return false }
            if let turnFrom, turn < turnFrom { return false }
            if let turnTo, turn > turnTo { return false }
        }
        if let since, event.time < since { return false }
        if let until, event.time >= until { return false }
        return true
    }
}

extension EventFilter {
    /// The most `types` patterns one filter may name. Each is a condition in the stores' SQL:
    /// the cap keeps a filter's statement small and far below SQLite's expression depth (1,000).
    public static let maxTypes = 100

    /// The most `agents` one filter may name, for the same reason as ``maxTypes``.
    public static let maxAgents = 100

    /// Reads the filter from URL query parameters: `types`, `agents` (comma-separated), `level`,
    /// `turnFrom`, `turnTo`, `since`, `until` (RFC 3339). More than ``maxTypes`` patterns or
    /// ``maxAgents`` agents are refused.
    public init(parameters: (String) -> String?) throws(HeraldError) {
        self.init()
        if let text = parameters("types"), !text.isEmpty {
            let items = text.split(separator: ",", omittingEmptySubsequences: true)
            guard items.count <= Self.maxTypes else {
                throw HeraldError(.invalidParameter, "types may name at most \(Self.maxTypes) patterns (\(items.count) given)")
            }
            for item in items {
                guard let pattern = TypePattern(String(item)) else {
                    throw HeraldError(.invalidParameter, "types: '\(item)' is not a type name or a wildcard such as agent.*")
                }
                types.append(pattern)
            }
        }
        if let text = parameters("agents"), !text.isEmpty {
            let items = text.split(separator: ",", omittingEmptySubsequences: true)
            guard items.count <= Self.maxAgents else {
                throw HeraldError(.invalidParameter, "agents may name at most \(Self.maxAgents) agents (\(items.count) given)")
            }
            agents = items.map(String.init)
        }
        if let text = parameters("level"), !text.isEmpty {
            guard let value = Level(name: text) else {
                throw HeraldError(.invalidParameter, "level must be one of milestone, decision, action, state, detail, system")
            }
            level = value
        }
        turnFrom = try Self.integer("turnFrom", parameters)
        turnTo = try Self.integer("turnTo", parameters)
        since = try Self.time("since", parameters)
        until = try Self.time("until", parameters)
    }

    static func integer(_ name: String, _ parameters: (String) -> String?) throws(HeraldError) -> Int64? {
        guard let text = parameters(name), !text.isEmpty else { return nil }
        guard let value = Int64(text), value >= 0 else { throw HeraldError(.invalidParameter, "\(name) must be an integer ≥ 0") }
        return value
    }

    static func time(_ name: String, _ parameters: (String) -> String?) throws(HeraldError) -> Timestamp? {
        guard let text = parameters(name), !text.isEmpty else { return nil }
        guard let value = Timestamp(rfc3339: text) else {
            throw HeraldError(.invalidParameter, "\(name) must be an RFC 3339 time such as 2026-01-02T03:04:05Z")
        }
        return value
    }
}
