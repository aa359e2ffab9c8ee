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

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# wrk prints latency as 812.00us / 1.23ms / 1.01s
to_us() { awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) print n; else if (v ~ /ms$/) print n * 1000; else if (v ~ /s$/) print n * 1000000; else print n }'; }

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
        wrk_args=(-t1 -c"$CONNS" -d"${DURATION}s" --latency)
        [[ $mode == pipelined ]] && wrk_args+=(-s pipeline.lua)
        wrk_args+=("http://127.0.0.1:$port/$body")
        [[ $mode == pipelined ]] && wrk_args+=(-- "$DEPTH")
        before=$(cpu_ticks "$PID")
        log=$(timeout $((DURATION + 30)) taskset -c "$WRK_CPU" wrk "${wrk_args[@]}")
        after=$(cpu_ticks "$PID")
        cleanup; PID=
        reqs=$(awk '/requests in/ {print $1}' <<<"$log")
        rps=$(awk '/Requests\/sec/ {print $2}' <<<"$log")
        p99=$(to_us "$(awk '$1 == "99%" {print $2}' <<<"$log")")
        errs=$(grep -E 'Socket errors|Non-2xx' <<<"$log" || true)
        [[ -n $errs ]] && echo "  $server $mode $body: $errs" >&2
        ticks=$((after - before))
        cpu=$(awk -v t="$ticks" -v hz="$TICK" -v r="$reqs" 'BEGIN { printf "%.3f", t / hz * 1e6 / r }')
        printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$mode" "$body" "$round" "$server" "$reqs" "$rps" "$p99" "$ticks" "$cpu" | tee -a "$OUT"
      done
    done
  done
done

python3 scripts/summarize_load.py "$OUT"
