"""OpenTelemetry spans as Herald events: the server's OTLP mapping (SpanMapping.swift), in Python.

The same spans give the same events here as through ``POST /otlp/v1/traces`` — the same types,
data fields in the same order, agents, ids, ``causedBy`` and times — so a process may send its spans
through a :class:`herald.Emitter` instead of OTLP/HTTP and see the very same run. docs/otlp.md has
the table; the rules in brief:

- a run is a trace (its name is the trace id in lowercase hex), ended by its root span;
- each span becomes the events of its kind — agent (``gen_ai.operation.name`` ``invoke_agent`` or
  ``create_agent``, OpenInference ``AGENT``), tool call (``execute_tool``, ``TOOL``), model call
  (``chat``, ``text_completion``, ``generate_content``, ``embeddings``, ``LLM``, ``EMBEDDING``), step
  (any other operation or OpenInference kind), else one ``otel.span`` event;
- ids are ULIDs hashed from the trace id, the span id and the event's part, so a span sent twice is
  stored once and a child names its parent's first event before the parent has ended.
"""

from __future__ import annotations

import json
import math
import re
import time
from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple, Union

from ._swift_text import clip, swift_double, swift_json
from ._ulid import _encode

__all__ = ["SpanRecord", "SpanEvent", "MappedSpans", "map_spans", "event_id", "rfc3339"]

#: The longest text kept (tool arguments and results, answers, attribute strings), in UTF-8 bytes.
MAX_TEXT_BYTES = 32 << 10
#: How many attributes an ``otel.span`` event keeps, and how deep their values nest.
MAX_ATTRIBUTES = 64
MAX_ATTRIBUTE_TEXT_BYTES = 4 << 10
MAX_ATTRIBUTES_BYTES = 64 << 10
MAX_VALUE_DEPTH = 4

Attributes = Union[Mapping[str, Any], Sequence[Tuple[str, Any]]]


@dataclass
class SpanEvent:
    """An event inside a span (``exception`` is the one the mapping reads)."""

    name: str
    time_ns: int = 0
    attributes: Attributes = ()


@dataclass
class SpanRecord:
    """One finished span, whatever produced it: ids as bytes (16, 8, and 8 or empty for a root),
    OTLP's span kind (1 internal … 5 consumer), times in nanoseconds since the epoch, attribute
    values as Python values (``str``, ``bool``, ``int``, ``float``, ``bytes``, lists, dicts, ``None``),
    OTLP's status code (0 unset, 1 ok, 2 error)."""

    trace_id: bytes
    span_id: bytes
    parent_span_id: bytes = b""
    name: str = ""
    kind: int = 0
    start_ns: int = 0
    end_ns: int = 0
    attributes: Attributes = ()
    events: Sequence[SpanEvent] = ()
    status_code: int = 0
    status_message: str = ""
    resource: Attributes = ()
    scope: str = ""


@dataclass
class MappedSpans:
    """The events of a batch of spans, in the order to send them, and the spans refused."""

    #: Event objects in the ingest shape (``id``, ``project``, ``run``, ``type``, ``time``,
    #: ``agent``, ``causedBy``, ``data``); ``project`` is left out when neither the span's resource
    #: nor ``default_project`` names one.
    events: List[Dict[str, Any]] = field(default_factory=list)
    #: Each event's time in microseconds since the epoch.
    times: List[int] = field(default_factory=list)
    #: Each event's span (its index in the batch), or ``None`` for a run's ``run.started``.
    span_of_event: List[Optional[int]] = field(default_factory=list)
    #: ``(index, reason)`` of each span that could not be mapped.
    refused: List[Tuple[int, str]] = field(default_factory=list)


# MARK: Ids and times

_FNV_PRIME = 0x100000001B3
_MASK = (1 << 64) - 1


def _hash64(seed: int, parts: Iterable[bytes]) -> int:
    """FNV-1a over each part (each closed by a 0xFF separator), finished with SplitMix64's mixer."""
    state = seed
    for part in parts:
        for byte in part:
            state = ((state ^ byte) * _FNV_PRIME) & _MASK
        state = ((state ^ 0xFF) * _FNV_PRIME) & _MASK
    z = (state + 0x9E3779B97F4A7C15) & _MASK
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
    return z ^ (z >> 31)


def event_id(trace_id: bytes, span_id: bytes, part: str) -> str:
    """The ULID of one event of a span: the same span and part give the same id in every process.
    Its 48 "time" bits hash the trace alone (a trace's events sit together in the server's id
    index); they are not a time."""
    parts = (bytes(trace_id), bytes(span_id), part.encode("utf-8"))
    high = (_hash64(0xCBF29CE484222325, (bytes(trace_id),)) >> 16 << 16) | (_hash64(0xCBF29CE484222325, parts) & 0xFFFF)
    return _encode(high << 64 | _hash64(0x6C62272E07BB0142, parts))


def rfc3339(micros: int) -> str:
    """RFC 3339 UTC with microseconds, as the server writes times."""
    seconds, fraction = divmod(micros, 1_000_000)
    days, second_of_day = divmod(seconds, 86_400)
    year, month, day = _civil_from_days(days)
    hour, rest = divmod(second_of_day, 3600)
    return f"{year:04d}-{month:02d}-{day:02d}T{hour:02d}:{rest // 60:02d}:{rest % 60:02d}.{fraction:06d}Z"


def _civil_from_days(days: int) -> Tuple[int, int, int]:
    """Howard Hinnant's days-to-date, as the server's Timestamp uses (any year, no time zone data)."""
    days += 719_468
    era = days // 146_097
    day_of_era = days - era * 146_097
    year_of_era = (day_of_era - day_of_era // 1460 + day_of_era // 36_524 - day_of_era // 146_096) // 365
    day_of_year = day_of_era - (365 * year_of_era + year_of_era // 4 - year_of_era // 100)
    month_index = (5 * day_of_year + 2) // 153
    day = day_of_year - (153 * month_index + 2) // 5 + 1
    month = month_index + 3 if month_index < 10 else month_index - 9
    return year_of_era + era * 400 + (1 if month <= 2 else 0), month, day


_INT64 = (-(1 << 63), (1 << 63) - 1)
_UINT64_MAX = (1 << 64) - 1


def _start_micros(span: SpanRecord) -> int:
    nanos = min(max(span.start_ns or span.end_ns or 0, 0), _UINT64_MAX)
    return min(nanos // 1000, _INT64[1])


def _end_micros(span: SpanRecord) -> int:
    return max(_start_micros(span), min(min(max(span.end_ns or 0, 0), _UINT64_MAX) // 1000, _INT64[1]))


# MARK: Attribute values (OTLP's AnyValue)

_MISSING = object()


def _pairs(attributes: Attributes) -> List[Tuple[str, Any]]:
    return list(attributes.items()) if isinstance(attributes, Mapping) else [tuple(pair) for pair in attributes]  # type: ignore[misc]


def _lookup(pairs: List[Tuple[str, Any]], key: str) -> Any:
    """The value of the last attribute named ``key`` (``_MISSING`` when none is)."""
    for name, value in reversed(pairs):
        if name == key:
            return value
    return _MISSING


def _first(pairs: List[Tuple[str, Any]], *keys: str) -> Any:
    """The first of ``keys`` that is present (whatever its type), like Swift's ``a ?? b``."""
    for key in keys:
        value = _lookup(pairs, key)
        if value is not _MISSING:
            return value
    return _MISSING


def _string(value: Any) -> Optional[str]:
    return value if isinstance(value, str) else None


_INTEGER = re.compile(r"[+-]?[0-9]+\Z")


def _integer(value: Any) -> Optional[int]:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if math.isfinite(value) and value == math.floor(value) and abs(value) < 9e18 else None
    if isinstance(value, str) and _INTEGER.match(value):
        number = int(value)
        return number if _INT64[0] <= number <= _INT64[1] else None
    return None


def _value_text(value: Any) -> str:
    """The value as one line of text, for names and labels."""
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return swift_double(value)
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).hex()
    return swift_json(_value_json(value, 8))


def _value_json(value: Any, max_depth: int) -> Any:
    """The value as JSON: key-value lists become objects, bytes hex, nesting past ``max_depth`` the
    string ``"…"``, non-finite doubles strings."""
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, float):
        return _number(value) if math.isfinite(value) else swift_double(value)
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).hex()
    if isinstance(value, Mapping):
        return "…" if max_depth <= 0 else {str(k): _value_json(v, max_depth - 1) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return "…" if max_depth <= 0 else [_value_json(v, max_depth - 1) for v in value]
    return str(value)


def _number(value: float) -> Union[int, float]:
    """A double as the server writes it: integral ones below 10^15 as integers."""
    return int(value) if value == math.floor(value) and abs(value) < 1e15 else value


# MARK: Spans


class _Span:
    """A record with its attributes looked up the server's way (the last of a key wins)."""

    def __init__(self, record: SpanRecord) -> None:
        self.record = record
        self.trace_id = bytes(record.trace_id)
        self.span_id = bytes(record.span_id)
        self.parent_id = bytes(record.parent_span_id or b"")
        self.attributes = _pairs(record.attributes)
        self.resource = _pairs(record.resource)
        self.is_root = not self.parent_id

    def __getitem__(self, key: str) -> Any:
        return _lookup(self.attributes, key)

    def get_string(self, key: str) -> Optional[str]:
        return _string(self[key])


def _problem(span: _Span) -> Optional[str]:
    name = span.record.name[:64]
    if len(span.trace_id) != 16 or not any(span.trace_id):
        return f"span {name}: traceId must be 16 bytes, not all zero"
    if len(span.span_id) != 8 or not any(span.span_id):
        return f"span {name}: spanId must be 8 bytes, not all zero"
    if span.parent_id and len(span.parent_id) != 8:
        return f"span {name}: parentSpanId must be 8 bytes or empty"
    return None


_AGENT, _TOOL, _MODEL, _STEP, _OTHER = "agent", "tool", "model", "step", "other"
_RUN_NAME = re.compile(r"[A-Za-z0-9._:-]{1,128}\Z")


def _kind(span: _Span) -> str:
    operation = span.get_string("gen_ai.operation.name")
    if operation is not None:
        if operation in ("invoke_agent", "create_agent"):
            return _AGENT
        if operation == "execute_tool":
            return _TOOL
        if operation in ("chat", "text_completion", "generate_content", "embeddings"):
            return _MODEL
        return _STEP
    kind = span.get_string("openinference.span.kind")
    if kind is None:
        return _OTHER
    kind = kind.upper()
    return _AGENT if kind == "AGENT" else _TOOL if kind == "TOOL" else _MODEL if kind in ("LLM", "EMBEDDING") else _STEP


def clean_agent_name(name: str) -> Optional[str]:
    """An agent name as the server keeps it: printable, commas as spaces, trimmed, ≤ 128 bytes."""
    printable = "".join(c for c in name if ord(c) >= 0x20 and ord(c) != 0x7F).replace(",", " ")
    cleaned = printable.strip(" \t")
    return clip(cleaned, 128)[0] if cleaned else None


def _own_agent_name(span: _Span) -> Optional[str]:
    named = span.get_string("gen_ai.agent.name")
    if named is None:
        named = span.get_string("agent.name")
    if named is None and _kind(span) == _AGENT:
        named = span.record.name
        for prefix in ("invoke_agent ", "create_agent "):
            if named.startswith(prefix):
                named = named[len(prefix):]
                break
    return None if named is None else clean_agent_name(named)


def _agent_name(span: _Span, by_id: Dict[Tuple[bytes, bytes], _Span]) -> Optional[str]:
    """The span's own agent, or the nearest agent among its ancestors in this batch."""
    current = span
    for _ in range(64):
        name = _own_agent_name(current)
        if name is not None:
            return name
        parent = None if current.is_root else by_id.get((current.trace_id, current.parent_id))
        if parent is None:
            return None
        current = parent
    return None


def _failure(span: _Span) -> Optional[Tuple[str, str]]:
    """(code, message) of a span whose status is ERROR: the status message, or its exception's."""
    if span.record.status_code != 2:
        return None
    exception = None
    for event in span.record.events:
        if event.name == "exception":
            exception = _pairs(event.attributes)
    kind = _string(_lookup(exception, "exception.type")) if exception is not None else None
    if kind is None:
        kind = span.get_string("error.type")
    exception_message = (_string(_lookup(exception, "exception.message")) if exception is not None else None) or ""
    message = span.record.status_message or exception_message or kind or "span failed"
    return kind if kind is not None else "error", message


def _model_output(span: _Span) -> Optional[str]:
    """The text parts of ``gen_ai.output.messages``, or OpenInference's first output message."""
    messages = span["gen_ai.output.messages"]
    if messages is not _MISSING:
        parsed = _parse_json(messages) if isinstance(messages, str) else _value_json(messages, 8)
        texts = []
        if isinstance(parsed, list):
            for message in parsed:
                parts = message.get("parts") if isinstance(message, dict) else None
                if not isinstance(parts, list):
                    continue
                for part in parts:
                    if isinstance(part, dict) and part.get("type") == "text" and isinstance(part.get("content"), str):
                        texts.append(part["content"])
        if texts:
            return "\n".join(texts)
    return span.get_string("llm.output_messages.0.message.content")


def _agent_output(span: _Span) -> Optional[str]:
    """What an agent or root span answered: PydanticAI's ``final_result``, ``output.value``, or the
    text of ``gen_ai.output.messages``."""
    value = _first(span.attributes, "final_result", "output.value")
    return _value_text(value) if value is not _MISSING else _model_output(span)


def _parse_json(text: str) -> Any:
    """The JSON document ``text`` as the server reads it (32 levels at most, no NaN), or None."""
    def refuse(_: str) -> Any:
        raise ValueError("not JSON")

    try:
        # The first of duplicate keys wins, as in the server's reader.
        value = json.loads(text, parse_constant=refuse, object_pairs_hook=lambda pairs: dict(reversed(pairs)))
    except (ValueError, RecursionError):
        return None
    return value if _depth(value) <= 32 else None


def _depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    return 0


# MARK: The mapping


def map_spans(spans: Sequence[SpanRecord], default_project: Optional[str] = None) -> MappedSpans:
    """The events of a batch of finished spans, as ``POST /otlp/v1/traces`` makes them.

    Per run (a project and a trace), in the order runs first appear: a ``run.started`` (one per
    batch, with an id hashed from the trace id alone, so the first stored wins), the spans' events
    by time (a span's own keep their order), then the root span's ``run.completed`` or
    ``run.failed``. The project is the resource attribute ``herald.project``, else
    ``default_project``.
    """
    result = MappedSpans()
    wrapped = [_Span(span) for span in spans]
    by_id: Dict[Tuple[bytes, bytes], _Span] = {}
    for span in wrapped:
        if len(span.trace_id) == 16 and len(span.span_id) == 8:
            by_id[(span.trace_id, span.span_id)] = span
    runs: Dict[Tuple[Optional[str], str], _PendingRun] = {}
    for index, span in enumerate(wrapped):
        problem = _problem(span)
        if problem is not None:
            result.refused.append((index, problem))
            continue
        project = _string(_lookup(span.resource, "herald.project"))
        if project is None:
            project = default_project
        if project is not None and not _RUN_NAME.match(project):
            result.refused.append((index, f"resource attribute herald.project {project[:64]} is not a project name ([A-Za-z0-9._:-]{{1,128}})"))
            continue
        ref = (project, span.trace_id.hex())
        run = runs.setdefault(ref, _PendingRun())
        run.add(span, index, _events(span, _agent_name(span, by_id), ref))
    for ref, run in runs.items():
        event, micros = _run_started(ref, run, wrapped)
        result.events.append(event)
        result.times.append(micros)
        result.span_of_event.append(None)
        ordered = sorted(enumerate(run.events), key=lambda item: (item[1].ends_run, item[1].time, item[0]))
        for _, pending in ordered:
            result.events.append(pending.json)
            result.times.append(pending.time)
            result.span_of_event.append(pending.span)
    return result


@dataclass
class _Pending:
    json: Dict[str, Any]
    time: int
    span: int = 0
    ends_run: bool = False


class _PendingRun:
    def __init__(self) -> None:
        self.events: List[_Pending] = []
        self.spans: List[_Span] = []  # the span of each event
        self.earliest: Optional[int] = None
        self.root: Optional[_Span] = None
        self.conversation: Optional[str] = None

    def add(self, span: _Span, index: int, events: List[_Pending]) -> None:
        for event in events:
            event.span = index
            self.events.append(event)
            self.spans.append(span)
        start = _start_micros(span.record)
        self.earliest = start if self.earliest is None else min(self.earliest, start)
        if span.is_root:
            self.root = span
        if self.conversation is None:
            self.conversation = span.get_string("gen_ai.conversation.id")


def _text(value: str) -> str:
    return clip(value, MAX_TEXT_BYTES)[0]


def _events(span: _Span, agent: Optional[str], ref: Tuple[Optional[str], str]) -> List[_Pending]:
    record = span.record
    start, end = _start_micros(record), _end_micros(record)
    hex_id = span.span_id.hex()
    parent = [] if span.is_root else [event_id(span.trace_id, span.parent_id, "span")]
    first = event_id(span.trace_id, span.span_id, "span")
    failure = _failure(span)
    events: List[_Pending] = []
    project, run = ref

    # The span's first event is named by its children's causedBy; the rest follow from it.
    def add(type_: str, part: str, at: int, data: Dict[str, Any], agent: Optional[str] = agent, ends_run: bool = False) -> None:
        caused_by = parent if not events else [first]
        event: Dict[str, Any] = {"id": first if not events else event_id(span.trace_id, span.span_id, part)}
        if project is not None:
            event["project"] = project
        event.update(run=run, type=type_, time=rfc3339(at))
        if agent is not None:
            event["agent"] = agent
        if caused_by:
            event["causedBy"] = list(caused_by)
        event["data"] = data
        events.append(_Pending(event, at, ends_run=ends_run))

    def step_failed(failure: Tuple[str, str]) -> Dict[str, Any]:
        return {"stepId": hex_id, "code": _text(failure[0]), "message": _text(failure[1])}

    kind = _kind(span)
    if kind == _AGENT:
        name = agent if agent is not None else "agent"
        started: Dict[str, Any] = {"spanId": hex_id}
        description = span.get_string("gen_ai.agent.description")
        if description is not None:
            started["role"] = _text(description)
        conversation = span.get_string("gen_ai.conversation.id")
        if conversation is not None:
            started["conversationId"] = _text(conversation)
        add("agent.started", "start", start, started, agent=name)
        if failure is not None:
            add("agent.failed", "end", end, {"spanId": hex_id, "error": _text(failure[1]), "willRetry": False}, agent=name)
        else:
            completed: Dict[str, Any] = {"spanId": hex_id}
            output = _agent_output(span)
            if output is not None:
                completed["summary"] = _text(output)
            add("agent.completed", "end", end, completed, agent=name)
    elif kind == _TOOL:
        call_id = span.get_string("gen_ai.tool.call.id") or hex_id
        tool = span.get_string("gen_ai.tool.name")
        if tool is None:
            tool = span.get_string("tool.name")
        add("tool.call_started", "start", start, {"spanId": hex_id, "toolCallId": _text(call_id),
                                                   "toolCallName": _text(tool if tool is not None else record.name)})
        arguments = _first(span.attributes, "gen_ai.tool.call.arguments", "tool.parameters", "input.value")
        if arguments is not _MISSING:
            add("tool.call_args", "args", start, {"toolCallId": _text(call_id), "delta": _text(_value_text(arguments))})
        if failure is not None:
            result: Optional[str] = f"error: {failure[1]}"
        else:
            value = _first(span.attributes, "gen_ai.tool.call.result", "output.value")
            result = _value_text(value) if value is not _MISSING else None
        if result is not None:
            add("tool.call_result", "result", end, {"toolCallId": _text(call_id), "messageId": f"{hex_id}-result",
                                                     "content": _text(result), "role": "tool"})
        add("tool.call_completed", "end", end, {"toolCallId": _text(call_id)})
        if failure is not None:
            add("step.failed", "failed", end, step_failed(failure))
    elif kind == _MODEL:
        add("step.started", "start", start, {"stepId": hex_id, "label": _text(record.name)})
        answer = _model_output(span)
        if answer is not None:
            add("message.started", "message", end, {"messageId": hex_id, "role": "assistant"})
            add("message.delta", "delta", end, {"messageId": hex_id, "delta": _text(answer)})
            add("message.completed", "message-end", end, {"messageId": hex_id})
        if failure is not None:
            add("step.failed", "end", end, step_failed(failure))
        else:
            add("step.completed", "end", end, {"stepId": hex_id, **_usage(span)})
    elif kind == _STEP:
        add("step.started", "start", start, {"stepId": hex_id, "label": _text(record.name)})
        if failure is not None:
            add("step.failed", "end", end, step_failed(failure))
        else:
            add("step.completed", "end", end, {"stepId": hex_id})
    else:
        add("otel.span", "span", end, _otel_span(span, start, end, failure))
    if span.is_root:
        if failure is not None:
            add("run.failed", "run-end", end, {"error": _text(failure[1]), "code": _text(failure[0])}, ends_run=True)
        else:
            completed = {}
            output = _agent_output(span)
            if output is not None:
                completed["summary"] = _text(output)
            add("run.completed", "run-end", end, completed, ends_run=True)
    return events


def _usage(span: _Span) -> Dict[str, Any]:
    """Token usage and model of a model call, under Herald's ``tokensUsed`` and beside it."""
    value = _first(span.attributes, "gen_ai.usage.input_tokens", "llm.token_count.prompt")
    input_tokens = _integer(value) if value is not _MISSING else None
    value = _first(span.attributes, "gen_ai.usage.output_tokens", "llm.token_count.completion")
    output_tokens = _integer(value) if value is not _MISSING else None
    total_value = span["llm.token_count.total"]
    total = _integer(total_value) if total_value is not _MISSING else None
    if total is None:
        # Saturated at Int64's bounds, as the server clamps it.
        total = min(max((input_tokens or 0) + (output_tokens or 0), _INT64[0]), _INT64[1])
    data: Dict[str, Any] = {}
    if input_tokens is not None or output_tokens is not None or total_value is not _MISSING:
        data["tokensUsed"] = max(0, total)
    if input_tokens is not None:
        data["inputTokens"] = input_tokens
    if output_tokens is not None:
        data["outputTokens"] = output_tokens
    model = _string(_first(span.attributes, "gen_ai.response.model", "gen_ai.request.model", "llm.model_name"))
    if model is not None:
        data["model"] = clip(model, 256)[0]
    return data


def _otel_span(span: _Span, start: int, end: int, failure: Optional[Tuple[str, str]]) -> Dict[str, Any]:
    """An unknown span, kept whole but bounded."""
    record = span.record
    data: Dict[str, Any] = {"name": _text(record.name), "spanId": span.span_id.hex(), "kind": int(record.kind),
                            "startTime": rfc3339(start), "durationMs": _number((end - start) / 1000)}
    if span.parent_id:
        data["parentSpanId"] = span.parent_id.hex()
    if record.scope:
        data["scope"] = _text(record.scope)
    if failure is not None:
        data["error"] = {"code": _text(failure[0]), "message": _text(failure[1])}
    # At most MAX_ATTRIBUTES, each string cut to 4 KiB, and no more than 64 KiB of them as JSON.
    kept: Dict[str, Any] = {}
    count = size = 0
    for key, value in span.attributes[:MAX_ATTRIBUTES]:
        value = _bounded(_value_json(value, MAX_VALUE_DEPTH), MAX_ATTRIBUTE_TEXT_BYTES)
        size += len(key.encode("utf-8", "surrogatepass")) + len(swift_json(value).encode("utf-8", "surrogatepass"))
        if size > MAX_ATTRIBUTES_BYTES:
            break
        kept[clip(key, 256)[0]] = value
        count += 1
    if kept:
        data["attributes"] = kept
    if len(span.attributes) > count:
        data["droppedAttributes"] = len(span.attributes) - count
    return data


def _bounded(value: Any, limit: int) -> Any:
    """Strings anywhere in an attribute value kept to ``limit`` bytes."""
    if isinstance(value, str):
        return clip(value, limit)[0]
    if isinstance(value, list):
        return [_bounded(v, limit) for v in value]
    if isinstance(value, dict):
        return {k: _bounded(v, limit) for k, v in value.items()}
    return value


def _run_started(ref: Tuple[Optional[str], str], run: _PendingRun, spans: List[_Span]) -> Tuple[Dict[str, Any], int]:
    project, run_name = ref
    data: Dict[str, Any] = {"traceId": run_name}
    # The root span names the run (its agent, if it is one); until it arrives (it ends last), the
    # first agent named does.
    if run.root is not None:
        title = (_own_agent_name(run.root) or run.root.record.name) if _kind(run.root) == _AGENT else run.root.record.name
        data["name"] = _text(title)
    else:
        first_agent = next((event.json["agent"] for event in run.events if "agent" in event.json), None)
        if first_agent is not None:
            data["name"] = first_agent
    if run.conversation is not None:
        data["conversationId"] = _text(run.conversation)
    micros = run.earliest if run.earliest is not None else _now_micros()
    event: Dict[str, Any] = {"id": event_id(run_name.encode(), b"", "run")}
    if project is not None:
        event["project"] = project
    event.update(run=run_name, type="run.started", time=rfc3339(micros), data=data)
    return event, micros


def _now_micros() -> int:
    return time.time_ns() // 1000
