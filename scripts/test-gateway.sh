#!/usr/bin/env bash
# Gateway through the built binary: `--check` on the example config (and that its state file is
# one .gitignore covers), `gateway explain` as README.md shows it, and the one-command demos with their
# statuses asserted (the Cluster demo: three gateways on a local 3-master Redis Cluster). The crate's own tests (a real upstream on 127.0.0.1, a real redis-server on a
# free loopback port, a child gateway killed with -9) run in scripts/test's `cargo test` phase,
# built once with the rest. Benchmarks are separate: bench/gateway.sh.
source "$(dirname "$0")/common.sh"
scripts/deps.sh >/dev/null
build_all

jwtkit="$JWTKIT"
echo "==> jwtkit gateway --check examples/gateway/gateway.toml (as README.md shows it: no environment)"
env -u JWTKIT_ADMIN_TOKEN "$jwtkit" gateway --config examples/gateway/gateway.toml --check
bad="$(mktemp)"; trap 'rm -f "$bad"' EXIT
sed 's/^audiences =/audience =/' examples/gateway/gateway.toml > "$bad"
if "$jwtkit" gateway --config "$bad" --check 2>/dev/null; then
  echo "--check accepted an unknown key" >&2
  exit 1
fi
# Running the example writes its [store] path next to the config: a file git ignores.
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  git check-ignore -q examples/gateway/jwtkit-gateway.db \
    || { echo "examples/gateway/jwtkit-gateway.db (the example's state file) is not ignored by git" >&2; exit 1; }
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
expect '^expired +401 +www-authenticate: Bearer realm="demo", error="invalid_token", error_description="token expired", resource_metadata="http://127\.0\.0\.1:[0-9]+/\.well-known/oauth-protected-resource/orders"$'
expect '^wrong-audience +401 .*error_description="audience not accepted", resource_metadata="[^"]+"$'
expect '^revoked +401 .*error_description="token revoked", resource_metadata="[^"]+"$'
expect '^rate-limited +200 200 429 +retry-after: [0-9]+$'
expect '^issuer-login +200 '
expect '^issuer-client +200 '
echo "==> examples/gateway/cluster-demo.sh"
out="$(JWTKIT="$jwtkit" examples/gateway/cluster-demo.sh)"
echo "$out"
expect '^  (200 ){9}$'
expect '^revoked via A: B and C answer 401 after [0-9]+ ms'
expect '^after:  A 401  B 401  C 401$'
expect '^one bucket \(burst 4\) across A, B, C: 200 200 200 200 429 429 429 $'
echo "gateway: all checks passed"
