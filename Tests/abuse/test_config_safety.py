"""Tenants issue, part 7, on the real binary: configuration safety.

`--cors-origin '*'` with no way to authenticate is refused unless `--insecure-no-auth` accepts it
(with a warning). (The bad values of the options themselves are in test_options.py.)
"""

from __future__ import annotations

import subprocess

import pytest

from conftest import HERALD_BIN, wait_until


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
