#!/usr/bin/env bash
# Build cost (dev profile, `cargo build`) as CPU time (user+sys of cargo and the rustc processes it
# waits for), with the ratios of the issue 8 goals computed within each round:
#   - clean build of the same small API with waymark and with axum (whole dependency tree, own
#     target dir), the two in alternating order;
#   - rebuild after editing one route (the `/health` handler's string, in both fixtures' main.rs)
#     and after touching the handlers file, waymark and axum interleaved;
#   - rebuild of a 1,000-route waymark table after touching its file, interleaved with the same
#     fixture in another checkout when BASE is given (e.g. a `git worktree` at an older commit).
#
#   bench/buildcost.sh [ROUNDS=2] [BASE=/path/to/other/checkout]
#
# Wall-clock seconds are recorded too, but on a shared machine CPU time is the measure; the load
# average is printed at the start of each round.
set -euo pipefail
cd "$(dirname "$0")/buildcost"
ROUNDS=${1:-2}
BASE=${2:-}
cargo fetch -q
[[ -n $BASE ]] && (cd "$BASE/bench/buildcost" && cargo fetch -q)

mkdir -p ../results
OUT=../results/buildcost-$(date -u +%Y%m%dT%H%M%SZ).tsv
LOG=$PWD/$OUT.cargo.log TIMES=$(mktemp)
printf 'round\tcrate\tkind\twall_s\tcpu_s\n' | tee "$OUT"

# build TREE CRATE KIND ROUND: one `cargo build`, its wall and CPU seconds appended to the table.
build() {
  local tree=$1 crate=$2 kind=$3 round=$4 name=$2 times
  [[ $tree != . ]] && name=$crate@base
  (cd "$tree" && /usr/bin/time -o "$TIMES" -f '%e %U %S' timeout 900 \
    env CARGO_TARGET_DIR="../target/buildcost-$crate" cargo build -q -p "$crate" >/dev/null 2>>"$LOG")
  times=$(tail -1 "$TIMES")
  awk -v r="$round" -v n="$name" -v k="$kind" -v t="$times" \
    'BEGIN { split(t, a, " "); printf "%s\t%s\t%s\t%.2f\t%.2f\n", r, n, k, a[1], a[2] + a[3] }' | tee -a "$OUT"
}

# shellcheck source=scripts/route_edit.sh
source ../scripts/route_edit.sh
trap restore_routes EXIT

base=${BASE:+$BASE/bench/buildcost}
for round in $(seq 1 "$ROUNDS"); do
  echo "# round $round, load average: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$OUT.log"
  order=(api_waymark api_axum)
  ((round % 2 == 0)) && order=(api_axum api_waymark)
  for crate in "${order[@]}"; do
    rm -rf "../target/buildcost-$crate"
    build . "$crate" clean "$round"
  done
  for i in 1 2 3; do
    for crate in "${order[@]}"; do
      edit_route "$crate"
      build . "$crate" edit "$round"
    done
    for crate in "${order[@]}"; do
      touch "$crate/src/handlers.rs"
      build . "$crate" touch "$round"
    done
  done
  build . routes1000 deps "$round"
  [[ -n $base ]] && build "$base" routes1000 deps "$round"
  for i in 1 2 3; do
    touch routes1000/src/main.rs
    build . routes1000 touch "$round"
    if [[ -n $base ]]; then
      touch "$base/routes1000/src/main.rs"
      build "$base" routes1000 touch "$round"
    fi
  done
done
restore_routes

echo
echo "# ratios of CPU time within each round (medians of the 3 rebuilds): $OUT"
awk -F'\t' 'NR > 1 {
    k = $1 SUBSEP $2 SUBSEP $3; n[k]++; v[k, n[k]] = $5; rounds[$1] = 1
  }
  function med(r, c, kind,   k, m, i, j, t, a) {
    k = r SUBSEP c SUBSEP kind; m = n[k]; if (!m) return 0
    for (i = 1; i <= m; i++) a[i] = v[k, i]
    for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
    return a[int((m + 1) / 2)]
  }
  END {
    printf "round\tclean w/a\tedit w/a\ttouch w/a\troutes1000 touch s\tbase s\troutes1000/base\n"
    for (r in rounds) {
      cw = med(r, "api_waymark", "clean"); ca = med(r, "api_axum", "clean")
      ew = med(r, "api_waymark", "edit"); ea = med(r, "api_axum", "edit")
      tw = med(r, "api_waymark", "touch"); ta = med(r, "api_axum", "touch")
      rw = med(r, "routes1000", "touch"); rb = med(r, "routes1000@base", "touch")
      printf "%s\t%.2f (%.1f/%.1f s)\t%.2f\t%.2f\t%.2f\t%s\t%s\n", r, cw / ca, cw, ca, ew / ea, tw / ta, rw,
        rb ? sprintf("%.2f", rb) : "-", rb ? sprintf("%.2f", rw / rb) : "-"
    }
  }' "$OUT" | tee -a "$OUT.log"
