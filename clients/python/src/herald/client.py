"""Reading Herald: queries, and live subscriptions that resume by themselves."""

from __future__ import annotations

import http.client
import json
import logging
import os
import random
import socket
import time
from datetime import datetime
from dataclasses import dataclass
from typing import Any, Dict, Iterable, Iterator, List, Mapping, Optional, Sequence, Union
from urllib.parse import quote

from .errors import HeraldError
from .sinks import _BaseURL
from .sse import SSEParser
from ._vocabulary import TERMINAL_TYPES

__all__ = ["Client", "Event", "Gap", "Heartbeat", "HEARTBEAT", "Subscription"]

logger = logging.getLogger("herald")


class Event(dict):  # type: ignore[type-arg]
    """One stored event: the server's JSON object, with attribute access to its fields.

    ``event["data"]`` and ``event.data`` are the same; absent optional fields read as ``None``.
    """

    @property
    def id(self) -> str:
        return self["id"]

    @property
    def type(self) -> str:
        return self["type"]

    @property
    def run(self) -> str:
        return self["run"]

    @property
    def project(self) -> str:
        return self.get("project", "default")

    @property
    def seq(self) -> int:
        return self["seq"]

    @property
    def level(self) -> str:
        return self["level"]

    @property
    def time(self) -> str:
        return self["time"]

    @property
    def datetime(self) -> datetime:
        """``time`` as an aware ``datetime`` (UTC)."""
        return datetime.strptime(self["time"], "%Y-%m-%dT%H:%M:%S.%f%z")

    @property
    def agent(self) -> Optional[str]:
        return self.get("agent")

    @property
    def turn(self) -> Optional[int]:
        return self.get("turn")

    @property
    def caused_by(self) -> List[str]:
        return self.get("causedBy") or []

    @property
    def data(self) -> Dict[str, Any]:
        return self.get("data") or {}

    @property
    def is_terminal(self) -> bool:
        """``run.completed``, ``run.failed`` or ``run.cancelled``: the run's last event."""
        return self["type"] in TERMINAL_TYPES


@dataclass(frozen=True)
class Gap:
    """A stream's in-band notice (``herald.gap``) that it continues after ``continues_after``
    instead of where the reader asked: the resume point was ahead of the stream (``reason``
    ``"ahead"``) or retention deleted what lay between (``"retention"``)."""

    reason: str
    requested: int
    continues_after: int
    message: str


StreamItem = Union[Event, Gap, "Heartbeat"]


class Client:
    """Queries and live subscriptions over Herald's HTTP API.

    >>> client = herald.Client("http://127.0.0.1:7373")
    >>> for run in client.runs(status="active"): print(run["run"], run["status"])
    >>> for event in client.events("nightly-42", types=["step.*"]): print(event.seq, event.type)
    >>> for item in client.subscribe(run="nightly-42", after=0): print(item)

    Args:
        url: the server (default ``$HERALD_URL`` or ``http://127.0.0.1:7373``).
        token: a bearer key or JWT (default ``$HERALD_TOKEN``).
        project: the project of the runs named in run calls, sent as ``?project=``; needed only
            by a caller that reaches several projects (``docs/notes/projects-and-runs.md``).
        timeout: seconds to wait for a query's answer.

    Every failure raises :class:`~herald.HeraldError` with the server's ``status``, ``code``,
    ``message`` and ``details`` (status 0, code ``unreachable``, when no answer came).
    """

    def __init__(self, url: Optional[str] = None, *, token: Optional[str] = None, project: Optional[str] = None, timeout: float = 30.0) -> None:
        self.base = _BaseURL(url or os.environ.get("HERALD_URL") or "http://127.0.0.1:7373")
        self.project = project
        self.timeout = timeout
        token = token if token is not None else os.environ.get("HERALD_TOKEN")
        self.headers = {"Accept": "application/json"}
        if token:
            self.headers["Authorization"] = f"Bearer {token}"

    # MARK: Queries

    def runs(self, *, status: Optional[str] = None, project: Optional[str] = None, limit: Optional[int] = None,
             cursor: Optional[str] = None) -> List[Dict[str, Any]]:
        """One page of runs, newest first (``status`` may be ``active``); see :meth:`iter_runs`."""
        return self.runs_page(status=status, project=project, limit=limit, cursor=cursor)["runs"]

    def runs_page(self, *, status: Optional[str] = None, project: Optional[str] = None, limit: Optional[int] = None,
                  cursor: Optional[str] = None) -> Dict[str, Any]:
        """``{"runs": [...], "nextCursor": ...}`` as the server answers it."""
        return self._get("/v1/runs", {"status": status, "project": project or self.project, "limit": limit, "cursor": cursor})

    def iter_runs(self, *, status: Optional[str] = None, project: Optional[str] = None, page_size: int = 100) -> Iterator[Dict[str, Any]]:
        """Every run, page after page."""
        cursor: Optional[str] = None
        while True:
            page = self.runs_page(status=status, project=project, limit=page_size, cursor=cursor)
            yield from page["runs"]
            cursor = page.get("nextCursor")
            if not cursor:
                return

    def run(self, run: str, *, project: Optional[str] = None) -> Dict[str, Any]:
        """One run: status, times, counts, agents, subscribers."""
        return self._get(f"/v1/runs/{_segment(run)}", {"project": project or self.project})

    def events_page(self, run: str, *, after: Optional[int] = None, before: Optional[int] = None, limit: Optional[int] = None,
                    project: Optional[str] = None, **filters: Any) -> Dict[str, Any]:
        """One page, as the server answers it: ``{"events": [...], "total": N, "hasMore": bool}``.

        Filters: ``types`` (``agent.*`` wildcards), ``agents``, ``level``, ``turn_from``,
        ``turn_to``, ``since``, ``until``.
        """
        query = {"after": after, "before": before, "limit": limit, "project": project or self.project, **_filter_query(filters)}
        page = self._get(f"/v1/runs/{_segment(run)}/events", query)
        page["events"] = [Event(e) for e in page["events"]]
        return page

    def events(self, run: str, *, after: int = 0, page_size: int = 500, project: Optional[str] = None, **filters: Any) -> Iterator[Event]:
        """The run's events from ``after`` on, matching the filters, fetched a page at a time."""
        while True:
            page = self.events_page(run, after=after, limit=page_size, project=project, **filters)
            yield from page["events"]
            if not page["hasMore"] or not page["events"]:
                return
            after = page["events"][-1]["seq"]

    def event(self, run: str, id: str, *, project: Optional[str] = None) -> Event:
        """One event by id."""
        return Event(self._get(f"/v1/runs/{_segment(run)}/events/{_segment(id)}", {"project": project or self.project}))

    def causality(self, run: str, id: str, *, max_depth: Optional[int] = None, project: Optional[str] = None) -> Dict[str, Any]:
        """What led to an event and what followed from it: ``event``, ``upstream``,
        ``downstream`` (transitive) and ``dangling`` (causes that are not stored)."""
        answer = self._get(f"/v1/runs/{_segment(run)}/events/{_segment(id)}/causality",
                           {"maxDepth": max_depth, "project": project or self.project})
        answer["event"] = Event(answer["event"])
        answer["upstream"] = [Event(e) for e in answer.get("upstream", [])]
        answer["downstream"] = [Event(e) for e in answer.get("downstream", [])]
        return answer

    def publish(self, events: Iterable[Mapping[str, Any]], *, partial: bool = False) -> Dict[str, Any]:
        """Posts events at once and returns the server's answer (``accepted``, ``duplicates``,
        ``events``). All or nothing, unless ``partial=True``: then the valid ones are stored and
        the answer's ``rejected`` names the others by index. For a producer's loop use
        :class:`~herald.Emitter`, which never blocks; this is for scripts and request handlers."""
        body = ("\n".join(json.dumps(e, separators=(",", ":"), allow_nan=False) for e in events) + "\n").encode()
        return self._request("POST", "/v1/events", {"partial": True if partial else None}, body, "application/x-ndjson")

    def access(self) -> Dict[str, Any]:
        """What the client's credential grants: caller, role, projects."""
        return self._get("/v1/access", {})

    # MARK: Live

    def subscribe(self, *, run: Optional[str] = None, project: Optional[str] = None, after: Optional[int] = None,
                  from_now: bool = False, types: Optional[Sequence[str]] = None, agents: Optional[Sequence[str]] = None,
                  level: Optional[str] = None, logs: Union[None, str, Sequence[str]] = None, wait: bool = False,
                  read_timeout: float = 45.0, max_backoff: float = 30.0, max_failures: Optional[int] = None,
                  heartbeats: bool = False, **filters: Any) -> "Subscription":
        """Follows a run (``run=``) or a whole project (``project=`` alone) live.

        Iterate it for :class:`Event` and :class:`Gap` items. It reconnects by itself after any
        disconnect with ``Last-Event-ID`` (no gap, no duplicate) and backoff (1 s … ``max_backoff``
        with jitter); a connection silent for ``read_timeout`` seconds (longer than the server's
        heartbeat) is dropped and resumed. A run subscription ends after the run's terminal
        event, or when the server answers 204 (nothing more will come). A 4xx other than 408 and
        429 (401, 403, 404, 400 for a filter the server refuses) raises :class:`~herald.HeraldError`.

        Args:
            after: resume after this seq (run) or position (project); ``0`` reads from the start.
            from_now: start at the end instead of the beginning (when ``after`` is not given).
            types, agents, level: the same filters as :meth:`events`.
            logs: on a project stream, the runs whose ``agent.log`` lines to include (``"all"``).
            wait: on a run stream, wait for a run that has no event yet instead of 404.
            max_failures: raise the last error after this many failed connection attempts in a
                row (default: keep trying; each failure is logged on the ``herald`` logger).
            heartbeats: also yield :data:`HEARTBEAT` when the quiet stream's heartbeat arrives.
        """
        if run is None and project is None and self.project is None:
            raise ValueError("subscribe to a run (run=…) or a project (project=…)")
        query: Dict[str, Any] = {"types": types, "agents": agents, "level": level, **_filter_query(filters)}
        from_now = from_now and after is None
        if from_now and run is None:
            query["from"] = "now"
        if run is not None:
            path = f"/v1/runs/{_segment(run)}/stream"
            query["project"] = project or self.project
            if wait:
                query["wait"] = 1
        else:
            path = f"/v1/projects/{_segment(project or self.project or '')}/stream"
            if logs:
                query["logs"] = logs
        options = StreamOptions(self.base.path(path, query), run is not None, read_timeout, max_backoff, max_failures, heartbeats,
                                from_now, run, project or self.project)
        return Subscription(self, options, None if after is None else str(after))

    # MARK: HTTP

    def _get(self, path: str, query: Mapping[str, Any]) -> Any:
        return self._request("GET", path, query)

    def _request(self, method: str, path: str, query: Mapping[str, Any], body: Optional[bytes] = None,
                 content_type: Optional[str] = None) -> Any:
        headers = dict(self.headers)
        if content_type:
            headers["Content-Type"] = content_type
        connection = self.base.connection(self.timeout)
        try:
            connection.request(method, self.base.path(path, dict(query)), body=body, headers=headers)
            response = connection.getresponse()
            answer = response.read()
        except (OSError, http.client.HTTPException) as error:
            raise HeraldError(0, "unreachable", f"{self.base.origin}: {error}") from None
        finally:
            connection.close()
        if response.status != 200:
            raise HeraldError.from_response(response.status, answer, response.getheader("Retry-After"))
        return json.loads(answer)


class Heartbeat:
    """A heartbeat from a quiet stream (yielded only with ``heartbeats=True``): for relays that
    must keep their own connection to a browser alive."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "Heartbeat()"


HEARTBEAT = Heartbeat()


@dataclass(frozen=True)
class StreamOptions:
    """Where a subscription reads and how it behaves; made by ``subscribe``."""

    target: str
    is_run: bool
    read_timeout: float
    max_backoff: float
    max_failures: Optional[int]
    heartbeats: bool
    #: ``from_now``: a project stream turns "now" into its position on ``herald.connected``; a run
    #: stream asks the run's last seq before it connects (``run``, ``project``).
    from_now: bool = False
    run: Optional[str] = None
    project: Optional[str] = None


class SubscriptionBase:
    """What the sync and asyncio subscriptions share: resume point, items, backoff, failures."""

    def __init__(self, client: Client, options: StreamOptions, last_event_id: Optional[str]) -> None:
        self.client = client
        self.options = options
        self.last_event_id = last_event_id
        #: The project stream's ``herald.connected`` notice (active runs, position), once it came.
        self.connected: Optional[Dict[str, Any]] = None
        #: How often the stream was resumed after a disconnect.
        self.reconnects = 0
        self._closed = False

    def _headers(self) -> Dict[str, str]:
        headers = dict(self.client.headers)
        headers["Accept"] = "text/event-stream"
        if self.last_event_id is not None:
            headers["Last-Event-ID"] = self.last_event_id
        return headers

    def _items(self, parser: SSEParser, chunk: bytes) -> Iterator[StreamItem]:
        """The items in one chunk of the stream; ``last_event_id`` moves as they are read."""
        heartbeats = parser.comments
        for message in parser.feed(chunk):
            # The id as it stood when this message was dispatched, not the chunk's last one.
            self.last_event_id = message.id
            if message.event == "herald.connected":
                self.connected = json.loads(message.data)
                if self.last_event_id is None and self.options.from_now:
                    # "now" becomes a position at once, so a reconnect resumes from it.
                    self.last_event_id = str(self.connected.get("position", 0))
            elif message.event == "herald.gap":
                notice = json.loads(message.data)
                yield Gap(notice.get("reason", ""), int(notice.get("requested", 0)), int(notice.get("continuesAfter", 0)),
                          notice.get("message", ""))
            else:
                yield Event(json.loads(message.data))
        if self.options.heartbeats and parser.comments > heartbeats:
            yield HEARTBEAT

    def _ends_with(self, item: StreamItem) -> bool:
        """A run subscription ends after the run's terminal event."""
        return self.options.is_run and isinstance(item, Event) and item.is_terminal

    def _now_of_run(self) -> None:
        """``from_now`` on a run stream: resume after the run's last seq as it is now (0 for a run
        that has no event yet), so a reconnect neither repeats nor skips."""
        if self.options.is_run and self.options.from_now and self.last_event_id is None:
            try:
                self.last_event_id = str(self.client.run(self.options.run or "", project=self.options.project)["lastSeq"])
            except HeraldError as error:
                if error.status != 404:
                    raise
                self.last_event_id = "0"

    def _parser(self) -> SSEParser:
        parser = SSEParser()
        parser.last_id = self.last_event_id
        return parser

    def _after_failure(self, error: HeraldError, failures: int) -> float:
        """Raises what retrying cannot fix; otherwise logs and answers the delay before the next try."""
        final = 400 <= error.status < 500 and error.status not in (408, 429)
        if final or (self.options.max_failures is not None and failures >= self.options.max_failures):
            raise error
        delay = min(self.options.max_backoff, 2 ** min(failures - 1, 10)) * (0.5 + random.random() / 2)
        if error.retry_after is not None:
            delay = max(delay, error.retry_after)
        logger.warning("herald: stream %s: %s; retrying in %.1f s (attempt %d)", self.options.target, error, delay, failures + 1)
        return delay

    def _resume_delay(self, retry_ms: Optional[int]) -> float:
        """A stream that ended cleanly (lifetime cap, server shutdown) resumes within the
        server's retry hint, capped at 250 ms and jittered, as EventSource does."""
        self.reconnects += 1
        return min((retry_ms or 1000) / 1000.0, 0.25) * random.random()


class Subscription(SubscriptionBase):
    """A live stream as an iterator of :class:`Event` and :class:`Gap` that survives disconnects.

    ``last_event_id`` is where it would resume; ``connected`` holds the project stream's
    ``herald.connected`` notice; ``close()`` ends it, also from another thread (and as a context
    manager).
    """

    def __init__(self, client: Client, options: StreamOptions, last_event_id: Optional[str]) -> None:
        super().__init__(client, options, last_event_id)
        self._connection: Optional[http.client.HTTPConnection] = None

    def __iter__(self) -> Iterator[StreamItem]:
        failures = 0
        retry_ms: Optional[int] = None
        while not self._closed:
            try:
                self._now_of_run()
                response = self._open()
            except HeraldError as error:
                if self._closed:
                    return
                failures += 1
                self._sleep(self._after_failure(error, failures))
                continue
            if response is None:  # 204: the run is over and everything was delivered
                return
            failures = 0
            parser = self._parser()
            try:
                while not self._closed:
                    chunk = response.read1(65536)
                    if not chunk:
                        break
                    for item in self._items(parser, chunk):
                        yield item
                        if self._ends_with(item):
                            self.close()
                            return
            except (OSError, http.client.HTTPException, ValueError):
                pass  # dropped, or silent past read_timeout: resume below
            finally:
                retry_ms = parser.retry or retry_ms
                self._drop()
            if not self._closed:
                time.sleep(self._resume_delay(retry_ms))

    def _open(self) -> Optional[http.client.HTTPResponse]:
        connection = self.client.base.connection(self.options.read_timeout)
        self._connection = connection
        try:
            connection.request("GET", self.options.target, headers=self._headers())
            response = connection.getresponse()
        except (OSError, http.client.HTTPException) as error:
            self._drop()
            raise HeraldError(0, "unreachable", f"{self.client.base.origin}: {error}") from None
        if response.status == 204:
            self._drop()
            return None
        if response.status != 200:
            body = response.read()
            self._drop()
            raise HeraldError.from_response(response.status, body, response.getheader("Retry-After"))
        return response

    def _sleep(self, delay: float) -> None:
        end = time.monotonic() + delay
        while not self._closed and time.monotonic() < end:
            time.sleep(min(0.05, end - time.monotonic()))

    def _drop(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            try:
                connection.close()
            except OSError:
                pass

    def close(self) -> None:
        """Ends the subscription; an iteration in progress stops at once."""
        self._closed = True
        connection = self._connection
        if connection is not None and connection.sock is not None:
            try:
                connection.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def __enter__(self) -> "Subscription":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _segment(value: str) -> str:
    return quote(value, safe="")


_FILTER_NAMES = {"turn_from": "turnFrom", "turn_to": "turnTo", "since": "since", "until": "until", "types": "types",
                 "agents": "agents", "level": "level"}


def _filter_query(filters: Mapping[str, Any]) -> Dict[str, Any]:
    unknown = set(filters) - set(_FILTER_NAMES)
    if unknown:
        raise TypeError(f"unknown filter(s): {', '.join(sorted(unknown))}; filters are {', '.join(_FILTER_NAMES)}")
    return {_FILTER_NAMES[name]: value for name, value in filters.items() if value is not None}
