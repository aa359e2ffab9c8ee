#!/usr/bin/env bash
# The api example's tests on PostgreSQL (issue 22): starts a throw-away PostgreSQL (scripts/pg.sh:
# Debian's package, installed if missing, in a temporary directory on 127.0.0.1, as an
# unprivileged user), then runs tests/api.rs (the suite SQLite passes too) and
# tests/api_postgres.rs with `--features example-postgres` and WAYMARK_TEST_DATABASE_URL, and
# checks that the example, given a DATABASE_URL nobody answers, exits with status 1 and a
# one-line message, without a panic.
#
#   scripts/pg_tests.sh [PORT]     # default 18490
set -euo pipefail
cd "$(dirname "$0")/.."

. scripts/need.sh
. scripts/pg.sh

PORT=${1:-18490}
work=$(mktemp -d)
cleanup() {
    pg_stop
    rm -rf "$work"
}
trap cleanup EXIT
pg_start "$work/pg" "$PORT"

WAYMARK_TEST_DATABASE_URL=$PG_URL cargo test --features example-postgres --test api --test api_postgres

cargo build --quiet --features example-postgres --example api
api="$(cargo_target_dir)/debug/examples/api"
status=0
DATABASE_URL=postgres://waymark@127.0.0.1:1/none PORT=0 timeout 20 "$api" >"$work/out" 2>"$work/err" || status=$?
echo "unreachable DATABASE_URL: exit status $status, stderr: $(cat "$work/err")"
if [ "$status" != 1 ] || grep -q panicked "$work/err" || ! grep -q "cannot use the database at postgres://waymark@127.0.0.1:1/none" "$work/err"; then
    echo "FAILED: expected exit status 1 and a one-line message, without a panic" >&2
    exit 1
fi
echo "ok: an unreachable database stops the start with a message and status 1"
