"""OpenTelemetry spans to Herald through an :class:`herald.Emitter`, for processes that want the
emitter's non-blocking delivery (a bounded queue, one sender thread, retries) instead of OTLP/HTTP.

>>> from opentelemetry.sdk.trace import TracerProvider
>>> from opentelemetry.sdk.trace.export import BatchSpanProcessor
>>> from herald.otel import HeraldSpanExporter
>>> provider = TracerProvider()
>>> provider.add_span_processor(BatchSpanProcessor(HeraldSpanExporter(herald.Emitter(project="team-a"))))

The spans become exactly the events ``POST /otlp/v1/traces`` would make of them (the mapping is
the server's, see ``herald._span_mapping`` and docs/otlp.md): the same ids, so a span delivered both
ways, or twice, is stored once. Importing this module needs only the standard library;
``HeraldSpanExporter`` is an ``opentelemetry.sdk.trace.export.SpanExporter`` when the SDK is
installed (``pip install opentelemetry-sdk``).
"""

from __future__ import annotations

import logging
from typing import Any, Sequence, Union

from ._adapter import EmitterAdapter
from ._span_mapping import MappedSpans, SpanEvent, SpanRecord, event_id, map_spans, rfc3339
from .emitter import BoundEmitter, Emitter

__all__ = ["HeraldSpanExporter", "SpanRecord", "SpanEvent", "MappedSpans", "map_spans", "span_record", "emit_mapped", "event_id", "rfc3339"]

logger = logging.getLogger("herald")

try:  # Only when the SDK is installed: herald itself needs nothing but the standard library.
    from opentelemetry.sdk.trace.export import SpanExporter as _SpanExporter
    from opentelemetry.sdk.trace.export import SpanExportResult as _SpanExportResult

    _SUCCESS: Any = _SpanExportResult.SUCCESS
except ImportError:  # pragma: no cover — exercised where the SDK is absent
    _SpanExporter = object  # type: ignore[assignment,misc]
    _SUCCESS = 0


def span_record(span: Any) -> SpanRecord:
    """An OpenTelemetry SDK ``ReadableSpan`` as the mapping's neutral record, read the way the OTLP
    exporter encodes it (OTLP's span kind is the SDK's plus one)."""
    context = span.get_span_context()
    parent = span.parent
    scope = span.instrumentation_scope
    status = span.status
    return SpanRecord(
        trace_id=context.trace_id.to_bytes(16, "big"),
        span_id=context.span_id.to_bytes(8, "big"),
        parent_span_id=parent.span_id.to_bytes(8, "big") if parent else b"",
        name=span.name or "",
        kind=span.kind.value + 1,
        start_ns=span.start_time or 0,
        end_ns=span.end_time or 0,
        attributes=dict(span.attributes or {}),
        events=[SpanEvent(event.name, event.timestamp or 0, dict(event.attributes or {})) for event in span.events],
        status_code=status.status_code.value if status is not None else 0,
        status_message=(status.description or "") if status is not None else "",
        resource=dict(span.resource.attributes) if span.resource is not None else {},
        scope=scope.name if scope is not None else "",
    )


class HeraldSpanExporter(EmitterAdapter, _SpanExporter):  # type: ignore[misc,valid-type]
    """An OpenTelemetry ``SpanExporter`` that emits finished spans' events through a Herald emitter.

    ``export`` maps the batch and queues its events (``Emitter.emit`` with the events' own ids and
    times) and returns ``SUCCESS`` at once: delivery, retries and shutdown are the emitter's. A
    span's project is its resource attribute ``herald.project``, else ``project``, else the
    emitter's default. Give it an emitter without a default agent (events the mapping leaves
    without one would take it) and the default verbosity (``detail``: tool arguments and message
    deltas are detail events).

    Args:
        emitter: the :class:`herald.Emitter` (or a bound view) to emit through.
        project: the project of spans whose resource names none.
        shutdown_emitter: whether ``shutdown()`` also shuts the emitter down (default: it only
            flushes, since the emitter may be shared).
    """

    def export(self, spans: Sequence[Any]) -> Any:
        """Queues the events of ``spans``; never blocks on the network, never raises."""
        try:
            records = [span_record(span) for span in spans]
            mapped = map_spans(records, self.project)
            for index, reason in mapped.refused:
                logger.error("herald: span %d of the batch not exported: %s", index, reason)
            emit_mapped(self.emitter, mapped)
        except Exception as error:  # noqa: BLE001 — an exporter must not break the processor
            logger.error("herald: spans not exported: %r", error)
        return _SUCCESS

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        return self._flush(timeout_millis / 1000)


def emit_mapped(emitter: Union[Emitter, BoundEmitter], mapped: MappedSpans) -> None:
    """Queues mapped events on ``emitter``, each with its own id, time, agent and causes."""
    for event, micros in zip(mapped.events, mapped.times):
        emitter.emit(event["type"], event["data"], run=event["run"], agent=event.get("agent"), caused_by=event.get("causedBy"),
                     id=event["id"], project=event.get("project"), time_ns=micros * 1000)
