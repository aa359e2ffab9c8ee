#!/usr/bin/env bash
# Slow and hostile clients (issues 13 and 23): slowhttptest's slow headers (-H), slow body (-B)
# and slow read (-X), each with more connections (400) than waymark's slots (examples/stress.rs,
# release build, unoptimized in `short` mode; max_connections 200), while a curl loop sends
# normal requests, each on a new connection, and records their latency. The same attacks, in the
# same run, against nginx in front of the same server and against axum (hyper) alone
# (bench/src/bin/axum_stress.rs, the same routes). Prints one table: per server and attack, when
# the attack's connections were cut, and the normal requests' count, failures, p50, p99 and max.
#
#   scripts/slow_clients.sh [SECONDS_PER_ATTACK]     # default 45; about 9 x (SECONDS + 5) s
#   scripts/slow_clients.sh short                    # CI: 8 s per attack, about 2 minutes, and
#                                                    # fails unless waymark meets the goal
#   PEERS=0 scripts/slow_clients.sh ...              # waymark only
#
# The goal (issue 23), for waymark under every attack: 0 normal requests failed, p99 under
# 1,000 ms, and the attack's connections cut. Loopback only. Installs slowhttptest, curl and
# nginx-light with apt-get if missing; nginx runs in the foreground from a temporary prefix.
set -euo pipefail
cd "$(dirname "$0")/.."

. scripts/need.sh
need slowhttptest slowhttptest
need curl curl
need python3 python3

CHECK=0
if [ "${1:-}" = short ]; then
    # CI's mode: unoptimized builds (the policies under test are timers and counts, not CPU; the
    # example reuses what `cargo test` built, and the peer builds in a third of the time).
    SECONDS_PER_ATTACK=8 GAP=3 CHECK=1 PROFILE=${PROFILE:-debug}
else
    SECONDS_PER_ATTACK=${1:-45} GAP=5 PROFILE=${PROFILE:-release}
fi
build_flags=()
[ "$PROFILE" = release ] && build_flags=(--release)
PEERS=${PEERS:-1}
PORT=${PORT:-18431}
NGINX_PORT=$((PORT + 1))
AXUM_PORT=$((PORT + 2))
MAX_CONNECTIONS=200
ATTACK_CONNECTIONS=400

cargo build "${build_flags[@]}" --quiet --example stress
target_dir=$(cargo_target_dir)
if [ "$PEERS" = 1 ]; then
    [ -x /usr/sbin/nginx ] || need nginx nginx-light
    NGINX=$(command -v nginx || echo /usr/sbin/nginx)
    (cd bench && cargo build "${build_flags[@]}" --quiet --bin axum_stress)
    bench_target_dir=$(cd bench && cargo_target_dir)
fi
work=$(mktemp -d)
pids=()
probe_pid=
cleanup() {
    [ -n "$probe_pid" ] && kill "$probe_pid" 2>/dev/null || true
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

wait_for() {
    for _ in $(seq 100); do curl -sf -o /dev/null "$1/" && return; sleep 0.1; done
    echo "nothing answers on $1" >&2
    exit 1
}

PORT=$PORT MAX_CONNECTIONS=$MAX_CONNECTIONS "$target_dir/$PROFILE/examples/stress" >"$work/server.log" 2>&1 &
server_pid=$!
pids+=("$server_pid")
wait_for "http://127.0.0.1:$PORT"
servers=(waymark)

if [ "$PEERS" = 1 ]; then
    # nginx's defaults (client header, body and send timeouts 60 s; it buffers bodies and
    # responses), one worker with 1024 connections, keep-alive connections to the upstream.
    mkdir -p "$work/nginx/logs"
    {
        nginx_prelude "$work/nginx" crit
        cat <<CONF
    client_max_body_size 8m;
    upstream waymark {
        server 127.0.0.1:$PORT;
        keepalive 32;
    }
    server {
        listen 127.0.0.1:$NGINX_PORT;
        location / {
            proxy_pass http://waymark;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }
    }
}
CONF
    } >"$work/nginx/nginx.conf"
    "$NGINX" -p "$work/nginx" -c "$work/nginx/nginx.conf" &
    pids+=("$!")
    wait_for "http://127.0.0.1:$NGINX_PORT"
    BENCH_SERVER_MAX_SECS=1800 "$bench_target_dir/$PROFILE/axum_stress" "$AXUM_PORT" >"$work/axum.log" 2>&1 &
    pids+=("$!")
    wait_for "http://127.0.0.1:$AXUM_PORT"
    servers+=(nginx axum)
fi

port_of() {
    case $1 in waymark) echo "$PORT" ;; nginx) echo "$NGINX_PORT" ;; axum) echo "$AXUM_PORT" ;; esac
}

# The server's own count of established connections on its port, once a second: slowhttptest
# learns of a connection reset under a slow read only when it next reads, and may never say so.
sample_open() {
    local port=$1 until=$((SECONDS + $2))
    while [ "$SECONDS" -lt "$until" ]; do
        ss -tn state established "( sport = :$port )" | tail -n +2 | wc -l
        sleep 1
    done
}

# Normal requests, one new connection each, for as long as the attack lasts.
probe() {
    local url=$1 until=$((SECONDS + $2))
    while [ "$SECONDS" -lt "$until" ]; do
        curl -s -o /dev/null --max-time 15 -w '%{http_code} %{time_total}\n' "$url/" || echo "000 15"
        sleep 0.05
    done
}

run() {
    local server=$1 name=$2; shift 2
    local url="http://127.0.0.1:$(port_of "$server")"
    echo "== $server $name: slowhttptest $* ==" >&2
    probe "$url" "$SECONDS_PER_ATTACK" >"$work/$server-$name.probe" &
    probe_pid=$!
    sample_open "$(port_of "$server")" "$SECONDS_PER_ATTACK" >"$work/$server-$name.open" &
    local sampler_pid=$!
    local path=$1; shift
    nice slowhttptest "$@" -u "$url$path" -c "$ATTACK_CONNECTIONS" -r 200 -l "$SECONDS_PER_ATTACK" -p 5 -g \
        -o "$work/$server-$name" >"$work/$server-$name.out" 2>&1 || true
    wait "$probe_pid" || true
    wait "$sampler_pid" || true
    probe_pid=
    kill -0 "$server_pid" 2>/dev/null || { echo "the server died during $server $name" >&2; exit 1; }
    sleep "$GAP" # the attack's leftovers close before the next one
}

for server in "${servers[@]}"; do
    run "$server" slow_headers / -H -i 5
    run "$server" slow_body /echo -B -i 5 -s 100000 -t POST
    run "$server" slow_read /big -X -k 3 -n 1 -z 32 -w 512 -y 1024
done

python3 - "$work" "$SECONDS_PER_ATTACK" "$MAX_CONNECTIONS" "$ATTACK_CONNECTIONS" "$CHECK" "${servers[@]}" <<'PY'
import csv, sys
work, length, limit, conns, check, servers = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5] == "1", sys.argv[6:]
print(f"\nwaymark max_connections {limit}, {conns} attack connections per run, {length} s per run, loopback")
print(f"{'server':<8} {'attack':<13} {'peak open':>9} {'first cut':>9} {'cut by end':>10} {'open at end':>11} {'srv peak':>8} {'srv end':>7} {'normal req':>10} {'failed':>6} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}")
missed = []
for server in servers:
    for name in ["slow_headers", "slow_body", "slow_read"]:
        rows = list(csv.DictReader(open(f"{work}/{server}-{name}.csv")))
        key = lambda r, k: int(next(v for kk, v in r.items() if kk.strip().lower() == k))
        peak = max(key(r, "connected") for r in rows)
        first_cut = next((f"{r['Seconds'].strip()} s" for r in rows if key(r, "closed") > 0), "-")
        closed, still_open = key(rows[-1], "closed"), key(rows[-1], "connected")
        samples = [l.split() for l in open(f"{work}/{server}-{name}.probe") if l.strip()]
        ok = sorted(float(t) * 1000 for code, t in samples if code == "200")
        failed = sum(1 for code, _ in samples if code != "200")
        q = lambda p: ok[min(len(ok) - 1, int(p * len(ok)))] if ok else float("nan")
        srv = [int(l) for l in open(f"{work}/{server}-{name}.open") if l.strip()] or [0]
        # Cut: slowhttptest saw closes, or the server holds far fewer than the attack opened.
        cut = closed > 0 or srv[-1] < int(conns) // 4
        print(f"{server:<8} {name:<13} {peak:>9} {first_cut:>9} {closed:>10} {still_open:>11} {max(srv):>8} {srv[-1]:>7} {len(samples):>10} {failed:>6} {q(0.5):>8.1f} {q(0.99):>8.1f} {(ok[-1] if ok else 0):>8.1f}")
        if server == "waymark" and not (failed == 0 and ok and q(0.99) < 1000 and cut):
            missed.append(f"{name}: {failed} failed, p99 {q(0.99):.0f} ms, {closed} cut by slowhttptest, {srv[-1]} open at the server")
print("peak open / first cut / cut by end / open at end: slowhttptest's per-second counts (open counts")
print("connections the kernel completed, also those waiting in the listen backlog past max_connections);")
print("srv peak / srv end: the server's own count of established connections on its port, sampled each")
print("second (for nginx, its client side); slowhttptest may never see a slow read's reset connections.")
print("first cut: seconds from the attack's start. Normal requests: curl, a new connection each,")
print("'failed' = no answer within 15 s. waymark: head 10 s, body 30 s, send 30 s, at least 500 B/s per")
print("5 s window; past 75 % of the slots the head and keep-alive timeouts shrink to 1 s, the window to 250 ms.")
print("nginx: its defaults (60 s timeouts), in front of the same waymark. axum: hyper's defaults, no")
print("connection limit.")
if missed:
    print("goal missed (0 failed, p99 < 1,000 ms, attackers cut): " + "; ".join(missed))
    sys.exit(1 if check else 0)
print("goal met by waymark under every attack: 0 failed, p99 < 1,000 ms, attackers cut")
PY
