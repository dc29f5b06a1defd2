/// The causal neighbourhood of an event: what led to it and what it led to, transitively.
public struct Causality: Sendable {
    public var event: Event
    /// Causes, nearest first (breadth-first), each once.
    public var upstream: [Event]
    /// Effects, nearest first (breadth-first), each once.
    public var downstream: [Event]
    /// Ids named in a `causedBy` that are not stored in this run.
    public var dangling: [String]
    /// True when `maxDepth` or `maxEvents` cut the walk short.
    public var truncated: Bool

    /// Walks `causedBy` links both ways from `id`. Cycles are safe: each event is visited once.
    public static func trace(
        in store: some EventStore, run: String, id: String, maxDepth: Int = 64, maxEvents: Int = 1000
    ) async throws(HeraldError) -> Causality? {
        guard let root = try await store.event(run: run, id: id) else { return nil }
        // Each walk has its own visited set: in a cycle an event is both a cause and an effect.
        var visited: Set<String> = [root.id]
        var truncated = false
        var dangling: [String] = []

        // Upstream: follow causedBy ids.
        var upstream: [Event] = []
        var frontier = [root]
        var depth = 0
        while !frontier.isEmpty {
            let wanted = frontier.flatMap(\.causedBy).filter { visited.insert($0).inserted }
            if wanted.isEmpty { break }
            if depth == maxDepth || upstream.count + wanted.count > maxEvents {
                truncated = true
                break
            }
            let found = try await store.events(run: run, ids: wanted)
            let foundIds = Set(found.map(\.id))
            dangling.append(contentsOf: wanted.filter { !foundIds.contains($0) })
            upstream.append(contentsOf: found)
            frontier = found
            depth += 1
        }

        // Downstream: follow the reverse links.
        let upstreamIds = visited
        visited = [root.id]
        var downstream: [Event] = []
        frontier = [root]
        depth = 0
        while !frontier.isEmpty {
            var next: [Event] = []
            for event in frontier {
                for effect in try await store.effects(run: run, of: event.id) where visited.insert(effect.id).inserted {
                    next.append(effect)
                }
            }
            if next.isEmpty { break }
            if depth == maxDepth || downstream.count + next.count > maxEvents {
                truncated = true
                break
            }
            downstream.append(contentsOf: next)
            frontier = next
            depth += 1
        }
        // Dangling references anywhere in the chain, not only the root's.
        var checked = visited.union(upstreamIds).union(dangling)
        for event in downstream {
            for cause in event.causedBy where checked.insert(cause).inserted {
                if try await store.event(run: run, id: cause) == nil { dangling.append(cause) }
            }
        }
        return Causality(event: root, upstream: upstream, downstream: downstream, dangling: dangling, truncated: truncated)
    }
}
