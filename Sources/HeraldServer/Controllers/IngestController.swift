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
        let result = try await store.append(AppendRequest(drafts: drafts))
        metrics.commitDuration.record(duration: ContinuousClock.now - commitStart)
        metrics.eventsIngested.increment(by: result.accepted)
        return .json(result.json)
    }

    /// JSON unless the content type says NDJSON; no content type is read as JSON.
    static func format(of contentType: String?) throws(HeraldError) -> EventParser.BodyFormat {
        guard let contentType else { return .json }
        let mediaType = (contentType.split(separator: ";").first ?? "").trimmingSpaces.lowercased()
        switch mediaType {
        case "application/json", "text/json", "": return .json
        case "application/x-ndjson", "application/ndjson", "application/jsonl", "application/x-jsonlines", "application/jsonlines":
            return .ndjson
        default:
            throw HeraldError(
                .unsupportedMediaType, "content type \(mediaType) is not accepted: send application/json or application/x-ndjson"
            )
        }
    }
}
