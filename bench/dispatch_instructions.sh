#!/usr/bin/env bash
# Instructions per lookup (valgrind's callgrind counts instructions: repeatable on a noisy machine):
# each router's pass over each GitHub set, minus the same run with no pass (the setup).
#   bench/dispatch_instructions.sh [PASSES=50]
set -euo pipefail
cd "$(dirname "$0")"
PASSES=${1:-50}
cargo bench --bench dispatch --no-run -q 2>/dev/null
BIN=$(ls -t target/release/deps/dispatch-* | grep -v '\.d$' | head -n 1)
count() { # SET/ROUTER PASSES -> instructions
  DISPATCH_ONLY=$1 DISPATCH_PASSES=$2 valgrind --tool=callgrind --callgrind-out-file=/dev/null "$BIN" 2>&1 \
    | awk '/Collected/ { gsub(",", "", $NF); print $NF }'
}
printf '| set | router | instructions/lookup | x matchit |\n|---|---|---:|---:|\n'
for set in github130:130 github203:203; do
  name=${set%%:*}; n=${set##*:}
  declare -A per=()
  for router in matchit waymark-lookup waymark wayfind path-tree; do
    base=$(count "$name/$router" 0); full=$(count "$name/$router" "$PASSES")
    per[$router]=$(( (full - base) / (PASSES * n) ))
  done
  for router in matchit waymark-lookup waymark wayfind path-tree; do
    awk -v s="$name" -v r="$router" -v x="${per[$router]}" -v m="${per[matchit]}" \
      'BEGIN { printf "| %s | %s | %d | %.2f |\n", s, r, x, x / m }'
  done
  unset per
done
