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
name="fuzz"
source "$here/../lib.sh"

install_debian_packages python3 python3-venv curl
venv="${HERALD_FUZZ_VENV:-$HOME/.cache/herald-ci/fuzz-venv}"
ensure_venv "$venv" 'import importlib.metadata as m; assert m.version("schemathesis") == "4.32.5"' 'schemathesis==4.32.5'

work="$(mktemp -d)"
trap 'kill "$server" 2>/dev/null || true; rm -rf "$work"' EXIT
key="$("$herald" keys create --data "$work/data" --project '*' --role admin --name fuzz 2>/dev/null)"
# The document's `time` is any RFC 3339 date-time, and the fuzzer counts a valid-looking event
# refused as a failure; the server refuses one dated past --max-clock-skew ahead of its clock, which
# no schema can say, so the fuzzed server takes the largest skew (10,000 years: the check is off).
start_herald "$work/data" --stream-lifetime 1 --heartbeat 1 --max-clock-skew 316224000000
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
if grep -q -E 'status=5[0-9][0-9]' "$work/data.log"; then
    echo "fuzz: the server logged a 5xx" >&2
    status=1
fi
kill "$server"
wait "$server" 2>/dev/null || true
exit "$status"
