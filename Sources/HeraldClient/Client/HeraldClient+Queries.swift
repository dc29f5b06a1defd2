import HeraldCore

extension HeraldClient {
    /// One page of runs, most recently updated first.
    ///
    /// - Parameters:
    ///   - status: `.active` (queued or running), `.only(.failed)`, … or `.any`.
    ///   - project: only this project's runs.
    ///   - limit: page size (the server caps it); nil for the server's default.
    ///   - cursor: the ``RunList/nextCursor`` of the previous page.
    public func runs(
        status: RunQuery.StatusFilter = .any,
        project: String? = nil,
        limit: Int? = nil,
        cursor: String? = nil
    ) async throws -> RunList {
        var query: [(String, String)] = []
        switch status {
        case .any: break
        case .active: query.append(("status", "active"))
        case .only(let value): query.append(("status", value.rawValue))
        }
        if let project { query.append(("project", project)) }
        if let limit { query.append(("limit", String(limit))) }
        if let cursor { query.append(("cursor", cursor)) }
        return try decode(RunList.self, from: try await send(.GET, "/v1/runs", query: query))
    }

    /// One run.
    ///
    /// - Parameter project: the run's project (runs are named within their project); nil: the
    ///   configuration's, else the server finds the one run of that name the caller can read.
    /// - Throws: `HeraldError` `run_not_found` (404) when the run has no event, `ambiguous_run`
    ///   (400) when the caller reads several projects holding the name and none was named.
    public func run(_ run: String, project: String? = nil) async throws -> RunSummary {
        try decode(RunSummary.self, from: try await send(.GET, "/v1/runs/\(Self.percentEncoded(run))", query: projectQuery(project)))
    }

    /// One page of a run's events in seq order.
    ///
    /// - Parameters:
    ///   - run: the run.
    ///   - filter: types (with `agent.*` wildcards), agents, level, turn range, time range.
    ///   - after: only events with a larger seq (0: from the start).
    ///   - before: alone (`after` 0), read backward: the last `limit` events with a smaller seq
    ///     (still in seq order; `hasMore` says whether earlier ones match). With `after`, only
    ///     the events between the two.
    ///   - limit: page size (the server caps it); nil for the server's default.
    ///   - project: the run's project, as for ``run(_:project:)``.
    public func events(
        run: String, filter: EventFilter = EventFilter(), after: Int64 = 0, before: Int64? = nil, limit: Int? = nil, project: String? = nil
    ) async throws -> EventList {
        var query = filter.queryItems
        if after > 0 { query.append(("after", String(after))) }
        if let before { query.append(("before", String(before))) }
        if let limit { query.append(("limit", String(limit))) }
        return try EventList(json: try await send(.GET, "/v1/runs/\(Self.percentEncoded(run))/events", query: query + projectQuery(project)))
    }

    /// One event of a run by id.
    ///
    /// - Throws: `HeraldError` `run_not_found` or `event_not_found` (404).
    public func event(run: String, id: String, project: String? = nil) async throws -> EventRecord {
        try EventRecord(
            json: try await send(.GET, "/v1/runs/\(Self.percentEncoded(run))/events/\(Self.percentEncoded(id))", query: projectQuery(project))
        )
    }

    /// Every page of a run's events, fetched as the sequence is iterated (each page after the
    /// previous one's last seq), until the server says there are no more.
    ///
    /// ```swift
    /// for try await page in client.eventPages(run: "r1", pageSize: 1000) {
    ///     for event in page.events { print(event.seq) }
    /// }
    /// ```
    public func eventPages(
        run: String, filter: EventFilter = EventFilter(), after: Int64 = 0, pageSize: Int? = nil, project: String? = nil
    ) -> EventPages {
        EventPages(client: self, run: run, project: project, filter: filter, after: after, pageSize: pageSize)
    }

    /// Every run (following cursors), optionally narrowed by status and project.
    public func allRuns(status: RunQuery.StatusFilter = .any, project: String? = nil, pageSize: Int = 1000) async throws -> [RunSummary] {
        var runs: [RunSummary] = []
        var cursor: String?
        repeat {
            let page = try await self.runs(status: status, project: project, limit: pageSize, cursor: cursor)
            runs.append(contentsOf: page.runs)
            cursor = page.runs.isEmpty ? nil : page.nextCursor
        } while cursor != nil
        return runs
    }
}

extension HeraldClient {
    /// `?project=` for run routes: the project given, else the configuration's, if any.
    func projectQuery(_ project: String? = nil) -> [(String, String)] {
        (project ?? configuration.project).map { [("project", $0)] } ?? []
    }
}
