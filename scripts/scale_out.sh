#!/usr/bin/env bash
# Scale-out on PostgreSQL (issue 22): three instances of `examples/api` (feature
# `example-postgres`) on one PostgreSQL, behind nginx, under a write load that must lose nothing
# and duplicate nothing while instances and the database restart.
#
#   - PostgreSQL: Debian's package (installed if missing), a throw-away cluster in a temporary
#     directory on 127.0.0.1, run as an unprivileged user (the server refuses root): scripts/pg.sh.
#   - Three instances on 127.0.0.1, started at once (they create the schema under an advisory
#     lock), with one ADMIN_TOKEN and one COOKIE_KEY.
#   - nginx (Debian nginx-light) in front, with `proxy_next_upstream` for idempotent requests
#     only: a GET refused or cut by a stopping instance is tried on the next one; a POST never is
#     (nginx's default, kept: the client retries it with its Idempotency-Key).
#   - Load (scripts/scale_out.py): writers POST with an Idempotency-Key each, retrying on a
#     failure or a timeout with the same key; readers GET; an SSE client on each instance.
#   - Meanwhile: each instance in turn gets SIGTERM and is started again; one gets SIGKILL and
#     is started again 3 s later; PostgreSQL restarts once (fast mode: every connection cut).
#   - Checks: every write answered 201 is in the database exactly once; no key made two rows;
#     every SSE client saw every write made while it was connected, or was told to reload.
#
#   scripts/scale_out.sh [SECONDS]      # load duration, default 60; loopback only
#
# The last line reads `requests N, failed N, retried N, lost N, duplicated N, sse missed N`; the
# exit status is 0 when nothing was lost, duplicated or missed and no write was given up. The
# instances are the debug build (this is a correctness test; scripts/pg_tests.sh built it).
set -euo pipefail
cd "$(dirname "$0")/.."

. scripts/need.sh
. scripts/pg.sh
[ -x /usr/sbin/nginx ] || need nginx nginx-light
need curl curl
need python3 python3
NGINX=$(command -v nginx || echo /usr/sbin/nginx)

SECONDS_OF_LOAD=${1:-60}
PG_PORT=${PG_PORT:-18470}
NGINX_PORT=${NGINX_PORT:-18471}
PORTS=(18472 18473 18474)
URL="http://127.0.0.1:$NGINX_PORT"

cargo build --quiet --features example-postgres --example api
api="$(cargo_target_dir)/debug/examples/api"
work=$(mktemp -d)
chmod 755 "$work"
declare -A pids=()
nginx_pid=
load_pid=
cleanup() {
    exec 2>/dev/null # not bash's "Killed" notices after the last line
    [ -n "$load_pid" ] && kill "$load_pid" 2>/dev/null || true
    for pid in "${pids[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
    [ -n "$nginx_pid" ] && kill -QUIT "$nginx_pid" 2>/dev/null || true
    wait 2>/dev/null || true
    pg_stop
    rm -rf "$work"
}
trap cleanup EXIT

pg_start "$work/pg" "$PG_PORT"
cookie_key=$(python3 -c 'import secrets; print(secrets.token_hex(64))')

launch() { # launch PORT: one instance in the background
    local port=$1
    DATABASE_URL=$PG_URL ADMIN_TOKEN=scale-out COOKIE_KEY=$cookie_key PORT=$port "$api" >>"$work/api-$port.log" 2>&1 &
    pids[$port]=$!
}
ready() { # ready PORT: waits until the instance answers from the database
    local port=$1
    for _ in $(seq 200); do curl -sf -o /dev/null "http://127.0.0.1:$port/bookmarks/1" && return; sleep 0.05; done
    echo "instance on $port did not start" >&2
    cat "$work/api-$port.log" >&2
    exit 1
}

for port in "${PORTS[@]}"; do launch "$port"; done
for port in "${PORTS[@]}"; do ready "$port"; done
echo "three instances on one PostgreSQL: $(pg_psql 'SELECT count(*) FROM bookmarks') example bookmarks (seeded once), schema version $(pg_psql 'SELECT version FROM schema_version')"

upstreams=$(for port in "${PORTS[@]}"; do echo "        server 127.0.0.1:$port max_fails=0;"; done)
mkdir -p "$work/nginx/logs"
{
    nginx_prelude "$work/nginx" warn
    cat <<CONF
    upstream waymark {
$upstreams
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
            # Idempotent requests only (no \`non_idempotent\`): a GET is tried on the next
            # instance; a POST is answered 502 and retried by its client, with its key.
            proxy_next_upstream error timeout http_502 http_503;
            proxy_next_upstream_tries 3;
            proxy_connect_timeout 1s;
            proxy_read_timeout 10s;
        }
    }
}
CONF
} >"$work/nginx/nginx.conf"
"$NGINX" -p "$work/nginx" -c "$work/nginx/nginx.conf" &
nginx_pid=$!
for _ in $(seq 100); do curl -sf -o /dev/null "$URL/bookmarks/1" && break; sleep 0.05; done

ports_csv=$(IFS=,; echo "${PORTS[*]}")
python3 scripts/scale_out.py load "$URL" "$ports_csv" "$SECONDS_OF_LOAD" "$work/load.json" &
load_pid=$!
started=$SECONDS
at() { # at S: sleeps until S seconds into the load
    local wait=$(($1 - (SECONDS - started)))
    [ "$wait" -gt 0 ] && sleep "$wait"
    return 0
}
step=$((SECONDS_OF_LOAD / 8))
for i in "${!PORTS[@]}"; do
    port=${PORTS[$i]}
    at $(((i + 1) * step))
    t0=$(date +%s%N)
    kill -TERM "${pids[$port]}"
    wait "${pids[$port]}" || true
    t1=$(date +%s%N)
    launch "$port"
    ready "$port"
    echo "SIGTERM $port: stopped in $(((t1 - t0) / 1000000)) ms, serving again $((($(date +%s%N) - t1) / 1000000)) ms later"
done
at $((4 * step))
victim=${PORTS[1]}
kill -KILL "${pids[$victim]}"
wait "${pids[$victim]}" 2>/dev/null || true
sleep 3
launch "$victim"
ready "$victim"
echo "SIGKILL $victim, started again 3 s later"
at $((5 * step + step / 2))
t0=$(date +%s%N)
pg_restart
echo "PostgreSQL restarted (fast mode) in $((($(date +%s%N) - t0) / 1000000)) ms"
wait "$load_pid"
load_pid=

pg_psql "COPY (SELECT id, title FROM bookmarks ORDER BY id) TO STDOUT" >"$work/rows.tsv"
echo "instances' logs: $(cat "$work"/api-*.log | grep -c ' -> 503 ' || true) answers 503, $(cat "$work"/api-*.log | grep -c 'told to reload' || true) listener reconnections"
echo "nginx: $(grep -c 'upstream' "$work/nginx/logs/error.log" || true) upstream errors logged (retried or answered 502)"
python3 scripts/scale_out.py check "$work/load.json" "$work/rows.tsv"
