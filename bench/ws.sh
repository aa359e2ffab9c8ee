#!/usr/bin/env bash
# WebSocket echo on loopback (issue 10): waymark's `ws` feature (bench/src/bin/waymark_ws.rs, the
# echo handler of tests/ws.rs) against axum 0.8's WebSocket (bench/src/bin/axum_ws.rs), both on a
# current-thread runtime on CPU 0, driven by the same client (bench/src/bin/ws_client.rs,
# tokio-tungstenite, `nice`d on CPU 1): N connections, each sending M binary messages of 64 bytes,
# one at a time, awaiting each echo.
#
#   bench/ws.sh [ROUNDS=3] [N=64] [M=3000]
#
# Per run: messages/s from the client (handshakes excluded); server CPU from
# /proc/PID/task/*/schedstat over the whole client run (handshakes included, 64 of them), per
# message. Raw rows go to bench/results/ws-<date>.tsv.
set -euo pipefail
cd "$(dirname "$0")"
source scripts/common.sh

ROUNDS=${1:-3}
N=${2:-64}
M=${3:-3000}
SERVERS=(waymark axum)

cargo build --release -q --bin waymark_ws --bin axum_ws --bin ws_client
trap 'stop_server' EXIT INT TERM

mkdir -p results
OUT=results/ws-$(date -u +%Y%m%dT%H%M%SZ).tsv
printf 'case\tround\tserver\tmessages\tseconds\tmsgs_per_s\tcpu_ms\tcpu_us_per_msg\tload1\n' > "$OUT"

port=18700
for round in $(seq 1 "$ROUNDS"); do
  order=("${SERVERS[@]:$(( (round - 1) % 2 ))}" "${SERVERS[@]:0:$(( (round - 1) % 2 ))}")
  for server in "${order[@]}"; do
    port=$((port + 1))
    BENCH_SERVER_MAX_SECS=180 start_server 180 "$port" "target/release/${server}_ws" "$port"
    load1=$(loadavg)
    before_ns=$(cpu_ns "$SPID")
    read -r msgs secs rate <<<"$(load timeout 150 target/release/ws_client "ws://127.0.0.1:$port/echo" "$N" "$M" 64)"
    after_ns=$(cpu_ns "$SPID")
    stop_server
    cpu_ms=$(awk -v a="$after_ns" -v b="$before_ns" 'BEGIN { printf "%.1f", (a - b) / 1e6 }')
    per=$(awk -v c="$cpu_ms" -v m="$msgs" 'BEGIN { printf "%.3f", c * 1e3 / m }')
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "${N}x${M}x64B" "$round" "$server" "$msgs" "$secs" "$rate" "$cpu_ms" "$per" "$load1" | tee -a "$OUT"
  done
done

python3 scripts/summarize_issue10.py "$OUT" case axum
