#!/usr/bin/env bash
# Issue 9 ("serve anywhere"): does the generic connection code cost the native HTTP/1.1 path
# anything, and how does HTTP/2 through hyper compare with axum on the same hyper?
#
#   bench/serve_anywhere.sh [DURATION_SECS=5] [ROUNDS=3] [BEFORE=b70148c] [AFTER=HEAD]
#
# Builds bench/'s waymark_server at BEFORE and AFTER (with bare_server, the bare tokio loop, at
# AFTER), AFTER (and BEFORE, if it has the feature: b70148c has not) with waymark's `http2`
# feature (h2c sniffing on), and axum_server with axum's `http2` feature, each from a `git
# archive` in a temporary directory (the bench workspace itself is not changed). The http2 build
# leaves actix-web out: actix-router turns on tracing's
# `log` feature, which made every span of the h2 crate cost both servers about a quarter more
# (callgrind: axum 39.8k -> 30.3k instructions per request without it), a cost neither a waymark
# nor an axum application has. Then, interleaved, ROUNDS times:
#   h1: wrk -t1 -c64, keep-alive and pipelined depth 16, /plaintext: before, after, after+http2,
#       bare;
#   h2: h2load -t1 (1 connection x 100 streams; 64 connections x 10 streams), /plaintext: waymark
#       (http2) at BEFORE and AFTER, and axum (http2).
# Server on CPU 0, client on CPU 1; server CPU per request = (utime+stime) / requests. The order
# of the servers rotates from round to round.
set -euo pipefail
cd "$(dirname "$0")/.."

D=${1:-5}; R=${2:-3}; BEFORE=${3:-b70148c}; AFTER=${4:-HEAD}
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
command -v h2load >/dev/null || { apt-get update -qq && apt-get install -y -qq nghttp2-client >/dev/null; }

WORK=$(mktemp -d)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$WORK/target}
build() { # name rev sed-expression bins...
    local name=$1 rev=$2 expr=$3; shift 3
    mkdir -p "$WORK/$name" && git archive "$rev" | tar -x -C "$WORK/$name"
    [[ -n $expr ]] && sed -i "$expr" "$WORK/$name/bench/Cargo.toml"
    (cd "$WORK/$name/bench" && cargo build --release -q $(printf -- '--bin %s ' "$@"))
    for bin in "$@"; do cp "$CARGO_TARGET_DIR/release/$bin" "$WORK/$name-$bin"; done
}
# waymark's `http2` feature whether its line has a feature list or not (it has one since issue 10).
H2='/^actix-web = /d; s|"http1", "tokio"|"http1", "http2", "tokio"|; s|^waymark = { path = ".." }|waymark = { path = "..", features = ["http2"] }|; t; /^waymark = /s|features = \[|features = ["http2", |'
build before "$BEFORE" "" waymark_server
build after "$AFTER" "" waymark_server bare_server
# A BEFORE older than issue 9 (b70148c) has no `http2` feature: its h2 column is left out.
h2_servers=(after-h2-waymark_server after-h2-axum_server)
if git show "$BEFORE:Cargo.toml" | grep -q '^http2 = '; then
    build before-h2 "$BEFORE" "$H2" waymark_server
    h2_servers=(before-h2-waymark_server "${h2_servers[@]}")
fi
build after-h2 "$AFTER" "$H2" waymark_server axum_server

TICK=$(getconf CLK_TCK)
PID=
cleanup() { if [[ -n "$PID" ]]; then kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; fi; }
trap 'cleanup; rm -rf "$WORK"' EXIT INT TERM
cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }
per_req() { awk -v t="$1" -v hz="$TICK" -v n="$2" 'BEGIN { printf "%.3f", t / hz * 1e6 / n }'; }
port=19100
start() {
    port=$((port + 1))
    BENCH_SERVER_MAX_SECS=$((D + 60)) taskset -c 0 "$1" "$port" 2>/dev/null &
    PID=$!
    for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.05; done
}

printf 'proto\tmode\tround\tserver\treq_per_s\tcpu_us_per_req\n'
for mode in keepalive pipelined; do
    for round in $(seq 1 "$R"); do
        # The order rotates each round, so that a drift in machine load does not favour one.
        order=(before-waymark_server after-waymark_server after-h2-waymark_server after-bare_server)
        order=("${order[@]:$((round % 4))}" "${order[@]:0:$((round % 4))}")
        for v in "${order[@]}"; do
            start "$WORK/$v"
            args=(-t1 -c64 -d"${D}s")
            [[ $mode == pipelined ]] && args+=(-s bench/pipeline.lua)
            args+=("http://127.0.0.1:$port/plaintext")
            [[ $mode == pipelined ]] && args+=(-- 16)
            b=$(cpu "$PID"); log=$(taskset -c 1 wrk "${args[@]}"); a=$(cpu "$PID"); cleanup; PID=
            reqs=$(awk '/requests in/ {print $1}' <<<"$log")
            rps=$(awk '/Requests\/sec/ {print $2}' <<<"$log")
            printf 'h1\t%s\t%s\t%s\t%s\t%s\n' "$mode" "$round" "${v%-waymark_server}" "$rps" "$(per_req $((a - b)) "$reqs")"
        done
    done
done
for shape in "1 100" "64 10"; do
    read -r conns streams <<<"$shape"
    for round in $(seq 1 "$R"); do
        order=("${h2_servers[@]}")
        n=${#order[@]}
        order=("${order[@]:$((round % n))}" "${order[@]:0:$((round % n))}")
        for v in "${order[@]}"; do
            start "$WORK/$v"
            b=$(cpu "$PID")
            log=$(taskset -c 1 h2load -t1 -c"$conns" -m"$streams" -D "$D" "http://127.0.0.1:$port/plaintext" 2>&1)
            a=$(cpu "$PID"); cleanup; PID=
            ok=$(awk '/^requests:/ {print $8}' <<<"$log")
            failed=$(awk '/^requests:/ {print $10 + $12}' <<<"$log")
            rps=$(awk '/^finished in/ {print $4}' <<<"$log")
            [[ $failed != 0 ]] && echo "  $v: $failed failed or errored" >&2
            printf 'h2\tc%s-m%s\t%s\t%s\t%s\t%s\n' "$conns" "$streams" "$round" "${v%_server}" "$rps" "$(per_req $((a - b)) "$ok")"
        done
    done
done
