"""Issue #15 row 8: every option is validated before anything is created.

A bad value makes `herald serve` exit non-zero at once with a message naming the option, and the
data folder it was given is not created (before: `--heartbeat 0` spun at 125 % CPU, `--port 70000`
listened on 4464, `--max-events-per-request 0` still took one event, and the data folder and an
empty database were created before a bad configuration was refused).
"""

from __future__ import annotations

import os
import subprocess
import time

import pytest

from conftest import HERALD_BIN

BAD = [
    pytest.param(["--heartbeat", "0"], "heartbeat", id="heartbeat-0"),
    pytest.param(["--port", "70000"], "port", id="port-70000"),
    pytest.param(["--port", "-1"], "port", id="port-minus-1"),
    pytest.param(["--max-events-per-request", "0"], "max-events-per-request", id="max-events-per-request-0"),
    pytest.param(["--write-timeout", "0"], "write-timeout", id="write-timeout-0"),
    pytest.param(["--shutdown-timeout", "-1"], "shutdown-timeout", id="shutdown-timeout-minus-1"),
    pytest.param(["--max-connections", "0"], "max-connections", id="max-connections-0"),
    pytest.param(["--max-page-bytes", "10"], "max-page-bytes", id="max-page-bytes-10"),
    pytest.param(["--max-queries-per-client", "0"], "max-queries-per-client", id="max-queries-per-client-0"),
    pytest.param(["--request-timeout", "0"], "request-timeout", id="request-timeout-0"),
    pytest.param(["--host", "0.0.0.0"], ("host", "0.0.0.0"), id="public-host-without-auth"),
    pytest.param(["--trusted-proxy", "10.0.0.0/33"], "--trusted-proxy", id="trusted-proxy-prefix-33"),
    pytest.param(["--trusted-proxy", "127.0.0.1", "--trusted-proxy", "proxy.internal"], "--trusted-proxy", id="trusted-proxy-name"),
    pytest.param(["--trusted-proxy", ""], "--trusted-proxy", id="trusted-proxy-empty"),
    pytest.param(["--max-clock-skew", "0"], "max-clock-skew", id="max-clock-skew-0"),
    pytest.param(["--cors-origin", "*"], ("--cors-origin '*'", "--insecure-no-auth"), id="any-origin-without-auth"),
    pytest.param(["--stream-ticket-ttl", "0"], "stream-ticket-ttl", id="stream-ticket-ttl-0"),
    pytest.param(["--stream-ticket-ttl", "3601"], "stream-ticket-ttl", id="stream-ticket-ttl-3601"),
    pytest.param(["--stream-ticket-secret-file", "/nonexistent/ticket.secret"], "--stream-ticket-secret-file", id="ticket-secret-missing"),
    pytest.param(["--auth-cookie", "herald_session"], ("--auth-cookie", "--jwt-secret-file"), id="auth-cookie-without-jwt"),
]


def _serve(tmp_path, options, env=None):
    data = tmp_path / "never-created" / "data"
    command = [HERALD_BIN, "serve", "--data", str(data)]
    if "--port" not in options and "HERALD_PORT" not in (env or {}):
        command += ["--port", "0"]
    command += options
    started = time.monotonic()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               stdin=subprocess.DEVNULL, env=dict(os.environ, **(env or {})))
    try:
        output, _ = process.communicate(timeout=5)
    except subprocess.TimeoutExpired:
        process.kill()
        output, _ = process.communicate()
        given = " ".join([f"{k}={v}" for k, v in (env or {}).items()] + ["herald serve"] + options)
        raise AssertionError(f"{given} started instead of refusing:\n{output[-1500:]}") from None
    return process.returncode, output, time.monotonic() - started, data


@pytest.mark.timeout(30)
@pytest.mark.parametrize("options,name", BAD)
def test_a_bad_option_is_refused_before_anything_is_created(tmp_path, options, name):
    """Row 8: `herald serve` with a bad value (heartbeat 0, port 70000 or -1, max-events-per-request
    0, write-timeout 0, shutdown-timeout -1, max-connections 0, max-page-bytes 10, a public --host
    or --cors-origin '*' with no key and no JWT, a --trusted-proxy that is no address or CIDR block,
    max-clock-skew 0) exits non-zero within seconds, names the option, creates no data folder."""
    code, output, took, data = _serve(tmp_path, options)
    assert code != 0, f"herald serve {' '.join(options)} exited 0:\n{output}"
    assert "unknown option" not in output.lower(), f"the option does not exist yet:\n{output}"
    names = name if isinstance(name, tuple) else (name,)
    assert any(n in output.lower() for n in names), f"the message does not name {' or '.join(names)}:\n{output}"
    assert not data.exists() and not data.parent.exists(), (
        f"herald serve {' '.join(options)} created {sorted(p.name for p in data.parent.rglob('*'))} before refusing")
    assert took < 5


@pytest.mark.timeout(30)
@pytest.mark.parametrize("variable,value,name", [
    ("HERALD_PORT", "70000", "port"),
    ("HERALD_HEARTBEAT", "0", "heartbeat"),
    ("HERALD_MAX_PAGE_BYTES", "10", "page"),
    ("HERALD_HEARTBEAT", "soon", "heartbeat"),
    ("HERALD_TRUSTED_PROXIES", "127.0.0.1,fd00::/200", "trusted-proxy"),
    ("HERALD_MAX_CLOCK_SKEW", "soon", "clock-skew"),
    ("HERALD_CORS_ORIGINS", "*", "cors-origin"),
    ("HERALD_STREAM_TICKET_TTL", "soon", "stream-ticket-ttl"),
    ("HERALD_NO_QUERY_KEYS", "maybe", "no_query_keys"),
    ("HERALD_AUTH_COOKIE", "herald_session", "auth-cookie"),
])
def test_a_bad_environment_variable_is_refused_too(tmp_path, variable, value, name):
    """Row 8: the same values given through the environment (HERALD_PORT=70000, …) are refused the
    same way, and so is a value that is not a number (not silently replaced by the default)."""
    code, output, _, data = _serve(tmp_path, [], {variable: value})
    assert code != 0, f"{variable}={value}: exited 0:\n{output}"
    assert name in output.lower(), f"the message does not name {name}:\n{output}"
    assert not data.parent.exists()


@pytest.mark.timeout(30)
def test_the_bounds_options_accept_their_documented_values(start_herald):
    """Row 8 (control): valid values of the new options start a server that answers."""
    server = start_herald("--write-timeout", "1", "--shutdown-timeout", "0", "--max-connections", "1000",
                          "--max-page-bytes", "65536", "--max-queries-per-client", "1", "--heartbeat", "1",
                          "--stream-ticket-ttl", "3600", "--no-query-keys")
    assert server.request("GET", "/healthz").status == 200
