#!/usr/bin/env bash
# The 1,000-route rebuild, interleaved across checkouts: after one build each, N rounds of touching
# bench/buildcost/routes1000/src/main.rs and rebuilding it (dev profile) in every TREE in turn.
# Prints CPU seconds (user+sys of cargo and the processes it waits for) per rebuild, then each
# tree's median and its ratio to the first tree's. More samples than buildcost.sh's three per
# round, for a goal ("no slower than b70148c") that is within a few percent.
#
#   bench/rebuild1000.sh N TREE... (e.g. bench/rebuild1000.sh 8 . /work/wt-b70148c)
set -euo pipefail
N=$1
shift
TIMES=$(mktemp)
OUT=$(mktemp)
trap 'rm -f "$TIMES" "$OUT"' EXIT
build() { # TREE: one build of routes1000 in TREE's own bench target dir
  (cd "$1/bench/buildcost" && CARGO_TARGET_DIR=../target/buildcost-routes1000 cargo build -q -p routes1000 >/dev/null 2>&1)
}
for t in "$@"; do build "$t"; done
for i in $(seq "$N"); do
  for t in "$@"; do
    touch "$t/bench/buildcost/routes1000/src/main.rs"
    /usr/bin/time -f '%U %S' -o "$TIMES" bash -c "$(declare -f build); build '$t'"
    cpu=$(awk '{ printf "%.2f", $1 + $2 }' "$TIMES")
    echo "$i $t $cpu" | tee -a "$OUT"
  done
done
echo "# load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
for t in "$@"; do
  awk -v t="$t" '$2 == t { print $3 }' "$OUT" | sort -n | awk '{ a[NR] = $1 } END { m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2; print m }'
done | awk -v trees="$*" 'BEGIN { split(trees, t, " ") } { if (NR == 1) first = $1; printf "median %s: %.3f s CPU (%.2fx the first)\n", t[NR], $1, $1 / first }'
