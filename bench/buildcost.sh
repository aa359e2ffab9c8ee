#!/usr/bin/env bash
# Build cost (dev profile, `cargo build`): clean build (whole dependency tree, own target dir) and
# incremental rebuild after touching the handlers file, of the same small API with waymark and
# with axum; and the rebuild time of a 1,000-route waymark table (its crate only, deps built).
#
#   bench/buildcost.sh [ROUNDS=2]     (each round: clean builds, then 3 incremental rebuilds each)
set -euo pipefail
cd "$(dirname "$0")/buildcost"
ROUNDS=${1:-2}
cargo fetch -q
t() { local s; s=$(date +%s.%N); "$@" >/dev/null 2>&1 || { echo "failed: $*" >&2; exit 1; }; awk -v s="$s" -v e="$(date +%s.%N)" 'BEGIN { printf "%.2f", e - s }'; }

mkdir -p ../results
OUT=../results/buildcost-$(date -u +%Y%m%dT%H%M%SZ).tsv
printf 'round\tcrate\tkind\tseconds\n' | tee "$OUT"
for round in $(seq 1 "$ROUNDS"); do
  for crate in api_waymark api_axum routes1000; do
    dir=../target/buildcost-$crate
    rm -rf "$dir"
    secs=$(t timeout 900 env CARGO_TARGET_DIR="$dir" cargo build -p "$crate")
    printf '%s\t%s\tclean\t%s\n' "$round" "$crate" "$secs" | tee -a "$OUT"
    file=$crate/src/handlers.rs
    [[ $crate == routes1000 ]] && file=$crate/src/main.rs
    for i in 1 2 3; do
      touch "$file"
      secs=$(t timeout 600 env CARGO_TARGET_DIR="$dir" cargo build -p "$crate")
      printf '%s\t%s\ttouch\t%s\n' "$round" "$crate" "$secs" | tee -a "$OUT"
    done
  done
done
