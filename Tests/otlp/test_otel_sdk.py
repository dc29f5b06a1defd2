"""The OpenTelemetry Python SDK and its OTLP/HTTP exporter against the real receiver: protobuf,
JSON (ids in base64 and in hex), gzip; and the same spans through herald.otel's exporter."""

from __future__ import annotations

import base64
import gzip
import json

import herald
from conftest import get_json, post, record_agent_trace, shape, stored, tracer_provider, wait_for_events
from herald.otel import HeraldSpanExporter, event_id, rfc3339
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.exporter.otlp.proto.http import Compression
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor, SpanExportResult
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from google.protobuf.json_format import MessageToDict


def recorded_trace(provider_project=None):
    """The nested trace, kept in memory: (trace id, spans by name)."""
    memory = InMemorySpanExporter()
    provider = tracer_provider(SimpleSpanProcessor(memory), project=provider_project)
    trace = record_agent_trace(provider)
    provider.shutdown()
    return trace, memory.get_finished_spans()


def hex_of(span: ReadableSpan) -> str:
    return format(span.get_span_context().span_id, "016x")


def first_id(trace: str, span: ReadableSpan) -> str:
    return event_id(bytes.fromhex(trace), bytes.fromhex(hex_of(span)), "span")


def test_protobuf_export_of_a_nested_agent_trace_becomes_a_run(herald_server):
    # Given the OTel SDK with its OTLP/HTTP protobuf exporter pointed at Herald, as a user would
    memory = InMemorySpanExporter()
    exporter = OTLPSpanExporter(endpoint=f"{herald_server.url}/otlp/v1/traces")
    provider = tracer_provider(SimpleSpanProcessor(memory), BatchSpanProcessor(exporter))
    # When an agent run is traced and the provider flushes
    trace = record_agent_trace(provider)
    assert provider.force_flush(10_000)
    spans = {span.name: span for span in memory.get_finished_spans()}
    events = stored(herald_server.url, trace)
    # Then the run holds the trace's events, in time order, each with its agent, data and cause
    root, chat, tool = spans["invoke_agent planner"], spans["chat gpt-4o"], spans["execute_tool get_weather"]
    cache, flaky = spans["cache lookup"], spans["execute_tool flaky"]
    r, c, w, o, f = (hex_of(s) for s in (root, chat, tool, cache, flaky))
    expected = [
        ("run.started", None, {"traceId": trace, "name": "planner", "conversationId": "conv-7"}),
        ("agent.started", "planner", {"spanId": r, "role": "plans the trip", "conversationId": "conv-7"}),
        ("step.started", "planner", {"stepId": c, "label": "chat gpt-4o"}),
        ("message.started", "planner", {"messageId": c, "role": "assistant"}),
        ("message.delta", "planner", {"messageId": c, "delta": "Checking the weather."}),
        ("message.completed", "planner", {"messageId": c}),
        ("step.completed", "planner", {"stepId": c, "tokensUsed": 134, "inputTokens": 120, "outputTokens": 14, "model": "gpt-4o-2024-08-06"}),
        ("tool.call_started", "planner", {"spanId": w, "toolCallId": "call_1", "toolCallName": "get_weather"}),
        ("tool.call_args", "planner", {"toolCallId": "call_1", "delta": '{"city":"Paris"}'}),
        ("tool.call_result", "planner", {"toolCallId": "call_1", "messageId": f"{w}-result", "content": '{"temp":21}', "role": "tool"}),
        ("tool.call_completed", "planner", {"toolCallId": "call_1"}),
        ("otel.span", "planner", {"name": "cache lookup", "spanId": o, "kind": 1, "startTime": rfc3339(cache.start_time // 1000), "durationMs": 0.25,
                                  "parentSpanId": r, "scope": "herald.tests.otlp", "attributes": {
                                      "cache.key": "paris", "cache.hit": True, "cache.size": 3, "cache.ratio": 0.5, "cache.tags": ["a", "b"]}}),
        ("tool.call_started", "planner", {"spanId": f, "toolCallId": f, "toolCallName": "flaky"}),
        ("tool.call_result", "planner", {"toolCallId": f, "messageId": f"{f}-result", "content": "error: upstream timed out", "role": "tool"}),
        ("tool.call_completed", "planner", {"toolCallId": f}),
        ("step.failed", "planner", {"stepId": f, "code": "ValueError", "message": "upstream timed out"}),
        ("agent.completed", "planner", {"spanId": r, "summary": "Paris: 21 °C, sunny"}),
        ("run.completed", "planner", {"summary": "Paris: 21 °C, sunny"}),
    ]
    assert [(e["type"], e.get("agent"), e["data"]) for e in events] == expected
    assert [list(e["data"]) for e in events] == [list(data) for _, _, data in expected]  # field order too
    # Each span's first event names its parent's first; its later events name its own first
    agent_first = first_id(trace, root)
    assert events[1]["id"] == agent_first and "causedBy" not in events[1]
    for index, span in ((2, chat), (7, tool), (11, cache), (12, flaky)):
        assert events[index]["id"] == first_id(trace, span) and events[index]["causedBy"] == [agent_first], index
    for index, span in ((3, chat), (6, chat), (8, tool), (10, tool), (15, flaky), (16, root), (17, root)):
        assert events[index]["causedBy"] == [first_id(trace, span)], index
    # Times are the spans' own: starts for started events, ends for the rest
    assert events[1]["time"] == events[0]["time"] == rfc3339(root.start_time // 1000)
    assert events[2]["time"] == rfc3339(chat.start_time // 1000)
    assert events[6]["time"] == rfc3339(chat.end_time // 1000)
    assert events[11]["time"] == rfc3339(cache.end_time // 1000)  # an unknown span is one event, at its end
    assert events[-1]["time"] == rfc3339(root.end_time // 1000)
    assert get_json(herald_server.url, f"/v1/runs/{trace}")["status"] == "completed"

    # When the same spans are exported again: stored once
    assert exporter.export(list(spans.values())) == SpanExportResult.SUCCESS
    status, _, _ = post(herald_server.url, encode_spans(list(spans.values())).SerializeToString(), "application/x-protobuf")
    assert status == 200
    assert stored(herald_server.url, trace) == events


def otlp_json(spans, ids: str) -> bytes:
    """The spans as OTLP/JSON: protobuf's JSON mapping (ids in base64), or ids in hex as the
    OTLP/JSON spec says."""
    document = MessageToDict(encode_spans(spans))
    if ids == "hex":
        for resource in document["resourceSpans"]:
            for scope in resource["scopeSpans"]:
                for span in scope["spans"]:
                    for key in ("traceId", "spanId", "parentSpanId"):
                        if key in span:
                            span[key] = base64.b64decode(span[key]).hex()
    return json.dumps(document).encode()


def test_json_with_base64_or_hex_ids_and_gzip_give_the_same_events(start_herald):
    # Given one trace, sent as protobuf to one server
    trace, spans = recorded_trace()
    reference = start_herald()
    assert OTLPSpanExporter(endpoint=f"{reference.url}/otlp/v1/traces").export(spans) == SpanExportResult.SUCCESS
    expected = shape(stored(reference.url, trace))
    assert len(expected) == 18
    # When it is sent as JSON (ids in base64, then in hex), and gzipped by the exporter, to others
    for ids in ("base64", "hex"):
        server = start_herald()
        body = otlp_json(spans, ids)
        assert (b'"traceId": "%s"' % trace.encode() in body) == (ids == "hex")
        status, headers, answer = post(server.url, body, "application/json")
        assert (status, headers["content-type"], json.loads(answer)) == (200, "application/json", {})
        # Then the runs are the same, to the ids, causes and times
        assert shape(stored(server.url, trace)) == expected, ids
    server = start_herald()
    gzipped = OTLPSpanExporter(endpoint=f"{server.url}/otlp/v1/traces", compression=Compression.Gzip)
    assert gzipped.export(spans) == SpanExportResult.SUCCESS
    assert shape(stored(server.url, trace)) == expected
    # A gzipped JSON body too
    status, _, _ = post(server.url, gzip.compress(otlp_json(spans, "hex")), "application/json", encoding="gzip")
    assert status == 200 and shape(stored(server.url, trace)) == expected


def with_resource(spans, resource: Resource):
    """The same spans (ids, times, attributes) under another resource."""
    return [ReadableSpan(name=s.name, context=s.context, parent=s.parent, resource=resource, attributes=s.attributes, events=s.events,
                         links=s.links, kind=s.kind, status=s.status, start_time=s.start_time, end_time=s.end_time,
                         instrumentation_scope=s.instrumentation_scope) for s in spans]


def test_herald_span_exporter_makes_the_events_the_receiver_makes(herald_server):
    # Given the same spans, once through the emitter (project "py"), once over OTLP (project "otlp")
    trace, spans = recorded_trace()
    emitter = herald.Emitter(herald_server.url, project="py")
    exporter = HeraldSpanExporter(emitter)
    assert exporter.export(spans) == SpanExportResult.SUCCESS
    assert exporter.force_flush(10_000)
    otlp_spans = with_resource(spans, Resource.create({"service.name": "otlp-test", "herald.project": "otlp"}))
    assert OTLPSpanExporter(endpoint=f"{herald_server.url}/otlp/v1/traces").export(otlp_spans) == SpanExportResult.SUCCESS
    # Then both runs hold identical events: type, agent, data (and its order), id, causes, time
    through_emitter = wait_for_events(herald_server.url, trace, 18, project="py")
    through_otlp = stored(herald_server.url, trace, project="otlp")
    assert {e["project"] for e in through_emitter} == {"py"} and {e["project"] for e in through_otlp} == {"otlp"}
    assert shape(through_emitter) == shape(through_otlp)
    assert [e["seq"] for e in through_emitter] == [e["seq"] for e in through_otlp]
    assert emitter.shutdown(5).failed == 0


def test_texts_and_values_are_cut_and_written_as_the_server_does(herald_server):
    # Given tool results that put characters of several bytes, combining marks, emoji sequences
    # and flags across the 32 KiB cut, and values of every type
    from opentelemetry.trace import Status, StatusCode

    memory = InMemorySpanExporter()
    provider = tracer_provider(SimpleSpanProcessor(memory))
    tracer = provider.get_tracer("cuts")
    cut = 32 * 1024 - 3
    texts = {
        "ascii": "a" * 40_000,
        "crlf": "a" * (cut - 1) + "\r\n" + "b" * 10,
        "accent": "a" * (cut - 1) + "e\u0301\u0301" + "z" * 10,
        "family": "a" * (cut - 5) + "👩\u200d👩\u200d👧" + "z" * 10,
        "flags": "a" * (cut - 6) + "🇫🇷🇩🇪🇮🇹" + "z",
        "hangul": "a" * (cut - 2) + "\u1100\u1161\u11a8" + "z" * 10,
        "wide": "a" * (cut - 1) + "é" * 10,
    }
    for name, text in texts.items():  # one tool call each: its result is cut to 32 KiB
        with tracer.start_as_current_span(f"text {name}", attributes={"gen_ai.operation.name": "execute_tool", "gen_ai.tool.call.result": text}):
            pass
    with tracer.start_as_current_span("odd values") as span:
        span.set_attributes({"n.big": 2 ** 62, "f.big": 9.5e15, "f.small": 1e-7, "f.neg": -0.0, "f.inf": float("inf"), "f.nan": float("nan"),
                             "list.mixed": [1.5, 2.0, 3.25], "b": True, "comma, key": "v"})
        span.set_status(Status(StatusCode.ERROR, "it went wrong"))
    with tracer.start_as_current_span("execute_tool odd", attributes={
            "gen_ai.operation.name": "execute_tool", "gen_ai.tool.call.arguments": [1.0, 2.5, 1e300],
            "gen_ai.tool.call.result": 9.5e15, "gen_ai.agent.name": ", \t spaced,name\t "}):
        pass
    with tracer.start_as_current_span("chat odd", attributes={
            "gen_ai.operation.name": "chat", "gen_ai.usage.input_tokens": "12", "gen_ai.usage.output_tokens": 3.0,
            "gen_ai.output.messages": ('[{"role":"assistant","parts":[{"type":"text","content":"x\\u2028y"},'
                                       '{"type":"text","content":"' + "a" * (cut - 2) + "€" * 10 + '"}]}]')}):
        pass
    spans = memory.get_finished_spans()
    emitter = herald.Emitter(herald_server.url, project="py")
    HeraldSpanExporter(emitter).export(spans)
    emitter.shutdown(10)
    OTLPSpanExporter(endpoint=f"{herald_server.url}/otlp/v1/traces").export(with_resource(spans, Resource.create({"herald.project": "otlp"})))
    # Then every trace is the same through both
    for span in spans:
        trace = format(span.get_span_context().trace_id, "032x")
        mine, theirs = stored(herald_server.url, trace, project="py"), stored(herald_server.url, trace, project="otlp")
        assert len(theirs) >= 3 and shape(mine) == shape(theirs), span.name
    cut_texts = {}
    for span in spans[:len(texts)]:
        events = stored(herald_server.url, format(span.get_span_context().trace_id, "032x"), project="otlp")
        cut_texts[span.name.split()[1]] = next(e for e in events if e["type"] == "tool.call_result")["data"]["content"]
    assert len(cut_texts["ascii"].encode()) == 32 * 1024 and cut_texts["ascii"].endswith("a…")
    # Cut at a code point boundary: the bytes that fit, less a code point split by the cut
    for name, text in texts.items():
        encoded = text.encode()
        end = 32 * 1024 - 3
        while encoded[end] & 0xC0 == 0x80:
            end -= 1
        assert cut_texts[name] == encoded[:end].decode() + "…", name
