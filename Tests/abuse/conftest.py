"""Fixtures for the abuse suite (issue #15): the real ``herald`` binary, attacked over loopback.

Each test starts its own ``herald serve`` on a random free port with its own data folder
(``start_herald("--write-timeout", "2")``); its stdout and stderr go to a log file the test can
read (``server.log_text()``), and every server is stopped at the end (SIGTERM, then SIGKILL).

HERALD_BIN names the binary (default: the repository's ``.build/debug/herald``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.client
import json
import os
import re
import resource
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Tuple

import pytest

ROOT = Path(__file__).resolve().parents[2]
HERALD_BIN = os.environ.get("HERALD_BIN") or str(ROOT / ".build" / "debug" / "herald")

KIB = 1024
MIB = 1024 * 1024


# --------------------------------------------------------------------------------------------
# The server under test


class Herald:
    """One ``herald serve`` child on a random loopback port, logging to ``<data>.log``."""

    def __init__(self, data: Path, args: List[str], log_level: str = "info",
                 nofile: Optional[Tuple[int, int]] = None) -> None:
        self.data = data
        self.args = args
        self.log_level = log_level
        self.nofile = nofile  # (soft, hard) RLIMIT_NOFILE to start the child with
        self.port = 0
        self.process: Optional[subprocess.Popen] = None
        self.log = data.parent / (data.name + ".log")
        self.keys: List[str] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def command(self) -> List[str]:
        return [HERALD_BIN, "serve", "--port", str(self.port), "--data", str(self.data),
                "--log-level", self.log_level, *self.args]

    def start(self) -> "Herald":
        offset = self.log.stat().st_size if self.log.exists() else 0
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(self.command(), stdout=log, stderr=subprocess.STDOUT,
                                            stdin=subprocess.DEVNULL,
                                            preexec_fn=self._limits if self.nofile else None)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            text = self.log.read_bytes()[offset:].decode("utf-8", "replace")
            found = re.search(r"listening on 127\.0\.0\.1:(\d+)", text)
            if found:
                self.port = int(found.group(1))
                return self
            if self.process.poll() is not None:
                raise RuntimeError(f"herald serve exited {self.process.returncode}:\n{text}")
            time.sleep(0.02)
        raise RuntimeError("herald serve did not start in 30 s")

    def _limits(self) -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, self.nofile)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 10) -> Optional[int]:
        """Signals the process and waits; SIGKILL if it has not exited after ``timeout``."""
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        return self.process.returncode

    def restart(self) -> "Herald":
        """Stops (TERM) and starts again on the same data folder (a new port)."""
        self.stop()
        self.process = None
        self.port = 0
        return self.start()

    def log_text(self) -> str:
        return self.log.read_bytes().decode("utf-8", "replace") if self.log.exists() else ""

    def log_lines(self) -> List[str]:
        return self.log_text().splitlines()

    def log_size(self) -> int:
        return self.log.stat().st_size

    def log_lines_since(self, offset: int) -> List[str]:
        return self.log.read_bytes()[offset:].decode("utf-8", "replace").splitlines()

    # /proc views of the child

    def rss_kib(self) -> int:
        return proc_status_kib(self.pid, "VmRSS")

    def fd_count(self) -> int:
        return len(os.listdir(f"/proc/{self.pid}/fd"))

    def limits(self) -> str:
        return Path(f"/proc/{self.pid}/limits").read_text()

    # HTTP

    def request(self, method: str, path: str, body: Optional[bytes] = None,
                headers: Optional[Dict[str, str]] = None, token: Optional[str] = None,
                timeout: float = 30) -> "Answer":
        return http_request(self.port, method, path, body, headers, token, timeout)

    def get_json(self, path: str, token: Optional[str] = None, timeout: float = 30) -> Dict:
        answer = self.request("GET", path, token=token, timeout=timeout)
        assert answer.status == 200, f"GET {path[:200]}: {answer.status} {answer.body[:300]!r}"
        return answer.json()

    def publish(self, events: List[Dict], token: Optional[str] = None, timeout: float = 60) -> "Answer":
        body = json.dumps(events).encode()
        return self.request("POST", "/v1/events", body, {"Content-Type": "application/json"}, token, timeout)

    def publish_ok(self, events: List[Dict], token: Optional[str] = None) -> Dict:
        answer = self.publish(events, token)
        assert answer.status == 200, f"publish: {answer.status} {answer.body[:300]!r}"
        return answer.json()

    # API keys (`herald keys`: they work while the server runs, SQLite WAL)

    def revoke_key(self, key: str) -> None:
        result = subprocess.run([HERALD_BIN, "keys", "revoke", "--data", str(self.data), key],
                                capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, f"keys revoke: {result.stdout}{result.stderr}"


def create_key(data: Path, project: str = "default", role: str = "publish") -> str:
    """``herald keys create``: prints ``hk_<id>_<secret>`` once."""
    result = subprocess.run([HERALD_BIN, "keys", "create", "--data", str(data), "--project", project, "--role", role],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, f"keys create: {result.stdout}{result.stderr}"
    found = re.search(r"\bhk_[A-Za-z0-9]+_[A-Za-z0-9]+\b", result.stdout + result.stderr)
    assert found, f"no key in the output of keys create: {result.stdout!r}"
    return found.group(0)


@pytest.fixture
def start_herald(tmp_path):
    """Starts servers: ``start_herald("--write-timeout", "2", log_level="debug")``. Each has its own
    data folder under the test's tmp_path; all are stopped at the end (TERM, then KILL).
    ``keys=[("default", "read"), …]`` creates API keys first (``server.keys``, in that order)."""
    servers: List[Herald] = []

    def start(*args: str, log_level: str = "info", data: Optional[Path] = None,
              nofile: Optional[Tuple[int, int]] = None, keys: Iterable[Tuple[str, str]] = ()) -> Herald:
        folder = data or tmp_path / f"data{len(servers)}"
        server = Herald(folder, list(args), log_level, nofile)
        # Keys made before the start: authentication is on from the first request (a key made
        # while the server runs turns it on only at the key ring's next refresh).
        server.keys = [create_key(folder, project, role) for project, role in keys]
        servers.append(server)
        return server.start()

    yield start
    for server in servers:
        server.stop(signal.SIGTERM, timeout=5)


# --------------------------------------------------------------------------------------------
# HTTP


class Answer:
    def __init__(self, status: int, headers: List[Tuple[str, str]], body: bytes) -> None:
        self.status = status
        self.header_list = headers
        self.headers = {name.lower(): value for name, value in headers}
        self.body = body

    def json(self):
        return json.loads(self.body)

    def __repr__(self) -> str:
        return f"<{self.status} {self.headers} {self.body[:300]!r}>"


def http_request(port: int, method: str, path: str, body: Optional[bytes] = None,
                 headers: Optional[Dict[str, str]] = None, token: Optional[str] = None,
                 timeout: float = 30) -> Answer:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        all_headers = dict(headers or {})
        if token:
            all_headers["Authorization"] = f"Bearer {token}"
        connection.request(method, path, body=body, headers=all_headers)
        response = connection.getresponse()
        data = response.read()
        return Answer(response.status, response.getheaders(), data)
    finally:
        connection.close()


def assert_json_error(answer: Answer, statuses=(400,), code: Optional[str] = None) -> Dict:
    """The documented error shape: status, Content-Type application/json, {"error":{"code","message"}}."""
    assert answer.status in statuses, f"expected {statuses}, got {answer!r}"
    assert answer.headers.get("content-type", "").startswith("application/json"), (
        f"not the JSON error shape (Content-Type): {answer!r}")
    try:
        body = answer.json()
    except ValueError:
        raise AssertionError(f"not the JSON error shape (body): {answer!r}") from None
    assert isinstance(body.get("error"), dict), body
    assert isinstance(body["error"].get("code"), str) and body["error"]["code"], body
    assert isinstance(body["error"].get("message"), str), body
    if code is not None:
        assert body["error"]["code"] == code, body
    return body


def raw_exchange(port: int, data: bytes, timeout: float = 10) -> bytes:
    """Sends bytes on a fresh connection and reads until the server closes or goes quiet."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(data)
        return read_answer(s, timeout)


def read_answer(s: socket.socket, timeout: float = 10) -> bytes:
    """Reads one HTTP answer (head, then Content-Length bytes) or until EOF."""
    s.settimeout(timeout)
    buffer = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        head_end = buffer.find(b"\r\n\r\n")
        if head_end >= 0:
            head = buffer[:head_end].decode("latin-1")
            found = re.search(r"(?im)^content-length:\s*(\d+)", head)
            if found and len(buffer) >= head_end + 4 + int(found.group(1)):
                return buffer[:head_end + 4 + int(found.group(1))]
        try:
            chunk = s.recv(65536)
        except (ConnectionResetError, socket.timeout):
            break
        if not chunk:
            break
        buffer += chunk
    return buffer


def parse_raw_answer(raw: bytes) -> Answer:
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    assert lines and lines[0].startswith("HTTP/1."), f"not an HTTP answer: {raw[:300]!r}"
    status = int(lines[0].split()[1])
    headers = []
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers.append((name.strip(), value.strip()))
    return Answer(status, headers, body)


# --------------------------------------------------------------------------------------------
# Events


def big_event(run: str, index: int, data_bytes: int, type_: str = "test.big", **fields) -> Dict:
    """An event whose ``data`` serialises to about ``data_bytes`` bytes."""
    # Strings are capped (--max-string-bytes, 64 KiB): the padding is a list of shorter ones.
    remaining = max(0, data_bytes - 40)
    pad = []
    while remaining > 0:
        piece = min(remaining, 60 * KIB)
        pad.append("x" * piece)
        remaining -= piece + 3
    return {"run": run, "type": type_, "data": {"i": index, "pad": pad}, **fields}


def publish_big(server: Herald, run: str, count: int, data_bytes: int = 200 * KIB,
                token: Optional[str] = None, batch_bytes: int = 3 * MIB) -> List[int]:
    """Publishes ``count`` big events in requests under the default 4 MiB body cap; answers their seqs."""
    per_request = max(1, batch_bytes // (data_bytes + 200))
    seqs: List[int] = []
    index = 0
    while index < count:
        batch = [big_event(run, i, data_bytes) for i in range(index, min(count, index + per_request))]
        answer = server.publish_ok(batch, token)
        seqs.extend(e["seq"] for e in answer["events"])
        index += len(batch)
    return seqs


def read_all_events(server: Herald, run: str, token: Optional[str] = None, query: str = "") -> List[Dict]:
    """Pages through GET /v1/runs/{run}/events by ``after`` until ``hasMore`` is false."""
    events: List[Dict] = []
    after = 0
    for _ in range(100000):
        page = server.get_json(f"/v1/runs/{run}/events?limit=1000&after={after}{query}", token)
        events.extend(page["events"])
        if not page["hasMore"]:
            return events
        assert page["events"], f"hasMore with an empty page: {page}"
        after = page["events"][-1]["seq"]
    raise AssertionError("paging did not end")


# --------------------------------------------------------------------------------------------
# Hostile sockets


def nonreading_socket(port: int, request: bytes, rcvbuf: int = 4 * KIB) -> socket.socket:
    """A connection with a small receive buffer (set before connect, so the window stays small)
    that sends ``request`` and then never reads."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.connect(("127.0.0.1", port))
    s.sendall(request)
    return s


def get_request(path: str, token: Optional[str] = None, extra: str = "") -> bytes:
    auth = f"Authorization: Bearer {token}\r\n" if token else ""
    return (f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{auth}{extra}\r\n").encode()


TCP_STATES = {"01": "ESTABLISHED", "02": "SYN_SENT", "03": "SYN_RECV", "04": "FIN_WAIT1", "05": "FIN_WAIT2",
              "06": "TIME_WAIT", "07": "CLOSE", "08": "CLOSE_WAIT", "09": "LAST_ACK", "0A": "LISTEN", "0B": "CLOSING"}


def server_side_state(client: socket.socket) -> Optional[str]:
    """The TCP state of the server's end of ``client``'s connection, from /proc/net/tcp (None: gone).
    ESTABLISHED while the server holds it open; FIN_WAIT1/2 or gone once it closed it."""
    local_port = client.getsockname()[1]
    peer_port = client.getpeername()[1]
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, remote, state = fields[1], fields[2], fields[3]
        if int(local.split(":")[1], 16) == peer_port and int(remote.split(":")[1], 16) == local_port:
            return TCP_STATES.get(state, state)
    return None


def server_closed(client: socket.socket) -> bool:
    return server_side_state(client) != "ESTABLISHED"


# --------------------------------------------------------------------------------------------
# /proc and timing


LEVELS = ("trace", "debug", "info", "notice", "warning", "error", "critical")


def log_level_of(line: str) -> Optional[str]:
    """The level of a text log line (``<time> <level> <label>: …``) or a JSON one (``"level"``)."""
    if line.startswith("{"):
        try:
            return str(json.loads(line).get("level"))
        except ValueError:
            return None
    fields = line.split(" ", 2)
    return fields[1] if len(fields) > 1 and fields[1] in LEVELS else None


def lines_at_or_above(lines: Iterable[str], level: str) -> List[str]:
    floor = LEVELS.index(level)
    return [line for line in lines if (log_level_of(line) or "trace") in LEVELS
            and LEVELS.index(log_level_of(line) or "trace") >= floor]


def proc_status_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise AssertionError(f"no {field} in /proc/{pid}/status")


class PeakSampler:
    """Samples the child's VmRSS every ``interval`` s in a thread; ``peak`` is the highest seen."""

    def __init__(self, server: Herald, interval: float = 0.02) -> None:
        self.server = server
        self.interval = interval
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.peak = max(self.peak, self.server.rss_kib())
            except (OSError, AssertionError):
                return
            self._stop.wait(self.interval)

    def __enter__(self) -> "PeakSampler":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(5)


def wait_until(predicate, timeout: float = 20.0, interval: float = 0.05, message: str = ""):
    """Polls ``predicate`` until truthy and returns its value; fails the test after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met in {timeout} s{': ' + message if message else ''}")
        time.sleep(interval)


# --------------------------------------------------------------------------------------------
# JWT (HS256, stdlib only)


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def mint_jwt(secret: bytes, sub: str = "alice", exp_in: float = 3600, role: str = "publish",
             projects: Optional[List[str]] = None, **claims) -> str:
    """An HS256 JWT with ``sub``, ``exp`` (now + ``exp_in`` s), ``role`` and ``projects``."""
    header = {"alg": "HS256", "typ": "JWT"}
    payload = {"sub": sub, "exp": int(time.time() + exp_in), "role": role,
               "projects": projects or ["default"], **claims}
    signing_input = _b64url(json.dumps(header).encode()) + "." + _b64url(json.dumps(payload).encode())
    signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return signing_input + "." + _b64url(signature)


@pytest.fixture
def jwt_secret(tmp_path) -> Tuple[Path, bytes]:
    secret = os.urandom(32).hex().encode()
    path = tmp_path / "jwt-secret"
    path.write_bytes(secret)
    return path, secret


# --------------------------------------------------------------------------------------------
# SSE


class SSEReader:
    """A stream read over a raw socket: ``frames()`` yields (id, event, data) as they arrive."""

    def __init__(self, port: int, path: str, token: Optional[str] = None, rcvbuf: Optional[int] = None,
                 timeout: float = 10) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.sock.settimeout(timeout)
        self.sock.connect(("127.0.0.1", port))
        self.sock.sendall(get_request(path, token, "Accept: text/event-stream\r\n"))
        self.buffer = b""
        self.status = 0
        self.headers: Dict[str, str] = {}
        self.chunked = False
        self.eof = False
        self._read_head()

    def _fill(self, size: int = 65536) -> bool:
        try:
            chunk = self.sock.recv(size)
        except ConnectionResetError:
            chunk = b""
        if not chunk:
            self.eof = True
            return False
        self.buffer += chunk
        return True

    def _read_head(self) -> None:
        while b"\r\n\r\n" not in self.buffer:
            if not self._fill():
                raise AssertionError(f"stream closed before its head: {self.buffer!r}")
        head, _, self.buffer = self.buffer.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        self.status = int(lines[0].split()[1])
        for line in lines[1:]:
            name, _, value = line.partition(":")
            self.headers[name.strip().lower()] = value.strip()
        self.chunked = "chunked" in self.headers.get("transfer-encoding", "").lower()
        self.body = b""  # de-chunked bytes not yet parsed into frames

    def _more_body(self) -> bool:
        """Moves de-chunked bytes from ``buffer`` to ``body``; reads the socket when nothing is ready."""
        while True:
            if not self.chunked:
                if self.buffer:
                    self.body += self.buffer
                    self.buffer = b""
                    return True
                if not self._fill():
                    return False
                continue
            line_end = self.buffer.find(b"\r\n")
            if line_end >= 0:
                size = int(self.buffer[:line_end].split(b";")[0], 16)
                if size == 0:
                    self.eof = True
                    return False
                if len(self.buffer) >= line_end + 2 + size + 2:
                    self.body += self.buffer[line_end + 2:line_end + 2 + size]
                    self.buffer = self.buffer[line_end + 2 + size + 2:]
                    return True
            if not self._fill():
                return False

    def next_frame(self) -> Optional[Dict[str, str]]:
        """The next event frame ({"id", "event", "data"}), skipping comments; None at the end."""
        while True:
            end = self.body.find(b"\n\n")
            if end >= 0:
                block, self.body = self.body[:end], self.body[end + 2:]
                frame: Dict[str, str] = {}
                for line in block.decode("utf-8", "replace").split("\n"):
                    if not line or line.startswith(":"):
                        continue
                    name, _, value = line.partition(":")
                    value = value[1:] if value.startswith(" ") else value
                    frame[name] = frame[name] + "\n" + value if name in frame else value
                if "data" in frame or "event" in frame:
                    return frame
                continue
            if not self._more_body():
                return None

    def close(self) -> None:
        self.sock.close()


if not os.path.exists(HERALD_BIN):
    pytest.exit(f"no herald binary at {HERALD_BIN}: build it (swift build) or set HERALD_BIN", returncode=4)
