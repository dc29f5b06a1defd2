"""Every example in Examples/python, run end to end as a subprocess against the real herald binary.

Each test checks what the server stored (events, their order, the run's status), not only what
the example printed. The FastAPI tests need fastapi and uvicorn (CI installs them).
"""

from __future__ import annotations

import http.client
import importlib.util
import json
import os
import signal
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import pytest

import herald
from conftest import HERALD_BIN, ROOT, all_events, free_port, wait_until

EXAMPLES = ROOT / "Examples" / "python"
PYTHON = sys.executable


def example_env(server, **extra: str) -> Dict[str, str]:
    return dict(os.environ, HERALD_URL=server.url, PYTHONUNBUFFERED="1", **extra)


def run_example(server, script: str, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([PYTHON, str(EXAMPLES / script), *args], capture_output=True, text=True,
                          env=example_env(server), timeout=timeout)


def types(events) -> List[str]:
    return [e.type for e in events]


def stored_types(url: str, run: str) -> List[str]:
    """The types stored so far; none while the run's first event is still on its way."""
    try:
        return types(all_events(url, run))
    except herald.HeraldError as error:
        if error.status == 404:
            return []
        raise


# The planner loop's run: plan, a first round of three tasks, a reflection asking for one more
# task, a second round, done.
ROUND_ONE = ["milestone.turn_start"] + ["task.started", "task.completed"] * 3 + ["thought", "reflection", "milestone.turn_end"]
ROUND_TWO = ["milestone.turn_start", "task.started", "task.completed", "thought", "reflection", "milestone.turn_end"]
PLANNER_RUN = (["run.started", "milestone.phase_transition", "thought", "decision", "milestone.phase_transition"]
               + ROUND_ONE + ROUND_TWO + ["run.completed"])


# MARK: planner_loop.py


def test_planner_loop_publishes_its_run_through_the_emitter(herald_server):
    result = run_example(herald_server, "planner_loop.py", "plan-ok", "--delay", "0")
    assert result.returncode == 0, result.stderr
    assert "22 of 22 events delivered, 0 failed" in result.stderr
    assert result.stdout == ""  # progress goes to stderr: stdout is kept for --print

    events = all_events(herald_server.url, "plan-ok")
    assert types(events) == PLANNER_RUN
    assert [e.seq for e in events] == list(range(1, len(PLANNER_RUN) + 1))
    run = herald.Client(herald_server.url).run("plan-ok")
    assert run["status"] == "completed" and run["name"] == "Planner loop: the Herald launch"
    assert set(run["agents"]) == {"planner", "executor", "reflector"}

    by_id = {e.id: e for e in events}
    plan = next(e for e in events if e.type == "decision")
    assert plan.data == {"decisionType": "plan", "newValue": ["t1", "t2", "t3"], "reason": "three-step plan"}
    assert [by_id[c].type for c in plan.caused_by] == ["thought"]
    for done in (e for e in events if e.type == "task.completed"):
        (started,) = [by_id[c] for c in done.caused_by]
        assert started.type == "task.started" and started.data["taskId"] == done.data["taskId"]
        assert done.agent == "executor" and done.data["result"]["success"] is True
    first, second = [e for e in events if e.type == "reflection"]
    assert first.data == {"done": False, "gaps": ["no citations checked"], "newTasks": ["t4"]} and first.turn == 1
    assert [by_id[c].data["taskId"] for c in first.caused_by] == ["t1", "t2", "t3"]
    assert second.data["done"] is True and second.turn == 2
    t4 = next(e for e in events if e.type == "task.started" and e.data["taskId"] == "t4")
    assert t4.caused_by == [first.id] and t4.turn == 2  # the new task came from the reflection
    assert events[-1].data == {"summary": "the Herald launch: done in 2 round(s)"}


def test_planner_loop_with_a_failing_executor_ends_the_run_failed(herald_server):
    result = run_example(herald_server, "planner_loop.py", "plan-fail", "--fail", "--delay", "0")
    assert result.returncode == 1, result.stderr
    events = all_events(herald_server.url, "plan-fail")
    assert types(events)[-4:] == ["task.completed", "task.started", "task.failed", "run.failed"]
    failed, end = events[-2], events[-1]
    assert failed.data == {"taskId": "t2", "error": "tool call timed out while running t2"}
    assert end.data == {"error": "tool call timed out while running t2", "code": "EXECUTOR_FAILED"}
    assert end.caused_by == [failed.id]
    assert herald.Client(herald_server.url).run("plan-fail")["status"] == "failed"


def test_planner_loop_verbosity_filters_at_the_source(herald_server):
    result = run_example(herald_server, "planner_loop.py", "plan-quiet", "--delay", "0", "--verbosity", "decision")
    assert result.returncode == 0, result.stderr
    events = all_events(herald_server.url, "plan-quiet")
    assert "thought" not in types(events) and len(events) == len(PLANNER_RUN) - 3
    assert "3 filtered" in result.stderr
    plan = next(e for e in events if e.type == "decision")
    assert plan.caused_by == []  # its cause, a thought, was filtered: left out, not dangling


def test_planner_loop_a_finished_run_name_is_refused_and_reported(herald_server):
    assert run_example(herald_server, "planner_loop.py", "plan-twice", "--delay", "0").returncode == 0
    again = run_example(herald_server, "planner_loop.py", "plan-twice", "--delay", "0")
    assert again.returncode == 2  # every event refused (409 run_finished): counted, logged, not raised
    assert "0 of 22 events delivered, 22 failed" in again.stderr and "run_finished" in again.stderr
    assert len(all_events(herald_server.url, "plan-twice")) == len(PLANNER_RUN)


# MARK: planner_loop.py --print | herald emit --stdin


def pipe(producer: List[str], consumer: List[str], env: Dict[str, str]) -> Tuple[int, int, str, str]:
    """``producer | consumer`` as a shell runs it; answers both exit codes, the consumer's output and error."""
    first = subprocess.Popen(producer, stdout=subprocess.PIPE, env=env)
    second = subprocess.Popen(consumer, stdin=first.stdout, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    assert first.stdout is not None
    first.stdout.close()  # the consumer holds the pipe now
    out, err = second.communicate(timeout=60)
    return first.wait(timeout=60), second.returncode, out, err


def test_planner_print_lines_piped_into_herald_emit_stdin(herald_server):
    printed = run_example(herald_server, "planner_loop.py", "plan-printed", "--print", "--delay", "0")
    assert printed.returncode == 0, printed.stderr
    lines = [json.loads(line) for line in printed.stdout.splitlines()]
    assert [line["type"] for line in lines] == PLANNER_RUN and {line["run"] for line in lines} == {"plan-printed"}
    assert all(line["time"].endswith("Z") for line in lines)
    assert herald.Client(herald_server.url).runs() == []  # --print posted nothing

    codes = pipe([PYTHON, str(EXAMPLES / "planner_loop.py"), "plan-piped", "--print", "--delay", "0"],
                 [HERALD_BIN, "emit", "--stdin"], example_env(herald_server))
    assert codes[:2] == (0, 0), codes
    assert "accepted 22" in codes[2]
    events = all_events(herald_server.url, "plan-piped")
    assert types(events) == PLANNER_RUN
    assert herald.Client(herald_server.url).run("plan-piped")["status"] == "completed"

    # The printed lines keep their ids and causes: the file can be sent again, stored once.
    herald_server.cli("emit", "--stdin", input=printed.stdout)
    again = herald_server.cli("emit", "--stdin", input=printed.stdout, check=False)
    stored = all_events(herald_server.url, "plan-printed")
    assert [e.id for e in stored] == [line["id"] for line in lines]
    assert [e.caused_by for e in stored] == [line.get("causedBy", []) for line in lines]
    assert again.returncode == 0 and "duplicates 22" in again.stdout


def emit_supports(flag: str) -> bool:
    result = subprocess.run([HERALD_BIN, "emit", "--help"], capture_output=True, text=True)
    return flag in result.stdout


LEGACY_PRODUCER = """
import json
from datetime import datetime

class StreamManager:  # nanoagent's, as it is today
    def emit(self, event_type, data):
        print(json.dumps({"type": event_type, "data": data, "timestamp": datetime.now().isoformat()}), flush=True)

stream = StreamManager()
stream.emit("task_started", {"task_id": "t1", "description": "Collect sources"})
stream.emit("task_completed", {"task_id": "t1", "success": True, "output": "3 sources"})
print("Traceback (most recent call last): a stray print")
stream.emit("reflection", {"done": True, "gaps": [], "new_tasks": []})
stream.emit("task.started", {"task_id": "t2"})
stream.emit("thought", {"text": "done"})
"""


@pytest.mark.skipif(not (emit_supports("--skip-invalid") and emit_supports("--run")),
                    reason="this herald binary's `emit` has no --run/--skip-invalid yet")
def test_legacy_print_json_lines_with_run_and_skip_invalid(herald_server):
    # A producer in UTC+05:30 printing naive local times: herald emit reads them in its own
    # zone (the same machine's) and stores UTC.
    zone = "Asia/Kolkata" if Path("/usr/share/zoneinfo/Asia/Kolkata").exists() else "UTC"
    before = datetime.now(timezone.utc)
    codes = pipe([PYTHON, "-c", LEGACY_PRODUCER], [HERALD_BIN, "emit", "--stdin", "--run", "legacy", "--skip-invalid"],
                 example_env(herald_server, TZ=zone))
    after = datetime.now(timezone.utc)
    producer, consumer, out, err = codes
    assert (producer, consumer) == (0, 0), codes
    assert "accepted 4" in out and "skipped 2" in out
    assert "stdin:3" in err  # the stray print, reported with its line number
    assert "stdin:5" in err and "taskId" in err  # task.started is built in: task_id is refused with the name to use

    events = all_events(herald_server.url, "legacy")
    assert types(events) == ["task_started", "task_completed", "reflection", "thought"]
    assert events[0].data == {"task_id": "t1", "description": "Collect sources"}  # unknown types pass through
    for event in events:
        stamp = datetime.fromisoformat(event.time.replace("Z", "+00:00"))
        assert before.replace(microsecond=0) <= stamp.replace(microsecond=0) <= after, (zone, event.time)
    assert herald.Client(herald_server.url).run("legacy")["status"] == "running"  # nothing ended it


# MARK: status_cards.py


def test_status_cards_follow_a_run_live_and_exit_0_when_it_completes(herald_server):
    cards = subprocess.Popen([PYTHON, str(EXAMPLES / "status_cards.py"), "cards-live"], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, env=example_env(herald_server))
    try:
        # The run does not exist yet: the subscriber waits for its first event, then follows it
        # (whether it connects before the producer starts or midway, it reads from seq 1).
        producer = run_example(herald_server, "planner_loop.py", "cards-live", "--delay", "0.01")
        assert producer.returncode == 0, producer.stderr
        out, err = cards.communicate(timeout=30)
    finally:
        cards.kill()
    assert cards.returncode == 0, err
    lines = out.splitlines()
    assert lines[:2] == ["[running ]        t1               Collect sources on the Herald launch",
                         "[complete]        t1               Collect sources on the Herald launch"]
    assert "run cards-live: completed (4 cards, 0 in error)" in lines
    assert lines[-4:] == [f"  [complete]        {t:<16} {title}" for t, title in [
        ("t1", "Collect sources on the Herald launch"), ("t2", "Summarise the sources"),
        ("t3", "Draft the report"), ("t4", "Check every citation")]]


def test_status_cards_exit_1_when_the_run_failed(herald_server):
    assert run_example(herald_server, "planner_loop.py", "cards-fail", "--fail", "--delay", "0").returncode == 1
    result = run_example(herald_server, "status_cards.py", "cards-fail")
    assert result.returncode == 1, result.stderr
    assert "[error   ]        t2               tool call timed out while running t2" in result.stdout
    assert "run cards-fail: failed (2 cards, 1 in error)" in result.stdout
    assert result.stdout.rstrip().endswith("failed: EXECUTOR_FAILED tool call timed out while running t2")


def test_status_cards_unknown_run_without_waiting_exits_2(herald_server):
    result = run_example(herald_server, "status_cards.py", "nobody", "--no-wait")
    assert result.returncode == 2 and "run_not_found" in result.stderr


# MARK: fastapi_pipeline.py

needs_fastapi = pytest.mark.skipif(
    importlib.util.find_spec("fastapi") is None or importlib.util.find_spec("uvicorn") is None,
    reason="fastapi and uvicorn are not installed (pip install fastapi uvicorn)")


class Service:
    def __init__(self, process: subprocess.Popen, port: int) -> None:
        self.process = process
        self.port = port

    def request(self, method: str, path: str, body: Optional[dict] = None,
                headers: Optional[Dict[str, str]] = None) -> Tuple[int, Dict[str, str], bytes]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            payload = None if body is None else json.dumps(body).encode()
            all_headers = {"Content-Type": "application/json"} if body is not None else {}
            all_headers.update(headers or {})
            connection.request(method, path, body=payload, headers=all_headers)
            response = connection.getresponse()
            return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
        finally:
            connection.close()

    def start_run(self, **body) -> Dict[str, str]:
        status, _, answer = self.request("POST", "/runs", body)
        assert status == 201, answer
        return json.loads(answer)


@pytest.fixture
def pipeline_service(herald_server):
    port = free_port()
    process = subprocess.Popen([PYTHON, "-m", "uvicorn", "fastapi_pipeline:app", "--port", str(port)], cwd=EXAMPLES,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=example_env(herald_server))
    service = Service(process, port)

    def up() -> bool:
        if process.poll() is not None:
            raise AssertionError(f"uvicorn exited {process.returncode}:\n{process.stdout.read()}")
        try:
            return service.request("GET", "/openapi.json")[0] == 200
        except OSError:
            return False

    wait_until(up, timeout=30)
    yield service
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)


def sse_messages(body: bytes) -> List[Dict[str, str]]:
    """The messages of an SSE body: id, event, data (comments skipped)."""
    messages = []
    for block in body.decode().split("\n\n"):
        fields: Dict[str, str] = {}
        for line in block.splitlines():
            if line and not line.startswith(":"):
                name, _, value = line.partition(": ")
                fields[name] = value
        if fields:
            messages.append(fields)
    return messages


STEP = ["step.started", "step.progress", "step.progress", "step.completed"]
PIPELINE_RUN = ["run.queued", "run.started", "step.queued", "step.queued", "step.queued"] + STEP * 3 + ["run.completed"]


@needs_fastapi
def test_fastapi_pipeline_publishes_and_relays_a_run(herald_server, pipeline_service):
    answer = pipeline_service.start_run(step_seconds=0.03)
    run = answer["run"]
    assert answer["events"] == f"/runs/{run}/events"
    assert answer["stream"] == f"{herald_server.url}/v1/runs/{run}/stream"

    # At once after the answer, as a page's EventSource does: nothing published before is lost,
    # and the response ends after the run's last event.
    status, headers, body = pipeline_service.request("GET", f"/runs/{run}/events")
    assert status == 200 and headers["content-type"].startswith("text/event-stream")
    assert headers["cache-control"] == "no-cache" and headers["x-accel-buffering"] == "no"
    messages = sse_messages(body)
    assert [m["event"] for m in messages] == PIPELINE_RUN
    assert [m["id"] for m in messages] == [str(seq) for seq in range(1, len(PIPELINE_RUN) + 1)]

    stored = all_events(herald_server.url, run)
    assert [json.loads(m["data"]) for m in messages] == stored  # relayed as stored
    assert herald.Client(herald_server.url).run(run)["status"] == "completed"
    progress = [e for e in stored if e.type == "step.progress"]
    assert [(e.agent, e.data["percent"]) for e in progress[:2]] == [("requirements", 40), ("requirements", 80)]
    completed = [e for e in stored if e.type == "step.completed"]
    assert [e.data for e in completed] == [
        {"stepId": agent, "tokensUsed": tokens, "artifactId": f"{run}-{agent}"}
        for agent, tokens in [("requirements", 1000), ("test-plan", 1250), ("test-cases", 1500)]]

    # An EventSource reconnecting: the rest from Last-Event-ID, then 204 (stop) once it has all.
    last = len(PIPELINE_RUN)
    status, _, body = pipeline_service.request("GET", f"/runs/{run}/events", headers={"Last-Event-ID": str(last - 3)})
    assert status == 200 and [m["id"] for m in sse_messages(body)] == [str(last - 2), str(last - 1), str(last)]
    status, _, body = pipeline_service.request("GET", f"/runs/{run}/events", headers={"Last-Event-ID": str(last)})
    assert (status, body) == (204, b"")
    assert pipeline_service.request("GET", "/runs/qa-nobody/events")[0] == 404

    # Herald's own stream, which the answer names, says the same.
    result = run_example(herald_server, "status_cards.py", run)
    assert result.returncode == 0 and "run " + run + ": completed (3 cards, 0 in error)" in result.stdout
    assert "[running ]  40 %  requirements     Agent requirements: 40 %" in result.stdout
    assert "[complete]        test-cases       1500 tokens, artifact " + run + "-test-cases" in result.stdout


@needs_fastapi
def test_fastapi_pipeline_failure_in_the_qualisys_shape(herald_server, pipeline_service):
    run = pipeline_service.start_run(step_seconds=0.03, fail_agent="test-plan")["run"]
    status, _, body = pipeline_service.request("GET", f"/runs/{run}/events?shape=qualisys")
    assert status == 200
    messages = sse_messages(body)
    assert all("event" not in m for m in messages)  # onmessage gets them all, as before
    data = [json.loads(m["data"]) for m in messages]
    assert [d["type"] for d in data] == ["queued"] * 3 + ["running"] * 3 + ["complete"] + ["running"] * 3 + ["error", "complete"]
    assert {d["run_id"] for d in data} == {run}
    assert data[4]["payload"] == {"step_id": "requirements", "agent_type": "requirements", "progress_pct": 40,
                                  "progress_label": "Agent requirements: 40 %"}
    assert data[-2]["payload"] == {"step_id": "test-plan", "agent_type": "test-plan", "error_code": "STEP_FAILED",
                                   "message": "test-plan: the model's answer could not be parsed"}
    assert data[-1]["payload"] == {"run_id": run, "all_done": True, "error": True}

    stored = all_events(herald_server.url, run)
    assert types(stored)[-2:] == ["step.failed", "run.failed"]
    assert stored[-1].data == {"error": "step test-plan failed", "code": "STEP_FAILED"}
    assert "test-cases" not in {e.agent for e in stored if e.type != "step.queued"}
    assert herald.Client(herald_server.url).run(run)["status"] == "failed"

    result = run_example(herald_server, "status_cards.py", run)
    assert result.returncode == 1
    assert "  [queued  ]        test-cases       Queued" in result.stdout  # never started
    assert "run " + run + ": failed (3 cards, 1 in error)" in result.stdout


@needs_fastapi
def test_fastapi_shutdown_cancels_running_pipelines_and_delivers_everything(herald_server, pipeline_service):
    run = pipeline_service.start_run(step_seconds=60)["run"]
    client = herald.Client(herald_server.url)
    wait_until(lambda: "step.started" in stored_types(herald_server.url, run))
    assert client.run(run)["status"] == "running"
    pipeline_service.process.send_signal(signal.SIGTERM)  # uvicorn runs the lifespan's shutdown
    # uvicorn shuts down gracefully, then re-raises the signal (uvicorn >= 0.29): -15, or 0 before.
    assert pipeline_service.process.wait(timeout=30) in (0, -signal.SIGTERM)
    assert "Application shutdown complete." in pipeline_service.process.stdout.read()
    stored = all_events(herald_server.url, run)
    assert types(stored)[-1] == "run.cancelled" and stored[-1].data == {"reason": "the service is shutting down"}
    assert client.run(run)["status"] == "cancelled"
