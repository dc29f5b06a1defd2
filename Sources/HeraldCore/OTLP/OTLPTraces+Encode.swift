/// Encoding spans as an OTLP protobuf `ExportTraceServiceRequest`: for `herald bench otlp` and for
/// tests that play an exporter. Spans with the same resource and scope share their envelope.
extension OTLPTraces {
    public static func encodeProtobuf(_ spans: [OTLPSpan]) -> [UInt8] {
        var writer = ProtobufWriter()
        var index = 0
        while index < spans.count {
            let resource = spans[index].resource
            let scope = spans[index].scope
            var end = index
            while end < spans.count, spans[end].resource == resource, spans[end].scope == scope { end += 1 }
            writer.messageField(1) { resourceSpans in
                resourceSpans.messageField(1) { message in
                    for attribute in resource { message.messageField(1) { encode(attribute, into: &$0) } }
                }
                resourceSpans.messageField(2) { scopeSpans in
                    scopeSpans.messageField(1) { $0.stringField(1, scope) }
                    for span in spans[index..<end] { scopeSpans.messageField(2) { encode(span, into: &$0) } }
                }
            }
            index = end
        }
        return writer.bytes
    }

    static func encode(_ span: OTLPSpan, into writer: inout ProtobufWriter) {
        writer.bytesField(1, span.traceId)
        writer.bytesField(2, span.spanId)
        if !span.parentSpanId.isEmpty { writer.bytesField(4, span.parentSpanId) }
        writer.stringField(5, span.name)
        if span.kind != 0 { writer.varintField(6, UInt64(span.kind)) }
        writer.fixed64Field(7, span.startNanos)
        writer.fixed64Field(8, span.endNanos)
        for attribute in span.attributes { writer.messageField(9) { encode(attribute, into: &$0) } }
        for event in span.events {
            writer.messageField(11) { message in
                message.fixed64Field(1, event.timeNanos)
                message.stringField(2, event.name)
                for attribute in event.attributes { message.messageField(3) { encode(attribute, into: &$0) } }
            }
        }
        if span.status != OTLPStatus() {
            writer.messageField(15) { status in
                if !span.status.message.isEmpty { status.stringField(2, span.status.message) }
                if span.status.code != 0 { status.varintField(3, UInt64(span.status.code)) }
            }
        }
    }

    static func encode(_ attribute: OTLPAttribute, into writer: inout ProtobufWriter) {
        writer.stringField(1, attribute.key)
        writer.messageField(2) { encode(attribute.value, into: &$0) }
    }

    static func encode(_ value: OTLPValue, into writer: inout ProtobufWriter) {
        switch value {
        case .string(let text): writer.stringField(1, text)
        case .bool(let flag): writer.varintField(2, flag ? 1 : 0)
        case .int(let number): writer.varintField(3, UInt64(bitPattern: number))
        case .double(let number): writer.fixed64Field(4, number.bitPattern)
        case .array(let values): writer.messageField(5) { list in for value in values { list.messageField(1) { encode(value, into: &$0) } } }
        case .keyValues(let members):
            writer.messageField(6) { list in for member in members { list.messageField(1) { encode(member, into: &$0) } } }
        case .bytes(let bytes): writer.bytesField(7, bytes)
        case .empty: break
        }
    }
}
