/// Decoding OTLP's `ExportTraceServiceRequest` from protobuf
/// (opentelemetry/proto/collector/trace/v1/trace_service.proto and trace/v1/trace.proto), field
/// by field. Unknown fields are skipped; a field with the wrong wire type, a truncated field or
/// invalid UTF-8 fails the whole request, naming the byte.
public enum OTLPTraces {
    /// The spans of a protobuf-encoded request. `maxDepth` bounds the nesting of attribute values
    /// (arrays and key-value lists).
    public static func decodeProtobuf(_ body: UnsafeBufferPointer<UInt8>, maxDepth: Int) throws(HeraldError) -> [OTLPSpan] {
        var decoder = ProtobufTraceDecoder(maxDepth: maxDepth)
        do {
            var reader = ProtobufReader(body)
            try decoder.request(&reader)
        } catch {
            throw HeraldError(.invalidProtobuf, "malformed ExportTraceServiceRequest: \(error)")
        }
        return decoder.spans
    }
}

private struct ProtobufTraceDecoder {
    let maxDepth: Int
    var spans: [OTLPSpan] = []

    typealias Malformed = ProtobufReader.Malformed

    // ExportTraceServiceRequest { repeated ResourceSpans resource_spans = 1; }
    mutating func request(_ reader: inout ProtobufReader) throws(Malformed) {
        while let (number, wireType) = try reader.nextField() {
            if number == 1 {
                try reader.expect(wireType, is: .lengthDelimited, field: "resource_spans")
                var nested = try reader.message()
                try resourceSpans(&nested)
            } else {
                try reader.skip(wireType)
            }
        }
    }

    // ResourceSpans { Resource resource = 1; repeated ScopeSpans scope_spans = 2; }
    // The resource may follow the scopes on the wire, so scopes are read first and stamped after.
    mutating func resourceSpans(_ reader: inout ProtobufReader) throws(Malformed) {
        var resource: [OTLPAttribute] = []
        let first = spans.count
        while let (number, wireType) = try reader.nextField() {
            switch number {
            case 1:
                try reader.expect(wireType, is: .lengthDelimited, field: "resource")
                var nested = try reader.message()
                // Resource { repeated KeyValue attributes = 1; }
                while let (field, type) = try nested.nextField() {
                    if field == 1 {
                        try nested.expect(type, is: .lengthDelimited, field: "resource.attributes")
                        resource.append(try keyValue(&nested, depth: 0))
                    } else {
                        try nested.skip(type)
                    }
                }
            case 2:
                try reader.expect(wireType, is: .lengthDelimited, field: "scope_spans")
                var nested = try reader.message()
                try scopeSpans(&nested)
            default:
                try reader.skip(wireType)
            }
        }
        for index in first..<spans.count { spans[index].resource = resource }
    }

    // ScopeSpans { InstrumentationScope scope = 1; repeated Span spans = 2; }
    mutating func scopeSpans(_ reader: inout ProtobufReader) throws(Malformed) {
        var scope = ""
        let first = spans.count
        while let (number, wireType) = try reader.nextField() {
            switch number {
            case 1:
                try reader.expect(wireType, is: .lengthDelimited, field: "scope")
                var nested = try reader.message()
                // InstrumentationScope { string name = 1; … }
                while let (field, type) = try nested.nextField() {
                    if field == 1 {
                        try nested.expect(type, is: .lengthDelimited, field: "scope.name")
                        scope = try nested.string()
                    } else {
                        try nested.skip(type)
                    }
                }
            case 2:
                try reader.expect(wireType, is: .lengthDelimited, field: "span")
                var nested = try reader.message()
                spans.append(try span(&nested))
            default:
                try reader.skip(wireType)
            }
        }
        for index in first..<spans.count { spans[index].scope = scope }
    }

    // Span { bytes trace_id = 1; bytes span_id = 2; bytes parent_span_id = 4; string name = 5;
    //        SpanKind kind = 6; fixed64 start_time_unix_nano = 7; fixed64 end_time_unix_nano = 8;
    //        repeated KeyValue attributes = 9; repeated Event events = 11; Status status = 15; }
    func span(_ reader: inout ProtobufReader) throws(Malformed) -> OTLPSpan {
        var span = OTLPSpan(traceId: [], spanId: [])
        while let (number, wireType) = try reader.nextField() {
            switch number {
            case 1:
                try reader.expect(wireType, is: .lengthDelimited, field: "span.trace_id")
                span.traceId = try reader.bytesField()
            case 2:
                try reader.expect(wireType, is: .lengthDelimited, field: "span.span_id")
                span.spanId = try reader.bytesField()
            case 4:
                try reader.expect(wireType, is: .lengthDelimited, field: "span.parent_span_id")
                span.parentSpanId = try reader.bytesField()
            case 5:
                try reader.expect(wireType, is: .lengthDelimited, field: "span.name")
                span.name = try reader.string()
            case 6:
                try reader.expect(wireType, is: .varint, field: "span.kind")
                span.kind = Int(truncatingIfNeeded: try reader.varint())
            case 7:
                try reader.expect(wireType, is: .fixed64, field: "span.start_time_unix_nano")
                span.startNanos = try reader.fixed64()
            case 8:
                try reader.expect(wireType, is: .fixed64, field: "span.end_time_unix_nano")
                span.endNanos = try reader.fixed64()
            case 9:
                try reader.expect(wireType, is: .lengthDelimited, field: "span.attributes")
                span.attributes.append(try keyValue(&reader, depth: 0))
            case 11:
                try reader.expect(wireType, is: .lengthDelimited, field: "span.events")
                var nested = try reader.message()
                span.events.append(try event(&nested))
            case 15:
                try reader.expect(wireType, is: .lengthDelimited, field: "span.status")
                var nested = try reader.message()
                // Status { string message = 2; StatusCode code = 3; }
                while let (field, type) = try nested.nextField() {
                    switch field {
                    case 2:
                        try nested.expect(type, is: .lengthDelimited, field: "status.message")
                        span.status.message = try nested.string()
                    case 3:
                        try nested.expect(type, is: .varint, field: "status.code")
                        span.status.code = Int(truncatingIfNeeded: try nested.varint())
                    default:
                        try nested.skip(type)
                    }
                }
            default:
                try reader.skip(wireType)
            }
        }
        return span
    }

    // Span.Event { fixed64 time_unix_nano = 1; string name = 2; repeated KeyValue attributes = 3; }
    func event(_ reader: inout ProtobufReader) throws(Malformed) -> OTLPSpanEvent {
        var event = OTLPSpanEvent()
        while let (number, wireType) = try reader.nextField() {
            switch number {
            case 1:
                try reader.expect(wireType, is: .fixed64, field: "event.time_unix_nano")
                event.timeNanos = try reader.fixed64()
            case 2:
                try reader.expect(wireType, is: .lengthDelimited, field: "event.name")
                event.name = try reader.string()
            case 3:
                try reader.expect(wireType, is: .lengthDelimited, field: "event.attributes")
                event.attributes.append(try keyValue(&reader, depth: 0))
            default:
                try reader.skip(wireType)
            }
        }
        return event
    }

    // KeyValue { string key = 1; AnyValue value = 2; }, read from the length-delimited field at `reader`.
    func keyValue(_ reader: inout ProtobufReader, depth: Int) throws(Malformed) -> OTLPAttribute {
        var nested = try reader.message()
        var key = ""
        var value = OTLPValue.empty
        while let (number, wireType) = try nested.nextField() {
            switch number {
            case 1:
                try nested.expect(wireType, is: .lengthDelimited, field: "key")
                key = try nested.string()
            case 2:
                try nested.expect(wireType, is: .lengthDelimited, field: "value")
                value = try anyValue(&nested, depth: depth)
            default:
                try nested.skip(wireType)
            }
        }
        return OTLPAttribute(key, value)
    }

    // AnyValue { oneof { string string_value = 1; bool bool_value = 2; int64 int_value = 3;
    //   double double_value = 4; ArrayValue array_value = 5; KeyValueList kvlist_value = 6;
    //   bytes bytes_value = 7; } }; ArrayValue and KeyValueList hold `repeated … values = 1`.
    func anyValue(_ reader: inout ProtobufReader, depth: Int) throws(Malformed) -> OTLPValue {
        guard depth < maxDepth else {
            throw Malformed(offset: reader.offset, reason: "attribute values nest deeper than \(maxDepth) levels")
        }
        var nested = try reader.message()
        var value = OTLPValue.empty
        while let (number, wireType) = try nested.nextField() {
            switch number {
            case 1:
                try nested.expect(wireType, is: .lengthDelimited, field: "string_value")
                value = .string(try nested.string())
            case 2:
                try nested.expect(wireType, is: .varint, field: "bool_value")
                value = .bool(try nested.varint() != 0)
            case 3:
                try nested.expect(wireType, is: .varint, field: "int_value")
                value = .int(Int64(bitPattern: try nested.varint()))
            case 4:
                try nested.expect(wireType, is: .fixed64, field: "double_value")
                value = .double(Double(bitPattern: try nested.fixed64()))
            case 5, 6:
                try nested.expect(wireType, is: .lengthDelimited, field: number == 5 ? "array_value" : "kvlist_value")
                var list = try nested.message()
                var values: [OTLPValue] = []
                var members: [OTLPAttribute] = []
                while let (field, type) = try list.nextField() {
                    guard field == 1 else {
                        try list.skip(type)
                        continue
                    }
                    try list.expect(type, is: .lengthDelimited, field: "values")
                    if number == 5 {
                        values.append(try anyValue(&list, depth: depth + 1))
                    } else {
                        members.append(try keyValue(&list, depth: depth + 1))
                    }
                }
                value = number == 5 ? .array(values) : .keyValues(members)
            case 7:
                try nested.expect(wireType, is: .lengthDelimited, field: "bytes_value")
                value = .bytes(try nested.bytesField())
            default:
                try nested.skip(wireType)
            }
        }
        return value
    }
}
