"""Issue #15 row 3: a shutdown finishes within a bounded drain.

SIGTERM with a stream (or a query) whose client stopped reading: Herald cancels the blocked
writers after ``--shutdown-timeout`` seconds, checkpoints the store and exits 0; every
acknowledged event is there after a restart.
"""

from __future__ import annotations

import signal
import socket
import subprocess
import time

import pytest

from conftest import (KIB, MIB, SSEReader, get_request, nonreading_socket, publish_big, read_all_events, read_answer,
                      server_side_state)

# A debug build's start of the drain, the checkpoint and the exit.
EXIT_SLACK = 4


def _sigterm_and_time(server, limit: float, sig: int = signal.SIGTERM) -> float:
    started = time.monotonic()
    server.process.send_signal(sig)
    try:
        server.process.wait(timeout=limit)
    except subprocess.TimeoutExpired:
        raise AssertionError(f"herald did not exit within {limit:.0f} s of {signal.Signals(sig).name}") from None
    return time.monotonic() - started


def _assert_checkpointed(server) -> None:
    wal = server.data / "herald.sqlite-wal"
    assert not wal.exists() or wal.stat().st_size == 0, (
        f"the store was not checkpointed: {wal.name} holds {wal.stat().st_size} bytes after exit")


def _blocked_reader(server, run: str, path: str):
    """Publishes 100 events of 200 KiB and leaves a client that never reads them on ``path``."""
    server.publish_ok([{"run": run, "type": "test.start"}])
    client = nonreading_socket(server.port, get_request(path))
    publish_big(server, run, 100, 200 * KIB)
    time.sleep(0.5)
    assert server_side_state(client) == "ESTABLISHED", "the non-reading connection is already gone"
    return client


@pytest.mark.timeout(60)
@pytest.mark.parametrize("kind,sig", [("stream", signal.SIGTERM), ("query", signal.SIGTERM),
                                      ("stream", signal.SIGINT)], ids=["stream", "query", "stream-SIGINT"])
def test_sigterm_with_a_blocked_client_exits_within_the_drain(start_herald, kind, sig):
    """Row 3: SIGTERM (or SIGINT) with a stream (or a query) whose client stopped reading, big
    events queued: exit 0 within --shutdown-timeout (2) + a few seconds, the WAL checkpointed
    away, and every acknowledged event readable after a restart (before: never exited)."""
    # A query gets pages of 16 MiB: its answer cannot fit in the socket buffers either.
    pages = ["--max-page-bytes", str(16 * MIB)] if kind == "query" else []
    server = start_herald("--shutdown-timeout", "2", *pages)
    path = "/v1/runs/drain/stream" if kind == "stream" else "/v1/runs/drain/events?limit=1000"
    client = _blocked_reader(server, "drain", path)
    try:
        acknowledged = [1] + list(range(2, 102))
        took = _sigterm_and_time(server, 2 + EXIT_SLACK, sig)
        assert server.process.returncode == 0, f"exit status {server.process.returncode}"
        print(f"exited {took:.1f} s after {signal.Signals(sig).name}")
    finally:
        client.close()
    _assert_checkpointed(server)

    server.restart()
    assert [event["seq"] for event in read_all_events(server, "drain")] == acknowledged


@pytest.mark.timeout(60)
@pytest.mark.parametrize("kind", ["trickled-body", "silent-connection"])
def test_sigterm_with_a_stalled_request_exits_within_the_drain(start_herald, kind):
    """Row 3: SIGTERM while a client trickles a request body, or holds a connection on which it
    sends nothing (--request-timeout left at 30 s): exit 0 within --shutdown-timeout (2) + a few
    seconds, not after the request timeout, with the store checkpointed."""
    server = start_herald("--shutdown-timeout", "2")
    seqs = [e["seq"] for e in server.publish_ok([{"run": "stall", "type": "test.x"} for _ in range(5)])["events"]]
    client = socket.create_connection(("127.0.0.1", server.port), timeout=5)
    try:
        if kind == "trickled-body":
            client.sendall(b"POST /v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                           b"Content-Length: 10000\r\n\r\n[")
        time.sleep(0.5)
        took = _sigterm_and_time(server, 2 + EXIT_SLACK)
        assert server.process.returncode == 0, f"exit status {server.process.returncode}"
        print(f"exited {took:.1f} s after SIGTERM")
    finally:
        client.close()
    _assert_checkpointed(server)
    server.restart()
    assert [event["seq"] for event in read_all_events(server, "stall")] == seqs


@pytest.mark.timeout(60)
def test_default_shutdown_drain_is_a_few_seconds(start_herald):
    """Row 3: without the option (default 5 s) a blocked stream does not hold a shutdown either:
    exit 0 within 5 + a few seconds, store checkpointed."""
    server = start_herald()
    client = _blocked_reader(server, "drain", "/v1/runs/drain/stream")
    try:
        took = _sigterm_and_time(server, 5 + EXIT_SLACK)
        assert server.process.returncode == 0
        print(f"exited {took:.1f} s after SIGTERM")
    finally:
        client.close()
    _assert_checkpointed(server)


@pytest.mark.timeout(60)
def test_sigterm_with_reading_clients_is_prompt_and_loses_nothing(start_herald):
    """Row 3: with only well-behaved clients (a reading stream, a keep-alive connection), SIGTERM
    exits 0 well within the drain and the store is checkpointed; nothing acknowledged is lost."""
    server = start_herald("--shutdown-timeout", "2")
    seqs = publish_big(server, "calm", 20, 10 * KIB)
    reader = SSEReader(server.port, "/v1/runs/calm/stream")
    idle = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    try:
        assert [int(reader.next_frame()["id"]) for _ in seqs] == seqs
        idle.sendall(get_request("/healthz"))
        assert read_answer(idle).startswith(b"HTTP/1.1 200")
        took = _sigterm_and_time(server, 2 + EXIT_SLACK)
        assert server.process.returncode == 0
        assert took < 2 + EXIT_SLACK
    finally:
        reader.close()
        idle.close()
    _assert_checkpointed(server)
    server.restart()
    assert [event["seq"] for event in read_all_events(server, "calm")] == seqs
