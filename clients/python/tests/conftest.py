"""Fixtures: the real ``herald`` binary on a random loopback port, and a proxy that loses answers.

HERALD_BIN names the binary (default: the repository's ``.build/debug/herald``).
"""

from __future__ import annotations

import os
import re
import select
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path
from typing import Dict, List, Optional

import pytest

ROOT = Path(__file__).resolve().parents[3]
HERALD_BIN = os.environ.get("HERALD_BIN") or str(ROOT / ".build" / "debug" / "herald")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Herald:
    """One ``herald serve`` child: start, stop (TERM or KILL) and start again on the same port and data."""

    def __init__(self, data: Path, args: List[str]) -> None:
        self.data = data
        self.args = args
        self.port = 0
        self.process: Optional[subprocess.Popen] = None
        self.log = data.parent / (data.name + ".log")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "Herald":
        offset = self.log.stat().st_size if self.log.exists() else 0
        log = open(self.log, "ab")
        self.process = subprocess.Popen(
            [HERALD_BIN, "serve", "--port", str(self.port), "--data", str(self.data), "--log-level", "info", *self.args],
            stdout=log, stderr=subprocess.STDOUT)
        log.close()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            text = self.log.read_bytes()[offset:].decode("utf-8", "replace")
            found = re.search(r"listening on 127\.0\.0\.1:(\d+)", text)
            if found:
                self.port = int(found.group(1))
                return self
            if self.process.poll() is not None:
                raise RuntimeError(f"herald serve exited {self.process.returncode}:\n{text}")
            time.sleep(0.05)
        raise RuntimeError("herald serve did not start in 30 s")

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(sig)
            self.process.wait(timeout=30)
        self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def cli(self, *args: str, input: Optional[str] = None, check: bool = True) -> subprocess.CompletedProcess:
        """Runs a ``herald`` client command against this server."""
        env = dict(os.environ, HERALD_URL=self.url)
        result = subprocess.run([HERALD_BIN, *args], input=input, capture_output=True, text=True, env=env, timeout=120)
        if check and result.returncode != 0:
            raise AssertionError(f"herald {' '.join(args)} exited {result.returncode}:\n{result.stdout}\n{result.stderr}")
        return result


@pytest.fixture
def start_herald(tmp_path):
    """Starts servers (``start_herald("--stream-lifetime", "1")``); all stopped at the end."""
    servers: List[Herald] = []

    def start(*args: str) -> Herald:
        server = Herald(tmp_path / f"data{len(servers)}", list(args)).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop(signal.SIGKILL)


@pytest.fixture
def herald_server(start_herald) -> Herald:
    return start_herald()


class LossyProxy:
    """A TCP proxy in front of a server that, while ``drop`` > 0, closes the client's connection
    as soon as the server's answer starts: the request was served, the answer is lost."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.drop = 0
        self.dropped = 0
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self._lock = threading.Lock()
        self._closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._pump, args=(client,), daemon=True).start()

    def _pump(self, client: socket.socket) -> None:
        try:
            upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
        except OSError:
            client.close()
            return
        sockets = [client, upstream]
        try:
            while True:
                readable, _, _ = select.select(sockets, [], [], 30)
                if not readable:
                    return
                for source in readable:
                    data = source.recv(65536)
                    if not data:
                        return
                    if source is upstream:
                        with self._lock:
                            lose = self.drop > 0
                            if lose:
                                self.drop -= 1
                                self.dropped += 1
                        if lose:
                            return
                        client.sendall(data)
                    else:
                        upstream.sendall(data)
        except OSError:
            return
        finally:
            client.close()
            upstream.close()

    def close(self) -> None:
        self._closed = True
        self.listener.close()


@pytest.fixture
def lossy_proxy():
    proxies: List[LossyProxy] = []

    def make(port: int) -> LossyProxy:
        proxy = LossyProxy(port)
        proxies.append(proxy)
        return proxy

    yield make
    for proxy in proxies:
        proxy.close()


def all_events(url: str, run: str) -> List[Dict]:
    import herald
    return list(herald.Client(url).events(run))


def wait_until(predicate, timeout: float = 20.0, interval: float = 0.02):
    """Polls ``predicate`` until it is truthy; fails the test after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met in {timeout} s")


if not os.path.exists(HERALD_BIN):
    pytest.exit(f"no herald binary at {HERALD_BIN}: build it (swift build) or set HERALD_BIN", returncode=4)
