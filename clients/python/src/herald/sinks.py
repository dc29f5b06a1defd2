"""Where an emitter's batches go: a Herald server over HTTP, JSON lines on stdout, rotating files.

A sink takes a list of encoded event lines (one JSON object each, without the newline) and stores
them all or raises. :class:`Rejected` and :class:`TooLarge` are final for the events they name;
any other exception is taken as temporary and the same lines (the same ids) are delivered again.
"""

from __future__ import annotations

import http.client
import json
import os
import sys
import time
import urllib.parse
from typing import IO, Dict, List, Optional

from .errors import HeraldError

__all__ = ["Sink", "HTTPSink", "StdoutSink", "FileSink", "Rejected", "TooLarge", "Unavailable"]


class Rejected(Exception):
    """These events (by index in the batch) are refused for good, each with its reason."""

    def __init__(self, reasons: Dict[int, str]) -> None:
        super().__init__("; ".join(f"#{i}: {r}" for i, r in sorted(reasons.items())))
        self.reasons = reasons


class TooLarge(Exception):
    """The batch is larger than the destination takes at once: the emitter splits it."""


class Unavailable(Exception):
    """Temporary: retry, not before ``retry_after`` seconds when the server said so."""

    def __init__(self, message: str, retry_after: Optional[float] = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Sink:
    """The interface: ``deliver`` is called from the emitter's one sender thread, batch after batch."""

    def deliver(self, lines: List[str]) -> Optional[Dict[int, str]]:
        """Stores the lines in order. Answers the ones refused for good (by index, with the reason)
        when the others were stored all the same; ``None`` when all were stored."""
        raise NotImplementedError

    def close(self) -> None:
        """Called once after the last delivery."""

    def after_fork(self) -> None:
        """Called in a forked child: drop whatever belongs to the parent (connections, files)."""


class HTTPSink(Sink):
    """``POST /v1/events?partial=true`` as NDJSON, on one kept-alive connection.

    Partial ingest: the server stores the valid events of a batch and names each refused one, so
    one bad event costs one request, not a request per refusal.

    Connecting gives up after ``connect_timeout`` (2 s) so the emitter's own backoff decides when
    to try again; an answer may take up to ``timeout`` (the server answers after its commit).
    """

    def __init__(self, url: str, *, token: Optional[str] = None, timeout: float = 30.0, connect_timeout: float = 2.0) -> None:
        self.base = _BaseURL(url)
        self.timeout = timeout
        self.connect_timeout = connect_timeout
        self.headers = {"Content-Type": "application/x-ndjson", "Accept": "application/json"}
        token = token if token is not None else os.environ.get("HERALD_TOKEN")
        if token:
            self.headers["Authorization"] = f"Bearer {token}"
        self._connection: Optional[http.client.HTTPConnection] = None

    def deliver(self, lines: List[str]) -> Optional[Dict[int, str]]:
        body = ("\n".join(lines) + "\n").encode("utf-8")
        try:
            status, answer, retry_after = self._post(body)
        except (OSError, http.client.HTTPException) as error:
            self._drop_connection()
            raise Unavailable(f"{self.base.origin} unreachable: {error}") from None
        if status == 200:
            try:
                rejected = json.loads(answer).get("rejected") or []
            except (ValueError, AttributeError):
                raise Unavailable(f"{self.base.origin} answered 200 with a body that is not Herald's") from None
            return {r["index"]: f"{r.get('code')}: {r.get('message')}" for r in rejected} or None
        refusal = HeraldError.from_response(status, answer, retry_after)
        if status == 413:
            raise TooLarge(refusal.message)
        if status in (408, 429) or status >= 500:
            raise Unavailable(str(refusal), refusal.retry_after)
        indexed: Dict[int, str] = {}
        for detail in refusal.details:
            index = detail.get("index") if isinstance(detail, dict) else None
            if isinstance(index, int) and 0 <= index < len(lines):
                reason = f"{refusal.code}: {detail.get('message', refusal.message)}"
                indexed[index] = indexed[index] + "; " + reason if index in indexed else reason
        if not indexed:
            # A refusal of the whole request (credentials, a wrong URL): nothing in it can pass.
            indexed = {i: str(refusal) for i in range(len(lines))}
        raise Rejected(indexed)

    def _post(self, body: bytes):
        for attempt in (1, 2):
            fresh = self._connection is None
            connection = self._connect()
            try:
                connection.request("POST", self.base.path("/v1/events", {"partial": True}), body=body, headers=self.headers)
                response = connection.getresponse()
                answer = response.read()
            except (ConnectionResetError, BrokenPipeError, http.client.RemoteDisconnected):
                # A kept-alive connection the server closed meanwhile: one fresh try. The ids make a
                # second delivery of a batch that did arrive harmless.
                self._drop_connection()
                if fresh or attempt == 2:
                    raise
                continue
            if response.getheader("Connection", "").lower() == "close":
                self._drop_connection()
            return response.status, answer, response.getheader("Retry-After")
        raise AssertionError("unreachable")

    def _connect(self) -> http.client.HTTPConnection:
        if self._connection is None:
            connection = self.base.connection(self.connect_timeout)
            connection.connect()
            if connection.sock is not None:
                connection.sock.settimeout(self.timeout)
            self._connection = connection
        return self._connection

    def _drop_connection(self) -> None:
        if self._connection is not None:
            try:
                self._connection.close()
            except OSError:
                pass
            self._connection = None

    def close(self) -> None:
        self._drop_connection()

    def after_fork(self) -> None:
        self._connection = None  # the parent's socket: leave it to the parent


class StdoutSink(Sink):
    """One event per line on stdout (or ``stream``): the lines ``herald emit --stdin`` takes.

    For producers that print JSON today: ``python orchestrator.py | herald emit --stdin``. A failed
    write is final (retrying could double lines).
    """

    def __init__(self, stream: Optional[IO[str]] = None) -> None:
        self.stream = stream

    def deliver(self, lines: List[str]) -> None:
        stream = self.stream or sys.stdout
        try:
            stream.write("\n".join(lines) + "\n")
            stream.flush()
        except (OSError, ValueError) as error:
            raise Rejected({i: f"write failed: {error}" for i in range(len(lines))}) from None
        return None


class FileSink(Sink):
    """Rotating JSONL files (R-file) that ``herald import DIRECTORY`` loads later.

    Lines go to ``<directory>/<prefix>.jsonl``; once it would pass ``max_bytes`` it is renamed to
    ``<prefix>-YYYYMMDDTHHMMSS.ffffffZ.jsonl`` (UTC, strictly increasing) and a new file starts.
    Whole lines only; ``sync=True`` fsyncs every batch. A write error (a full disk) is retried:
    lines written twice are stored once on import, by their ids.
    """

    def __init__(self, directory: str, *, prefix: str = "events", max_bytes: int = 500 * 1024 * 1024, sync: bool = False) -> None:
        if max_bytes <= 0:
            raise ValueError("max_bytes must be positive")
        self.directory = directory
        self.prefix = prefix
        self.max_bytes = max_bytes
        self.sync = sync
        self._file: Optional[IO[bytes]] = None
        self._size = 0
        self._last_stamp = 0

    @property
    def current_path(self) -> str:
        return os.path.join(self.directory, self.prefix + ".jsonl")

    def deliver(self, lines: List[str]) -> None:
        data = ("\n".join(lines) + "\n").encode("utf-8")
        file = self._open()
        if self._size > 0 and self._size + len(data) > self.max_bytes:
            self._rotate()
            file = self._open()
        try:
            file.write(data)
            file.flush()
            if self.sync:
                os.fsync(file.fileno())
        except OSError:
            # A write cut short (a full disk) must not leave a torn line for the retry to follow.
            self.close()
            try:
                os.truncate(self.current_path, self._size)
            except OSError:
                pass
            raise
        self._size += len(data)

    def _open(self) -> IO[bytes]:
        if self._file is None:
            os.makedirs(self.directory, mode=0o700, exist_ok=True)
            self._file = open(self.current_path, "ab")
            self._size = self._file.tell()
        return self._file

    def _rotate(self) -> None:
        assert self._file is not None
        self._file.close()
        self._file = None
        stamp = max(time.time_ns() // 1000, self._last_stamp + 1)
        while os.path.exists(self._rotated_path(stamp)):
            stamp += 1
        self._last_stamp = stamp
        os.rename(self.current_path, self._rotated_path(stamp))

    def _rotated_path(self, microseconds: int) -> str:
        seconds, micro = divmod(microseconds, 1_000_000)
        stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime(seconds)) + f".{micro:06d}Z"
        return os.path.join(self.directory, f"{self.prefix}-{stamp}.jsonl")

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def after_fork(self) -> None:
        self._file = None


class _BaseURL:
    """A server's base URL, split once: scheme, host, port and path prefix."""

    def __init__(self, url: str) -> None:
        parts = urllib.parse.urlsplit(url if "://" in url else "http://" + url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not a Herald URL: {url!r} (expected http://host:port)")
        self.scheme = parts.scheme
        self.host = parts.hostname
        self.port = parts.port or (443 if parts.scheme == "https" else 80)
        self.prefix = parts.path.rstrip("/")
        self.origin = f"{parts.scheme}://{parts.netloc}"

    def path(self, path: str, query: Optional[Dict[str, object]] = None) -> str:
        text = self.prefix + path
        if query:
            pairs = [(k, _query_value(v)) for k, v in query.items() if v is not None]
            if pairs:
                text += "?" + urllib.parse.urlencode(pairs, safe="*,:")
        return text

    def connection(self, timeout: float) -> http.client.HTTPConnection:
        if self.scheme == "https":
            return http.client.HTTPSConnection(self.host, self.port, timeout=timeout)
        return http.client.HTTPConnection(self.host, self.port, timeout=timeout)


def _query_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple, set, frozenset)):
        return ",".join(str(v) for v in value)
    return str(value)

