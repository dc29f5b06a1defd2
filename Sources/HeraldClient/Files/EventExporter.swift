import HeraldCore

/// Writes runs' events as JSON lines, each the stored event exactly as the API answers it,
/// through a ``RotatingJSONLWriter``.
///
/// Runs are written one after another, each in seq order, so an ``EventImporter`` reading
/// the files back in order recreates every run with the same seqs.
///
/// ```swift
/// let writer = try RotatingJSONLWriter(directory: "backup", maxFileBytes: 500_000_000)
/// let summary = try await EventExporter(client: client).exportAll(to: writer)
/// try writer.close()
/// ```
public struct EventExporter: Sendable {
    /// What an export wrote.
    public struct Summary: Sendable, Equatable {
        /// Runs written.
        public var runs = 0
        /// Events (lines) written.
        public var events = 0

        /// Nothing written yet.
        public init() {}
    }

    /// The server exported from.
    public var client: HeraldClient
    /// Events per query page (the server caps it).
    public var pageSize = 1000

    /// An exporter reading from `client`'s server.
    public init(client: HeraldClient) {
        self.client = client
    }

    /// Writes every event of each of `runs`, run after run.
    ///
    /// - Parameter progress: called after each page with the totals so far.
    /// - Parameter project: the runs' project, when the credential reads several (nil: the client's).
    public func export(
        runs: [String], project: String? = nil, to writer: RotatingJSONLWriter, progress: (Summary) -> Void = { _ in }
    ) async throws -> Summary {
        try await export(runs.map { ($0, project) }, to: writer, progress: progress)
    }

    /// Writes every event of each run, named with its project.
    private func export(
        _ runs: [(run: String, project: String?)], to writer: RotatingJSONLWriter, progress: (Summary) -> Void
    ) async throws -> Summary {
        var summary = Summary()
        for (run, project) in runs {
            for try await page in client.eventPages(run: run, pageSize: pageSize, project: project) {
                for event in page.events { try writer.write(event.json) }
                summary.events += page.events.count
                progress(summary)
            }
            summary.runs += 1
        }
        try writer.flush()
        return summary
    }

    /// Writes every run (of `project`, if given), oldest first, so that an import recreates
    /// runs in the order they began.
    public func exportAll(
        project: String? = nil,
        to writer: RotatingJSONLWriter,
        progress: (Summary) -> Void = { _ in }
    ) async throws
        -> Summary
    {
        // Each run with its own project: two projects may hold runs of the same name.
        let runs = try await client.allRuns(project: project)
            .sorted { ($0.startedAt, $0.project, $0.run) < ($1.startedAt, $1.project, $1.run) }
            .map { (run: $0.run, project: Optional($0.project)) }
        return try await export(runs, to: writer, progress: progress)
    }
}
