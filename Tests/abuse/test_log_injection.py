"""Issue #15 row 9: nothing a client sends can forge a log line.

A JWT whose `sub` holds a newline (the caller is logged as `jwt:<sub>`), or a path holding an
encoded newline, must not start a line of its own in the text log; the JSON log stays one valid
JSON object per line.
"""

from __future__ import annotations

import json
import re

import pytest

from conftest import lines_at_or_above, mint_jwt

FORGED = "level=critical forged"
SUB = f"alice\n{FORGED}\r\n2026-01-01T00:00:00+0000 critical herald: forged record"
RECORD_START = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d")


def _attack(server, secret: bytes) -> None:
    reader = mint_jwt(secret, sub=SUB, role="read")
    # Succeeds (logged at debug), is refused (403 at info), and fails auth shape checks elsewhere.
    assert server.request("GET", "/v1/runs", token=reader).status == 200
    assert server.publish([{"run": "logs", "type": "test.x"}], token=reader).status == 403
    # A path with encoded line breaks (the path is logged, without its query string).
    server.request("GET", "/v1/runs/x%0Alevel=critical%20forged%0D%0A/events", token=reader)


@pytest.mark.timeout(30)
def test_a_newline_in_a_jwt_subject_cannot_forge_a_text_log_line(start_herald, jwt_secret):
    """Row 9: with the default text log, a JWT `sub` of "alice\\nlevel=critical forged…" used on
    requests leaves no log line that starts with or is the forged text: every line is a whole
    record starting with its timestamp (before: the newline went into the log as is)."""
    path, secret = jwt_secret
    server = start_herald("--jwt-secret-file", str(path), log_level="debug")
    _attack(server, secret)
    server.stop()
    lines = server.log_lines()
    assert any("forged" in line for line in lines), "the caller is not logged at all: the test proves nothing"
    forged = [line for line in lines if not RECORD_START.match(line)]
    assert not forged, "lines that are not log records (forged by a client):\n" + "\n".join(forged[:5])
    assert not any(line.lstrip().startswith(("level=critical", "forged")) for line in lines)
    # The forged line that looks like a record (timestamp, level) is not one either.
    assert not lines_at_or_above(lines, "error"), "a critical or error record appeared:\n" + "\n".join(
        lines_at_or_above(lines, "error")[:3])


@pytest.mark.timeout(30)
def test_the_json_log_stays_one_object_per_line(start_herald, jwt_secret):
    """Row 9: with --log-format json, the same requests leave one valid JSON object per line, and the
    subject comes back whole when the line is parsed."""
    path, secret = jwt_secret
    server = start_herald("--jwt-secret-file", str(path), "--log-format", "json", log_level="debug")
    _attack(server, secret)
    server.stop()
    records = []
    for line in server.log_lines():
        if not line.strip():
            continue
        try:
            records.append(json.loads(line))
        except ValueError:
            raise AssertionError(f"a log line that is not JSON: {line[:300]!r}") from None
    assert any(isinstance(value, str) and SUB in value for record in records for value in record.values()), (
        "the caller's subject is not in the JSON log, whole")
