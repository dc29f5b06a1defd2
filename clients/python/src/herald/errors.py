"""The one error type: what the server answered, or why no answer came."""

from __future__ import annotations

import json
from typing import Any, List, Optional


class HeraldError(Exception):
    """A refusal from the server (``status``, ``code``, ``message``, ``details`` as it answered them),
    or a failure to reach it (``status`` 0, ``code`` ``"unreachable"``).

    >>> try:
    ...     client.run("nope")
    ... except HeraldError as e:
    ...     e.status, e.code       # (404, 'run_not_found')
    """

    def __init__(self, status: int, code: str, message: str, details: Optional[List[Any]] = None,
                 retry_after: Optional[float] = None) -> None:
        super().__init__(f"{status} {code}: {message}" if status else f"{code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.details: List[Any] = details or []
        self.retry_after = retry_after

    @classmethod
    def from_response(cls, status: int, body: bytes, retry_after: Optional[str] = None) -> "HeraldError":
        """Reads ``{"error": {"code", "message", "details"}}``; anything else keeps its text."""
        seconds = _seconds(retry_after)
        try:
            error = json.loads(body)["error"]
            return cls(status, str(error.get("code", "error")), str(error.get("message", "")), error.get("details") or [], seconds)
        except (ValueError, KeyError, TypeError, AttributeError):
            text = body.decode("utf-8", "replace").strip()[:500]
            return cls(status, "http_error", text or f"HTTP {status}", [], seconds)


def _seconds(value: Optional[str]) -> Optional[float]:
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None
