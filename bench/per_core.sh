#!/usr/bin/env bash
# Every core: waymark on tokio's multi-threaded runtime (the default way to serve), waymark's
# per-core mode (`ServerBuilder::workers`: one single-threaded runtime per core, SO_REUSEPORT),
# and actix-web with as many workers, all with WORKERS threads (default: every core), in one run,
# interleaved (A B C A B C ...), each run on a fresh process.
#
#   bench/per_core.sh [DURATION_SECS=10] [ROUNDS=5]
#   MODES=keepalive BODIES=plaintext bench/per_core.sh 2 1     # a quick look
#
# Per run: wrk -t2 -c128 -d DURATION --latency, keep-alive and pipelined (depth 16), on
# /plaintext and /json; server CPU = utime+stime from /proc/PID/stat (all threads) over the run.
# The servers may use every core (SERVER_CPUS, default all); wrk runs beside them (WRK_CPUS,
# default all), so on a small machine the client takes its share of the same cores: compare
# CPU µs per request first, and req/s only within one run. Raw rows go to
# bench/results/per_core-<date>.tsv; the medians and the ratios to actix-web and to the
# multi-threaded runtime are printed.
set -euo pipefail
cd "$(dirname "$0")"

DURATION=${1:-10}
ROUNDS=${2:-5}
WORKERS=${WORKERS:-$(nproc)}
CONNS=${CONNS:-128}
DEPTH=16
SERVER_CPUS=${SERVER_CPUS:-0-$(($(nproc) - 1))}
WRK_CPUS=${WRK_CPUS:-0-$(($(nproc) - 1))}
SERVERS=(waymark-mt waymark-per-core actix)
MODES=${MODES:-keepalive pipelined}
BODIES=${BODIES:-plaintext json}

command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
cargo build --release --bins -q
. ../scripts/need.sh
BIN=$(cargo_target_dir)/release

TICK=$(getconf CLK_TCK)
mkdir -p results
OUT=results/per_core-$(date -u +%Y%m%dT%H%M%SZ).tsv
printf 'mode\tbody\tround\tserver\trequests\treq_per_s\tp99_us\tcpu_ticks\tcpu_us_per_req\n' > "$OUT"

PID=
cleanup() { if [[ -n "$PID" ]]; then kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; fi; }
trap cleanup EXIT INT TERM
. scripts/wrk_row.sh


start() {
    local server=$1 port=$2
    export BENCH_WORKERS=$WORKERS BENCH_SERVER_MAX_SECS=$((DURATION + 60))
    case $server in
        waymark-mt) BENCH_MODE=mt taskset -c "$SERVER_CPUS" "$BIN"/waymark_cores "$port" 2>/dev/null & ;;
        waymark-per-core) BENCH_MODE=per-core taskset -c "$SERVER_CPUS" "$BIN"/waymark_cores "$port" 2>/dev/null & ;;
        actix) taskset -c "$SERVER_CPUS" "$BIN"/actix_server "$port" 2>/dev/null & ;;
    esac
    PID=$!
    for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/"$port") 2>/dev/null && return; sleep 0.05; done
    echo "$server did not start" >&2
    exit 1
}

echo "WORKERS=$WORKERS SERVER_CPUS=$SERVER_CPUS WRK_CPUS=$WRK_CPUS wrk -t2 -c$CONNS -d${DURATION}s, $ROUNDS rounds" >&2
port=18300
for mode in $MODES; do
    for body in $BODIES; do
        for round in $(seq 1 "$ROUNDS"); do
            for server in "${SERVERS[@]}"; do
                port=$((port + 1))
                start "$server" "$port"
                wrk_row 2 "$WRK_CPUS" "$server" "$mode" "$body" "$round" "$port"
            done
        done
    done
done

python3 - "$OUT" <<'PY'
import csv, statistics, sys
from collections import defaultdict
rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
cells = defaultdict(list)
for r in rows:
    cells[(r["mode"], r["body"], r["server"])].append(r)
med = lambda key, xs: statistics.median(float(x[key]) for x in xs)
servers = list(dict.fromkeys(r["server"] for r in rows))
for mode in dict.fromkeys(r["mode"] for r in rows):
    for body in dict.fromkeys(r["body"] for r in rows):
        n = len(cells[(mode, body, servers[0])])
        print(f"\n### {mode}, {body} (median of {n})\n")
        print("| server | req/s | x actix | x mt | p99 µs | CPU µs/req | x actix | x mt |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|")
        ax, mt = cells[(mode, body, "actix")], cells[(mode, body, "waymark-mt")]
        for s in servers:
            xs = cells[(mode, body, s)]
            rps, p99, cpu = med("req_per_s", xs), med("p99_us", xs), med("cpu_us_per_req", xs)
            print(f"| {s} | {rps:,.0f} | {rps / med('req_per_s', ax):.2f} | {rps / med('req_per_s', mt):.2f} | {p99:,.0f} | "
                  f"{cpu:.2f} | {cpu / med('cpu_us_per_req', ax):.2f} | {cpu / med('cpu_us_per_req', mt):.2f} |")
PY
