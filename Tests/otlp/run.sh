#!/usr/bin/env bash
# OpenTelemetry into Herald (issue #20): real producers nobody on the team wrote, installed from
# PyPI into a virtualenv, against a herald binary that pytest starts on random loopback ports.
# The OpenTelemetry SDK with its OTLP/HTTP exporter (protobuf, JSON, gzip), PydanticAI with its
# TestModel and instrumentation on, the OpenAI Agents SDK with a fake model and Herald's trace
# processor, the same spans through the Python client's HeraldSpanExporter, and bad input.
# The Python client is installed as a user would (not editable), every run.
#
#   HERALD_BIN=/path/to/herald bash Tests/otlp/run.sh [pytest arguments]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
name="OTLP test"
source "$here/../lib.sh"

install_debian_packages python3 python3-venv
venv="${HERALD_OTLP_VENV:-$HOME/.cache/herald-ci/otlp-venv}"
ensure_venv "$venv" 'import pytest, pytest_timeout, opentelemetry.sdk, opentelemetry.exporter.otlp.proto.http, pydantic_ai, agents' \
    'opentelemetry-sdk==1.45.2' 'opentelemetry-exporter-otlp-proto-http==1.45.2' 'pydantic-ai-slim==2.78.0' \
    'openai-agents==0.24.0' 'pytest==9.0.3' 'pytest-timeout==2.4.0'
install_python_client "$venv"

cd "$here"
HERALD_BIN="$herald" "$venv/bin/python" -m pytest -q -p no:cacheprovider "$@" .
