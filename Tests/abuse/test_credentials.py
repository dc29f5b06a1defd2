"""Issue #15 row 4: an open stream ends when its credential does.

Revoking an API key ends the streams opened with it within the key-refresh interval (2 s); a
JWT's stream ends at its `exp`. Either way at an event boundary, and a reconnect gets 401.
"""

from __future__ import annotations

import socket
import threading
import time
from typing import List, Optional

import pytest

from conftest import SSEReader, assert_json_error, mint_jwt


class Publisher(threading.Thread):
    """Publishes one small event every ``interval`` seconds until stopped."""

    def __init__(self, server, run: str, token: str, interval: float = 0.2) -> None:
        super().__init__(daemon=True)
        self.server, self.run_name, self.token, self.interval = server, run, token, interval
        self.stopped = threading.Event()
        self.failures: List[str] = []

    def run(self) -> None:
        i = 0
        while not self.stopped.is_set():
            answer = self.server.publish([{"run": self.run_name, "type": "test.tick", "data": {"i": i}}], self.token)
            if answer.status != 200:
                self.failures.append(f"{answer.status} {answer.body[:200]!r}")
            i += 1
            self.stopped.wait(self.interval)

    def stop(self) -> None:
        self.stopped.set()
        self.join(10)


def _read_until_end(reader: SSEReader, deadline: float, since: float) -> Optional[float]:
    """Reads frames until the stream ends (answers when) or ``deadline`` passes (None);
    ``reader.frames_after`` counts the frames received after ``since``."""
    reader.frames_after = 0
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return None
        reader.sock.settimeout(remaining)
        try:
            frame = reader.next_frame()
        except socket.timeout:
            return None
        if frame is None:
            # Ended at an event boundary: no half frame left over.
            leftover = [line for line in reader.body.split(b"\n") if line and not line.startswith(b":")]
            assert not leftover, f"the stream ended inside a frame: {reader.body[:200]!r}"
            return time.monotonic()
        if time.monotonic() > since:
            reader.frames_after += 1


@pytest.mark.timeout(60)
@pytest.mark.parametrize("path", ["/v1/runs/revoked/stream", "/v1/projects/default/stream"], ids=["run", "project"])
def test_revoking_a_key_ends_its_open_streams(start_herald, path):
    """Row 4: a stream (of a run, or of a project) opened with an API key ends within ~5 s of
    `herald keys revoke` while another key keeps publishing (the key ring refreshes every 2 s); a
    reconnect with the revoked key gets 401 (before: the stream kept delivering until
    --stream-lifetime, 1 h)."""
    server = start_herald(keys=[("default", "read"), ("default", "publish")])
    watcher, producer = server.keys
    assert server.request("GET", "/v1/runs").status == 401, "authentication is not on"
    server.publish_ok([{"run": "revoked", "type": "test.start"}], producer)
    reader = SSEReader(server.port, path, token=watcher)
    publisher = Publisher(server, "revoked", producer)
    try:
        assert reader.status == 200, reader.status
        publisher.start()
        assert reader.next_frame() is not None
        time.sleep(0.5)
        server.revoke_key(watcher)
        revoked = time.monotonic()
        ended = _read_until_end(reader, revoked + 6, revoked + 2.5)
        assert ended is not None, (f"the stream of a revoked key was still open 6 s after the revocation, "
                                   f"{reader.frames_after} events delivered after the key ring's refresh")
        print(f"ended {ended - revoked:.1f} s after the revocation")
    finally:
        publisher.stop()
        reader.close()
    assert not publisher.failures, publisher.failures[:3]

    again = server.request("GET", path, token=watcher, timeout=10)
    assert_json_error(again, (401,))
    # The other key is unaffected.
    assert server.request("GET", "/v1/runs/revoked/events?limit=1", token=producer).status == 200


@pytest.mark.timeout(60)
def test_a_jwt_stream_ends_at_its_exp(start_herald, jwt_secret):
    """Row 4: a stream opened with an HS256 JWT whose `exp` is ~3 s ahead delivers until then and
    ends within ~3 s after `exp` while events keep coming; a reconnect with it gets 401 (before:
    it kept delivering until --stream-lifetime)."""
    path, secret = jwt_secret
    server = start_herald("--jwt-secret-file", str(path))
    producer = mint_jwt(secret, sub="producer", exp_in=3600, role="publish")
    server.publish_ok([{"run": "expiring", "type": "test.start"}], producer)
    exp = int(time.time()) + 4
    short = mint_jwt(secret, sub="watcher", exp_in=exp - time.time(), role="read")
    reader = SSEReader(server.port, "/v1/runs/expiring/stream", token=short)
    publisher = Publisher(server, "expiring", producer)
    try:
        assert reader.status == 200, reader.status
        assert reader.next_frame() is not None
        publisher.start()
        # `exp` on the wall clock, measured on the monotonic one.
        exp_at = time.monotonic() + (exp - time.time())
        ended = _read_until_end(reader, exp_at + 4, exp_at + 0.5)
        assert ended is not None, (f"the stream of an expired JWT was still open 4 s after its exp, "
                                   f"{reader.frames_after} events delivered after it")
        print(f"ended {ended - exp_at:+.1f} s from exp")
        # Not cut early: it delivered until about its exp.
        assert ended > exp_at - 1.0, f"the stream ended {exp_at - ended:.1f} s before the token's exp"
    finally:
        publisher.stop()
        reader.close()
    assert not publisher.failures, publisher.failures[:3]

    again = server.request("GET", "/v1/runs/expiring/stream", token=short, timeout=10)
    assert_json_error(again, (401,))
