#!/usr/bin/env bash
# Uploads on loopback (issue 10): a 1 GiB `PUT /upload/NAME` with curl into examples/files.rs
# (release build, its own target dir) and into nginx (Debian `nginx-light`, one process,
# `dav_methods PUT`: the body goes to a temporary file on the same filesystem, then is renamed).
# Server on CPU 0, curl (`nice`d) on CPU 1. Both store the file; it is deleted after each run and
# `sync` runs before the next, outside the timing.
#
#   bench/uploads.sh [ROUNDS=3] [SIZE_MIB=1024]
#
# Per run: curl -T (no `Expect: 100-continue`, so neither server's answer to it is timed) gives
# the MB/s (10^6 bytes); server CPU from /proc/PID/task/*/schedstat; the server's RSS is sampled
# every 10 ms during the upload and its growth is the peak minus the RSS just before (after one
# small warm-up upload), with VmHWM as a cross-check. Raw rows go to bench/results/uploads-<date>.tsv.
set -euo pipefail
cd "$(dirname "$0")"
source scripts/common.sh

ROUNDS=${1:-3}
SIZE_MIB=${2:-1024}
SERVERS=(waymark nginx)
TARGET=${WAYMARK_TARGET_DIR:-/work/target-b10}

command -v nginx >/dev/null || { apt-get update -qq && apt-get install -y -qq nginx-light >/dev/null; }
(cd .. && CARGO_TARGET_DIR=$TARGET cargo build --release -q --example files)
FILES=$TARGET/release/examples/files

WORK=$(mktemp -d /tmp/waymark-bench-uploads.XXXXXX)
SAMPLER=
trap 'stop_server; [[ -n $SAMPLER ]] && kill $SAMPLER 2>/dev/null; rm -rf "$WORK"' EXIT INT TERM
head -c $((SIZE_MIB << 20)) /dev/urandom > "$WORK/body.bin"
head -c 4096 /dev/urandom > "$WORK/warm.bin"
mkdir -p "$WORK/waymark"

mkdir -p results
OUT=results/uploads-$(date -u +%Y%m%dT%H%M%SZ).tsv
printf 'case\tround\tserver\tstatus\tseconds\tMB_per_s\tcpu_ms\tcpu_us_per_MB\trss_before_kib\trss_peak_kib\trss_growth_kib\thwm_kib\tload1\n' > "$OUT"

put() { curl -sS -H 'Expect:' -o /dev/null -w '%{http_code} %{time_total} %{speed_upload}' -T "$1" "$2"; }

port=18500
for round in $(seq 1 "$ROUNDS"); do
  order=("${SERVERS[@]:$(( (round - 1) % 2 ))}" "${SERVERS[@]:0:$(( (round - 1) % 2 ))}")
  for server in "${order[@]}"; do
    port=$((port + 1))
    case $server in
      waymark)
        dest=$WORK/waymark
        PORT=$port start_server 180 "$port" "$FILES" "$dest" ;;
      nginx)
        scripts/nginx_conf.sh "$WORK/nginx" "$port"
        dest=$WORK/nginx/uploads
        start_server 180 "$port" nginx -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" ;;
    esac
    base=http://127.0.0.1:$port/upload
    read -r code _ _ <<<"$(put "$WORK/warm.bin" "$base/warm-$round.bin")"
    [[ $code == 201 ]] || { echo "$server warm-up upload: $code" >&2; exit 1; }
    sync
    rss0=$(rss_kib "$SPID")
    ( peak=0; while :; do r=$(rss_kib "$SPID" 2>/dev/null) || break; (( r > peak )) && peak=$r && echo "$peak" > "$WORK/peak"; sleep 0.01; done ) &
    SAMPLER=$!
    load1=$(loadavg)
    before_ns=$(cpu_ns "$SPID")
    read -r code secs speed <<<"$(load timeout 120 curl -sS -H 'Expect:' -o /dev/null -w '%{http_code} %{time_total} %{speed_upload}' -T "$WORK/body.bin" "$base/big-$round.bin")"
    after_ns=$(cpu_ns "$SPID")
    hwm=$(awk '/^VmHWM:/ {print $2}' "/proc/$SPID/status")
    kill "$SAMPLER" 2>/dev/null || true; wait "$SAMPLER" 2>/dev/null || true; SAMPLER=
    peak=$(cat "$WORK/peak" 2>/dev/null || echo "$rss0")
    stop_server
    size=$(stat -c %s "$dest/big-$round.bin" 2>/dev/null || echo 0)
    [[ $code == 201 && $size == $((SIZE_MIB << 20)) ]] || echo "$server round $round: status $code, stored $size bytes" >&2
    rm -f "$dest"/big-*.bin "$dest"/warm-*.bin "$WORK/peak"
    mbps=$(awk -v s="$speed" 'BEGIN { printf "%.1f", s / 1e6 }')
    cpu_ms=$(awk -v a="$after_ns" -v b="$before_ns" 'BEGIN { printf "%.1f", (a - b) / 1e6 }')
    per_mb=$(awk -v c="$cpu_ms" -v n="$SIZE_MIB" 'BEGIN { printf "%.1f", c * 1e3 / (n * 1048576 / 1e6) }')
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "put-${SIZE_MIB}MiB" "$round" "$server" "$code" "$secs" "$mbps" "$cpu_ms" "$per_mb" "$rss0" "$peak" "$((peak - rss0))" "$hwm" "$load1" | tee -a "$OUT"
    sync
  done
done

python3 scripts/summarize_issue10.py "$OUT" case nginx
