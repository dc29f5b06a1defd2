import HeraldTestSupport
import Testing

@testable import HeraldCore

@Suite("OTLP: spans to Herald events")
struct SpanMappingTests {
    struct Mapped {
        var type: String
        var agent: String?
        var id: String
        var causedBy: [String]
        var time: String
        var data: JSONValue
        var span: Int?
    }

    func map(_ spans: [OTLPSpan], project: String = "default") -> [Mapped] {
        let result = SpanMapping(defaultProject: project).map(spans)
        return zip(result.events, result.spanOfEvent).map { event, span in
            var causes: [String] = []
            if case .array(let values)? = event["causedBy"] { causes = values.compactMap { if case .string(let id) = $0 { id } else { nil } } }
            return Mapped(
                type: event["type"].flatMap { if case .string(let t) = $0 { t } else { nil } } ?? "",
                agent: event["agent"].flatMap { if case .string(let a) = $0 { a } else { nil } },
                id: event["id"].flatMap { if case .string(let i) = $0 { i } else { nil } } ?? "",
                causedBy: causes,
                time: event["time"].flatMap { if case .string(let t) = $0 { t } else { nil } } ?? "",
                data: event["data"] ?? .null, span: span
            )
        }
    }

    @Test func anAgentTraceBecomesARunOfAgentModelToolAndStepEvents() {
        let events = map(OTLPSamples.agentTrace)
        #expect(events.map(\.type) == [
            "run.started", "agent.started",
            "step.started", "message.started", "message.delta", "message.completed", "step.completed",
            "tool.call_started", "tool.call_args", "otel.span", "tool.call_result", "tool.call_completed",
            "tool.call_started", "tool.call_result", "tool.call_completed", "step.failed",
            "agent.completed", "run.completed",
        ])
        // Every event but run.started belongs to the planner, found through the parents.
        #expect(events.dropFirst().allSatisfy { $0.agent == "planner" })
        #expect(events[0].data == .object([("traceId", .string("101112131415161718191a1b1c1d1e1f")), ("name", .string("planner")), ("conversationId", .string("conv-7"))]))
        #expect(events[6].data == .object([
            ("stepId", .string("000000000000a002")), ("tokensUsed", .integer(150)), ("inputTokens", .integer(120)),
            ("outputTokens", .integer(30)), ("model", .string("gpt-4o")),
        ]))
        #expect(events[4].data["delta"] == .string("Searching."))
        #expect(events[8].data == .object([("toolCallId", .string("call_1")), ("delta", .string(#"{"q":"herald"}"#))]))
        #expect(events[10].data["content"] == .string("3 results"))
        #expect(events[15].data == .object([("stepId", .string("000000000000a005")), ("code", .string("TimeoutError")), ("message", .string("timed out after 1s"))]))
        #expect(events[13].data["content"] == .string("error: timed out after 1s"))
        #expect(events[16].data["summary"] == .string("done: 3 results"))
        // Times are the spans' start and end, to the microsecond.
        #expect(events[1].time == "2025-12-06T05:46:40.000000Z")
        #expect(events[2].time == "2025-12-06T05:46:40.010000Z")
        #expect(events[6].time == "2025-12-06T05:46:40.020000Z")
    }

    @Test func causedByLinksEachSpanToItsParentsFirstEvent() {
        let events = map(OTLPSamples.agentTrace)
        let agentStart = events[1].id
        #expect(events[1].causedBy.isEmpty)  // the root span has no parent
        #expect(events[2].causedBy == [agentStart])  // chat → agent
        #expect(events[3...6].allSatisfy { $0.causedBy == [events[2].id] })  // the chat's own events → its start
        #expect(events[7].causedBy == [agentStart])  // tool → agent
        #expect(events[9].causedBy == [events[7].id])  // the HTTP span → the tool it ran in
        #expect(events[17].causedBy == [agentStart])  // the run's end → the root's start
    }

    @Test func idsDependOnTheSpanAloneSoAResentSpanHasTheSameIds() {
        let once = map(OTLPSamples.agentTrace).map(\.id)
        let again = map(OTLPSamples.agentTrace.reversed()).map(\.id)
        #expect(Set(once) == Set(again))
        #expect(Set(once).count == once.count)
        #expect(once.allSatisfy(ULID.isValid))
        // A child sent alone names the same parent id it named in the whole trace.
        let alone = map([OTLPSamples.agentTrace[0]])
        #expect(alone[1].causedBy == [map(OTLPSamples.agentTrace)[1].id])
        // run.started's id depends on the trace only, so each request may carry it.
        #expect(alone[0].id == once[0])
    }

    @Test func theRunEndsOnlyWithItsRootSpanAndLast() {
        var childSpans = Array(OTLPSamples.agentTrace.dropLast())
        let children = map(childSpans)
        #expect(!children.contains { $0.type.hasPrefix("run.") && $0.type != "run.started" })
        // Without the root in the request, the first agent named titles the run (none here: the
        // children's agent is their parent's, which has not arrived).
        #expect(children[0].data["name"] == nil)
        #expect(children.allSatisfy { $0.agent == nil })
        childSpans[1].attributes.append(OTLPAttribute("gen_ai.agent.name", .string("fetcher")))
        #expect(map(childSpans)[0].data["name"] == .string("fetcher"))
        // A failed root fails the run, with the exception's message.
        var failing = OTLPSamples.agentTrace
        failing[4].status = OTLPStatus(code: 2, message: "budget exhausted")
        let failed = map(failing)
        #expect(failed.suffix(2).map(\.type) == ["agent.failed", "run.failed"])
        #expect(failed.last?.data == .object([("error", .string("budget exhausted")), ("code", .string("error"))]))
        #expect(failed[failed.count - 2].data["willRetry"] == .bool(false))
    }

    @Test func openInferenceSpansMapLikeTheGenAIOnes() {
        var agent = OTLPSamples.span(1, parent: nil, name: "LangGraph", start: 0, end: 9, [
            OTLPAttribute("openinference.span.kind", .string("AGENT")), OTLPAttribute("agent.name", .string("graph")),
        ])
        agent.resource = [OTLPAttribute("herald.project", .string("langgraph"))]
        var llm = OTLPSamples.span(2, parent: 1, name: "ChatOpenAI", start: 1, end: 2, [
            OTLPAttribute("openinference.span.kind", .string("LLM")), OTLPAttribute("llm.model_name", .string("gpt-4o-mini")),
            OTLPAttribute("llm.token_count.prompt", .int(5)), OTLPAttribute("llm.token_count.completion", .int(7)),
            OTLPAttribute("llm.token_count.total", .int(12)), OTLPAttribute("llm.output_messages.0.message.content", .string("Hi")),
        ])
        llm.resource = agent.resource
        var node = OTLPSamples.span(3, parent: 1, name: "retrieve", start: 3, end: 4, [OTLPAttribute("openinference.span.kind", .string("CHAIN"))])
        node.resource = agent.resource
        var tool = OTLPSamples.span(4, parent: 1, name: "calculator", start: 5, end: 6, [
            OTLPAttribute("openinference.span.kind", .string("TOOL")), OTLPAttribute("tool.name", .string("calculator")),
            OTLPAttribute("input.value", .string("2+2")), OTLPAttribute("output.value", .string("4")),
        ])
        tool.resource = agent.resource
        let result = SpanMapping(defaultProject: "default").map([llm, node, tool, agent])
        let events = map([llm, node, tool, agent])
        #expect(result.events.allSatisfy { $0["project"] == .string("langgraph") })
        #expect(events.map(\.type) == [
            "run.started", "agent.started", "step.started", "message.started", "message.delta", "message.completed", "step.completed",
            "step.started", "step.completed", "tool.call_started", "tool.call_args", "tool.call_result", "tool.call_completed",
            "agent.completed", "run.completed",
        ])
        #expect(events[6].data["tokensUsed"] == .integer(12) && events[6].data["model"] == .string("gpt-4o-mini"))
        #expect(events[4].data["delta"] == .string("Hi"))
        #expect(events[9].data["toolCallId"] == .string("000000000000a004"))
        #expect(events[11].data["content"] == .string("4"))
        #expect(events.dropFirst().allSatisfy { $0.agent == "graph" })
    }

    @Test func hugeValuesAreCutAndUnknownSpansKeepBoundedAttributes() throws {
        var span = OTLPSamples.span(9, parent: nil, name: "batch", start: 0, end: 1, (0..<100).map { OTLPAttribute("a\($0)", .string("v")) })
        span.attributes[0] = OTLPAttribute("huge", .string(String(repeating: "é", count: 100_000)))
        var deep = OTLPValue.string("bottom")
        for _ in 0..<10 { deep = .keyValues([OTLPAttribute("k", deep)]) }
        span.attributes[1] = OTLPAttribute("deep", deep)
        let events = map([span])
        let otel = try #require(events.first { $0.type == "otel.span" })
        guard case .object(let attributes)? = otel.data["attributes"] else { Issue.record("no attributes"); return }
        #expect(attributes.count == 64)
        #expect(otel.data["droppedAttributes"] == .integer(36))
        guard case .string(let huge) = attributes[0].1 else { Issue.record("no huge string"); return }
        #expect(huge.utf8.count <= 4 << 10 && huge.hasSuffix("…") && huge.hasPrefix("éé"))
        // Many large attributes stop at 64 KiB of JSON; the rest are counted.
        let many = OTLPSamples.span(8, parent: nil, name: "many", start: 0, end: 1, (0..<64).map { OTLPAttribute("a\($0)", .string(String(repeating: "\u{1}", count: 5000))) })
        let bounded = try #require(map([many]).first { $0.type == "otel.span" })
        guard case .object(let few)? = bounded.data["attributes"] else { Issue.record("no attributes"); return }
        #expect(try JSONValue.object(few).encoded().count <= 64 << 10)
        #expect(bounded.data["droppedAttributes"] == .integer(Int64(64 - few.count)))
        // Nesting past four levels is written as "…".
        #expect(try String(decoding: attributes[1].1.encoded(), as: UTF8.self) == #"{"k":{"k":{"k":{"k":"…"}}}}"#)
    }

    @Test func tokenCountsThatOverflowAreClamped() {
        let span = OTLPSamples.span(2, parent: nil, name: "chat", start: 0, end: 1, [
            OTLPAttribute("gen_ai.operation.name", .string("chat")),
            OTLPAttribute("gen_ai.usage.input_tokens", .int(.max)), OTLPAttribute("gen_ai.usage.output_tokens", .int(1)),
        ])
        let completed = map([span]).first { $0.type == "step.completed" }
        #expect(completed?.data["tokensUsed"] == .integer(.max))
    }

    @Test func spansWithBadIdsOrProjectsAreRefusedAlone() {
        var noTrace = OTLPSamples.agentTrace[0]
        noTrace.traceId = Array(repeating: 0, count: 16)
        var shortSpan = OTLPSamples.agentTrace[1]
        shortSpan.spanId = [1, 2, 3]
        var badProject = OTLPSamples.agentTrace[2]
        badProject.resource = [OTLPAttribute("herald.project", .string("no spaces allowed"))]
        let result = SpanMapping(defaultProject: "default").map([noTrace, shortSpan, badProject, OTLPSamples.agentTrace[3]])
        #expect(result.refused.map(\.span) == [0, 1, 2])
        #expect(result.refused[0].reason.contains("traceId must be 16 bytes"))
        #expect(result.refused[1].reason.contains("spanId must be 8 bytes"))
        #expect(result.refused[2].reason.contains("herald.project"))
        #expect(result.spanOfEvent.compactMap { $0 }.allSatisfy { $0 == 3 })
    }

    @Test func agentNamesAreMadeValid() {
        var span = OTLPSamples.span(1, parent: nil, name: "invoke_agent a,b", start: 0, end: 1, [OTLPAttribute("gen_ai.operation.name", .string("invoke_agent"))])
        #expect(map([span])[1].agent == "a b")
        span.attributes.append(OTLPAttribute("gen_ai.agent.name", .string(String(repeating: "x", count: 300))))
        let agent = map([span])[1].agent ?? ""
        #expect(Names.isValidAgent(agent))
    }
}
