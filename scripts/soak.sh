#!/usr/bin/env bash
# Soak (issue 13): mixed traffic against examples/stress.rs (release build, `ws` feature) for
# MINUTES at a fraction of its measured capacity, sampling the server's RSS, open descriptors,
# threads, live tokio tasks and CPU every INTERVAL seconds; prints the growth after warm-up (the
# first fifth of the run) and draws the curves to a PNG.
#
#   scripts/soak.sh MINUTES [INTERVAL]     # INTERVAL default 10; loopback only
#   LOAD=0.7 PLOT=docs/soak.png CAPACITY_SECONDS=20 PORT=18432   # the defaults
#
# First, CAPACITY_SECONDS of the wrk mix below at full speed measure the capacity (requests/s).
# Then, all at once, load generators under `nice`:
#   - wrk, 8 keep-alive connections, paced to LOAD x that capacity: GET /, a pipelined batch of 4
#     GETs, POST /echo with bodies of 0 B to 256 KiB, GET /big (256 KiB), malformed JSON (400), an
#     unknown path (404), and a body over the route's limit (413);
#   - a Python client, a new connection per request: bodies up to 1 MiB, aborted uploads (half a
#     declared body, then close), garbage request lines (400), oversized heads (431), clients that
#     connect and leave without a byte, and requests left unfinished;
#   - WebSocket churn (Python `websockets`), 4 clients in a loop: open /ws, echo 1 to 5 messages
#     of up to 64 KiB (each checked), then close; one in ten drops the TCP connection instead.
# Tasks come from the example's GET /debug/tasks (tokio's `num_alive_tasks`), the rest from /proc.
# Installs wrk, curl and python3 with apt-get if missing, and websockets and matplotlib into a
# virtualenv under target/soak-venv.
set -euo pipefail
cd "$(dirname "$0")/.."

. scripts/need.sh
need wrk wrk
need curl curl
need python3 python3

MINUTES=${1:?usage: scripts/soak.sh MINUTES [INTERVAL]}
INTERVAL=${2:-10}
PORT=${PORT:-18432}
DURATION=$((MINUTES * 60))
LOAD=${LOAD:-0.7}
PLOT=${PLOT:-docs/soak.png}
CAPACITY_SECONDS=${CAPACITY_SECONDS:-20}

venv=target/soak-venv
need_venv "$venv" 'websockets, matplotlib' 'websockets>=13,<16' 'matplotlib>=3.8,<4'
cargo build --release --quiet --example stress --features ws
target_dir=$(cargo_target_dir)
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
-- RATE (request() calls per second, all connections together; unset: full speed) is kept by
-- handing out send slots RATE apart, through a monotonic clock (LuaJIT's ffi).
local ffi = require("ffi")
ffi.cdef[[ typedef struct { long tv_sec; long tv_nsec; } soak_ts; int clock_gettime(int, soak_ts *); ]]
local ts = ffi.new("soak_ts")
local function now_ms()
    ffi.C.clock_gettime(1, ts)
    return tonumber(ts.tv_sec) * 1000 + tonumber(ts.tv_nsec) / 1e6
end
local rate = tonumber(os.getenv("RATE") or "")
local period = rate and 1000 / rate
local slot = nil
if period then
    delay = function()
        local t = now_ms()
        -- Behind by more than 100 ms (a stall): start again from now rather than burst.
        if slot == nil or slot < t - 100 then slot = t end
        local wait = slot - t
        slot = slot + period
        return math.floor(wait)
    end
end
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

cat >"$work/ws_churn.py" <<'PY'
import asyncio, os, random, sys, time
import websockets
port, until = int(sys.argv[1]), time.time() + float(sys.argv[2])
counts = {}
def count(k):
    counts[k] = counts.get(k, 0) + 1
async def churner():
    while time.time() < until:
        try:
            ws = await websockets.connect(f"ws://127.0.0.1:{port}/ws", max_size=1 << 20, open_timeout=5)
            for _ in range(random.randint(1, 5)):
                msg = os.urandom(random.choice([1, 100, 4096, 65536]))
                msg = msg.hex() if random.random() < 0.5 else msg
                await ws.send(msg)
                back = await asyncio.wait_for(ws.recv(), 5)
                count("echoed" if back == msg else "wrong echo")
            if random.random() < 0.1:
                ws.transport.abort()
                count("dropped")
            else:
                await ws.close()
                count("closed")
        except Exception as e:
            count("error " + type(e).__name__)
            await asyncio.sleep(0.1)
        await asyncio.sleep(0.01)
async def main():
    await asyncio.gather(*(churner() for _ in range(4)))
asyncio.run(main())
print(" ".join(f"{k}={v}" for k, v in sorted(counts.items())))
PY

cpu_ticks() { awk '{print $14 + $15}' "/proc/$server_pid/stat"; }
hz=$(getconf CLK_TCK)
wrk_rate() { awk '/^Requests\/sec:/ {print $2}' "$1"; }

echo "capacity: the wrk mix at full speed for ${CAPACITY_SECONDS} s"
c0=$(cpu_ticks)
nice wrk -t1 -c8 -d"${CAPACITY_SECONDS}s" -s "$work/mix.lua" "http://127.0.0.1:$PORT/" >"$work/capacity.out" 2>&1
c1=$(cpu_ticks)
capacity=$(wrk_rate "$work/capacity.out")
capacity_cpu=$(awk -v t="$((c1 - c0))" -v hz="$hz" -v s="$CAPACITY_SECONDS" 'BEGIN {printf "%.0f", 100 * t / hz / s}')
# A pipelined batch is one request() call and four responses: 13 responses per 10 calls.
rate=$(awk -v c="$capacity" -v l="$LOAD" 'BEGIN {printf "%.0f", c * l * 10 / 13}')
echo "capacity: $capacity requests/s (server CPU ${capacity_cpu}%); pacing wrk to ${LOAD} of it"
echo "machine: $(nproc) cores, $(awk '/^MemTotal:/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo) RAM, kernel $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg)"

RATE=$rate nice wrk -t1 -c8 -d"${DURATION}s" -s "$work/mix.lua" "http://127.0.0.1:$PORT/" >"$work/wrk.out" 2>&1 &
load_pids+=($!)
nice "$venv/bin/python" "$work/ws_churn.py" "$PORT" "$DURATION" >"$work/ws.out" 2>&1 &
load_pids+=($!)
nice python3 "$work/churn.py" "$PORT" "$DURATION" >"$work/churn.out" 2>&1 &
load_pids+=($!)

last_ticks=$(cpu_ticks)
last_at=$SECONDS
sample() {
    local rss threads fds tasks ticks cpu
    rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$server_pid/status")
    threads=$(awk '/^Threads:/ {print $2}' "/proc/$server_pid/status")
    fds=$(ls "/proc/$server_pid/fd" | wc -l)
    # The sampling request's own connection is one of them.
    tasks=$(curl -s --max-time 5 "http://127.0.0.1:$PORT/debug/tasks" || echo -1)
    ticks=$(cpu_ticks)
    cpu=$(awk -v t="$((ticks - last_ticks))" -v hz="$hz" -v s="$((SECONDS - last_at))" 'BEGIN {printf "%.0f", s ? 100 * t / hz / s : 0}')
    last_ticks=$ticks
    last_at=$SECONDS
    echo "$1 $rss $fds $threads $tasks $cpu $(cut -d' ' -f1 /proc/loadavg)"
}
echo "seconds rss_kib fds threads tasks cpu_pct load1" | tee "$work/samples"
start=$SECONDS
# Not in a pipeline: `sample` keeps the CPU counter between calls.
sample 0 >"$work/row" && tee -a "$work/samples" <"$work/row"
# The last sample is taken while the load still runs.
while [ $((SECONDS - start + INTERVAL)) -lt "$DURATION" ]; do
    sleep "$INTERVAL"
    kill -0 "$server_pid" 2>/dev/null || { echo "the server died" >&2; exit 1; }
    sample $((SECONDS - start)) >"$work/row" && tee -a "$work/samples" <"$work/row"
done
for pid in "${load_pids[@]}"; do wait "$pid" || true; done
load_pids=()
sleep 2
echo "after the load (2 s later): $(sample "$((SECONDS - start))")"
sample "$((SECONDS - start))" >"$work/idle"

echo
echo "wrk (keep-alive mix):"
sed -n '/requests in/,$p' "$work/wrk.out" | sed 's/^/  /'
echo "  that is $(awk -v r="$(wrk_rate "$work/wrk.out")" -v c="$capacity" 'BEGIN {printf "%.0f", 100 * r / c}')% of the measured capacity ($capacity requests/s)"
echo "new-connection client (per kind; 'error' = the client's own socket error):"
sed 's/^/  /' "$work/churn.out"
echo "WebSocket churn (echoed = messages checked; closed/dropped = sockets):"
sed 's/^/  /' "$work/ws.out"
mkdir -p "$(dirname "$PLOT")"
cp "$work/samples" "${PLOT%.png}.txt"
"$venv/bin/python" - "$work/samples" "$MINUTES" "$work/idle" "$PLOT" "$LOAD" "$capacity" <<'PY'
import sys
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
samples, minutes, idle, plot, load, capacity = sys.argv[1:]
rows = [[float(x) for x in l.split()] for l in open(samples).read().splitlines()[1:]]
warm = [r for r in rows if r[0] >= rows[-1][0] / 5] or rows
first, last = warm[0], rows[-1]
def slope(i):
    # Least squares over the samples after warm-up, per hour.
    n = len(warm)
    mx = sum(r[0] for r in warm) / n
    my = sum(r[i] for r in warm) / n
    var = sum((r[0] - mx) ** 2 for r in warm)
    return 3600 * sum((r[0] - mx) * (r[i] - my) for r in warm) / var if var else 0.0
series = [(1, "RSS KiB"), (2, "open fds"), (3, "threads"), (4, "tasks"), (5, "CPU %")]
print(f"\nafter warm-up ({first[0]:.0f} s to {last[0]:.0f} s of {minutes} min):")
for i, name in series:
    vals = [r[i] for r in warm]
    print(f"  {name:<9} first {first[i]:>7.0f}  last {last[i]:>7.0f}  min {min(vals):>7.0f}  max {max(vals):>7.0f}"
          f"  growth {last[i] - first[i]:+.0f}  trend {slope(i):+.1f}/hour")
idle_row = open(idle).read().split()
print(f"  after the load: RSS {idle_row[1]} KiB, {idle_row[2]} fds, {idle_row[3]} threads, {idle_row[4]} tasks")

fig, axes = plt.subplots(5, 1, figsize=(9, 11), sharex=True)
t = [r[0] / 60 for r in rows]
for ax, (i, name) in zip(axes, series):
    ax.plot(t, [r[i] / 1024 if i == 1 else r[i] for r in rows], lw=1)
    ax.set_ylabel("RSS MiB" if i == 1 else name)
    ax.axvline(first[0] / 60, color="grey", ls=":", lw=1)
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
axes[-1].set_ylabel("server CPU %\n(100 = one core)")
machine = axes[-1].twinx()
machine.plot(t, [r[6] for r in rows], lw=1, color="grey")
machine.set_ylabel("machine load\n(1 min, grey)")
machine.set_ylim(bottom=0)
axes[-1].set_xlabel("minutes (dotted line: end of warm-up)")
fig.suptitle(f"scripts/soak.sh {minutes}: examples/stress at {load} of {float(capacity):.0f} req/s, sampled every {rows[1][0] - rows[0][0]:.0f} s", fontsize=10)
fig.tight_layout()
fig.savefig(plot, dpi=80)
print(f"  plot: {plot}")
PY
