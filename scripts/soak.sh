#!/usr/bin/env bash
# Soak (issue 13): mixed traffic against examples/stress.rs (release build) for MINUTES, sampling
# the server's RSS, open descriptors and threads every INTERVAL seconds, then the growth after
# warm-up (the first fifth of the run).
#
#   scripts/soak.sh MINUTES [INTERVAL]     # INTERVAL default 10; loopback only
#
# Traffic, all at once, load generators under `nice`:
#   - wrk, 8 keep-alive connections: GET /, a pipelined batch of 4 GETs, POST /echo with bodies of
#     0 B to 256 KiB, GET /big (256 KiB), malformed JSON (400), an unknown path (404), and a body
#     over the route's limit (413);
#   - a Python client, a new connection per request: bodies up to 1 MiB, aborted uploads (half a
#     declared body, then close), garbage request lines (400), oversized heads (431), clients that
#     connect and leave without a byte, and requests left unfinished.
# Installs wrk and python3 with apt-get if missing.
set -euo pipefail
cd "$(dirname "$0")/.."

. scripts/need.sh
need wrk wrk
need python3 python3

MINUTES=${1:?usage: scripts/soak.sh MINUTES [INTERVAL]}
INTERVAL=${2:-10}
PORT=${PORT:-18432}
DURATION=$((MINUTES * 60))

cargo build --release --quiet --example stress
target_dir=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
work=$(mktemp -d)
server_pid=
load_pids=()
cleanup() {
    for pid in "${load_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

PORT=$PORT "$target_dir/release/examples/stress" >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 50); do python3 -c "import socket; socket.create_connection(('127.0.0.1', $PORT))" 2>/dev/null && break; sleep 0.1; done

cat >"$work/mix.lua" <<'LUA'
local bodies = {}
for i, size in ipairs({0, 100, 4096, 65536, 262144}) do bodies[i] = string.rep("b", size) end
local n = 0
request = function()
    n = n + 1
    local k = n % 10
    if k == 0 then
        local one = wrk.format("GET", "/")
        return one .. one .. one .. one -- pipelined
    elseif k == 1 then
        return wrk.format("POST", "/echo", nil, bodies[math.floor(n / 10) % #bodies + 1])
    elseif k == 2 then
        return wrk.format("GET", "/big")
    elseif k == 3 then
        return wrk.format("POST", "/items", {["Content-Type"] = "application/json"}, "{\"name\": ")
    elseif k == 4 then
        return wrk.format("GET", "/nope")
    elseif k == 5 and n % 100 == 5 then
        return wrk.format("POST", "/echo", {["Content-Length"] = "9000000"}, nil) -- 413, no body sent
    elseif k == 6 then
        return wrk.format("POST", "/items", {["Content-Type"] = "application/json"}, "{\"name\": \"x\"}")
    end
    return wrk.format("GET", "/")
end
LUA

cat >"$work/churn.py" <<'PY'
import os, random, socket, sys, time
port, until = int(sys.argv[1]), time.time() + float(sys.argv[2])
counts = {}
def one(kind):
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    try:
        if kind == "body":
            body = os.urandom(random.choice([1, 1000, 100_000, 1_000_000]))
            s.sendall(b"POST /echo HTTP/1.1\r\nhost: x\r\nconnection: close\r\ncontent-length: %d\r\n\r\n" % len(body) + body)
        elif kind == "aborted":
            s.sendall(b"POST /echo HTTP/1.1\r\nhost: x\r\ncontent-length: 200000\r\n\r\n" + b"a" * 100_000)
            return
        elif kind == "garbage":
            s.sendall(os.urandom(64) + b"\r\n\r\n")
        elif kind == "huge_head":
            s.sendall(b"GET / HTTP/1.1\r\nhost: x\r\nx-big: " + b"a" * 20_000 + b"\r\n\r\n")
        elif kind == "silent":
            return
        elif kind == "unfinished":
            s.sendall(b"GET / HTTP/1.1\r\nhost: x\r\n")
            return
        else:
            s.sendall(b"GET / HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
        while s.recv(65536):
            pass
    finally:
        s.close()
kinds = ["get", "get", "body", "aborted", "garbage", "huge_head", "silent", "unfinished"]
while time.time() < until:
    kind = random.choice(kinds)
    try:
        one(kind)
        counts[kind] = counts.get(kind, 0) + 1
    except OSError as e:
        counts["error " + kind] = counts.get("error " + kind, 0) + 1
    time.sleep(0.002)
print(" ".join(f"{k}={v}" for k, v in sorted(counts.items())))
PY

nice wrk -t1 -c8 -d"${DURATION}s" -s "$work/mix.lua" "http://127.0.0.1:$PORT/" >"$work/wrk.out" 2>&1 &
load_pids+=($!)
nice python3 "$work/churn.py" "$PORT" "$DURATION" >"$work/churn.out" 2>&1 &
load_pids+=($!)

sample() {
    local rss threads fds
    rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$server_pid/status")
    threads=$(awk '/^Threads:/ {print $2}' "/proc/$server_pid/status")
    fds=$(ls "/proc/$server_pid/fd" | wc -l)
    echo "$1 $rss $fds $threads"
}
echo "seconds rss_kib fds threads" | tee "$work/samples"
start=$SECONDS
sample 0 | tee -a "$work/samples"
while [ $((SECONDS - start)) -lt "$DURATION" ]; do
    sleep "$INTERVAL"
    kill -0 "$server_pid" 2>/dev/null || { echo "the server died" >&2; exit 1; }
    sample $((SECONDS - start)) | tee -a "$work/samples"
done
for pid in "${load_pids[@]}"; do wait "$pid" || true; done
load_pids=()
sleep 2
echo "after the load (2 s later): $(sample "$((SECONDS - start))")"
sample "$((SECONDS - start))" >"$work/idle"

echo
echo "wrk (keep-alive mix):"
sed -n '/requests in/,$p' "$work/wrk.out" | sed 's/^/  /'
echo "new-connection client (per kind; 'error' = the client's own socket error):"
sed 's/^/  /' "$work/churn.out"
python3 - "$work/samples" "$MINUTES" "$work/idle" <<'PY'
import sys
load = [l.split() for l in open(sys.argv[1]).read().splitlines()[1:]]
warm = [r for r in load if int(r[0]) >= int(load[-1][0]) / 5] or load
first, last = warm[0], load[-1]
print(f"\nafter warm-up ({first[0]} s to {last[0]} s of {sys.argv[2]} min):")
for i, name in [(1, "RSS KiB"), (2, "open fds"), (3, "threads")]:
    vals = [int(r[i]) for r in warm]
    print(f"  {name:<9} first {int(first[i]):>7}  last {int(last[i]):>7}  min {min(vals):>7}  max {max(vals):>7}  growth {int(last[i]) - int(first[i]):+d}")
idle = open(sys.argv[3]).read().split()
print(f"  after the load: RSS {idle[1]} KiB, {idle[2]} fds, {idle[3]} threads")
PY
