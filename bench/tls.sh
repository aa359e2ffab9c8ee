#!/usr/bin/env bash
# Issue 9: TLS against the peers, all on rustls 0.23 with the ring provider and one certificate
# (ECDSA P-256, made here with openssl), all on a current-thread runtime or one worker:
# waymark (`TlsConfig::from_pem_files`), axum through axum-server's `bind_rustls`, actix-web
# through `bind_rustls_0_23`. The route is /plaintext, as in the other scripts.
#
#   bench/tls.sh [DURATION_SECS=5] [ROUNDS=3] [IDLE_CONNS=2000]
#
# Interleaved, ROUNDS times, the order of the servers rotating from round to round:
#   keepalive: wrk -t1 -c64 over https (TLS 1.3, no ALPN: HTTP/1.1): server CPU per request;
#   handshake: bench's tls_client, 32 loops of connect + full handshake (no resumption, no
#              certificate check on the client, so the client does less work than the server)
#              + one request with `connection: close`: handshakes/s and server CPU per handshake;
#              the client's own CPU share is printed to show whether it was the bottleneck;
#   idle:      tls_client opens IDLE_CONNS connections, each with a handshake and one keep-alive
#              request, and holds them: server RSS after minus before, per connection (the
#              server has answered a few requests before "before", so lazy setup is not counted).
# Server on CPU 0, client on CPU 1; CPU = utime + stime of the server process, from /proc.
set -euo pipefail
cd "$(dirname "$0")"

D=${1:-5}; R=${2:-3}; N=${3:-2000}
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
command -v openssl >/dev/null || { apt-get update -qq && apt-get install -y -qq openssl >/dev/null; }
cargo build --release -q --bin waymark_tls --bin axum_tls --bin actix_tls --bin tls_client
BIN=${CARGO_TARGET_DIR:-target}/release

WORK=$(mktemp -d)
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=localhost \
    -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" -keyout "$WORK/key.pem" -out "$WORK/cert.pem" 2>/dev/null

TICK=$(getconf CLK_TCK)
PID=
cleanup() { if [[ -n "$PID" ]]; then kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; fi; }
trap 'cleanup; rm -rf "$WORK"' EXIT INT TERM
cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }
rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
per() { awk -v t="$1" -v hz="$TICK" -v n="$2" 'BEGIN { printf "%.3f", t / hz * 1e6 / n }'; }
port=19400
start() {
    port=$((port + 1))
    BENCH_SERVER_MAX_SECS=$((D + 120)) taskset -c 0 "$BIN/$1" "$port" "$WORK/cert.pem" "$WORK/key.pem" 2>/dev/null &
    PID=$!
    for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.05; done
    # Warm-up: a few connections and requests, so that lazy setup is not measured.
    taskset -c 1 "$BIN/tls_client" idle "$port" 8 0 >/dev/null
}
servers=(waymark_tls axum_tls actix_tls)
order() { local r=$1; echo "${servers[@]:$((r % 3))}" "${servers[@]:0:$((r % 3))}"; }

echo "# $(date -u +%FT%TZ) load: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
printf 'test\tround\tserver\trate_per_s\tserver_cpu_us_per_op\textra\n'
for round in $(seq 1 "$R"); do
    for s in $(order "$round"); do
        start "$s"
        b=$(cpu "$PID"); log=$(taskset -c 1 wrk -t1 -c64 -d"${D}s" "https://127.0.0.1:$port/plaintext"); a=$(cpu "$PID"); cleanup; PID=
        reqs=$(awk '/requests in/ {print $1}' <<<"$log")
        rps=$(awk '/Requests\/sec/ {print $2}' <<<"$log")
        errs=$(awk '/Socket errors|Non-2xx/ {printf "%s ", $0}' <<<"$log")
        printf 'keepalive\t%s\t%s\t%s\t%s\t%s\n' "$round" "${s%_tls}" "$rps" "$(per $((a - b)) "$reqs")" "${errs:--}"
    done
done
for round in $(seq 1 "$R"); do
    for s in $(order "$round"); do
        start "$s"
        b=$(cpu "$PID"); log=$(taskset -c 1 "$BIN/tls_client" handshakes "$port" "$D" 32); a=$(cpu "$PID"); cleanup; PID=
        n=$(sed -E 's/.*handshakes=([0-9]+).*/\1/' <<<"$log")
        secs=$(sed -E 's/.*secs=([0-9.]+).*/\1/' <<<"$log")
        failed=$(sed -E 's/.*failed=([0-9]+).*/\1/' <<<"$log")
        ccpu=$(sed -E 's/.*client_cpu_s=([0-9.]+).*/\1/' <<<"$log")
        extra=$(awk -v t=$((a - b)) -v hz="$TICK" -v s="$secs" -v c="$ccpu" -v f="$failed" \
            'BEGIN { printf "server_busy=%.0f%% client_busy=%.0f%% failed=%s", t / hz / s * 100, c / s * 100, f }')
        printf 'handshake\t%s\t%s\t%s\t%s\t%s\n' "$round" "${s%_tls}" "$(awk -v n="$n" -v s="$secs" 'BEGIN { printf "%.0f", n / s }')" \
            "$(per $((a - b)) "$n")" "$extra"
    done
done
for round in $(seq 1 "$R"); do
    for s in $(order "$round"); do
        start "$s"
        sleep 0.5
        before=$(rss_kib "$PID"); fds_before=$(ls "/proc/$PID/fd" | wc -l)
        taskset -c 1 "$BIN/tls_client" idle "$port" "$N" 30 >"$WORK/idle.out" &
        client=$!
        for _ in $(seq 600); do grep -q ready "$WORK/idle.out" && break; sleep 0.05; done
        sleep 0.5
        after=$(rss_kib "$PID"); fds=$(( $(ls "/proc/$PID/fd" | wc -l) - fds_before ))
        kill "$client" 2>/dev/null || true; wait "$client" 2>/dev/null || true
        cleanup; PID=
        printf 'idle\t%s\t%s\t-\t-\tkib_per_conn=%s rss_kib=%s->%s open_fds=+%s client:%s\n' "$round" "${s%_tls}" \
            "$(awk -v a="$after" -v b="$before" -v n="$N" 'BEGIN { printf "%.2f", (a - b) / n }')" "$before" "$after" "$fds" \
            "$(tr '\n' ' ' <"$WORK/idle.out")"
    done
done
