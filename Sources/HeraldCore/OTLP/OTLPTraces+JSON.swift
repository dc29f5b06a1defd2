/// Decoding OTLP/JSON's `ExportTraceServiceRequest`: protobuf's JSON mapping with lowerCamelCase
/// names (snake_case is read too), ids in hex as the spec says or in base64 as some exporters send
/// them, 64-bit integers as numbers or strings, enums as numbers or names. Unknown fields are
/// skipped.
extension OTLPTraces {
    public static func decodeJSON(_ body: UnsafeBufferPointer<UInt8>, maxDepth: Int, maxStringBytes: Int) throws(HeraldError) -> [OTLPSpan] {
        var reader = JSONReader(body, maxDepth: maxDepth, maxStringBytes: maxStringBytes)
        var decoder = JSONTraceDecoder()
        do {
            guard reader.peek() == UInt8(ascii: "{") else {
                throw JSONSyntaxError(offset: reader.offset, reason: "expected an ExportTraceServiceRequest object")
            }
            try decoder.request(&reader)
            guard reader.isAtEnd else { throw JSONSyntaxError(offset: reader.offset, reason: "unexpected data after the JSON value") }
        } catch let error as JSONSyntaxError {
            throw HeraldError(.invalidJSON, "malformed JSON: \(error.located(in: body))")
        } catch let error as JSONTraceDecoder.Invalid {
            throw HeraldError(.invalidRequest, "invalid ExportTraceServiceRequest: \(error.reason)")
        } catch {
            throw HeraldError(.invalidJSON, "malformed JSON")
        }
        return decoder.spans
    }
}

private struct JSONTraceDecoder {
    struct Invalid: Error {
        var reason: String
    }

    var spans: [OTLPSpan] = []

    /// `resource_spans` and `resourceSpans` alike.
    static func camel(_ key: String) -> String {
        guard key.contains("_") else { return key }
        var out = ""
        var upper = false
        for character in key {
            if character == "_" {
                upper = true
            } else {
                out.append(upper ? Character(character.uppercased()) : character)
                upper = false
            }
        }
        return out
    }

    /// Iterates an array of objects, or accepts `null` for an empty one.
    static func eachObject(_ reader: inout JSONReader, depth: Int, _ body: (inout JSONReader) throws -> Void) throws {
        if reader.readNull() { return }
        try reader.readArray(depth: depth) { (element: inout JSONReader) throws(JSONSyntaxError) in
            do {
                try body(&element)
            } catch let error as JSONSyntaxError {
                throw error
            } catch {
                // Carried out of the typed-throws closure as a syntax error with the reason.
                throw JSONSyntaxError(offset: element.offset, reason: (error as? Invalid)?.reason ?? "\(error)")
            }
        }
    }

    static func members(_ reader: inout JSONReader, depth: Int, _ body: (inout JSONReader, String) throws -> Void) throws {
        if reader.readNull() { return }
        guard reader.peek() == UInt8(ascii: "{") else { throw Invalid(reason: "expected an object at byte \(reader.offset)") }
        try reader.readObject(depth: depth) { (value: inout JSONReader, key: String) throws(JSONSyntaxError) in
            do {
                try body(&value, camel(key))
            } catch let error as JSONSyntaxError {
                throw error
            } catch {
                throw JSONSyntaxError(offset: value.offset, reason: (error as? Invalid)?.reason ?? "\(error)")
            }
        }
    }

    mutating func request(_ reader: inout JSONReader) throws {
        try Self.members(&reader, depth: 0) { reader, key in
            guard key == "resourceSpans" else { return try Self.skip(&reader) }
            try Self.eachObject(&reader, depth: 1) { reader in try self.resourceSpans(&reader) }
        }
    }

    mutating func resourceSpans(_ reader: inout JSONReader) throws {
        var resource: [OTLPAttribute] = []
        let first = spans.count
        try Self.members(&reader, depth: 2) { reader, key in
            switch key {
            case "resource":
                try Self.members(&reader, depth: 3) { reader, key in
                    guard key == "attributes" else { return try Self.skip(&reader) }
                    resource = try Self.attributes(&reader, depth: 4)
                }
            case "scopeSpans", "instrumentationLibrarySpans":
                try Self.eachObject(&reader, depth: 3) { reader in try self.scopeSpans(&reader) }
            default:
                try Self.skip(&reader)
            }
        }
        for index in first..<spans.count { spans[index].resource = resource }
    }

    mutating func scopeSpans(_ reader: inout JSONReader) throws {
        var scope = ""
        let first = spans.count
        try Self.members(&reader, depth: 4) { reader, key in
            switch key {
            case "scope", "instrumentationLibrary":
                try Self.members(&reader, depth: 5) { reader, key in
                    guard key == "name" else { return try Self.skip(&reader) }
                    scope = try Self.string(&reader, "scope.name")
                }
            case "spans":
                try Self.eachObject(&reader, depth: 5) { reader in self.spans.append(try Self.span(&reader)) }
            default:
                try Self.skip(&reader)
            }
        }
        for index in first..<spans.count { spans[index].scope = scope }
    }

    static func span(_ reader: inout JSONReader) throws -> OTLPSpan {
        var span = OTLPSpan(traceId: [], spanId: [])
        try members(&reader, depth: 6) { reader, key in
            switch key {
            case "traceId": span.traceId = try id(&reader, "traceId", bytes: 16)
            case "spanId": span.spanId = try id(&reader, "spanId", bytes: 8)
            case "parentSpanId": span.parentSpanId = try id(&reader, "parentSpanId", bytes: 8)
            case "name": span.name = try string(&reader, "name")
            case "kind": span.kind = try enumValue(&reader, "kind", names: spanKinds)
            case "startTimeUnixNano": span.startNanos = try unsigned(&reader, "startTimeUnixNano")
            case "endTimeUnixNano": span.endNanos = try unsigned(&reader, "endTimeUnixNano")
            case "attributes": span.attributes = try attributes(&reader, depth: 7)
            case "events":
                try eachObject(&reader, depth: 7) { reader in
                    var event = OTLPSpanEvent()
                    try members(&reader, depth: 8) { reader, key in
                        switch key {
                        case "timeUnixNano": event.timeNanos = try unsigned(&reader, "events.timeUnixNano")
                        case "name": event.name = try string(&reader, "events.name")
                        case "attributes": event.attributes = try attributes(&reader, depth: 9)
                        default: try skip(&reader)
                        }
                    }
                    span.events.append(event)
                }
            case "status":
                try members(&reader, depth: 7) { reader, key in
                    switch key {
                    case "message": span.status.message = try string(&reader, "status.message")
                    case "code": span.status.code = try enumValue(&reader, "status.code", names: statusCodes)
                    default: try skip(&reader)
                    }
                }
            default: try skip(&reader)
            }
        }
        return span
    }

    static let spanKinds = [
        "SPAN_KIND_UNSPECIFIED", "SPAN_KIND_INTERNAL", "SPAN_KIND_SERVER", "SPAN_KIND_CLIENT", "SPAN_KIND_PRODUCER", "SPAN_KIND_CONSUMER",
    ]
    static let statusCodes = ["STATUS_CODE_UNSET", "STATUS_CODE_OK", "STATUS_CODE_ERROR"]

    static func attributes(_ reader: inout JSONReader, depth: Int) throws -> [OTLPAttribute] {
        var result: [OTLPAttribute] = []
        try eachObject(&reader, depth: depth) { reader in
            var key = ""
            var value = OTLPValue.empty
            try members(&reader, depth: depth + 1) { reader, member in
                switch member {
                case "key": key = try string(&reader, "attributes.key")
                case "value": value = try anyValue(&reader, depth: depth + 2)
                default: try skip(&reader)
                }
            }
            result.append(OTLPAttribute(key, value))
        }
        return result
    }

    static func anyValue(_ reader: inout JSONReader, depth: Int) throws -> OTLPValue {
        var value = OTLPValue.empty
        try members(&reader, depth: depth) { reader, key in
            switch key {
            case "stringValue": value = .string(try string(&reader, "stringValue"))
            case "boolValue":
                guard let bool = try reader.readBool() else { throw Invalid(reason: "boolValue must be true or false") }
                value = .bool(bool)
            case "intValue": value = .int(try signed(&reader, "intValue"))
            case "doubleValue":
                if let number = try reader.readDouble() {
                    value = .double(number)
                } else if let text = try? reader.readString(), let number = Double(text) {
                    value = .double(number)  // "NaN", "Infinity", as protobuf's JSON mapping writes them
                } else {
                    throw Invalid(reason: "doubleValue must be a number")
                }
            case "bytesValue":
                let text = try string(&reader, "bytesValue")
                guard let bytes = Base64.decode(text) else { throw Invalid(reason: "bytesValue must be base64") }
                value = .bytes(bytes)
            case "arrayValue", "kvlistValue":
                var values: [OTLPValue] = []
                var entries: [OTLPAttribute] = []
                try members(&reader, depth: depth + 1) { reader, member in
                    guard member == "values" else { return try skip(&reader) }
                    if key == "arrayValue" {
                        try eachObject(&reader, depth: depth + 2) { reader in values.append(try anyValue(&reader, depth: depth + 3)) }
                    } else {
                        entries = try attributes(&reader, depth: depth + 2)
                    }
                }
                value = key == "arrayValue" ? .array(values) : .keyValues(entries)
            default: try skip(&reader)
            }
        }
        return value
    }

    static func skip(_ reader: inout JSONReader) throws {
        _ = try reader.skipValue()
    }

    static func string(_ reader: inout JSONReader, _ field: String) throws -> String {
        if reader.readNull() { return "" }
        guard try reader.peekKind() == .string else { throw Invalid(reason: "\(field) must be a string") }
        return try reader.readString()
    }

    /// A trace or span id: hex (OTLP/JSON) or base64 (protobuf's JSON mapping of bytes), or
    /// empty. Text that is neither is read as its UTF-8 bytes, as protobuf would carry a wrong
    /// id: the mapping refuses that span alone (partial success), not the whole request.
    static func id(_ reader: inout JSONReader, _ field: String, bytes count: Int) throws -> [UInt8] {
        let text = try string(&reader, field)
        if text.isEmpty { return [] }
        if text.utf8.count == count * 2, let bytes = hexBytes(text) { return bytes }
        if let bytes = Base64.decode(text), bytes.count == count { return bytes }
        return Array(text.utf8.prefix(64))
    }

    static func hexBytes(_ text: String) -> [UInt8]? {
        var result: [UInt8] = []
        var high: UInt8?
        for byte in text.utf8 {
            let nibble: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): nibble = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): nibble = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): nibble = byte - UInt8(ascii: "A") + 10
            default: return nil
            }
            if let first = high {
                result.append(first << 4 | nibble)
                high = nil
            } else {
                high = nibble
            }
        }
        return high == nil ? result : nil
    }

    /// A 64-bit integer: a JSON number or a decimal string, as protobuf's JSON mapping allows.
    static func signed(_ reader: inout JSONReader, _ field: String) throws -> Int64 {
        if try reader.peekKind() == .string {
            guard let value = Int64(try reader.readString()) else { throw Invalid(reason: "\(field) must be an integer") }
            return value
        }
        guard let value = try reader.readInteger() else { throw Invalid(reason: "\(field) must be an integer") }
        return value
    }

    static func unsigned(_ reader: inout JSONReader, _ field: String) throws -> UInt64 {
        if try reader.peekKind() == .string {
            guard let value = UInt64(try reader.readString()) else { throw Invalid(reason: "\(field) must be a non-negative integer") }
            return value
        }
        guard let value = try reader.readInteger(), value >= 0 else { throw Invalid(reason: "\(field) must be a non-negative integer") }
        return UInt64(value)
    }

    /// An enum: its number, or its name.
    static func enumValue(_ reader: inout JSONReader, _ field: String, names: [String]) throws -> Int {
        if try reader.peekKind() == .string {
            let name = try reader.readString()
            guard let index = names.firstIndex(of: name) else { throw Invalid(reason: "\(field) \(name) is not one of \(names.joined(separator: ", "))") }
            return index
        }
        guard let value = try reader.readInteger(), value >= 0, value < Int64(Int32.max) else { throw Invalid(reason: "\(field) must be an enum value") }
        return Int(value)
    }
}
