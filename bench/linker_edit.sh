#!/usr/bin/env bash
# The edit-one-route rebuild (as in buildcost.sh) with the default linker and with mold, for the
# waymark and the axum fixture: does a faster linker, the user's choice, bring waymark's edit to
# 0.5x axum's? Each configuration has its own target dir, is built once to warm it, then N
# rounds edit the `/health` handler's string (scripts/route_edit.sh, as buildcost.sh does) and
# rebuild, the four configurations interleaved. Prints one row per rebuild (configuration, CPU
# seconds user+sys) and the medians with their ratios.
#
#   bench/linker_edit.sh [N=6]
set -euo pipefail
cd "$(dirname "$0")/buildcost"
N=${1:-6}
command -v mold >/dev/null || { apt-get update -qq && apt-get install -y -qq mold >/dev/null; }
MOLD=-Clink-arg=-fuse-ld=mold
configs=("waymark api_waymark" "waymark+mold api_waymark $MOLD" "axum api_axum" "axum+mold api_axum $MOLD")
# shellcheck source=scripts/route_edit.sh
source ../scripts/route_edit.sh
trap restore_routes EXIT
TIMES=$(mktemp)
# build NAME CRATE [RUSTFLAGS]: prints NAME and the CPU seconds of one `cargo build`.
build() {
  /usr/bin/time -o "$TIMES" -f '%U %S' env CARGO_TARGET_DIR="../target/linker-${1/+/-}" RUSTFLAGS="${3:-}" \
    cargo build -q -p "$2" >/dev/null 2>&1
  awk -v n="$1" '{ printf "%s\t%.2f\n", n, $1 + $2 }' "$TIMES"
}
for c in "${configs[@]}"; do build $c >/dev/null; done
echo "# $(date -u +%FT%TZ) load: $(cut -d' ' -f1-3 /proc/loadavg)"
rows=$(for _ in $(seq "$N"); do for c in "${configs[@]}"; do set -- $c; edit_route "$2"; build $c; done; done)
echo "$rows"
echo "$rows" | python3 -c '
import statistics, sys, collections
d = collections.defaultdict(list)
for line in sys.stdin:
    name, cpu = line.split()
    d[name].append(float(cpu))
m = {k: statistics.median(v) for k, v in d.items()}
print("# medians: " + ", ".join("%s %.2f s" % kv for kv in m.items()))
w, wm, a, am = m["waymark"], m["waymark+mold"], m["axum"], m["axum+mold"]
print("# waymark / axum %.2fx; waymark+mold / axum %.2fx; waymark+mold / axum+mold %.2fx" % (w / a, wm / a, wm / am))'
