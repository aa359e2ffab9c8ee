#!/usr/bin/env bash
# Prints the README's "A session with the example" transcript: starts `cargo run --example api`
# on 127.0.0.1:3917 with a fresh database in a temporary directory, runs each curl command, and
# prints the command and its output as a Markdown console block. Usage:
#   examples/api_session.sh > /tmp/session.md
set -euo pipefail
cd "$(dirname "$0")/.."
need() { command -v "$1" >/dev/null 2>&1 || { echo "$1 is needed" >&2; exit 1; }; }
need curl

port=${PORT:-3917}
base="http://127.0.0.1:$port"
cargo build -q --example api
target_dir=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
work=$(mktemp -d)
trap 'kill "$server" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT
ADMIN_TOKEN=s3cret PORT=$port DATABASE_PATH="$work/bookmarks.db" "$target_dir/debug/examples/api" >"$work/server.log" 2>&1 &
server=$!
for _ in $(seq 100); do
    grep -q "listening on" "$work/server.log" 2>/dev/null && break
    sleep 0.1
done
grep -q "listening on" "$work/server.log" || { cat "$work/server.log" >&2; exit 1; }
cd "$work"

# Shows a command as typed (with `$base` written out) and what it printed, without CRs and
# trailing blank lines.
run() {
    printf '$ %s\n' "$*"
    printf '%s\n' "$(eval "$*" | tr -d '\r')"
}

echo '```console'
run "curl -s '$base/bookmarks?limit=2'"
echo
run "curl -s -i -c cookies.txt -X POST $base/bookmarks -H 'content-type: application/json' -d '{\"url\": \"https://crates.io/\", \"title\": \"crates.io\", \"tags\": [\"Rust\", \"registry\"]}'"
echo
run "curl -s -b cookies.txt '$base/bookmarks?tag=rust'"
echo
run "curl -s -X PUT $base/bookmarks/4 -H 'content-type: application/json' -d '{\"url\": \"https://crates.io/\", \"title\": \"\"}'"
echo
run "curl -s -X POST $base/bookmarks -H 'content-type: application/json' -d '{\"url\": '"
echo
run "curl -s -X POST $base/bookmarks -d 'url=https://example.com'"
echo
run "curl -s $base/bookmarks/abc"
echo
run "curl -s -i -X DELETE $base/bookmarks"
echo
# The event stream, while another client adds and deletes a bookmark.
curl -s -N --max-time 2 "$base/events" >events.txt &
events=$!
sleep 0.5
curl -s -o /dev/null -X POST "$base/bookmarks" -H 'content-type: application/json' -d '{"url": "https://example.com/", "title": "<script>alert(1)</script>", "tags": ["xss"]}'
curl -s -o /dev/null -X DELETE "$base/bookmarks/4"
wait "$events" || true
printf '$ curl -s -N %s/events    # meanwhile, another client adds 5 and deletes 4\n' "$base"
printf '%s\n' "$(cat events.txt)"
echo
run "curl -s $base/bookmarks/4"
echo
run "curl -s '$base/bookmarks.html?tag=xss' | grep '<li>'"
echo
run "curl -s -I $base/bookmarks/1"
echo
run "curl -s -I -H 'accept-encoding: gzip, br' $base/static/app.js"
echo
run "curl -s $base/nope"
echo
run "curl -s -i $base/admin/stats"
echo
run "curl -s -H 'authorization: Bearer s3cret' $base/admin/stats"
echo '```'
