import HeraldCore

/// One page of a run's events, in seq order.
public struct EventList: Sendable, Equatable {
    /// In seq order.
    public var events: [EventRecord]
    /// Events matching the filter in the whole run, ignoring paging.
    public var total: Int64
    /// Whether events after the last one of this page match too.
    public var hasMore: Bool

    /// A page with these events and counts.
    public init(events: [EventRecord], total: Int64, hasMore: Bool) {
        self.events = events
        self.total = total
        self.hasMore = hasMore
    }

    /// Decodes `{"events": [<event>, …], "total": 40, "hasMore": true}`, keeping each event's bytes.
    public init(json: [UInt8]) throws(HeraldError) {
        let result: Result<EventList, HeraldError> = json.withUnsafeBufferPointer { buffer in
            var reader = JSONReader(buffer, maxDepth: .max, maxStringBytes: .max)
            var events: [EventRecord] = []
            var total: Int64?
            var hasMore: Bool?
            var complete = true
            do throws(JSONSyntaxError) {
                try reader.readObject { (value: inout JSONReader, key: String) throws(JSONSyntaxError) in
                    switch key {
                    case "events":
                        try value.readArray { (element: inout JSONReader) throws(JSONSyntaxError) in
                            if let event = try EventRecord.read(from: &element) { events.append(event) } else { complete = false }
                        }
                    case "total": total = try value.readInteger()
                    case "hasMore": hasMore = try value.readBool()
                    default: try value.skipValue()
                    }
                }
            } catch {
                return .failure(HeraldError(.invalidResponse, "malformed events answer: \(error)"))
            }
            guard complete else { return .failure(EventRecord.incomplete) }
            guard let total, let hasMore else { return .failure(HeraldError(.invalidResponse, "the events answer lacks total or hasMore")) }
            return .success(EventList(events: events, total: total, hasMore: hasMore))
        }
        self = try result.get()
    }
}
