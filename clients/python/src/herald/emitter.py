"""The emitter: publishes a producer's events without ever blocking or failing its loop (R-emit)."""

from __future__ import annotations

import atexit
import json
import logging
import os
import random
import threading
import time
import weakref
from collections import deque
from dataclasses import dataclass
from typing import Any, Deque, Dict, List, Mapping, Optional, Sequence, Tuple, Union

from ._ulid import ULIDMaker
from ._vocabulary import DEFAULT_LEVELS, TypedHelpers
from .sinks import HTTPSink, Rejected, Sink, TooLarge

__all__ = ["Emitter", "BoundEmitter", "Counters", "LEVELS"]

logger = logging.getLogger("herald")

#: Verbosity levels, coarsest first (R-verbosity). ``system`` always passes.
LEVELS = ("milestone", "decision", "action", "state", "detail")
_RANK = {name: rank for rank, name in enumerate(LEVELS)}
_RANK["system"] = -1

_REFUSALS_LOGGED = 5  # refusals of one batch logged one by one; the rest in one line
_ENCODE = json.JSONEncoder(separators=(",", ":"), allow_nan=False).encode
_sender_thread = threading.local()


def on_sender_thread() -> bool:
    """True on an emitter's own sender thread (its log records must not become events again)."""
    return getattr(_sender_thread, "active", False)


@dataclass(frozen=True)
class Counters:
    """What became of the events given to an emitter.

    ``emitted`` were accepted into the queue; each ends ``delivered`` or ``failed`` (refused, not
    encodable, or given up at shutdown); ``pending`` are not settled yet. ``dropped`` (queue full,
    or after shutdown) and ``filtered`` (below the verbosity) never entered the queue.
    """

    emitted: int
    delivered: int
    dropped: int
    failed: int
    filtered: int
    pending: int


# One emitted event waiting in the queue: (id, time in ns, run, type, level given, agent, turn,
# causedBy, encoded data, project). Its line is written by the sender thread.
_Pending = Tuple[str, int, str, str, Optional[str], Optional[str], Optional[int], Optional[Sequence[str]], Optional[str], Optional[str]]


class Emitter(TypedHelpers):
    """Publishes events to Herald from any thread; ``emit`` never blocks and never raises.

    >>> import herald
    >>> with herald.Emitter("http://127.0.0.1:7373", run="nightly-42", agent="planner") as h:
    ...     plan = h.decision("plan", new_value=["fetch", "summarise"])
    ...     h.task_started("t1", title="Fetch sources", caused_by=[plan])
    ...     h.emit("my.custom.event", {"anything": [1, 2, 3]})
    ...     h.run_completed()

    ``emit`` makes the event's id (a ULID, strictly increasing per emitter), encodes its payload
    at the call (later changes to the caller's dict cannot leak in) and queues it. One sender
    thread delivers the queue in batches, in emit order, retrying temporary failures (server down,
    5xx, 429 after its ``Retry-After``) with backoff and jitter, with the same ids, so a lost
    answer never duplicates an event.

    Args:
        target: a server URL (default ``$HERALD_URL`` or ``http://127.0.0.1:7373``) or a
            :class:`~herald.sinks.Sink` (:class:`~herald.StdoutSink`, :class:`~herald.FileSink`).
        run, agent, project: defaults for events that name none.
        token: a bearer key or JWT (default ``$HERALD_TOKEN``), for the HTTP sink.
        verbosity: the finest level emitted (``milestone`` … ``detail``); finer events are
            filtered at the call, at almost no cost. ``system`` events always pass.
        capacity: events held at most (queued and in flight). When full, ``emit`` drops the new
            event (counted), or with ``block=True`` waits up to ``block_timeout`` seconds.
        max_batch, linger: a batch holds up to ``max_batch`` events; the sender waits up to
            ``linger`` seconds for a fuller batch.
        shutdown_timeout: how long :meth:`shutdown` (and the exit of the interpreter) keeps
            delivering before it gives up on what is left (counted ``failed``).
    """

    def __init__(
        self,
        target: Union[str, Sink, None] = None,
        *,
        run: Optional[str] = None,
        agent: Optional[str] = None,
        project: Optional[str] = None,
        token: Optional[str] = None,
        verbosity: str = "detail",
        capacity: int = 10_000,
        block: bool = False,
        block_timeout: float = 1.0,
        max_batch: int = 500,
        linger: float = 0.005,
        shutdown_timeout: float = 5.0,
        max_backoff: float = 5.0,
    ) -> None:
        if verbosity not in _RANK or verbosity == "system":
            raise ValueError(f"verbosity must be one of {', '.join(LEVELS)}")
        if capacity < 1 or max_batch < 1:
            raise ValueError("capacity and max_batch must be positive")
        if target is None or isinstance(target, str):
            target = HTTPSink(target or os.environ.get("HERALD_URL") or "http://127.0.0.1:7373", token=token)
        self.sink: Sink = target
        self.run = run
        self.agent = agent
        self.project = project
        self.verbosity = verbosity
        self._max_rank = _RANK[verbosity]
        self.capacity = capacity
        self.block = block
        self.block_timeout = block_timeout
        self.max_batch = max_batch
        self.linger = linger
        self.shutdown_timeout = shutdown_timeout
        self.max_backoff = max_backoff
        self._ids = ULIDMaker()
        self._reset_state()
        _live_emitters.add(self)
        self._atexit = _shutdown_at_exit(weakref.ref(self))
        atexit.register(self._atexit)

    def _reset_state(self) -> None:
        """Fresh locks, queue, counters and thread: at construction, and in a forked child."""
        # Re-entrant: a signal handler may emit while the thread it interrupted is inside emit.
        self._lock = threading.RLock()
        self._settled_changed = threading.Condition(self._lock)
        self._wake = threading.Event()
        self._full = threading.Event()
        self._stopping = threading.Event()
        self._queue: Deque[_Pending] = deque()
        self._queuing: Optional[int] = None  # the thread inside emit's queuing step
        self._interrupting: Deque[Tuple[Any, ...]] = deque()  # emits made by a signal handler meanwhile
        self._emitted = self._delivered = self._dropped = self._failed = self._filtered = 0
        self._settled = 0
        self._accepting = True
        self._deadline: Optional[float] = None
        self._abandoned = False
        self._flushes = 0
        self._thread: Optional[threading.Thread] = None
        self._closed = False

    # MARK: Emitting

    def emit(
        self,
        type: str,
        data: Optional[Mapping[str, Any]] = None,
        *,
        run: Optional[str] = None,
        agent: Optional[str] = None,
        turn: Optional[int] = None,
        level: Optional[str] = None,
        caused_by: Optional[Sequence[Optional[str]]] = None,
        id: Optional[str] = None,
        project: Optional[str] = None,
        time_ns: Optional[int] = None,
    ) -> Optional[str]:
        """Queues one event and returns its id, or ``None`` when it was filtered, dropped or failed.

        Never raises and never blocks (unless the emitter was made with ``block=True`` and the
        queue is full). ``caused_by`` takes the ids earlier calls returned; ``None`` entries (a
        filtered cause) are left out. ``time_ns`` dates the event (nanoseconds since the epoch, as
        ``time.time_ns()`` and OpenTelemetry give them; kept to the microsecond) when it happened
        earlier than the call, e.g. a span's start; by default the event is dated at the call.
        """
        try:
            rank = _RANK.get(level or DEFAULT_LEVELS.get(type) or ("system" if type[:7] == "system." else "action"), 0)
            if rank > self._max_rank:
                self._count_filtered()
                return None
            if not isinstance(type, str):
                raise TypeError(f"the type must be a string, not {type!r}")
            encoded = None if data is None else _encode_data(data)
            run, agent, project = _text(run or self.run), _text(agent or self.agent), _text(project or self.project)
            if not run:
                raise ValueError("no run: give run= to the Emitter or to emit(), or use emitter.bind(run=...)")
            if turn is not None and (isinstance(turn, bool) or not isinstance(turn, int)):
                raise TypeError(f"turn must be an int, not {turn!r}")
            turn = None if turn is None else int(turn)  # an IntEnum writes its name on Python < 3.11
            causes = None if not caused_by else [str(c) for c in caused_by if c]
            if time_ns is not None and (isinstance(time_ns, bool) or not isinstance(time_ns, int) or time_ns < 0):
                raise TypeError(f"time_ns must be a non-negative int, not {time_ns!r}")
        except Exception as error:  # noqa: BLE001 — emit never raises
            with self._lock:
                self._failed += 1
            logger.error("herald: %s event not emitted: %s", type, error)
            return None
        if time_ns is None:
            time_ns = time.time_ns()
        me = threading.get_ident()
        if self._queuing == me:
            # A signal handler interrupted this thread's own emit mid-queue: making an id or
            # counting now could collide with the interrupted call, so this event is queued right
            # after it, by it. Its id cannot be answered.
            self._interrupting.append((time_ns, run, type, level, agent, turn, causes, encoded, project, id))
            return None
        event_id = self._queue_events(me, (time_ns, run, type, level, agent, turn, causes, encoded, project, id))
        while self._interrupting:  # a signal came after the last look inside
            self._queue_events(me, None)
        return event_id

    def _queue_events(self, me: int, event: Optional[Tuple[Any, ...]]) -> Optional[str]:
        """Queues `event`, then what signal handlers emitted meanwhile; wakes the sender."""
        event_id = None
        with self._lock:
            self._queuing = me
            try:
                before = len(self._queue)
                if event is not None:
                    event_id = self._queue_event(*event)
                while self._interrupting:
                    self._queue_event(*self._interrupting.popleft())
                after = len(self._queue)
            finally:
                self._queuing = None
        if before == 0 < after:
            self._wake.set()
        if before < self.max_batch <= after:
            self._full.set()
        return event_id

    def _queue_event(self, time_ns: int, run: str, type: str, level: Optional[str], agent: Optional[str], turn: Optional[int],
                     causes: Optional[List[str]], encoded: Optional[str], project: Optional[str], id: Optional[str]) -> Optional[str]:
        """With the lock held: admits one event to the queue (or counts it dropped); answers its id."""
        if not self._accepting or self._emitted - self._settled >= self.capacity:
            if not (self.block and self._accepting and self._wait_for_room()):
                self._dropped += 1
                return None
        if self._thread is None and not self._start_sender():
            self._dropped += 1  # no thread can start (the interpreter is exiting): nothing would deliver it
            return None
        event_id = id or self._ids.make()
        self._queue.append((event_id, time_ns, run, type, level, agent, turn, causes, encoded, project))
        self._emitted += 1
        return event_id

    def _filtered_out(self, level: Optional[str], default_rank: int) -> bool:
        """The typed helpers' check, made before they build their payload."""
        if (_RANK.get(level, 0) if level else default_rank) > self._max_rank:
            self._count_filtered()
            return True
        return False

    def _count_filtered(self) -> None:
        with self._lock:
            self._filtered += 1

    def _wait_for_room(self) -> bool:
        """With the lock held: waits up to ``block_timeout`` for the queue to have room."""
        deadline = time.monotonic() + self.block_timeout
        while self._emitted - self._settled >= self.capacity:
            left = deadline - time.monotonic()
            if left <= 0 or not self._accepting:
                return False
            self._settled_changed.wait(left)
        return True

    # MARK: Settling

    @property
    def counters(self) -> Counters:
        with self._lock:
            return Counters(self._emitted, self._delivered, self._dropped, self._failed, self._filtered, self._emitted - self._settled)

    def flush(self, timeout: Optional[float] = None) -> bool:
        """Waits until every event emitted before the call is delivered or failed; True if so.

        The sender stops lingering for fuller batches while a flush waits.
        """
        with self._lock:
            target = self._emitted
            if self._settled >= target:
                return True
            self._flushes += 1
        self._wake.set()
        self._full.set()
        try:
            with self._lock:
                return self._settled_changed.wait_for(lambda: self._settled >= target, timeout)
        finally:
            with self._lock:
                self._flushes -= 1

    def shutdown(self, timeout: Optional[float] = None) -> Counters:
        """Stops accepting events, delivers what is queued for up to ``timeout`` seconds (default
        ``shutdown_timeout``), then gives up on the rest (counted ``failed``, logged) and closes
        the sink. Safe to call more than once; returns the final counters."""
        timeout = self.shutdown_timeout if timeout is None else timeout
        with self._lock:
            if self._closed:
                return Counters(self._emitted, self._delivered, self._dropped, self._failed, self._filtered, 0)
            self._accepting = False
            self._deadline = time.monotonic() + timeout
            self._settled_changed.notify_all()  # blocked emits give up
            thread = self._thread
        self._wake.set()
        self._full.set()
        left = 0
        with self._lock:
            done = self._settled_changed.wait_for(lambda: self._settled >= self._emitted, timeout)
            if not done:
                left = self._emitted - self._settled
                self._failed += left
                self._settled = self._emitted
                self._queue.clear()
                self._abandoned = True
            self._closed = True
        if left:  # logged outside the lock: a logging handler may be emitting (lock order)
            logger.error("herald: shutdown gave up on %d undelivered event(s) after %.1f s", left, timeout)
        self._stopping.set()
        self._wake.set()
        if thread is not None and done:
            thread.join(max(0.0, (self._deadline or 0) - time.monotonic()) + 1.0)
        if done:
            try:
                self.sink.close()
            except Exception as error:  # noqa: BLE001
                logger.warning("herald: closing the sink failed: %s", error)
        atexit.unregister(self._atexit)
        return self.counters

    close = shutdown

    async def ashutdown(self, timeout: Optional[float] = None) -> Counters:
        """:meth:`shutdown` for asyncio code (e.g. a FastAPI lifespan): waits on a worker thread,
        so the event loop keeps running while the queue drains."""
        import asyncio

        return await asyncio.to_thread(self.shutdown, timeout)

    def bind(self, *, run: Optional[str] = None, agent: Optional[str] = None, project: Optional[str] = None) -> "BoundEmitter":
        """A view of this emitter with other defaults, sharing its queue, ids and sender: for a
        service whose requests each publish to their own run.

        >>> h = shared.bind(run=run_id, agent="pipeline")
        >>> h.step_started("lint")
        """
        return BoundEmitter(self, run=run or self.run, agent=agent or self.agent, project=project or self.project)

    def __enter__(self) -> "Emitter":
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()

    # MARK: The sender thread

    def _start_sender(self) -> bool:
        thread = threading.Thread(target=self._send_loop, name="herald-emitter", daemon=True)
        try:
            thread.start()
        except RuntimeError:  # "can't create new thread at interpreter shutdown" (Python ≥ 3.12)
            return False
        self._thread = thread
        return True

    def _send_loop(self) -> None:
        _sender_thread.active = True
        while True:
            self._wake.wait()
            if self._stopping.is_set():
                return
            with self._lock:
                lingering = self._accepting and not self._flushes and len(self._queue) < self.max_batch
            if lingering and self.linger > 0:
                self._full.wait(self.linger)
            with self._lock:
                self._full.clear()
                count = min(len(self._queue), self.max_batch)
                batch = [self._queue.popleft() for _ in range(count)]
                if not self._queue:
                    self._wake.clear()
            if not batch:
                continue
            try:
                delivered, failed = self._deliver(batch)
            except Exception as error:  # noqa: BLE001 — the sender must outlive any one batch
                logger.error("herald: %d event(s) not delivered: %r", len(batch), error)
                delivered, failed = 0, len(batch)
            with self._lock:
                if self._abandoned:
                    continue  # shutdown already counted these as failed
                self._delivered += delivered
                self._failed += failed
                self._settled += len(batch)
                self._settled_changed.notify_all()

    def _deliver(self, batch: List[_Pending]) -> Tuple[int, int]:
        """Delivers one batch, retrying temporary failures; answers (delivered, failed)."""
        items = [(event, _line(event)) for event in batch]
        delivered = failed = 0
        attempt = 0
        while items:
            try:
                refused = self.sink.deliver([line for _, line in items])
                if refused:  # the others were stored
                    self._log_refusals(items, refused)
                    return delivered + len(items) - len(refused), failed + len(refused)
                return delivered + len(items), failed
            except Rejected as refusal:  # nothing was stored: the others go again
                self._log_refusals(items, refusal.reasons)
                failed += len(refusal.reasons)
                items = [item for index, item in enumerate(items) if index not in refusal.reasons]
                attempt = 0
            except TooLarge as error:
                if len(items) == 1:
                    logger.error("herald: event %s (%s) is too large to deliver: %s", items[0][0][0], items[0][0][3], error)
                    return delivered, failed + 1
                half = len(items) // 2
                first, second = self._deliver([e for e, _ in items[:half]]), self._deliver([e for e, _ in items[half:]])
                return delivered + first[0] + second[0], failed + first[1] + second[1]
            except Exception as error:  # noqa: BLE001 — anything else is worth another try
                attempt += 1
                if self._giving_up():
                    return delivered, failed + len(items)
                if attempt == 1:
                    logger.warning("herald: delivery failed, retrying: %s", error)
                delay = min(self.max_backoff, 0.1 * 2 ** min(attempt - 1, 16)) * (0.5 + random.random() / 2)
                retry_after = getattr(error, "retry_after", None)
                if retry_after is not None:
                    delay = max(delay, retry_after)
                if self._deadline is not None:
                    delay = min(delay, max(0.0, self._deadline - time.monotonic()))
                self._stopping.wait(delay)
                if self._stopping.is_set():
                    return delivered, failed + len(items)
        return delivered, failed

    @staticmethod
    def _log_refusals(items: List[Tuple[_Pending, str]], reasons: Dict[int, str]) -> None:
        """A few lines per batch, not one per event: a batch sent to a finished run is refused whole."""
        for shown, (index, reason) in enumerate(sorted(reasons.items())):
            if shown == _REFUSALS_LOGGED:
                logger.error("herald: … and %d more event(s) of the batch refused", len(reasons) - shown)
                return
            event = items[index][0]
            logger.error("herald: event %s (%s, run %s) refused: %s", event[0], event[3], event[2], reason)

    def _giving_up(self) -> bool:
        return self._stopping.is_set() or (self._deadline is not None and time.monotonic() >= self._deadline)

    # MARK: Fork

    def _after_fork_in_child(self) -> None:
        """The child gets its own queue, counters and sender; the parent delivers what it held."""
        atexit.unregister(self._atexit)
        self._reset_state()
        self._ids.reseed()
        self.sink.after_fork()
        self._atexit = _shutdown_at_exit(weakref.ref(self))
        atexit.register(self._atexit)


def _text(value: Any) -> Optional[str]:
    """A run, agent or project as text (a UUID is a fine run name)."""
    return None if value is None else value if isinstance(value, str) else str(value)


def _encode_data(data: Mapping[str, Any]) -> str:
    if not isinstance(data, Mapping):
        raise TypeError(f"data must be a dict (a JSON object), not {type(data).__name__}")
    return _ENCODE(data if isinstance(data, dict) else dict(data))


def _line(event: _Pending) -> str:
    """The event as one JSON object: the ingest shape, and the lines ``herald emit --stdin`` and
    ``herald import`` read."""
    event_id, time_ns, run, type_, level, agent, turn, causes, data, project = event
    line = f'{{"id":"{event_id}","run":{_quoted(run)},"type":{_quoted(type_)},"time":"{_stamp(time_ns // 1000)}"'
    if project is not None:
        line += ',"project":' + _quoted(project)
    if level is not None:
        line += ',"level":' + _quoted(level)
    if agent is not None:
        line += ',"agent":' + _quoted(agent)
    if turn is not None:
        line += ',"turn":' + str(turn)  # an int, made so at the call
    if causes:
        # Ids are ULIDs (letters and digits, nothing to escape); anything else is encoded.
        line += ',"causedBy":' + ('["' + '","'.join(causes) + '"]' if all(c.isalnum() for c in causes) else _ENCODE(causes))
    if data is not None:
        line += ',"data":' + data
    return line + "}"


# Runs, types and agents repeat: their JSON text is kept (bounded) instead of encoded per event.
_QUOTED: Dict[str, str] = {}


def _quoted(text: str) -> str:
    quoted = _QUOTED.get(text)
    if quoted is None:
        quoted = _ENCODE(text)
        if len(_QUOTED) < 4096:
            _QUOTED[text] = quoted
    return quoted


_last_second = (-1, "")


def _stamp(micros: int) -> str:
    """RFC 3339 UTC with microseconds; the seconds' text is made once a second."""
    seconds, fraction = divmod(micros, 1_000_000)
    global _last_second
    cached = _last_second
    if seconds != cached[0]:
        cached = _last_second = (seconds, time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)))
    return f"{cached[1]}.{fraction:06d}Z"


class BoundEmitter(TypedHelpers):
    """An :class:`Emitter` seen with other defaults (:meth:`Emitter.bind`): the same queue, ids,
    sender and counters; ``emit`` and every typed helper work as on the emitter itself."""

    def __init__(self, emitter: Emitter, *, run: Optional[str], agent: Optional[str], project: Optional[str]) -> None:
        self.emitter = emitter
        self.run = run
        self.agent = agent
        self.project = project

    def emit(self, type: str, data: Optional[Mapping[str, Any]] = None, *, run: Optional[str] = None,
             agent: Optional[str] = None, turn: Optional[int] = None, level: Optional[str] = None,
             caused_by: Optional[Sequence[Optional[str]]] = None, id: Optional[str] = None,
             project: Optional[str] = None, time_ns: Optional[int] = None) -> Optional[str]:
        """:meth:`Emitter.emit` with this view's run, agent and project as defaults."""
        return self.emitter.emit(type, data, run=run or self.run, agent=agent or self.agent, turn=turn, level=level,
                                 caused_by=caused_by, id=id, project=project or self.project, time_ns=time_ns)

    def bind(self, *, run: Optional[str] = None, agent: Optional[str] = None, project: Optional[str] = None) -> "BoundEmitter":
        return BoundEmitter(self.emitter, run=run or self.run, agent=agent or self.agent, project=project or self.project)

    def _filtered_out(self, level: Optional[str], default_rank: int) -> bool:
        return self.emitter._filtered_out(level, default_rank)


# MARK: Process lifecycle

_live_emitters: "weakref.WeakSet[Emitter]" = weakref.WeakSet()


def _shutdown_at_exit(ref: "weakref.ref[Emitter]"):
    def handler() -> None:
        emitter = ref()
        if emitter is not None:
            emitter.shutdown()
    return handler


def _reset_after_fork() -> None:
    for emitter in list(_live_emitters):
        emitter._after_fork_in_child()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_after_fork)
