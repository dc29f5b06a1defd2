import HeraldCore
import Metrics
import Hummingbird

/// `POST /v1/events`: one event, a JSON array, or NDJSON; answered after the events are durable.
struct IngestController<Context: AccessRequestContext>: Sendable {
    let store: any EventStore
    let parser: EventParser
    let metrics: HeraldMetrics
    let rateLimiter: RateLimiter?

    func addRoutes(to group: RouterGroup<Context>) {
        group.post("events", use: ingest)
    }

    @Sendable func ingest(request: Request, context: Context) async throws -> Response {
        let start = ContinuousClock.now
        do {
            let response = try await ingest(request, access: context.access)
            metrics.ingestDuration.record(duration: ContinuousClock.now - start)
            return response
        } catch let error as HeraldError {
            metrics.ingestRejected(error.code)
            if error.code == .rateLimited { metrics.refusedByLimit("rate") }
            throw error
        }
    }

    private func ingest(_ request: Request, access: Access) async throws -> Response {
        try access.require(.publish)
        let format = try Self.format(of: request.headers[.contentType])
        let maxBytes = parser.limits.maxBodyBytes
        if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > maxBytes {
            throw HeraldError(.payloadTooLarge, "request body is larger than \(maxBytes) bytes")
        }
        var request = request
        let body = try await request.collectBody(upTo: maxBytes)
        var parser = self.parser
        parser.defaultProject = access.projects.defaultProject
        let drafts = try body.withUnsafeReadableBytes { raw in
            try parser.parse(raw.assumingMemoryBound(to: UInt8.self), format: format)
        }
        if let refused = drafts.firstIndex(where: { !access.projects.contains($0.project) }) {
            throw HeraldError(
                .forbidden,
                "event \(refused) is for project \(drafts[refused].project); this key may publish to \(access.projects.description) only"
            )
        }
        try rateLimiter?.admit(access.identity, cost: drafts.count)
        let commitStart = ContinuousClock.now
        let result: AppendResult
        do {
            result = try await store.append(AppendRequest(drafts: drafts))
        } catch {
            throw access.projects == .all ? error : Self.withoutOtherProjects(error)
        }
        metrics.commitDuration.record(duration: ContinuousClock.now - commitStart)
        metrics.eventsIngested.increment(by: result.accepted)
        return .json(result.json)
    }

    /// A conflict with another project's run or event, told to a caller scoped to some projects
    /// without naming that run's project or that event's run: what other projects hold stays hidden.
    static func withoutOtherProjects(_ error: HeraldError) -> HeraldError {
        let hidden: (String, String)
        switch error.code {
        case .projectConflict: hidden = ("the run belongs to another project", "project")
        case .idConflict: hidden = ("the event id is already used in another run", "id")
        default: return error
        }
        let index = error.details.first?.index
        return HeraldError(
            error.code, "\(index.map { "event \($0): " } ?? "")\(hidden.0)",
            details: [FieldError(index: index, field: hidden.1, code: "conflict", message: hidden.0)]
        )
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
