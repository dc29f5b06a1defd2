#!/usr/bin/env bash
# Browser test: headless Chromium's own EventSource against a real herald server.
# Installs what it needs (idempotent; quick when already installed), then runs pytest on
# this folder. HERALD_BIN names the herald binary (default: .build/debug/herald).
#
#   HERALD_BIN=/path/to/herald bash Tests/browser/run.sh [extra pytest args]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
export HERALD_BIN="${HERALD_BIN:-$root/.build/debug/herald}"

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"

# System packages: the browser, its driver, and a Python that can make a virtualenv.
need=()
for pkg in chromium chromium-driver python3 python3-venv; do
    dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
    echo "browser test: installing ${need[*]}"
    $sudo apt-get update -qq
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}"
fi

# Python packages, in a virtualenv of their own (Debian's python refuses system-wide pip).
# Debian's /usr/bin/python3 unless told otherwise, so the venv matches python3-venv.
python="${HERALD_BROWSER_PYTHON:-/usr/bin/python3}"
venv="${HERALD_BROWSER_VENV:-$HOME/.cache/herald-ci/browser-venv}"
if ! "$venv/bin/python" -c 'import selenium, pytest' >/dev/null 2>&1; then
    echo "browser test: creating $venv with selenium and pytest"
    rm -rf "$venv"
    "$python" -m venv "$venv"
    "$venv/bin/python" -m pip install -q --disable-pip-version-check 'selenium>=4.11,<5' 'pytest>=7'
fi

if [ ! -x "$HERALD_BIN" ]; then
    echo "browser test: no herald binary at $HERALD_BIN (swift build first, or set HERALD_BIN)" >&2
    exit 1
fi

# pytest exits non-zero on any failure, and with 5 when no test was collected.
# No cache or bytecode written into the checkout.
cd "$root"
export PYTHONDONTWRITEBYTECODE=1
exec timeout 600 "$venv/bin/python" -m pytest -p no:cacheprovider -rA "$here" "$@"
