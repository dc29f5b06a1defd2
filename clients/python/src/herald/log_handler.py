"""A ``logging.Handler`` that publishes log records as ``agent.log`` events."""

from __future__ import annotations

import logging
import threading
from typing import Optional

from .emitter import Emitter, on_sender_thread

__all__ = ["HeraldHandler"]

# Python levels → Herald verbosity: a reader at `decision` sees warnings, at `detail` everything.
_LEVELS = ((logging.ERROR, "system"), (logging.WARNING, "decision"), (logging.INFO, "action"))

_inside = threading.local()


class HeraldHandler(logging.Handler):
    """Turns log records into ``agent.log`` events through an emitter.

    >>> logging.getLogger().addHandler(herald.HeraldHandler(emitter))

    ``data`` holds ``line`` (the formatted message), ``severity`` (the record's level name),
    ``logger`` and, for exceptions, ``exception``. The agent is the handler's ``agent``, else the
    emitter's, else the logger's name. ERROR and above map to level ``system``, WARNING to
    ``decision``, INFO to ``action``, DEBUG to ``detail``.

    No feedback loops: records made on the emitter's sender thread, by Herald's own ``herald``
    logger, or while this handler is already emitting are skipped.
    """

    def __init__(self, emitter: Emitter, *, agent: Optional[str] = None, level: int = logging.NOTSET) -> None:
        super().__init__(level)
        self.emitter = emitter
        self.agent = agent

    def emit(self, record: logging.LogRecord) -> None:
        if getattr(_inside, "active", False) or on_sender_thread() or record.name == "herald" or record.name.startswith("herald."):
            return
        _inside.active = True
        try:
            data = {"line": self.format(record) if self.formatter else record.getMessage(), "severity": record.levelname, "logger": record.name}
            if record.exc_info and record.exc_info[0] is not None:
                data["exception"] = logging.Formatter().formatException(record.exc_info)
            level = next((name for threshold, name in _LEVELS if record.levelno >= threshold), "detail")
            self.emitter.emit("agent.log", data, agent=self.agent or self.emitter.agent or record.name, level=level)
        except Exception:  # noqa: BLE001 — logging must never fail the caller
            self.handleError(record)
        finally:
            _inside.active = False
