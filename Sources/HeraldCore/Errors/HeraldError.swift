/// The one error type of Herald's API: a machine-readable code, a message for people, and
/// optional per-field details. The server maps it to HTTP in one place.
public struct HeraldError: Error, Sendable, Equatable, CustomStringConvertible {
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public var rawValue: String
        /// The HTTP status this code is answered with.
        public var status: Int

        public init(rawValue: String) {
            self.init(rawValue, status: 400)
        }

        public init(_ rawValue: String, status: Int) {
            self.rawValue = rawValue
            self.status = status
        }

        public var description: String { rawValue }

        public static let invalidJSON = Code("invalid_json", status: 400)
        /// An OTLP protobuf body that does not decode.
        public static let invalidProtobuf = Code("invalid_protobuf", status: 400)
        public static let invalidRequest = Code("invalid_request", status: 400)
        public static let invalidParameter = Code("invalid_parameter", status: 400)
        /// A run named without its project, when the caller can read runs of that name in several.
        public static let ambiguousRun = Code("ambiguous_run", status: 400)
        public static let unauthorized = Code("unauthorized", status: 401)
        public static let invalidToken = Code("invalid_token", status: 401)
        /// A stream ticket that is malformed, altered, expired, revoked, or presented anywhere but
        /// on the stream it names.
        public static let invalidTicket = Code("invalid_ticket", status: 401)
        public static let forbidden = Code("forbidden", status: 403)
        public static let notFound = Code("not_found", status: 404)
        public static let runNotFound = Code("run_not_found", status: 404)
        public static let eventNotFound = Code("event_not_found", status: 404)
        public static let methodNotAllowed = Code("method_not_allowed", status: 405)
        public static let requestTimeout = Code("request_timeout", status: 408)
        public static let runFinished = Code("run_finished", status: 409)
        public static let seqConflict = Code("seq_conflict", status: 409)
        public static let idConflict = Code("id_conflict", status: 409)
        public static let payloadTooLarge = Code("payload_too_large", status: 413)
        public static let tooManyEvents = Code("too_many_events", status: 413)
        public static let unsupportedMediaType = Code("unsupported_media_type", status: 415)
        public static let headersTooLarge = Code("headers_too_large", status: 431)
        public static let validationFailed = Code("validation_failed", status: 422)
        public static let tooManyConnections = Code("too_many_connections", status: 429)
        public static let rateLimited = Code("rate_limited", status: 429)
        public static let tooManyQueries = Code("too_many_queries", status: 429)
        /// The client went away before its request was read or answered (never sent; logged at debug).
        public static let clientClosed = Code("client_closed", status: 499)
        public static let unavailable = Code("unavailable", status: 503)
        public static let internalError = Code("internal_error", status: 500)
    }

    public var code: Code
    public var message: String
    public var details: [FieldError]
    /// Seconds after which a refused request (429, 503) may be tried again: `Retry-After`.
    public var retryAfter: Int?

    public init(_ code: Code, _ message: String, details: [FieldError] = [], retryAfter: Int? = nil) {
        self.code = code
        self.message = message
        self.details = details
        self.retryAfter = retryAfter
    }

    public var description: String { "\(code.rawValue): \(message)" }

    /// `{"error": {"code": …, "message": …, "details": […]}}`
    public var json: [UInt8] {
        var writer = JSONWriter()
        writer.raw("{\"error\":{")
        writeMembers(to: &writer, emptyDetails: false)
        writer.raw("}}")
        return writer.bytes
    }

    /// `"code": …, "message": …, "details": […]` (without braces); `details` left out when empty
    /// unless `emptyDetails`.
    func writeMembers(to writer: inout JSONWriter, emptyDetails: Bool) {
        writer.key("code")
        writer.string(code.rawValue)
        writer.raw(",")
        writer.key("message")
        writer.string(message)
        if !details.isEmpty || emptyDetails {
            writer.raw(",")
            writer.key("details")
            writer.raw("[")
            for (index, detail) in details.enumerated() {
                if index > 0 { writer.raw(",") }
                detail.write(to: &writer)
            }
            writer.raw("]")
        }
    }
}

/// One problem with one field of one event in a request.
public struct FieldError: Sendable, Equatable, CustomStringConvertible {
    /// Index of the event in the request (0-based), or nil for request-level problems.
    public var index: Int?
    /// Dotted path of the field, e.g. `data.decisionType`.
    public var field: String
    /// Machine-readable reason: `required`, `invalid_type`, `invalid_value`, `unknown_field`, `too_long`, `unknown_type`, ….
    public var code: String
    public var message: String

    public init(index: Int?, field: String, code: String, message: String) {
        self.index = index
        self.field = field
        self.code = code
        self.message = message
    }

    public var description: String { "\(index.map { "event \($0): " } ?? "")\(field): \(message)" }

    func write(to writer: inout JSONWriter) {
        writer.raw("{")
        if let index {
            writer.key("index")
            writer.integer(index)
            writer.raw(",")
        }
        writer.key("field")
        writer.string(field)
        writer.raw(",")
        writer.key("code")
        writer.string(code)
        writer.raw(",")
        writer.key("message")
        writer.string(message)
        writer.raw("}")
    }
}
