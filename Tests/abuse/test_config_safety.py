"""Tenants issue, part 7, on the real binary: configuration safety.

`--cors-origin '*'` with no way to authenticate is refused unless `--insecure-no-auth` accepts it
(with a warning); an event dated past `--max-clock-skew` ahead of the server's clock is refused
like any invalid field, in whole and partial requests. (The bad values of the options themselves
are in test_options.py.)
"""

from __future__ import annotations

import json
import subprocess
from datetime import datetime, timedelta, timezone

import pytest

from conftest import HERALD_BIN, assert_json_error, wait_until


@pytest.mark.timeout(60)
def test_any_origin_needs_authentication_or_the_insecure_flag(start_herald, tmp_path):
    # Accepted explicitly: it starts, and says so as a warning.
    server = start_herald("--cors-origin", "*", "--insecure-no-auth")
    wait_until(lambda: "cors.any" in server.log_text(), message="the warning")
    line = next(line for line in server.log_lines() if "cors.any" in line)
    assert " warning " in line and "any web page" in line
    assert server.request("GET", "/v1/runs", headers={"Origin": "https://any.example"}).headers.get(
        "access-control-allow-origin") == "*"
    # With a key, '*' is fine: a page must still hold a key.
    keyed = start_herald("--cors-origin", "*", keys=[("default", "read")])
    assert keyed.request("GET", "/v1/runs").status == 401
    # A data folder that exists but holds no key is refused too (after the store opens).
    plain = start_herald()
    plain.stop()
    answer = subprocess.run([HERALD_BIN, "serve", "--port", "0", "--data", str(plain.data), "--cors-origin", "*"],
                            capture_output=True, text=True, timeout=30)
    assert answer.returncode != 0
    assert "refusing --cors-origin '*' without authentication" in answer.stderr, answer.stderr


def _stamp(delta: timedelta) -> str:
    return (datetime.now(timezone.utc) + delta).isoformat()


@pytest.mark.timeout(60)
def test_a_time_ahead_of_the_clock_is_refused(start_herald):
    server = start_herald()
    far = server.publish([{"run": "skew", "type": "x.y"}, {"run": "skew", "type": "x.y", "time": "9999-01-01T00:00:00Z"}])
    body = assert_json_error(far, (422,), "validation_failed")
    assert [(d["index"], d["field"], d["code"]) for d in body["error"]["details"]] == [(1, "time", "time_in_future")]
    assert server.request("GET", "/v1/runs/skew").status == 404, "nothing stored"

    soon = server.publish_ok([{"run": "skew", "type": "x.y", "time": _stamp(timedelta(minutes=1))}])
    assert soon["events"][0]["seq"] == 1

    lines = [{"run": "skew", "type": "x.y"}, {"run": "skew", "type": "x.y", "time": "9999-01-01T00:00:00Z"},
             {"run": "skew", "type": "x.y", "time": _stamp(timedelta(seconds=-5))}]
    ndjson = "".join(json.dumps(line) + "\n" for line in lines).encode()
    partial = server.request("POST", "/v1/events?partial=true", ndjson, {"Content-Type": "application/x-ndjson"})
    assert partial.status == 200, partial
    answer = partial.json()
    assert [e["index"] for e in answer["events"]] == [0, 2]
    assert [(r["index"], r["details"][0]["code"]) for r in answer["rejected"]] == [(1, "time_in_future")]


@pytest.mark.timeout(60)
def test_the_clock_skew_is_configurable(start_herald):
    server = start_herald("--max-clock-skew", "10")
    answer = server.publish([{"run": "tight", "type": "x.y", "time": _stamp(timedelta(minutes=1))}])
    body = assert_json_error(answer, (422,), "validation_failed")
    assert body["error"]["details"][0]["code"] == "time_in_future"
    assert "at most 10 s ahead" in body["error"]["details"][0]["message"]
