#!/usr/bin/env python3
"""Catch-up replay to one subscriber: opens a run's stream from the start and counts frames until
N have arrived, then prints the rate. A bare socket that only counts `id:` lines, so the reader
spends little of the machine's CPU (`curl | grep -c` spent much of it).

Usage: replay.py PORT RUN N      e.g. replay.py 7373 bench-query-1000000 990000
Seed a large run first, e.g. `herald bench query --events 1000000 --requests 10`. N should stay a
little under the run's size: a frame cut by the chunked encoding is not counted.
"""
import socket, sys, time

port, run, wanted = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
connection = socket.create_connection(("127.0.0.1", port))
started = time.perf_counter()
connection.sendall(f"GET /v1/runs/{run}/stream HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n".encode())
count, tail = 0, b""
while count < wanted:
    chunk = connection.recv(1 << 20)
    if not chunk:
        break
    data = tail + chunk
    count += data.count(b"\nid: ")
    tail = data[-4:]  # too short to hold a whole "\nid: ", so nothing is counted twice
elapsed = time.perf_counter() - started
print(f"{count} events in {elapsed:.3f} s = {count / elapsed:,.0f} events/s")
