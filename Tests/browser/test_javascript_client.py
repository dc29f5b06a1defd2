"""Herald from a web page as a front-end team writes one: a page of its own origin (served here on
another port, as a React app's dev server would) that imports `/sdk/herald.js` from Herald, or
opens a plain EventSource; and the dashboard's project picker.

Run with Tests/browser/run.sh. HERALD_BIN points at the herald binary.
"""

import json
import subprocess
import urllib.request
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from conftest import HERALD_BIN, Server, js
from support import wait_for


def show(browser, page_server, script):
    """Loads a page of the page server's own origin whose module script is `script`."""
    holder, url = page_server
    holder["html"] = f'<!doctype html><meta charset="utf-8"><title>a team\'s page</title><script type="module">{script}</script>'.encode()
    browser.get(url)


def started(*args):
    s = Server(*args)
    s.start()
    return s


def stopped(s):
    if s.proc.poll() is None:
        s.stop()
    print("---- herald log ----\n" + Path(s.log.name).read_text(errors="replace")[-3000:])


def publish(server, events, key=None):
    headers = {"Content-Type": "application/json"}
    if key:
        headers["Authorization"] = "Bearer " + key
    request = urllib.request.Request(server.url + "/v1/events", method="POST", data=json.dumps(events).encode(), headers=headers)
    urllib.request.urlopen(request, timeout=10).close()


def create_key(server, role):
    return subprocess.check_output([HERALD_BIN, "keys", "create", "--data", server.data, "--project", "*", "--role", role],
                                   stderr=subprocess.DEVNULL, text=True).strip()


def test_a_plain_page_streams_with_a_key_in_a_header_through_a_server_restart(browser, page_server):
    """The module from Herald's /sdk/, a read key in the Authorization header (never in a URL),
    a server killed and restarted mid-run: every event exactly once, in order, and the
    subscription ends with the run."""
    server = Server("--cors-origin", page_server[1].rstrip("/"))
    read, write = create_key(server, "read"), create_key(server, "publish")
    server.start()
    try:
        publish(server, [{"run": "r1", "type": "run.started"}] + [{"run": "r1", "type": "x.tick", "data": {"n": n}} for n in range(29)], write)
        show(browser, page_server, f"""
            import {{ createClient }} from {json.dumps(server.url + "/sdk/herald.js")};
            const herald = createClient({{ baseUrl: {json.dumps(server.url)}, headers: () => ({{ Authorization: "Bearer " + {json.dumps(read)} }}) }});
            window.rec = {{ seqs: [], statuses: [], errors: [] }};
            herald.subscribe({{ run: "r1", after: 0 }}, {{
              onEvent: (event) => window.rec.seqs.push(event.seq),
              onStatus: (status) => window.rec.statuses.push(status),
              onError: (error, {{ final }}) => window.rec.errors.push(`${{error.status}} ${{error.code}} final=${{final}}`),
            }});
        """)
        wait_for(lambda: len(js(browser, "window.rec ? window.rec.seqs : []")) == 30, 20, "the first 30 events",
                 lambda: str(js(browser, "window.rec")))
        server.stop()
        wait_for(lambda: "reconnecting" in js(browser, "window.rec.statuses"), 15, "the page to notice")
        server.start()
        publish(server, [{"run": "r1", "type": "x.tick", "data": {"n": n}} for n in range(29, 59)] + [{"run": "r1", "type": "run.completed"}], write)
        wait_for(lambda: js(browser, "window.rec.statuses").count("ended") == 1, 40, "the subscription to end with the run",
                 lambda: str(js(browser, "window.rec")))
        record = js(browser, "window.rec")
        assert record["seqs"] == list(range(1, 62)), record["seqs"]
        assert record["statuses"][0] == "connecting" and record["statuses"][-2:] == ["live", "ended"], record["statuses"]
        assert all("final=false" in e for e in record["errors"]), record["errors"]
        assert read.split("_")[2] not in Path(server.log.name).read_text(errors="replace"), "the key reached the server's log"
    finally:
        stopped(server)


def test_frames_message_reach_a_plain_onmessage_handler_and_connected_labels_active_runs(browser, page_server):
    """A plain EventSource with only `onmessage`: the default (named) frames never reach it;
    `?frames=message` frames do, the type inside the JSON, and the project stream's first frame
    labels the active runs (name, status, agents, start) with no query per run."""
    server = started("--cors-origin", page_server[1].rstrip("/"))
    try:
        publish(server, [
            {"run": "nightly-42", "type": "run.started", "data": {"name": "Nightly eval"}},
            {"run": "nightly-42", "type": "agent.started", "agent": "planner"},
            {"run": "old", "type": "run.started"}, {"run": "old", "type": "run.completed"},
        ])
        base = json.dumps(server.url)
        show(browser, page_server, f"""
            window.rec = {{ named: [], plain: [], run: [], runState: -1 }};
            const named = new EventSource({base} + "/v1/projects/default/stream");
            named.onmessage = (e) => window.rec.named.push(JSON.parse(e.data));
            const plain = new EventSource({base} + "/v1/projects/default/stream?frames=message");
            plain.onmessage = (e) => window.rec.plain.push({{ ...JSON.parse(e.data), sseId: e.lastEventId }});
            const run = new EventSource({base} + "/v1/runs/nightly-42/stream?frames=message");
            run.onmessage = (e) => window.rec.run.push({{ id: e.lastEventId, type: JSON.parse(e.data).type }});
            setInterval(() => {{ window.rec.runState = run.readyState; }}, 50);
        """)
        wait_for(lambda: len(js(browser, "window.rec ? window.rec.plain : []")) >= 5, 20, "the plain stream's frames",
                 lambda: str(js(browser, "window.rec")))
        connected = js(browser, "window.rec.plain[0]")
        assert connected["type"] == "herald.connected" and connected["activeRuns"] == ["nightly-42"], connected
        [active] = connected["runs"]
        assert (active["run"], active["name"], active["status"], active["agents"]) == ("nightly-42", "Nightly eval", "running", ["planner"])
        assert active["startedAt"]
        assert [(f["sseId"], f["type"]) for f in js(browser, "window.rec.plain.slice(1)")] == [
            ("1", "run.started"), ("2", "agent.started"), ("3", "run.started"), ("4", "run.completed")]

        # Live, then the run's end: the run stream's EventSource stops for good (204 on its reconnect).
        publish(server, [{"run": "nightly-42", "type": "step.started", "data": {"stepId": "fetch"}},
                         {"run": "nightly-42", "type": "run.completed"}])
        wait_for(lambda: js(browser, "window.rec.runState") == 2, 20, "the run's EventSource to close",
                 lambda: str(js(browser, "window.rec")))
        assert js(browser, "window.rec.run") == [
            {"id": "1", "type": "run.started"}, {"id": "2", "type": "agent.started"},
            {"id": "3", "type": "step.started"}, {"id": "4", "type": "run.completed"}]
        wait_for(lambda: len(js(browser, "window.rec.plain")) == 7, 10, "the live frames on the project stream")
        assert js(browser, "window.rec.named") == [], "named frames never reach onmessage"
    finally:
        stopped(server)


def test_the_board_opens_a_project_with_runs_and_the_picker_switches(browser):
    """`default` has no runs, two other projects do: the board opens the one updated last, the
    picker lists both with their active counts, choosing one opens its `#/?project=` board, and
    an empty project's board names the projects that have runs."""
    server = started()
    try:
        publish(server, [{"project": "alpha", "run": "a1", "type": "run.started"}])
        publish(server, [{"project": "beta", "run": "b1", "type": "run.started"}, {"project": "beta", "run": "b1", "type": "run.completed"}])
        # Read in the page in one go: the board redraws its rows (and the picker) as events arrive.
        rows = lambda: js(browser, "[...document.querySelectorAll('#runs tbody tr[data-run]')].map(r => r.dataset.run)")
        options = lambda: js(browser, "[...document.querySelectorAll('#project-picker option')].map(o => o.textContent)")
        picker = lambda: browser.find_element(By.ID, "project-picker")

        browser.get(server.url + "/")
        wait_for(lambda: rows() == ["b1"], 20, "the board of the project updated last")
        assert picker().get_attribute("value") == "beta"
        wait_for(lambda: options() == ["beta", "alpha (1 active)"], 10, "the picker's projects", lambda: str(options()))

        Select(picker()).select_by_value("alpha")
        wait_for(lambda: rows() == ["a1"], 20, "alpha's board")
        assert browser.current_url.endswith("#/?project=alpha")
        wait_for(lambda: js(browser, "window.herald.mode") == "live", 20, "alpha's stream")

        # Live on the chosen project.
        publish(server, [{"project": "alpha", "run": "a2", "type": "run.started"}])
        wait_for(lambda: sorted(rows()) == ["a1", "a2"], 20, "a new alpha run, live")

        browser.get(server.url + "/#/?project=default")
        empty = wait_for(lambda: browser.find_elements(By.ID, "no-runs"), 20, "the empty board")[0]
        assert empty.text.startswith("No runs yet in default. Other projects have runs:"), empty.text
        assert {a.text for a in empty.find_elements(By.TAG_NAME, "a")} == {"alpha", "beta"}
    finally:
        stopped(server)
