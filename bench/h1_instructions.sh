#!/usr/bin/env bash
# User-space instructions per HTTP/1.1 request of a server binary, under callgrind: the server
# runs with instrumentation off, wrk warms it up for 2 s, then instrumentation is on for a 10 s
# wrk run (-t1 -c64, /plaintext, keep-alive or pipelined depth 16), and the instruction total is
# divided by the requests wrk counted. Instruction counts do not move with the machine's load,
# so two binaries can be compared on a busy machine.
#
#   bench/h1_instructions.sh BINARY [PORT=19400] [MODE=keepalive|pipelined]
#
# BINARY is a bench server taking its port as first argument (waymark_server, bare_server, ...),
# e.g. built with `cd bench && cargo build --release --bin waymark_server`. With CG_OUT=FILE set,
# the callgrind profile is kept there, for `callgrind_annotate`.
set -euo pipefail
BIN=$1 PORT=${2:-19400} MODE=${3:-keepalive}
cd "$(dirname "$0")"
command -v valgrind >/dev/null || { apt-get update -qq && apt-get install -y -qq valgrind >/dev/null; }
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
out=$(mktemp -d)
trap 'kill "$VPID" 2>/dev/null || true; rm -rf "$out"' EXIT
BENCH_SERVER_MAX_SECS=60 valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$out/cg.out" \
    "$BIN" "$PORT" 2>/dev/null &
VPID=$!
for _ in $(seq 200); do (exec 3<>/dev/tcp/127.0.0.1/$PORT) 2>/dev/null && break; sleep 0.1; done
args=(-t1 -c64)
extra=()
if [[ $MODE == pipelined ]]; then args+=(-s pipeline.lua); extra=(-- 16); fi
url=http://127.0.0.1:$PORT/plaintext
wrk "${args[@]}" -d2s "$url" "${extra[@]}" >/dev/null
callgrind_control -i on "$VPID" >/dev/null
log=$(wrk "${args[@]}" -d10s "$url" "${extra[@]}")
callgrind_control -i off "$VPID" >/dev/null
callgrind_control -d "$VPID" >/dev/null
sleep 1
reqs=$(awk '/requests in/ {print $1}' <<<"$log")
ir=$(cat "$out"/cg.out* | awk '/^(summary|totals):/ {s += $2} END {printf "%.0f", s}')
if [[ -n ${CG_OUT:-} ]]; then cat "$out"/cg.out* > "$CG_OUT"; fi
echo "$MODE $(basename "$BIN") requests=$reqs instructions_per_request=$((ir / reqs))"
