import HeraldCore
import Hummingbird

/// The body of `POST /v1/stream-tickets`, read strictly (as openapi.json's
/// `StreamTicketRequest` says): a JSON object naming `run` and/or `project`, and the filters to
/// bind: `types`, `agents` and `logs` as lists of strings, `level` as a string. Any other member
/// is refused, so a misspelt filter is not silently left unbound.
struct StreamTicketRequest: Sendable, Equatable {
    var run: String?
    var project: String?
    /// The bound filters, as the stream's query parameters (lists comma-separated).
    var filters: [String: String] = [:]

    private enum Member {
        case string(String)
        case strings([String])
        case other(JSONReader.Kind)
    }

    static func read(_ request: Request, maxBytes: Int) async throws(HeraldError) -> StreamTicketRequest {
        if let type = request.headers[.contentType], !type.lowercased().hasPrefix("application/json") {
            throw HeraldError(.unsupportedMediaType, "a ticket request is JSON (Content-Type: application/json), not \(type)")
        }
        if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > maxBytes {
            throw HeraldError(.payloadTooLarge, "a ticket request is at most \(maxBytes) bytes")
        }
        var request = request
        let body: [UInt8]
        do {
            var buffer = try await request.collectBody(upTo: maxBytes)
            body = buffer.readBytes(length: buffer.readableBytes) ?? []
        } catch {
            throw HeraldError(.payloadTooLarge, "a ticket request is at most \(maxBytes) bytes")
        }
        return try parse(body)
    }

    static func parse(_ body: [UInt8]) throws(HeraldError) -> StreamTicketRequest {
        var members: [(String, Member)] = []
        do throws(JSONSyntaxError) {
            try body.withUnsafeBufferPointer { (bytes) throws(JSONSyntaxError) in
                var reader = JSONReader(bytes, maxDepth: 4, maxStringBytes: 16 << 10)
                guard try reader.peekKind() == .object else { throw JSONSyntaxError(offset: reader.offset, reason: "expected a JSON object") }
                try reader.readObject { (reader, key) throws(JSONSyntaxError) in members.append((key, try member(&reader))) }
                guard reader.isAtEnd else { throw JSONSyntaxError(offset: reader.offset, reason: "unexpected data after the object") }
            }
        } catch {
            throw HeraldError(.invalidJSON, "the ticket request is not a JSON object: \(error)")
        }
        var result = StreamTicketRequest()
        for (name, value) in members {
            switch (name, value) {
            case ("run", .string(let text)):
                guard Names.isValidRun(text) else { throw invalid("run", "is not a run name (1–128 of A-Z a-z 0-9 . _ : -)") }
                result.run = text
            case ("project", .string(let text)):
                guard Names.isValidRun(text) else { throw invalid("project", "is not a project name (1–128 of A-Z a-z 0-9 . _ : -)") }
                result.project = text
            case ("level", .string(let text)):
                result.filters[name] = text
            case ("types", .strings(let items)):
                if let bad = items.first(where: { EventFilter.TypePattern($0) == nil }) {
                    throw HeraldError(.invalidParameter, "types: '\(bad)' is not a type name or a wildcard such as agent.*")
                }
                result.filters[name] = items.joined(separator: ",")
            case ("agents", .strings(let items)):
                guard items.allSatisfy(isAgentName) else {
                    throw invalid(name, "must be agent names (1 to 128 characters, no commas or control characters)")
                }
                result.filters[name] = items.joined(separator: ",")
            case ("logs", .strings(let items)):
                guard items.allSatisfy({ Names.isValidRun($0) || $0 == "all" || $0 == "*" }) else {
                    throw invalid(name, "must be run names, or \"all\"")
                }
                result.filters[name] = items.joined(separator: ",")
            case ("run", _), ("project", _), ("level", _):
                throw invalid(name, "must be a string")
            case ("types", _), ("agents", _), ("logs", _):
                throw invalid(name, "must be a list of strings")
            default:
                throw HeraldError(
                    .invalidRequest, "unknown member \(name): a ticket request names run, project, and filters to bind (types, agents, level, logs)"
                )
            }
        }
        result.filters = result.filters.filter { !$0.value.isEmpty }
        if result.run != nil, result.filters["logs"] != nil {
            throw invalid("logs", "applies to project streams: a run stream carries its run's log lines already")
        }
        // Refused now rather than when the stream is opened: the filter must be one the stream takes.
        _ = try EventFilter { result.filters[$0] }
        return result
    }

    private static func member(_ reader: inout JSONReader) throws(JSONSyntaxError) -> Member {
        switch try reader.peekKind() {
        case .string:
            return .string(try reader.readString())
        case .array:
            var items: [String] = []
            var mixed = false
            try reader.readArray(depth: 1) { (reader) throws(JSONSyntaxError) in
                if try reader.peekKind() == .string { items.append(try reader.readString()) } else {
                    mixed = true
                    try reader.skipValue(depth: 2)
                }
            }
            return mixed ? .other(.array) : .strings(items)
        case let kind:
            try reader.skipValue(depth: 1)
            return .other(kind)
        }
    }

    /// As openapi.json's `AgentName`: what a query's comma-separated `agents` can carry.
    private static func isAgentName(_ name: String) -> Bool {
        (1...128).contains(name.unicodeScalars.count)
            && name.unicodeScalars.allSatisfy { $0.value >= 0x20 && $0.value != 0x7F && $0 != "," }
    }

    private static func invalid(_ field: String, _ problem: String) -> HeraldError {
        HeraldError(.invalidRequest, "\(field) \(problem)", details: [FieldError(index: nil, field: field, code: "invalid_value", message: "\(field) \(problem)")])
    }
}
