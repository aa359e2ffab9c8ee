#!/usr/bin/env bash
# `GET /bookmarks/{id}` of examples/api on SQLite against PostgreSQL (issue 22): the same release
# build (feature `example-postgres`), the same machine, one instance, wrk on keep-alive
# connections. PostgreSQL is scripts/pg.sh's throw-away cluster on loopback (default settings).
# The server is pinned to CPU 0 and wrk (`nice`d) to CPU 1; PostgreSQL's backends are not pinned
# (they are part of what the PostgreSQL figure costs). The order alternates each round; the
# median of the rounds is printed. For information, not a goal: PostgreSQL pays a loopback round
# trip per query where SQLite reads a page in the process.
#
#   bench/api_db.sh [DURATION_SECS=15] [ROUNDS=3] [CONNECTIONS=16]
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/need.sh
. scripts/pg.sh
need wrk wrk
need curl curl

DURATION=${1:-15}
ROUNDS=${2:-3}
CONNECTIONS=${3:-16}
PORT=18561

cargo build --release --quiet --features example-postgres --example api
api="$(cargo_target_dir)/release/examples/api"
work=$(mktemp -d)
chmod 755 "$work"
server=
cleanup() {
    [ -n "$server" ] && kill "$server" 2>/dev/null || true
    wait 2>/dev/null || true
    pg_stop
    rm -rf "$work"
}
trap cleanup EXIT
pg_start "$work/pg" 18560

run() { # run sqlite|postgres: prints requests/s
    local env=(PORT=$PORT ADMIN_TOKEN=bench)
    case $1 in
        sqlite) env+=(DATABASE_PATH="$work/bookmarks.db") ;;
        postgres) env+=(DATABASE_URL="$PG_URL") ;;
    esac
    env "${env[@]}" taskset -c 0 "$api" >/dev/null 2>&1 &
    server=$!
    for _ in $(seq 200); do curl -sf -o /dev/null "http://127.0.0.1:$PORT/bookmarks/2" && break; sleep 0.05; done
    nice -n 10 taskset -c 1 wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" "http://127.0.0.1:$PORT/bookmarks/2" >"$work/wrk.txt"
    kill "$server"
    wait "$server" || true
    server=
    grep -q 'Non-2xx' "$work/wrk.txt" && { cat "$work/wrk.txt" >&2; echo "non-2xx answers" >&2; exit 1; }
    awk '/^Requests\/sec:/ {print $2}' "$work/wrk.txt"
}

declare -A results=([sqlite]="" [postgres]="")
for round in $(seq "$ROUNDS"); do
    order=(sqlite postgres)
    [ $((round % 2)) = 0 ] && order=(postgres sqlite)
    for db in "${order[@]}"; do
        rps=$(run "$db")
        echo "round $round, $db: $rps requests/s (load average $(cut -d' ' -f1 /proc/loadavg))"
        results[$db]+="$rps "
    done
done
median() { tr ' ' '\n' | grep . | sort -g | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }
sqlite=$(echo "${results[sqlite]}" | median)
postgres=$(echo "${results[postgres]}" | median)
echo "GET /bookmarks/{id}, $CONNECTIONS connections, median of $ROUNDS x ${DURATION}s: SQLite $sqlite req/s, PostgreSQL $postgres req/s ($(python3 -c "print(f'{$postgres / $sqlite:.2f}')") x)"
