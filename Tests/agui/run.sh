#!/usr/bin/env bash
# AG-UI conformance: a `herald demo` run (completed, and failed) streamed with ?format=ag-ui,
# checked by the official tools from PyPI, failing on any violation:
#   - ag-ui-validate 0.4.0 (ordering, pairing, JSON Patch application, field shapes), on the capture;
#   - ag-ui-protocol 1.0.0's models in strict mode (strict_check.py: no coercion, no unknown or
#     null fields, camelCase only), on every event.
# Where the validator's event table lags the 1.0 SDK (TOOL_CALL_RESULT with list content,
# REASONING_MESSAGE_START without role) the 1.0 models are the authority; Herald writes string
# content and always the "reasoning" role, so both tools agree on its streams.
# A third capture is cut mid-run and resumed with Last-Event-ID: the two connections together
# must validate as one stream (nothing missing, nothing repeated, RUN_STARTED once).
#
#   HERALD_BIN=/path/to/herald bash Tests/agui/run.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
name="ag-ui test"
source "$here/../lib.sh"

install_debian_packages python3 python3-venv curl
venv="${HERALD_AGUI_VENV:-$HOME/.cache/herald-ci/agui-venv}"
ensure_venv "$venv" 'import ag_ui, ag_ui_validate' 'ag-ui-protocol==1.0.0' 'ag-ui-validate==0.4.0'

work="$(mktemp -d)"
trap 'kill "$server" 2>/dev/null || true; rm -rf "$work"' EXIT
start_herald "$work/data"

"$herald" demo --server "$url" --run agui-ok --pace 0 2>/dev/null
"$herald" demo --server "$url" --run agui-failed --pace 0 --fail 2>/dev/null
curl -sfN --max-time 20 "$url/v1/runs/agui-ok/stream?format=ag-ui" > "$work/ok.sse"
curl -sfN --max-time 20 "$url/v1/runs/agui-failed/stream?format=ag-ui" > "$work/failed.sse"
grep -q '"type":"RUN_ERROR"' "$work/failed.sse" || { echo "ag-ui test: the failed run did not end with RUN_ERROR" >&2; exit 1; }

# Resume: the first 40 frames, then the rest after the last id seen.
awk 'BEGIN{RS="";ORS="\n\n"} NR<=41' "$work/ok.sse" > "$work/resumed.sse"
last_id="$(grep '^id: ' "$work/resumed.sse" | tail -1 | cut -d' ' -f2)"
curl -sfN --max-time 20 -H "Last-Event-ID: $last_id" "$url/v1/runs/agui-ok/stream?format=ag-ui" | sed '/^retry: /,+1d' >> "$work/resumed.sse"

status=0
for capture in ok failed resumed; do
    echo "== $capture: ag-ui-validate 0.4.0"
    "$venv/bin/ag-ui-validate" --features shared-state --fail-on warning "$work/$capture.sse" || status=1
    echo "== $capture: ag-ui-protocol 1.0.0, strict"
    if ! "$venv/bin/python" "$here/strict_check.py" "$work/$capture.sse" > "$work/$capture.strict"; then
        status=1
        grep FAIL "$work/$capture.strict" | head -20 || true
    fi
    tail -1 "$work/$capture.strict"
done
# The two connections together carry exactly the events of one: same ids, same frames.
for field in id data; do
    if ! cmp -s <(grep "^$field: " "$work/ok.sse") <(grep "^$field: " "$work/resumed.sse"); then
        echo "ag-ui test: the resumed capture's $field lines differ from the whole stream's" >&2
        status=1
    fi
done
exit $status
