#!/usr/bin/env bash
# The api example on each of its sockets, with curl: a Unix socket at UNIX_SOCKET (mode 0660,
# removed on SIGTERM; a path that is not a socket refused and kept), and the sockets that the
# real `systemd-socket-activate` passes (LISTEN_FDS: a TCP port and a Unix socket). Each server
# is bounded in time. Usage: scripts/listen_example.sh
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/need.sh
need curl curl
need systemd-socket-activate systemd

cargo build -q --example api
api="$(cargo_target_dir)/debug/examples/api"
work=$(mktemp -d)
server=
trap '[[ -n $server ]] && kill "$server" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT

fail() { echo "FAIL: $*" >&2; [[ -f $work/server.log ]] && cat "$work/server.log" >&2; exit 1; }
wait_for() { for _ in $(seq 100); do grep -q "$1" "$work/server.log" 2>/dev/null && return; sleep 0.1; done; fail "no '$1' in the log"; }
# `check EXPECTED CURL-ARGS...`: the body of a GET holds EXPECTED.
check() {
    local expected=$1 body
    shift
    body=$(curl -sS --max-time 5 "$@") || fail "curl $*"
    [[ $body == *"$expected"* ]] || fail "curl $*: expected '$expected', got: $body"
}

echo "== UNIX_SOCKET"
sock="$work/api.sock"
UNIX_SOCKET=$sock DATABASE_PATH="$work/a.db" timeout 60 "$api" >"$work/server.log" 2>&1 &
server=$!
wait_for "listening on the Unix socket $sock"
[[ $(stat -c %a "$sock") == 660 ]] || fail "mode $(stat -c %a "$sock"), expected 660"
check '"total":3' --unix-socket "$sock" 'http://localhost/bookmarks?limit=1'
# A second server on the same path is refused while the first runs.
if UNIX_SOCKET=$sock DATABASE_PATH="$work/b.db" timeout 10 "$api" >"$work/second.log" 2>&1; then fail "a second server bound a live socket"; fi
grep -q "another server is listening on it" "$work/second.log" || fail "second server: $(cat "$work/second.log")"
kill -TERM "$server"
wait "$server" || fail "the server did not stop cleanly"
server=
grep -q "^stopped" "$work/server.log" || fail "no graceful stop"
[[ ! -e $sock ]] || fail "the socket file is still there after SIGTERM"
echo "ok: served, refused a second server, removed on SIGTERM"

echo "== UNIX_SOCKET on a path that is not a socket"
echo "precious" >"$work/not-a-socket"
if UNIX_SOCKET="$work/not-a-socket" DATABASE_PATH="$work/c.db" timeout 10 "$api" >"$work/server.log" 2>&1; then fail "bound over a regular file"; fi
grep -q "exists and is not a socket" "$work/server.log" || fail "unclear error"
[[ $(cat "$work/not-a-socket") == precious ]] || fail "the file was changed"
echo "ok: refused, file kept"

echo "== systemd-socket-activate (LISTEN_FDS)"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
asock="$work/activated.sock"
timeout 60 systemd-socket-activate -l "127.0.0.1:$port" -l "$asock" -E DATABASE_PATH="$work/d.db" -- "$api" >"$work/server.log" 2>&1 &
server=$!
for _ in $(seq 100); do [[ -S $asock ]] && break; sleep 0.1; done
# The first connection starts the example, which takes both sockets.
check '"total":3' "http://127.0.0.1:$port/bookmarks?limit=1"
check '"total":3' --unix-socket "$asock" 'http://localhost/bookmarks?limit=1'
wait_for "listening on the inherited socket http://127.0.0.1:$port"
kill -TERM "$server"
wait "$server" || fail "the activated server did not stop cleanly"
server=
echo "ok: both inherited sockets served"
