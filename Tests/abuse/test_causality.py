"""Issue #15 row 7: one causality request is bounded in work and size.

A run of 999 effects of one event, each naming 256 causes (a few real, most dangling): the
causality of that event answers 200 with `"truncated": true`, a body of about 2 MB at most,
quickly (before: 22 s of server time and a 14.6 MB answer).
"""

from __future__ import annotations

import os
import time

import pytest

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def ulid(ms: int) -> str:
    """A ULID for the millisecond ``ms`` with 80 random bits."""
    value = (ms << 80) | int.from_bytes(os.urandom(10), "big")
    return "".join(CROCKFORD[(value >> (5 * i)) & 31] for i in reversed(range(26)))


EFFECTS = 999
CAUSES = 256
MAX_BODY_BYTES = int(2.5 * 1024 * 1024)


@pytest.mark.timeout(120)
def test_causality_is_bounded_in_work_and_size(start_herald):
    """Row 7: 999 events each naming 256 causes (the root, two real earlier events, 253 dangling ids):
    GET …/events/ROOT/causality answers 200 with "truncated": true and a body of at most ~2 MB,
    within 5 s (a hang guard, not a benchmark)."""
    server = start_herald()
    root = server.publish_ok([{"run": "why", "type": "test.root"}])["events"][0]["id"]
    # Real causes that are not effects of the root: the root has exactly 999 effects, under the
    # old 1,000-event cap, so the whole walk (and its dangling ids) used to be done.
    real = [e["id"] for e in server.publish_ok([{"run": "why", "type": "test.real"} for _ in range(4)])["events"]]
    past = int(time.time() * 1000) - 86_400_000
    batch = []
    for i in range(EFFECTS):
        causes = [root, real[i % 4], real[(i + 1) % 4]] + [ulid(past + i) for _ in range(CAUSES - 3)]
        batch.append({"run": "why", "type": "test.effect", "causedBy": causes})
        if len(batch) == 300 or i == EFFECTS - 1:
            server.publish_ok(batch)
            batch = []

    started = time.monotonic()
    answer = server.request("GET", f"/v1/runs/why/events/{root}/causality", timeout=60)
    took = time.monotonic() - started
    print(f"causality: {answer.status}, {len(answer.body)} bytes in {took:.1f} s")
    assert answer.status == 200, answer
    assert took < 5, f"one causality request took {took:.1f} s"
    assert len(answer.body) <= MAX_BODY_BYTES, f"a causality answer of {len(answer.body) / 1e6:.1f} MB"
    body = answer.json()
    assert body["event"]["id"] == root
    assert body["truncated"] is True, "the walk was cut (or should have been) but truncated is not true"
    assert isinstance(body["dangling"], list) and isinstance(body["downstream"], list)
    # What is there is genuine: effects of this run, dangling ids that are not stored.
    assert all(event["run"] == "why" for event in body["downstream"])
    assert root not in body["dangling"] and not set(real) & set(body["dangling"])

    # A small causality is whole and not marked truncated.
    cause = server.publish_ok([{"run": "why", "type": "test.cause"}])["events"][0]["id"]
    effect = server.publish_ok([{"run": "why", "type": "test.effect", "causedBy": [cause]}])["events"][0]["id"]
    small = server.get_json(f"/v1/runs/why/events/{effect}/causality")
    assert [event["id"] for event in small["upstream"]] == [cause]
    assert small["downstream"] == [] and small["dangling"] == [] and small["truncated"] is False
