#!/usr/bin/env python3
"""Holds N idle SSE subscribers on a running Herald and reports the server's memory; with
--cycles, also connects and disconnects that many streams one after another and checks that
nothing is left behind (subscriber count, threads, memory).

Usage: idle_subscribers.py --server-pid PID [--port 7373] [--subscribers 10000] [--cycles 10000] [--run idle]
Start the server with a per-client stream limit above N, e.g.
  herald serve --max-streams-per-client 20000
The script posts one event to the run, opens N streams, waits until every one has received
that event (so each is registered and caught up), samples the server's RSS, closes them all,
and samples again after the server has released them.
"""
import argparse, asyncio, json, resource, time, urllib.request


def rss_mib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return -1.0


def readyz(port):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz") as answer:
        return json.load(answer)


failures = []


async def subscriber(port, run, ready, stop):
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(f"GET /v1/runs/{run}/stream HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n".encode())
        await writer.drain()
        while True:
            line = await reader.readline()
            if not line:
                raise RuntimeError("stream closed early")
            if line.startswith(b"id: 1"):
                break
    except Exception as error:  # told to main, which stops instead of waiting forever
        failures.append(error)
        ready.release()
        return
    ready.release()
    await stop.wait()
    writer.close()


def threads(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("Threads:"):
                return int(line.split()[1])
    return -1


async def cycles(options):
    """Sequential connect / read the first event / disconnect, like a flapping client."""
    before_rss, before_threads = rss_mib(options.server_pid), threads(options.server_pid)
    started = time.time()
    for index in range(options.cycles):
        reader, writer = await asyncio.open_connection("127.0.0.1", options.port)
        writer.write(f"GET /v1/runs/{options.run}/stream HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
        while not (await reader.readline()).startswith(b"id: 1"):
            pass
        writer.close()
        if index == options.cycles // 10:
            warm_rss = rss_mib(options.server_pid)
    for _ in range(100):
        if readyz(options.port)["subscribers"] == 0:
            break
        await asyncio.sleep(0.1)
    print(f"{options.cycles} connect/disconnect cycles in {time.time() - started:.1f} s: "
          f"readyz subscribers={readyz(options.port)['subscribers']}, "
          f"server threads {before_threads} -> {threads(options.server_pid)}, "
          f"RSS {before_rss:.0f} MiB before, {warm_rss:.0f} MiB after 10 %, {rss_mib(options.server_pid):.0f} MiB at the end")


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--server-pid", type=int, required=True)
    parser.add_argument("--port", type=int, default=7373)
    parser.add_argument("--subscribers", type=int, default=10000)
    parser.add_argument("--cycles", type=int, default=0)
    parser.add_argument("--run", default=f"idle-{int(time.time())}")
    options = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, options.subscribers + 1000), hard))

    body = json.dumps({"run": options.run, "type": "run.started"}).encode()
    urllib.request.urlopen(urllib.request.Request(
        f"http://127.0.0.1:{options.port}/v1/events", data=body, headers={"Content-Type": "application/json"}))
    before = rss_mib(options.server_pid)
    ready, stop = asyncio.Semaphore(0), asyncio.Event()
    started = time.time()
    tasks = [asyncio.create_task(subscriber(options.port, options.run, ready, stop)) for _ in range(options.subscribers)]
    for _ in range(options.subscribers):
        await ready.acquire()
    if failures:
        raise SystemExit(f"{len(failures)} subscribers failed, the first: {failures[0]!r}")
    held = rss_mib(options.server_pid)
    state = readyz(options.port)
    print(f"{options.subscribers} subscribers connected and caught up in {time.time() - started:.1f} s")
    print(f"server RSS: {before:.0f} MiB before, {held:.0f} MiB holding them "
          f"({(held - before) * 1024 / options.subscribers:.1f} KiB each); readyz subscribers={state['subscribers']}")
    stop.set()
    await asyncio.gather(*tasks, return_exceptions=True)
    for _ in range(100):
        state = readyz(options.port)
        if state["subscribers"] == 0:
            break
        await asyncio.sleep(0.1)
    print(f"after closing: readyz subscribers={state['subscribers']}, server RSS {rss_mib(options.server_pid):.0f} MiB")
    if options.cycles:
        await cycles(options)


asyncio.run(main())
