#!/usr/bin/env bash
# End-to-end throughput, latency and server CPU per request: waymark, axum, actix-web and a bare
# tokio loop (canned bytes, the ceiling), on loopback, server pinned to CPU 0 and wrk to CPU 1.
#
#   bench/load.sh [DURATION_SECS=8] [ROUNDS=3]
#
# For each mode (keep-alive; pipelined depth 16) and body (plaintext; json), the servers run in
# turn, A B C D A B C D ..., ROUNDS times, each on a fresh process. Per run: wrk -t1 -c64
# -d DURATION --latency; server CPU = utime+stime from /proc/PID/stat (all threads) over the wrk run.
# Raw rows go to bench/results/load-<date>.tsv, then the medians and ratios to axum are printed.
set -euo pipefail
cd "$(dirname "$0")"

DURATION=${1:-8}
ROUNDS=${2:-3}
CONNS=64
DEPTH=16
SERVERS=(waymark axum actix bare)
SERVER_CPU=${SERVER_CPU:-0}
WRK_CPU=${WRK_CPU:-1}

command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
cargo build --release --bins -q

TICK=$(getconf CLK_TCK)
mkdir -p results
OUT=results/load-$(date -u +%Y%m%dT%H%M%SZ).tsv
printf 'mode\tbody\tround\tserver\trequests\treq_per_s\tp99_us\tcpu_ticks\tcpu_us_per_req\n' > "$OUT"

PID=
cleanup() { if [[ -n "$PID" ]]; then kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; fi; }
trap cleanup EXIT INT TERM
. scripts/wrk_row.sh


port=18100
for mode in keepalive pipelined; do
  for body in plaintext json; do
    for round in $(seq 1 "$ROUNDS"); do
      for server in "${SERVERS[@]}"; do
        port=$((port + 1))
        args=("$port")
        [[ $server == bare && $body == json ]] && args+=(json)
        BENCH_SERVER_MAX_SECS=$((DURATION + 60)) taskset -c "$SERVER_CPU" "target/release/${server}_server" "${args[@]}" 2>/dev/null &
        PID=$!
        for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.05; done
        wrk_row 1 "$WRK_CPU" "$server" "$mode" "$body" "$round" "$port"
      done
    done
  done
done

python3 scripts/summarize_load.py "$OUT"
