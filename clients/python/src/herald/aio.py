"""The asyncio form of the client, standard library only: ``async for`` over a live stream.

For FastAPI and other asyncio services, which must not block their event loop:

>>> client = herald.AsyncClient("http://127.0.0.1:7373")
>>> async with client.subscribe(run="nightly-42", after=0) as subscription:
...     async for item in subscription:
...         print(item)
>>> run = await client.run("nightly-42")
"""

from __future__ import annotations

import asyncio
from typing import Any, AsyncIterator, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple, Union

from .client import Client, Event, StreamItem, SubscriptionBase
from .errors import HeraldError

__all__ = ["AsyncClient", "AsyncSubscription"]


class AsyncClient:
    """The same calls as :class:`~herald.Client`, awaited. Queries run on a worker thread (they
    are short); subscriptions read their stream on the event loop itself."""

    def __init__(self, url: Optional[str] = None, *, token: Optional[str] = None, project: Optional[str] = None,
                 timeout: float = 30.0) -> None:
        self.sync = Client(url, token=token, project=project, timeout=timeout)

    async def runs(self, **options: Any) -> List[Dict[str, Any]]:
        return await asyncio.to_thread(self.sync.runs, **options)

    async def run(self, run: str, **options: Any) -> Dict[str, Any]:
        return await asyncio.to_thread(self.sync.run, run, **options)

    async def events_page(self, run: str, **options: Any) -> Dict[str, Any]:
        return await asyncio.to_thread(self.sync.events_page, run, **options)

    async def event(self, run: str, id: str, **options: Any) -> Event:
        return await asyncio.to_thread(self.sync.event, run, id, **options)

    async def causality(self, run: str, id: str, **options: Any) -> Dict[str, Any]:
        return await asyncio.to_thread(self.sync.causality, run, id, **options)

    async def publish(self, events: Iterable[Mapping[str, Any]], *, partial: bool = False) -> Dict[str, Any]:
        return await asyncio.to_thread(self.sync.publish, list(events), partial=partial)

    def subscribe(self, *, run: Optional[str] = None, project: Optional[str] = None, after: Optional[int] = None,
                  from_now: bool = False, types: Optional[Sequence[str]] = None, agents: Optional[Sequence[str]] = None,
                  level: Optional[str] = None, logs: Union[None, str, Sequence[str]] = None, wait: bool = False,
                  read_timeout: float = 45.0, max_backoff: float = 30.0, max_failures: Optional[int] = None,
                  heartbeats: bool = False, **filters: Any) -> "AsyncSubscription":
        """As :meth:`herald.Client.subscribe`, iterated with ``async for``."""
        plan = self.sync.subscribe(run=run, project=project, after=after, from_now=from_now, types=types, agents=agents,
                                   level=level, logs=logs, wait=wait, read_timeout=read_timeout, max_backoff=max_backoff,
                                   max_failures=max_failures, heartbeats=heartbeats, **filters)
        return AsyncSubscription(self.sync, plan.options, plan.last_event_id)


class AsyncSubscription(SubscriptionBase):
    """A live stream as an async iterator of :class:`~herald.Event` and :class:`~herald.Gap`,
    with the same resume, backoff, end and error rules as :class:`~herald.Subscription`.
    ``close()`` (or ``aclose()``, or leaving ``async with``) ends it at once."""

    _writer: Optional[asyncio.StreamWriter] = None
    _wakeup: Optional[asyncio.Event] = None
    _loop: Optional[asyncio.AbstractEventLoop] = None

    def __aiter__(self) -> AsyncIterator[StreamItem]:
        return self._stream()

    async def __aenter__(self) -> "AsyncSubscription":
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def close(self) -> None:
        self._closed = True
        if self._loop is not None and self._wakeup is not None:
            self._loop.call_soon_threadsafe(self._wakeup.set)  # a backoff in progress ends
        if self._writer is not None:
            self._writer.close()  # a read in progress ends with EOF

    async def aclose(self) -> None:
        self.close()

    async def _pause(self, seconds: float) -> None:
        """Sleeps, unless ``close()`` comes first."""
        assert self._wakeup is not None
        try:
            await asyncio.wait_for(self._wakeup.wait(), seconds)
        except asyncio.TimeoutError:
            pass

    async def _stream(self) -> AsyncIterator[StreamItem]:
        self._loop, self._wakeup = asyncio.get_running_loop(), asyncio.Event()
        failures = 0
        retry_ms: Optional[int] = None
        while not self._closed:
            try:
                await asyncio.to_thread(self._now_of_run)
                opened = await self._open()
            except HeraldError as error:
                if self._closed:
                    return
                failures += 1
                await self._pause(self._after_failure(error, failures))
                continue
            if opened is None:
                return  # 204: nothing more will come
            reader, chunked = opened
            failures = 0
            parser = self._parser()
            try:
                async for chunk in _body(reader, chunked, self.options.read_timeout):
                    for item in self._items(parser, chunk):
                        yield item
                        if self._ends_with(item) or self._closed:
                            return
            except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError, ValueError):
                pass  # dropped or silent: resume
            finally:
                retry_ms = parser.retry or retry_ms
                if self._writer is not None:
                    self._writer.close()
                    self._writer = None
            if not self._closed:
                await self._pause(self._resume_delay(retry_ms))

    async def _open(self) -> Optional[Tuple[asyncio.StreamReader, bool]]:
        base, timeout = self.client.base, self.options.read_timeout
        try:
            reader, writer = await asyncio.wait_for(
                asyncio.open_connection(base.host, base.port, ssl=True if base.scheme == "https" else None), timeout)
        except (OSError, asyncio.TimeoutError) as error:
            raise HeraldError(0, "unreachable", f"{base.origin}: {error!r}") from None
        self._writer = writer
        headers = self._headers()
        headers.update({"Host": f"{base.host}:{base.port}", "Connection": "close"})
        request = f"GET {self.options.target} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
        try:
            writer.write(request.encode("latin-1"))
            await writer.drain()
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout)
            lines = head.decode("latin-1").split("\r\n")
            status = int(lines[0].split(" ", 2)[1])
        except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError, IndexError) as error:
            writer.close()
            raise HeraldError(0, "unreachable", f"{base.origin}: {error!r}") from None
        fields = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)}
        chunked = "chunked" in fields.get("transfer-encoding", "").lower()
        if status == 200:
            return reader, chunked
        body = b""
        if status != 204:
            try:
                body = b"".join([c async for c in _body(reader, chunked, timeout)])
            except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError, ValueError):
                pass
        writer.close()
        self._writer = None
        if status == 204:
            return None
        raise HeraldError.from_response(status, body, fields.get("retry-after"))


async def _body(reader: asyncio.StreamReader, chunked: bool, timeout: float) -> AsyncIterator[bytes]:
    """The response body as it arrives: chunked transfer coding decoded, or read to the close."""
    if not chunked:
        while True:
            data = await asyncio.wait_for(reader.read(65536), timeout)
            if not data:
                return
            yield data
    while True:
        size_line = await asyncio.wait_for(reader.readline(), timeout)
        if not size_line:
            return
        size = int(size_line.split(b";", 1)[0].strip() or b"0", 16)
        if size == 0:
            return
        data = await asyncio.wait_for(reader.readexactly(size + 2), timeout)
        yield data[:-2]
