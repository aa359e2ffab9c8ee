#!/usr/bin/env bash
# Static files on loopback (issue 10): a 1 KiB and a 100 MiB file, served by waymark's
# `waymark::fs::Dir` (bench/src/bin/waymark_files.rs), nginx (Debian `nginx-light`, one process,
# `sendfile on`) and tower-http's `ServeDir` on axum (bench/src/bin/axum_files.rs), all from the
# same directory. Server on CPU 0, wrk (`nice`d) on CPU 1.
#
#   bench/files.sh [DURATION_SECS=8] [ROUNDS=3] [FILES="small large"]
#
# Per run: wrk -t1 -d DURATION, 64 connections for the 1 KiB file, 4 for the 100 MiB one (with a
# 60 s request timeout: one response can take longer than wrk's default 2 s; MB/s counts every byte
# read in the run, finished responses or not); server
# CPU = run time of all its threads (/proc/PID/task/*/schedstat) over the wrk run, per request and,
# for the large file, per MB (10^6 bytes) sent; utime+stime ticks kept as a cross-check; the 1-minute
# load average before each run. The server order rotates each round. Raw rows go to
# bench/results/files-<date>.tsv, then medians and ratios to nginx are printed.
set -euo pipefail
cd "$(dirname "$0")"
source scripts/common.sh

DURATION=${1:-8}
ROUNDS=${2:-3}
read -r -a FILES <<<"${3:-small large}"
SERVERS=(waymark nginx axum)

command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
command -v nginx >/dev/null || { apt-get update -qq && apt-get install -y -qq nginx-light >/dev/null; }
cargo build --release -q --bin waymark_files --bin axum_files

WORK=$(mktemp -d /tmp/waymark-bench-files.XXXXXX)
trap 'stop_server; rm -rf "$WORK"' EXIT INT TERM
mkdir -p "$WORK/public"
head -c 1024 /dev/urandom > "$WORK/public/small.bin"
head -c $((100 << 20)) /dev/urandom > "$WORK/public/large.bin"
cat "$WORK/public/large.bin" > /dev/null # in the page cache for everyone

mkdir -p results
OUT=results/files-$(date -u +%Y%m%dT%H%M%SZ).tsv
printf 'file\tround\tserver\trequests\treq_per_s\tMB_per_s\tcpu_ticks\tcpu_ms\tcpu_us_per_req\tcpu_us_per_MB\tload1\terrors\n' > "$OUT"

port=18300
for file in "${FILES[@]}"; do
  conns=64 timeout=2s; [[ $file == large ]] && conns=4 timeout=60s
  for round in $(seq 1 "$ROUNDS"); do
    order=("${SERVERS[@]:$(( (round - 1) % 3 ))}" "${SERVERS[@]:0:$(( (round - 1) % 3 ))}")
    for server in "${order[@]}"; do
      port=$((port + 1))
      max=$((DURATION + 60))
      case $server in
        waymark) BENCH_SERVER_MAX_SECS=$max start_server "$max" "$port" target/release/waymark_files "$port" "$WORK/public" ;;
        axum) BENCH_SERVER_MAX_SECS=$max start_server "$max" "$port" target/release/axum_files "$port" "$WORK/public" ;;
        nginx)
          scripts/nginx_conf.sh "$WORK/nginx" "$port"
          ln -sfn "$WORK/public" "$WORK/nginx/public"
          start_server "$max" "$port" nginx -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" ;;
      esac
      url=http://127.0.0.1:$port/static/$file.bin
      got=$(curl -s -o /dev/null -w '%{http_code} %{size_download}' "$url")
      want=1024; [[ $file == large ]] && want=$((100 << 20))
      [[ $got == "200 $want" ]] || { echo "$server $file: got '$got'" >&2; exit 1; }
      load1=$(loadavg)
      before=$(cpu_ticks "$SPID") before_ns=$(cpu_ns "$SPID")
      log=$(load timeout $((DURATION + 30)) wrk -t1 -c"$conns" -d"${DURATION}s" --timeout "$timeout" "$url")
      after=$(cpu_ticks "$SPID") after_ns=$(cpu_ns "$SPID")
      stop_server
      reqs=$(awk '/requests in/ {print $1}' <<<"$log")
      secs=$(awk '/requests in/ {sub(/s,$/, "", $4); print $4}' <<<"$log")
      read_mb=$(to_mb "$(awk '/requests in/ {print $5}' <<<"$log")")
      rps=$(awk '/Requests\/sec/ {print $2}' <<<"$log")
      mbps=$(awk -v b="$read_mb" -v s="$secs" 'BEGIN { printf "%.1f", b / s }')
      errs=$(grep -E 'Socket errors|Non-2xx' <<<"$log" | tr -s ' ' | tr '\n' ' ' || true)
      ticks=$((after - before))
      cpu_ms=$(awk -v a="$after_ns" -v b="$before_ns" 'BEGIN { printf "%.1f", (a - b) / 1e6 }')
      per_req=$(awk -v c="$cpu_ms" -v r="$reqs" 'BEGIN { if (r > 0) printf "%.2f", c * 1e3 / r; else print "-" }')
      per_mb=$(awk -v c="$cpu_ms" -v m="$read_mb" 'BEGIN { printf "%.2f", c * 1e3 / m }')
      printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$file" "$round" "$server" "$reqs" "$rps" "$mbps" "$ticks" "$cpu_ms" "$per_req" "$per_mb" "$load1" "${errs:-none}" | tee -a "$OUT"
    done
  done
done

python3 scripts/summarize_issue10.py "$OUT" file nginx
