"""The run view's timeline (waterfall), conversation and task cards, in headless Chromium: on a
`herald demo` run, on a run that streams while the page watches, and on runs shaped like each of
the four teams' events (Tests/browser's README of the field: /work/shared/field).

Bars are checked through the DOM: each bar's data-start/data-end are its events' times, and its
x/width are where the SVG's own scale (data-view-start/-end, data-plot-x/-width) puts them.

Run with Tests/browser/run.sh. HERALD_BIN points at the herald binary.
"""

import os
from pathlib import Path

from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from conftest import js
from support import wait_for
from timeline_support import assert_bars_match, bars, iso, markers, ms, now_ms

SCREENSHOTS = os.environ.get("HERALD_SCREENSHOTS")


def open_run(server, browser, run, notice="run-success"):
    browser.get(f"{server.url}/#/runs/{run}")
    return wait_for(lambda: browser.find_elements(By.ID, notice), 20, f"#{notice}")[0]


def concatenated(events, type_, key, id_):
    return "".join(e["data"]["delta"] for e in events if e["type"] == type_ and e["data"][key] == id_)


def card_states(browser, card):
    return [h["state"] for h in js(browser, "window.herald.cardHistory") if h["card"] == card]


def test_a_demo_run_on_the_timeline_in_the_conversation_and_in_task_cards(server, browser):
    # A slow enough pace that every bar is wider than a few pixels (none merge).
    assert server.demo("story", "--pace", "0.05").wait(timeout=90) == 0
    events = server.events("story")
    open_run(server, browser, "story")

    # Waterfall: a bar per step attempt, task, tool call and message, at its events' times.
    drawn = assert_bars_match(browser, events)
    steps = [b for b in drawn if b["key"] == "step:t-patch/main"]
    assert [b["state"] for b in sorted(steps, key=lambda b: b["start"])] == ["failed", "ok"], "the retry is a second bar"
    drawn_markers = markers(browser)
    decisions = {e["seq"] for e in events if e["type"] == "decision"}
    assert decisions <= {m["seq"] for m in drawn_markers if m["kind"] == "decision"}
    # The failed attempt, the worker's failure (will retry) and the retry itself: at one moment, merged.
    assert {"error", "retry"} <= {k for m in drawn_markers for k in m["kinds"]}

    # Conversation: each message, reasoning and tool call is exactly its deltas, in order.
    for message in sorted({e["data"]["messageId"] for e in events if e["type"] == "message.delta"}):
        text = js(browser, f"document.querySelector('[data-message=\"{message}\"] .message-text').textContent")
        assert text == concatenated(events, "message.delta", "messageId", message)
    reasoning = js(browser, "document.querySelector('[data-reasoning-message=\"reasoning-plan-1\"]').textContent")
    assert reasoning == concatenated(events, "reasoning.delta", "messageId", "reasoning-plan-1")
    for call in sorted({e["data"]["toolCallId"] for e in events if e["type"] == "tool.call_started"}):
        item = f"[data-tool-call=\"{call}\"]"
        assert js(browser, f"document.querySelector('{item} .tool-args').textContent") == concatenated(events, "tool.call_args", "toolCallId", call)
        result = next(e["data"]["content"] for e in events if e["type"] == "tool.call_result" and e["data"]["toolCallId"] == call)
        assert js(browser, f"document.querySelector('{item} .tool-result').textContent") == result
    order = js(browser, "[...document.querySelectorAll('#conversation > li')].map(li => li.dataset.key.split(':')[0])")
    assert order[0] == "thought" and order[1] == "reasoning" and order[-1] == "message", order
    assert "reflection" in order

    # Copy a message; jump from it to its bar.
    answer = "[data-message='answer']"
    browser.find_element(By.CSS_SELECTOR, f"{answer} button.copy").click()
    wait_for(lambda: js(browser, "window.herald.copied") == concatenated(events, "message.delta", "messageId", "answer"), 5, "the copied message")
    browser.find_element(By.CSS_SELECTOR, f"{answer} button.jump").click()
    wait_for(lambda: js(browser, "document.activeElement.dataset.key") == "message:answer", 5, "the message's bar to take the focus")
    bar = next(b for b in bars(browser, "message") if b["key"] == "message:answer")
    view = js(browser, "Object.assign({}, document.getElementById('waterfall').dataset)")
    assert float(view["viewStart"]) <= bar["start"] and bar["end"] <= float(view["viewEnd"]), "zoomed to the message"
    assert "highlight" in browser.find_element(By.CSS_SELECTOR, "#waterfall .bar[data-key='message:answer']").get_attribute("class")

    # Tasks: cards beside the step cards, following their events to the end.
    assert card_states(browser, "task:t-patch")[-1] == "done"
    verify = browser.find_element(By.CSS_SELECTOR, "[data-card='task:t-verify']")
    assert verify.get_attribute("data-state") == "done"
    assert "unblocked by t-patch" in verify.find_element(By.CSS_SELECTOR, "[data-subtask='run-suite']").text
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        browser.find_element(By.ID, "zoom-fit").click()
        browser.set_window_size(1400, 2200)
        browser.save_screenshot(str(Path(SCREENSHOTS) / "run-view-timeline.png"))


def test_an_open_bar_grows_while_live_and_closes_at_its_end_and_the_conversation_streams(server, browser):
    start = now_ms()
    server.post([
        {"run": "live-bars", "type": "run.started", "time": iso(start - 2000)},
        {"run": "live-bars", "type": "step.started", "agent": "worker", "time": iso(start - 1000), "data": {"stepId": "build", "label": "Build"}},
        {"run": "live-bars", "type": "message.started", "agent": "worker", "time": iso(start - 900), "data": {"messageId": "m1", "role": "assistant"}},
    ])
    browser.get(f"{server.url}/#/runs/live-bars")
    wait_for(lambda: js(browser, "window.herald.mode") == "live", 20, "the live stream")
    step = lambda: next((b for b in bars(browser, "step") if b["key"] == "step:build"), None)
    first = wait_for(step, 10, "the step's bar")
    assert first["open"] and first["start"] == start - 1000
    wait_for(lambda: step()["end"] >= first["end"] + 600, 10, "the open bar to grow")

    # Deltas arrive while the page watches: the text is their concatenation at every moment.
    deltas = ["Hel", "lo, ", "wörld", " —\n", "  two  spaces", "\ttab", " ✓"]
    for i in range(0, len(deltas), 2):
        server.post([{"run": "live-bars", "type": "message.delta", "agent": "worker", "data": {"messageId": "m1", "delta": d}}
                     for d in deltas[i:i + 2]])
        want = "".join(deltas[:i + 2])
        wait_for(lambda: js(browser, "document.querySelector('[data-message=\"m1\"] .message-text').textContent") == want, 10, f"text {want!r}")

    done = now_ms()
    server.post([
        {"run": "live-bars", "type": "message.completed", "agent": "worker", "time": iso(done - 10), "data": {"messageId": "m1"}},
        {"run": "live-bars", "type": "step.completed", "agent": "worker", "time": iso(done), "data": {"stepId": "build", "tokensUsed": 10}},
    ])
    closed = wait_for(lambda: (b := step()) and not b["open"] and b, 10, "the bar to close")
    assert closed["end"] == done and closed["state"] == "ok"
    server.post([{"run": "live-bars", "type": "run.completed", "time": iso(done + 5)}])
    wait_for(lambda: browser.find_elements(By.ID, "run-success"), 10, "the end of the run")
    assert_bars_match(browser, server.events("live-bars"))


def test_nanoagent_tasks_and_notes_and_a_failed_task_in_a_completed_run(server, browser):
    # nanoagent's StreamManager: task_started / task_completed (success false → task.failed), reflection, thought.
    t = now_ms() - 60_000
    run = "nano"
    server.post([
        {"run": run, "type": "run.started", "time": iso(t)},
        {"run": run, "type": "thought", "time": iso(t + 100), "data": {"text": "Split the work in two."}},
        {"run": run, "type": "task.started", "time": iso(t + 200), "data": {"taskId": "1", "title": "Fetch the sources"}},
        {"run": run, "type": "task.completed", "time": iso(t + 4200), "data": {"taskId": "1", "result": {"output": "12 files"}}},
        {"run": run, "type": "task.started", "time": iso(t + 4300), "data": {"taskId": "2", "title": "Summarise"}},
        {"run": run, "type": "task.failed", "time": iso(t + 9300), "data": {"taskId": "2", "error": "context window exceeded"}},
        {"run": run, "type": "reflection", "time": iso(t + 9400), "data": {"done": False, "gaps": ["summary"], "newTasks": ["3"]}},
        {"run": run, "type": "run.completed", "time": iso(t + 9500)},
    ])
    banner = open_run(server, browser, run, "run-warning")
    assert banner.get_attribute("role") == "alert"
    assert "Run completed" in banner.text and "1 task failed" in banner.text and "task 2: context window exceeded" in banner.text
    assert not browser.find_elements(By.ID, "run-success")
    assert card_states(browser, "task:1") == ["active", "done"]
    assert card_states(browser, "task:2") == ["active", "failed"]
    assert assert_bars_match(browser, server.events(run), kinds=("task",))
    notes = js(browser, "[...document.querySelectorAll('#conversation > li')].map(li => [li.dataset.key.split(':')[0], li.querySelector('.note-text').textContent])")
    assert notes == [["thought", "Split the work in two."], ["reflection", 'not done · gaps: ["summary"] · new tasks: ["3"]']]


def test_go_orchestrator_task_status_changes_subtasks_and_agent_retries(server, browser):
    # The Go hub's task:status_changed (nil → PLANNING → ACTIVE → DONE), subtask:*, agent:* events.
    t = now_ms() - 120_000
    run = "go-hub"
    e = lambda dt, type_, data=None, agent=None: {"run": run, "type": type_, "time": iso(t + dt), "data": data or {}, **({"agent": agent} if agent else {})}
    events = [
        e(0, "run.started"),
        e(10, "task.status_changed", {"taskId": "T-7", "old": "", "new": "PLANNING"}),
        e(20, "agent.started", {"role": "planner"}, "planner"),
        e(3000, "task.status_changed", {"taskId": "T-7", "old": "PLANNING", "new": "ACTIVE"}),
        e(3010, "task.subtask_status_changed", {"taskId": "T-7", "subtaskId": "S-1", "old": "PENDING", "new": "IN_PROGRESS"}),
        e(3020, "agent.completed", {"prUrl": "https://git.example.com/pr/1"}, "planner"),
        e(3100, "agent.started", {"role": "worker"}, "worker-1"),
        e(9000, "agent.failed", {"error": "exit status 1", "willRetry": True}, "worker-1"),
        e(9500, "agent.started", {"role": "worker"}, "worker-1"),
        e(15000, "agent.completed", {"prUrl": "https://git.example.com/pr/2"}, "worker-1"),
        e(15010, "task.subtask_status_changed", {"taskId": "T-7", "subtaskId": "S-1", "old": "IN_PROGRESS", "new": "MERGED"}),
        e(15020, "task.subtask_unblocked", {"taskId": "T-7", "subtaskId": "S-2", "unblockedBy": "S-1"}),
        e(15030, "task.subtask_status_changed", {"taskId": "T-7", "subtaskId": "S-2", "old": "BLOCKED", "new": "MERGED"}),
        e(15040, "task.status_changed", {"taskId": "T-7", "old": "ACTIVE", "new": "DONE"}),
        e(15100, "task.status_changed", {"taskId": "T-8", "old": "", "new": "PLANNING"}),
        e(18000, "task.status_changed", {"taskId": "T-8", "old": "PLANNING", "new": "PLANNING_FAILED"}),
        e(18100, "run.completed"),
    ]
    server.post(events)
    open_run(server, browser, run, "run-warning")
    assert card_states(browser, "task:T-7") == ["planning", "active", "done"]
    assert card_states(browser, "task:T-8") == ["planning", "failed"]
    card = browser.find_element(By.CSS_SELECTOR, "[data-card='task:T-7']")
    assert "PLANNING → ACTIVE → DONE" in card.text
    assert card.find_element(By.CSS_SELECTOR, "[data-subtask='S-2']").get_attribute("data-status") == "MERGED"
    assert "unblocked by S-1" in card.find_element(By.CSS_SELECTOR, "[data-subtask='S-2']").text
    assert "1 task failed" in browser.find_element(By.ID, "run-warning").text
    assert_bars_match(browser, server.events(run), kinds=("task",))
    # The retry is a marker on worker-1's lane, at the failure's time.
    assert {"kind": "retry", "time": t + 9000} in [{"kind": m["kind"], "time": m["time"]} for m in markers(browser)]
    bands = js(browser, "[...document.querySelectorAll('#waterfall .band')].map(b => [b.dataset.agent, Number(b.dataset.start), Number(b.dataset.end)])")
    assert ["worker-1", t + 3100, t + 9000] in bands and ["worker-1", t + 9500, t + 15000] in bands


def test_llm_sim_decisions_system_retries_and_errors_are_markers(server, browser):
    # llm_sim's typed events: milestones per turn, DECISION, ACTION, STATE, DETAIL, SYSTEM.
    t = now_ms() - 300_000
    run = "sim-42"
    e = lambda dt, type_, data=None, agent=None, turn=None: {"run": run, "type": type_, "time": iso(t + dt), "data": data or {},
                                                           **({"agent": agent} if agent else {}), **({"turn": turn} if turn is not None else {})}
    server.post([
        e(0, "run.started", {"name": "Trade simulation"}),
        e(100, "milestone.turn_start", turn=1),
        e(200, "decision", {"decisionType": "tariff", "oldValue": 0.1, "newValue": 0.15}, "nation-a", 1),
        e(300, "action", {"actionType": "set_tariff", "payload": {"rate": 0.15}}, "nation-a", 1),
        e(400, "state", {"variable": "gdp", "old": 100, "new": 98.5, "scope": "nation-a"}, turn=1),
        e(500, "system.error", {"errorType": "llm_timeout", "status": "retrying", "retryCount": 1}, "nation-b", 1),
        e(2500, "system.error", {"errorType": "llm_parse", "status": "failed", "retryCount": 0}, "nation-b", 1),
        e(2600, "milestone.turn_end", turn=1),
        e(2700, "run.completed"),
    ])
    open_run(server, browser, run)
    drawn = {(m["kind"], m["time"]) for m in markers(browser) if m["count"] == 1}
    assert drawn == {("decision", t + 200), ("retry", t + 500), ("error", t + 2500)}
    assert not bars(browser), "no spans in this shape: markers only"


def test_qualisys_steps_and_a_failed_step_in_a_completed_run(server, browser):
    # QUALISYS' progress cards: queued → running (percent, label) → complete (tokens, artifact) or error.
    t = now_ms() - 60_000
    run = "qualisys-run"
    e = lambda dt, type_, data, agent: {"run": run, "type": type_, "time": iso(t + dt), "data": data, "agent": agent}
    server.post([{"run": run, "type": "run.started", "time": iso(t)}] + [
        e(10, "step.queued", {"stepId": "ba", "label": "waiting"}, "ba"),
        e(20, "step.queued", {"stepId": "qa", "label": "waiting"}, "qa"),
        e(1000, "step.started", {"stepId": "ba", "label": "Agent ba is analyzing your project..."}, "ba"),
        e(2000, "step.progress", {"stepId": "ba", "percent": 50, "label": "halfway"}, "ba"),
        e(4000, "step.completed", {"stepId": "ba", "tokensUsed": 1520, "artifactId": "art-1"}, "ba"),
        e(4100, "step.started", {"stepId": "qa", "label": "Agent qa is analyzing your project..."}, "qa"),
        e(7000, "step.failed", {"stepId": "qa", "code": "STEP_FAILED", "message": "budget exceeded"}, "qa"),
    ] + [{"run": run, "type": "run.completed", "time": iso(t + 7100)}])
    banner = open_run(server, browser, run, "run-warning")
    assert "1 step failed" in banner.text and "step qa: STEP_FAILED: budget exceeded" in banner.text
    assert card_states(browser, "step:qa") == ["queued", "running", "error"]
    drawn = assert_bars_match(browser, server.events(run))
    assert [(b["key"], b["state"]) for b in sorted(drawn, key=lambda b: b["start"])] == [("step:ba", "ok"), ("step:qa", "failed")]


def test_the_timeline_from_the_keyboard_in_a_narrow_window(server, browser):
    assert server.demo("narrow", "--pace", "0.05").wait(timeout=90) == 0
    browser.set_window_size(600, 900)
    open_run(server, browser, "narrow")
    assert js(browser, "document.documentElement.scrollWidth <= document.documentElement.clientWidth"), "nothing wider than the window"
    assert js(browser, "document.getElementById('waterfall').getBoundingClientRect().right <= window.innerWidth")

    # Tab from the timeline's frame reaches its first bar or marker; Enter opens it, Escape closes it.
    frame = browser.find_element(By.ID, "waterfall-frame")
    browser.execute_script("arguments[0].focus()", frame)
    frame.send_keys(Keys.TAB)
    focused = browser.switch_to.active_element
    assert focused.get_attribute("role") == "button" and focused.get_attribute("aria-label")
    key = focused.get_attribute("data-key")
    focused.send_keys(Keys.ENTER)
    wait_for(lambda: browser.find_element(By.ID, "drawer").is_displayed() and browser.find_elements(By.ID, "drawer-title"), 10, "the drawer")
    browser.switch_to.active_element.send_keys(Keys.ESCAPE)
    wait_for(lambda: not browser.find_element(By.ID, "drawer").is_displayed(), 5, "the drawer to close")
    assert browser.switch_to.active_element.get_attribute("data-key") == key, "the focus is back on the bar"

    # A bar opens its events: a step bar lists its own events, each a link.
    step = browser.find_element(By.CSS_SELECTOR, "#waterfall .bar[data-kind='step'][data-state='failed']")
    browser.execute_script("arguments[0].focus()", step)
    browser.switch_to.active_element.send_keys(Keys.ENTER)
    span = wait_for(lambda: browser.find_elements(By.ID, "drawer-span"), 10, "the bar's events")[0]
    assert span.get_attribute("data-key") == "step:t-patch/main"
    types = [b.text for b in span.find_elements(By.CSS_SELECTOR, "#span-events .chain-link")]
    assert types[0].endswith("step.started") and types[-1].endswith("step.failed")
    browser.switch_to.active_element.send_keys(Keys.ESCAPE)

    # Zoom and pan from the keyboard: + halves the view, → moves it later.
    view = lambda: js(browser, "[Number(document.getElementById('waterfall').dataset.viewStart), Number(document.getElementById('waterfall').dataset.viewEnd)]")
    before = view()
    browser.execute_script("arguments[0].focus()", frame)
    frame.send_keys("+")
    zoomed = view()
    assert abs((zoomed[1] - zoomed[0]) * 2 - (before[1] - before[0])) < 1
    frame.send_keys(Keys.ARROW_RIGHT)
    assert view()[0] > zoomed[0]
    frame.send_keys("0")
    assert view() == before
