#!/usr/bin/env bash
# Remote keys (issue 3): JWKS URLs, OpenID Connect discovery and the key cache, against real HTTP
# servers on 127.0.0.1 started by the tests (no outside network, nothing to install).
# The same feature set as `cargo test --workspace --all-features`, so nothing is rebuilt.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_BUILD_JOBS="${CARGO_BUILD_JOBS:-2}"
# Proxies from the environment would route loopback requests elsewhere.
unset HTTP_PROXY http_proxy HTTPS_PROXY https_proxy ALL_PROXY all_proxy
cargo test --workspace --all-features --test remote -- --nocapture 2>&1 | tee /tmp/jwtkit-test-remote.log
grep -q "random-kid flood:" /tmp/jwtkit-test-remote.log
