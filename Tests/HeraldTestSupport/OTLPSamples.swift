import HeraldCore

/// A small agent trace as an exporter sends it: an agent (root) that calls a model, runs a tool,
/// makes an unknown HTTP span, and whose second tool call fails.
public enum OTLPSamples {
    public static let trace: [UInt8] = Array(0x10...0x1F)
    public static func spanId(_ last: UInt8) -> [UInt8] { [0, 0, 0, 0, 0, 0, 0xA0, last] }
    public static let base: UInt64 = 1_765_000_000_000_000_000

    public static func span(_ id: UInt8, parent: UInt8?, name: String, start: UInt64, end: UInt64, _ attributes: [OTLPAttribute]) -> OTLPSpan {
        var span = OTLPSpan(traceId: trace, spanId: spanId(id))
        span.parentSpanId = parent.map(spanId) ?? []
        span.name = name
        span.kind = 1
        span.startNanos = base + start * 1_000_000
        span.endNanos = base + end * 1_000_000
        span.attributes = attributes
        span.resource = [OTLPAttribute("service.name", .string("planner-service"))]
        span.scope = "test"
        return span
    }

    /// Children first, root last: the order spans end in.
    public static var agentTrace: [OTLPSpan] {
        let chat = span(2, parent: 1, name: "chat gpt-4o", start: 10, end: 20, [
            OTLPAttribute("gen_ai.operation.name", .string("chat")),
            OTLPAttribute("gen_ai.request.model", .string("gpt-4o")),
            OTLPAttribute("gen_ai.usage.input_tokens", .int(120)),
            OTLPAttribute("gen_ai.usage.output_tokens", .int(30)),
            OTLPAttribute("gen_ai.output.messages", .string(#"[{"role":"assistant","parts":[{"type":"text","content":"Searching."}]}]"#)),
        ])
        let tool = span(3, parent: 1, name: "execute_tool search", start: 21, end: 25, [
            OTLPAttribute("gen_ai.operation.name", .string("execute_tool")),
            OTLPAttribute("gen_ai.tool.name", .string("search")),
            OTLPAttribute("gen_ai.tool.call.id", .string("call_1")),
            OTLPAttribute("gen_ai.tool.call.arguments", .string(#"{"q":"herald"}"#)),
            OTLPAttribute("gen_ai.tool.call.result", .string("3 results")),
        ])
        let http = span(4, parent: 3, name: "GET /search", start: 22, end: 24, [
            OTLPAttribute("http.request.method", .string("GET")),
            OTLPAttribute("http.response.status_code", .int(200)),
            OTLPAttribute("tags", .array([.string("a"), .bool(true), .double(1.5)])),
            OTLPAttribute("nested", .keyValues([OTLPAttribute("k", .bytes([0xCA, 0xFE]))])),
        ])
        var failing = span(5, parent: 1, name: "execute_tool fetch", start: 26, end: 27, [
            OTLPAttribute("gen_ai.operation.name", .string("execute_tool")),
            OTLPAttribute("gen_ai.tool.name", .string("fetch")),
        ])
        failing.status = OTLPStatus(code: 2, message: "")
        var exception = OTLPSpanEvent()
        exception.name = "exception"
        exception.timeNanos = base + 27_000_000
        exception.attributes = [OTLPAttribute("exception.type", .string("TimeoutError")), OTLPAttribute("exception.message", .string("timed out after 1s"))]
        failing.events = [exception]
        let root = span(1, parent: nil, name: "invoke_agent planner", start: 0, end: 30, [
            OTLPAttribute("gen_ai.operation.name", .string("invoke_agent")),
            OTLPAttribute("gen_ai.agent.name", .string("planner")),
            OTLPAttribute("gen_ai.conversation.id", .string("conv-7")),
            OTLPAttribute("final_result", .string("done: 3 results")),
        ])
        return [chat, http, tool, failing, root]
    }
}
