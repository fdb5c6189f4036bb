#!/usr/bin/env bash
# Gateway tests with real components: the crate's tests (a real upstream on 127.0.0.1, a real
# redis-server on a free loopback port, a child gateway killed with -9), `--check` on the example
# config, and the one-command demos with their statuses asserted (the Cluster demo: three gateways
# on a local 3-master Redis Cluster). Installs redis-server and redis-sentinel if missing (as root).
# Benchmarks are separate: bench/gateway.sh, bench/fleet.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_BUILD_JOBS="${CARGO_BUILD_JOBS:-2}"
if ! command -v redis-server >/dev/null || ! command -v redis-sentinel >/dev/null; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "redis-server or redis-sentinel is missing: apt-get install redis-server redis-sentinel" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends redis-server redis-sentinel >/dev/null
fi
command -v curl >/dev/null || { echo "curl is missing" >&2; exit 1; }

cargo test -p jwtkit-gateway
cargo build -q -p jwtkit-cli

jwtkit="${CARGO_TARGET_DIR:-target}/debug/jwtkit"
echo "==> jwtkit gateway --check examples/gateway/gateway.toml (as README.md shows it: no environment)"
env -u JWTKIT_ADMIN_TOKEN "$jwtkit" gateway --config examples/gateway/gateway.toml --check
bad="$(mktemp)"; trap 'rm -f "$bad"' EXIT
sed 's/^audiences =/audience =/' examples/gateway/gateway.toml > "$bad"
if "$jwtkit" gateway --config "$bad" --check 2>/dev/null; then
  echo "--check accepted an unknown key" >&2
  exit 1
fi

echo "==> jwtkit gateway explain on the example config (as README.md shows it)"
explained="$("$jwtkit" gateway explain --config examples/gateway/gateway.toml --route /orders/42 @examples/tokens/valid.jwt)" || true
[ "${explained%%$'\n'*}" = 'decision: FORWARD /orders/42 → http://127.0.0.1:9000' ] \
  || { echo "explain: the README's example token is not forwarded:" >&2; echo "$explained" >&2; exit 1; }

echo "==> examples/gateway/demo.sh"
out="$(JWTKIT="$jwtkit" examples/gateway/demo.sh)"
echo "$out"
expect() {
  echo "$out" | grep -Eq "$1" || { echo "demo: expected a line matching: $1" >&2; exit 1; }
}
expect '^accepted +200$'
expect '^expired +401 +www-authenticate: Bearer realm="demo", error="invalid_token", error_description="token expired"$'
expect '^wrong-audience +401 .*error_description="audience not accepted"$'
expect '^revoked +401 .*error_description="token revoked"$'
expect '^rate-limited +200 200 429 +retry-after: [0-9]+$'
echo "==> examples/gateway/cluster-demo.sh"
out="$(JWTKIT="$jwtkit" examples/gateway/cluster-demo.sh)"
echo "$out"
expect '^  (200 ){9}$'
expect '^revoked via A: B and C answer 401 after [0-9]+ ms'
expect '^after:  A 401  B 401  C 401$'
expect '^one bucket \(burst 4\) across A, B, C: 200 200 200 200 429 429 429 $'
echo "gateway: all checks passed"
