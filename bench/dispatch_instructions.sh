#!/usr/bin/env bash
# Instructions per lookup (valgrind's callgrind counts instructions: repeatable on a noisy machine):
# each router's pass over each GitHub set, minus the same run with no pass (the setup).
#   bench/dispatch_instructions.sh [PASSES=50]
set -euo pipefail
cd "$(dirname "$0")"
PASSES=${1:-50}
cargo bench --bench dispatch --no-run -q 2>/dev/null
BIN=$(ls -t target/release/deps/dispatch-* | grep -v '\.d$' | head -n 1)
# shellcheck source=scripts/lookups.sh
source scripts/lookups.sh
printf '| set | router | instructions/lookup | x matchit |\n|---|---|---:|---:|\n'
for set in github130:130 github203:203; do
  name=${set%%:*}; n=${set##*:}
  declare -A per=()
  for router in matchit waymark-lookup waymark wayfind path-tree; do
    per[$router]=$(lookup_instructions "$BIN" "$name" "$router" "$n" "$PASSES")
  done
  for router in matchit waymark-lookup waymark wayfind path-tree; do
    awk -v s="$name" -v r="$router" -v x="${per[$router]}" -v m="${per[matchit]}" \
      'BEGIN { printf "| %s | %s | %d | %.2f |\n", s, r, x, x / m }'
  done
  unset per
done
