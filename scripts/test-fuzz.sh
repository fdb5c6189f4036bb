#!/usr/bin/env bash
# CI part for robustness work (idempotent; needs no nightly toolchain): the fuzz targets (fuzz/,
# own workspace) build on the stable toolchain, and each runs once over its seed corpus and
# fuzz/regressions/ — every input that ever crashed stays fixed. Coverage-guided fuzzing needs
# nightly: scripts/fuzz.sh [seconds]. The benchmarks and the profiling example are compiled by
# scripts/test's clippy phase (--all-targets); running them is a measurement, by hand:
# `cargo bench -p jwtkit --bench jws` and scripts/bench-table.py. libFuzzer needs a C++ compiler
# (scripts/deps.sh).
source "$(dirname "$0")/common.sh"
scripts/deps.sh >/dev/null

echo "== fuzz targets: stable debug build, replay of seeds and regressions"
scripts/fuzz.sh --replay
