#!/usr/bin/env bash
# The Python client (clients/python) and its examples, against a herald binary: pytest starts the
# binary itself on random loopback ports. The package is installed into a fresh virtualenv as a
# user would (`pip install ./clients/python`, not editable), then imported from there; pytest,
# pytest-timeout and what the FastAPI example needs come from PyPI.
#
#   HERALD_BIN=/path/to/herald bash Tests/python/run.sh [pytest arguments]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
name="python client test"
source "$here/../lib.sh"

install_debian_packages python3 python3-venv
venv="${HERALD_PYTHON_VENV:-$HOME/.cache/herald-ci/python-venv}"
ensure_venv "$venv" 'import pytest, pytest_timeout, fastapi, uvicorn' \
    'pytest==9.0.3' 'pytest-timeout==2.4.0' 'fastapi==0.165.0' 'uvicorn==0.55.0'
install_python_client "$venv"

cd "$root/clients/python"
HERALD_BIN="$herald" "$venv/bin/python" -m pytest -q -p no:cacheprovider "$@" tests
