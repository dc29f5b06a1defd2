@testable import HeraldCore

/// Runs `body` with a reader over the UTF-8 bytes of `text`.
func withReader<T>(
    _ text: String,
    maxDepth: Int = 64,
    maxStringBytes: Int = 1 << 20,
    _ body: (inout JSONReader) throws -> T
) throws -> T {
    try withReader(bytes: Array(text.utf8), maxDepth: maxDepth, maxStringBytes: maxStringBytes, body)
}

/// Runs `body` with a reader over `bytes`.
func withReader<T>(
    bytes: [UInt8],
    maxDepth: Int = 64,
    maxStringBytes: Int = 1 << 20,
    _ body: (inout JSONReader) throws -> T
) throws -> T {
    try bytes.withUnsafeBufferPointer { buffer in
        var reader = JSONReader(buffer, maxDepth: maxDepth, maxStringBytes: maxStringBytes)
        return try body(&reader)
    }
}

/// Validates `bytes` as one whole JSON document and answers the kind of its value.
@discardableResult
func validateDocument(_ bytes: [UInt8], maxDepth: Int = 64, maxStringBytes: Int = 1 << 20) throws -> JSONReader.Kind {
    try withReader(bytes: bytes, maxDepth: maxDepth, maxStringBytes: maxStringBytes) { reader in
        let kind = try reader.skipValue()
        guard reader.isAtEnd else { throw JSONSyntaxError(offset: reader.offset, reason: "trailing data (test helper)") }
        return kind
    }
}

@discardableResult
func validateDocument(_ text: String, maxDepth: Int = 64, maxStringBytes: Int = 1 << 20) throws -> JSONReader.Kind {
    try validateDocument(Array(text.utf8), maxDepth: maxDepth, maxStringBytes: maxStringBytes)
}

/// The text of JSON bytes.
func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

/// Parses an ingest body given as text.
func parse(_ body: String, format: EventParser.BodyFormat = .json, limits: IngestLimits = IngestLimits()) throws(HeraldError) -> [EventDraft] {
    try EventParser(limits: limits).parse(Array(body.utf8), format: format)
}

/// The error an ingest body fails with, or nil when it is accepted.
func parseError(_ body: String, format: EventParser.BodyFormat = .json, limits: IngestLimits = IngestLimits()) -> HeraldError? {
    do {
        _ = try parse(body, format: format, limits: limits)
        return nil
    } catch {
        return error
    }
}

/// Valid ULIDs for tests (Crockford base32, first character ≤ 7).
enum Ids {
    static let a = "01ARZ3NDEKTSV4RRFFQ69G5FAV"
    static let b = "01HZZZZZZZZZZZZZZZZZZZZZZZ"
    static let c = "7ZZZZZZZZZZZZZZZZZZZZZZZZZ"
}

extension HeraldError {
    /// Each detail as `index:field:code` (`-` for a request-level problem), for compact comparisons.
    var problems: [String] {
        details.map { "\($0.index.map(String.init) ?? "-"):\($0.field):\($0.code)" }
    }
}
