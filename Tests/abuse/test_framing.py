"""Issue #15 row 6: client aborts and bad framing are answered in the documented shape and not
logged as server errors; HEAD is answered as GET without a body.
"""

from __future__ import annotations

import socket
import time

import pytest

from conftest import (assert_json_error, get_request, lines_at_or_above, parse_raw_answer, raw_exchange,
                      read_answer)

POST_HEAD = ("POST /v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
             "Content-Length: {length}\r\n\r\n")
EVENT = b'{"run": "framing", "type": "test.ok"}'


def _no_error_lines(server) -> None:
    errors = lines_at_or_above(server.log_lines(), "error")
    assert not errors, "logged at error level:\n" + "\n".join(errors[:5])


def _still_healthy(server) -> None:
    assert server.request("GET", "/healthz", timeout=5).status == 200
    assert server.publish([{"run": "framing", "type": "test.after"}]).status == 200


@pytest.mark.timeout(30)
def test_client_abort_mid_body_is_not_a_server_error(start_herald):
    """Row 6: a client that announces Content-Length 100000, sends 1,000 bytes and closes, twenty
    times, is not logged at error level (before: a 500 logged as an error, so anyone could fill the
    error log) and the server stays healthy."""
    server = start_herald(log_level="debug")
    for _ in range(20):
        with socket.create_connection(("127.0.0.1", server.port), timeout=5) as s:
            s.sendall(POST_HEAD.format(length=100000).encode() + b"[" + b" " * 998 + b"\n")
            time.sleep(0.02)
    time.sleep(0.5)
    _still_healthy(server)
    _no_error_lines(server)


@pytest.mark.timeout(30)
def test_slowloris_cut_off_is_not_a_server_error(start_herald):
    """Row 6: with --request-timeout 2, a body trickled a few bytes at a time is cut off within ~2 s
    of its head, without an error-level log line, and the server stays healthy."""
    server = start_herald("--request-timeout", "2", log_level="debug")
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
        s.sendall(POST_HEAD.format(length=10000).encode())
        started = time.monotonic()
        cut = None
        while time.monotonic() - started < 8:
            try:
                s.sendall(b" " * 5)
            except OSError:
                cut = time.monotonic() - started
                break
            s.settimeout(0.3)
            try:
                data = s.recv(65536)
            except socket.timeout:
                continue
            except OSError:
                data = b""
            if not data or data.startswith(b"HTTP/"):
                # Closed, or answered (then it must be a documented error, and closed).
                if data:
                    answer = parse_raw_answer(data + read_answer(s, 2))
                    assert answer.status in (400, 408), answer
                cut = time.monotonic() - started
                break
        assert cut is not None, "a trickled body kept its connection for 8 s under --request-timeout 2"
        assert cut <= 4.5, f"the trickled body was cut off after {cut:.1f} s"
    time.sleep(0.3)
    _still_healthy(server)
    _no_error_lines(server)


MALFORMED_CHUNKED = [
    pytest.param(b"zz\r\n{}\r\n0\r\n\r\n", id="size-not-hex"),
    pytest.param(b"5\r\n[{}]\r\n0\r\n\r\n", id="size-too-small"),
    pytest.param(b"ffffffffffffffffffff\r\n{}\r\n0\r\n\r\n", id="size-overflow"),
    pytest.param(b"2\r\n{}XX0\r\n\r\n", id="no-crlf-after-data"),
]


@pytest.mark.timeout(30)
@pytest.mark.parametrize("body", MALFORMED_CHUNKED)
def test_malformed_chunking_answers_400_json(start_herald, body):
    """Row 6: a malformed chunked body answers 400 with the JSON error body and Content-Type
    application/json (before: a 500 logged at error level, or an empty 400), no error-level log
    line, and the server stays healthy."""
    server = start_herald(log_level="debug")
    head = ("POST /v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            "Transfer-Encoding: chunked\r\n\r\n").encode()
    raw = raw_exchange(server.port, head + body, timeout=5)
    assert raw, "the connection was closed without an answer"
    assert_json_error(parse_raw_answer(raw), (400,))
    _still_healthy(server)
    _no_error_lines(server)


OVERSIZED = [
    pytest.param(f"X-Big: {'a' * 65536}\r\n", id="64-KiB-header"),
    pytest.param(f"X-Big: {'a' * 102400}\r\n", id="100-KiB-header"),
    pytest.param("X-Nul: a\x00b\r\n", id="NUL-in-header"),
    pytest.param("".join(f"X-H{i}: v\r\n" for i in range(1000)), id="1000-headers"),
]


@pytest.mark.timeout(30)
@pytest.mark.parametrize("headers", OVERSIZED)
def test_refused_heads_answer_json(start_herald, headers):
    """Row 6: a 64 KiB header, a NUL byte in a header and 1,000 headers answer 400 (or 431) with the
    JSON error body and Content-Type application/json (before: a 64 KiB header was served, and
    NIO refused the others, and headers past 80 KiB, with an empty 400)."""
    server = start_herald(log_level="debug")
    request = f"GET /v1/runs HTTP/1.1\r\nHost: 127.0.0.1\r\n{headers}\r\n".encode("latin-1")
    raw = raw_exchange(server.port, request, timeout=5)
    assert raw, "the connection was closed without an answer"
    assert_json_error(parse_raw_answer(raw), (400, 431))
    _still_healthy(server)
    _no_error_lines(server)


MALFORMED_HEADS = [
    pytest.param(b"GARBAGE\r\n\r\n", id="no-request-line"),
    pytest.param(b"GET /v1/runs HTTP/2.0\r\nHost: 127.0.0.1\r\n\r\n", id="http-2.0-over-1.1"),
    pytest.param(b"GET /v1/runs HTTP/1.1\r\nHost: 127.0.0.1\r\nNo colon here\r\n\r\n", id="header-without-colon"),
    pytest.param(b"POST /v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                 b"Content-Length: abc\r\n\r\n", id="content-length-not-a-number"),
    pytest.param(b"POST /v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                 b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", id="length-and-chunked"),
]


@pytest.mark.timeout(30)
@pytest.mark.parametrize("request_bytes", MALFORMED_HEADS)
def test_malformed_requests_answer_400_json(start_herald, request_bytes):
    """Row 6: requests the HTTP parser refuses (no request line, a bad version, a header line
    without a colon, a non-numeric Content-Length, Content-Length with chunked) answer 400 in the
    documented JSON shape, not NIO's empty 400, and are not logged as server errors."""
    server = start_herald(log_level="debug")
    raw = raw_exchange(server.port, request_bytes, timeout=5)
    assert raw, "the connection was closed without an answer"
    assert_json_error(parse_raw_answer(raw), (400,))
    _still_healthy(server)
    _no_error_lines(server)


IGNORED_HEADERS = {"date", "x-request-id", "content-length", "connection", "keep-alive", "transfer-encoding"}


@pytest.mark.timeout(30)
@pytest.mark.parametrize("path", ["/healthz", "/v1/runs", "/openapi.json", "/readyz", "/v1/runs/framing/events"])
def test_head_is_answered_as_get_without_a_body(start_herald, path):
    """Row 6: HEAD on a GET route answers like GET (same status, same headers, Content-Length of the
    GET body or none) with no body (before: 405)."""
    server = start_herald()
    server.publish_ok([{"run": "framing", "type": "test.ok"}])
    get = server.request("GET", path)
    assert get.status == 200
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as s:
        # HEAD then GET on one connection: were HEAD's answer to carry a body, the second answer
        # would not start right after its head.
        s.sendall(f"HEAD {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode() + get_request("/healthz"))
        data = b""
        while data.count(b"\r\n\r\n") < 2:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    head_end = data.find(b"\r\n\r\n")
    assert head_end >= 0, f"no answer to HEAD: {data[:300]!r}"
    head = parse_raw_answer(data[:head_end + 4])
    rest = data[head_end + 4:]
    assert head.status == get.status, f"HEAD {path}: {head.status} (GET: {get.status})"
    assert rest.startswith(b"HTTP/1.1 200"), f"HEAD {path} sent a body, or the connection ended: {rest[:200]!r}"
    if "content-length" in head.headers:
        assert int(head.headers["content-length"]) == len(get.body), (head.headers, len(get.body))
    same = {k: v for k, v in get.headers.items() if k not in IGNORED_HEADERS}
    got = {k: v for k, v in head.headers.items() if k not in IGNORED_HEADERS}
    assert got == same, f"HEAD {path} headers {got} differ from GET's {same}"
