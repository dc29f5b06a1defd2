"""The asyncio form of the client, standard library only: ``async for`` over a live stream.

For FastAPI and other asyncio services, which must not block their event loop:

>>> client = herald.AsyncClient("http://127.0.0.1:7373")
>>> async for item in client.subscribe(run="nightly-42", after=0):
...     print(item)
>>> run = await client.run("nightly-42")
"""

from __future__ import annotations

import asyncio
import json
import random
from typing import Any, AsyncIterator, Dict, Iterable, List, Mapping, Optional, Sequence, Union

from .client import Client, Event, Gap, StreamItem
from .errors import HeraldError
from .sse import SSEParser

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
                  read_timeout: float = 45.0, max_backoff: float = 30.0, **filters: Any) -> "AsyncSubscription":
        """As :meth:`herald.Client.subscribe`, iterated with ``async for``."""
        plan = self.sync.subscribe(run=run, project=project, after=after, from_now=from_now, types=types, agents=agents,
                                   level=level, logs=logs, wait=wait, read_timeout=read_timeout, max_backoff=max_backoff,
                                   **filters)
        return AsyncSubscription(self.sync, plan.target, plan.last_event_id, plan.is_run, read_timeout, max_backoff)


class AsyncSubscription:
    """A live stream as an async iterator of :class:`~herald.Event` and :class:`~herald.Gap`,
    with the same resume, backoff, end and error rules as :class:`~herald.Subscription`."""

    def __init__(self, client: Client, target: str, last_event_id: Optional[str], is_run: bool, read_timeout: float,
                 max_backoff: float) -> None:
        self.client = client
        self.target = target
        self.last_event_id = last_event_id
        self.is_run = is_run
        self.read_timeout = read_timeout
        self.max_backoff = max_backoff
        self.connected: Optional[Dict[str, Any]] = None
        self.reconnects = 0
        self._closed = False

    def close(self) -> None:
        self._closed = True

    def __aiter__(self) -> AsyncIterator[StreamItem]:
        return self._items()

    async def _items(self) -> AsyncIterator[StreamItem]:
        failures = 0
        while not self._closed:
            try:
                reader, writer, chunked = await self._open()
            except HeraldError as error:
                if error.status in (401, 403, 404):
                    raise
                failures += 1
                delay = min(self.max_backoff, 2 ** min(failures - 1, 10)) * (0.5 + random.random() / 2)
                await asyncio.sleep(max(delay, error.retry_after or 0))
                continue
            if reader is None:
                return  # 204: nothing more will come
            failures = 0
            parser = SSEParser()
            if self.last_event_id is not None:
                parser.last_id = self.last_event_id
            try:
                async for chunk in _body(reader, chunked, self.read_timeout):
                    for message in parser.feed(chunk):
                        self.last_event_id = parser.last_id
                        item = self._item(message.event, message.data)
                        if item is None:
                            continue
                        yield item
                        if self.is_run and isinstance(item, Event) and item.is_terminal:
                            return
                        if self._closed:
                            return
            except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError, ValueError):
                pass  # dropped or silent: resume
            finally:
                writer.close()
            if not self._closed:
                self.reconnects += 1
                await asyncio.sleep(0.25 * random.random())

    def _item(self, event: str, data: str) -> Optional[StreamItem]:
        if event == "herald.connected":
            self.connected = json.loads(data)
            return None
        if event == "herald.gap":
            notice = json.loads(data)
            return Gap(notice.get("reason", ""), int(notice.get("requested", 0)), int(notice.get("continuesAfter", 0)),
                       notice.get("message", ""))
        return Event(json.loads(data))

    async def _open(self):
        base = self.client.base
        try:
            reader, writer = await asyncio.wait_for(
                asyncio.open_connection(base.host, base.port, ssl=True if base.scheme == "https" else None), self.read_timeout)
        except (OSError, asyncio.TimeoutError) as error:
            raise HeraldError(0, "unreachable", f"{base.origin}: {error}") from None
        headers = dict(self.client.headers)
        headers.update({"Host": f"{base.host}:{base.port}", "Accept": "text/event-stream", "Connection": "close"})
        if self.last_event_id is not None:
            headers["Last-Event-ID"] = self.last_event_id
        request = f"GET {self.target} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
        try:
            writer.write(request.encode("latin-1"))
            await writer.drain()
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), self.read_timeout)
        except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError) as error:
            writer.close()
            raise HeraldError(0, "unreachable", f"{base.origin}: {error!r}") from None
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        fields = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)}
        chunked = "chunked" in fields.get("transfer-encoding", "").lower()
        if status == 204:
            writer.close()
            return None, writer, False
        if status != 200:
            body = b""
            try:
                body = b"".join([c async for c in _body(reader, chunked, self.read_timeout)])
            except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError, ValueError):
                pass
            writer.close()
            raise HeraldError.from_response(status, body, fields.get("retry-after"))
        return reader, writer, chunked


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
