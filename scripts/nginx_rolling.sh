#!/usr/bin/env bash
# Scale-out behind nginx with rolling restarts (issue 13): three `examples/api` processes (release
# build) over one SQLite file, behind nginx (Debian nginx-light) on loopback with upstream
# keep-alive. Under wrk load:
#   1. rolling: each instance in turn gets SIGTERM (graceful shutdown), exits, and is started
#      again; nginx retries a GET refused or cut by a stopping instance on the next one;
#   2. kill: one instance gets SIGKILL, and is started again a few seconds later;
#   3, 4. both again through a location with `proxy_next_upstream off`, to show what retries do.
# Prints per phase: requests, non-2xx responses, socket errors seen by wrk, and latency. Also checks
# that the client address behind nginx (X-Forwarded-For, believed from nginx only) cannot be forged.
#
#   scripts/nginx_rolling.sh [SECONDS_PER_PHASE]     # default 30; loopback only
#
# Installs nginx-light, wrk and curl with apt-get if missing. nginx runs in the foreground from a
# temporary prefix (its own config, logs and pid file), never as the system service.
set -euo pipefail
cd "$(dirname "$0")/.."

. scripts/need.sh
[ -x /usr/sbin/nginx ] || need nginx nginx-light
need wrk wrk
need curl curl
NGINX=$(command -v nginx || echo /usr/sbin/nginx)

PHASE=${1:-30}
NGINX_PORT=${NGINX_PORT:-18480}
PORTS=(18481 18482 18483)
URL="http://127.0.0.1:$NGINX_PORT"

cargo build --release --quiet --example api --example stress
target_dir=$(cargo_target_dir)
api="$target_dir/release/examples/api"
work=$(mktemp -d)
chmod 755 "$work"
declare -A pids=()
nginx_pid=
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    [ -n "$nginx_pid" ] && kill -QUIT "$nginx_pid" 2>/dev/null || true
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

start() { # start PORT: one instance, waits until it answers
    local port=$1
    PORT=$port DATABASE_PATH="$work/bookmarks.db" "$api" >>"$work/api-$port.log" 2>&1 &
    pids[$port]=$!
    for _ in $(seq 100); do curl -sf -o /dev/null "http://127.0.0.1:$port/tags" && return; sleep 0.05; done
    echo "instance on $port did not start" >&2
    cat "$work/api-$port.log" >&2
    exit 1
}

# One instance creates the database first, so the others do not race to create its schema.
start "${PORTS[0]}"
for port in "${PORTS[@]:1}"; do start "$port"; done

upstreams=$(for port in "${PORTS[@]}"; do echo "        server 127.0.0.1:$port max_fails=0;"; done)
mkdir -p "$work/nginx/logs"
{
    nginx_prelude "$work/nginx" warn
    cat <<CONF
    upstream waymark {
$upstreams
        # Idle connections to the upstreams, closed by nginx after 60 s (keepalive_timeout's
        # default), before waymark's 75 s keep-alive timeout would close them.
        keepalive 32;
    }
    server {
        listen 127.0.0.1:$NGINX_PORT;
        location / {
            proxy_pass http://waymark;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host \$host;
            proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
            # A refused connection, one closed before the response, or a 502/503 is retried on the
            # next instance (nginx retries idempotent methods only, unless told otherwise).
            proxy_next_upstream error timeout http_502 http_503;
            proxy_next_upstream_tries 3;
            proxy_connect_timeout 1s;
        }
        # The client address check: to examples/stress, from 127.0.0.2, its one trusted proxy.
        location = /whoami {
            proxy_pass http://127.0.0.1:18489/debug/client;
            proxy_bind 127.0.0.2;
            proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
            # nginx sets X-Forwarded-For; a Forwarded from the client is dropped, not passed on.
            proxy_set_header Forwarded "";
        }
        # The same without retries, to show what they do.
        location /noretry/ {
            proxy_pass http://waymark/;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_next_upstream off;
            proxy_connect_timeout 1s;
        }
    }
}
CONF
} >"$work/nginx/nginx.conf"
"$NGINX" -p "$work/nginx" -c "$work/nginx/nginx.conf" &
nginx_pid=$!
for _ in $(seq 100); do curl -sf -o /dev/null "$URL/tags" && break; sleep 0.05; done
curl -sf -o /dev/null "$URL/tags" || { echo "nginx does not answer" >&2; cat "$work/nginx/logs/error.log" >&2; exit 1; }

echo "== checks of what nginx relies on =="
ka=$(curl -sv -o /dev/null "http://127.0.0.1:${PORTS[0]}/tags" 2>&1 | grep -ci '^< connection: close' || true)
echo "waymark keeps an HTTP/1.1 connection open (no connection: close on a normal response): $([ "$ka" = 0 ] && echo yes || echo NO)"
echo "keep-alive timeout: waymark 75 s (DEFAULT_KEEP_ALIVE_TIMEOUT) > nginx upstream keepalive_timeout 60 s"
# A response in flight when SIGTERM comes still arrives, and says `connection: close` (so nginx
# does not put that connection back in its pool); examples/stress.rs has a slow route for it.
PORT=18489 TRUSTED_PROXIES=127.0.0.2 "$target_dir/release/examples/stress" >"$work/stress.log" 2>&1 &
pids[stress]=$!
for _ in $(seq 100); do curl -sf -o /dev/null "http://127.0.0.1:18489/" && break; sleep 0.05; done
# The client address: the client connects from 127.0.0.3 with forged headers; nginx, from
# 127.0.0.2, appends 127.0.0.3 to X-Forwarded-For. Directly and through nginx, the server must
# see 127.0.0.3.
forged=(--interface 127.0.0.3 -H 'X-Forwarded-For: 1.2.3.4' -H 'Forwarded: for=1.2.3.4')
via=$(curl -s "${forged[@]}" "$URL/whoami")
direct=$(curl -s "${forged[@]}" "http://127.0.0.1:18489/debug/client")
echo "client address with forged X-Forwarded-For and Forwarded from 127.0.0.3: through nginx $via, direct $direct: $([ "$via" = 127.0.0.3 ] && [ "$direct" = 127.0.0.3 ] && echo ok || echo WRONG)"
curl -sv "http://127.0.0.1:18489/sleep/1000" >"$work/inflight.out" 2>&1 &
curl_pid=$!
sleep 0.3
kill -TERM "${pids[stress]}"
wait "$curl_pid" || true
wait "${pids[stress]}" || true
unset 'pids[stress]'
echo "response in flight at SIGTERM: $(grep -o '^< HTTP/1.1 [0-9]*' "$work/inflight.out" | cut -c3-), $(grep -io '^< connection: close' "$work/inflight.out" | cut -c3- || echo 'NO connection: close'), body $(tail -c 7 "$work/inflight.out" | tr -d '\n')"

wrk_phase() { # wrk_phase NAME PATH: wrk for PHASE seconds in the background, output in NAME.wrk
    nice wrk -t1 -c16 -d"${PHASE}s" --latency "$URL$2" >"$work/$1.wrk" 2>&1 &
    wrk_pid=$!
}

rolling() { # rolling NAME PATH
    local restart_log=() step port t0 t1 t2
    wrk_phase "$1" "$2"
    step=$((PHASE / (${#PORTS[@]} + 1)))
    for port in "${PORTS[@]}"; do
        sleep "$step"
        t0=$(date +%s%N)
        kill -TERM "${pids[$port]}"
        wait "${pids[$port]}" || true
        t1=$(date +%s%N)
        start "$port"
        t2=$(date +%s%N)
        restart_log+=("$port: stopped in $(((t1 - t0) / 1000000)) ms, serving again $(((t2 - t1) / 1000000)) ms later")
    done
    wait "$wrk_pid"
    printf '  %s\n' "${restart_log[@]}"
}

killed() { # killed NAME PATH
    wrk_phase "$1" "$2"
    sleep $((PHASE / 3))
    local victim=${PORTS[1]}
    kill -KILL "${pids[$victim]}"
    wait "${pids[$victim]}" 2>/dev/null || true
    sleep 5
    start "$victim"
    wait "$wrk_pid"
}

echo "== phase 1: rolling restart (SIGTERM, wait for exit, start) under load =="
rolling rolling "/bookmarks?limit=2"
echo "== phase 2: SIGKILL one instance under load, start it again 5 s later =="
killed kill "/bookmarks?limit=2"
echo "== phases 3 and 4: the same through a location with proxy_next_upstream off =="
rolling rolling_noretry "/noretry/bookmarks?limit=2"
killed kill_noretry "/noretry/bookmarks?limit=2"

python3 - "$work" <<'PY'
import re, sys
work = sys.argv[1]
def stat(name):
    text = open(f"{work}/{name}.wrk").read()
    req = int(re.search(r"(\d+) requests in", text).group(1))
    non2xx = int(m.group(1)) if (m := re.search(r"Non-2xx or 3xx responses: (\d+)", text)) else 0
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    sock = sum(map(int, m.groups())) if m else 0
    lat = dict(re.findall(r"^\s+(50|99)%\s+(\S+)", text, re.M))
    mx = re.search(r"Latency\s+\S+\s+\S+\s+(\S+)", text).group(1)
    return req, non2xx, sock, lat.get("50", "?"), lat.get("99", "?"), mx
print(f"\n{'phase':<22} {'requests':>9} {'non-2xx':>8} {'sock err':>8} {'p50':>9} {'p99':>9} {'max':>9}")
for name, label in [("rolling", "rolling SIGTERM x3"), ("kill", "SIGKILL one, restart"),
                    ("rolling_noretry", "rolling, no retry"), ("kill_noretry", "SIGKILL, no retry")]:
    req, non2xx, sock, p50, p99, mx = stat(name)
    print(f"{label:<22} {req:>9} {non2xx:>8} {sock:>8} {p50:>9} {p99:>9} {mx:>9}")
PY
echo
echo "nginx error log (upstream errors it retried or returned):"
grep -c 'upstream' "$work/nginx/logs/error.log" | sed 's/^/  lines mentioning an upstream: /' || true
grep -o 'connect() failed ([^)]*)\|upstream prematurely closed[^,]*\|recv() failed ([^)]*)\|no live upstreams[^,]*' "$work/nginx/logs/error.log" | sort | uniq -c | sed 's/^/  /' || true
