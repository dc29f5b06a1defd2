#!/usr/bin/env bash
# BENCHMARKS.md "Python emitter": emit() cost per call (3 runs), then sustained delivery from one
# Python emitter beside `herald bench ingest --connections 1 --batch 500` against the same release
# server, rounds alternating (3 rounds).
#
#   HERALD_BIN=/path/to/release/herald PYTHON=/path/to/venv/bin/python scripts/bench-python.sh
set -u
H="${HERALD_BIN:-.build-release/release/herald}"
PY="${PYTHON:-python3}"
root="$(cd "$(dirname "$0")/.." && pwd)"
work="${BENCH_DIR:-/tmp/herald-bench-python}"
rm -rf "$work"; mkdir -p "$work"
out="$work/results.txt"; : > "$out"
"$PY" -c 'import herald' || { echo "install the client first: pip install ./clients/python" >&2; exit 1; }
for run in 1 2 3; do
  echo "cost run $run: $("$PY" "$root/clients/python/benchmarks/bench_emit.py" --calls 200000)" >> "$out"
done
"$H" serve --port 7521 --data "$work/d" --log-level error > "$work/serve.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null' EXIT
sleep 2
for round in 1 2 3; do
  echo "== round $round (load $(cut -d' ' -f1-3 /proc/loadavg))" >> "$out"
  echo "bench ingest c1 b500: $("$H" bench ingest --server http://127.0.0.1:7521 --connections 1 --batch 500 --duration 5 --warmup 1 2>&1 | grep -E '^events/s|events/s' | head -1)" >> "$out"
  echo "python emitter: $("$PY" "$root/clients/python/benchmarks/bench_emit.py" --calls 1000 --url http://127.0.0.1:7521 --events 300000)" >> "$out"
done
cat "$out"
