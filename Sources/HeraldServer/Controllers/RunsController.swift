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
            run.write(to: &writer, subscribers: presence.count(run.run))
        }
        writer.raw("],\"nextCursor\":")
        if let next = page.nextCursor { writer.string(next) } else { writer.raw("null") }
        writer.raw("}")
        return .json(writer.bytes)
    }

    @Sendable func getRun(request: Request, context: Context) async throws -> Response {
        let name = try runName(context)
        guard let run = try await store.run(name), context.access.canRead(run.project), Self.isIn(run, request) else {
            throw HeraldError(.runNotFound, "run \(name) not found")
        }
        var writer = JSONWriter()
        run.write(to: &writer, subscribers: presence.count(run.run))
        return .json(writer.bytes)
    }

    @Sendable func listEvents(request: Request, context: Context) async throws -> Response {
        let query = request.uri.queryParameters
        let filter = try EventFilter { query.get($0) }
        let after = try Self.nonNegative("after", query.get("after"))
        let before = try Self.nonNegative("before", query.get("before"))
        let (run, limit) = (try await readableRun(request, context), try limit(query.get("limit")))
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
        return .json(page.json)
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

    private func runName(_ context: Context) throws(HeraldError) -> String {
        guard let name = context.parameters.get("run"), Names.isValidRun(name) else {
            throw HeraldError(.runNotFound, "run \(context.parameters.get("run") ?? "") not found")
        }
        return name
    }

    /// The run named in the path, after checking the caller may read it and that it is in the
    /// `?project=` named, if any: a run of another project answers 404 like a missing one. Free
    /// when the caller reaches every project and names none.
    private func readableRun(_ request: Request, _ context: Context) async throws(HeraldError) -> String {
        let name = try runName(context)
        if context.access.projects == .all, Self.project(request) == nil { return name }
        guard let run = try await store.run(name), context.access.canRead(run.project), Self.isIn(run, request) else {
            throw HeraldError(.runNotFound, "run \(name) not found")
        }
        return name
    }

    /// The `?project=` of a run route, if given.
    static func project(_ request: Request) -> String? {
        request.uri.queryParameters.get("project").flatMap { $0.isEmpty ? nil : $0 }
    }

    /// Whether `run` is in the project the request names (any, when it names none).
    static func isIn(_ run: Run, _ request: Request) -> Bool {
        project(request).map { $0 == run.project } ?? true
    }

    private func eventId(_ context: Context) throws(HeraldError) -> String {
        guard let id = context.parameters.get("id"), ULID.isValid(id) else {
            throw HeraldError(.eventNotFound, "event \(context.parameters.get("id") ?? "") not found: ids are ULIDs")
        }
        return id
    }

    /// 404 with the code that says which part is missing: the run, or the event in it.
    private func notFound(run: String, id: String) async throws -> HeraldError {
        try await store.run(run) == nil
            ? HeraldError(.runNotFound, "run \(run) not found") : HeraldError(.eventNotFound, "event \(id) not found in run \(run)")
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
