import HeraldCore
import Hummingbird

/// `POST /v1/events`: one event, a JSON array, or NDJSON; answered after the events are durable.
struct IngestController<Context: RequestContext>: Sendable {
    let store: any EventStore
    let parser: EventParser

    func addRoutes(to group: RouterGroup<Context>) {
        group.post("events", use: ingest)
    }

    @Sendable func ingest(request: Request, context: Context) async throws -> Response {
        let format = try Self.format(of: request.headers[.contentType])
        let maxBytes = parser.limits.maxBodyBytes
        if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > maxBytes {
            throw HeraldError(.payloadTooLarge, "request body is larger than \(maxBytes) bytes")
        }
        var request = request
        let body = try await request.collectBody(upTo: maxBytes)
        let drafts = try body.withUnsafeReadableBytes { raw in
            try parser.parse(raw.assumingMemoryBound(to: UInt8.self), format: format)
        }
        let result = try await store.append(AppendRequest(drafts: drafts))
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
