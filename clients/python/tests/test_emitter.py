"""The emitter's contract (docs/clients.md), against the real herald binary."""

from __future__ import annotations

import json
import logging
import os
import signal
import statistics
import subprocess
import sys
import textwrap
import threading
import time

import herald
from conftest import HERALD_BIN, all_events, free_port


def test_order_across_three_interleaved_runs(herald_server):
    # Given one emitter writing to three runs in turn, from two threads
    h = herald.Emitter(herald_server.url, agent="w", max_batch=7)
    ids = {"a": [], "b": [], "c": []}
    lock = threading.Lock()

    def produce(offset: int) -> None:
        for i in range(offset, 300, 2):
            run = "abc"[i % 3]
            with lock:  # the order a run's events were emitted in is the order they get ids
                ids[run].append(h.emit("step.progress", {"stepId": "s", "percent": i / 3}, run=run))

    threads = [threading.Thread(target=produce, args=(k,)) for k in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # When it shuts down
    counters = h.shutdown(timeout=30)
    # Then every event is stored once, and each run's seqs follow emit order
    assert counters.delivered == 300 and counters.failed == 0 and counters.pending == 0
    for run, emitted in ids.items():
        stored = all_events(herald_server.url, run)
        assert [e.id for e in stored] == emitted
        assert [e.seq for e in stored] == list(range(1, 101))
    assert all(emitted == sorted(emitted) for emitted in ids.values())  # ULIDs increase


def test_a_server_restart_mid_stream_loses_and_doubles_nothing(herald_server):
    h = herald.Emitter(herald_server.url, run="restart", agent="w", max_batch=50, max_backoff=0.5)
    ids = []
    for i in range(1000):
        ids.append(h.emit("agent.log", {"line": f"line {i}"}))
        if i == 300:
            herald_server.stop(signal.SIGKILL)  # mid-stream, without warning
        if i == 700:
            herald_server.start()  # the same port and data folder
        if i % 50 == 0:
            time.sleep(0.01)
    assert h.flush(timeout=60)
    counters = h.shutdown()
    assert (counters.emitted, counters.delivered, counters.failed, counters.dropped) == (1000, 1000, 0, 0)
    stored = all_events(herald_server.url, "restart")
    assert [e.id for e in stored] == ids  # exactly once, in order
    assert [e.data["line"] for e in stored] == [f"line {i}" for i in range(1000)]


def test_lost_answers_never_duplicate(herald_server, lossy_proxy):
    # Given a proxy that serves requests but loses their answers
    proxy = lossy_proxy(herald_server.port)
    proxy.drop = 5
    h = herald.Emitter(proxy.url, run="lossy", agent="w", max_batch=20, linger=0, max_backoff=0.2)
    ids = [h.emit("agent.log", {"line": str(i)}) for i in range(200)]
    counters = h.shutdown(timeout=30)
    assert proxy.dropped == 5
    assert counters.delivered == 200 and counters.failed == 0
    stored = all_events(herald_server.url, "lossy")
    assert [e.id for e in stored] == ids


def test_server_down_emit_never_blocks_and_shutdown_gives_up_in_time():
    # Given nobody listening on the port
    h = herald.Emitter(f"http://127.0.0.1:{free_port()}", run="down", agent="w", capacity=500)
    costs = []
    for i in range(2000):
        start = time.perf_counter()
        h.emit("agent.log", {"line": str(i)})
        costs.append(time.perf_counter() - start)
    # Then no call waited for the network (a connect attempt alone would take milliseconds)
    assert statistics.median(costs) < 0.001
    assert max(costs) < 0.1
    counters = h.counters
    assert counters.emitted == 500 and counters.dropped == 1500  # the queue's bound, drop-newest
    # When it shuts down with a 1 s budget
    start = time.monotonic()
    counters = h.shutdown(timeout=1.0)
    took = time.monotonic() - start
    # Then it gives up at its timeout and counts what it could not deliver
    assert 0.9 <= took < 3.0
    assert counters.failed == 500 and counters.delivered == 0 and counters.pending == 0


def test_block_mode_waits_for_room_then_gives_up():
    h = herald.Emitter(f"http://127.0.0.1:{free_port()}", run="r", agent="w", capacity=2, block=True, block_timeout=0.2)
    assert h.emit("agent.log", {"line": "1"}) and h.emit("agent.log", {"line": "2"})
    start = time.monotonic()
    assert h.emit("agent.log", {"line": "3"}) is None
    assert time.monotonic() - start >= 0.19
    assert h.counters.dropped == 1
    h.shutdown(timeout=0.1)


def test_refusals_are_isolated_and_the_rest_delivered(herald_server, caplog):
    h = herald.Emitter(herald_server.url, run="refusals", max_batch=100, linger=0.05)
    good1 = h.emit("agent.log", {"line": "ok"}, agent="w")
    bad = h.emit("decision", {"decisionType": "x", "newValue": 1})  # a decision needs an agent
    good2 = h.emit("my.thing", {"n": 1})
    with caplog.at_level(logging.ERROR, logger="herald"):
        counters = h.shutdown(timeout=10)
    assert (counters.delivered, counters.failed) == (2, 1)
    assert [e.id for e in all_events(herald_server.url, "refusals")] == [good1, good2]
    assert any(bad in record.getMessage() and "agent" in record.getMessage() for record in caplog.records)


def test_unserialisable_payloads_are_counted_not_raised(herald_server, caplog):
    h = herald.Emitter(herald_server.url, run="payloads", agent="w")
    with caplog.at_level(logging.ERROR, logger="herald"):
        assert h.emit("my.thing", {"when": object()}) is None
        assert h.emit("my.thing", {"x": float("nan")}) is None
        assert h.emit("my.thing", ["not", "an", "object"]) is None  # type: ignore[arg-type]
        assert h.emit(None, {}) is None  # type: ignore[arg-type]
        assert h.emit("my.thing", {"fine": True}) is not None
    counters = h.shutdown(timeout=10)
    assert (counters.failed, counters.delivered) == (4, 1)
    assert len([r for r in caplog.records if "not emitted" in r.getMessage()]) == 4


def test_the_payload_is_encoded_at_the_call(herald_server):
    h = herald.Emitter(herald_server.url, run="snapshot", agent="w", linger=0.2)
    data = {"items": [1]}
    h.emit("my.thing", data)
    data["items"].append(2)  # changed after the call, before delivery
    h.shutdown(timeout=10)
    assert all_events(herald_server.url, "snapshot")[0].data == {"items": [1]}


def test_time_ns_dates_an_event_that_happened_before_the_call(herald_server):
    h = herald.Emitter(herald_server.url, run="dated", agent="w")
    started = time.time_ns() - 90 * 1_000_000_000 + 123_456_789  # a span that began 90 s ago
    h.emit("my.thing", {"n": 1}, time_ns=started)
    h.bind(agent="v").emit("my.thing", {"n": 2}, time_ns=started + 1_000)
    assert h.emit("my.thing", {"n": 3}, time_ns=1.5) is None  # not an int: refused at the call
    counters = h.shutdown(timeout=10)
    assert (counters.delivered, counters.failed) == (2, 1)
    stored = all_events(herald_server.url, "dated")
    assert [round(e.datetime.timestamp() * 1_000_000) for e in stored] == [started // 1000, started // 1000 + 1]


def test_verbosity_filters_at_the_call(herald_server):
    h = herald.Emitter(herald_server.url, run="verbosity", agent="w", verbosity="decision")
    assert h.agent_log("detail level") is None                    # detail > decision
    assert h.step_progress("s", 10) is None                       # action > decision
    assert h.emit("my.thing", {}) is None                          # custom types default to action
    assert h.decision("route", "w1") is not None
    assert h.run_started(name="x") is not None                     # milestone
    assert h.system("retry", retry_count=1) is not None            # system always passes
    assert h.emit("my.thing", {}, level="milestone") is not None   # an explicit level counts
    counters = h.shutdown(timeout=10)
    assert counters.filtered == 3 and counters.delivered == 4
    stored = all_events(herald_server.url, "verbosity")
    assert [e.type for e in stored] == ["decision", "run.started", "system.retry", "my.thing"]


def test_flush_waits_for_everything_before_it(herald_server):
    h = herald.Emitter(herald_server.url, run="flush", agent="w", linger=5.0)  # a long linger: flush must cut it
    for i in range(10):
        h.emit("agent.log", {"line": str(i)})
    start = time.monotonic()
    assert h.flush(timeout=10)
    assert time.monotonic() - start < 4
    assert len(all_events(herald_server.url, "flush")) == 10
    h.shutdown()


def _run_python(code: str, env_url: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=60,
                          env=dict(os.environ, HERALD_URL=env_url))


def test_events_emitted_just_before_exit_are_delivered_at_exit(herald_server):
    # A script that never calls shutdown: atexit delivers what it queued.
    result = _run_python("""
        import herald
        h = herald.Emitter(run="atexit", agent="w", linger=1.0)
        for i in range(25):
            h.agent_log(f"line {i}")
        print("exiting")
    """, herald_server.url)
    assert result.returncode == 0, result.stderr
    assert [e.data["line"] for e in all_events(herald_server.url, "atexit")] == [f"line {i}" for i in range(25)]


def test_context_manager_and_exit_with_the_server_down_end_in_time():
    result = _run_python("""
        import herald, time
        start = time.monotonic()
        with herald.Emitter(run="r", agent="w", shutdown_timeout=0.5) as h:
            h.agent_log("nobody listens")
        print(h.counters.failed, round(time.monotonic() - start, 1))
    """, f"http://127.0.0.1:{free_port()}")
    assert result.returncode == 0, result.stderr
    failed, took = result.stdout.split()
    assert failed == "1" and float(took) < 3


def test_a_forked_child_gets_its_own_queue_and_sender(herald_server):
    result = _run_python("""
        import herald, os
        h = herald.Emitter(run="fork", agent="parent", linger=0.5)
        h.agent_log("before fork")             # still queued in the parent at the fork
        pid = os.fork()
        if pid == 0:
            h.agent = "child"
            ids = [h.agent_log(f"child {i}") for i in range(20)]
            c = h.shutdown(timeout=10)
            print("child", c.emitted, c.delivered, c.failed, flush=True)
            os._exit(0)
        ids = [h.agent_log(f"parent {i}") for i in range(20)]
        os.waitpid(pid, 0)
        c = h.shutdown(timeout=10)
        print("parent", c.emitted, c.delivered, c.failed, flush=True)
    """, herald_server.url)
    assert result.returncode == 0, result.stderr
    assert sorted(result.stdout.split("\n")[:2]) == ["child 20 20 0", "parent 21 21 0"]
    stored = all_events(herald_server.url, "fork")
    lines = [e.data["line"] for e in stored]
    assert len(stored) == 41 and len({e.id for e in stored}) == 41
    assert lines.count("before fork") == 1  # the parent delivered it; the child did not repeat it
    assert [x for x in lines if x.startswith("child")] == [f"child {i}" for i in range(20)]
    assert [x for x in lines if x.startswith("parent")] == [f"parent {i}" for i in range(20)]


def test_every_typed_helper_is_accepted_by_the_server(herald_server):
    h = herald.Emitter(herald_server.url, run="helpers", agent="w")
    calls = typed_helper_calls(h)
    ids = [call() for call in calls]
    counters = h.shutdown(timeout=20)
    assert counters.failed == 0 and counters.delivered == len(calls) and all(ids)
    stored = all_events(herald_server.url, "helpers")
    assert len(stored) == len(calls)


def typed_helper_calls(h: herald.Emitter):
    """One call of every helper with its required fields, the run's end last."""
    return [
        lambda: h.run_queued(name="helpers"),
        lambda: h.run_started(name="helpers", goal="all"),
        lambda: h.milestone_turn_start(turn=1),
        lambda: h.milestone_turn_end(turn=1),
        lambda: h.milestone_phase_transition("execute", from_="plan"),
        lambda: h.decision("route", "w1", old_value=None, reason="idle"),
        lambda: h.action("search", payload={"q": "x"}),
        lambda: h.state("budget", 9, old=10, scope="run"),
        lambda: h.detail("score", intermediate_values=[1, 2]),
        lambda: h.task_started("t1", title="Fetch"),
        lambda: h.task_status_changed("t1", "planning", "active"),
        lambda: h.task_subtask_status_changed("t1", "t1.a", "blocked", "active"),
        lambda: h.task_subtask_unblocked("t1", "t1.b", "t1.a"),
        lambda: h.task_completed("t1", result={"pages": 3}),
        lambda: h.task_failed("t2", "timeout"),
        lambda: h.step_queued("s1", label="queued"),
        lambda: h.step_started("s1"),
        lambda: h.step_progress("s1", 50, label="half"),
        lambda: h.step_completed("s1", tokens_used=120, artifact_id="a1"),
        lambda: h.step_failed("s2", "E1", "broke"),
        lambda: h.agent_started(role="worker"),
        lambda: h.agent_log("[12:00:01] hello", line_number=1, log_time="12:00:01", truncated=False),
        lambda: h.agent_completed(pr_url="https://example.invalid/pr/1", summary="done"),
        lambda: h.agent_failed("crashed", True),
        lambda: h.reflection(done=False, gaps=["tests"], new_tasks=[]),
        lambda: h.reflection(content="looks right"),
        lambda: h.thought(text="maybe"),
        lambda: h.thought(content="surely"),
        lambda: h.message_started("m1", role="assistant"),
        lambda: h.message_delta("m1", "Hel"),
        lambda: h.message_completed("m1"),
        lambda: h.tool_call_started("c1", "search", parent_message_id="m1"),
        lambda: h.tool_call_args("c1", '{"q":'),
        lambda: h.tool_call_completed("c1"),
        lambda: h.tool_call_result("c1", "m2", "3 results", role="tool"),
        lambda: h.state_snapshot({"a": 1}),
        lambda: h.state_delta([{"op": "replace", "path": "/a", "value": 2}]),
        lambda: h.reasoning_started("r1"),
        lambda: h.reasoning_message_started("r1"),
        lambda: h.reasoning_delta("r1", "think"),
        lambda: h.reasoning_message_completed("r1"),
        lambda: h.reasoning_completed("r1"),
        lambda: h.system_error("Timeout", status="retrying", retry_count=1, message="slow"),
        lambda: h.system("retry", retry_count=2),
        lambda: h.run_completed(summary="ok"),
    ]


def test_the_logging_handler_publishes_records_without_loops(herald_server):
    h = herald.Emitter(herald_server.url, run="logs")
    handler = herald.HeraldHandler(h)
    root = logging.getLogger()
    root.addHandler(handler)
    old_level = root.level
    root.setLevel(logging.DEBUG)
    try:
        logging.getLogger("app.worker").info("fetched %d pages", 3)
        try:
            raise ValueError("boom")
        except ValueError:
            logging.getLogger("app.worker").exception("failed")
        logging.getLogger("herald").warning("the emitter's own records are not published")
        # Refused (a decision needs an agent): the sender thread logs it, and that record must not loop.
        h.emit("decision", {"decisionType": "x", "newValue": 1})
        assert h.flush(timeout=10)
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
    counters = h.shutdown(timeout=10)
    stored = all_events(herald_server.url, "logs")
    assert [e.data["line"] for e in stored] == ["fetched 3 pages", "failed"]
    assert [e.level for e in stored] == ["action", "system"]
    assert [e.agent for e in stored] == ["app.worker", "app.worker"]  # the logger's name when nobody names an agent
    assert stored[1].data["severity"] == "ERROR" and "ValueError: boom" in stored[1].data["exception"]
    assert (counters.delivered, counters.failed) == (2, 1)


def test_stdout_lines_are_what_herald_emit_stdin_takes(herald_server, tmp_path):
    out = tmp_path / "events.jsonl"
    with open(out, "w") as stream:
        with herald.Emitter(herald.StdoutSink(stream), run="piped", agent="w") as h:
            start = h.run_started(name="piped")
            h.task_started("t1", caused_by=[start])
            h.run_completed()
    result = herald_server.cli("emit", "--stdin", input=out.read_text())
    assert "3" in result.stdout
    stored = all_events(herald_server.url, "piped")
    assert [e.type for e in stored] == ["run.started", "task.started", "run.completed"]
    assert stored[1].caused_by == [stored[0].id]
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert [line["id"] for line in lines] == [e.id for e in stored]  # the producer's ids are kept
    assert [line["time"] for line in lines] == [e.time for e in stored]


def test_rotated_files_are_what_herald_import_loads(herald_server, tmp_path):
    folder = tmp_path / "out"
    sink = herald.FileSink(str(folder), max_bytes=2_000)
    with herald.Emitter(sink, run="filed", agent="w", max_batch=5) as h:
        ids = [h.agent_log(f"line {i:03d} " + "x" * 50) for i in range(100)]
    files = sorted(p.name for p in folder.iterdir())
    assert len(files) > 3 and files[-1] == "events.jsonl"
    assert all(name.startswith("events-") and name.endswith("Z.jsonl") for name in files[:-1])
    herald_server.cli("import", str(folder))
    assert [e.id for e in all_events(herald_server.url, "filed")] == ids


def test_a_batch_too_large_for_the_server_is_split(start_herald):
    server = start_herald("--max-body-bytes", "4096")
    h = herald.Emitter(server.url, run="split", agent="w", linger=0.2)
    ids = [h.agent_log(f"{i:03d} " + "x" * 200) for i in range(60)]  # ~15 KB in one batch
    too_big = h.agent_log("y" * 5000)  # alone larger than a request may be
    counters = h.shutdown(timeout=20)
    assert (counters.delivered, counters.failed) == (60, 1)
    assert [e.id for e in all_events(server.url, "split")] == ids and too_big not in ids


def test_a_rate_limited_emitter_waits_for_retry_after(start_herald):
    server = start_herald("--rate-limit", "50", "--rate-burst", "50")
    h = herald.Emitter(server.url, run="limited", agent="w", linger=0)
    for i in range(100):  # one request may overdraw the bucket: the next must wait
        h.agent_log(str(i))
    assert h.flush(timeout=10)
    start = time.monotonic()
    later = [h.agent_log(f"later {i}") for i in range(5)]
    assert h.flush(timeout=20)
    assert time.monotonic() - start >= 0.5  # it waited for the server's Retry-After instead of hammering it
    counters = h.shutdown()
    assert (counters.delivered, counters.failed) == (105, 0)
    assert [e.id for e in all_events(server.url, "limited")][-5:] == later


def test_bad_credentials_are_final_and_loud(tmp_path, start_herald, caplog):
    data = tmp_path / "data0"
    key = subprocess.run([HERALD_BIN, "keys", "create", "--data", str(data), "--project", "default", "--role", "publish"],
                         capture_output=True, text=True, check=True).stdout.split()[0]
    server = start_herald()
    assert server.data == data
    anonymous = herald.Emitter(server.url, run="auth", agent="w", token="")
    with caplog.at_level(logging.ERROR, logger="herald"):
        anonymous.agent_log("refused")
        counters = anonymous.shutdown(timeout=10)
    assert (counters.delivered, counters.failed) == (0, 1)
    assert any("401" in r.getMessage() for r in caplog.records)
    with herald.Emitter(server.url, run="auth", agent="w", token=key) as h:
        h.agent_log("accepted")
    assert h.counters.delivered == 1
    events = list(herald.Client(server.url, token=key).events("auth"))
    assert [e.data["line"] for e in events] == ["accepted"]


def test_a_bound_view_shares_the_queue_with_its_own_defaults(herald_server):
    h = herald.Emitter(herald_server.url, agent="service")
    a, b = h.bind(run="job-a"), h.bind(run="job-b", agent="worker")
    a.step_started("lint")
    b.agent_log("hello")
    a.bind(agent="other").emit("my.thing", {"n": 1})
    counters = h.shutdown(timeout=10)
    assert (counters.delivered, counters.failed) == (3, 0)
    assert [(e.type, e.agent) for e in all_events(herald_server.url, "job-a")] == [("step.started", "service"), ("my.thing", "other")]
    assert [(e.type, e.agent) for e in all_events(herald_server.url, "job-b")] == [("agent.log", "worker")]


def test_async_shutdown_drains_without_blocking_the_loop():
    import asyncio

    async def main():
        h = herald.Emitter(f"http://127.0.0.1:{free_port()}", run="async", agent="w")  # nobody listens
        h.agent_log("undeliverable")
        ticks = 0

        async def tick():
            nonlocal ticks
            while True:
                ticks += 1
                await asyncio.sleep(0.01)

        ticker = asyncio.create_task(tick())
        counters = await h.ashutdown(timeout=0.5)
        ticker.cancel()
        return counters, ticks

    counters, ticks = asyncio.run(main())
    assert counters.failed == 1 and ticks >= 10  # the loop kept running while the shutdown waited


def test_many_refusals_in_one_batch_are_logged_in_a_few_lines(herald_server, caplog):
    herald.Client(herald_server.url).publish([{"run": "ended", "type": "run.completed"}])
    h = herald.Emitter(herald_server.url, run="ended", agent="w", linger=0.2)
    for i in range(30):
        h.agent_log(str(i))
    with caplog.at_level(logging.ERROR, logger="herald"):
        counters = h.shutdown(timeout=10)
    assert counters.failed == 30
    refusals = [r.getMessage() for r in caplog.records if "refused" in r.getMessage()]
    assert len(refusals) == 6 and "25 more" in refusals[-1]


def test_names_that_are_not_text_are_written_as_text_or_refused_at_the_call(herald_server):
    import enum
    import uuid

    class Turn(enum.IntEnum):
        FIRST = 1

    run = uuid.uuid4()
    h = herald.Emitter(herald_server.url, agent="w")
    assert h.emit("my.thing", {}, run=run, turn=Turn.FIRST) is not None  # a UUID run, an IntEnum turn
    assert h.emit(42, {}, run="r") is None  # type: ignore[arg-type] — refused at the call, not in the sender
    assert h.agent_log("still delivering", run=str(run)) is not None
    counters = h.shutdown(timeout=10)
    assert (counters.delivered, counters.failed) == (2, 1)
    assert [e.turn for e in all_events(herald_server.url, str(run))] == [1, None]


def test_a_signal_handler_may_emit_while_the_thread_it_interrupted_is_emitting(herald_server):
    result = _run_python("""
        import herald, signal
        h = herald.Emitter(run="signals", agent="w", capacity=200000)
        fired = 0
        def handler(signum, frame):
            global fired
            fired += 1
            h.emit("my.signal", {"n": fired})
        signal.signal(signal.SIGALRM, handler)
        signal.setitimer(signal.ITIMER_REAL, 0.0002, 0.0002)
        for i in range(30000):
            h.emit("my.tick", {"i": i})
        signal.setitimer(signal.ITIMER_REAL, 0)
        c = h.shutdown(timeout=30)
        print(fired > 0, c.failed, c.delivered == 30000 + fired)
    """, herald_server.url)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "0", "True"]


def test_a_write_cut_short_leaves_no_torn_line(tmp_path, herald_server):
    sink = herald.FileSink(str(tmp_path / "out"))
    sink.deliver(['{"run":"torn","type":"my.a","id":"01M96D4PF69TKWHX7KGWFYT7G3"}'])

    class HalfWrite:
        def __init__(self, file):
            self.file = file

        def write(self, data):
            self.file.write(data[: len(data) // 2])
            self.file.flush()
            raise OSError(28, "No space left on device")

        def __getattr__(self, name):
            return getattr(self.file, name)

    real_open = sink._open
    sink._open = lambda: HalfWrite(real_open())
    try:
        sink.deliver(['{"run":"torn","type":"my.b","id":"01M96D4PF69TKWHX7KGWFYT7G4"}'])
    except OSError:
        pass
    sink._open = real_open
    sink.deliver(['{"run":"torn","type":"my.b","id":"01M96D4PF69TKWHX7KGWFYT7G4"}'])  # the emitter's retry
    sink.close()
    lines = (tmp_path / "out" / "events.jsonl").read_text().splitlines()
    assert [json.loads(line)["type"] for line in lines] == ["my.a", "my.b"]
