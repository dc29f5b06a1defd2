/// Turns an ingest request body (one object, an array, or NDJSON) into validated drafts.
///
/// Structural problems (malformed JSON) fail the request with `invalid_json` and a position;
/// field problems are collected over every event and fail it with `validation_failed` and
/// per-event, per-field details. The payload `data` is validated and copied, never decoded.
public struct EventParser: Sendable {
    public enum BodyFormat: Sendable {
        /// One JSON object or a JSON array of objects.
        case json
        /// One JSON object per line.
        case ndjson
    }

    public var limits: IngestLimits
    /// The project of events that name none: `default`, or the only project the caller's key covers.
    public var defaultProject = "default"
    /// Project-level events (`POST /v1/projects/{project}/events`): each goes to
    /// `defaultProject`'s own events, names no run, and is no `run.*` event.
    public var projectLevel = false
    /// When the request arrived, which an event's `time` may pass by at most
    /// ``IngestLimits/maxClockSkew``; nil: when parsing starts.
    public var receivedAt: Timestamp?

    public init(limits: IngestLimits = IngestLimits()) {
        self.limits = limits
    }

    /// Parses and validates a whole request body.
    public func parse(_ body: [UInt8], format: BodyFormat) throws(HeraldError) -> [EventDraft] {
        let result: Result<[EventDraft], HeraldError> = body.withUnsafeBufferPointer { buffer in
            do throws(HeraldError) {
                return .success(try parse(buffer, format: format))
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    /// Parses and validates a whole request body held in `buffer`.
    public func parse(_ buffer: UnsafeBufferPointer<UInt8>, format: BodyFormat) throws(HeraldError) -> [EventDraft] {
        let parsed = try parseEach(buffer, format: format)
        let problems = parsed.problems
        if !problems.isEmpty {
            let count = Set(problems.compactMap(\.index)).count
            let drafts = parsed.drafts
            throw HeraldError(
                .validationFailed,
                "\(count) of \(drafts.count + count) event\(drafts.count + count == 1 ? "" : "s") failed validation; nothing was stored",
                details: Array(problems.prefix(limits.maxReportedProblems))
            )
        }
        return parsed.drafts
    }

    /// Parses a whole request body for partial ingest: the valid events with their indices in
    /// the request, and the problems of each invalid one. Malformed JSON still fails the whole
    /// request, since no event after it can be told apart.
    public func parsePartial(_ buffer: UnsafeBufferPointer<UInt8>, format: BodyFormat) throws(HeraldError) -> PartialBatch {
        let parsed = try parseEach(buffer, format: format)
        return PartialBatch(drafts: parsed.drafts, indices: parsed.indices, problems: Dictionary(grouping: parsed.problems) { $0.index ?? 0 })
    }

    private func parseEach(
        _ buffer: UnsafeBufferPointer<UInt8>, format: BodyFormat
    ) throws(HeraldError) -> (drafts: [EventDraft], indices: [Int], problems: [FieldError]) {
        guard buffer.count <= limits.maxBodyBytes else {
            throw HeraldError(.payloadTooLarge, "request body is larger than \(limits.maxBodyBytes) bytes")
        }
        var drafts: [EventDraft] = []
        var indices: [Int] = []
        var problems: [FieldError] = []
        var reader = makeReader(buffer)
        let clock = ClockCheck(receivedAt: receivedAt ?? .now(), maxSkew: limits.maxClockSkew)
        do {
            switch format {
            case .json:
                switch reader.peek() {
                case UInt8(ascii: "["):
                    var index = 0
                    try reader.readArray { (element: inout JSONReader) throws(JSONSyntaxError) in
                        try parseOne(&element, index: index, clock: clock, into: &drafts, indices: &indices, problems: &problems)
                        index += 1
                    }
                    try checkCount(index)
                    if index == 0 { throw HeraldError(.invalidRequest, "the array holds no event") }
                case UInt8(ascii: "{"):
                    try parseOne(&reader, index: 0, clock: clock, into: &drafts, indices: &indices, problems: &problems)
                case nil:
                    throw HeraldError(.invalidRequest, "the request body is empty: send an event object, an array of them, or NDJSON")
                default:
                    throw JSONSyntaxError(offset: reader.offset, reason: "expected an event object or an array of events")
                }
                guard reader.isAtEnd else { throw JSONSyntaxError(offset: reader.offset, reason: "unexpected data after the JSON value") }
            case .ndjson:
                var index = 0
                while !reader.isAtEnd {
                    guard reader.peek() == UInt8(ascii: "{") else {
                        throw JSONSyntaxError(offset: reader.offset, reason: "expected an event object")
                    }
                    try parseOne(&reader, index: index, clock: clock, into: &drafts, indices: &indices, problems: &problems)
                    index += 1
                    try checkCount(index)
                    // Each object must end its line.
                    while reader.offset < buffer.count, buffer[reader.offset] == 0x20 || buffer[reader.offset] == 0x09 || buffer[reader.offset] == 0x0D {
                        reader.offset += 1
                    }
                    if reader.offset < buffer.count, buffer[reader.offset] != 0x0A {
                        throw JSONSyntaxError(offset: reader.offset, reason: "expected a newline after the event object")
                    }
                }
                if index == 0 {
                    throw HeraldError(.invalidRequest, "the request body is empty: send one event object per line")
                }
            }
        } catch let error as JSONSyntaxError {
            let located = error.located(in: buffer)
            throw HeraldError(.invalidJSON, "malformed JSON: \(located)", details: [
                FieldError(index: nil, field: "body", code: "syntax", message: located.description)
            ])
        } catch let error as HeraldError {
            throw error
        } catch {
            throw HeraldError(.invalidJSON, "malformed JSON")
        }
        return (drafts, indices, problems)
    }

    private func checkCount(_ count: Int) throws(HeraldError) {
        if count > limits.maxEventsPerRequest {
            throw HeraldError(.tooManyEvents, "a request may carry at most \(limits.maxEventsPerRequest) events")
        }
    }

    private func makeReader(_ buffer: UnsafeBufferPointer<UInt8>) -> JSONReader {
        JSONReader(buffer, maxDepth: limits.maxDepth, maxStringBytes: limits.maxStringBytes)
    }

    /// Parses one event object. Syntax errors throw; field errors are appended to `problems`.
    private func parseOne(
        _ reader: inout JSONReader,
        index: Int,
        clock: ClockCheck,
        into drafts: inout [EventDraft],
        indices: inout [Int],
        problems: inout [FieldError]
    ) throws(JSONSyntaxError) {
        var fields = RawEvent()
        var errors: [FieldError] = []
        func problem(_ field: String, _ code: String, _ message: String) {
            errors.append(FieldError(index: index, field: field, code: code, message: message))
        }
        guard reader.peek() == UInt8(ascii: "{") else {
            throw JSONSyntaxError(offset: reader.offset, reason: "expected an event object")
        }
        try reader.readObject { (value: inout JSONReader, key: String) throws(JSONSyntaxError) in
            if fields.markSeen(key) {
                problem(key, "duplicate_field", "the field appears more than once")
            }
            try fields.read(key: key, from: &value, limits: limits, problem: problem)
        }
        if let type = fields.type, AGUI.isAGUIType(type), projectLevel {
            problem("type", "not_allowed", "\(type) is an AG-UI event of a run: post it to /v1/events")
        } else if let type = fields.type, AGUI.isAGUIType(type) {
            fields.translateFromAGUI(reader.bytes, limits: limits, problem: problem)
            if let data = fields.data, let type = fields.type, Vocabulary.isBuiltin(type) {
                fields.dataView = try data.withUnsafeBufferPointer { buffer throws(JSONSyntaxError) in
                    var dataReader = JSONReader(buffer, maxDepth: limits.maxDepth, maxStringBytes: limits.maxStringBytes)
                    return try DataView(reading: &dataReader)
                }
            }
        } else {
            fields.takeTimestampAlias(reader.bytes, limits: limits, problem: problem)
            fields.reportExtras(problem: problem)
            if let type = fields.type, type.hasPrefix(AGUI.passthroughPrefix) {
                problem("type", "unknown_type", "\(AGUI.passthroughPrefix)* types are made from AG-UI events: post the AG-UI event itself")
            }
        }
        if let dataRange = fields.dataRange {
            if let type = fields.type, Vocabulary.isBuiltin(type) {
                var dataReader = JSONReader(
                    UnsafeBufferPointer(rebasing: reader.bytes[dataRange]), maxDepth: limits.maxDepth, maxStringBytes: limits.maxStringBytes
                )
                fields.dataView = try DataView(reading: &dataReader)
            }
            var writer = JSONWriter(capacity: dataRange.count)
            writer.compacted(UnsafeBufferPointer(rebasing: reader.bytes[dataRange]))
            fields.data = writer.bytes
        }
        if let time = fields.time, let problem = clock.problem(time, field: fields.timeField, index: index) {
            errors.append(problem)
        }
        if let draft = fields.draft(index: index, defaultProject: defaultProject, projectLevel: projectLevel, problem: problem) {
            Vocabulary.validate(draft, data: fields.dataView, index: index, problems: &errors)
            if errors.isEmpty {
                drafts.append(draft)
                indices.append(index)
            }
        }
        problems.append(contentsOf: errors)
    }
}

/// A request body parsed for partial ingest (``EventParser/parsePartial(_:format:)``).
public struct PartialBatch: Sendable {
    /// The valid events, in request order.
    public var drafts: [EventDraft]
    /// The index in the request of each of ``drafts``.
    public var indices: [Int]
    /// The problems of each refused event, by its index in the request.
    public var problems: [Int: [FieldError]]
}

/// Limits on what one ingest request may carry.
public struct IngestLimits: Sendable {
    public var maxBodyBytes = 4 << 20
    public var maxEventsPerRequest = 10_000
    public var maxDataBytes = 256 << 10
    public var maxDepth = 32
    public var maxStringBytes = 64 << 10
    public var maxCausedBy = 256
    public var maxReportedProblems = 100
    /// How far an event's `time` may be ahead of its arrival; past it the event is refused
    /// (`time_in_future`). Clocks differ by a little; an event dated years ahead (a broken clock,
    /// a unit mistake) would sort after everything sent later and outlive every `max-age` rule.
    public var maxClockSkew: Duration = .seconds(300)

    public init() {}
}
