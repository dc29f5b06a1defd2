"""Herald's run stream, consumed by a client nobody on the team wrote: headless
Chromium's own EventSource.

The server is started with --stream-lifetime 1, so it closes every stream after
about a second (at an event boundary). The browser's EventSource must reconnect
on its own, sending Last-Event-ID, and must end up with every event exactly once
and in order. After run.completed the server answers the next reconnect with 204,
which makes EventSource stop (readyState CLOSED).

Run with Tests/browser/run.sh (installs chromium, chromium-driver and selenium).
HERALD_BIN points at the herald binary (default: the debug build of this checkout).
"""

import json
import os
import queue
import re
import shutil
import subprocess
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service

from support import chromium_options, wait_for

ROOT = Path(__file__).resolve().parents[2]
HERALD_BIN = os.environ.get("HERALD_BIN", str(ROOT / ".build" / "debug" / "herald"))
CHROMEDRIVER = os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")

RUN = "r1"
HISTORY = 30          # published before the browser connects
MIN_LIVE = 120        # published while the browser listens (and reconnects)
MIN_OPENS = 3         # first connection + at least two reconnects
TICK = 0.025          # seconds between live publishes

PAGE = """<!doctype html>
<meta charset="utf-8">
<title>herald eventsource</title>
<script>
window.rec = {events: [], opens: [], errors: [], unnamed: [], state: -1};
const es = new EventSource(%(url)s);
window.es = es;
const note = () => { window.rec.state = es.readyState; };
const record = (e) => {
  window.rec.events.push({id: e.lastEventId, type: e.type, data: e.data, t: Date.now()});
  note();
};
es.addEventListener("x.tick", record);
es.addEventListener("run.completed", record);
// Events without a name would arrive as "message": none are expected.
es.onmessage = (e) => { window.rec.unnamed.push({id: e.lastEventId, data: e.data}); note(); };
es.onopen = () => { window.rec.opens.push({t: Date.now(), afterEvents: window.rec.events.length}); note(); };
es.onerror = () => { window.rec.errors.push({t: Date.now(), state: es.readyState}); note(); };
setInterval(note, 50);
</script>
"""


def summary(rec):
    """A short account of what the page saw, for failure messages."""
    if not rec:
        return "the page has no record (script not run?)"
    ids = [e["id"] for e in rec["events"]]
    return (f"readyState {rec['state']}, {len(ids)} events (last ids {ids[-5:]}), "
            f"opens {rec['opens']}, errors {rec['errors']}")


@pytest.fixture
def herald():
    """A herald server on a free port with a temporary data folder; yields its base URL."""
    if not os.access(HERALD_BIN, os.X_OK):
        pytest.fail(f"herald binary not found at {HERALD_BIN} (build it, or set HERALD_BIN)")
    data = tempfile.mkdtemp(prefix="herald-browser-data-")
    proc = subprocess.Popen(
        [HERALD_BIN, "serve", "--port", "0", "--data", data,
         "--stream-lifetime", "1", "--heartbeat", "1"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    lines = queue.Queue()
    log = []

    def pump():
        for line in proc.stdout:
            log.append(line)
            lines.put(line)

    threading.Thread(target=pump, daemon=True).start()
    try:
        deadline = time.monotonic() + 20
        port = None
        while port is None:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or proc.poll() is not None:
                raise AssertionError("herald did not report its port:\n" + "".join(log))
            try:
                line = lines.get(timeout=min(remaining, 0.5))
            except queue.Empty:
                continue
            m = re.search(r"listening on 127\.0\.0\.1:(\d+)", line)
            if m:
                port = int(m.group(1))
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.kill()
        proc.wait(timeout=10)
        shutil.rmtree(data, ignore_errors=True)
        if log:
            print("---- herald log ----\n" + "".join(log[-40:]))


@pytest.fixture
def browser():
    profile = tempfile.mkdtemp(prefix="herald-browser-profile-")
    options = Options()
    options.binary_location = CHROMIUM
    # The page's origin differs from Herald's port and Herald sends no CORS headers yet.
    chromium_options(options, profile, "--disable-web-security")
    # Network events, to see the request headers EventSource itself sends (Last-Event-ID).
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def stream_requests(driver, path):
    """The browser's requests to `path`, in order, from Chromium's network log:
    [{"last_event_id": str or None, "status": int or None}]. The header EventSource adds
    (Last-Event-ID) appears in the network-level headers (requestWillBeSentExtraInfo)."""
    order, headers, status = [], {}, {}
    for entry in driver.get_log("performance"):
        msg = json.loads(entry["message"])["message"]
        params = msg.get("params", {})
        rid = params.get("requestId")
        if msg["method"] == "Network.requestWillBeSent" and path in params["request"]["url"]:
            order.append(rid)
        elif msg["method"] == "Network.requestWillBeSentExtraInfo":
            headers[rid] = {k.lower(): v for k, v in params["headers"].items()}
        elif msg["method"] == "Network.responseReceived":
            status[rid] = params["response"]["status"]
    return [
        {"last_event_id": headers.get(rid, {}).get("last-event-id"), "status": status.get(rid)}
        for rid in order
    ]


def publish(base, events):
    body = json.dumps(events).encode()
    req = urllib.request.Request(
        base + "/v1/events", data=body, method="POST", headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(req, timeout=10) as resp:
        assert resp.status in (200, 201, 202), resp.status
        answer = json.loads(resp.read())
    assert answer["accepted"] == (len(events) if isinstance(events, list) else 1), answer
    return answer


def tick(n):
    return {"run": RUN, "type": "x.tick", "data": {"n": n}}


def test_chromium_eventsource_resumes_with_last_event_id(herald, page_server, browser):
    started = time.monotonic()
    holder, page_url = page_server
    stream_url = f"{herald}/v1/runs/{RUN}/stream"
    holder["html"] = (PAGE % {"url": json.dumps(stream_url)}).encode()
    rec = lambda: browser.execute_script("return window.rec || null")  # noqa: E731

    # History: the run exists (and has events) before anyone listens.
    publish(herald, [tick(n) for n in range(1, HISTORY + 1)])
    published = HISTORY

    browser.get(page_url)
    wait_for(lambda: (r := rec()) and len(r["events"]) >= HISTORY, 15, "the history to reach the page",
             lambda: summary(rec()))

    # Live: keep publishing while the server drops the stream every second and the
    # browser reconnects (about 2 s later, the server's retry hint), until at least
    # MIN_LIVE events went out and the page has opened the stream MIN_OPENS times.
    # Events published while the browser is away come back from the store on resume.
    deadline = time.monotonic() + 20
    while published < HISTORY + MIN_LIVE or len(rec()["opens"]) < MIN_OPENS:
        assert time.monotonic() < deadline, f"{published} events published; page: {summary(rec())}"
        published += 1
        if published % 10 == 0:  # now and then a batch of two, to mix single objects and arrays
            publish(herald, [tick(published), tick(published + 1)])
            published += 1
        else:
            publish(herald, tick(published))
        time.sleep(TICK)

    completed = publish(herald, {"run": RUN, "type": "run.completed", "data": {"summary": "done"}})
    total = published + 1
    assert completed["events"][0]["seq"] == total

    # After run.completed the stream ends; the reconnect gets 204 and EventSource stops.
    final = wait_for(lambda: (r := rec()) and r["state"] == 2 and r, 15, "EventSource to reach CLOSED",
                     lambda: summary(rec()))
    browser.execute_script("window.es.close()")

    events = final["events"]
    ids = [int(e["id"]) for e in events]
    missing = sorted(set(range(1, total + 1)) - set(ids))
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    assert not missing and not dupes, f"missing {missing}, duplicated {dupes}"
    assert ids == list(range(1, total + 1)), f"out of order: {ids}"

    for e in events:
        payload = json.loads(e["data"])
        assert payload["seq"] == int(e["id"]), e
        assert payload["run"] == RUN, e
        assert payload["type"] == e["type"], e
        if e["type"] == "x.tick":
            assert payload["data"] == {"n": payload["seq"]}, e

    assert [e["type"] for e in events[:-1]] == ["x.tick"] * (total - 1)
    assert events[-1]["type"] == "run.completed"
    assert final["unnamed"] == [], final["unnamed"]

    opens = final["opens"]
    assert len(opens) >= MIN_OPENS, f"open fired {len(opens)} times: {opens}"
    # Every reconnect happened mid-run, with events already received (so it resumed
    # from Last-Event-ID rather than starting over, which the exactly-once check confirms).
    assert all(o["afterEvents"] > 0 for o in opens[1:]), opens

    # What went over the wire: a first request without Last-Event-ID, then one reconnect per
    # dropped stream carrying the id of the last event received, and a final reconnect after
    # run.completed (Last-Event-ID = its seq) answered with 204.
    requests = stream_requests(browser, f"/v1/runs/{RUN}/stream")
    expected = [{"last_event_id": None, "status": 200}]
    expected += [{"last_event_id": str(o["afterEvents"]), "status": 200} for o in opens[1:]]
    expected += [{"last_event_id": str(total), "status": 204}]
    assert requests == expected, f"stream requests {requests}"

    print(f"\n{total} events, {len(opens)} opens, {len(final['errors'])} error events, "
          f"requests {[(r['last_event_id'], r['status']) for r in requests]}, "
          f"{time.monotonic() - started:.1f}s", end=" ")
