#!/usr/bin/env bash
# Makes the upgrade fixtures with a released herald, so the migration tests start from what a
# real deployment of that release holds on disk, not from rows a test wrote by hand:
#   herald-0.9.0.sqlite        the SQLite data folder's database (schema v4)
#   herald-0.9.0-postgres.sql  the data of a PostgreSQL store (schema version 1), as INSERTs
#
# Usage: make-fixtures.sh OLD_HERALD_BINARY POSTGRES_URL_OF_AN_EMPTY_DATABASE
# (Tests/postgres/cluster.sh start DIR gives a cluster; createdb a fresh database in it.)
set -euo pipefail
old="$1"
pg="$2"
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
trap 'kill "${server:-0}" 2>/dev/null || true; rm -rf "$work"' EXIT

# The same events for both stores: three projects, a run name used in two of them is impossible
# in 0.9.0, so the names differ; causal links, a finished and a running run, logs.
events() {
    local root_id=01JZZZZZZZZZZZZZZZZZZZZZZ0
    cat <<JSON
[{"id":"$root_id","project":"acme","run":"a1","type":"run.started","data":{"name":"first"}},
 {"project":"acme","run":"a1","type":"agent.started","agent":"planner"},
 {"project":"acme","run":"a1","type":"tool.call_started","agent":"planner","causedBy":["$root_id"],"data":{"toolCallName":"search","toolCallId":"t1"}},
 {"project":"beta","run":"b1","type":"run.started"},
 {"project":"acme","run":"a1","type":"agent.log","agent":"planner","data":{"line":"looking"}},
 {"project":"acme","run":"a1","type":"run.completed"},
 {"project":"acme","run":"a2","type":"run.started"},
 {"project":"beta","run":"b1","type":"agent.log","agent":"w","data":{"line":"beta's line"}},
 {"run":"d1","type":"run.started"},
 {"project":"acme","run":"a2","type":"step.started","data":{"stepId":"s1","name":"plan"}}]
JSON
}

run_old() {  # run_old STORE-ARGS...: serves, publishes the events, stops gracefully
    local port
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    "$old" serve --port "$port" "$@" >"$work/log" 2>&1 &
    server=$!
    for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
    events | curl -sS --fail-with-body -H "Content-Type: application/json" --data-binary @- "http://127.0.0.1:$port/v1/events" >"$work/answer" || { cat "$work/answer" >&2; exit 1; }
    kill -TERM "$server"
    wait "$server" || true
}

run_old --data "$work/data"
cp "$work/data/herald.sqlite" "$here/herald-0.9.0.sqlite"  # checkpointed by the graceful stop

run_old --store "$pg"
{
    echo "-- Data of a herald 0.9.0 PostgreSQL store (schema version 1), made by make-fixtures.sh."
    pg_dump --data-only --inserts --no-owner --no-privileges "${pg%%\?*}" | grep '^INSERT INTO'
} >"$here/herald-0.9.0-postgres.sql"
ls -l "$here"
