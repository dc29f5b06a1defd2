"""Queries and subscriptions (sync and asyncio), against the real herald binary."""

from __future__ import annotations

import asyncio
import signal
import socket
import threading

import pytest

import herald
from conftest import wait_until


def publish(url: str, run: str, count: int, start: int = 0, **fields) -> None:
    herald.Client(url).publish([{"run": run, "type": "agent.log", "agent": "w", "data": {"line": f"l{i}"}, **fields}
                                for i in range(start, start + count)])


def test_queries_answer_as_the_server_does(herald_server):
    client = herald.Client(herald_server.url)
    answer = client.publish([
        {"run": "q", "type": "run.started", "data": {"name": "Query run"}},
        {"run": "q", "type": "agent.log", "agent": "w1", "data": {"line": "a"}},
        {"run": "q", "type": "agent.log", "agent": "w2", "data": {"line": "b"}},
    ])
    assert answer["accepted"] == 3
    first = answer["events"][0]["id"]
    client.publish([{"run": "q", "type": "decision", "agent": "w1", "causedBy": [first],
                     "data": {"decisionType": "d", "newValue": 1}}])
    assert [r["run"] for r in client.runs()] == ["q"]
    assert client.run("q")["name"] == "Query run"
    page = client.events_page("q", types=["agent.*"], limit=1)
    assert page["total"] == 2 and page["hasMore"] and page["events"][0].data == {"line": "a"}
    assert [e.agent for e in client.events("q", agents=["w2"])] == ["w2"]
    assert [e.seq for e in client.events("q", page_size=1)] == [1, 2, 3, 4]
    assert client.event("q", first).type == "run.started"
    causality = client.causality("q", first)
    assert [e.type for e in causality["downstream"]] == ["decision"]


def test_errors_carry_status_code_message_and_details(herald_server):
    client = herald.Client(herald_server.url)
    with pytest.raises(herald.HeraldError) as missing:
        client.run("nobody")
    assert (missing.value.status, missing.value.code) == (404, "run_not_found")
    with pytest.raises(herald.HeraldError) as refused:
        client.publish([{"run": "e", "type": "decision", "data": {"newValue": 1}}])
    assert refused.value.status == 422 and refused.value.details
    assert {d["field"] for d in refused.value.details} >= {"agent", "data.decisionType"}
    with pytest.raises(herald.HeraldError) as down:
        herald.Client("http://127.0.0.1:9").runs()
    assert (down.value.status, down.value.code) == (0, "unreachable")
    with pytest.raises(TypeError):
        list(client.events("q", offset=2))  # a filter the API does not have is the caller's mistake


def test_subscriber_follows_a_run_to_its_end(herald_server):
    publish(herald_server.url, "live", 3)
    items = []
    done = threading.Event()

    def follow():
        for item in herald.Client(herald_server.url).subscribe(run="live", after=0):
            items.append(item)
        done.set()

    threading.Thread(target=follow, daemon=True).start()
    wait_until(lambda: len(items) == 3)
    publish(herald_server.url, "live", 2, start=3)
    herald.Client(herald_server.url).publish([{"run": "live", "type": "run.completed"}])
    assert done.wait(20)
    assert [e.seq for e in items] == [1, 2, 3, 4, 5, 6] and items[-1].type == "run.completed"


def test_subscriber_resumes_across_a_server_restart(herald_server):
    publish(herald_server.url, "restart", 5)
    subscription = herald.Client(herald_server.url).subscribe(run="restart", after=0, max_backoff=0.5)
    seen = []
    done = threading.Event()

    def follow():
        for item in subscription:
            seen.append(item)
        done.set()

    threading.Thread(target=follow, daemon=True).start()
    wait_until(lambda: len(seen) == 5)
    herald_server.stop(signal.SIGKILL)
    herald_server.start()
    publish(herald_server.url, "restart", 5, start=5)
    herald.Client(herald_server.url).publish([{"run": "restart", "type": "run.completed"}])
    assert done.wait(30)
    assert [e.seq for e in seen] == list(range(1, 12))  # no gap, no duplicate
    assert subscription.reconnects >= 1


def test_subscriber_resumes_when_the_server_ends_its_stream(start_herald):
    server = start_herald("--stream-lifetime", "1")
    publish(server.url, "lifetime", 2)
    subscription = herald.Client(server.url).subscribe(run="lifetime", after=0)
    seen = []
    thread = threading.Thread(target=lambda: seen.extend(subscription), daemon=True)
    thread.start()
    wait_until(lambda: subscription.reconnects >= 2, timeout=15)
    publish(server.url, "lifetime", 2, start=2)
    herald.Client(server.url).publish([{"run": "lifetime", "type": "run.failed", "data": {"error": "x"}}])
    thread.join(20)
    assert [e.seq for e in seen] == [1, 2, 3, 4, 5] and seen[-1].type == "run.failed"


def test_a_finished_run_answers_204_and_the_subscription_ends(herald_server):
    publish(herald_server.url, "over", 2)
    herald.Client(herald_server.url).publish([{"run": "over", "type": "run.completed"}])
    assert list(herald.Client(herald_server.url).subscribe(run="over", after=3)) == []


def test_a_resume_point_ahead_of_the_run_is_told_as_a_gap(herald_server):
    publish(herald_server.url, "ahead", 2)
    subscription = herald.Client(herald_server.url).subscribe(run="ahead", after=10)
    items = []
    thread = threading.Thread(target=lambda: items.extend(subscription), daemon=True)
    thread.start()
    wait_until(lambda: len(items) == 1)
    gap = items[0]
    assert isinstance(gap, herald.Gap) and gap.reason == "ahead" and gap.requested == 10 and gap.continues_after == 2
    herald.Client(herald_server.url).publish([{"run": "ahead", "type": "run.completed"}])
    thread.join(10)
    assert [getattr(i, "seq", None) for i in items[1:]] == [3]


def test_filters_apply_to_the_stream_and_the_run_end_still_comes(herald_server):
    client = herald.Client(herald_server.url)
    client.publish([
        {"run": "f", "type": "agent.log", "agent": "w1", "data": {"line": "1"}},
        {"run": "f", "type": "step.started", "data": {"stepId": "s"}},
        {"run": "f", "type": "agent.log", "agent": "w2", "data": {"line": "2"}},
        {"run": "f", "type": "run.completed"},
    ])
    items = list(client.subscribe(run="f", after=0, types=["agent.*"], agents=["w2"]))
    assert [(e.type, e.agent) for e in items] == [("agent.log", "w2"), ("run.completed", None)]


def test_project_stream_with_log_lines_of_chosen_runs(herald_server):
    client = herald.Client(herald_server.url)
    subscription = client.subscribe(project="default", logs=["r1"])
    items = []
    threading.Thread(target=lambda: items.extend(subscription), daemon=True).start()
    wait_until(lambda: subscription.connected is not None)
    client.publish([
        {"run": "r1", "type": "run.started"},
        {"run": "r1", "type": "agent.log", "agent": "w", "data": {"line": "wanted"}},
        {"run": "r2", "type": "agent.log", "agent": "w", "data": {"line": "not wanted"}},
        {"run": "r2", "type": "step.started", "data": {"stepId": "s"}},
        {"run": "r1", "type": "run.completed"},
    ])
    wait_until(lambda: len(items) == 4)
    subscription.close()
    assert [(e.run, e.type) for e in items] == [("r1", "run.started"), ("r1", "agent.log"), ("r2", "step.started"),
                                                 ("r1", "run.completed")]
    assert int(subscription.last_event_id) >= 5  # project streams resume by project position


def test_a_run_that_does_not_exist_raises_unless_waited_for(herald_server):
    client = herald.Client(herald_server.url)
    with pytest.raises(herald.HeraldError) as missing:
        list(client.subscribe(run="later"))
    assert missing.value.status == 404
    items = []
    thread = threading.Thread(target=lambda: items.extend(client.subscribe(run="later", wait=True)), daemon=True)
    thread.start()
    publish(herald_server.url, "later", 1)
    client.publish([{"run": "later", "type": "run.completed"}])
    thread.join(10)
    assert [e.type for e in items] == ["agent.log", "run.completed"]


def test_a_filter_the_server_refuses_raises_at_once(herald_server):
    publish(herald_server.url, "r", 1)
    client = herald.Client(herald_server.url)
    # Raised, not retried with backoff for ever: retrying cannot fix a refused filter.
    with pytest.raises(herald.HeraldError) as refused:
        list(client.subscribe(run="r", level="loud"))
    assert (refused.value.status, refused.value.code) == (400, "invalid_parameter")


def test_a_connection_silent_past_the_read_timeout_is_resumed():
    """A stream that went silent without closing (a sleeping laptop, a dropped proxy) is left
    after ``read_timeout`` and resumed with the last id: here a server that answers one event
    and then says nothing more, for ever."""
    listener = socket.create_server(("127.0.0.1", 0))
    requests, held = [], []

    def serve():
        while True:
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            requests.append(connection.recv(4096).decode())
            event = '{"id":"01J0000000000000000000000A","run":"r1","seq":1,"type":"my.tick","data":{}}'
            connection.sendall(f"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\nid: 1\nevent: my.tick\ndata: {event}\n\n".encode())
            held.append(connection)  # open and silent

    threading.Thread(target=serve, daemon=True).start()
    client = herald.Client(f"http://127.0.0.1:{listener.getsockname()[1]}")
    subscription = client.subscribe(run="r1", read_timeout=0.3, max_backoff=0.5)
    reader = threading.Thread(target=lambda: [None for _ in subscription], daemon=True)
    reader.start()
    try:
        wait_until(lambda: len(requests) >= 3)
    finally:
        subscription.close()
        listener.close()
        for connection in held:
            connection.close()
    assert all("last-event-id: 1\r\n" in request.lower() for request in requests[1:]), requests


def test_asyncio_subscriber_across_a_restart(herald_server):
    publish(herald_server.url, "aio", 3)

    async def main():
        client = herald.AsyncClient(herald_server.url)
        assert (await client.run("aio"))["eventCount"] == 3
        seen = []
        subscription = client.subscribe(run="aio", after=0, max_backoff=0.5)

        async def follow():
            async for item in subscription:
                seen.append(item)

        task = asyncio.create_task(follow())
        while len(seen) < 3:
            await asyncio.sleep(0.02)
        await asyncio.to_thread(herald_server.restart)
        await client.publish([{"run": "aio", "type": "agent.log", "agent": "w", "data": {"line": "after"}},
                              {"run": "aio", "type": "run.completed"}])
        await asyncio.wait_for(task, 30)
        return seen, subscription

    seen, subscription = asyncio.run(main())
    assert [e.seq for e in seen] == [1, 2, 3, 4, 5] and seen[-1].type == "run.completed"
    assert subscription.reconnects >= 1


def test_asyncio_project_stream_and_errors(herald_server):
    async def main():
        client = herald.AsyncClient(herald_server.url)
        try:
            async for _ in client.subscribe(run="missing"):
                pass
        except herald.HeraldError as error:
            assert error.status == 404
        else:
            raise AssertionError("a missing run must raise")
        subscription = client.subscribe(project="default")
        items = []

        async def follow():
            async for item in subscription:
                items.append(item)
                if len(items) == 2:
                    return

        task = asyncio.create_task(follow())
        while subscription.connected is None:
            await asyncio.sleep(0.02)
        await client.publish([{"run": "p", "type": "run.started"}, {"run": "p", "type": "run.completed"}])
        await asyncio.wait_for(task, 10)
        return items

    items = asyncio.run(main())
    assert [e.type for e in items] == ["run.started", "run.completed"]


def test_heartbeats_are_yielded_on_request_and_an_async_close_ends_a_quiet_stream(start_herald):
    server = start_herald("--heartbeat", "1")
    publish(server.url, "quiet", 1)

    async def main():
        subscription = herald.AsyncClient(server.url).subscribe(run="quiet", after=0, heartbeats=True)
        items = []
        async with subscription:
            async for item in subscription:
                items.append(item)
                if isinstance(item, herald.Heartbeat):
                    break
        # closing while a read waits on a quiet stream ends the iteration at once
        quiet = herald.AsyncClient(server.url).subscribe(run="quiet", after=1)
        task = asyncio.create_task(_drain(quiet))
        await asyncio.sleep(0.3)
        await quiet.aclose()
        await asyncio.wait_for(task, 2)
        return items

    items = asyncio.run(main())
    assert isinstance(items[0], herald.Event) and items[-1] is herald.HEARTBEAT


async def _drain(subscription):
    return [item async for item in subscription]


def test_max_failures_gives_up_on_an_unreachable_server(caplog):
    from conftest import free_port
    subscription = herald.Client(f"http://127.0.0.1:{free_port()}").subscribe(run="r", max_failures=2, max_backoff=0.1)
    with pytest.raises(herald.HeraldError) as error:
        list(subscription)
    assert error.value.code == "unreachable"
    assert any("retrying" in r.getMessage() for r in caplog.records if r.name == "herald")


def test_event_times_read_as_datetimes(herald_server):
    publish(herald_server.url, "times", 1, time="2026-01-02T03:04:05.000006Z")
    event = next(herald.Client(herald_server.url).events("times"))
    assert event.datetime.isoformat() == "2026-01-02T03:04:05.000006+00:00"


def test_a_client_for_one_project_names_it_on_run_calls(herald_server):
    herald.Client(herald_server.url).publish([{"run": "shared-name", "project": "acme", "type": "agent.log", "agent": "w",
                                               "data": {"line": "a"}}, {"run": "shared-name", "project": "acme",
                                                                        "type": "run.completed"}])
    acme = herald.Client(herald_server.url, project="acme")
    assert acme.run("shared-name")["project"] == "acme"
    assert [e.type for e in acme.subscribe(run="shared-name", after=0)] == ["agent.log", "run.completed"]
    other = herald.Client(herald_server.url, project="other")
    with pytest.raises(herald.HeraldError) as missing:
        other.run("shared-name")
    assert missing.value.status == 404
    assert other.runs() == [] and [r["run"] for r in acme.runs()] == ["shared-name"]


def test_the_resume_point_is_the_last_event_handed_over_not_the_last_one_read(herald_server):
    publish(herald_server.url, "resume-point", 100)
    subscription = herald.Client(herald_server.url).subscribe(run="resume-point", after=0)
    for event in subscription:
        if event.seq == 10:
            break  # the rest of the chunk was read, but not handed over
    assert subscription.last_event_id == "10"
    subscription.close()
    rest = herald.Client(herald_server.url).subscribe(run="resume-point", after=int(subscription.last_event_id))
    first = next(iter(rest))
    rest.close()
    assert first.seq == 11


def test_from_now_survives_a_reconnect_before_the_first_event(herald_server):
    publish(herald_server.url, "now", 3)
    client = herald.Client(herald_server.url)
    run_items, project_items = [], []
    on_run = client.subscribe(run="now", from_now=True, max_backoff=0.3)
    on_project = client.subscribe(project="default", from_now=True, max_backoff=0.3)
    threading.Thread(target=lambda: run_items.extend(on_run), daemon=True).start()
    threading.Thread(target=lambda: project_items.extend(on_project), daemon=True).start()
    wait_until(lambda: on_project.connected is not None and on_run.last_event_id == "3")
    herald_server.stop(signal.SIGKILL)
    herald_server.start()
    publish(herald_server.url, "now", 1, start=3)  # while the subscribers are reconnecting
    herald.Client(herald_server.url).publish([{"run": "now", "type": "run.completed"}])
    wait_until(lambda: len(run_items) == 2 and len(project_items) == 1)
    on_project.close()
    assert [e.seq for e in run_items] == [4, 5]
    assert [e.type for e in project_items] == ["run.completed"]  # agent.log lines only with logs=


def test_an_async_close_ends_a_subscription_that_is_backing_off():
    from conftest import free_port

    async def main():
        subscription = herald.AsyncClient(f"http://127.0.0.1:{free_port()}").subscribe(run="r", max_backoff=30)
        task = asyncio.create_task(_drain(subscription))
        await asyncio.sleep(1.5)  # the first retry waits 0.5–1 s, the second 1–2 s
        await subscription.aclose()
        return await asyncio.wait_for(task, 1.0)

    assert asyncio.run(main()) == []
