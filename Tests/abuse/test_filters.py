"""Issue #15 row 2: filters are capped, and many distinct filter shapes cost bounded memory.

At most 100 `types` patterns and 100 `agents` in one filter, and a query string of at most
8,192 bytes; past each: 400 `invalid_parameter` (never a 5xx, never SQL text in the message);
exactly at the cap works. Dynamic SQL is not cached without bound.
"""

from __future__ import annotations

import re
import socket
import time
from typing import List
from urllib.parse import quote

import pytest

from conftest import assert_json_error, get_request, parse_raw_answer, raw_exchange

MAX_ITEMS = 100
MAX_QUERY_BYTES = 8192
SQL_WORDS = re.compile(r"\b(SELECT|FROM|WHERE|sqlite|SQLite|expression tree|e\.type|run_key)\b", re.I)


def _run_with_events(server, run: str = "filters") -> str:
    events = [{"run": run, "type": f"t.n{i % 7}", "agent": f"agent-{i % 5}", "data": {"i": i}} for i in range(30)]
    server.publish_ok(events)
    return run


def _types(count: int) -> List[str]:
    return [f"t.n{i}" for i in range(count)]


def _agents(count: int) -> List[str]:
    return [f"agent-{i}" for i in range(count)]


def _stream_answer(server, path: str):
    """A stream request's answer; one that is served (a stream that stays open) comes back after
    2 s as its head and first bytes."""
    return parse_raw_answer(raw_exchange(server.port, get_request(path), timeout=2))


def _assert_refused(answer, what: str) -> None:
    assert answer.status < 500, f"{what}: a {answer.status}: {answer.body[:300]!r}"
    body = assert_json_error(answer, (400,), "invalid_parameter")
    assert not SQL_WORDS.search(body["error"]["message"]), f"{what}: SQL in the message: {body['error']['message']!r}"


@pytest.mark.timeout(30)
def test_types_are_capped_at_100(start_herald):
    """Row 2: 100 `types` patterns work; 101, and 998 (before: a 503 quoting SQLite's expression-depth
    error and the SQL), answer 400 invalid_parameter with no SQL in the message."""
    server = start_herald()
    run = _run_with_events(server)
    at_cap = server.request("GET", f"/v1/runs/{run}/events?types={','.join(_types(MAX_ITEMS))}")
    assert at_cap.status == 200, at_cap
    assert at_cap.json()["total"] == 30
    with_wildcards = ",".join([f"w{i}.*" for i in range(MAX_ITEMS - 1)] + ["t.*"])
    assert server.request("GET", f"/v1/runs/{run}/events?types={with_wildcards}").status == 200
    for count in (MAX_ITEMS + 1, 998):
        _assert_refused(server.request("GET", f"/v1/runs/{run}/events?types={','.join(_types(count))}"),
                        f"{count} types")
    # The same filter on the streams.
    _assert_refused(_stream_answer(server, f"/v1/runs/{run}/stream?types={','.join(_types(MAX_ITEMS + 1))}"),
                    "101 types on a run stream")
    _assert_refused(_stream_answer(server, f"/v1/projects/default/stream?types={','.join(_types(MAX_ITEMS + 1))}"),
                    "101 types on a project stream")


@pytest.mark.timeout(30)
def test_agents_are_capped_at_100(start_herald):
    """Row 2: 100 `agents` work; 101, and 600, answer 400 invalid_parameter with no SQL in the message."""
    server = start_herald()
    run = _run_with_events(server)
    at_cap = server.request("GET", f"/v1/runs/{run}/events?agents={','.join(_agents(MAX_ITEMS))}")
    assert at_cap.status == 200, at_cap
    assert at_cap.json()["total"] == 30
    for count in (MAX_ITEMS + 1, 600):
        _assert_refused(server.request("GET", f"/v1/runs/{run}/events?agents={','.join(_agents(count))}"),
                        f"{count} agents")
    _assert_refused(_stream_answer(server, f"/v1/runs/{run}/stream?agents={','.join(_agents(MAX_ITEMS + 1))}"),
                    "101 agents on a run stream")
    _assert_refused(_stream_answer(server, f"/v1/projects/default/stream?agents={','.join(_agents(MAX_ITEMS + 1))}"),
                    "101 agents on a project stream")


def _query_of_length(length: int) -> str:
    """``agents=…``: at most 100 distinct agent names (each ≤ 128 bytes, no escaping needed),
    exactly ``length`` bytes long."""
    prefix = "agents="
    count = 80
    room = length - len(prefix) - (count - 1)
    base, extra = divmod(room, count)
    assert 8 <= base < 128
    names = []
    for i in range(count):
        size = base + (1 if i < extra else 0)
        stem = f"agent{i:03d}-"
        names.append(stem + "x" * (size - len(stem)))
    query = prefix + ",".join(names)
    assert len(query) == length
    return query


@pytest.mark.timeout(30)
def test_query_string_is_capped_at_8192_bytes(start_herald):
    """Row 2: a query string of exactly 8,192 bytes works; 8,193 bytes, and 60,000 bytes, answer 400
    invalid_parameter in the JSON error shape (before: served, or cut by NIO without a body)."""
    server = start_herald()
    run = _run_with_events(server)
    at_cap = server.request("GET", f"/v1/runs/{run}/events?{_query_of_length(MAX_QUERY_BYTES)}")
    assert at_cap.status == 200, at_cap
    _assert_refused(server.request("GET", f"/v1/runs/{run}/events?{_query_of_length(MAX_QUERY_BYTES + 1)}"),
                    "an 8,193-byte query string")
    _assert_refused(_stream_answer(server, f"/v1/runs/{run}/stream?{_query_of_length(MAX_QUERY_BYTES + 1)}"),
                    "an 8,193-byte query string on a stream")
    # Many parameters rather than one long list.
    long = "&".join(f"since={quote('2020-01-01T00:00:00Z')}" for _ in range(2000))
    answer = server.request("GET", f"/v1/runs/{run}/events?{long}")
    _assert_refused(answer, f"a {len(long)}-byte query string")
    assert server.request("GET", "/healthz").status == 200


def _shape(n: int) -> str:
    """The n-th distinct filter shape: a number of exact types, of wildcard types, and of agents."""
    exact, rest = n % 60 + 1, n // 60
    wildcards, agents = rest % 12, rest // 12 % 40
    parts = [f"types={','.join([f't.n{i}' for i in range(exact)] + [f'w{i}.*' for i in range(wildcards)])}"]
    if agents:
        parts.append(f"agents={','.join(_agents(agents))}")
    return "&".join(parts)


SHAPES = 8000
WARMUP = 400
RSS_BUDGET_MIB = 30


@pytest.mark.timeout(150)
def test_many_filter_shapes_do_not_grow_memory(start_herald):
    """Row 2: 8,000 distinct filter shapes (numbers of types, wildcards and agents) on
    GET /v1/runs/R/events grow RSS by less than 30 MB net after a warm-up (before: each shape's
    prepared statement was cached for good, 8,000 shapes added 144 MB)."""
    assert len({_shape(n) for n in range(SHAPES)}) == SHAPES
    server = start_herald()
    run = _run_with_events(server)
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as connection:
        # Pipelined in batches: the client's own overhead stays small next to the server's.
        query_batch(connection, run, range(WARMUP))
        base = server.rss_kib()
        started = time.monotonic()
        for first in range(WARMUP, SHAPES, 100):
            query_batch(connection, run, range(first, min(SHAPES, first + 100)))
        took = time.monotonic() - started
    growth = (server.rss_kib() - base) / 1024
    print(f"{SHAPES - WARMUP} shapes in {took:.1f} s: RSS grew {growth:.1f} MiB")
    assert growth < RSS_BUDGET_MIB, f"{SHAPES - WARMUP} distinct filter shapes grew RSS by {growth:.0f} MiB"


def query_batch(connection: socket.socket, run: str, shapes) -> None:
    """Sends one pipelined request per shape and checks that each answers 200."""
    shapes = list(shapes)
    connection.sendall(b"".join(
        f"GET /v1/runs/{run}/events?limit=5&{_shape(n)} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode()
        for n in shapes))
    buffer = b""
    for n in shapes:
        while True:
            head_end = buffer.find(b"\r\n\r\n")
            if head_end >= 0:
                head = buffer[:head_end].decode("latin-1")
                length = int(re.search(r"(?im)^content-length:\s*(\d+)", head).group(1))
                if len(buffer) >= head_end + 4 + length:
                    assert head.startswith("HTTP/1.1 200"), (n, head, buffer[head_end + 4:][:300])
                    buffer = buffer[head_end + 4 + length:]
                    break
            chunk = connection.recv(1 << 20)
            assert chunk, f"the server closed the connection at shape {n}"
            buffer += chunk
