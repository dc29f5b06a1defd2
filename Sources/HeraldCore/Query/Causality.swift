/// The causal neighbourhood of an event: what led to it and what it led to, transitively.
///
/// A walk is bounded in work and in size whatever the graph: at most ``maxDepthLimit`` links
/// each way, ``maxEvents`` events each way, ``maxBytes`` of events in all, ``maxLookups`` ids
/// looked up and ``maxDangling`` dangling ids listed. The store is read one level at a time
/// (one query per level and direction, plus a few for the dangling check), never one query per
/// event or per id. Whatever a cap cuts off, ``truncated`` says so.
public struct Causality: Sendable {
    public var event: Event
    /// Causes, nearest first (breadth-first), each once.
    public var upstream: [Event]
    /// Effects, nearest first (breadth-first), each once.
    public var downstream: [Event]
    /// Ids named in a `causedBy` that are not stored in this run.
    public var dangling: [String]
    /// True when a cap (depth, events, bytes, lookups, dangling ids) cut the walk or its lists short.
    public var truncated: Bool

    /// The links followed each way when a request names no depth.
    public static let defaultDepth = 64
    /// The most links followed each way, whatever a request asks.
    public static let maxDepthLimit = 1000
    /// The most events listed each way (upstream, downstream).
    public static let maxEvents = 1000
    /// The most bytes of events (``Event/pageBytes``) listed, both ways together: 2 MiB. With
    /// the event itself and one event past the budget, an answer stays within a few MB.
    public static let maxBytes = 2 << 20
    /// The most ids one walk looks up: causes followed upstream, and the other causes of the
    /// effects, checked for `dangling`.
    public static let maxLookups = 5000
    /// The most ids listed in `dangling`.
    public static let maxDangling = 1000
    /// Ids looked up in one query.
    static let lookupBatch = 1000

    /// Walks `causedBy` links both ways from `id`. Cycles are safe: each event is visited once.
    /// Nil when the run holds no event `id`.
    public static func trace(
        in store: some EventStore, run: RunRef, id: String, maxDepth: Int = defaultDepth, maxEvents: Int = maxEvents,
        maxBytes: Int = maxBytes
    ) async throws(HeraldError) -> Causality? {
        guard let root = try await store.event(run: run, id: id) else { return nil }
        var walk = Walk(maxDepth: min(maxDepth, maxDepthLimit), maxEvents: maxEvents, bytesLeft: maxBytes)
        let upstream = try await walk.upstream(from: root, in: store, run: run)
        let downstream = try await walk.downstream(from: root, in: store, run: run)
        try await walk.checkCauses(of: downstream, known: Set(upstream.map(\.id) + downstream.map(\.id) + [root.id]), in: store, run: run)
        return Causality(event: root, upstream: upstream, downstream: downstream, dangling: walk.dangling, truncated: walk.truncated)
    }
}

/// The state of one ``Causality`` walk: what its caps have left, what it found dangling, and
/// whether anything was cut.
private struct Walk {
    let maxDepth: Int
    let maxEvents: Int
    var bytesLeft: Int
    var lookupsLeft = Causality.maxLookups
    var dangling: [String] = []
    var truncated = false

    init(maxDepth: Int, maxEvents: Int, bytesLeft: Int) {
        self.maxDepth = maxDepth
        self.maxEvents = maxEvents
        self.bytesLeft = bytesLeft
    }

    /// Follows `causedBy` ids, a level at a time.
    mutating func upstream(from root: Event, in store: some EventStore, run: RunRef) async throws(HeraldError) -> [Event] {
        // Each walk has its own visited set: in a cycle an event is both a cause and an effect.
        var visited: Set<String> = [root.id]
        var found: [Event] = []
        var frontier = [root]
        var depth = 0
        while true {
            let room = depth == maxDepth || bytesLeft <= 0 ? 0 : min(maxEvents - found.count, lookupsLeft)
            var wanted: [String] = []
            collect: for event in frontier {
                for cause in event.causedBy where !visited.contains(cause) {
                    guard wanted.count < room else {
                        truncated = true
                        break collect
                    }
                    visited.insert(cause)
                    wanted.append(cause)
                }
            }
            if wanted.isEmpty { return found }
            lookupsLeft -= wanted.count
            let read = try await store.events(run: run, ids: wanted, maxBytes: bytesLeft)
            found += read.events
            bytesLeft -= read.events.reduce(0) { $0 + $1.pageBytes }
            if read.hasMore {
                // Some ids were not read: which of them are stored is unknown, so none is listed.
                truncated = true
                return found
            }
            let stored = Set(read.events.map(\.id))
            addDangling(wanted.filter { !stored.contains($0) })
            if truncated { return found }  // a level cut short is not followed further
            frontier = read.events
            depth += 1
        }
    }

    /// Follows the reverse links, a level at a time.
    mutating func downstream(from root: Event, in store: some EventStore, run: RunRef) async throws(HeraldError) -> [Event] {
        var visited: Set<String> = [root.id]
        var found: [Event] = []
        var frontier = [root]
        var depth = 0
        while true {
            let room = depth == maxDepth || bytesLeft <= 0 ? 0 : maxEvents - found.count
            // Effects already visited come back too (cycles): leave them room. With no room
            // left, one effect not yet visited is enough to tell that the walk is cut.
            let read = try await store.effects(
                run: run, of: frontier.map(\.id), limit: max(room, 1) + visited.count, maxBytes: max(bytesLeft, 1)
            )
            let next = read.events.filter { visited.insert($0.id).inserted }
            if next.isEmpty {
                if read.hasMore { truncated = true }
                return found
            }
            let kept = next.prefix(room)
            found += kept
            bytesLeft -= kept.reduce(0) { $0 + $1.pageBytes }
            if kept.count < next.count || read.hasMore {
                truncated = true
                return found
            }
            frontier = Array(kept)
            depth += 1
        }
    }

    /// Lists as dangling the causes of `events` that are neither `known` nor stored: the
    /// references anywhere in the chain, not only the root's.
    mutating func checkCauses(of events: [Event], known: Set<String>, in store: some EventStore, run: RunRef) async throws(HeraldError) {
        var checked = known.union(dangling)
        var wanted: [String] = []
        collect: for event in events {
            for cause in event.causedBy where !checked.contains(cause) {
                guard wanted.count < lookupsLeft else {
                    truncated = true
                    break collect
                }
                checked.insert(cause)
                wanted.append(cause)
            }
        }
        lookupsLeft -= wanted.count
        var start = 0
        while start < wanted.count, dangling.count < Causality.maxDangling {
            let batch = Array(wanted[start..<min(start + Causality.lookupBatch, wanted.count)])
            let stored = try await store.storedIds(run: run, among: batch)
            addDangling(batch.filter { !stored.contains($0) })
            start += batch.count
        }
        if start < wanted.count { truncated = true }
    }

    /// Adds to `dangling` up to ``Causality/maxDangling``; past it, the walk is truncated.
    private mutating func addDangling(_ ids: [String]) {
        let room = Causality.maxDangling - dangling.count
        if ids.count > room { truncated = true }
        dangling += ids.prefix(max(room, 0))
    }
}
