"""The OpenAI Agents SDK with a fake model and herald's trace processor: the run is live in
Herald while it runs (its tool is held until Herald's stream has shown the tool call)."""

from __future__ import annotations

import asyncio
import os
import threading

os.environ.setdefault("OPENAI_API_KEY", "sk-test-not-used")  # nothing goes to OpenAI: the model is fake

import agents  # noqa: E402
import herald  # noqa: E402
from agents import Agent, Runner, function_tool, generation_span, set_trace_processors  # noqa: E402
from agents.items import ModelResponse  # noqa: E402
from agents.models.interface import Model  # noqa: E402
from agents.usage import Usage  # noqa: E402
from conftest import stored  # noqa: E402
from herald.openai_agents import HeraldTracingProcessor  # noqa: E402
from herald.otel import event_id  # noqa: E402
from openai.types.responses import ResponseFunctionToolCall, ResponseOutputMessage, ResponseOutputText  # noqa: E402


class FakeModel(Model):
    """Answers a function call first, then text; records a generation span as real models do."""

    def __init__(self, fail: bool = False) -> None:
        self.calls = 0
        self.fail = fail

    async def get_response(self, system_instructions, input, model_settings, tools, output_schema, handoffs, tracing, **_):
        self.calls += 1
        with generation_span(model="fake-model-1", input=[{"role": "user", "content": str(input)[:100]}]) as span:
            if self.fail:
                raise RuntimeError("the model is down")
            if self.calls == 1:
                output = [ResponseFunctionToolCall(type="function_call", call_id="call_1", name="get_weather",
                                                   arguments='{"city":"Paris"}', id="fc_1", status="completed")]
            else:
                output = [ResponseOutputMessage(id="msg_1", type="message", role="assistant", status="completed",
                                                content=[ResponseOutputText(type="output_text", text="Sunny, 21 °C", annotations=[])])]
            span.span_data.output = [item.model_dump() for item in output]
            span.span_data.usage = {"input_tokens": 40 * self.calls, "output_tokens": 7, "total_tokens": 40 * self.calls + 7}
        return ModelResponse(output=output, usage=Usage(requests=1, input_tokens=40 * self.calls, output_tokens=7,
                                                        total_tokens=40 * self.calls + 7), response_id=None)

    def stream_response(self, *args, **kwargs):
        raise NotImplementedError


def run_traced(agent: Agent, trace_id: str, group_id: str):
    async def main():
        with agents.trace("Weather workflow", trace_id=trace_id, group_id=group_id):
            return await Runner.run(agent, "What is the weather in Paris?")

    return asyncio.run(main())


def test_a_run_is_live_in_herald_before_it_ends(herald_server):
    # Given herald's processor as the SDK's only trace processor (nothing exported to OpenAI)
    emitter = herald.Emitter(herald_server.url, project="agents")
    set_trace_processors([HeraldTracingProcessor(emitter)])
    trace_id = agents.gen_trace_id()
    seen, released = [], threading.Event()
    ended_before_release, released_in_time = [], []

    def watch():  # Herald's own SSE stream, as a dashboard reads it
        for item in herald.Client(herald_server.url, project="agents").subscribe(run=trace_id, after=0, wait=True, max_failures=3):
            seen.append(item)
            types = {e.type for e in seen}
            if {"agent.started", "tool.call_started"} <= types and not released.is_set():
                ended_before_release.append("run.completed" in types)
                released.set()

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()

    @function_tool
    def get_weather(city: str) -> str:
        """The weather in a city."""
        # Held until the stream has shown the agent and this very call: the run is live
        released_in_time.append(released.wait(8))
        return f"Sunny, 21 °C in {city}"

    agent = Agent(name="forecaster", instructions="Answer about the weather.", model=FakeModel(), tools=[get_weather])
    # When the agent runs
    result = run_traced(agent, trace_id, "conversation-9")
    # Then the stream showed the tool call while the tool ran, and followed the run to its end
    assert released_in_time == [True] and ended_before_release == [False]
    assert result.final_output == "Sunny, 21 °C"
    watcher.join(10)
    assert not watcher.is_alive() and seen[-1].type == "run.completed"
    assert emitter.shutdown(5).failed == 0
    events = stored(herald_server.url, trace_id, project="agents")
    assert [e["id"] for e in events] == [e.id for e in seen]
    by_type = {}
    for event in events:
        by_type.setdefault(event["type"], []).append(event)
    assert [(e["type"], e.get("agent")) for e in events] == [
        ("run.started", None),
        ("step.started", None),  # the SDK's task span
        ("agent.started", "forecaster"),
        ("step.started", "forecaster"),  # turn 1
        ("step.started", "forecaster"),  # the first model call: a function call, no text
        ("step.completed", "forecaster"),
        ("tool.call_started", "forecaster"),
        ("tool.call_args", "forecaster"), ("tool.call_result", "forecaster"), ("tool.call_completed", "forecaster"),
        ("step.completed", "forecaster"),  # turn 1
        ("step.started", "forecaster"),  # turn 2
        ("step.started", "forecaster"),
        ("message.started", "forecaster"), ("message.delta", "forecaster"), ("message.completed", "forecaster"),
        ("step.completed", "forecaster"),
        ("step.completed", "forecaster"),
        ("agent.completed", "forecaster"),
        ("step.completed", None),
        ("run.completed", None),
    ]
    assert events[0]["data"] == {"name": "Weather workflow", "conversationId": "conversation-9"}
    assert events[1]["data"]["label"] == "task Agent workflow" and events[3]["data"]["label"] == "turn 1"
    call = by_type["tool.call_started"][0]
    assert call["data"]["toolCallName"] == "get_weather"
    assert by_type["tool.call_args"][0]["data"]["delta"] == '{"city":"Paris"}'
    assert by_type["tool.call_result"][0]["data"]["content"] == "Sunny, 21 °C in Paris"
    assert [e["data"]["delta"] for e in by_type["message.delta"]] == ["Sunny, 21 °C"]
    model_steps = [e for e in by_type["step.completed"] if "tokensUsed" in e["data"]]
    assert [(e["data"]["tokensUsed"], e["data"]["inputTokens"], e["data"]["outputTokens"], e["data"]["model"]) for e in model_steps] == [
        (47, 40, 7, "fake-model-1"), (87, 80, 7, "fake-model-1")]
    # Causality: each span's first event names its parent's; the tool call hangs under turn 1
    agent_started = by_type["agent.started"][0]
    assert agent_started["causedBy"] == [events[1]["id"]]
    assert events[3]["causedBy"] == [agent_started["id"]] and call["causedBy"] == [events[3]["id"]]
    assert by_type["tool.call_completed"][0]["causedBy"] == [call["id"]]
    assert events[-1]["causedBy"] == [events[1]["id"]]
    # Ids are hashed from the SDK's trace and span ids, so a span reported twice is stored once
    span_id = call["data"]["spanId"]
    assert call["id"] == event_id(trace_id.encode(), span_id.encode(), "span")


def test_a_failing_agent_fails_the_run(herald_server):
    emitter = herald.Emitter(herald_server.url, project="agents")
    set_trace_processors([HeraldTracingProcessor(emitter)])
    trace_id = agents.gen_trace_id()
    agent = Agent(name="forecaster", model=FakeModel(fail=True))
    try:
        run_traced(agent, trace_id, "conversation-10")
    except RuntimeError as error:
        assert "the model is down" in str(error)
    else:
        raise AssertionError("the run should have raised")
    assert emitter.shutdown(5).failed == 0
    events = stored(herald_server.url, trace_id, project="agents")
    types = [e["type"] for e in events]
    assert types[0] == "run.started" and types[-1] == "run.failed"
    agent_failed = next(e for e in events if e["type"] == "agent.failed")
    assert agent_failed["agent"] == "forecaster" and agent_failed["data"]["error"] == "Error in agent run: the model is down"
    assert events[-1]["data"] == {"error": "Error in agent run: the model is down", "code": "agent_failed"}
