"""The dashboard (served by herald serve at /), driven in headless Chromium.

A `herald demo` run is watched live: status cards change state in order, log lines arrive in
order, auto-scroll pauses when the reader scrolls up and resumes with the toggle, the badge says
Reconnecting while the server restarts and Live after, and after the reconnect no log line is
missing or doubled. The failure path shows the error banner; the runs board updates live and
filters by status; the event list's filters narrow it; the causality drawer follows a link.

With HERALD_SCREENSHOTS=DIR the board and the run view are saved there as PNGs (the ones in
docs/ were made so).

Run with Tests/browser/run.sh. HERALD_BIN points at the herald binary.
"""

import json
import os
import shutil
import subprocess
import time
import urllib.request
from pathlib import Path

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from conftest import HERALD_BIN, Server, js
from support import wait_for

SCREENSHOTS = os.environ.get("HERALD_SCREENSHOTS")


def log_lines(driver):
    """[(seq, text)] of the log panel, in order."""
    return [(int(seq), text) for seq, text in js(driver, "[...document.querySelectorAll('#log li')].map(li => [li.dataset.seq, li.querySelector('.text').textContent])")]


def screenshot(driver, name):
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(Path(SCREENSHOTS) / name))


def test_a_live_run_survives_a_server_restart(server, browser):
    demo = server.demo("live", "--pace", "0.6")  # about 15 s: time to scroll, pause and restart mid-run
    wait_for(lambda: any(r["run"] == "live" for r in server.get("/v1/runs")["runs"]), 20, "the demo run to start")
    browser.get(server.url + "/#/runs/live")
    wait_for(lambda: js(browser, "window.herald && window.herald.mode") == "live", 20, "the badge to say Live")
    assert browser.find_element(By.ID, "badge").text == "Live"
    wait_for(lambda: browser.find_elements(By.CSS_SELECTOR, ".card.running .bar"), 20, "a running card with its progress bar")
    screenshot(browser, "run-view-live.png")

    # A short panel (as on a small screen), so that it scrolls after a few lines.
    browser.execute_script("document.getElementById('log').style.height = '90px'")
    wait_for(lambda: js(browser, "(l => l.scrollHeight > l.clientHeight + 20)(document.getElementById('log'))"), 30, "a log that scrolls")

    # Scrolling up pauses auto-scroll; new lines do not pull the panel down.
    browser.execute_script("const log = document.getElementById('log'); log.scrollTop = 0; log.dispatchEvent(new Event('scroll'));")
    toggle = browser.find_element(By.ID, "log-follow")
    wait_for(lambda: toggle.get_attribute("aria-pressed") == "false", 5, "auto-scroll to pause")
    assert toggle.text == "Resume auto-scroll"
    paused_at = len(log_lines(browser))

    # The server goes away mid-run: the badge says so, then comes back to Live by itself.
    assert js(browser, "window.herald.mode") == "live", "the run is still going"
    server.stop()
    wait_for(lambda: browser.find_element(By.ID, "badge").text == "Reconnecting", 15, "the badge to say Reconnecting")
    time.sleep(1.5)
    server.start()
    wait_for(lambda: browser.find_element(By.ID, "badge").text in ("Live", "Ended"), 40, "the badge to say Live again")

    assert demo.wait(timeout=90) == 0
    wait_for(lambda: browser.find_elements(By.ID, "run-success"), 30, "the success notice")
    # Lines kept coming while paused, and the panel stayed where the reader left it.
    assert len(log_lines(browser)) > paused_at
    assert js(browser, "document.getElementById('log').scrollTop") == 0
    toggle.click()
    assert toggle.get_attribute("aria-pressed") == "true"
    wait_for(lambda: js(browser, "(l => l.scrollTop + l.clientHeight >= l.scrollHeight - 4)(document.getElementById('log'))"), 5,
             "the panel to follow again")
    browser.execute_script("document.getElementById('log').style.height = ''")
    screenshot(browser, "run-view.png")

    # Copy all: the visible lines, and a confirmation.
    browser.find_element(By.ID, "log-copy").click()
    wait_for(lambda: browser.find_element(By.ID, "log-copy-status").text.startswith("Copied"), 5, "the copy confirmation")
    assert js(browser, "window.herald.copied").split("\n") == [text for _, text in log_lines(browser)]

    # Every log line the server has, once each, in order: nothing lost or doubled by the restart.
    stored = [(e["seq"], e["data"]["line"]) for e in server.events("live", types="agent.log")]
    assert log_lines(browser) == stored
    # Cards went through their states in order; the retried step failed once, then completed.
    history = js(browser, "window.herald.cardHistory")
    def states(card):
        return [h["state"] for h in history if h["card"] == card]
    assert states("step:t-reproduce/main") == ["queued", "running", "complete"]
    assert states("step:t-patch/main") == ["queued", "running", "error", "running", "complete"]
    assert states("agent:worker-2") == ["running", "error", "complete"] or states("agent:worker-2")[-1] == "complete"
    card = browser.find_element(By.CSS_SELECTOR, "[data-card='step:t-verify/main']")
    assert card.get_attribute("data-state") == "complete" and "tokens" in card.text


def test_a_failed_run_shows_the_error_banner(server, browser):
    assert server.demo("broken", "--pace", "0", "--fail").wait(timeout=60) == 0
    browser.get(server.url + "/#/runs/broken")
    banner = wait_for(lambda: browser.find_elements(By.ID, "run-error"), 20, "the error banner")[0]
    assert banner.get_attribute("role") == "alert"
    assert "Run failed" in banner.text and "E_TASK_FAILED" in banner.text
    assert browser.find_element(By.ID, "run-status").text == "failed"
    failed = browser.find_element(By.CSS_SELECTOR, "[data-card='step:t-patch/main']")
    assert failed.get_attribute("data-state") == "error" and "E_TIMEOUT" in failed.text


def test_the_board_updates_live_and_filters_by_status(server, browser):
    browser.get(server.url + "/")
    wait_for(lambda: js(browser, "window.herald && window.herald.mode") == "live", 20, "the board's stream")
    assert server.demo("first", "--pace", "0").wait(timeout=60) == 0
    assert server.demo("second", "--pace", "0", "--fail").wait(timeout=60) == 0
    rows = lambda: {row.get_attribute("data-run"): row.text for row in browser.find_elements(By.CSS_SELECTOR, "#runs tbody tr[data-run]")}
    wait_for(lambda: "completed" in rows().get("first", "") and "failed" in rows().get("second", ""), 20, "both runs on the board")
    screenshot(browser, "board.png")
    Select(browser.find_element(By.ID, "status-filter")).select_by_value("failed")
    wait_for(lambda: list(rows()) == ["second"], 10, "only the failed run")


def test_event_list_filters_and_the_causality_drawer(server, browser):
    assert server.demo("traced", "--pace", "0").wait(timeout=60) == 0
    browser.get(server.url + "/#/runs/traced")
    wait_for(lambda: browser.find_elements(By.ID, "run-success"), 20, "the run to load")
    total = len(browser.find_elements(By.CSS_SELECTOR, "#events button.event"))
    browser.find_element(By.ID, "filter-types").send_keys("task.*")
    rows = wait_for(lambda: [r for r in browser.find_elements(By.CSS_SELECTOR, "#events button.event")
                             if len(browser.find_elements(By.CSS_SELECTOR, "#events button.event")) < total], 10, "a narrower list")
    assert rows and all(r.get_attribute("data-type").startswith("task.") for r in rows)
    Select(browser.find_element(By.ID, "filter-agent")).select_by_value("planner")
    planner = browser.find_elements(By.CSS_SELECTOR, "#events button.event")
    assert 0 < len(planner) <= len(rows)

    started = next(r for r in planner if r.get_attribute("data-type") == "task.started")
    started.click()
    wait_for(lambda: any("task.started" in t.text for t in browser.find_elements(By.ID, "drawer-title")), 10, "the drawer")
    cause = browser.find_element(By.CSS_SELECTOR, "#upstream .chain-link")
    assert "decision" in cause.text
    cause.click()
    wait_for(lambda: any("decision" in t.text for t in browser.find_elements(By.ID, "drawer-title")), 10, "the drawer to follow the link")
    assert browser.find_elements(By.CSS_SELECTOR, "#downstream .chain-link"), "the decision led to the tasks"
    browser.find_element(By.TAG_NAME, "body").send_keys("\ue00c")  # Escape closes it
    wait_for(lambda: not browser.find_element(By.ID, "drawer").is_displayed(), 5, "the drawer to close")


def test_polling_takes_over_while_the_stream_cannot_be_held_open(server, browser):
    demo = server.demo("polled", "--pace", "1")
    wait_for(lambda: any(r["run"] == "polled" for r in server.get("/v1/runs")["runs"]), 20, "the demo run to start")
    # As behind a proxy that breaks long requests: every stream request fails, queries work.
    browser.execute_cdp_cmd("Network.enable", {})
    browser.execute_cdp_cmd("Network.setBlockedURLs", {"urls": ["*/stream*"]})
    browser.get(server.url + "/#/runs/polled")
    wait_for(lambda: js(browser, "window.herald && window.herald.mode") == "polling", 30, "the badge to say Polling")
    assert browser.find_element(By.ID, "badge").text == "Polling"
    seen = js(browser, "window.herald.lastSeq")
    wait_for(lambda: js(browser, "window.herald.lastSeq") > seen, 20, "events arriving by polling")

    # The stream works again: the view goes back to it.
    browser.execute_cdp_cmd("Network.setBlockedURLs", {"urls": []})
    wait_for(lambda: js(browser, "window.herald.mode") in ("live", "ended"), 40, "the badge to say Live again")
    assert demo.wait(timeout=90) == 0
    wait_for(lambda: browser.find_elements(By.ID, "run-success"), 30, "the success notice")
    stored = [(e["seq"], e["data"]["line"]) for e in server.events("polled", types="agent.log")]
    assert log_lines(browser) == stored, "polling and streaming together: every line once, in order"


def test_a_long_log_is_capped_and_earlier_lines_load_back(server, browser):
    assert server.demo("long", "--pace", "0").wait(timeout=60) == 0
    stored = [(e["seq"], e["data"]["line"]) for e in server.events("long", types="agent.log")]
    browser.get(server.url + "/")
    browser.execute_script("sessionStorage.setItem('heraldLogCap', '10')")  # a small page holds 10 lines
    browser.get(server.url + "/#/runs/long")
    browser.refresh()
    wait_for(lambda: browser.find_elements(By.ID, "run-success"), 20, "the run to load")
    assert log_lines(browser) == stored[-10:], "the newest lines"
    earlier = browser.find_element(By.ID, "log-earlier")
    assert earlier.is_displayed()
    earlier.click()
    wait_for(lambda: len(log_lines(browser)) == len(stored), 10, "the earlier lines")
    assert log_lines(browser) == stored
    assert not earlier.is_displayed()


def test_keyboard_and_half_a_laptop_screen(server, browser):
    assert server.demo("keys", "--pace", "0").wait(timeout=60) == 0
    browser.set_window_size(700, 900)
    browser.get(server.url + "/#/runs/keys")
    wait_for(lambda: browser.find_elements(By.ID, "run-success"), 20, "the run to load")
    # One column, nothing wider than the window.
    assert js(browser, "document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    log_box, events = browser.find_element(By.ID, "log"), browser.find_element(By.ID, "events")
    assert events.location["y"] > log_box.location["y"], "the panels stack"

    # The list of events works from the keyboard: Enter opens a row's detail, Escape closes it and
    # gives the focus back.
    row = browser.find_element(By.CSS_SELECTOR, "#events button.event[data-type='decision']")
    browser.execute_script("arguments[0].focus()", row)
    browser.switch_to.active_element.send_keys("\ue007")  # Enter
    wait_for(lambda: any("decision" in t.text for t in browser.find_elements(By.ID, "drawer-title")), 10, "the drawer")
    assert browser.switch_to.active_element.get_attribute("id") == "drawer"
    browser.switch_to.active_element.send_keys("\ue00c")  # Escape
    wait_for(lambda: not browser.find_element(By.ID, "drawer").is_displayed(), 5, "the drawer to close")
    assert browser.switch_to.active_element.get_attribute("data-type") == "decision", "the focus is back on the row"


def test_a_server_with_keys_asks_for_one_and_streams_with_it(browser):
    """With API keys the page asks for one on the first 401, sends it as a header (never in a
    URL), and the board then streams live; a wrong key brings the question back."""
    s = Server()
    keys = {role: subprocess.check_output([HERALD_BIN, "keys", "create", "--data", s.data, "--project", "*", "--role", role],
                                          stderr=subprocess.DEVNULL, text=True).strip() for role in ("read", "publish")}
    s.start()
    try:
        browser.get(s.url + "/")
        wait_for(lambda: browser.find_elements(By.ID, "key-form"), 20, "the key form")
        browser.find_element(By.ID, "key").send_keys("hk_aaaaaaaaaaaa_" + "b" * 32)
        browser.find_element(By.CSS_SELECTOR, "#key-form button").click()
        wait_for(lambda: js(browser, "sessionStorage.getItem('heraldKey')") and browser.find_elements(By.ID, "key-form"), 10,
                 "the form again after a wrong key")
        field = browser.find_element(By.ID, "key")
        field.clear()
        field.send_keys(keys["read"])
        browser.find_element(By.CSS_SELECTOR, "#key-form button").click()
        wait_for(lambda: js(browser, "window.herald && window.herald.mode") == "live", 20, "the board's stream with the key")
        env = dict(os.environ, HERALD_TOKEN=keys["publish"])
        subprocess.run([HERALD_BIN, "demo", "--server", s.url, "--run", "keyed", "--pace", "0"], env=env, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60)
        rows = lambda: {row.get_attribute("data-run"): row.text for row in browser.find_elements(By.CSS_SELECTOR, "#runs tbody tr[data-run]")}
        wait_for(lambda: "completed" in rows().get("keyed", ""), 20, "the run on the board, live")
        # A key for one project opens that project's board (GET /v1/access says which).
        acme = subprocess.check_output([HERALD_BIN, "keys", "create", "--data", s.data, "--project", "acme", "--role", "read"],
                                       stderr=subprocess.DEVNULL, text=True).strip()
        request = urllib.request.Request(s.url + "/v1/events", method="POST",
                                         data=b'{"project":"acme","run":"acme-1","type":"run.started"}',
                                         headers={"Content-Type": "application/json", "Authorization": "Bearer " + keys["publish"]})
        urllib.request.urlopen(request, timeout=10).close()
        browser.execute_script("sessionStorage.setItem('heraldKey', arguments[0])", acme)
        browser.get(s.url + "/")
        wait_for(lambda: browser.find_elements(By.ID, "project-picker")
                 and browser.find_element(By.ID, "project-picker").get_attribute("value") == "acme",
                 20, "the board of the key's project")
        wait_for(lambda: list(rows()) == ["acme-1"], 20, "only acme's run")
        log = Path(s.log.name).read_text(errors="replace")
        assert keys["read"].split("_")[2] not in log and acme.split("_")[2] not in log, "a key reached the server's log"
    finally:
        if s.proc.poll() is None:
            s.stop()
        shutil.rmtree(s.data, ignore_errors=True)
        os.unlink(s.log.name)


def test_an_abandoned_run_shows_why_it_failed(browser):
    # A producer that goes silent: the server ends its run after --run-idle-timeout, and a page
    # watching it shows the failure live, with the reason, and the board lists it as failed.
    server = Server("--run-idle-timeout", "3s")
    server.start()
    try:
        body = json.dumps({"run": "orphan", "type": "run.started", "data": {"name": "Forgotten"}}).encode()
        request = urllib.request.Request(server.url + "/v1/events", data=body, headers={"Content-Type": "application/json"})
        urllib.request.urlopen(request, timeout=10).read()
        browser.get(server.url + "/#/runs/orphan")
        status = lambda: [element.text for element in browser.find_elements(By.ID, "run-status")]
        wait_for(lambda: status() in (["running"], ["failed"]), 20, "the run view")
        banner = wait_for(lambda: browser.find_elements(By.ID, "run-error"), 30, "the abandonment banner")[0]
        assert "abandoned" in banner.text and "no event for 3s" in banner.text
        assert status() == ["failed"]
        browser.get(server.url + "/")
        row = wait_for(lambda: browser.find_elements(By.CSS_SELECTOR, "#runs tbody tr[data-run='orphan']"), 20, "the board row")[0]
        wait_for(lambda: "failed" in row.text, 20, "the board to list the run as failed")
    finally:
        server.stop()
        shutil.rmtree(server.data, ignore_errors=True)
