#!/usr/bin/env bash
# Fuzzes every cargo-fuzz target under fuzz/ for MINUTES each, minimizes each corpus, and prints
# executions and coverage per target.
#
#   scripts/fuzz.sh MINUTES [TARGET...]
#
# Installs cargo-fuzz and the nightly toolchain if missing; writes the seed corpora
# (fuzz/seeds.py) when fuzz/corpus is empty. Crashes go to fuzz/artifacts/<target>/, logs to
# fuzz/logs/<target>.log. FUZZ_KEEP_GOING=1 keeps fuzzing past crashes (libFuzzer's fork mode),
# for a known bug that is not fixed yet. FUZZ_NICE (default 19) is the niceness of the runs.
# Replay what was found, on stable: cargo test --test fuzz_corpus
set -euo pipefail

minutes=${1:?usage: scripts/fuzz.sh MINUTES [TARGET...]}
shift
cd "$(dirname "$0")/../fuzz"

rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
if [ -z "$(ls corpus 2>/dev/null)" ]; then
    python3 seeds.py
fi

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    mapfile -t targets < <(cargo +nightly fuzz list)
fi
nice -n "${FUZZ_NICE:-19}" cargo +nightly fuzz build -O
mkdir -p logs

summary=()
for t in "${targets[@]}"; do
    # The head parser's limit is 16 KiB, so its inputs must be able to pass it; the others have
    # small limits (see the checks) and stay fast with short inputs.
    max_len=8192
    [ "$t" = head ] && max_len=20000
    extra=()
    [ "${FUZZ_KEEP_GOING:-0}" = 1 ] && extra=(-fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1)
    before=$(ls "corpus/$t" | wc -l)
    echo "== $t: $minutes min (corpus: $before inputs)"
    set +e
    nice -n "${FUZZ_NICE:-19}" cargo +nightly fuzz run -O "$t" "corpus/$t" -- \
        -max_total_time=$((minutes * 60)) -max_len=$max_len -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 "${extra[@]}" >"logs/$t.log" 2>&1
    status=$?
    set -e
    # The last status line ("#N ... cov: C ft: F corp: ...") and the final stats.
    last=$(grep -E '^#[0-9]+.*cov: ' "logs/$t.log" | tail -1 || true)
    runs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "logs/$t.log" | grep -oE '[0-9]+$' || true)
    [ -n "$runs" ] || runs=$(sed -nE 's/^#([0-9]+).*/\1/p' <<<"$last")
    rate=$(grep -oE 'stat::average_exec_per_sec: *[0-9]+' "logs/$t.log" | grep -oE '[0-9]+$' || true)
    [ -n "$rate" ] || rate=$(grep -oE 'exec/s: [0-9]+' <<<"$last" | grep -oE '[0-9]+' || true)
    cov=$(grep -oE 'cov: [0-9]+' <<<"$last" | grep -oE '[0-9]+' || true)
    ft=$(grep -oE 'ft: [0-9]+' <<<"$last" | grep -oE '[0-9]+' || true)
    crashes=$(ls "artifacts/$t" 2>/dev/null | grep -cE '^(crash|leak|timeout|oom)-' || true)
    if [ $status -ne 0 ]; then
        echo "   $t stopped with status $status; see fuzz/logs/$t.log and fuzz/artifacts/$t/"
        grep -E 'panicked at|ERROR: libFuzzer|SUMMARY' "logs/$t.log" | head -5 || true
    fi
    nice -n "${FUZZ_NICE:-19}" cargo +nightly fuzz cmin -O "$t" "corpus/$t" -- -max_len=$max_len >"logs/$t.cmin.log" 2>&1 ||
        echo "   cmin of $t failed; see fuzz/logs/$t.cmin.log"
    after=$(ls "corpus/$t" | wc -l)
    summary+=("$(printf '%-15s %12s %9s %7s %7s %8s %8s %8s' "$t" "${runs:-?}" "${rate:-?}" "${cov:-?}" "${ft:-?}" "$before" "$after" "$crashes")")
done

echo
echo "$minutes min per target, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, niceness ${FUZZ_NICE:-19}"
printf '%-15s %12s %9s %7s %7s %8s %8s %8s\n' target executions exec/s cov ft corpus minimized crashes
printf '%s\n' "${summary[@]}"
