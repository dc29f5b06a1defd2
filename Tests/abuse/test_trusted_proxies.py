"""Tenants issue, part 6, on the real binary: trusted proxies.

With `--trusted-proxy 127.0.0.1` (the test is the proxy) each client named in X-Forwarded-For or
Forwarded is its own caller for the per-caller limits and the request log; without it the headers
are ignored and every client is the proxy. Junk in the headers is never an error, and a value of
the option that is not an address or CIDR block stops `herald serve` with one line.
"""

from __future__ import annotations

import json
import subprocess

import pytest

from conftest import HERALD_BIN, assert_json_error, wait_until

RATE = ("--rate-limit", "0.001", "--rate-burst", "1")  # a caller's second event is refused


def _publish(server, client: str, header: str = "X-Forwarded-For"):
    body = json.dumps({"run": "proxied", "type": "x.y"}).encode()
    return server.request("POST", "/v1/events", body, {"Content-Type": "application/json", header: client})


def _caller(server, headers) -> str:
    answer = server.request("GET", "/v1/access", headers=headers)
    assert answer.status == 200, answer
    return answer.json()["caller"]


@pytest.mark.timeout(60)
def test_behind_a_trusted_proxy_each_forwarded_client_has_its_own_limit(start_herald):
    server = start_herald("--trusted-proxy", "127.0.0.1", *RATE)
    assert _publish(server, "198.51.100.1").status == 200
    assert_json_error(_publish(server, "198.51.100.1"), (429,), "rate_limited")
    assert _publish(server, "198.51.100.2").status == 200, "another client, another bucket"
    assert _publish(server, "for=198.51.100.3;proto=https", "Forwarded").status == 200
    # What the client prepends does not move it to another bucket.
    assert_json_error(_publish(server, "203.0.113.50, 198.51.100.1"), (429,), "rate_limited")
    assert _caller(server, {"X-Forwarded-For": "6.6.6.6, 2001:DB8::7"}) == "2001:db8::7"
    # Junk is never a 5xx: the proxy's own address names the caller.
    for junk in ["", ",,,", "not-an-ip", "1.2.3.4:http", "[::1", "9" * 4000]:
        assert _caller(server, {"X-Forwarded-For": junk}) == "127.0.0.1", junk
    for junk in ["for=unknown", 'for="[::1', "for=1.2.3.4;for=5.6.7.8", ";;;==="]:
        assert _caller(server, {"Forwarded": junk}) == "127.0.0.1", junk
    # The refusal's request log line names the forwarded client.
    wait_until(lambda: any("429" in line and "198.51.100.1" in line for line in server.log_lines()),
               message="the 429 logged with the forwarded client")


@pytest.mark.timeout(60)
def test_without_trust_the_header_is_ignored_and_clients_share_one_limit(start_herald):
    server = start_herald(*RATE)
    assert _publish(server, "198.51.100.1").status == 200
    assert_json_error(_publish(server, "198.51.100.2"), (429,), "rate_limited")
    assert _caller(server, {"X-Forwarded-For": "198.51.100.2"}) == "127.0.0.1"


@pytest.mark.timeout(60)
def test_trusted_proxies_come_from_the_environment_too(start_herald, monkeypatch):
    monkeypatch.setenv("HERALD_TRUSTED_PROXIES", "10.0.0.0/8, 127.0.0.0/8,::1")
    server = start_herald()
    assert _caller(server, {"X-Forwarded-For": "198.51.100.5"}) == "198.51.100.5"
    assert "proxies.trusted" in server.log_text() and "10.0.0.0/8,127.0.0.0/8,::1/128" in server.log_text()


@pytest.mark.timeout(60)
def test_a_bad_cidr_is_one_clear_line(tmp_path):
    data = tmp_path / "data"
    answer = subprocess.run([HERALD_BIN, "serve", "--port", "0", "--data", str(data), "--trusted-proxy", "10.0.0.300/8"],
                            capture_output=True, text=True, timeout=10)
    assert answer.returncode != 0
    first = answer.stderr.strip().splitlines()[0]
    assert "--trusted-proxy" in first and "'10.0.0.300/8' is not an address or CIDR block" in first, answer.stderr
    assert not data.exists()
