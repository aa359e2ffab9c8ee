#!/usr/bin/env bash
# Where waymark's static file server spends its CPU: perf record (call graphs from DWARF line
# tables) of bench/src/bin/waymark_files.rs on CPU 0 while wrk (`nice`d, CPU 1) fetches one file.
#
#   bench/scripts/perf_files.sh small|large [SECS=8]
#
# Writes bench/results/perf-files-<file>-<date>.txt: perf report by symbol (self time), by thread
# and by thread + call chain, and the syscall counts of a further 3 s under `strace -c -f`.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/common.sh
file=${1:-small}
SECS=${2:-8}
conns=64 timeout=2s; [[ $file == large ]] && conns=4 timeout=60s
cargo build --release -q --bin waymark_files
WORK=$(mktemp -d /tmp/waymark-bench-perf.XXXXXX)
trap 'stop_server; rm -rf "$WORK"' EXIT INT TERM
mkdir -p "$WORK/public"
head -c 1024 /dev/urandom > "$WORK/public/small.bin"
head -c $((100 << 20)) /dev/urandom > "$WORK/public/large.bin"
port=18900
BENCH_SERVER_MAX_SECS=$((SECS + 60)) start_server $((SECS + 60)) "$port" target/release/waymark_files "$port" "$WORK/public"
load timeout $((SECS + 30)) wrk -t1 -c"$conns" -d"$((SECS + 2))s" --timeout "$timeout" "http://127.0.0.1:$port/static/$file.bin" > "$WORK/wrk.txt" &
sleep 1
perf record -q -F 999 -g -p "$SPID" -o "$WORK/perf.data" -- sleep "$((SECS - 3))" 2>/dev/null || true
timeout -s INT 3 strace -c -f -p "$SPID" -o "$WORK/strace.txt" 2>/dev/null || true
wait
OUT=results/perf-files-$file-$(date -u +%Y%m%dT%H%M%SZ).txt
{
  echo "# perf record -F 999 -g -p waymark_files, $SECS s, wrk -c$conns on $file.bin; load average $(cut -d' ' -f1-3 /proc/loadavg)"
  cat "$WORK/wrk.txt"
  echo "## by symbol, self time (perf report --no-children --sort dso,sym)"
  perf report -i "$WORK/perf.data" --no-children --sort dso,sym --stdio -g none 2>/dev/null | grep -v '^$' | head -60  || true
  echo "## by thread (perf report --sort comm)"
  perf report -i "$WORK/perf.data" --no-children --sort comm --stdio -g none 2>/dev/null | grep -v '^#' | grep -v '^$' | head -10 || true
  echo "## callers of the top symbols (perf report --no-children -g caller, first lines)"
  perf report -i "$WORK/perf.data" --no-children --sort sym --stdio -g caller,0.5,callee,function,percent --percent-limit 3 2>/dev/null | grep -v '^#' | grep -v '^$' | head -120 || true
  echo "## syscalls over 3 s (strace -c -f)"
  cat "$WORK/strace.txt" 2>/dev/null || true
} > "$OUT"
echo "$OUT"
