import HeraldCore
import Hummingbird
import NIOCore

/// `POST /otlp/v1/traces`: OpenTelemetry traces in (OTLP/HTTP, protobuf or JSON, gzip or not),
/// Herald runs out (``SpanMapping``, docs/otlp.md), so `OTEL_EXPORTER_OTLP_ENDPOINT=http://host:7373/otlp`
/// needs nothing else.
///
/// Answered as the OTLP/HTTP spec says: 200 with an `ExportTraceServiceResponse` in the request's
/// encoding once the spans are durable, with `partial_success` counting the spans refused (a
/// finished run, a project the key may not publish to, an event the mapping could not make
/// valid); errors as a `google.rpc.Status`, 429 and 503 with `Retry-After`. A request is decoded
/// whole before anything is stored, each span is stored whole or refused whole, and a span sent
/// again is stored once (its events' ids come from its trace and span ids).
struct OTLPController<Context: AccessRequestContext>: Sendable {
    let store: any EventStore
    let parser: EventParser
    let metrics: HeraldMetrics
    let rateLimiter: RateLimiter?

    func addRoutes(to group: RouterGroup<Context>) {
        group.post("v1/traces", use: traces)
    }

    enum Encoding {
        case protobuf, json
    }

    @Sendable func traces(request: Request, context: Context) async throws -> Response {
        let start = ContinuousClock.now
        // Errors are answered in the encoding the exporter sent; JSON when it sent neither.
        let encoding = Self.encoding(of: request.headers[.contentType])
        do {
            let response = try await export(request, encoding: encoding, access: context.access)
            metrics.ingestDuration.record(duration: ContinuousClock.now - start)
            return response
        } catch let error as HeraldError {
            metrics.ingestRejected(error.code)
            if error.code == .rateLimited { metrics.refusedByLimit("rate") }
            return Self.status(error, encoding: encoding ?? .json)
        }
    }

    private func export(_ request: Request, encoding: Encoding?, access: Access) async throws -> Response {
        try access.require(.publish)
        guard let encoding else {
            throw HeraldError(
                .unsupportedMediaType,
                "send Content-Type: application/x-protobuf or application/json (OTLP/HTTP), not \(request.headers[.contentType] ?? "none")"
            )
        }
        let maxBytes = parser.limits.maxBodyBytes
        if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > maxBytes {
            throw HeraldError(.payloadTooLarge, "request body is larger than \(maxBytes) bytes")
        }
        var request = request
        var body = try await request.collectBody(upTo: maxBytes)
        switch (request.headers[.contentEncoding] ?? "identity").trimmingSpaces.lowercased() {
        case "", "identity": break
        case "gzip", "x-gzip", "deflate": body = ByteBuffer(bytes: try Gzip.inflate(body, maxBytes: Self.maxInflatedBytes(maxBytes)))
        case let other: throw HeraldError(.unsupportedMediaType, "Content-Encoding \(other) is not accepted: send gzip or none")
        }
        let spans = try body.withUnsafeReadableBytes { raw in
            let bytes = raw.assumingMemoryBound(to: UInt8.self)
            return switch encoding {
            case .protobuf: try OTLPTraces.decodeProtobuf(bytes, maxDepth: parser.limits.maxDepth)
            case .json: try OTLPTraces.decodeJSON(bytes, maxDepth: parser.limits.maxDepth + 10, maxStringBytes: Self.maxInflatedBytes(maxBytes))
            }
        }
        let outcome = try await store(spans, access: access)
        return Self.answer(rejected: outcome.rejected, message: outcome.message, encoding: encoding)
    }

    /// Maps, validates and stores the spans, a chunk of whole traces at a time (so a request's
    /// working memory is a chunk's, not the request's); answers how many were refused and why.
    /// When a chunk fails (429, 503), the chunks before it are stored: the exporter's retry makes
    /// them duplicates, stored once.
    private func store(_ spans: [OTLPSpan], access: Access) async throws -> (rejected: Int, message: String) {
        var refused = Refusals(spanCount: spans.count)
        for chunk in Self.chunks(of: spans, maxSpans: Self.spansPerChunk) {
            try await store(chunk.map { spans[$0] }, indices: chunk, access: access, refused: &refused)
        }
        return refused.summary
    }

    static var spansPerChunk: Int { 1024 }

    /// Indices of `spans` grouped by trace, in order of first appearance, and cut into chunks of
    /// whole traces of about `maxSpans` (a larger trace is a chunk of its own): a trace's root
    /// must be stored with its children, or they would find their run ended.
    static func chunks(of spans: [OTLPSpan], maxSpans: Int) -> [[Int]] {
        var traces: [[UInt8]: Int] = [:]
        var groups: [[Int]] = []
        for (index, span) in spans.enumerated() {
            if let group = traces[span.traceId] {
                groups[group].append(index)
            } else {
                traces[span.traceId] = groups.count
                groups.append([index])
            }
        }
        var chunks: [[Int]] = []
        for group in groups {
            if let last = chunks.last, last.count + group.count <= maxSpans {
                chunks[chunks.count - 1] += group
            } else {
                chunks.append(group)
            }
        }
        return chunks
    }

    /// One chunk: `spans` are the request's spans at `indices`.
    private func store(_ spans: [OTLPSpan], indices: [Int], access: Access, refused: inout Refusals) async throws {
        let mapping = SpanMapping(defaultProject: access.projects.defaultProject)
        var mapped = mapping.map(spans)
        // Back to the request's indices.
        mapped.spanOfEvent = mapped.spanOfEvent.map { $0.map { indices[$0] } }
        for (span, reason) in mapped.refused { refused.refuse(indices[span], reason) }

        // Through the same parser as /v1/events: every rule of the vocabulary and the limits applies.
        var parser = self.parser
        parser.receivedAt = .now()
        parser.limits.maxEventsPerRequest = max(1, mapped.events.count)
        parser.limits.maxBodyBytes = .max
        // The mapping bounds every text; written as JSON, a control character takes six bytes.
        parser.limits.maxStringBytes = max(parser.limits.maxStringBytes, 6 * mapping.maxTextBytes + 16)
        guard !mapped.events.isEmpty else { return }
        var writer = JSONWriter(capacity: 256 * mapped.events.count)
        do {
            try JSONValue.array(mapped.events).write(to: &writer)
        } catch {
            throw HeraldError(.internalError, "an OTLP span made unencodable JSON: \(error)")
        }
        let batch = try writer.bytes.withUnsafeBufferPointer { try parser.parsePartial($0, format: .json) }
        // A run's events stand or fall with its run.started; a span's with each other.
        var runRefused: [RunRef: String] = [:]
        for (index, problems) in batch.problems {
            let reason = problems.map { "\($0.field): \($0.message)" }.joined(separator: "; ")
            if let span = mapped.spanOfEvent[index] {
                refused.refuse(span, reason)
            } else if case .string(let run)? = mapped.events[index]["run"], case .string(let project)? = mapped.events[index]["project"] {
                runRefused[RunRef(project: project, run: run)] = reason
            }
        }
        var drafts: [EventDraft] = []
        var spanOfDraft: [Int?] = []
        for (draft, index) in zip(batch.drafts, batch.indices) {
            if let reason = runRefused[draft.runRef], let span = mapped.spanOfEvent[index] {
                refused.refuse(span, reason)
            } else if !access.projects.contains(draft.project), let span = mapped.spanOfEvent[index] {
                refused.refuse(span, "this key may publish to \(access.projects.description) only, not \(draft.project)")
            }
            drafts.append(draft)
            spanOfDraft.append(mapped.spanOfEvent[index])
        }
        // Drop every event of a refused span, and run.started of runs with no span left.
        var kept: [EventDraft] = []
        var keptSpans: [Int?] = []
        var liveRuns = Set<RunRef>()
        for (draft, span) in zip(drafts, spanOfDraft) where span.map({ !refused.isRefused($0) }) ?? false {
            liveRuns.insert(draft.runRef)
        }
        for (draft, span) in zip(drafts, spanOfDraft) {
            if let span, refused.isRefused(span) { continue }
            if span == nil, !liveRuns.contains(draft.runRef) { continue }
            kept.append(draft)
            keptSpans.append(span)
        }
        guard !kept.isEmpty else { return }
        try await rateLimiter?.admit(access.identity, cost: kept.count)
        let commitStart = ContinuousClock.now
        let result = try await store.append(AppendRequest(drafts: kept, receivedAt: parser.receivedAt ?? .now(), partial: true))
        metrics.commitDuration.record(duration: ContinuousClock.now - commitStart)
        metrics.eventsIngested.increment(by: result.accepted)
        for rejection in result.rejected {
            if let span = keptSpans[rejection.index] { refused.refuse(span, rejection.error.message) }
        }
    }

    /// Refused spans and the first few reasons, for `partial_success`.
    struct Refusals {
        private var refused: [Bool]
        private var reasons: [String] = []
        private var count = 0

        init(spanCount: Int) { refused = Array(repeating: false, count: spanCount) }

        func isRefused(_ span: Int) -> Bool { refused[span] }

        mutating func refuse(_ span: Int, _ reason: String) {
            guard !refused[span] else { return }
            refused[span] = true
            count += 1
            if reasons.count < 5, !reasons.contains(reason) { reasons.append(reason) }
        }

        var summary: (rejected: Int, message: String) {
            (count, count == 0 ? "" : "\(count) span\(count == 1 ? "" : "s") refused: \(reasons.joined(separator: " | "))")
        }
    }

    /// The inflated size allowed for a gzip body: four times the body limit (16 MiB by default),
    /// since spans compress well and a batch of 512 carries each model call's messages.
    static func maxInflatedBytes(_ maxBodyBytes: Int) -> Int { maxBodyBytes.multipliedReportingOverflow(by: 4).overflow ? .max : maxBodyBytes * 4 }

    static func encoding(of contentType: String?) -> Encoding? {
        let mediaType = (contentType?.split(separator: ";").first ?? "").trimmingSpaces.lowercased()
        switch mediaType {
        case "application/x-protobuf", "application/protobuf": return .protobuf
        case "application/json": return .json
        default: return nil
        }
    }

    // MARK: Answers

    /// `ExportTraceServiceResponse { ExportTracePartialSuccess partial_success = 1; }` with
    /// `ExportTracePartialSuccess { int64 rejected_spans = 1; string error_message = 2; }`.
    static func answer(rejected: Int, message: String, encoding: Encoding) -> Response {
        switch encoding {
        case .protobuf:
            var writer = ProtobufWriter()
            if rejected > 0 {
                writer.messageField(1) { partial in
                    partial.varintField(1, UInt64(rejected))
                    partial.stringField(2, message)
                }
            }
            return Response(
                status: .ok, headers: [.contentType: "application/x-protobuf"], body: .init(byteBuffer: ByteBuffer(bytes: writer.bytes))
            )
        case .json:
            var writer = JSONWriter()
            writer.raw("{")
            if rejected > 0 {
                writer.raw("\"partialSuccess\":{\"rejectedSpans\":")
                writer.string(String(rejected))  // an int64, which protobuf's JSON mapping writes as a string
                writer.raw(",\"errorMessage\":")
                writer.string(message)
                writer.raw("}")
            }
            writer.raw("}")
            return .json(writer.bytes)
        }
    }

    /// An error as OTLP/HTTP says: a `google.rpc.Status { int32 code = 1; string message = 2; }`
    /// in the request's encoding, with Herald's own error beside it in JSON.
    static func status(_ error: HeraldError, encoding: Encoding) -> Response {
        var headers: HTTPFields = [:]
        if let retryAfter = error.retryAfter { headers[.retryAfter] = String(retryAfter) }
        let code = grpcCode(httpStatus: error.code.status)
        let body: [UInt8]
        switch encoding {
        case .protobuf:
            headers[.contentType] = "application/x-protobuf"
            var writer = ProtobufWriter()
            writer.varintField(1, UInt64(code))
            writer.stringField(2, error.description)
            body = writer.bytes
        case .json:
            headers[.contentType] = "application/json"
            var writer = JSONWriter()
            writer.raw("{\"code\":")
            writer.integer(code)
            writer.raw(",\"message\":")
            writer.string(error.description)
            writer.raw(",")
            writer.raw(error.json.dropFirst())  // {"error": {…}} without its opening brace
            body = writer.bytes
        }
        return Response(status: .init(code: error.code.status), headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }

    /// The gRPC status code OTLP pairs with an HTTP status.
    static func grpcCode(httpStatus: Int) -> Int {
        switch httpStatus {
        case 401: 16  // UNAUTHENTICATED
        case 403: 7  // PERMISSION_DENIED
        case 404: 5  // NOT_FOUND
        case 413, 429: 8  // RESOURCE_EXHAUSTED
        case 503: 14  // UNAVAILABLE
        case 500...: 13  // INTERNAL
        default: 3  // INVALID_ARGUMENT
        }
    }
}
