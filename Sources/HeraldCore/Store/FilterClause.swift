/// The SQL condition for an ``EventFilter`` over an events table aliased `e`, with columns
/// `type`, `agent`, `level`, `turn` and `time` (microseconds). Both stores speak it; each
/// spells its own placeholders and binds ``values`` in order.
public struct FilterClause: Sendable {
    public enum Value: Sendable, Equatable {
        case text(String)
        case integer(Int64)
    }

    /// Starts with " AND " when not empty.
    public private(set) var sql = ""
    public private(set) var values: [Value] = []

    /// - Parameter placeholder: the placeholder for the value about to be bound, given how
    ///   many come before it in the clause (`?` for SQLite, `$n` for PostgreSQL).
    public init(_ filter: EventFilter, placeholder: (Int) -> String) {
        func bind(_ value: Value) -> String {
            let mark = placeholder(values.count)
            values.append(value)
            return mark
        }
        if !filter.types.isEmpty {
            var alternatives: [String] = []
            for pattern in filter.types {
                switch pattern {
                case .exact(let type):
                    alternatives.append("e.type = \(bind(.text(type)))")
                case .prefix(let namespace) where namespace.isEmpty:
                    alternatives.append("TRUE")
                case .prefix(let namespace):
                    // A range, so an index on (run, type) serves it: 'agent.' ≤ type < 'agent/'.
                    alternatives.append("(e.type >= \(bind(.text(namespace))) AND e.type < \(bind(.text(String(namespace.dropLast()) + "/"))))")
                }
            }
            sql += " AND (" + alternatives.joined(separator: " OR ") + ")"
        }
        if !filter.agents.isEmpty {
            sql += " AND e.agent IN (" + filter.agents.map { bind(.text($0)) }.joined(separator: ",") + ")"
        }
        if let level = filter.level {
            sql += " AND (e.level <= \(bind(.integer(Int64(level.rawValue)))) OR e.level = \(bind(.integer(Int64(Level.system.rawValue)))))"
        }
        if let turnFrom = filter.turnFrom {
            sql += " AND e.turn >= \(bind(.integer(turnFrom)))"
        }
        if let turnTo = filter.turnTo {
            sql += " AND e.turn <= \(bind(.integer(turnTo)))"
        }
        if let since = filter.since {
            sql += " AND e.time >= \(bind(.integer(since.microseconds)))"
        }
        if let until = filter.until {
            sql += " AND e.time < \(bind(.integer(until.microseconds)))"
        }
    }

    /// Whether the clause needs only the per-run facet counts (type, agent, level) to count.
    public static func countsFromFacets(_ filter: EventFilter) -> Bool {
        filter.turnFrom == nil && filter.turnTo == nil && filter.since == nil && filter.until == nil
    }
}
