#!/usr/bin/env python3
"""What the Python emitter costs at the call, and how fast one emitter delivers into a server.

    python3 clients/python/benchmarks/bench_emit.py                       # cost per call only
    python3 clients/python/benchmarks/bench_emit.py --url http://127.0.0.1:7373 --events 300000

Cost per call: ``emit()`` (a custom type with a small dict, accepted), a typed helper, and a call
filtered by the verbosity, each timed one call at a time with ``perf_counter_ns`` (the timer's
own cost, measured, is subtracted), into a sink that takes batches and keeps nothing. Sustained
delivery: events emitted as fast as the queue takes them (``block=True``), from the first call
until the server acknowledged the last, on one connection in batches of ``--batch``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from typing import Callable, Dict, List

import herald


class NullSink(herald.Sink):
    def deliver(self, lines: List[str]) -> None:
        pass


def percentiles(samples: List[int]) -> Dict[str, float]:
    samples.sort()
    pick = lambda q: samples[min(len(samples) - 1, int(q * len(samples)))] / 1000.0  # noqa: E731
    return {"p50_us": pick(0.50), "p99_us": pick(0.99), "mean_us": statistics.fmean(samples) / 1000.0}


def time_calls(call: Callable[[int], object], count: int) -> Dict[str, float]:
    clock = time.perf_counter_ns
    overhead = min(-(clock() - clock()) for _ in range(10_000))  # what the two clock reads cost
    samples = [0] * count
    for i in range(count):
        start = clock()
        call(i)
        samples[i] = clock() - start - overhead
    return percentiles(samples)


def cost_per_call(count: int) -> Dict[str, Dict[str, float]]:
    h = herald.Emitter(NullSink(), run="bench", agent="w", capacity=count * 4, max_batch=500)
    payload = {"stepId": "fetch", "percent": 40, "label": "3 of 7"}
    results = {
        "emit_accepted": time_calls(lambda i: h.emit("my.progress", payload), count),
        "helper_accepted": time_calls(lambda i: h.step_progress("fetch", 40, label="3 of 7"), count),
    }
    h.shutdown(timeout=30)
    quiet = herald.Emitter(NullSink(), run="bench", agent="w", verbosity="milestone")
    results["emit_filtered"] = time_calls(lambda i: quiet.emit("agent.log", payload), count)
    results["helper_filtered"] = time_calls(lambda i: quiet.agent_log("a line"), count)
    quiet.shutdown()
    return results


def sustained(url: str, events: int, batch: int) -> Dict[str, float]:
    h = herald.Emitter(url, run=f"bench-{os.getpid()}-{time.time_ns()}", agent="w", block=True, block_timeout=60,
                       capacity=20_000, max_batch=batch)
    data = {"line": "x" * 180}  # ~200 bytes of data, as `herald bench ingest` sends
    start = time.perf_counter()
    for _ in range(events):
        h.emit("agent.log", data)
    h.flush(timeout=600)
    took = time.perf_counter() - start
    counters = h.shutdown()
    assert counters.delivered == events and counters.failed == 0 and counters.dropped == 0, counters
    return {"events": events, "seconds": round(took, 3), "events_per_s": round(events / took)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=200_000, help="calls timed per case")
    parser.add_argument("--url", help="a server for the sustained-delivery figure")
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--batch", type=int, default=500)
    args = parser.parse_args()
    result: Dict[str, object] = {"python": sys.version.split()[0], "cost": cost_per_call(args.calls)}
    if args.url:
        result["sustained"] = sustained(args.url, args.events, args.batch)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
