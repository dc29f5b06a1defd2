#!/usr/bin/env bash
# The abuse suite (issue #15, "Bounded under abuse"): the real herald binary attacked as a hostile
# client would, over loopback — non-reading sockets with small receive buffers, raw TCP, signals,
# revoked keys and expiring JWTs, hostile framing, a full disk (a tmpfs; that test needs root and
# is skipped without it). Each test starts its own `herald serve` on a random port with its own
# data folder and asserts a bound: RSS and descriptors from /proc/PID, exit within the drain, the
# stream ending after a revocation. Python 3 standard library plus pytest; Linux only (/proc).
#
#   HERALD_BIN=/path/to/herald bash Tests/abuse/run.sh [pytest arguments]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
name="abuse test"
source "$here/../lib.sh"

install_debian_packages python3 python3-venv
venv="${HERALD_PYTHON_VENV:-$HOME/.cache/herald-ci/python-venv}"
ensure_venv "$venv" 'import pytest, pytest_timeout' 'pytest==9.0.3' 'pytest-timeout==2.4.0'

cd "$root"
# Every test carries its own timeout mark; 180 s is the backstop. The data folders of passing
# tests (up to ~100 MB each) are removed; a failing test's folder and server log are kept.
HERALD_BIN="$herald" "$venv/bin/python" -m pytest -q -p no:cacheprovider --timeout 180 \
    -o tmp_path_retention_policy=failed "$@" Tests/abuse
