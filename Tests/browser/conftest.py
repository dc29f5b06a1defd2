"""What the browser tests share: `herald serve` in a child process (restartable on the same port
and data), and headless Chromium whose page errors fail the test."""

import http.client
import http.server
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
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


class Server:
    """`herald serve` in a child process, restartable on the same port and data folder."""

    def __init__(self, *args):
        self.args = list(args)
        self.data = tempfile.mkdtemp(prefix="herald-dashboard-data-")
        self.port = 0
        self.proc = None
        self.log = tempfile.NamedTemporaryFile(prefix="herald-dashboard-log-", suffix=".txt", delete=False)

    def start(self):
        self.proc = subprocess.Popen(
            [HERALD_BIN, "serve", "--port", str(self.port), "--data", self.data, "--heartbeat", "1", *self.args],
            stdout=self.log, stderr=subprocess.STDOUT,
        )
        def bound():
            text = Path(self.log.name).read_text(errors="replace")
            ports = re.findall(r"listening on 127\.0\.0\.1:(\d+)", text)
            return ports[-1] if ports and (self.port == 0 or int(ports[-1]) == self.port) and len(ports) >= self.starts + 1 else None
        self.starts = getattr(self, "starts", -1) + 1
        self.port = int(wait_for(bound, 20, "the server to listen"))

    def stop(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def get(self, path):
        with urllib.request.urlopen(self.url + path, timeout=10) as response:
            return json.load(response)

    def events(self, run, types=None):
        events, after = [], 0
        while True:
            query = f"?after={after}&limit=1000" + (f"&types={types}" if types else "")
            page = self.get(f"/v1/runs/{run}/events{query}")
            events += page["events"]
            if not page["hasMore"]:
                return events
            after = page["events"][-1]["seq"]

    def post(self, events, batch=100):
        """Publishes `events` with POST /v1/events, `batch` per request, on one connection."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            for start in range(0, len(events), batch):
                body = json.dumps(events[start:start + batch]).encode()
                connection.request("POST", "/v1/events", body=body, headers={"Content-Type": "application/json"})
                response = connection.getresponse()
                answer = response.read()
                assert response.status == 200, f"ingest answered {response.status}: {answer[:500]!r}"
        finally:
            connection.close()

    def demo(self, run, *extra):
        return subprocess.Popen([HERALD_BIN, "demo", "--server", self.url, "--run", run, *extra],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


@pytest.fixture
def server():
    if not os.access(HERALD_BIN, os.X_OK):
        pytest.fail(f"herald binary not found at {HERALD_BIN}")
    s = Server()
    s.start()
    try:
        yield s
    finally:
        if s.proc.poll() is None:
            s.stop()
        shutil.rmtree(s.data, ignore_errors=True)
        print("---- herald log ----\n" + Path(s.log.name).read_text(errors="replace")[-3000:])
        os.unlink(s.log.name)


@pytest.fixture
def browser():
    profile = tempfile.mkdtemp(prefix="herald-dashboard-profile-")
    options = Options()
    options.binary_location = CHROMIUM
    chromium_options(options, profile, "--window-size=1400,1000")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        # Script errors fail the test; network errors are expected (the server is killed on purpose).
        errors = [e for e in driver.get_log("browser") if e["level"] == "SEVERE" and e.get("source") != "network"
                  and "Failed to fetch" not in e["message"]]
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
        assert not errors, f"the page logged errors: {errors}"


def js(driver, script):
    return driver.execute_script("return " + script)


def serve_pages():
    """Serves one HTML page (set by the test as `holder["html"]`) on a random port of 127.0.0.1;
    `holder["headers"]` adds headers to it (a Set-Cookie), and `holder["routes"]` maps other paths
    to functions answering `(status, content type, body bytes)` (an app's own API). Yields the
    holder and the page's URL; two servers are two origins."""
    holder = {"html": b"", "headers": [], "routes": {}}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            path, _, query = self.path.partition("?")
            route = holder["routes"].get(path)
            if route:
                status, content_type, body = route(query)
                headers = []
            else:
                status, content_type, body, headers = 200, "text/html; charset=utf-8", holder["html"], holder["headers"]
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for name, value in headers:
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield holder, f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def page_server():
    """A page of its own origin (see `serve_pages`)."""
    yield from serve_pages()


@pytest.fixture
def other_page_server():
    """A second page server: another port, so another origin than `page_server`'s."""
    yield from serve_pages()
