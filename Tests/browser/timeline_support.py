"""What the run view's tests share: event times, reading the waterfall through the DOM, and the
spans the events describe (as the page should draw them)."""

from datetime import datetime, timezone

from conftest import js


def iso(ms):
    """RFC 3339 UTC with milliseconds, from epoch milliseconds."""
    return datetime.fromtimestamp(ms / 1000, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def ms(time):
    """Epoch milliseconds (truncated, as a browser's Date.parse reads it) of a server time."""
    whole, _, rest = time.rstrip("Z").partition(".")
    stamp = datetime.strptime(whole, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=timezone.utc)
    return int(stamp.timestamp()) * 1000 + int((rest + "000")[:3])


def now_ms():
    return int(datetime.now(timezone.utc).timestamp() * 1000)


def bars(driver, kind=None):
    """The waterfall's bars: [{key, kind, y, start, end, open, state, count, x, width}]."""
    selector = "#waterfall .bar" + (f"[data-kind='{kind}']" if kind else "")
    return js(driver, f"""[...document.querySelectorAll("{selector}")].map(b => ({{
        key: b.dataset.key, kind: b.dataset.kind, y: Number(b.getAttribute("y")), start: Number(b.dataset.start),
        end: Number(b.dataset.end), open: b.dataset.open === "true", state: b.dataset.state, count: Number(b.dataset.count || 1),
        x: Number(b.getAttribute("x")), width: Number(b.getAttribute("width"))}}))""")


def scale(driver):
    """The waterfall's time → x mapping, as the SVG states it."""
    d = js(driver, "Object.assign({}, document.getElementById('waterfall').dataset)")
    start, end, x0, width = (float(d[k]) for k in ("viewStart", "viewEnd", "plotX", "plotWidth"))
    return lambda t: x0 + (t - start) / (end - start) * width


def markers(driver):
    return js(driver, """[...document.querySelectorAll("#waterfall .marker")].map(m => ({
        kind: m.dataset.kind, kinds: (m.dataset.kinds || m.dataset.kind).split(" "), time: Number(m.dataset.time), seq: Number(m.dataset.seq),
        count: Number(m.dataset.count || 1)}))""")


def expected_spans(events):
    """Step attempts, tasks, tool calls and messages as (kind, key, start ms, end ms, state), from
    a run's events in seq order: the rules the page's timeline follows, written again plainly."""
    spans, open_ = [], {}
    task_done = {"done", "complete", "completed", "success", "succeeded", "merged", "finished"}

    def begin(kind, key, event):
        open_[key] = [kind, key, ms(event["time"]), None, "open"]
        spans.append(open_[key])

    def finish(key, event, state):
        span = open_.pop(key, None)
        if span:
            span[3], span[4] = max(ms(event["time"]), span[2]), state

    for e in events:
        t, d = e["type"], e.get("data", {})
        if t == "step.started":
            finish(f"step:{d['stepId']}", e, "unfinished")
            begin("step", f"step:{d['stepId']}", e)
        elif t in ("step.completed", "step.failed"):
            finish(f"step:{d['stepId']}", e, "ok" if t == "step.completed" else "failed")
        elif t.startswith("task.") and t not in ("task.subtask_status_changed", "task.subtask_unblocked"):
            key, status = f"task:{d['taskId']}", str(d.get("new", "")).lower() if t == "task.status_changed" else ""
            failed = t == "task.failed" or any(w in status for w in ("fail", "error", "cancel", "abort"))
            closes = failed or t == "task.completed" or status in task_done
            if closes:
                finish(key, e, "failed" if failed else "ok")
            elif key not in open_:
                begin("task", key, e)
        elif t == "tool.call_started":
            begin("tool", f"tool:{d['toolCallId']}", e)
        elif t == "tool.call_result":
            finish(f"tool:{d['toolCallId']}", e, "ok")
        elif t == "message.started":
            begin("message", f"message:{d['messageId']}", e)
        elif t == "message.completed":
            finish(f"message:{d['messageId']}", e, "ok")
        elif t in ("run.completed", "run.failed", "run.cancelled"):
            for key in list(open_):
                finish(key, e, "unfinished")
    return [tuple(s) for s in spans]


def assert_bars_match(driver, events, kinds=("task", "step", "tool", "message")):
    """Every span of `events` is one unmerged bar with the span's times, placed where the
    waterfall's scale puts those times (within half a pixel; a bar is at least 2 px wide)."""
    expected = sorted(s for s in expected_spans(events) if s[0] in kinds)
    drawn = [b for b in bars(driver) if b["kind"] in kinds]
    assert all(b["count"] == 1 for b in drawn), f"merged bars where each should stand alone: {drawn}"
    got = sorted((b["kind"], b["key"], b["start"], b["end"], b["state"]) for b in drawn)
    assert got == expected, f"drawn but not expected: {sorted(set(got) - set(expected))}; expected but not drawn: {sorted(set(expected) - set(got))}"
    x = scale(driver)
    for b in drawn:
        assert abs(b["x"] - x(b["start"])) < 0.5, b
        assert abs(b["width"] - max(2, x(b["end"]) - x(b["start"]))) < 0.5, b
    # Bars that run at once stand one under another: none covers another on its row.
    for a in drawn:
        for b in drawn:
            if a is not b and a["y"] == b["y"]:
                assert a["x"] + a["width"] <= b["x"] + 0.01 or b["x"] + b["width"] <= a["x"] + 0.01, (a, b)
    return drawn
