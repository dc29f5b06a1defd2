#!/usr/bin/env bash
# BENCHMARKS.md "PostgreSQL: one and two replicas beside SQLite": SQLite, PostgreSQL with one
# replica and with two, side by side, alternating, 3 rounds: ingest (batch 100) and fan-out
# (100 subscribers; across replicas for two).
#
#   scripts/bench-postgres.sh postgres://herald@127.0.0.1:PORT    (a server with a `herald` database)
set -u
H="${HERALD_BIN:-.build-release/release/herald}"
PG="${1:?usage: bench-postgres.sh postgres://user@host:port}"
work="${BENCH_DIR:-/tmp/herald-bench}"
mkdir -p "$work"
out="$work/results.txt"; : > "$out"
psql "$PG/herald" -qc "DROP DATABASE IF EXISTS bench" -c "CREATE DATABASE bench" >/dev/null
STORE="$PG/bench?sslmode=disable"
rm -rf $work/sq; 
$H serve --port 7501 --data $work/sq --log-level error --max-streams-per-client 20000 > $work/s0.log 2>&1 &
$H serve --port 7502 --store "$STORE" --log-level error --max-streams-per-client 20000 > $work/p1.log 2>&1 &
sleep 2
$H serve --port 7503 --store "$STORE" --log-level error --max-streams-per-client 20000 > $work/p2.log 2>&1 &
sleep 2
ingest() { $H bench ingest --server "$1" --connections "$2" --batch 100 --duration 5 --warmup 1 2>&1 | grep -E "events/s" | head -1; }
fan() { $H bench fanout --server "$1" ${2:+--publish-server "$2"} --subscribers 100 --rate 1000 --duration 5 2>&1 | grep -E "delivered|latency|p99|publish" | tr '\n' ' '; }
for round in 1 2 3; do
  echo "== round $round" >> "$out"
  echo "sqlite ingest: $(ingest http://127.0.0.1:7501 8)" >> "$out"
  echo "pg1 ingest: $(ingest http://127.0.0.1:7502 8)" >> "$out"
  ingest http://127.0.0.1:7502 4 > $work/i2a.txt & pa=$!
  ingest http://127.0.0.1:7503 4 > $work/i2b.txt & pb=$!
  wait $pa $pb
  echo "pg2 ingest A: $(cat $work/i2a.txt) | B: $(cat $work/i2b.txt)" >> "$out"
  echo "sqlite fanout: $(fan http://127.0.0.1:7501)" >> "$out"
  echo "pg1 fanout: $(fan http://127.0.0.1:7502)" >> "$out"
  echo "pg2 fanout (publish A, subscribe B): $(fan http://127.0.0.1:7503 http://127.0.0.1:7502)" >> "$out"
done
pkill -f "herald serve --port 750" 2>/dev/null
cat "$out"
