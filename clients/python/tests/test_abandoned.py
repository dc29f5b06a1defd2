"""A producer killed mid-run: its run ends ``failed`` with ``code: abandoned`` after the server's
``--run-idle-timeout``, and a watcher that was waiting for the run to end exits non-zero."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import herald
from conftest import HERALD_BIN, wait_until


def test_a_killed_producers_run_ends_abandoned_and_its_watcher_exits_non_zero(start_herald):
    server = start_herald("--run-idle-timeout", "2s")
    producer = subprocess.Popen([sys.executable, "-c", textwrap.dedent("""
        import time, herald
        h = herald.Emitter(run="orphan", agent="worker", linger=0.05)
        h.run_started()
        h.agent_log("working")
        h.flush()
        print("started", flush=True)
        time.sleep(600)
    """)], env=dict(os.environ, HERALD_URL=server.url), stdout=subprocess.PIPE, text=True)
    try:
        assert producer.stdout.readline().strip() == "started"
        watcher = subprocess.Popen([HERALD_BIN, "watch", "orphan"], env=dict(os.environ, HERALD_URL=server.url),
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        producer.send_signal(signal.SIGKILL)
        producer.wait(timeout=10)
        out, err = watcher.communicate(timeout=30)
        assert watcher.returncode == 1, (out, err)
        assert "abandoned" in out + err
    finally:
        producer.kill()
    client = herald.Client(server.url)
    assert client.run("orphan")["status"] == "failed"
    last = list(client.events("orphan"))[-1]
    assert last.type == "run.failed" and last.data["code"] == "abandoned"


def test_a_producer_that_keeps_talking_is_not_abandoned(start_herald):
    server = start_herald("--run-idle-timeout", "2s")
    client = herald.Client(server.url)
    with herald.Emitter(server.url, run="chatty", agent="worker", linger=0.05) as h:
        h.run_started()
        deadline = time.monotonic() + 4
        while time.monotonic() < deadline:
            h.agent_log("still here")
            h.flush()
            time.sleep(0.5)
        assert client.run("chatty")["status"] == "running"
        h.run_completed()
    wait_until(lambda: client.run("chatty")["status"] == "completed")
