# Instructions per lookup of the dispatch benchmark (sourced by dispatch_instructions.sh and ab.sh).
# callgrind counts instructions, repeatable on a noisy machine: a run of PASSES passes over the
# set, minus a run with none (the setup), divided by the lookups made.

# lookup_instructions BINARY SET ROUTER LOOKUPS_PER_PASS PASSES -> instructions per lookup
lookup_instructions() {
  local zero full
  zero=$(_callgrind_total "$1" "$2/$3" 0)
  full=$(_callgrind_total "$1" "$2/$3" "$5")
  echo $(( (full - zero) / ($5 * $4) ))
}

_callgrind_total() { # BINARY SET/ROUTER PASSES -> instructions of the whole run
  DISPATCH_ONLY=$2 DISPATCH_PASSES=$3 valgrind --tool=callgrind --callgrind-out-file=/dev/null "$1" 2>&1 \
    | awk '/Collected/ { gsub(",", "", $NF); print $NF }'
}
