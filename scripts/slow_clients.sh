#!/usr/bin/env bash
# Slow and hostile clients (issue 13): slowhttptest's slow headers (-H), slow body (-B) and slow
# read (-X) against examples/stress.rs (release build, max_connections 200), each with more
# connections than the limit, while a curl loop sends normal requests and records their latency.
# Prints one table: per attack, when the server cut the attack's connections, and the normal
# requests' count, failures, p50, p99 and max.
#
#   scripts/slow_clients.sh [SECONDS_PER_ATTACK]     # default 45; loopback only
#
# Installs slowhttptest and curl with apt-get if missing. Takes about 3 x (SECONDS + 5) seconds.
set -euo pipefail
cd "$(dirname "$0")/.."

. scripts/need.sh
need slowhttptest slowhttptest
need curl curl
need python3 python3

SECONDS_PER_ATTACK=${1:-45}
PORT=${PORT:-18431}
MAX_CONNECTIONS=200
ATTACK_CONNECTIONS=400
URL="http://127.0.0.1:$PORT"

cargo build --release --quiet --example stress
target_dir=$(cargo_target_dir)
work=$(mktemp -d)
server_pid=
probe_pid=
cleanup() {
    [ -n "$probe_pid" ] && kill "$probe_pid" 2>/dev/null || true
    [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

PORT=$PORT MAX_CONNECTIONS=$MAX_CONNECTIONS "$target_dir/release/examples/stress" >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 50); do curl -sf -o /dev/null "$URL/" && break; sleep 0.1; done

# Normal requests, one new connection each, for as long as the attack lasts.
probe() {
    local until=$((SECONDS + $1))
    while [ "$SECONDS" -lt "$until" ]; do
        curl -s -o /dev/null --max-time 15 -w '%{http_code} %{time_total}\n' "$URL/" || echo "000 15"
        sleep 0.05
    done
}

run() {
    local name=$1; shift
    echo "== $name: slowhttptest $* ==" >&2
    probe "$SECONDS_PER_ATTACK" >"$work/$name.probe" &
    probe_pid=$!
    nice slowhttptest "$@" -c "$ATTACK_CONNECTIONS" -r 200 -l "$SECONDS_PER_ATTACK" -p 5 -g -o "$work/$name" \
        >"$work/$name.out" 2>&1 || true
    wait "$probe_pid" || true
    probe_pid=
    kill -0 "$server_pid" 2>/dev/null || { echo "the server died during $name" >&2; exit 1; }
    sleep 5 # the attack's leftovers close before the next one
}

run slow_headers -H -i 5 -u "$URL/"
run slow_body -B -i 5 -s 100000 -t POST -u "$URL/echo"
run slow_read -X -k 3 -n 1 -z 32 -w 512 -y 1024 -u "$URL/big"

python3 - "$work" "$SECONDS_PER_ATTACK" "$MAX_CONNECTIONS" "$ATTACK_CONNECTIONS" <<'PY'
import csv, statistics, sys
work, length, limit, conns = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
print(f"\nmax_connections {limit}, {conns} attack connections per run, {length} s per run, loopback")
print(f"{'attack':<13} {'peak open':>9} {'first cut':>9} {'cut by end':>10} {'open at end':>11} {'normal req':>10} {'failed':>6} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}")
for name in ["slow_headers", "slow_body", "slow_read"]:
    rows = list(csv.DictReader(open(f"{work}/{name}.csv")))
    key = lambda r, k: int(next(v for kk, v in r.items() if kk.strip().lower() == k))
    peak = max(key(r, "connected") for r in rows)
    first_cut = next((f"{r['Seconds'].strip()} s" for r in rows if key(r, "closed") > 0), "-")
    closed, still_open = key(rows[-1], "closed"), key(rows[-1], "connected")
    samples = [l.split() for l in open(f"{work}/{name}.probe") if l.strip()]
    ok = sorted(float(t) * 1000 for code, t in samples if code == "200")
    failed = sum(1 for code, _ in samples if code != "200")
    q = lambda p: ok[min(len(ok) - 1, int(p * len(ok)))] if ok else float("nan")
    print(f"{name:<13} {peak:>9} {first_cut:>9} {closed:>10} {still_open:>11} {len(samples):>10} {failed:>6} {q(0.5):>8.1f} {q(0.99):>8.1f} {(ok[-1] if ok else 0):>8.1f}")
print("peak open / first cut / cut by end / open at end: slowhttptest's per-second counts (open counts")
print("connections the kernel completed, also those waiting in the listen backlog past max_connections);")
print("first cut: seconds from the attack's start. Normal requests: curl, a new connection each,")
print("'failed' = no answer within 15 s. Documented timeouts: head 10 s, body 30 s (+1 s per 64 KiB).")
PY
