#!/usr/bin/env bash
# Fuzz every cargo-fuzz target of fuzz/ for a bounded time; print executions and findings.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]   fuzz each target SECONDS (default 60) with libFuzzer
#                                           (needs a nightly toolchain and cargo-fuzz; installs
#                                           cargo-fuzz from crates.io when missing)
#   scripts/fuzz.sh --replay [TARGET...]    stable toolchain, no nightly: build the targets (debug
#                                           profile, debug assertions on, into the main workspace's
#                                           target dir so its dependencies are reused) and run each
#                                           once over its seed corpus and fuzz/regressions/ (what
#                                           CI does; no new inputs are generated)
#
# Limits per input: 10 s (timeout), one allocation above 64 MiB or 1 GiB of RSS is reported as
# an OOM. Findings go to fuzz/artifacts/<target>/ (crash-*, oom-*, timeout-*); the script exits 1
# when a target found anything. Runs one target at a time (the machine has 2 cores).
set -euo pipefail
cd "$(dirname "$0")/.."

ALL_TARGETS=(compact_jws compact_jwe jwk json_strict paste)
declare -A MAX_LEN=([compact_jws]=8192 [compact_jwe]=8192 [jwk]=16384 [json_strict]=8192 [paste]=4096)
LIBFUZZER_LIMITS=(-timeout=10 -malloc_limit_mb=64 -rss_limit_mb=1024)
export CARGO_BUILD_JOBS="${CARGO_BUILD_JOBS:-2}"

if [[ "${1:-}" == "--replay" ]]; then
    shift
    targets=("${@:-${ALL_TARGETS[@]}}")
    [[ $# -gt 0 ]] || targets=("${ALL_TARGETS[@]}")
    # fuzz/ is its own workspace (own Cargo.lock, same dependency versions): built in the dev
    # profile into the main workspace's target dir, it reuses the compiled dependencies (aws-lc-sys
    # above all) instead of building them again in release. Replaying a few hundred inputs needs
    # no optimisation, and debug assertions (overflow checks) make the replay stricter.
    target_dir="${CARGO_TARGET_DIR:-$PWD/target}"
    CARGO_TARGET_DIR="$target_dir" cargo build -q --manifest-path fuzz/Cargo.toml --locked --bins
    logs="$target_dir/fuzz-replay"
    mkdir -p "$logs"
    failed=0
    for t in "${targets[@]}"; do
        inputs=(fuzz/corpus/"$t"/seed*)
        [[ -d fuzz/regressions/$t ]] && inputs+=(fuzz/regressions/"$t"/*)
        if "$target_dir/debug/$t" "${LIBFUZZER_LIMITS[@]}" -runs=1 "${inputs[@]}" >"$logs/$t.log" 2>&1; then
            echo "replay $t: ${#inputs[@]} inputs ok"
        else
            echo "replay $t: FAILED (log: $logs/$t.log)"
            tail -30 "$logs/$t.log"
            failed=1
        fi
    done
    exit "$failed"
fi

secs="${1:-60}"
[[ $# -gt 0 ]] && shift
targets=("$@")
[[ ${#targets[@]} -gt 0 ]] || targets=("${ALL_TARGETS[@]}")

if ! rustup run nightly rustc --version >/dev/null 2>&1; then
    echo "fuzz.sh: libFuzzer fuzzing needs a nightly toolchain (rustup toolchain install nightly);" >&2
    echo "         without one, use: scripts/fuzz.sh --replay" >&2
    exit 2
fi
command -v cargo-fuzz >/dev/null 2>&1 || cargo install cargo-fuzz --locked

[[ -n "$(ls fuzz/corpus/compact_jws/seed* 2>/dev/null)" ]] || python3 scripts/fuzz-seeds.py
for t in "${targets[@]}"; do cargo +nightly fuzz build --debug-assertions "$t" 2>&1 | tail -1; done

printf '%-12s %8s %14s %10s %8s %s\n' target seconds executions exec/s corpus findings
status=0
for t in "${targets[@]}"; do
    mkdir -p "fuzz/artifacts/$t"
    before=$(find "fuzz/artifacts/$t" -type f | sort)
    log="fuzz/artifacts/$t.log"
    set +e
    cargo +nightly fuzz run --debug-assertions "$t" -- \
        -max_total_time="$secs" -max_len="${MAX_LEN[$t]}" -dict=fuzz/jose.dict \
        -print_final_stats=1 "${LIBFUZZER_LIMITS[@]}" >"$log" 2>&1
    rc=$?
    set -e
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    took=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log" | tail -1)
    corpus=$(find "fuzz/corpus/$t" -type f | wc -l)
    new=$(comm -13 <(echo "$before") <(find "fuzz/artifacts/$t" -type f | sort) | grep -v '^$' || true)
    eps="-"
    [[ -n "$runs" && -n "$took" && "$took" -gt 0 ]] && eps=$((runs / took))
    printf '%-12s %8s %14s %10s %8s %s\n' "$t" "${took:-?}" "${runs:-?}" "$eps" "$corpus" \
        "$( [[ -z "$new" && $rc -eq 0 ]] && echo none || echo "rc=$rc $(echo $new | tr '\n' ' ')")"
    if [[ -n "$new" || $rc -ne 0 ]]; then
        status=1
        grep -m1 -A12 -E '^(thread .* panicked|==[0-9]+==ERROR|SUMMARY)' "$log" || tail -20 "$log"
    fi
done
exit "$status"
