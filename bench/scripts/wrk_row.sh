# Sourced by load.sh and per_core.sh (from bench/): one wrk run against the server $PID, as one
# TSV row of $OUT (mode, body, round, server, requests, req/s, p99 µs, server CPU ticks, CPU µs
# per request). Uses CONNS, DURATION, DEPTH, TICK and `cleanup` (which stops $PID) of the caller.

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
# wrk prints a latency as 812.00us, 1.23ms or 1.01s.
to_us() { awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) print n; else if (v ~ /ms$/) print n * 1000; else if (v ~ /s$/) print n * 1000000; else print n }'; }

# `wrk_row WRK_THREADS WRK_CPUS SERVER MODE BODY ROUND PORT`: runs wrk (pipelined at depth
# $DEPTH in mode `pipelined`), stops the server, and appends the row.
wrk_row() {
    local threads=$1 cpus=$2 server=$3 mode=$4 body=$5 round=$6 port=$7
    local wrk_args=(-t"$threads" -c"$CONNS" -d"${DURATION}s" --latency)
    [[ $mode == pipelined ]] && wrk_args+=(-s pipeline.lua)
    wrk_args+=("http://127.0.0.1:$port/$body")
    [[ $mode == pipelined ]] && wrk_args+=(-- "$DEPTH")
    local before after log reqs rps p99 errs ticks cpu
    before=$(cpu_ticks "$PID")
    log=$(timeout $((DURATION + 30)) taskset -c "$cpus" wrk "${wrk_args[@]}")
    after=$(cpu_ticks "$PID")
    cleanup; PID=
    reqs=$(awk '/requests in/ {print $1}' <<<"$log")
    rps=$(awk '/Requests\/sec/ {print $2}' <<<"$log")
    p99=$(to_us "$(awk '$1 == "99%" {print $2}' <<<"$log")")
    errs=$(grep -E 'Socket errors|Non-2xx' <<<"$log" || true)
    [[ -n $errs ]] && echo "  $server $mode $body: $errs" >&2
    ticks=$((after - before))
    cpu=$(awk -v t="$ticks" -v hz="$TICK" -v r="$reqs" 'BEGIN { printf "%.3f", t / hz * 1e6 / r }')
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$mode" "$body" "$round" "$server" "$reqs" "$rps" "$p99" "$ticks" "$cpu" | tee -a "$OUT"
}
