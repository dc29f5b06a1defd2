import HeraldCore

extension EventFilter.TypePattern {
    /// The pattern as the API writes it: `agent.log`, `agent.*`, or `*`.
    public var text: String {
        switch self {
        case .exact(let name): name
        case .prefix(let namespace): namespace + "*"
        }
    }
}

extension EventFilter {
    /// The filter as URL query parameters, the inverse of ``EventFilter/init(parameters:)``:
    /// `types`, `agents` (comma-separated), `level`, `turnFrom`, `turnTo`, `since`, `until`.
    public var queryItems: [(String, String)] {
        var items: [(String, String)] = []
        if !types.isEmpty { items.append(("types", types.map(\.text).joined(separator: ","))) }
        if !agents.isEmpty { items.append(("agents", agents.joined(separator: ","))) }
        if let level { items.append(("level", level.name)) }
        if let turnFrom { items.append(("turnFrom", String(turnFrom))) }
        if let turnTo { items.append(("turnTo", String(turnTo))) }
        if let since { items.append(("since", since.rfc3339)) }
        if let until { items.append(("until", until.rfc3339)) }
        return items
    }
}
