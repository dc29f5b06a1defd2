"""Bad OTLP/HTTP input against the real receiver: a clear 4xx in the request's encoding, never a
5xx or a crash, and nothing half-stored."""

from __future__ import annotations

import gzip
import json

import pytest
from conftest import get_json, post, record_agent_trace, shape, stored, tracer_provider
from google.rpc import status_pb2
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

PROTOBUF, JSON = "application/x-protobuf", "application/json"
TRACE, SPAN = bytes(range(1, 17)), bytes(range(1, 9))


# MARK: A few lines of protobuf, to write what no SDK would


def varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def field(number: int, wire: int, payload: bytes) -> bytes:
    """One field: wire 0 (payload: a varint's bytes), 1 (8 bytes), 2 (length-delimited), 5 (4 bytes)."""
    return varint(number << 3 | wire) + (varint(len(payload)) + payload if wire == 2 else payload)


def text(value: str) -> bytes:
    return value.encode()


def attribute(key: str, any_value: bytes) -> bytes:
    return field(9, 2, field(1, 2, text(key)) + field(2, 2, any_value))


def request(*spans: bytes, resource: bytes = b"", extra: bytes = b"") -> bytes:
    """ExportTraceServiceRequest → ResourceSpans → ScopeSpans → the spans given (raw Span bodies)."""
    scope = field(1, 2, field(1, 2, text("raw"))) + b"".join(field(2, 2, span) for span in spans)
    return field(1, 2, (field(1, 2, resource) if resource else b"") + field(2, 2, scope)) + extra


def span(name: str = "step", trace: bytes = TRACE, span_id: bytes = SPAN, *more: bytes) -> bytes:
    start = 1_700_000_000_000_000_000
    return (field(1, 2, trace) + field(2, 2, span_id) + field(5, 2, text(name)) + field(7, 1, start.to_bytes(8, "little"))
            + field(8, 1, (start + 10**6).to_bytes(8, "little")) + b"".join(more))


def recorded_request() -> bytes:
    memory = InMemorySpanExporter()
    provider = tracer_provider(SimpleSpanProcessor(memory))
    record_agent_trace(provider)
    return encode_spans(memory.get_finished_spans()).SerializeToString()


# MARK: Checks


def refused(server, body: bytes, content_type: str, status: int, encoding=None) -> str:
    """Posts, expects ``status`` with an error in the request's encoding; answers its message.
    Nothing may be stored and the server must live on."""
    before = get_json(server.url, "/v1/runs")["runs"]
    code, headers, answer = post(server.url, body, content_type, encoding)
    assert code == status, (code, answer[:300])
    if content_type == PROTOBUF:
        assert headers["content-type"] == PROTOBUF
        error = status_pb2.Status.FromString(answer)
        assert error.code == {400: 3, 413: 8, 415: 3}[status] and error.message
        message = error.message
    else:
        assert headers["content-type"] == JSON
        error = json.loads(answer)
        assert isinstance(error["code"], int) and error["message"] and error["error"]["code"]
        message = error["message"]
    assert server.process.poll() is None, "the server died"
    assert get_json(server.url, "/v1/runs")["runs"] == before, "something was stored"
    return message


def test_truncated_and_garbage_protobuf_is_refused(module_server):
    body = recorded_request()
    for cut in (3, len(body) // 3, len(body) // 2, len(body) - 1):
        assert "malformed ExportTraceServiceRequest" in refused(module_server, body[:cut], PROTOBUF, 400)
    for garbage in (b"\xff" * 64, b"GET / HTTP/1.1\r\n\r\n", b"\x0a\xff\xff\xff\xff\x0f", b"\x0a\x80", bytes(range(256))):
        refused(module_server, garbage, PROTOBUF, 400)


def test_wrong_wire_types_for_known_fields_are_refused(module_server):
    for body, name in [
        (field(1, 0, varint(1)), "resource_spans"),  # a varint where a message is due
        (request(span() + field(5, 0, varint(7))), "span.name"),
        (request(span() + field(7, 0, varint(5))), "span.start_time_unix_nano"),  # fixed64 sent as a varint
        (request(span() + field(6, 2, text("x"))), "span.kind"),
        (request(span() + attribute("k", field(4, 0, varint(1)))), "double_value"),
        (request(span() + field(15, 2, field(3, 2, text("ERROR")))), "status.code"),
    ]:
        assert name in refused(module_server, body, PROTOBUF, 400), name


def test_unknown_fields_are_skipped(start_herald):
    # Given the same span, once plain and once with unknown fields of every wire type at each level
    unknown = field(99, 0, varint(5)) + field(98, 1, b"\0" * 8) + field(97, 2, b"ignored") + field(96, 5, b"\0" * 4)
    attribute_ = attribute("gen_ai.operation.name", field(1, 2, text("chat")) + unknown)
    plain = request(span("chat", TRACE, SPAN, attribute("gen_ai.operation.name", field(1, 2, text("chat")))))
    noisy = request(span("chat", TRACE, SPAN, attribute_, unknown), resource=unknown, extra=unknown)
    clean, other = start_herald(), start_herald()
    for server, body in ((clean, plain), (other, noisy)):
        status, _, answer = post(server.url, body, PROTOBUF)
        assert status == 200 and ExportTraceServiceResponse.FromString(answer).partial_success.rejected_spans == 0
    # Then both runs are the same
    run = TRACE.hex()
    assert [e["type"] for e in stored(other.url, run)] == ["run.started", "step.started", "step.completed", "run.completed"]
    assert shape(stored(other.url, run)) == shape(stored(clean.url, run))


def test_a_huge_attribute_is_too_large_plain_and_cut_gzipped(module_server):
    huge = "x" * (5 << 20)
    body = request(span("big", TRACE, bytes([9] * 8), attribute("payload", field(1, 2, text(huge)))))
    assert "larger than" in refused(module_server, body, PROTOBUF, 413)
    # Gzipped it fits the inflated limit: stored, the value cut to an unknown span's 4 KiB
    status, _, _ = post(module_server.url, gzip.compress(body), PROTOBUF, encoding="gzip")
    assert status == 200
    (otel_span,) = [e for e in stored(module_server.url, TRACE.hex()) if e["type"] == "otel.span"]
    kept = otel_span["data"]["attributes"]["payload"]
    assert len(kept.encode()) == 4 << 10 and kept.endswith("x…")


def test_deep_nesting_is_refused_and_moderate_nesting_cut_at_four_levels(module_server):
    def nested(levels: int) -> bytes:
        value = field(1, 2, text("leaf"))
        for _ in range(levels):
            value = field(5, 2, field(1, 2, value))  # AnyValue{array_value{values: [value]}}
        return value

    assert "nest deeper" in refused(module_server, request(span("deep", TRACE, SPAN, attribute("deep", nested(200)))), PROTOBUF, 400)
    deep_json = {"stringValue": "leaf"}
    for _ in range(200):
        deep_json = {"arrayValue": {"values": [deep_json]}}
    document = {"resourceSpans": [{"scopeSpans": [{"spans": [{"traceId": TRACE.hex(), "spanId": SPAN.hex(), "name": "deep",
                                                                "attributes": [{"key": "deep", "value": deep_json}]}]}]}]}
    refused(module_server, json.dumps(document).encode(), JSON, 400)
    # Six levels are fine; the otel.span keeps four and writes the rest as "…"
    trace = bytes([7] * 16)
    status, _, _ = post(module_server.url, request(span("nested", trace, SPAN, attribute("nested", nested(6)))), PROTOBUF)
    assert status == 200
    (otel_span,) = [e for e in stored(module_server.url, trace.hex()) if e["type"] == "otel.span"]
    assert otel_span["data"]["attributes"]["nested"] == [[[["…"]]]]


def test_wrong_content_types_and_encodings_are_refused(module_server):
    body = recorded_request()
    for content_type in ("text/plain", "application/octet-stream", "application/x-ndjson", ""):
        assert "Content-Type" in refused(module_server, body, content_type or "none/none", 415)
    assert "Content-Encoding" in refused(module_server, body, PROTOBUF, 415, encoding="br")
    assert refused(module_server, b"\x1f\x8b\x08\x00garbage", PROTOBUF, 400, encoding="gzip")
    assert refused(module_server, gzip.compress(b"not json"), JSON, 400, encoding="gzip")
    bomb = gzip.compress(b"\0" * (64 << 20))  # 64 MiB of zeros in 64 KiB
    code, _, _ = post(module_server.url, bomb, PROTOBUF, "gzip")
    assert code in (400, 413) and module_server.process.poll() is None


def test_empty_and_malformed_json_bodies(module_server):
    status, _, answer = post(module_server.url, b"", PROTOBUF)
    assert (status, answer) == (200, b"")  # an empty ExportTraceServiceRequest: no spans
    status, _, answer = post(module_server.url, b"{}", JSON)
    assert (status, json.loads(answer)) == (200, {})
    assert "malformed JSON" in refused(module_server, b"", JSON, 400)
    assert "malformed JSON" in refused(module_server, b'{"resourceSpans": [', JSON, 400)
    assert "malformed JSON" in refused(module_server, b'[]', JSON, 400)
    for bad_span, reason in [({"traceId": 123}, "traceId must be a string"),
                             ({"traceId": TRACE.hex(), "spanId": SPAN.hex(), "kind": "SPAN_KIND_WRONG"}, "kind"),
                             ({"traceId": TRACE.hex(), "spanId": SPAN.hex(), "startTimeUnixNano": -5}, "startTimeUnixNano")]:
        document = {"resourceSpans": [{"scopeSpans": [{"spans": [bad_span]}]}]}
        assert reason in refused(module_server, json.dumps(document).encode(), JSON, 400), reason


def test_a_bad_span_is_refused_whole_and_alone(module_server):
    # Given one good span and one whose trace id is 15 bytes, in one request
    good_trace = bytes([5] * 16)
    body = request(span("fine", good_trace, SPAN), span("bad", bytes(15), SPAN))
    status, _, answer = post(module_server.url, body, PROTOBUF)
    # Then the good one is stored, the bad one counted in partial_success and stored nowhere
    partial = ExportTraceServiceResponse.FromString(answer).partial_success
    assert status == 200 and partial.rejected_spans == 1 and "traceId must be 16 bytes" in partial.error_message
    # And so in OTLP/JSON, for an id that is neither hex nor base64
    document = {"resourceSpans": [{"scopeSpans": [{"spans": [{"traceId": "0102", "spanId": SPAN.hex(), "name": "bad"}]}]}]}
    status, _, answer = post(module_server.url, json.dumps(document).encode(), JSON)
    assert status == 200 and json.loads(answer)["partialSuccess"]["rejectedSpans"] == "1"
    assert [e["type"] for e in stored(module_server.url, good_trace.hex())] == ["run.started", "otel.span", "run.completed"]
    assert {run["run"] for run in get_json(module_server.url, "/v1/runs?limit=100")["runs"]} >= {good_trace.hex()}
    assert all(len(run["run"]) == 32 for run in get_json(module_server.url, "/v1/runs?limit=100")["runs"])


def test_token_counts_that_overflow_when_added_do_not_crash_the_server(herald_server):
    usage = (attribute("gen_ai.operation.name", field(1, 2, text("chat")))
             + attribute("gen_ai.usage.input_tokens", field(3, 0, varint((1 << 63) - 1)))
             + attribute("gen_ai.usage.output_tokens", field(3, 0, varint(1))))
    try:
        status, _, _ = post(herald_server.url, request(span("chat", TRACE, SPAN, usage)), PROTOBUF, timeout=3)
    except OSError:  # reset, or no answer while the dying process prints its backtrace
        status = 0
    assert status < 500 and status != 0 and herald_server.process.poll() is None
