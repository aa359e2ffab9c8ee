# Sourced by scripts/pg_tests.sh and scripts/scale_out.sh: a throw-away PostgreSQL (Debian's
# `postgresql` package, installed through need.sh if missing) in a directory of its own, on
# 127.0.0.1 only, with trust authentication for the user `waymark`; never the system's cluster.
# PostgreSQL refuses to run as root, so as root it runs as the unprivileged `postgres` user that
# the package creates (`nobody` if there is none).
#
#   pg_start DIR PORT     # initdb DIR/data, start, create database `waymark`; sets PG_URL
#   pg_restart            # a fast restart: connections are cut, committed data stays
#   pg_stop
#
# Needs `need` (scripts/need.sh) sourced first.

pg_start() {
    PG_DIR=$1
    PG_PORT=$2
    [ -n "$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null)" ] || need pg_ctlcluster postgresql
    PG_BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
    PG_AS=()
    if [ "$(id -u)" = 0 ]; then
        local user=postgres
        id -u "$user" >/dev/null 2>&1 || user=nobody
        PG_AS=(runuser -u "$user" --)
        mkdir -p "$PG_DIR"
        chown "$user" "$PG_DIR"
        chmod 755 "$(dirname "$PG_DIR")"
    fi
    "${PG_AS[@]}" "$PG_BIN/initdb" -D "$PG_DIR/data" -U waymark -A trust -E UTF8 --no-sync >"$PG_DIR/initdb.log" 2>&1 \
        || { cat "$PG_DIR/initdb.log" >&2; return 1; }
    PG_OPTS="-c listen_addresses=127.0.0.1 -p $PG_PORT -k $PG_DIR -c max_connections=200"
    "${PG_AS[@]}" "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -o "$PG_OPTS" -w -t 30 start >/dev/null \
        || { cat "$PG_DIR/server.log" >&2; return 1; }
    "$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U waymark waymark
    PG_URL="postgres://waymark@127.0.0.1:$PG_PORT/waymark"
    export PG_URL
}

pg_restart() {
    "${PG_AS[@]}" "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -o "$PG_OPTS" -m fast -w -t 30 restart >/dev/null
}

pg_stop() {
    [ -n "${PG_DIR:-}" ] && [ -d "$PG_DIR/data" ] || return 0
    "${PG_AS[@]}" "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w -t 30 stop >/dev/null 2>&1 || true
}

# `pg_psql SQL`: runs SQL in the database, unaligned, tuples only.
pg_psql() {
    "$PG_BIN/psql" -X -q -A -t -h 127.0.0.1 -p "$PG_PORT" -U waymark -d waymark -v ON_ERROR_STOP=1 -c "$1"
}
