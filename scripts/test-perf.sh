#!/usr/bin/env bash
# CI part for speed and robustness work (idempotent; needs no nightly toolchain):
#   1. the benchmark and the profiling example compile (the benchmark itself is not run in CI:
#      it is a measurement, run by hand with `cargo bench -p jwtkit --bench jws` and
#      `scripts/bench-table.py`);
#   2. the fuzz targets (fuzz/, own workspace) build on the stable toolchain, and each runs
#      once over its seed corpus and fuzz/regressions/ — every input that ever crashed stays
#      fixed. Coverage-guided fuzzing needs nightly: scripts/fuzz.sh [seconds].
# Needs a C++ compiler for libFuzzer (libfuzzer-sys builds it): apt-get install g++.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_BUILD_JOBS="${CARGO_BUILD_JOBS:-2}"

if ! command -v c++ >/dev/null 2>&1; then
    if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
        apt-get update -qq && apt-get install -y -qq g++ >/dev/null
    else
        echo "test-perf: a C++ compiler is needed (apt-get install g++)" >&2
        exit 1
    fi
fi

echo "== benchmark and profiling example compile"
cargo check -p jwtkit --benches --examples --locked

echo "== fuzz targets: stable build, replay of seeds and regressions"
scripts/fuzz.sh --replay
