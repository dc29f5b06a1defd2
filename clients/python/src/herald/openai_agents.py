"""The OpenAI Agents SDK's own tracing, live in Herald: a trace processor that emits each span's
first event when the span starts, so a run is followed while it runs, not after its spans end.

>>> import agents, herald
>>> from herald.openai_agents import HeraldTracingProcessor
>>> agents.add_trace_processor(HeraldTracingProcessor(herald.Emitter(project="team-a")))

(``agents.set_trace_processors([...])`` instead replaces the SDK's default processor, which exports
to OpenAI.) Importing this module needs only the standard library; the processor subclasses the
SDK's ``TracingProcessor`` when ``openai-agents`` is installed.

The mapping (docs/python.md has it as a table):

========================  ===========================================  ===================================
SDK callback              span data                                    Herald events
========================  ===========================================  ===================================
``on_trace_start``        the trace                                    ``run.started`` (``name``: the
                                                                       workflow, ``conversationId``:
                                                                       ``group_id``)
``on_span_start``         ``AgentSpanData``                            ``agent.started`` (agent: its name)
``on_span_start``         ``FunctionSpanData``                         ``tool.call_started`` (+
                                                                       ``tool.call_args`` if the input
                                                                       is known already)
``on_span_start``         generation, response, task, turn,            ``step.started``
                          guardrail, custom, MCP, speech …
``on_span_end``           ``AgentSpanData``                            ``agent.completed`` or
                                                                       ``agent.failed``
``on_span_end``           ``FunctionSpanData``                         ``tool.call_args``,
                                                                       ``tool.call_result``,
                                                                       ``tool.call_completed`` (+
                                                                       ``step.failed`` on error)
``on_span_end``           ``GenerationSpanData``, ``ResponseSpanData``  ``message.*`` with the answer's
                                                                       text, ``step.completed`` with
                                                                       ``tokensUsed`` and ``model`` (or
                                                                       ``step.failed``)
``on_span_end``           ``HandoffSpanData``                          ``decision`` (``handoff``, from
                                                                       agent → ``newValue`` agent)
``on_span_end``           any other                                    ``step.completed`` or
                                                                       ``step.failed``
``on_trace_end``          the trace                                    ``run.completed``, or
                                                                       ``run.failed`` when a top-level
                                                                       span or agent failed
========================  ===========================================  ===================================

The run is the SDK's ``trace_id``. Every event's id is hashed from the trace id, the span id and
the event's part (as the OTLP mapping does), so a processor called twice for the same span stores
it once; a span's first event names its parent's first event in ``causedBy``, its later events
name its first. Events carry the nearest agent's name.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Dict, List, Optional, Union

from ._adapter import EmitterAdapter
from ._span_mapping import MAX_TEXT_BYTES, clean_agent_name, event_id
from ._swift_text import clip, swift_json
from .emitter import BoundEmitter, Emitter

__all__ = ["HeraldTracingProcessor"]

logger = logging.getLogger("herald")

try:  # Only when the SDK is installed: herald itself needs nothing but the standard library.
    from agents.tracing import TracingProcessor as _TracingProcessor
except ImportError:  # pragma: no cover — exercised where the SDK is absent
    _TracingProcessor = object  # type: ignore[assignment,misc]

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


@dataclass
class _SpanState:
    first: str  # the id of the span's first event ("" until it has one)
    agent: Optional[str]  # its own agent, or the nearest one above it
    is_agent: bool
    args_sent: bool = False


@dataclass
class _TraceState:
    run: str
    started_id: str
    failure: Optional[str] = None
    root_first: Optional[str] = None


class HeraldTracingProcessor(EmitterAdapter, _TracingProcessor):  # type: ignore[misc,valid-type]
    """An OpenAI Agents SDK ``TracingProcessor`` that emits the run's events as they happen.

    Every callback queues on the emitter and returns (the emitter never blocks), and never raises.

    Args:
        emitter: the :class:`herald.Emitter` (or bound view) to emit through; its default project
            applies unless ``project`` is given.
        project: the project of the runs.
        shutdown_emitter: whether ``shutdown()`` shuts the emitter down (default: it flushes).
    """

    def __init__(self, emitter: Union[Emitter, BoundEmitter], *, project: Optional[str] = None, shutdown_emitter: bool = False) -> None:
        super().__init__(emitter, project=project, shutdown_emitter=shutdown_emitter)
        self._lock = threading.Lock()
        self._traces: Dict[str, _TraceState] = {}
        self._spans: Dict[str, _SpanState] = {}

    # MARK: Traces

    def on_trace_start(self, trace: Any) -> None:
        try:
            run = str(trace.trace_id)
            started = event_id(run.encode(), b"", "run")
            with self._lock:
                self._traces[run] = _TraceState(run, started)
            data: Dict[str, Any] = {}
            if trace.name:
                data["name"] = _text(str(trace.name))
            group = getattr(trace, "group_id", None)
            if group:
                data["conversationId"] = _text(str(group))
            self._emit(run, "run.started", data, id=started)
        except Exception as error:  # noqa: BLE001 — tracing must never break the run
            logger.error("herald: trace start not emitted: %r", error)

    def on_trace_end(self, trace: Any) -> None:
        try:
            run = str(trace.trace_id)
            with self._lock:
                state = self._traces.pop(run, None)
            if state is None:
                return
            causes = [state.root_first or state.started_id]
            end_id = event_id(run.encode(), b"", "run-end")
            if state.failure is not None:
                self._emit(run, "run.failed", {"error": _text(state.failure), "code": "agent_failed"}, id=end_id, caused_by=causes)
            else:
                self._emit(run, "run.completed", {}, id=end_id, caused_by=causes)
        except Exception as error:  # noqa: BLE001
            logger.error("herald: trace end not emitted: %r", error)

    # MARK: Spans

    def on_span_start(self, span: Any) -> None:
        try:
            self._span_started(span)
        except Exception as error:  # noqa: BLE001
            logger.error("herald: span start not emitted: %r", error)

    def on_span_end(self, span: Any) -> None:
        try:
            self._span_ended(span)
        except Exception as error:  # noqa: BLE001
            logger.error("herald: span end not emitted: %r", error)

    def _span_started(self, span: Any) -> None:
        run, span_id, data = str(span.trace_id), str(span.span_id), span.span_data
        kind = getattr(data, "type", "")
        with self._lock:
            parent = self._spans.get(str(span.parent_id)) if span.parent_id else None
            agent = parent.agent if parent is not None else None
            if kind == "agent":
                agent = clean_agent_name(str(data.name)) or "agent"
            elif kind == "turn" and getattr(data, "agent_name", None):
                agent = clean_agent_name(str(data.agent_name)) or agent
            state = _SpanState("", agent, kind == "agent")
            self._spans[span_id] = state
        at = _time_ns(span.started_at)
        if kind == "agent":
            self._span_event(span, state, "agent.started", "start", {"spanId": span_id}, at)
        elif kind == "function":
            self._span_event(span, state, "tool.call_started", "start",
                             {"spanId": span_id, "toolCallId": span_id, "toolCallName": _text(str(data.name))}, at)
            if data.input is not None:
                state.args_sent = True
                self._span_event(span, state, "tool.call_args", "args", {"toolCallId": span_id, "delta": _text(str(data.input))}, at)
        elif kind != "handoff":  # a handoff's target is known when it ends
            self._span_event(span, state, "step.started", "start", {"stepId": span_id, "label": _text(_label(data))}, at)

    def _span_ended(self, span: Any) -> None:
        run, span_id, data = str(span.trace_id), str(span.span_id), span.span_data
        kind = getattr(data, "type", "")
        with self._lock:
            state = self._spans.pop(span_id, None) or _SpanState("", None, kind == "agent")
            trace = self._traces.get(run)
        error = span.error
        message = _error_message(error) if error else None
        at = _time_ns(span.ended_at)
        if kind == "agent":
            if message is not None:
                self._span_event(span, state, "agent.failed", "end", {"spanId": span_id, "error": _text(message), "willRetry": False}, at)
            else:
                self._span_event(span, state, "agent.completed", "end", {"spanId": span_id}, at)
        elif kind == "function":
            if not state.args_sent and data.input is not None:
                self._span_event(span, state, "tool.call_args", "args", {"toolCallId": span_id, "delta": _text(str(data.input))}, at)
            result = f"error: {message}" if message is not None else None if data.output is None else str(data.output)
            if result is not None:
                self._span_event(span, state, "tool.call_result", "result", {"toolCallId": span_id, "messageId": f"{span_id}-result",
                                                                            "content": _text(result), "role": "tool"}, at)
            self._span_event(span, state, "tool.call_completed", "end", {"toolCallId": span_id}, at)
            if message is not None:
                self._span_event(span, state, "step.failed", "failed", {"stepId": span_id, "code": "error", "message": _text(message)}, at)
        elif kind == "handoff":
            from_agent = clean_agent_name(str(data.from_agent)) if data.from_agent else None
            decider = from_agent or state.agent
            if decider is not None and data.to_agent:
                decision = {"decisionType": "handoff", "newValue": str(data.to_agent)}
                if from_agent:
                    decision["oldValue"] = str(data.from_agent)
                self._span_event(span, state, "decision", "start", decision, at, agent=decider)
        else:
            model_call = kind in ("generation", "response")
            answer = _answer(data) if model_call else None
            if answer:
                self._span_event(span, state, "message.started", "message", {"messageId": span_id, "role": "assistant"}, at)
                self._span_event(span, state, "message.delta", "delta", {"messageId": span_id, "delta": _text(answer)}, at)
                self._span_event(span, state, "message.completed", "message-end", {"messageId": span_id}, at)
            if message is not None:
                self._span_event(span, state, "step.failed", "end", {"stepId": span_id, "code": "error", "message": _text(message)}, at)
            else:
                # Usage on model calls only: task and turn spans repeat their sums.
                self._span_event(span, state, "step.completed", "end", {"stepId": span_id, **(_usage(data) if model_call else {})}, at)
        top_level = not span.parent_id or (state.is_agent and not self._has_agent_above(span))
        if trace is not None and top_level:
            with self._lock:
                if trace.root_first is None or not span.parent_id:
                    trace.root_first = state.first or trace.root_first
                if message is not None and trace.failure is None:
                    trace.failure = message

    def _has_agent_above(self, span: Any) -> bool:
        """Whether an agent span encloses this one (its own parent chain is gone once it ended,
        so its agent differs from its own name only under another agent)."""
        with self._lock:
            parent = self._spans.get(str(span.parent_id)) if span.parent_id else None
        return parent is not None and parent.agent is not None

    def _span_event(self, span: Any, state: _SpanState, type_: str, part: str, data: Dict[str, Any], at: Optional[int],
                    agent: Optional[str] = None) -> None:
        """Emits one event of a span: its first names the parent's first, the others its first."""
        run, span_id = str(span.trace_id), str(span.span_id)
        if not state.first:
            state.first = event_id(run.encode(), span_id.encode(), "span")
            parent = str(span.parent_id) if span.parent_id else None
            causes = [event_id(run.encode(), parent.encode(), "span")] if parent else []
            self._emit(run, type_, data, id=state.first, caused_by=causes, agent=agent or state.agent, time_ns=at)
        else:
            self._emit(run, type_, data, id=event_id(run.encode(), span_id.encode(), part), caused_by=[state.first],
                       agent=agent or state.agent, time_ns=at)

    def _emit(self, run: str, type_: str, data: Dict[str, Any], *, id: str, caused_by: Optional[List[str]] = None,
              agent: Optional[str] = None, time_ns: Optional[int] = None) -> None:
        self.emitter.emit(type_, data, run=run, agent=agent, caused_by=caused_by, id=id, project=self.project, time_ns=time_ns)

    # MARK: Lifecycle

    def force_flush(self) -> None:
        self._flush()


# MARK: What spans say


def _text(value: str) -> str:
    return clip(value, MAX_TEXT_BYTES)[0]


def _time_ns(iso: Optional[str]) -> Optional[int]:
    """The SDK's ISO 8601 time as nanoseconds since the epoch (None: now, at the emit)."""
    if not iso:
        return None
    try:
        moment = datetime.fromisoformat(iso)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return (moment - _EPOCH) // _MICROSECOND * 1000


_MICROSECOND = datetime(1970, 1, 1, 0, 0, 0, 1, tzinfo=timezone.utc) - _EPOCH


def _label(data: Any) -> str:
    kind = getattr(data, "type", "") or type(data).__name__
    if kind == "generation" and getattr(data, "model", None):
        return f"generation {data.model}"
    if kind == "response" and getattr(getattr(data, "response", None), "model", None):
        return f"response {data.response.model}"
    if kind == "turn":
        return f"turn {data.turn}"
    if kind == "mcp_tools" and getattr(data, "server", None):
        return f"mcp_tools {data.server}"
    name = getattr(data, "name", None)
    return f"{kind} {name}" if name and kind != "custom" else str(name or kind)


def _error_message(error: Any) -> str:
    if isinstance(error, dict):
        message = error.get("message") or ""
        detail = error.get("data")
        if isinstance(detail, dict) and list(detail) == ["error"]:
            detail = detail["error"]  # the SDK's {"error": "…"}
        if detail:
            message = f"{message}: {swift_json(detail) if isinstance(detail, (dict, list)) else detail}" if message else str(detail)
        return message or "span failed"
    return str(error) or "span failed"


def _answer(data: Any) -> Optional[str]:
    """The text a model answered: a generation's output messages, or a response's output text."""
    response = getattr(data, "response", None)
    if response is not None:
        text = getattr(response, "output_text", None)
        return text if isinstance(text, str) and text else None
    texts: List[str] = []
    _collect_text(getattr(data, "output", None), texts, 0)
    return "\n".join(texts) if texts else None


def _collect_text(value: Any, texts: List[str], depth: int) -> None:
    if depth > 6 or value is None:
        return
    if isinstance(value, (list, tuple)):
        for item in value:
            _collect_text(item, texts, depth + 1)
    elif isinstance(value, dict):
        content = value.get("content")
        if value.get("type") in ("output_text", "text") and isinstance(value.get("text"), str):
            texts.append(value["text"])
        elif isinstance(content, str) and value.get("role") == "assistant":
            texts.append(content)
        elif isinstance(content, list):
            _collect_text(content, texts, depth + 1)
        if isinstance(value.get("output"), list):
            _collect_text(value["output"], texts, depth + 1)


def _usage(data: Any) -> Dict[str, Any]:
    """Token usage and model of a generation or response span."""
    usage = getattr(data, "usage", None)
    response = getattr(data, "response", None)
    if usage is None and response is not None and getattr(response, "usage", None) is not None:
        usage = response.usage.model_dump() if hasattr(response.usage, "model_dump") else None
    out: Dict[str, Any] = {}
    if isinstance(usage, dict):
        input_tokens = usage.get("input_tokens", usage.get("prompt_tokens"))
        output_tokens = usage.get("output_tokens", usage.get("completion_tokens"))
        total = usage.get("total_tokens")
        if total is None and (isinstance(input_tokens, int) or isinstance(output_tokens, int)):
            total = (input_tokens or 0) + (output_tokens or 0)
        if isinstance(total, int):
            out["tokensUsed"] = max(0, total)
        if isinstance(input_tokens, int):
            out["inputTokens"] = input_tokens
        if isinstance(output_tokens, int):
            out["outputTokens"] = output_tokens
    model = getattr(data, "model", None) or getattr(response, "model", None)
    if isinstance(model, str) and model:
        out["model"] = clip(model, 256)[0]
    return out
