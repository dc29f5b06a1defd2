/// Durable storage of events and runs: the seam every backend (SQLite, PostgreSQL) implements
/// with the same semantics, checked by one shared test suite.
///
/// Rules every implementation keeps:
/// - `append` answers only after its events are durable; each ``AppendRequest`` is all-or-nothing.
/// - A run is named within its project (``RunRef``): the same name in two projects is two runs.
/// - Per run, `seq` is 1, 2, 3 … with no gap, in commit order; `position` increases store-wide,
///   `projectPosition` within the project.
/// - An event whose id is already stored in its project is not stored again: its original place
///   is answered. Ids are unique within a project, never across projects.
/// - Committed events are handed to the commit observer exactly once each, in position order.
public protocol EventStore: Sendable {
    /// Appends one request's events. Concurrent calls may share a transaction (group commit).
    func append(_ request: AppendRequest) async throws(HeraldError) -> AppendResult

    /// One run, or nil when it has no event.
    func run(_ run: RunRef) async throws(HeraldError) -> Run?

    /// The runs called `name` in the projects of `scope`, at most `limit` of them (in no
    /// particular order): what a caller means when it names a run without its project.
    func runs(named name: String, in scope: ProjectScope, limit: Int) async throws(HeraldError) -> [Run]

    /// Runs, most recently updated first, at most the query's `limit` and `maxBytes`
    /// (``PageBudget``); `nextCursor` leads to the rest.
    func runs(_ query: RunQuery) async throws(HeraldError) -> RunPage

    /// The projects that hold runs, most recently updated first, at most `limit` of them.
    func projects(limit: Int) async throws(HeraldError) -> [ProjectSummary]

    /// A run's events strictly between seq `after` and `before`, filtered, in seq order: the
    /// first ones of the range, or its last ones when `newestFirst` (reading backwards). The page
    /// stops at `limit` events, or before the event that would take it past `maxBytes`
    /// (``PageBudget``: at least one event). `hasMore` says whether more in the range match
    /// beyond the page, so a reader pages on exactly as after a full page.
    func events(
        run: RunRef, filter: EventFilter, after: Int64, before: Int64, newestFirst: Bool, limit: Int, maxBytes: Int
    ) async throws(HeraldError) -> EventPage

    /// Events of one project's runs in order after project position `afterPosition`
    /// (``Event/projectPosition``), filtered, at most `limit` and `maxBytes` of them
    /// (``PageBudget``); `hasMore` says whether more follow.
    func events(project: String, filter: EventFilter, afterPosition: Int64, limit: Int, maxBytes: Int) async throws(HeraldError) -> EventSlice

    /// One event of a run by id.
    func event(run: RunRef, id: String) async throws(HeraldError) -> Event?

    /// Events of `run` that name any of `ids` in their `causedBy`, each once, in seq order: the
    /// first ones, at most `limit` and `maxBytes` of them (``PageBudget``); `hasMore` says
    /// whether more exist.
    func effects(run: RunRef, of ids: [String], limit: Int, maxBytes: Int) async throws(HeraldError) -> EventSlice

    /// Events of `run` with the given ids (missing ids are simply absent), in seq order, at most
    /// `maxBytes` of them (``PageBudget``). When the budget cuts the read, which of the ids are
    /// answered is the store's choice, and `hasMore` is true.
    func events(run: RunRef, ids: [String], maxBytes: Int) async throws(HeraldError) -> EventSlice

    /// Which of `ids` name events stored in `run`: a check that reads no event body.
    func storedIds(run: RunRef, among ids: [String]) async throws(HeraldError) -> Set<String>

    /// The store-wide position of the last committed event (0 when empty): for operators only.
    func lastPosition() async throws(HeraldError) -> Int64

    /// The project position of the project's last committed event (0 when it has none).
    func lastPosition(project: String) async throws(HeraldError) -> Int64

    /// Deletes what `policy` no longer keeps, at most about `limit` events per call so that
    /// ingest is never held up for long; call again while the result is not complete. A run
    /// trimmed by `maxEventsPerRun` keeps its seq numbers: its ``Run/firstSeq`` moves up.
    func prune(_ policy: RetentionPolicy, now: Timestamp, limit: Int) async throws(HeraldError) -> PruneResult

    /// The store's size on disk, for operators.
    func storedBytes() async throws(HeraldError) -> Int64

    /// Registers who hears of committed events. Called once, before the first append.
    func observeCommits(_ observer: @escaping @Sendable ([Event]) -> Void)

    /// Does the store's background work (connections, notifications) until the task is
    /// cancelled. Stores without any answer at once.
    func run() async

    /// Flushes and closes.
    func close() async

    /// Why the last write failed (a full disk, …), until a write succeeds again; nil while the
    /// store writes. `/readyz` answers 503 with it.
    var writeFailure: String? { get }
}

extension EventStore {
    public func run() async {}

    public var writeFailure: String? { nil }

    /// A run's events in seq order after `afterSeq` (and before `beforeSeq`, when given),
    /// filtered, at most `limit` and `maxBytes` (``PageBudget``); `hasMore` says whether more in
    /// that range match.
    public func events(
        run: RunRef, filter: EventFilter, afterSeq: Int64, beforeSeq: Int64?, limit: Int, maxBytes: Int = PageBudget.defaultMaxBytes
    ) async throws(HeraldError) -> EventPage {
        try await events(run: run, filter: filter, after: afterSeq, before: beforeSeq ?? .max, newestFirst: false, limit: limit, maxBytes: maxBytes)
    }

    /// The last events of a run before `beforeSeq`, filtered, at most `limit` and `maxBytes`,
    /// in seq order; `hasMore` says whether earlier ones match too. Reading backwards: a log's
    /// latest lines, "load earlier".
    public func events(
        run: RunRef, filter: EventFilter, beforeSeq: Int64, limit: Int, maxBytes: Int = PageBudget.defaultMaxBytes
    ) async throws(HeraldError) -> EventPage {
        try await events(run: run, filter: filter, after: 0, before: beforeSeq, newestFirst: true, limit: limit, maxBytes: maxBytes)
    }

    /// Events of one project in project-position order after `afterPosition`, at most `limit`
    /// and the default byte budget.
    public func events(project: String, filter: EventFilter, afterPosition: Int64, limit: Int) async throws(HeraldError) -> EventSlice {
        try await events(project: project, filter: filter, afterPosition: afterPosition, limit: limit, maxBytes: PageBudget.defaultMaxBytes)
    }

    /// Runs the store's background work while `body` uses it, then closes it: for tools and
    /// tests that use a store without a server.
    public func whileRunning<T: Sendable>(_ body: (Self) async throws -> T) async throws -> T {
        let running = Task { await self.run() }
        let result: Result<T, any Error>
        do {
            result = .success(try await body(self))
        } catch {
            result = .failure(error)
        }
        running.cancel()
        await running.value
        await close()
        return try result.get()
    }

    /// A run's events in seq order after `afterSeq`, filtered, at most `limit` and `maxBytes`.
    public func events(
        run: RunRef, filter: EventFilter, afterSeq: Int64, limit: Int, maxBytes: Int = PageBudget.defaultMaxBytes
    ) async throws(HeraldError) -> EventPage {
        try await events(run: run, filter: filter, afterSeq: afterSeq, beforeSeq: nil, limit: limit, maxBytes: maxBytes)
    }
}

/// One ingest request: all of it is stored, or none (unless it is ``partial``).
public struct AppendRequest: Sendable {
    public var drafts: [EventDraft]
    /// The time used for events that carry none.
    public var receivedAt: Timestamp
    /// Whether each event that cannot be placed (its run finished, a conflicting id or seq) is
    /// refused alone, in ``AppendResult/rejected``, while the others are stored.
    public var partial: Bool

    public init(drafts: [EventDraft], receivedAt: Timestamp = .now(), partial: Bool = false) {
        self.drafts = drafts
        self.receivedAt = receivedAt
        self.partial = partial
    }
}

/// Where each event of a request was stored.
public struct AppendResult: Sendable {
    public struct Placement: Sendable, Equatable {
        public var id: String
        public var run: String
        public var seq: Int64
        /// True when the id was already stored (the place given is the original one).
        public var duplicate: Bool

        public init(id: String, run: String, seq: Int64, duplicate: Bool) {
            self.id = id
            self.run = run
            self.seq = seq
            self.duplicate = duplicate
        }
    }

    /// One event of a partial request that was refused, by its index in the request.
    public struct Rejection: Sendable, Equatable {
        public var index: Int
        public var error: HeraldError

        public init(index: Int, error: HeraldError) {
            self.index = index
            self.error = error
        }
    }

    /// In request order.
    public var placements: [Placement]
    /// For a partial request: the index in the request of each of ``placements``.
    public var indices: [Int]?
    /// For a partial request: the events refused, in request order.
    public var rejected: [Rejection]

    public init(placements: [Placement], indices: [Int]? = nil, rejected: [Rejection] = []) {
        self.placements = placements
        self.indices = indices
        self.rejected = rejected
    }

    public var accepted: Int { placements.count { !$0.duplicate } }
    public var duplicates: Int { placements.count { $0.duplicate } }
}

public struct RunQuery: Sendable {
    public enum StatusFilter: Sendable, Equatable {
        case any
        /// queued or running
        case active
        case only(RunStatus)
    }

    public var status: StatusFilter = .any
    public var project: String?
    /// Only runs that received their latest event before this (idle runs).
    public var receivedBefore: Timestamp?
    public var limit = 100
    /// The page's byte budget (``PageBudget``, ``Run/pageBytes``): a page stops before the run
    /// that would pass it, and `nextCursor` carries on from there.
    public var maxBytes = PageBudget.defaultMaxBytes
    /// Opaque cursor from a previous page.
    public var cursor: String?

    public init(
        status: StatusFilter = .any, project: String? = nil, receivedBefore: Timestamp? = nil, limit: Int = 100,
        maxBytes: Int = PageBudget.defaultMaxBytes, cursor: String? = nil
    ) {
        self.status = status
        self.project = project
        self.receivedBefore = receivedBefore
        self.limit = limit
        self.maxBytes = maxBytes
        self.cursor = cursor
    }
}

public struct RunPage: Sendable {
    public var runs: [Run]
    public var nextCursor: String?

    public init(runs: [Run], nextCursor: String?) {
        self.runs = runs
        self.nextCursor = nextCursor
    }
}

/// One page of a run's events.
public struct EventPage: Sendable {
    public var events: [Event]
    /// Events matching the filter in the whole run (ignoring paging).
    public var total: Int64
    public var hasMore: Bool

    public init(events: [Event], total: Int64, hasMore: Bool) {
        self.events = events
        self.total = total
        self.hasMore = hasMore
    }
}

/// Events a read answered, and whether it stopped before the end (at its count or byte limit).
public struct EventSlice: Sendable {
    public var events: [Event]
    public var hasMore: Bool

    public init(events: [Event], hasMore: Bool) {
        self.events = events
        self.hasMore = hasMore
    }
}
