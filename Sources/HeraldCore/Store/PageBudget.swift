/// Where a read of events stops: after `limit` events, or before the event that would take
/// the page past `maxBytes`. The first event is always taken, whatever its size, so a reader
/// always moves on.
///
/// Stores apply it while they step through rows, so a read never holds much more than
/// `maxBytes`, and the event it stops at tells that more are left:
///
/// ```swift
/// var budget = PageBudget(limit: 100, maxBytes: 4 << 20)
/// for row in rows {
///     guard budget.admit(Event.pageBytes(json: row.bodyCount)) else { hasMore = true; break }
///     events.append(decode(row))
/// }
/// ```
public struct PageBudget: Sendable {
    /// The default byte budget of a page: 4 MiB.
    public static let defaultMaxBytes = 4 << 20

    public let limit: Int
    public let maxBytes: Int
    /// Events admitted so far.
    public private(set) var count = 0
    /// Their bytes, as ``Event/pageBytes(json:)`` counts them.
    public private(set) var bytes = 0

    public init(limit: Int, maxBytes: Int = PageBudget.defaultMaxBytes) {
        self.limit = limit
        self.maxBytes = maxBytes
    }

    /// Whether one more event of `size` bytes fits; counts it when it does.
    public mutating func admit(_ size: Int) -> Bool {
        guard count < limit, count == 0 || bytes + size <= maxBytes else { return false }
        count += 1
        bytes += size
        return true
    }

    /// Bytes still free: what a read that shares this budget may take.
    public var remainingBytes: Int { max(maxBytes - bytes, 0) }
}

extension Event {
    /// What an event counts for against a page's byte budget: its stored JSON (which holds
    /// every field, `data` and `causedBy` included) plus a fixed allowance for the decoded fields.
    /// Cheap: a store knows the stored length before it copies the bytes.
    public static func pageBytes(json: Int) -> Int { json + 256 }

    /// ``pageBytes(json:)`` of this event.
    public var pageBytes: Int { Self.pageBytes(json: json.count) }
}

extension Run {
    /// What a run counts for against a page's byte budget: its names (the agents' list grows
    /// with the run) plus a fixed allowance for the rest.
    public var pageBytes: Int { agents.reduce(256 + (name?.utf8.count ?? 0)) { $0 + $1.utf8.count + 16 } }
}
