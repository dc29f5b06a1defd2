"""Browsers that authenticate without keys in URLs, in headless Chromium: a page that holds no key
and streams with stream tickets its app's server hands out (through a ticket's expiry and a
server restart), and a same-site app's session cookie, which streams from the origins Herald
lists and nowhere else, and never writes.

Run with Tests/browser/run.sh. HERALD_BIN points at the herald binary.
"""

import base64
import hashlib
import hmac
import json
import os
import re
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime
from pathlib import Path

from conftest import HERALD_BIN, Server, js
from support import wait_for


def key(server, role):
    return subprocess.check_output([HERALD_BIN, "keys", "create", "--data", server.data, "--project", "default", "--role", role],
                                   stderr=subprocess.DEVNULL, text=True).strip()


def call(url, body=None, credential=None):
    """A JSON request from the test (not the browser); answers (status, JSON)."""
    headers = {"Content-Type": "application/json"}
    if credential:
        headers["Authorization"] = "Bearer " + credential
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, method="GET" if body is None else "POST", data=data, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def jwt(secret, claims):
    """An HS256 JWT, as an app signs its session's with the secret Herald verifies."""
    encode = lambda raw: base64.urlsafe_b64encode(raw).rstrip(b"=")
    signed = encode(json.dumps({"alg": "HS256", "typ": "JWT"}).encode()) + b"." + encode(json.dumps(claims).encode())
    return (signed + b"." + encode(hmac.new(secret, signed, hashlib.sha256).digest())).decode()


def stopped(server):
    if server.proc.poll() is None:
        server.stop()
    print("---- herald log ----\n" + Path(server.log.name).read_text(errors="replace")[-3000:])


def refusals(server, method, path, status):
    """How many times the server's request log shows `method path` answered `status`."""
    text = Path(server.log.name).read_text(errors="replace")
    return sum(1 for line in text.splitlines()
               if "request" in line and f"method={method}" in line and f"path={path}" in line and f"status={status}" in line)


def test_a_page_without_a_key_streams_with_tickets_through_their_expiry_and_a_server_restart(browser, page_server):
    """The page holds no key: its app's server (the page server's /ticket, holding a read key)
    hands it a ticket before each connection. Tickets last 2 s; the stream they open outlives
    them; the reconnect after a restart offers the expired one, is refused, and gets a fresh one.
    Every event arrives exactly once, in order; keys in URLs are refused throughout."""
    holder, url = page_server
    server = Server("--cors-origin", url.rstrip("/"), "--stream-ticket-ttl", "2", "--no-query-keys")
    read, write = key(server, "read"), key(server, "publish")
    server.start()

    def ticket(query):
        run = urllib.parse.parse_qs(query)["run"][0]
        try:
            status, answer = call(server.url + "/v1/stream-tickets", {"run": run}, read)
        except OSError:
            return 503, "application/json", b'{"error": "herald is down"}'
        return status, "application/json", json.dumps(answer).encode()

    holder["routes"]["/ticket"] = ticket
    try:
        publish = lambda events: call(server.url + "/v1/events", events, write)
        assert publish([{"run": "r1", "type": "run.started"}] + [{"run": "r1", "type": "x.tick", "data": {"n": n}} for n in range(29)])[0] == 200
        holder["html"] = f"""<!doctype html><meta charset="utf-8"><title>an app's page</title><script type="module">
            import {{ createClient }} from {json.dumps(server.url + "/sdk/herald.js")};
            const herald = createClient({{ baseUrl: {json.dumps(server.url)} }});   // no key in this page
            window.rec = {{ seqs: [], statuses: [], errors: [], calls: [], tickets: [] }};
            let held = null;
            herald.subscribe({{ run: "r1", after: 0, retryBaseMs: 200, maxBackoffMs: 1000,
              // Keeps its ticket until the stream refuses it (fetching one each time is simpler; this
              // shows the client recovering from an expired one).
              ticket: async ({{ run, refused }}) => {{
                window.rec.calls.push(refused ? "refused " + refused.code : held ? "held" : "first");
                if (!held || refused) {{
                  const answer = await fetch("/ticket?run=" + run);
                  if (!answer.ok) throw new Error("no ticket: " + answer.status);
                  held = await answer.json();
                  window.rec.tickets.push(held);
                }}
                return held.ticket;
              }},
            }}, {{
              onEvent: (event) => window.rec.seqs.push(event.seq),
              onStatus: (status) => window.rec.statuses.push(status),
              onError: (error, {{ final }}) => window.rec.errors.push(`${{error.status}} ${{error.code}} final=${{final}}: ${{error.message}}`),
            }});
        </script>""".encode()
        browser.get(url)
        wait_for(lambda: len(js(browser, "window.rec ? window.rec.seqs : []")) == 30, 20, "the first 30 events",
                 lambda: str(js(browser, "window.rec")))

        # The ticket expires; the stream it opened goes on.
        first = js(browser, "window.rec.tickets[0]")
        expiry = datetime.fromisoformat(first["expiresAt"].replace("Z", "+00:00")).timestamp()
        wait_for(lambda: time.time() > expiry + 0.1, 5, "the ticket's expiry")
        assert publish([{"run": "r1", "type": "x.tick", "data": {"n": n}} for n in range(29, 39)])[0] == 200
        wait_for(lambda: len(js(browser, "window.rec.seqs")) == 40, 20, "events after the ticket expired",
                 lambda: str(js(browser, "window.rec")))
        assert "reconnecting" not in js(browser, "window.rec.statuses"), "the stream outlived its ticket"

        # A restart: the expired ticket is refused on the reconnect, and a fresh one taken.
        server.stop()
        wait_for(lambda: "reconnecting" in js(browser, "window.rec.statuses"), 15, "the page to notice")
        server.start()
        assert publish([{"run": "r1", "type": "x.tick", "data": {"n": n}} for n in range(39, 59)] + [{"run": "r1", "type": "run.completed"}])[0] == 200
        wait_for(lambda: js(browser, "window.rec.statuses").count("ended") == 1, 40, "the subscription to end with the run",
                 lambda: str(js(browser, "window.rec")))

        record = js(browser, "window.rec")
        assert record["seqs"] == list(range(1, 62)), record["seqs"]
        assert record["statuses"][0] == "connecting" and record["statuses"][-2:] == ["live", "ended"], record["statuses"]
        assert record["calls"][0] == "first" and "held" in record["calls"], record["calls"]
        assert record["calls"].count("refused invalid_ticket") == 1, record["calls"]
        assert len(record["tickets"]) == 2, record["tickets"]
        assert any("invalid_ticket final=false" in e and "expired" in e for e in record["errors"]), record["errors"]
        assert all("final=false" in e for e in record["errors"]), record["errors"]
        # The key never left the app's server; tickets never reached the log.
        log = Path(server.log.name).read_text(errors="replace")
        assert read.split("_")[2] not in log
        assert not any(t["ticket"].split(".")[1] in log for t in record["tickets"])
        # And a key in the URL is refused, pointing to tickets.
        status, answer = call(server.url + f"/v1/runs/r1/stream?access_token={read}")
        assert status == 401 and "stream ticket" in answer["error"]["message"], answer
    finally:
        stopped(server)


def cookie_server(page_origin):
    secret = os.urandom(24).hex().encode()
    secret_file = tempfile.NamedTemporaryFile(prefix="herald-jwt-", suffix=".secret", delete=False)
    secret_file.write(secret)
    secret_file.close()
    server = Server("--jwt-secret-file", secret_file.name, "--auth-cookie", "herald_session", "--cors-origin", page_origin)
    server.start()
    token = lambda role, sub: jwt(secret, {"sub": sub, "role": role, "projects": ["default"], "exp": int(time.time()) + 600})
    return server, token, secret_file.name


def cookie_page(holder, token):
    """The app's page: its response sets the session cookie (HttpOnly, SameSite), as the app's login would."""
    holder["headers"] = [("Set-Cookie", f"herald_session={token}; Path=/; HttpOnly; SameSite=Strict")]


STREAM_PAGE = """<!doctype html><meta charset="utf-8"><title>%(title)s</title><script>
window.rec = { ids: [], types: [], errors: 0, state: -1, cookieVisible: document.cookie.includes("herald_session") };
const source = new EventSource(%(url)s, { withCredentials: true });
source.onmessage = (m) => { window.rec.ids.push(m.lastEventId); window.rec.types.push(JSON.parse(m.data).type); };
source.onerror = () => { window.rec.errors += 1; };
setInterval(() => { window.rec.state = source.readyState; }, 50);
</script>"""


def test_a_session_cookie_streams_from_a_listed_origin_and_is_refused_from_another(browser, page_server, other_page_server):
    """`EventSource(url, {withCredentials: true})` with the app's HttpOnly, SameSite session cookie
    (a JWT signed with the secret Herald verifies): the listed origin's page streams the run to
    its end; a page of another origin (another port), whose browser sends the same cookie, is
    refused (by Herald, 403, and by the browser's CORS check)."""
    app, app_url = page_server
    other, other_url = other_page_server
    server, token, secret_file = cookie_server(app_url.rstrip("/"))
    try:
        events = [{"run": "r1", "type": "run.started"}] + [{"run": "r1", "type": "x.tick", "data": {"n": n}} for n in range(9)]
        assert call(server.url + "/v1/events", events, token("publish", "app-backend"))[0] == 200
        cookie_page(app, token("read", "alice"))
        stream_url = json.dumps(server.url + "/v1/runs/r1/stream?frames=message")
        app["html"] = (STREAM_PAGE % {"title": "the app", "url": stream_url}).encode()
        browser.get(app_url)
        wait_for(lambda: len(js(browser, "window.rec ? window.rec.ids : []")) == 10, 20, "the run's first events",
                 lambda: str(js(browser, "window.rec")))
        assert js(browser, "window.rec.cookieVisible") is False, "the cookie is HttpOnly: no script reads it"
        assert call(server.url + "/v1/events", [{"run": "r1", "type": "run.completed"}], token("publish", "app-backend"))[0] == 200
        wait_for(lambda: js(browser, "window.rec.state") == 2, 20, "the EventSource to close after the run's end (204)",
                 lambda: str(js(browser, "window.rec")))
        record = js(browser, "window.rec")
        assert record["ids"] == [str(n) for n in range(1, 12)], record
        assert record["types"][-1] == "run.completed"

        # Another origin: the same browser, the same cookie jar (cookies ignore ports), refused.
        other["html"] = (STREAM_PAGE % {"title": "another site's page", "url": stream_url}).encode()
        browser.get(other_url)
        wait_for(lambda: js(browser, "window.rec && window.rec.state") == 2 and js(browser, "window.rec.errors") >= 1, 20,
                 "the other origin's EventSource to fail", lambda: str(js(browser, "window.rec")))
        assert js(browser, "window.rec.ids") == []
        wait_for(lambda: refusals(server, "GET", "/v1/runs/r1/stream", 403) >= 1, 10, "Herald's 403 in its log")
        # The browser refused it too, and said so (read here, so the fixture does not count it as a page error).
        logged = browser.get_log("browser")
        blocked = [e for e in logged if "blocked by CORS policy" in e["message"] and "/v1/runs/r1/stream" in e["message"]]
        assert blocked, logged
        assert not [e for e in logged if e["level"] == "SEVERE" and e.get("source") != "network" and e not in blocked], logged
    finally:
        stopped(server)
        os.unlink(secret_file)


def test_a_write_with_only_the_session_cookie_is_refused(browser, page_server, other_page_server):
    """The cookie authenticates streams only. From the listed origin's page, a POST carrying just
    the cookie (a simple text/plain one, as a forged form would send, and a preflighted JSON one),
    a query and a ticket request are all 401, saying why; from another origin's page, a blind
    no-cors POST stores nothing either."""
    app, app_url = page_server
    other, other_url = other_page_server
    server, token, secret_file = cookie_server(app_url.rstrip("/"))
    try:
        cookie_page(app, token("publish", "alice"))   # even a publish token: the cookie never writes
        herald = json.dumps(server.url)
        app["html"] = f"""<!doctype html><meta charset="utf-8"><title>the app</title><script type="module">
            const herald = {herald};
            const event = JSON.stringify({{ run: "csrf", type: "x.y" }});
            const attempt = async (path, init) => {{
              const answer = await fetch(herald + path, {{ credentials: "include", ...init }});
              return {{ path, status: answer.status, error: (await answer.json()).error }};
            }};
            window.rec = await Promise.all([
              attempt("/v1/events", {{ method: "POST", headers: {{ "Content-Type": "text/plain" }}, body: event }}),
              attempt("/v1/events", {{ method: "POST", headers: {{ "Content-Type": "application/json" }}, body: event }}),
              attempt("/v1/runs", {{}}),
              attempt("/v1/stream-tickets", {{ method: "POST", headers: {{ "Content-Type": "application/json" }}, body: JSON.stringify({{ run: "csrf" }}) }}),
            ]);
        </script>""".encode()
        browser.get(app_url)
        answers = wait_for(lambda: js(browser, "window.rec"), 20, "the page's requests")
        for answer in answers:
            assert answer["status"] == 401, answer
            assert answer["error"]["code"] == "unauthorized", answer
            assert "cookie authenticates streams only" in answer["error"]["message"], answer

        other["html"] = f"""<!doctype html><meta charset="utf-8"><title>another site</title><script type="module">
            await fetch({herald} + "/v1/events", {{ method: "POST", mode: "no-cors", credentials: "include",
              headers: {{ "Content-Type": "text/plain" }}, body: JSON.stringify({{ run: "csrf", type: "x.y" }}) }});
            window.sent = true;
        </script>""".encode()
        browser.get(other_url)
        wait_for(lambda: js(browser, "window.sent === true"), 20, "the other origin's blind POST")
        wait_for(lambda: refusals(server, "POST", "/v1/events", 401) >= 3, 10, "the three refused POSTs in Herald's log")
        status, _ = call(server.url + "/v1/runs/csrf", credential=token("read", "auditor"))
        assert status == 404, "nothing was written with the cookie"
    finally:
        stopped(server)
        os.unlink(secret_file)
