import HeraldCore
import Hummingbird

/// Projects and runs and their events: the projects listing, runs listing, one run, filtered
/// event pages, one event, causality.
struct RunsController<Context: AccessRequestContext>: Sendable {
    let store: any EventStore
    let presence: any Presence
    let maxPageSize: Int
    /// The byte budget of a page of events or runs (``PageBudget``), and of a causality answer's
    /// events up to ``Causality/maxBytes``.
    let maxPageBytes: Int

    func addRoutes(to group: RouterGroup<Context>) {
        group.get("projects", use: listProjects)
        group.get("runs", use: listRuns)
        group.get("runs/{run}", use: getRun)
        group.get("runs/{run}/events", use: listEvents)
        group.get("projects/{project}/events", use: listProjectEvents)
        group.get("runs/{run}/events/{id}", use: getEvent)
        group.get("runs/{run}/events/{id}/causality", use: getCausality)
    }

    /// How many projects `GET /v1/projects` lists (the most recently updated).
    static var maxProjects: Int { 1000 }

    @Sendable func listProjects(request: Request, context: Context) async throws -> Response {
        let projects = try await store.projects(limit: Self.maxProjects).filter { context.access.canRead($0.project) }
        var writer = JSONWriter()
        writer.raw("{\"projects\":[")
        for (index, summary) in projects.enumerated() {
            if index > 0 { writer.raw(",") }
            summary.write(to: &writer)
        }
        writer.raw("]}")
        return .json(writer.bytes)
    }

    @Sendable func listRuns(request: Request, context: Context) async throws -> Response {
        let query = request.uri.queryParameters
        var runQuery = RunQuery(limit: try limit(query.get("limit")), maxBytes: maxPageBytes)
        if let status = query.get("status"), !status.isEmpty {
            if status == "active" {
                runQuery.status = .active
            } else if let value = RunStatus(rawValue: status) {
                runQuery.status = .only(value)
            } else {
                throw HeraldError(.invalidParameter, "status must be active, queued, running, completed, failed or cancelled")
            }
        }
        if let project = query.get("project"), !project.isEmpty {
            // Another project's runs do not exist for this caller.
            guard context.access.canRead(project) else { return .json(Array(#"{"runs":[],"nextCursor":null}"#.utf8)) }
            runQuery.project = project
        } else if case .only(let projects) = context.access.projects {
            guard projects.count == 1, let only = projects.first else {
                throw HeraldError(.invalidParameter, "this key covers several projects: name one with ?project=")
            }
            runQuery.project = only
        }
        if let cursor = query.get("cursor"), !cursor.isEmpty { runQuery.cursor = cursor }
        let page = try await store.runs(runQuery)
        var writer = JSONWriter()
        writer.raw("{\"runs\":[")
        for (index, run) in page.runs.enumerated() {
            if index > 0 { writer.raw(",") }
            run.write(to: &writer, subscribers: presence.count(run.ref))
        }
        writer.raw("],\"nextCursor\":")
        if let next = page.nextCursor { writer.string(next) } else { writer.raw("null") }
        writer.raw("}")
        return .json(writer.bytes)
    }

    @Sendable func getRun(request: Request, context: Context) async throws -> Response {
        let run = try await runs.run(context.parameters.get("run") ?? "", project: Self.project(request), access: context.access)
        var writer = JSONWriter()
        run.write(to: &writer, subscribers: presence.count(run.ref))
        return .json(writer.bytes)
    }

    @Sendable func listEvents(request: Request, context: Context) async throws -> Response {
        let run = try await readableRun(request, context)
        return .json(try await events(of: run, request).json)
    }

    /// `GET /v1/projects/{project}/events`: the project's own events (``RunRef/projectLevel(_:)``),
    /// paged and filtered like a run's. None yet is an empty page.
    @Sendable func listProjectEvents(request: Request, context: Context) async throws -> Response {
        guard let project = context.parameters.get("project"), Names.isValidRun(project), context.access.canRead(project) else {
            throw HeraldError(.notFound, "project \(context.parameters.get("project") ?? "") not found")
        }
        let page: EventPage
        do {
            page = try await events(of: .projectLevel(project), request)
        } catch {
            guard error.code == .runNotFound else { throw error }
            page = EventPage(events: [], total: 0, hasMore: false)
        }
        return .json(page.json)
    }

    /// A page of `run`'s events as the request's filter, `after`, `before` and `limit` say.
    private func events(of run: RunRef, _ request: Request) async throws(HeraldError) -> EventPage {
        let query = request.uri.queryParameters
        let filter = try EventFilter { query.get($0) }
        let after = try Self.nonNegative("after", query.get("after"))
        let before = try Self.nonNegative("before", query.get("before"))
        let limit = try limit(query.get("limit"))
        let page: EventPage
        if let before, after == nil {
            // Only `before`: the latest events before it (a log's newest lines, "load earlier").
            page = try await store.events(run: run, filter: filter, beforeSeq: before, limit: limit, maxBytes: maxPageBytes)
        } else {
            // Forward from `after`; with `before` too, only the events between the two.
            page = try await store.events(
                run: run, filter: filter, afterSeq: after ?? 0, beforeSeq: before, limit: limit, maxBytes: maxPageBytes
            )
        }
        return page
    }

    @Sendable func getEvent(request: Request, context: Context) async throws -> Response {
        let (run, id) = try await (readableRun(request, context), eventId(context))
        guard let event = try await store.event(run: run, id: id) else { throw try await notFound(run: run, id: id) }
        return .json(event.json)
    }

    @Sendable func getCausality(request: Request, context: Context) async throws -> Response {
        let (run, id) = try await (readableRun(request, context), eventId(context))
        let depth =
            try Self.nonNegative("maxDepth", request.uri.queryParameters.get("maxDepth")).map { Int(min($0, Int64(Causality.maxDepthLimit))) }
            ?? Causality.defaultDepth
        let maxBytes = min(maxPageBytes, Causality.maxBytes)
        guard let causality = try await Causality.trace(in: store, run: run, id: id, maxDepth: depth, maxBytes: maxBytes) else {
            throw try await notFound(run: run, id: id)
        }
        return .json(causality.json)
    }

    // MARK: Parameters

    private var runs: RunLookup { RunLookup(store: store) }

    /// The run named in the path (and `?project=`), among those the caller may read: a run of
    /// another project answers 404 like a missing one. No read when the project is known; a
    /// missing run is then told by the read that follows.
    private func readableRun(_ request: Request, _ context: Context) async throws(HeraldError) -> RunRef {
        let name = context.parameters.get("run") ?? ""
        guard let ref = try await runs.ref(name, project: Self.project(request), access: context.access) else {
            throw RunLookup.notFound(name)
        }
        return ref
    }

    /// The `?project=` of a run route, if given.
    static func project(_ request: Request) -> String? {
        request.uri.queryParameters.get("project").flatMap { $0.isEmpty ? nil : $0 }
    }

    private func eventId(_ context: Context) throws(HeraldError) -> String {
        guard let id = context.parameters.get("id"), ULID.isValid(id) else {
            throw HeraldError(.eventNotFound, "event \(context.parameters.get("id") ?? "") not found: ids are ULIDs")
        }
        return id
    }

    /// 404 with the code that says which part is missing: the run, or the event in it.
    private func notFound(run: RunRef, id: String) async throws -> HeraldError {
        try await store.run(run) == nil
            ? RunLookup.notFound(run.run) : HeraldError(.eventNotFound, "event \(id) not found in run \(run.run)")
    }

    private func limit(_ text: String?) throws(HeraldError) -> Int {
        guard let value = try Self.nonNegative("limit", text) else { return 100 }
        guard value >= 1 else { throw HeraldError(.invalidParameter, "limit must be between 1 and \(maxPageSize)") }
        return Int(min(value, Int64(maxPageSize)))
    }

    static func nonNegative(_ name: String, _ text: String?) throws(HeraldError) -> Int64? {
        guard let text, !text.isEmpty else { return nil }
        guard let value = Int64(text), value >= 0 else { throw HeraldError(.invalidParameter, "\(name) must be an integer ≥ 0") }
        return value
    }
}
