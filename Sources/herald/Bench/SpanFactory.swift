import HeraldClient
import HeraldCore
import NIOCore

/// Synthetic OpenTelemetry traces as an instrumented agent exports them, for `herald bench ingest
/// --otlp`: each trace is an `invoke_agent` root with model calls (token usage and a short
/// answer), tool calls (arguments and result), framework steps and unknown spans, about 200 bytes
/// of attributes each, encoded as the protobuf an OTLP exporter sends.
struct SpanFactory {
    private var random: SplitMix64

    init(seed: UInt64) { random = SplitMix64(seed: seed) }

    /// `count` spans in traces of `spansPerTrace` (the last one each trace's root).
    mutating func spans(count: Int, spansPerTrace: Int) -> [OTLPSpan] {
        var spans: [OTLPSpan] = []
        let start: UInt64 = 1_765_000_000_000_000_000
        var trace: [UInt8] = []
        var rootId: [UInt8] = []
        for index in 0..<count {
            let position = index % spansPerTrace
            if position == 0 {
                trace = bytes(16)
                rootId = bytes(8)
            }
            let isRoot = position == spansPerTrace - 1 || index == count - 1
            var span = OTLPSpan(traceId: trace, spanId: isRoot ? rootId : bytes(8))
            span.parentSpanId = isRoot ? [] : rootId
            span.startNanos = start + UInt64(position) * 1_000_000
            span.endNanos = span.startNanos + 800_000
            span.resource = [OTLPAttribute("service.name", .string("bench-agent"))]
            span.scope = "herald.bench"
            let filler = OTLPValue.string(String(repeating: "lorem ipsum ", count: 12))
            if isRoot {
                span.name = "invoke_agent planner"
                span.attributes = [
                    OTLPAttribute("gen_ai.operation.name", .string("invoke_agent")), OTLPAttribute("gen_ai.agent.name", .string("planner")),
                ]
            } else {
                switch position % 4 {
                case 0:
                    span.name = "chat gpt-4o"
                    span.attributes = [
                        OTLPAttribute("gen_ai.operation.name", .string("chat")), OTLPAttribute("gen_ai.request.model", .string("gpt-4o")),
                        OTLPAttribute("gen_ai.usage.input_tokens", .int(Int64(random.next() % 4000))),
                        OTLPAttribute("gen_ai.usage.output_tokens", .int(Int64(random.next() % 800))),
                        OTLPAttribute("gen_ai.output.messages", .string(#"[{"role":"assistant","parts":[{"type":"text","content":"Checking the sources now."}]}]"#)),
                    ]
                case 1:
                    span.name = "execute_tool search"
                    span.attributes = [
                        OTLPAttribute("gen_ai.operation.name", .string("execute_tool")), OTLPAttribute("gen_ai.tool.name", .string("search")),
                        OTLPAttribute("gen_ai.tool.call.arguments", .string(#"{"query":"herald streams","limit":10}"#)),
                        OTLPAttribute("gen_ai.tool.call.result", filler),
                    ]
                case 2:
                    span.name = "retrieve"
                    span.attributes = [OTLPAttribute("openinference.span.kind", .string("RETRIEVER")), OTLPAttribute("input.value", filler)]
                default:
                    span.name = "GET /v1/search"
                    span.attributes = [
                        OTLPAttribute("http.request.method", .string("GET")), OTLPAttribute("http.response.status_code", .int(200)),
                        OTLPAttribute("url.full", filler),
                    ]
                }
            }
            spans.append(span)
        }
        return spans
    }

    private mutating func bytes(_ count: Int) -> [UInt8] {
        (0..<count).map { _ in UInt8(truncatingIfNeeded: random.next() | 1) }
    }
}

/// One OTLP request body sent again and again with fresh trace ids, so that every request
/// carries new spans (a resent span would only be recognised as a duplicate): the first 8 bytes
/// of each trace id are overwritten with a counter before each send.
struct FreshTraces: RequestSource {
    let template: PreparedRequest
    /// Where each trace id's bytes start in the body.
    let traceOffsets: [Int]
    let units: Int
    private var counter: UInt64

    init(template: PreparedRequest, traceIds: [[UInt8]], units: Int, connection: Int) {
        self.template = template
        let body = Array(template.body?.readableBytesView ?? ByteBufferView())
        var offsets: [Int] = []
        for id in traceIds {
            var start = 0
            while let found = Self.find(id, in: body, from: start) {
                offsets.append(found)
                start = found + id.count
            }
        }
        self.traceOffsets = offsets
        self.units = units
        self.counter = UInt64(connection) << 48
    }

    static func find(_ needle: [UInt8], in haystack: [UInt8], from start: Int) -> Int? {
        guard haystack.count >= needle.count, start <= haystack.count - needle.count else { return nil }
        for index in start...(haystack.count - needle.count) where haystack[index] == needle[0] {
            if haystack[index..<(index + needle.count)].elementsEqual(needle) { return index }
        }
        return nil
    }

    mutating func next() -> (request: PreparedRequest, units: Int) {
        counter += 1
        var request = template
        guard var body = request.body else { return (request, units) }
        // Trace ids are overwritten per trace: spans of one trace keep sharing their id.
        var previous: [UInt8]? = nil
        var stamp = counter
        for offset in traceOffsets {
            let id = body.getBytes(at: offset + 8, length: 8)
            if id != previous {
                counter += 1
                stamp = counter
                previous = id
            }
            body.setInteger(stamp, at: offset, endianness: .big)
        }
        request.body = body
        return (request, units)
    }
}
