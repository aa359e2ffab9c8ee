# Helpers shared by files.sh, uploads.sh and ws.sh (sourced, not run).
# Every server is started under `timeout`, pinned to SERVER_CPU; the load runs `nice`d on LOAD_CPU.

SERVER_CPU=${SERVER_CPU:-0}
LOAD_CPU=${LOAD_CPU:-1}
TICK=$(getconf CLK_TCK)
WRAP= # the `timeout` process of the running server
SPID= # the server process itself (its CPU and RSS are read from /proc)

stop_server() {
  if [[ -n "$WRAP" ]]; then kill "$WRAP" 2>/dev/null || true; wait "$WRAP" 2>/dev/null || true; fi
  WRAP= SPID=
}

# start_server MAX_SECS PORT CMD...: runs CMD on SERVER_CPU for at most MAX_SECS, waits for PORT.
start_server() {
  local max=$1 port=$2; shift 2
  taskset -c "$SERVER_CPU" timeout --signal=TERM --kill-after=5 "$max" "$@" >/dev/null 2>>"${SERVER_LOG:-/dev/null}" &
  WRAP=$!
  for _ in $(seq 200); do SPID=$(pgrep -P "$WRAP" || true); [[ -n $SPID ]] && break; sleep 0.02; done
  for _ in $(seq 200); do (exec 3<>/dev/tcp/127.0.0.1/"$port") 2>/dev/null && return 0; sleep 0.05; done
  echo "server on port $port did not start: $*" >&2
  return 1
}

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
loadavg() { cut -d' ' -f1 /proc/loadavg; }
load() { nice -n 10 taskset -c "$LOAD_CPU" "$@"; }

# "1.23GB" / "456.7MB" / "12KB" / "100B" -> MB (10^6 bytes; wrk's units are binary, 1MB = 2^20 B)
to_mb() { awk -v v="$1" 'BEGIN { n = v + 0; m = 1;
  if (v ~ /GB$/) m = 1073741824; else if (v ~ /MB$/) m = 1048576; else if (v ~ /KB$/) m = 1024;
  printf "%.1f", n * m / 1e6 }'; }

# CPU time of every live thread of PID, in ns (/proc/PID/task/*/schedstat; finer than the 10 ms
# ticks of /proc/PID/stat, which are kept as a cross-check since they also count exited threads).
cpu_ns() { cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{ s += $1 } END { printf "%.0f", s }'; }
