"""Herald from Python: publish what happens in an agent run, and follow runs live.

>>> import herald
>>> with herald.Emitter("http://127.0.0.1:7373", run="nightly-42", agent="planner") as h:
...     plan = h.decision("plan", new_value=["fetch", "summarise"])
...     h.task_started("t1", title="Fetch sources", caused_by=[plan])
...     h.run_completed()
>>> for item in herald.Client("http://127.0.0.1:7373").subscribe(run="nightly-42", after=0):
...     print(item)

Standard library only. The guide: docs/python.md in the Herald repository.
"""

from .aio import AsyncClient, AsyncSubscription
from .client import HEARTBEAT, Client, Event, Gap, Heartbeat, Subscription
from .emitter import LEVELS, BoundEmitter, Counters, Emitter
from .errors import HeraldError
from .log_handler import HeraldHandler
from .sinks import FileSink, HTTPSink, Sink, StdoutSink
from ._vocabulary import DEFAULT_LEVELS, TERMINAL_TYPES

__version__ = "0.1.0"

__all__ = [
    "AsyncClient", "AsyncSubscription", "BoundEmitter", "Client", "Counters", "DEFAULT_LEVELS", "Emitter", "Event", "FileSink", "Gap",
    "HEARTBEAT", "Heartbeat", "HeraldError", "HeraldHandler", "HTTPSink", "LEVELS", "Sink", "StdoutSink", "Subscription", "TERMINAL_TYPES",
]
