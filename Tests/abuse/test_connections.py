"""Issue #15 row 5: descriptors are bounded.

Herald raises its RLIMIT_NOFILE soft limit to the hard limit at start (and logs it); a global
`--max-connections` cap refuses connections past it and logs that once; connections that never
send a request are closed after `--request-timeout`, sooner than kept-alive idle ones.
"""

from __future__ import annotations

import http.client
import re
import socket
import time

import pytest

from conftest import get_request, lines_at_or_above, read_answer, wait_until


def _open_files(limits: str):
    found = re.search(r"^Max open files\s+(\d+|unlimited)\s+(\d+|unlimited)", limits, re.M)
    assert found, limits
    return found.group(1), found.group(2)


@pytest.mark.timeout(30)
def test_open_files_limit_is_raised_to_the_hard_limit(start_herald):
    """Row 5: started with RLIMIT_NOFILE soft 256 / hard 4096, Herald runs with soft == hard
    (/proc/PID/limits "Max open files") and logs the new limit (before: it kept 256)."""
    server = start_herald(nofile=(256, 4096))
    soft, hard = _open_files(server.limits())
    assert hard == "4096"
    assert soft == hard, f"the open-files limit was left at soft {soft}, hard {hard}"
    logged = [line for line in server.log_lines() if "4096" in line]
    assert logged, "the raised open-files limit is not in the log:\n" + server.log_text()[-2000:]


MAX_CONNECTIONS = 50
IDLE_CONNECTIONS = 80
SLACK_FDS = 6


@pytest.mark.timeout(60)
def test_max_connections_caps_descriptors_and_logs_once(start_herald):
    """Row 5: with --max-connections 50, 80 raw TCP connections that send nothing leave the server
    with at most 50 (+ a few) more descriptors than idle, one warning in the log (not 30), and once
    they are gone a normal request succeeds again (before: one descriptor per connection; 1,100 of
    them made a server with the usual 1,024 soft limit unreachable, nothing logged)."""
    server = start_herald("--max-connections", str(MAX_CONNECTIONS), "--request-timeout", "30")
    assert server.request("GET", "/healthz").status == 200
    time.sleep(0.3)
    idle_fds = server.fd_count()
    offset = server.log_size()
    clients = []
    try:
        for _ in range(IDLE_CONNECTIONS):
            s = socket.socket()
            s.settimeout(5)
            try:
                s.connect(("127.0.0.1", server.port))
            except OSError:
                s.close()
                continue
            clients.append(s)
        time.sleep(1.5)
        fds = server.fd_count()
        print(f"{len(clients)} connections made; descriptors {idle_fds} idle, {fds} with them")
        assert fds <= idle_fds + MAX_CONNECTIONS + SLACK_FDS, (
            f"{fds - idle_fds} descriptors for {len(clients)} idle connections under --max-connections {MAX_CONNECTIONS}")
        warnings = [line for line in lines_at_or_above(server.log_lines_since(offset), "warning")
                    if re.search(r"connection", line, re.I)]
        assert len(warnings) == 1, (
            f"{len(warnings)} warnings about connections for one burst past the cap:\n" + "\n".join(warnings[:5]))
        # Past the cap a new connection is refused at once: it does not hang, nor take a descriptor.
        started = time.monotonic()
        assert not _healthy(server), "a request was served past --max-connections"
        assert time.monotonic() - started < 2.5, "a connection past the cap hung instead of being refused"
        assert server.fd_count() <= idle_fds + MAX_CONNECTIONS + SLACK_FDS
    finally:
        for s in clients:
            s.close()
    # Gone: the server serves again.
    wait_until(lambda: _healthy(server), timeout=10, message="no request succeeded after the connections closed")
    assert server.fd_count() <= idle_fds + SLACK_FDS


def _healthy(server) -> bool:
    try:
        return server.request("GET", "/healthz", timeout=2).status == 200
    except (OSError, http.client.HTTPException):
        return False


@pytest.mark.timeout(30)
def test_connections_that_send_nothing_are_closed_before_idle_keep_alive_ones(start_herald):
    """Row 5: with --request-timeout 2 --idle-timeout 30, a connection that never sends a request is
    closed by the server within ~2-4 s, while one that completed a keep-alive request and then idles
    is still open after 4 s."""
    server = start_herald("--request-timeout", "2", "--idle-timeout", "30")
    silent = socket.create_connection(("127.0.0.1", server.port), timeout=6)
    kept = socket.create_connection(("127.0.0.1", server.port), timeout=6)
    try:
        opened = time.monotonic()
        kept.sendall(get_request("/healthz"))
        assert read_answer(kept).startswith(b"HTTP/1.1 200")

        try:
            data = silent.recv(1024)
        except ConnectionResetError:
            data = b""
        except socket.timeout:
            raise AssertionError("a connection that sent nothing was still open after 6 s") from None
        took = time.monotonic() - opened
        assert data == b"", f"the server sent {data[:200]!r} to a connection that sent nothing"
        assert 1.5 <= took <= 4.5, f"a connection that sent nothing was closed after {took:.1f} s"

        kept.settimeout(max(0.1, opened + 4.5 - time.monotonic()))
        try:
            closed = kept.recv(1024) == b""
        except socket.timeout:
            closed = False
        assert not closed, "a kept-alive connection was closed by the request timeout"
        kept.sendall(get_request("/healthz"))
        assert read_answer(kept).startswith(b"HTTP/1.1 200")
    finally:
        silent.close()
        kept.close()


@pytest.mark.timeout(60)
def test_idle_connections_cannot_exhaust_descriptors_by_default(start_herald):
    """Row 5: with the open-files limit at 512 (soft = hard) and no --max-connections, 600 idle TCP
    connections that send nothing leave Herald below its limit (the default cap keeps a reserve for
    the store and the listener), nothing is logged at error level (no accept loop failing on
    EMFILE), and once they are gone a normal request succeeds (before: 1,100 idle connections
    against a 1,024 limit made the server unreachable until they idled out)."""
    server = start_herald(nofile=(512, 512))
    clients = []
    try:
        for _ in range(600):
            s = socket.socket()
            s.settimeout(2)
            try:
                s.connect(("127.0.0.1", server.port))
            except OSError:
                s.close()
                continue
            clients.append(s)
        time.sleep(1.5)
        fds = server.fd_count()
        print(f"{len(clients)} idle connections: {fds} descriptors (limit 512)")
        assert fds < 512 - 16, f"{fds} descriptors open under a limit of 512: the store has no reserve left"
    finally:
        for s in clients:
            s.close()
    wait_until(lambda: _healthy(server), timeout=10, message="no request succeeded after the idle connections left")
    assert server.publish([{"run": "after", "type": "test.ok"}]).status == 200
    errors = lines_at_or_above(server.log_lines(), "error")
    assert not errors, "logged at error level:\n" + "\n".join(errors[:5])
