#!/usr/bin/env bash
# This checkout against another (a `git worktree` at an older commit), for a change that promises
# no change of speed: in one run, interleaved,
#   - instructions per HTTP/1.1 request (bench/h1_instructions.sh), keep-alive and pipelined;
#   - instructions per lookup of the dispatch benchmark (as bench/dispatch_instructions.sh), for
#     matchit, waymark's lookup and waymark's whole dispatch;
#   - CPU seconds of a dev build of waymark's own crates and bench/buildcost's api_waymark, the
#     dependency tree already built (`cargo clean -p` of our crates, then `cargo build`).
# Instruction counts do not move with the machine's load; build times do, so they are
# interleaved and given as medians.
#
#   bench/ab.sh BASE_CHECKOUT [ROUNDS=2] [BUILD_ROUNDS=6] [PASSES=50]
set -euo pipefail
BASE=$(cd "$1" && pwd) ROUNDS=${2:-2} BUILD_ROUNDS=${3:-6} PASSES=${4:-50}
HEAD=$(cd "$(dirname "$0")/.." && pwd)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# build TREE NAME: the bench server and the dispatch benchmark of TREE, copied to $out/NAME-*.
# Both trees build into this checkout's bench/target: the registry crates are shared, and the
# waymark crates of each tree are told apart by their path.
exe() { # the executable a JSON build message names for target $1
  sed -n "s/.*\"name\":\"$1\".*\"executable\":\"\([^\"]*\)\".*/\1/p" | tail -n 1
}
build() {
  local tree=$1 name=$2 target=$HEAD/bench/target
  (cd "$tree/bench" && CARGO_TARGET_DIR=$target cargo build -q --release --bin waymark_server --message-format=json) |
    exe waymark_server | xargs -I{} cp {} "$out/$name-server"
  (cd "$tree/bench" && CARGO_TARGET_DIR=$target cargo bench -q --bench dispatch --no-run --message-format=json 2>/dev/null) |
    exe dispatch | xargs -I{} cp {} "$out/$name-dispatch"
}
build "$BASE" base
build "$HEAD" head
echo "# load average: $(cut -d' ' -f1-3 /proc/loadavg)"

echo "## instructions per request (bench/h1_instructions.sh)"
for _ in $(seq "$ROUNDS"); do
  for mode in keepalive pipelined; do
    for name in base head; do
      echo "$name $("$HEAD/bench/h1_instructions.sh" "$out/$name-server" 19400 "$mode" 2>/dev/null | tail -1)"
    done
  done
done

echo "## instructions per lookup (as bench/dispatch_instructions.sh, $PASSES passes)"
# shellcheck source=scripts/lookups.sh
source "$HEAD/bench/scripts/lookups.sh"
printf '| set | router | base | head | head/base |\n|---|---|---:|---:|---:|\n'
for set in github130:130 github203:203; do
  name=${set%%:*} n=${set##*:}
  for router in matchit waymark-lookup waymark; do
    declare -A per=()
    for tree in base head; do
      per[$tree]=$(lookup_instructions "$out/$tree-dispatch" "$name" "$router" "$n" "$PASSES")
    done
    awk -v s="$name" -v r="$router" -v a="${per[base]}" -v b="${per[head]}" \
      'BEGIN { printf "| %s | %s | %d | %d | %.3f |\n", s, r, a, b, b / a }'
    unset per
  done
done

echo "## dev build of waymark's crates and api_waymark, CPU s (dependencies built)"
for tree in "$BASE" "$HEAD"; do
  (cd "$tree/bench/buildcost" && CARGO_TARGET_DIR="$out/target-$(basename "$tree")" cargo build -q -p api_waymark)
done
for r in $(seq "$BUILD_ROUNDS"); do
  order=("$BASE" "$HEAD"); ((r % 2 == 0)) && order=("$HEAD" "$BASE")
  for tree in "${order[@]}"; do
    name=head; [[ $tree == "$BASE" ]] && name=base
    target="$out/target-$(basename "$tree")"
    (cd "$tree/bench/buildcost" &&
      CARGO_TARGET_DIR=$target cargo clean -q -p waymark-runtime -p waymark -p waymark-macros -p waymark-shape -p api_waymark &&
      /usr/bin/time -o "$out/time" -f '%U %S' env CARGO_TARGET_DIR="$target" cargo build -q -p api_waymark >/dev/null 2>&1)
    awk -v n="$name" '{ printf "%s %.2f\n", n, $1 + $2 }' "$out/time" | tee -a "$out/builds"
  done
done
awk '{ v[$1, ++n[$1]] = $2 }
  function med(k,   i, j, t, m, a) { m = n[k]; for (i = 1; i <= m; i++) a[i] = v[k, i]
    for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
    return m % 2 ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2 }
  END { printf "median CPU s: base %.2f, head %.2f, head/base %.3f\n", med("base"), med("head"), med("head") / med("base") }' "$out/builds"
