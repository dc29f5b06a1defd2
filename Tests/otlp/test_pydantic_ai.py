"""PydanticAI with its TestModel (offline) and its OpenTelemetry instrumentation on, exported with
the OTLP/HTTP exporter span by span as they end: the run streams in Herald."""

from __future__ import annotations

import random
import threading

import herald
from conftest import tracer_provider
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.id_generator import IdGenerator
from pydantic_ai import Agent
from pydantic_ai.models.instrumented import InstrumentationSettings
from pydantic_ai.models.test import TestModel


class KnownTrace(IdGenerator):
    """Random span ids under one trace id chosen in advance, so the stream can be opened first."""

    def __init__(self) -> None:
        self.trace_id = random.getrandbits(128) | 1

    def generate_trace_id(self) -> int:
        return self.trace_id

    def generate_span_id(self) -> int:
        return random.getrandbits(64) | 1


def test_a_pydantic_ai_run_streams_with_agents_tools_usage_and_causes(herald_server):
    # Given PydanticAI instrumented, its spans exported to Herald one by one as they end
    ids = KnownTrace()
    run = format(ids.trace_id, "032x")
    provider = tracer_provider(SimpleSpanProcessor(OTLPSpanExporter(endpoint=f"{herald_server.url}/otlp/v1/traces")), project="pyd")
    provider.id_generator = ids
    Agent.instrument_all(InstrumentationSettings(tracer_provider=provider))
    agent = Agent(TestModel(), name="weather_agent", instructions="Be brief.")

    @agent.tool_plain
    def get_weather(city: str) -> str:
        return f"sunny in {city}"

    # And Herald's SSE stream of the run, opened before the run exists
    streamed = []
    stream = herald.Client(herald_server.url, project="pyd").subscribe(run=run, after=0, wait=True, max_failures=3)
    follower = threading.Thread(target=lambda: streamed.extend(stream), daemon=True)
    follower.start()
    try:
        # When the agent runs (the test model calls every tool once, then answers)
        result = agent.run_sync("What is the weather in Paris?")
    finally:
        Agent.instrument_all(False)
    # Then the stream delivers the run to its end
    follower.join(10)
    assert not follower.is_alive(), f"the stream did not end: {[e.type for e in streamed]}"
    events = {}
    for event in streamed:
        events.setdefault(event.type, []).append(event)
    assert streamed[-1].type == "run.completed" and streamed[-1].data == {"summary": result.output}
    assert [e.seq for e in streamed] == list(range(1, len(streamed) + 1))
    # The agent, started and completed with PydanticAI's final result
    (started,), (completed,) = events["agent.started"], events["agent.completed"]
    assert started.agent == completed.agent == "weather_agent"
    assert completed.data["summary"] == result.output and completed.caused_by == [started.id]
    conversation = started.data["conversationId"]
    # The first span to arrive (a model call) names the agent it ran for, which titles the run
    assert events["run.started"][0].data == {"traceId": run, "name": "weather_agent", "conversationId": conversation}
    # The tool call, with its name, arguments and result, caused by the agent
    (call,) = events["tool.call_started"]
    assert call.agent == "weather_agent" and call.caused_by == [started.id]
    assert call.data["toolCallName"] == "get_weather" and call.data["toolCallId"] == "pyd_ai_tool_call_id__get_weather"
    (arguments,), (tool_result,) = events["tool.call_args"], events["tool.call_result"]
    assert arguments.data == {"toolCallId": call.data["toolCallId"], "delta": '{"city":"a"}'} and arguments.caused_by == [call.id]
    assert tool_result.data["content"] == "sunny in a" and tool_result.caused_by == [call.id]
    assert [e.caused_by for e in events["tool.call_completed"]] == [[call.id]]
    # Two model calls, each a step with its tokens and model, caused by the agent
    model_steps = events["step.started"]
    assert [(s.data["label"], s.agent, s.caused_by) for s in model_steps] == [("chat test", "weather_agent", [started.id])] * 2
    usage = [(e.data["tokensUsed"], e.data["inputTokens"], e.data["outputTokens"], e.data["model"]) for e in events["step.completed"]]
    assert len(usage) == 2 and all(tokens == i + o > 0 and model == "test" for tokens, i, o, model in usage)
    assert [e.caused_by for e in events["step.completed"]] == [[s.id] for s in model_steps]
    # The model's answer as a message of the second call
    assert [e.data["delta"] for e in events["message.delta"]] == [result.output]
    # Herald's run summary agrees
    summary = herald.Client(herald_server.url, project="pyd").run(run)
    assert summary["status"] == "completed"
