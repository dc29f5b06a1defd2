"""Fixtures: the real ``herald`` binary (the Python client suite's harness, reused), an OTLP/HTTP
poster, and one nested agent trace recorded with the OpenTelemetry SDK.

HERALD_BIN names the binary (default: the repository's ``.build/debug/herald``).
"""

from __future__ import annotations

import http.client
import importlib.util
import json
import time
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import pytest

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("herald_fixtures", ROOT / "clients" / "python" / "tests" / "conftest.py")
herald_fixtures = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(herald_fixtures)  # type: ignore[union-attr]

# The client suite's fixtures: a server on a random loopback port per test, killed at the end.
start_herald = herald_fixtures.start_herald
herald_server = herald_fixtures.herald_server
wait_until = herald_fixtures.wait_until
Herald = herald_fixtures.Herald


@pytest.fixture(scope="module")
def module_server(tmp_path_factory):
    """One server for a module whose tests each use their own runs (faster than one per test)."""
    server = Herald(tmp_path_factory.mktemp("herald") / "data", []).start()
    yield server
    server.stop(9)


def post(url: str, body: bytes, content_type: str, encoding: Optional[str] = None, timeout: float = 30) -> Tuple[int, Dict[str, str], bytes]:
    """``POST /otlp/v1/traces`` with raw http.client: (status, headers, body)."""
    host = url.split("//", 1)[1]
    connection = http.client.HTTPConnection(host, timeout=timeout)
    headers = {"Content-Type": content_type}
    if encoding:
        headers["Content-Encoding"] = encoding
    try:
        connection.request("POST", "/otlp/v1/traces", body=body, headers=headers)
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


def get_json(url: str, path: str) -> Any:
    host = url.split("//", 1)[1]
    connection = http.client.HTTPConnection(host, timeout=30)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        body = response.read()
        assert response.status == 200, (path, response.status, body)
        return json.loads(body)
    finally:
        connection.close()


def stored(url: str, run: str, project: Optional[str] = None) -> List[Dict[str, Any]]:
    """Every event of a run, from ``GET /v1/runs/{run}/events``."""
    query = "?limit=1000" + (f"&project={project}" if project else "")
    return get_json(url, f"/v1/runs/{run}/events{query}")["events"]


def wait_for_events(url: str, run: str, count: int, project: Optional[str] = None, timeout: float = 10) -> List[Dict[str, Any]]:
    """The run's events once at least ``count`` are stored (an emitter delivers on its own thread)."""
    def ready():
        try:
            events = stored(url, run, project)
        except AssertionError:
            return None
        return events if len(events) >= count else None

    return wait_until(ready, timeout=timeout)


def shape(events: List[Dict[str, Any]]) -> List[Tuple[Any, ...]]:
    """What the mapping decides of each event: everything but what the server adds."""
    return [(e["type"], e.get("agent"), e["data"], list(e["data"]), e["id"], e.get("causedBy", []), e["time"]) for e in events]


# MARK: One nested agent trace


def tracer_provider(*processors: Any, project: Optional[str] = None):
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider

    attributes = {"service.name": "otlp-test"}
    if project:
        attributes["herald.project"] = project
    provider = TracerProvider(resource=Resource.create(attributes))
    for processor in processors:
        provider.add_span_processor(processor)
    return provider


def record_agent_trace(provider, agent: str = "planner") -> str:
    """invoke_agent → chat (usage, answer) + execute_tool (arguments, result) + an unknown span +
    a failing tool (status ERROR, an exception event); answers the trace id in hex.

    Times are given, a millisecond apart, so the events' order is the test's, not the clock's."""
    from opentelemetry import trace
    from opentelemetry.trace import SpanKind, Status, StatusCode

    tracer = provider.get_tracer("herald.tests.otlp", "1.0")
    base = (time.time_ns() // 1_000_000 - 60_000) * 1_000_000  # a minute ago, on a whole millisecond
    ms = 1_000_000
    root = tracer.start_span(f"invoke_agent {agent}", kind=SpanKind.INTERNAL, start_time=base, attributes={
        "gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": agent, "gen_ai.agent.description": "plans the trip",
        "gen_ai.conversation.id": "conv-7", "final_result": "Paris: 21 °C, sunny"})
    context = trace.set_span_in_context(root)
    chat = tracer.start_span("chat gpt-4o", context=context, kind=SpanKind.CLIENT, start_time=base + 1 * ms, attributes={
        "gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-4o", "gen_ai.response.model": "gpt-4o-2024-08-06",
        "gen_ai.usage.input_tokens": 120, "gen_ai.usage.output_tokens": 14,
        "gen_ai.output.messages": json.dumps([{"role": "assistant", "parts": [
            {"type": "text", "content": "Checking the weather."}, {"type": "tool_call", "name": "get_weather"}]}])})
    chat.end(end_time=base + 3 * ms)
    tool = tracer.start_span("execute_tool get_weather", context=context, start_time=base + 4 * ms, attributes={
        "gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "get_weather", "gen_ai.tool.call.id": "call_1",
        "gen_ai.tool.call.arguments": '{"city":"Paris"}', "gen_ai.tool.call.result": '{"temp":21}'})
    tool.end(end_time=base + 6 * ms)
    other = tracer.start_span("cache lookup", context=context, start_time=base + 7 * ms, attributes={
        "cache.key": "paris", "cache.hit": True, "cache.size": 3, "cache.ratio": 0.5, "cache.tags": ("a", "b")})
    other.end(end_time=base + 7 * ms + 250_000)
    flaky = tracer.start_span("execute_tool flaky", context=context, start_time=base + 8 * ms, attributes={
        "gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "flaky"})
    flaky.record_exception(ValueError("upstream timed out"), timestamp=base + 9 * ms)
    flaky.set_status(Status(StatusCode.ERROR))
    flaky.end(end_time=base + 9 * ms)
    root.end(end_time=base + 10 * ms)
    return format(root.get_span_context().trace_id, "032x")
