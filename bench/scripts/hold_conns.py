#!/usr/bin/env python3
"""Opens N keep-alive connections to 127.0.0.1:PORT, sends one GET on each and reads its answer,
then holds them all open for HOLD seconds (bounded), printing `ready` once all are answered.

    hold_conns.py PORT N HOLD_SECS
"""

import socket
import sys
import time

port, n, hold = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
req = b"GET /plaintext HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n"
socks = []
deadline = time.monotonic() + 120
for i in range(n):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.sendall(req)
    got = b""
    while b"Hello, World!" not in got:
        chunk = s.recv(4096)
        if not chunk:
            sys.exit(f"connection {i} closed early")
        got += chunk
    socks.append(s)
    if time.monotonic() > deadline:
        sys.exit("too slow")
print("ready", flush=True)
time.sleep(hold)
for s in socks:
    s.close()
