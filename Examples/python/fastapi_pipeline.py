"""A FastAPI service that runs QA pipelines and shows them live, with Herald as the event layer.

The QUALISYS shape: ``POST /runs`` starts a pipeline in the background (one step per agent:
queued → running with a percent → complete with tokens and an artifact, or error with a code
and a message) and answers at once with the run's id; the browser then follows the run. What
QUALISYS built by hand (an in-process ``asyncio.Queue`` per run, created when the browser
connects, so early events were lost; heartbeats; a run-level "all done" that was forgotten on
the failure path) is Herald's job here:

* every transition is published through ONE ``herald.Emitter`` shared by all requests (it never
  blocks the event loop and never raises), made and shut down in the app's lifespan;
* ``GET /runs/{run}/events`` relays the run from Herald as Server-Sent Events, so the page's
  ``EventSource`` keeps talking to this service (same origin, same cookies), gets the events
  published before it connected, resumes after a disconnect with ``Last-Event-ID`` and is told
  to stop (204) once the run is over. ``?shape=qualisys`` renders the old
  ``{"type": "running", "run_id", "payload": {...}}`` messages, so an existing React page works
  unchanged;
* the answer also names Herald's own stream (``/v1/runs/{run}/stream``) for a page that reads
  Herald directly.

    pip install fastapi uvicorn
    HERALD_URL=http://127.0.0.1:7373 uvicorn fastapi_pipeline:app --port 8000
    curl -X POST localhost:8000/runs -H 'content-type: application/json' -d '{"fail_agent": "test-cases"}'
    curl -N localhost:8000/runs/<run>/events

``HERALD_PUBLIC_URL`` is the Herald address browsers use, when it differs from ``HERALD_URL``.
"""

import asyncio
import json
import logging
import os
import secrets
from contextlib import asynccontextmanager
from typing import Any, AsyncIterator, Callable, Dict, List, Optional

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import Response, StreamingResponse
from pydantic import BaseModel

import herald

HERALD_URL = os.environ.get("HERALD_URL", "http://127.0.0.1:7373")
HERALD_PUBLIC_URL = os.environ.get("HERALD_PUBLIC_URL", HERALD_URL)
log = logging.getLogger("qa-pipeline")


class RunRequest(BaseModel):
    project_name: str = "demo project"
    agents: List[str] = ["requirements", "test-plan", "test-cases"]
    fail_agent: Optional[str] = None  # make this agent's step fail, to see the error path
    step_seconds: float = 0.3  # how long each fake agent works


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    app.state.emitter = herald.Emitter(HERALD_URL)  # no run= here: each call names its run
    app.state.client = herald.AsyncClient(HERALD_URL)
    app.state.pipelines = {}  # run -> asyncio.Task
    yield
    # Stop the pipelines still going (each publishes run.cancelled), then deliver what is queued.
    pipelines: Dict[str, asyncio.Task] = app.state.pipelines
    for task in pipelines.values():
        task.cancel()
    await asyncio.gather(*pipelines.values(), return_exceptions=True)
    counters = await app.state.emitter.ashutdown()  # waits up to 5 s, on a worker thread
    log.info("herald emitter closed: %s", counters)


app = FastAPI(title="QA pipeline", lifespan=lifespan)


# MARK: The pipeline, publishing each transition


async def run_pipeline(shared: herald.Emitter, run: str, request: RunRequest) -> None:
    h = shared.bind(run=run)  # this run's view of the one shared emitter
    try:
        h.run_started(name=f"QA pipeline: {request.project_name}")
        for agent in request.agents:
            h.step_queued(agent, label="Queued", agent=agent)
        for number, agent in enumerate(request.agents):
            started = h.step_started(agent, label=f"Agent {agent} is analyzing your project...", agent=agent)
            for percent in (40, 80):
                await asyncio.sleep(request.step_seconds / 3)
                h.step_progress(agent, percent, label=f"Agent {agent}: {percent} %", agent=agent)
            await asyncio.sleep(request.step_seconds / 3)
            if agent == request.fail_agent:
                failed = h.step_failed(agent, "STEP_FAILED", f"{agent}: the model's answer could not be parsed",
                                       agent=agent, caused_by=[started])
                # The run-level end on the failure path too: every stream of the run ends here.
                h.run_failed(f"step {agent} failed", code="STEP_FAILED", caused_by=[failed])
                return
            h.step_completed(agent, tokens_used=1000 + 250 * number, artifact_id=f"{run}-{agent}",
                             agent=agent, caused_by=[started])
        h.run_completed(summary=f"{len(request.agents)} agents done")
    except asyncio.CancelledError:
        h.run_cancelled(reason="the service is shutting down")
        raise
    except Exception as error:  # a bug in a step must still end the run for its watchers
        log.exception("pipeline %s crashed", run)
        h.run_failed(str(error) or type(error).__name__, code="INTERNAL")


@app.post("/runs", status_code=201)
async def start_run(request: Optional[RunRequest] = None) -> Dict[str, Any]:
    request = request or RunRequest()
    run = f"qa-{secrets.token_hex(4)}"
    h: herald.Emitter = app.state.emitter
    h.run_queued(name=f"QA pipeline: {request.project_name}", run=run)
    task = asyncio.create_task(run_pipeline(h, run, request))
    app.state.pipelines[run] = task
    task.add_done_callback(lambda _: app.state.pipelines.pop(run, None))
    return {"run": run, "events": f"/runs/{run}/events", "stream": f"{HERALD_PUBLIC_URL}/v1/runs/{run}/stream"}


# MARK: Relaying a run to the browser


@app.get("/runs/{run}/events")
async def run_events(run: str, request: Request, shape: str = "herald") -> Response:
    if shape not in RENDERERS:
        raise HTTPException(400, f"shape is one of {', '.join(RENDERERS)}")
    client: herald.AsyncClient = app.state.client
    last = request.headers.get("last-event-id", "")
    after = int(last) if last.isdigit() else 0  # an EventSource reconnecting says where it was
    try:
        info: Optional[Dict[str, Any]] = await client.run(run)
    except herald.HeraldError as error:
        if error.status != 404:
            raise HTTPException(502, f"herald: {error}")
        if run not in app.state.pipelines:
            raise HTTPException(404, f"run {run} not found")
        info = None  # ours, and its first event is still on the way: the stream waits for it
    if info is not None and info["status"] in ("completed", "failed", "cancelled") and after >= info["lastSeq"]:
        return Response(status_code=204)  # the run is over and the page has it all: EventSource stops
    subscription = client.subscribe(run=run, after=after, wait=True, heartbeats=True)
    return StreamingResponse(relay(subscription, RENDERERS[shape]), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


async def relay(subscription: herald.AsyncSubscription, render: Callable[[herald.Event], Optional[str]]) -> AsyncIterator[str]:
    """Herald's events as SSE text, and Herald's heartbeats passed on while the run is quiet.
    Ends after the run's terminal event; leaving (the browser went away) closes the subscription."""
    async with subscription:
        try:
            async for item in subscription:
                if item is herald.HEARTBEAT:
                    yield ": heartbeat\n\n"
                elif isinstance(item, herald.Event):
                    text = render(item)
                    if text:
                        yield text
                # a herald.Gap (retention removed events the page asked for): carry on after it
        except herald.HeraldError as error:
            log.warning("relay of %s stopped: %s", subscription.options.target, error)


def herald_shape(event: herald.Event) -> str:
    """The same message as Herald's /v1/runs/{run}/stream: id (the seq), event (the type), data."""
    return f"id: {event.seq}\nevent: {event.type}\ndata: {json.dumps(event, separators=(',', ':'))}\n\n"


def qualisys_shape(event: herald.Event) -> Optional[str]:
    """The messages the existing AgentsTab.tsx reads with ``onmessage``: no event name,
    ``{"type", "run_id", "payload"}`` in data. Other events are not sent."""
    data, step = event.data, {"step_id": event.data.get("stepId"), "agent_type": event.agent}
    if event.type == "step.queued":
        message = {"type": "queued", "payload": step}
    elif event.type in ("step.started", "step.progress"):
        message = {"type": "running", "payload": {**step, "progress_pct": data.get("percent", 0),
                                                  "progress_label": data.get("label", "")}}
    elif event.type == "step.completed":
        message = {"type": "complete", "payload": {**step, "tokens_used": data.get("tokensUsed"),
                                                   "artifact_id": data.get("artifactId")}}
    elif event.type == "step.failed":
        message = {"type": "error", "payload": {**step, "error_code": data["code"], "message": data["message"]}}
    elif event.is_terminal:
        message = {"type": "complete", "payload": {"run_id": event.run, "all_done": True,
                                                   "error": event.type != "run.completed"}}
    else:
        return None
    message["run_id"] = event.run
    return f"id: {event.seq}\ndata: {json.dumps(message)}\n\n"


RENDERERS: Dict[str, Callable[[herald.Event], Optional[str]]] = {"herald": herald_shape, "qualisys": qualisys_shape}
