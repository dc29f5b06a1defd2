#!/usr/bin/env bash
# Fuzzes the HTTP API with schemathesis (PyPI) against a live `herald serve`, from its own
# /openapi.json, and fails on any 5xx, any answer that breaks the document (status, content
# type, headers, body schema), any valid request refused or invalid request accepted.
#
# The server runs with authentication on (an admin key for every project, sent by schemathesis),
# seeded with a demo run so the stateful phase has runs and events to follow. Stream endpoints
# get a one-second lifetime, so each streamed answer ends and is checked whole.
# Deterministic: one worker, a fixed seed, no example database, a fresh data folder.
#
#   HERALD_BIN=/path/to/herald bash Tests/fuzz/run.sh
#   HERALD_FUZZ_ARGS='--include-path /v1/events' ...   (extra schemathesis options, e.g. one operation)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
herald="${HERALD_BIN:-$root/.build/debug/herald}"
[ -x "$herald" ] || { echo "fuzz: no herald binary at $herald" >&2; exit 1; }

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
need=()
for pkg in python3 python3-venv curl; do dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg"); done
if [ ${#need[@]} -gt 0 ]; then
    $sudo apt-get update -qq
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}"
fi
venv="${HERALD_FUZZ_VENV:-$HOME/.cache/herald-ci/fuzz-venv}"
if ! "$venv/bin/schemathesis" --version 2>/dev/null | grep -q '4.32.5'; then
    echo "fuzz: creating $venv with schemathesis 4.32.5"
    rm -rf "$venv"
    /usr/bin/python3 -m venv "$venv"
    "$venv/bin/python" -m pip install -q --disable-pip-version-check 'schemathesis==4.32.5'
fi

work="$(mktemp -d)"
trap 'kill "$server" 2>/dev/null || true; rm -rf "$work"' EXIT
key="$("$herald" keys create --data "$work/data" --project '*' --role admin --name fuzz 2>/dev/null)"
"$herald" serve --port 0 --data "$work/data" --stream-lifetime 1 --heartbeat 1 --log-level info > "$work/serve.log" 2>&1 &
server=$!
for _ in $(seq 100); do grep -q "listening on" "$work/serve.log" && break; sleep 0.1; done
port="$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$work/serve.log" | head -1)"
[ -n "$port" ] || { echo "fuzz: the server did not start" >&2; cat "$work/serve.log" >&2; exit 1; }
url="http://127.0.0.1:$port"
HERALD_TOKEN="$key" "$herald" demo --server "$url" --run demo-1 --pace 0 >/dev/null 2>&1

started=$(date +%s)
status=0
# Run in the scratch folder: schemathesis keeps a crash cache (.schemathesis/) where it runs.
(cd "$work" && SCHEMATHESIS_HOOKS="$here/hooks.py" timeout 900 "$venv/bin/schemathesis" run "$url/openapi.json" \
    --header "Authorization: Bearer $key" \
    --checks all \
    --max-examples 50 --seed 20261122 --workers 1 --generation-database none \
    --request-timeout 10 --no-color --output-truncate false ${HERALD_FUZZ_ARGS:-} \
    > "$work/report.txt" 2>&1) || status=$?
echo "fuzz: schemathesis finished in $(( $(date +%s) - started )) s with status $status"
# Every failure with its curl reproduction, and the summary, go to the log; the key is masked.
if grep -q '^=* FAILURES =*$' "$work/report.txt"; then
    sed "s/$key/<key>/g" "$work/report.txt" | sed -n '/^=* FAILURES =*$/,$p' | cut -c1-2000
else
    sed "s/$key/<key>/g" "$work/report.txt" | tail -30
fi
if grep -q -E '"status":5[0-9][0-9]|HTTP/1.1 5[0-9][0-9]| 500 Internal' "$work/serve.log"; then
    echo "fuzz: the server logged a 5xx" >&2
    status=1
fi
kill "$server"
wait "$server" 2>/dev/null || true
exit "$status"
