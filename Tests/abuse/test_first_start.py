"""Issue #19: what a new user meets first, checked on the real binary.

`herald --version` and `herald version` say which build this is; `herald serve` says, once it
listens, its version, the dashboard's URL, the store and whether authentication is on (readable
lines in the text log, one `started` event with fields in JSON); a port that is taken is refused
with one line and a non-zero exit, not NIO's errors; and `herald serve --help` names, next to
each option, the HERALD_* variable that option really reads.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import time

import pytest

from conftest import HERALD_BIN

def _log_once_reported(server, last: str) -> str:
    """The server's log once the report's `last` field is in it: the report follows the
    `listening on` line that `start_herald` waits for, so it may not be written yet."""
    deadline = time.monotonic() + 10
    while last not in server.log_text() and time.monotonic() < deadline:
        time.sleep(0.02)
    return server.log_text()


VERSION_LINE = re.compile(r"herald \d+\.\d+\.\d+ \(commit [0-9a-z]+, built (from source|\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)\)")


@pytest.mark.timeout(30)
@pytest.mark.parametrize("arguments", [["--version"], ["version"]], ids=["--version", "version"])
def test_the_version_names_the_build(arguments):
    answer = subprocess.run([HERALD_BIN, *arguments], capture_output=True, text=True, timeout=10)
    assert answer.returncode == 0, answer
    assert VERSION_LINE.fullmatch(answer.stdout.strip()), answer.stdout


@pytest.mark.timeout(60)
def test_the_first_start_orients_in_text(start_herald):
    server = start_herald()
    lines = _log_once_reported(server, "authentication:").splitlines()
    listening = next(i for i, line in enumerate(lines) if "listening on 127.0.0.1:" in line)
    after = "\n".join(lines[listening + 1:])
    version = subprocess.run([HERALD_BIN, "--version"], capture_output=True, text=True, timeout=10).stdout.strip()
    assert version.replace("herald ", "Herald ", 1) in after
    assert f"dashboard: http://127.0.0.1:{server.port}/" in after
    assert f"store: SQLite {server.data}/herald.sqlite, --sync normal" in after
    assert "authentication: off until the first key exists" in after
    assert f"herald keys create --data {server.data} --project '*' --role admin" in after
    assert sum("dashboard:" in line for line in lines) == 1, "said once"


@pytest.mark.timeout(60)
def test_the_first_start_orients_in_json(start_herald):
    server = start_herald("--log-format", "json", "--sync", "full")
    log = _log_once_reported(server, '"auth":')
    events = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    started = [event for event in events if event["message"] == "started"]
    assert len(started) == 1, events
    fields = started[0]
    assert re.fullmatch(r"\d+\.\d+\.\d+", fields["version"]) and fields["commit"]
    assert fields["dashboard"] == f"http://127.0.0.1:{server.port}/"
    assert (fields["store"], fields["store.path"], fields["store.sync"]) == ("sqlite", f"{server.data}/herald.sqlite", "full")
    assert fields["auth"] == "off"
    assert fields["auth.create-key"].startswith(f"herald keys create --data {server.data} ")


@pytest.mark.timeout(60)
def test_with_a_key_the_first_start_says_authentication_is_on(start_herald):
    server = start_herald(keys=[("*", "admin")])
    log = _log_once_reported(server, "authentication:")
    assert "authentication: on (API keys)" in log
    assert "herald keys create" not in log


@pytest.mark.timeout(30)
@pytest.mark.parametrize("log_format", ["text", "json"])
def test_a_taken_port_is_refused_with_one_line(tmp_path, log_format):
    """Before: `Error: bind(descriptor:ptr:bytes:): Address already in use) (errno: 98)`."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        answer = subprocess.run([HERALD_BIN, "serve", "--data", str(tmp_path / "data"), "--port", str(port),
                                 "--log-format", log_format],
                                capture_output=True, text=True, timeout=20, stdin=subprocess.DEVNULL)
    assert answer.returncode == 1, answer
    expected = (f"herald: cannot listen on 127.0.0.1:{port}: the address is in use "
                f"(another herald? try --port 0 for any free port, or --port {port + 1})")
    refusal = [line for line in answer.stderr.splitlines() if not line.startswith("{")]
    assert refusal == [expected], answer.stderr
    for noise in ("Error:", "errno", "bind(", "Fatal error", "Stack dump"):
        assert noise not in answer.stdout + answer.stderr, answer


# A value each variable takes that shows as its option's default in the help: 4242 reads as a
# number and as text alike; the options with a fixed set of values take one of theirs.
VALUES = {"HERALD_SYNC": "full", "HERALD_LOG_LEVEL": "debug", "HERALD_LOG_FORMAT": "json"}
# Flags show their default as the flag in force: the variable's value, and what the help then shows.
FLAGS = {"HERALD_NO_QUERY_KEYS": ("1", "--no-query-keys")}


def _help(env=None):
    answer = subprocess.run([HERALD_BIN, "serve", "--help"], capture_output=True, text=True, timeout=10,
                            env=dict(os.environ, **(env or {})))
    assert answer.returncode == 0, answer
    options = {}
    for block in re.split(r"\n(?=  -)", answer.stdout.split("OPTIONS:", 1)[1]):
        name = re.match(r"\s*(?:-\w, )?(--[\w-]+)", block)
        if name:
            options[name.group(1)] = " ".join(block.split())
    return answer.stdout, options


@pytest.mark.timeout(120)
def test_serve_help_names_the_variable_each_option_reads():
    """Every option but --insecure-no-auth names its HERALD_* variable, and setting that variable
    changes the option's default (the help shows it), so no option claims one it does not read."""
    text, options = _help()
    for variable in ("HERALD_DASHBOARD_DIR", "HERALD_SDK_DIR", "PGPASSWORD"):
        assert variable in " ".join(text.split()), f"the discussion does not mention {variable}"
    without = {"--insecure-no-auth", "--help", "--version"}
    claimed = {}
    for option, block in options.items():
        variables = re.findall(r"\(env: (HERALD_[A-Z_]+)", block)
        if option in without:
            assert not variables, f"{option} claims {variables}"
            continue
        assert len(variables) == 1, f"{option} names no HERALD_* variable: {block}"
        claimed[option] = variables[0]
    assert len(set(claimed.values())) == len(claimed), claimed
    for option, variable in claimed.items():
        value, shown = FLAGS.get(variable) or (VALUES.get(variable, "4242"),) * 2
        _, changed = _help({variable: value})
        assert re.search(rf"\bdefault: {re.escape(shown)}", changed[option]), f"{variable}={value} does not change {option}: {changed[option]}"
