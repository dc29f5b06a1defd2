#!/usr/bin/env python3
"""Peak RSS of a herald server handling OTLP requests of the largest inflated size (gzip inflating
to about 16 MiB: 20,000 spans of 8 attributes), N at once, two rounds.

Usage: otlp_memory.py /path/to/herald N
Needs opentelemetry-proto (the Tests/otlp virtualenv has it: ~/.cache/herald-ci/otlp-venv).
"""
import gzip, http.client, os, subprocess, sys, tempfile, threading, time, re
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.trace.v1.trace_pb2 import Span
from opentelemetry.proto.common.v1.common_pb2 import KeyValue, AnyValue
binary, concurrent = sys.argv[1], int(sys.argv[2])
data = tempfile.mkdtemp()
proc = subprocess.Popen([binary, "serve", "--port", "0", "--data", data], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
port = None
for line in proc.stdout:
    m = re.search(r"listening on 127\.0\.0\.1:(\d+)", line)
    if m: port = int(m.group(1)); break
threading.Thread(target=lambda: [None for _ in proc.stdout], daemon=True).start()
def rss(key):
    for line in open(f"/proc/{proc.pid}/status"):
        if line.startswith(key): return int(line.split()[1]) // 1024
def body(seed):
    req = ExportTraceServiceRequest()
    rs = req.resource_spans.add(); ss = rs.scope_spans.add()
    i = 0
    while i % 1000 or req.ByteSize() < 15_500_000:
        s = ss.spans.add()
        s.trace_id = (seed * 1_000_003 + i // 32 + 1).to_bytes(16, "big"); s.span_id = (i + 1).to_bytes(8, "big")
        s.name = "GET /x"; s.start_time_unix_nano = 1_765_000_000_000_000_000; s.end_time_unix_nano = s.start_time_unix_nano + 1000
        for k in range(8):
            s.attributes.add(key=f"attr.{k}", value=AnyValue(string_value=f"value {i} {k} " * 6))
        i += 1
    return gzip.compress(req.SerializeToString()), i
bodies = [body(n) for n in range(concurrent)]
print("spans per request", bodies[0][1], "gzip bytes", len(bodies[0][0]))
time.sleep(1)
print("RSS before", rss("VmRSS"), "MiB")
def send(b):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    c.request("POST", "/otlp/v1/traces", b, {"Content-Type": "application/x-protobuf", "Content-Encoding": "gzip"})
    r = c.getresponse(); r.read(); return r.status
for rnd in range(2):
    results = []
    ts = [threading.Thread(target=lambda b=b: results.append(send(b[0]))) for b in bodies]
    t0 = time.time(); [t.start() for t in ts]; [t.join() for t in ts]
    print("round", rnd, "statuses", results, "secs", round(time.time() - t0, 1), "peak RSS", rss("VmHWM"), "MiB", "RSS now", rss("VmRSS"))
    bodies = [body(n + 100 * (rnd + 1)) for n in range(concurrent)]
proc.terminate()
