#!/usr/bin/env bash
# A herald built with --disable-default-traits (docs/install.md, "the fastest inner loop"): it
# serves on SQLite, and refuses PostgreSQL and JWT options with a line that says why.
# usage: Tests/traits/run.sh PATH/TO/herald
set -euo pipefail
herald="${1:?usage: Tests/traits/run.sh PATH/TO/herald}"
work="$(mktemp -d)"
trap 'kill "${pid:-}" 2>/dev/null || true; rm -rf "$work"' EXIT
port=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')

"$herald" serve --port "$port" --data "$work/data" --log-level error >"$work/serve.log" 2>&1 &
pid=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
curl -sf "http://127.0.0.1:$port/healthz" >/dev/null || { echo "FAIL: a trait-less herald did not serve"; cat "$work/serve.log"; exit 1; }
curl -sf -X POST "http://127.0.0.1:$port/v1/events" -H 'content-type: application/json' \
  -d '{"run":"traits","type":"run.started","data":{}}' >/dev/null \
  || { echo "FAIL: a trait-less herald did not store an event"; exit 1; }
echo "ok: serves and stores on SQLite"

refuses() {  # refuses WHAT ARGS...: the command fails and names the missing trait
  local what=$1; shift
  if out=$("$herald" "$@" 2>&1); then echo "FAIL: $* was accepted"; exit 1; fi
  grep -q "built without $what support (trait" <<<"$out" || { echo "FAIL: $*: $out"; exit 1; }
  echo "ok: $* → $(head -1 <<<"$out")"
}
refuses PostgreSQL serve --port 0 --store postgres://herald@127.0.0.1:1/herald
refuses JWT serve --port 0 --data "$work/jwt" --jwt-secret-file /dev/null
