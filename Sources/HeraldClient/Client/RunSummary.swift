import HeraldCore

/// One run as the server lists it: status, times, counts, agents and live subscribers.
public struct RunSummary: Sendable, Equatable, Decodable {
    /// The run's id.
    public var run: String
    public var project: String
    /// The `data.name` of the run's `run.queued` or `run.started` event, if any.
    public var name: String?
    /// Derived from its `run.*` events; `completed`, `failed` and `cancelled` are final.
    public var status: RunStatus
    /// Time of the first event.
    public var startedAt: Timestamp
    /// Time of the latest event.
    public var updatedAt: Timestamp
    /// Time of the terminal event, if the run has ended.
    public var finishedAt: Timestamp?
    /// Events stored in the run.
    public var eventCount: Int64
    /// The seq of the latest event: resume a query or stream after it.
    public var lastSeq: Int64
    /// Agents in order of first appearance.
    public var agents: [String]
    /// Live streams open on the run right now.
    public var subscribers: Int

    /// How long the run took, or has taken up to its latest event while it is still going.
    public var duration: Duration {
        .microseconds((finishedAt ?? updatedAt).microseconds - startedAt.microseconds)
    }

    /// Decodes the API's run object; RFC 3339 times become `Timestamp`s.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        run = try container.decode(String.self, forKey: .run)
        project = try container.decode(String.self, forKey: .project)
        name = try container.decodeIfPresent(String.self, forKey: .name)
        status = try container.decode(RunStatus.self, forKey: .status)
        startedAt = try container.decodeTimestamp(forKey: .startedAt)
        updatedAt = try container.decodeTimestamp(forKey: .updatedAt)
        finishedAt = try container.decodeTimestampIfPresent(forKey: .finishedAt)
        eventCount = try container.decode(Int64.self, forKey: .eventCount)
        lastSeq = try container.decode(Int64.self, forKey: .lastSeq)
        agents = try container.decodeIfPresent([String].self, forKey: .agents) ?? []
        subscribers = try container.decodeIfPresent(Int.self, forKey: .subscribers) ?? 0
    }

    private enum CodingKeys: String, CodingKey {
        case run, project, name, status, startedAt, updatedAt, finishedAt, eventCount, lastSeq, agents, subscribers
    }
}

/// One page of runs, most recently updated first.
public struct RunList: Sendable, Equatable, Decodable {
    /// The runs of this page.
    public var runs: [RunSummary]
    /// Pass to the next ``HeraldClient/runs(status:project:limit:cursor:)`` call; nil on the last page.
    public var nextCursor: String?
}

extension KeyedDecodingContainer {
    /// An RFC 3339 string as a `Timestamp`.
    func decodeTimestamp(forKey key: Key) throws -> Timestamp {
        let text = try decode(String.self, forKey: key)
        guard let value = Timestamp(rfc3339: text) else {
            throw DecodingError.dataCorruptedError(forKey: key, in: self, debugDescription: "not an RFC 3339 time: \(text)")
        }
        return value
    }

    /// An optional RFC 3339 string (absent or null means nil) as a `Timestamp`.
    func decodeTimestampIfPresent(forKey key: Key) throws -> Timestamp? {
        guard try decodeIfPresent(String.self, forKey: key) != nil else { return nil }
        return try decodeTimestamp(forKey: key)
    }
}
