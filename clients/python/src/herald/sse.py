"""Server-Sent Events framing (the WHATWG EventSource rules), fed bytes as they arrive."""

from __future__ import annotations

from dataclasses import dataclass
from typing import List, Optional


@dataclass
class Message:
    """One dispatched SSE event: ``event`` defaults to ``"message"``; ``id`` is the last id seen."""

    event: str
    data: str
    id: Optional[str]


class SSEParser:
    """Splits a byte stream into messages. Lines end in CR LF, LF or CR; a blank line dispatches;
    comments (``:heartbeat``) are counted in ``comments``; ``retry:`` is kept in ``retry``
    (milliseconds)."""

    def __init__(self) -> None:
        self._buffer = b""
        self._data: List[str] = []
        self._event = ""
        self.last_id: Optional[str] = None
        self.retry: Optional[int] = None
        self.comments = 0
        self._pending_cr = False

    def feed(self, chunk: bytes) -> List[Message]:
        if self._pending_cr and chunk.startswith(b"\n"):
            chunk = chunk[1:]  # the LF of a CR LF split across two chunks
        self._pending_cr = False
        self._buffer += chunk
        messages: List[Message] = []
        while True:
            cut = _line_end(self._buffer)
            if cut is None:
                break
            end, width = cut
            line = self._buffer[:end]
            if width == 1 and self._buffer[end:end + 1] == b"\r":
                if end + 1 == len(self._buffer):
                    self._pending_cr = True
            self._buffer = self._buffer[end + width:]
            message = self._line(line.decode("utf-8", "replace"))
            if message is not None:
                messages.append(message)
        return messages

    def _line(self, line: str) -> Optional[Message]:
        if line == "":
            if not self._data:
                self._event = ""
                return None
            message = Message(self._event or "message", "\n".join(self._data), self.last_id)
            self._data, self._event = [], ""
            return message
        if line.startswith(":"):
            self.comments += 1
            return None
        name, _, value = line.partition(":")
        if value.startswith(" "):
            value = value[1:]
        if name == "data":
            self._data.append(value)
        elif name == "event":
            self._event = value
        elif name == "id":
            if "\0" not in value:
                self.last_id = value
        elif name == "retry" and value.isdigit():
            self.retry = int(value)
        return None


def _line_end(buffer: bytes):
    """(index, width) of the first line end in ``buffer``: CR LF (2), LF or a lone CR (1)."""
    lf = buffer.find(b"\n")
    cr = buffer.find(b"\r")
    if cr == -1 and lf == -1:
        return None
    if cr == -1 or (lf != -1 and lf < cr):
        return lf, 1
    if cr + 1 < len(buffer):
        return (cr, 2) if buffer[cr + 1:cr + 2] == b"\n" else (cr, 1)
    return cr, 1  # a CR at the end: a line end, and a following LF (next chunk) is dropped
