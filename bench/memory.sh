#!/usr/bin/env bash
# Memory: server RSS idle and with N idle keep-alive connections (each answered one request),
# waymark vs axum, alternating, ROUNDS times.
#
#   bench/memory.sh [N=5000] [ROUNDS=2]
set -euo pipefail
cd "$(dirname "$0")"
N=${1:-5000}
ROUNDS=${2:-2}
ulimit -n "$(ulimit -Hn)"   # raise the soft limit to the hard one (5,000 conns + the server's fds)
cargo build --release --bins -q

PID=
cleanup() { if [[ -n "$PID" ]]; then kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; fi; }
trap cleanup EXIT INT TERM
rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }

mkdir -p results
OUT=results/memory-$(date -u +%Y%m%dT%H%M%SZ).tsv
printf 'round\tserver\tconns\trss_idle_kib\trss_conns_kib\tkib_per_conn\n' | tee "$OUT"
port=18500
for round in $(seq 1 "$ROUNDS"); do
  for server in waymark axum; do
    port=$((port + 1))
    BENCH_SERVER_MAX_SECS=120 "target/release/${server}_server" "$port" 2>/dev/null &
    PID=$!
    for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.05; done
    curl -s --max-time 5 "http://127.0.0.1:$port/plaintext" >/dev/null
    sleep 0.5
    idle=$(rss_kib "$PID")
    fifo=$(mktemp -u); mkfifo "$fifo"
    timeout 150 python3 scripts/hold_conns.py "$port" "$N" 10 > "$fifo" &
    client=$!
    read -r line < "$fifo"; rm -f "$fifo"
    [[ $line == ready ]] || { echo "client failed: $line" >&2; exit 1; }
    sleep 2
    held=$(rss_kib "$PID")
    kill "$client" 2>/dev/null || true; wait "$client" 2>/dev/null || true
    cleanup; PID=
    per=$(awk -v a="$idle" -v b="$held" -v n="$N" 'BEGIN { printf "%.2f", (b - a) / n }')
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$round" "$server" "$N" "$idle" "$held" "$per" | tee -a "$OUT"
  done
done
