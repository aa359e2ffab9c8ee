#!/usr/bin/env bash
# The api example's metrics, checked by Prometheus' own tools:
#   - `promtool check metrics` accepts what `/admin/metrics` serves;
#   - a real Prometheus scrapes the example (the admin token comes from its scrape config, as
#     `authorization: Bearer ..`), and its HTTP API then gives the per-route series of the requests
#     made here, while the 404s for hostile paths are in the one series of no route.
# Installs prometheus (Debian's, which has promtool) and curl if missing. Everything is on loopback
# and stops by itself (each process runs under `timeout`).
#
#   scripts/prometheus.sh
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/need.sh
need curl curl
need promtool prometheus
need prometheus prometheus

scratch=$(mktemp -d)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$scratch"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_for() { # URL: until it answers, at most 30 s
    for _ in $(seq 300); do curl -fsS -o /dev/null "$1" 2>/dev/null && return; sleep 0.1; done
    echo "no answer from $1" >&2
    return 1
}

cargo build -q --example api
api_port=$(free_port)
token=prometheus-check-$RANDOM$RANDOM
PORT=$api_port ADMIN_TOKEN=$token DATABASE_PATH=$scratch/bookmarks.db \
    timeout 180 "$(cargo_target_dir)/debug/examples/api" >"$scratch/api.log" 2>&1 &
pids+=($!)
api=http://127.0.0.1:$api_port
wait_for "$api/bookmarks"

for _ in 1 2 3; do curl -fsS -o /dev/null "$api/bookmarks/1"; done
for path in /nowhere /%2e%2e/%2e%2e/etc/passwd "/x?$(printf 'a%.0s' {1..200})"; do
    curl -sS -o /dev/null "$api$path"
done
curl -fsS -H "authorization: Bearer $token" "$api/admin/metrics" >"$scratch/metrics.txt"
echo "== promtool check metrics ($(wc -l <"$scratch/metrics.txt") lines)"
promtool check metrics <"$scratch/metrics.txt"
if grep -E 'passwd|nowhere|aaaa' "$scratch/metrics.txt"; then
    echo "a path a client sent is in a label" >&2
    exit 1
fi

prom_port=$(free_port)
cat >"$scratch/prometheus.yml" <<YAML
global:
  scrape_interval: 1s
scrape_configs:
  - job_name: api
    metrics_path: /admin/metrics
    authorization:
      type: Bearer
      credentials: $token
    static_configs:
      - targets: ["127.0.0.1:$api_port"]
YAML
timeout 120 prometheus --config.file="$scratch/prometheus.yml" --storage.tsdb.path="$scratch/data" \
    --web.listen-address="127.0.0.1:$prom_port" >"$scratch/prometheus.log" 2>&1 &
pids+=($!)
prom=http://127.0.0.1:$prom_port
wait_for "$prom/-/ready"

# query NAME PROMQL: the first result's value, once Prometheus has scraped one (at most 30 s).
query() {
    local value
    for _ in $(seq 60); do
        value=$(curl -fsS -G "$prom/api/v1/query" --data-urlencode "query=$2" |
            python3 -c 'import json, sys; r = json.load(sys.stdin)["data"]["result"]; print(r[0]["value"][1] if r else "")')
        [[ -n $value ]] && { echo "$1: $2 = $value"; return; }
        sleep 0.5
    done
    echo "$1: Prometheus has no value for $2" >&2
    tail -5 "$scratch/prometheus.log" >&2
    return 1
}
query "per route" 'http_server_requests_total{job="api",method="GET",route="/bookmarks/{id}",status="2xx"}' |
    tee "$scratch/route.txt"
query "no route" 'http_server_requests_total{job="api",route="",status="4xx"}' | tee "$scratch/none.txt"
query "scrape healthy" 'up{job="api"}' | tee "$scratch/up.txt"
query "latency" 'http_server_request_duration_seconds_count{job="api",method="GET",route="/bookmarks/{id}"}' |
    tee "$scratch/latency.txt"
query "series" 'count(http_server_requests_total{job="api"})' | tee "$scratch/series.txt"
[[ $(awk '{print $NF}' "$scratch/route.txt") == 3 ]] || { echo "expected 3 requests for /bookmarks/{id}" >&2; exit 1; }
[[ $(awk '{print $NF}' "$scratch/latency.txt") == 3 ]] || { echo "expected 3 timings for /bookmarks/{id}" >&2; exit 1; }
(($(awk '{print $NF}' "$scratch/none.txt") >= 3)) || { echo "expected the 404s in the no-route series" >&2; exit 1; }
[[ $(awk '{print $NF}' "$scratch/up.txt") == 1 ]] || { echo "the scrape is not up" >&2; exit 1; }
echo "prometheus: ok"
