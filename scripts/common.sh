# Sourced by scripts/test and every scripts/test-*.sh part (not a part itself).
#
# One build for the whole suite: `cargo test --workspace --all-features` compiles every test and
# the `jwtkit` binary with one feature set (dev-dependencies included). Any other cargo command
# or feature set (`cargo build -p jwtkit-cli`, `cargo test -p jwtkit-gateway`) resolves features
# differently and compiles the crates a second time, so parts get the binary from build_all.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$PWD
export CARGO_BUILD_JOBS="${CARGO_BUILD_JOBS:-2}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
target_dir="${CARGO_TARGET_DIR:-$root/target}"
# The feature set of the suite's one build.
CARGO_WORKSPACE=(--workspace --all-features)
# The CLI built by build_all.
JWTKIT="$target_dir/debug/jwtkit"

# Build the tests and the binary (a no-op taking a second when scripts/test already did).
build_all() {
  cargo test "${CARGO_WORKSPACE[@]}" --no-run -q
}
