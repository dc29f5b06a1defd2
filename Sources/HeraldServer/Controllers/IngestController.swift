import HeraldCore
import Metrics
import Hummingbird

/// `POST /v1/events`: one event, a JSON array, or NDJSON; answered after the events are durable.
/// `POST /v1/projects/{project}/events`: the same for a project's own events, that belong to no
/// run (``RunRef/projectLevel(_:)``).
struct IngestController<Context: AccessRequestContext>: Sendable {
    let store: any EventStore
    let parser: EventParser
    let metrics: HeraldMetrics
    let rateLimiter: RateLimiter?

    func addRoutes(to group: RouterGroup<Context>) {
        group.post("events", use: ingest)
        group.post("projects/{project}/events", use: ingest)
    }

    @Sendable func ingest(request: Request, context: Context) async throws -> Response {
        let start = ContinuousClock.now
        do {
            let response = try await ingest(request, projectLevel: context.parameters.get("project"), access: context.access)
            metrics.ingestDuration.record(duration: ContinuousClock.now - start)
            return response
        } catch let error as HeraldError {
            metrics.ingestRejected(error.code)
            if error.code == .rateLimited { metrics.refusedByLimit("rate") }
            throw error
        }
    }

    /// - Parameter projectLevel: the project of `POST /v1/projects/{project}/events`.
    private func ingest(_ request: Request, projectLevel: String?, access: Access) async throws -> Response {
        try access.require(.publish)
        if let projectLevel, !Names.isValidRun(projectLevel) {
            throw HeraldError(.notFound, "project \(projectLevel) not found: project names match [A-Za-z0-9._:-]{1,128}")
        }
        let format = try Self.format(of: request.headers[.contentType])
        let maxBytes = parser.limits.maxBodyBytes
        if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > maxBytes {
            throw HeraldError(.payloadTooLarge, "request body is larger than \(maxBytes) bytes")
        }
        var request = request
        let body = try await request.collectBody(upTo: maxBytes)
        var parser = self.parser
        parser.defaultProject = projectLevel ?? access.projects.defaultProject
        parser.projectLevel = projectLevel != nil
        // One instant for the request: events without a time get it, and no event's time may pass it
        // by more than --max-clock-skew.
        parser.receivedAt = .now()
        if try Self.isPartial(request.uri.queryParameters.get("partial")) {
            return try await ingestPartial(body, parser: parser, format: format, access: access)
        }
        let drafts = try body.withUnsafeReadableBytes { raw in
            try parser.parse(raw.assumingMemoryBound(to: UInt8.self), format: format)
        }
        if let refused = drafts.firstIndex(where: { !access.projects.contains($0.project) }) {
            throw HeraldError(
                .forbidden,
                "event \(refused) is for project \(drafts[refused].project); this key may publish to \(access.projects.description) only"
            )
        }
        try await rateLimiter?.admit(access.identity, cost: drafts.count)
        let commitStart = ContinuousClock.now
        // Conflicts are only ever with the caller's own projects' runs and ids: they name them.
        let result = try await store.append(AppendRequest(drafts: drafts, receivedAt: parser.receivedAt ?? .now()))
        metrics.commitDuration.record(duration: ContinuousClock.now - commitStart)
        metrics.eventsIngested.increment(by: result.accepted)
        return .json(result.json)
    }

    /// `?partial=true`: the valid events are stored, each refused one is named by its index in
    /// `rejected` (validation, a project the key may not publish to, a finished run, an id or
    /// seq conflict). Still answered only after the stored events are durable.
    private func ingestPartial(_ body: ByteBuffer, parser: EventParser, format: EventParser.BodyFormat, access: Access) async throws -> Response {
        let batch = try body.withUnsafeReadableBytes { raw in
            try parser.parsePartial(raw.assumingMemoryBound(to: UInt8.self), format: format)
        }
        var rejected = batch.problems.map { index, problems in
            AppendResult.Rejection(
                index: index,
                error: HeraldError(
                    .validationFailed, problems.map { "\($0.field): \($0.message)" }.joined(separator: "; "),
                    details: Array(problems.prefix(parser.limits.maxReportedProblems))
                )
            )
        }
        var drafts: [EventDraft] = []
        var indices: [Int] = []
        for (draft, index) in zip(batch.drafts, batch.indices) {
            guard access.projects.contains(draft.project) else {
                rejected.append(AppendResult.Rejection(index: index, error: HeraldError(
                    .forbidden, "event \(index) is for project \(draft.project); this key may publish to \(access.projects.description) only",
                    details: [FieldError(index: index, field: "project", code: "forbidden", message: "this key may not publish to \(draft.project)")]
                )))
                continue
            }
            drafts.append(draft)
            indices.append(index)
        }
        var result = AppendResult(placements: [], indices: [], rejected: [])
        if !drafts.isEmpty {
            try await rateLimiter?.admit(access.identity, cost: drafts.count)
            let commitStart = ContinuousClock.now
            let stored = try await store.append(AppendRequest(drafts: drafts, receivedAt: parser.receivedAt ?? .now(), partial: true))
            metrics.commitDuration.record(duration: ContinuousClock.now - commitStart)
            metrics.eventsIngested.increment(by: stored.accepted)
            // Back from positions among the valid events to indices in the request.
            result.placements = stored.placements
            result.indices = (stored.indices ?? []).map { indices[$0] }
            for rejection in stored.rejected {
                var error = rejection.error  // about the caller's own project: told in full
                let index = indices[rejection.index]
                error.details = error.details.map { detail in
                    var detail = detail
                    detail.index = detail.index.map { _ in index }
                    return detail
                }
                rejected.append(AppendResult.Rejection(index: index, error: error))
            }
        }
        result.rejected = rejected.sorted { $0.index < $1.index }
        return .json(result.json)
    }

    /// The `partial` query parameter: absent or false means all-or-nothing.
    static func isPartial(_ text: String?) throws(HeraldError) -> Bool {
        switch text ?? "" {
        case "", "false", "0": return false
        case "true", "1": return true
        default: throw HeraldError(.invalidParameter, "partial must be true or false")
        }
    }

    /// JSON or NDJSON, as the content type says. A body without one is refused: a browser sends
    /// none for a cross-site `fetch` of a plain blob, which needs no preflight, so reading such
    /// a body would let any web page publish to a Herald running without authentication.
    static func format(of contentType: String?) throws(HeraldError) -> EventParser.BodyFormat {
        guard let contentType, !contentType.trimmingSpaces.isEmpty else {
            throw HeraldError(.unsupportedMediaType, "send Content-Type: application/json (an event or an array) or application/x-ndjson")
        }
        let mediaType = (contentType.split(separator: ";").first ?? "").trimmingSpaces.lowercased()
        switch mediaType {
        case "application/json", "text/json": return .json
        case "application/x-ndjson", "application/ndjson", "application/jsonl", "application/x-jsonlines", "application/jsonlines":
            return .ndjson
        default:
            throw HeraldError(
                .unsupportedMediaType, "content type \(mediaType) is not accepted: send application/json or application/x-ndjson"
            )
        }
    }
}
