#!/usr/bin/env bash
# OTLP spans beside /v1/events carrying the same events: `herald bench ingest --otlp` (protobuf,
# 512 spans per request, as the batch span processor sends) and `herald bench ingest` with as many
# events per request as those spans become (1,584), alternating over rounds, a fresh data folder
# and server for each.
#
#   scripts/bench-otlp.sh /path/to/release/herald [rounds]
set -euo pipefail
bin="$1"
rounds="${2:-3}"
for round in $(seq "$rounds"); do
    for mode in otlp events; do
        dir="$(mktemp -d)"
        "$bin" serve --port 0 --data "$dir/data" > "$dir/log" 2>&1 &
        pid=$!
        for _ in $(seq 100); do grep -q "listening on" "$dir/log" && break; sleep 0.1; done
        port="$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$dir/log" | head -1)"
        if [ "$mode" = otlp ]; then
            args=(--otlp --batch 512)
        else
            args=(--batch 1584)
        fi
        "$bin" bench ingest --server "http://127.0.0.1:$port" "${args[@]}" --connections 8 --duration 10 --warmup 2 2>&1 \
            | grep -E "^(ingest|spans/s|events/s|latency|errors)" | sed "s/^/round $round $mode: /"
        kill "$pid"
        wait "$pid" 2>/dev/null || true
        rm -rf "$dir"
    done
done
