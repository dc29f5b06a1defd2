"""Herald from Python: publish what happens in an agent run, and follow runs live.

>>> import herald
>>> with herald.Emitter("http://127.0.0.1:7373", run="nightly-42", agent="planner") as h:
...     plan = h.decision("plan", new_value=["fetch", "summarise"])
...     h.task_started("t1", title="Fetch sources", caused_by=[plan])
...     h.run_completed()
>>> for item in herald.Client("http://127.0.0.1:7373").subscribe(run="nightly-42", after=0):
...     print(item)

Standard library only. The guide: docs/python.md in the Herald repository. ``HeraldSpanExporter``
(OpenTelemetry, :mod:`herald.otel`) and ``HeraldTracingProcessor`` (the OpenAI Agents SDK,
:mod:`herald.openai_agents`) are imported on first use, so ``import herald`` never imports either
framework.
"""

from .aio import AsyncClient, AsyncSubscription
from .client import HEARTBEAT, Client, Event, Gap, Heartbeat, Subscription
from .emitter import LEVELS, BoundEmitter, Counters, Emitter
from .errors import HeraldError
from .log_handler import HeraldHandler
from .sinks import FileSink, HTTPSink, Sink, StdoutSink
from ._vocabulary import DEFAULT_LEVELS, TERMINAL_TYPES

__version__ = "0.1.0"

_LAZY = {"HeraldSpanExporter": "otel", "HeraldTracingProcessor": "openai_agents"}


def __getattr__(name: str):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'herald' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(f".{module}", __name__), name)


__all__ = [
    "AsyncClient", "AsyncSubscription", "BoundEmitter", "Client", "Counters", "DEFAULT_LEVELS", "Emitter", "Event", "FileSink", "Gap",
    "HEARTBEAT", "Heartbeat", "HeraldError", "HeraldHandler", "HTTPSink", "LEVELS", "Sink", "StdoutSink", "Subscription", "TERMINAL_TYPES",
]
