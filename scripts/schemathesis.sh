#!/usr/bin/env bash
# schemathesis (PyPI) against the api example's own OpenAPI document: every operation, every
# check (`--checks all`), a fixed seed and a bounded number of examples per operation,
# authenticated as admin. It must end with 0 failures: the document says what the server does.
# Installs schemathesis in a virtualenv under target/ when missing. No check is excluded;
# scripts/schemathesis.toml says the one answer a check is told to accept, and why.
#
#   scripts/schemathesis.sh [EXAMPLES=25]
set -euo pipefail
cd "$(dirname "$0")/.."
EXAMPLES=${1:-25}

. scripts/need.sh
need python3 python3

venv=$PWD/target/schemathesis-venv
need_venv "$venv" schemathesis 'schemathesis==4.32.5'

cargo build -q --example api
target_dir=$(cargo_target_dir)

work=$(mktemp -d)
config=$PWD/scripts/schemathesis.toml
port=$((20000 + RANDOM % 20000))
token=schemathesis-admin
# A fresh database; the server stops by itself after 10 minutes at most.
ADMIN_TOKEN=$token DATABASE_PATH="$work/bookmarks.db" PORT=$port timeout 600 \
    "$target_dir/debug/examples/api" >"$work/server.log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done

# Run in the scratch folder: schemathesis keeps a cache of earlier failures (`.schemathesis/`) in
# its working directory, and replays them; a fresh one keeps each run the same and the tree clean.
(cd "$work" && "$venv/bin/schemathesis" --config-file "$config" run "http://127.0.0.1:$port/openapi.json" \
    --checks all --seed 1 --max-examples "$EXAMPLES" --workers 1 \
    -H "Authorization: Bearer $token" \
    --no-color) 2>&1 | tee "$work/report.txt"
grep -E '^=+ .* in [0-9.]+s =+$' "$work/report.txt" | tail -n 1
