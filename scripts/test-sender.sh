#!/usr/bin/env bash
# Sender-constrained tokens at the gateway (DPoP, RFC 9449): crates/jwtkit-gateway/tests/sender_dpop.rs
# with proofs made by an independent client, PyJWT + cryptography (scripts/interop/dpop_client.py),
# against real gateways (one on the embedded store, two sharing a real redis-server). Those tests
# are #[ignore]d in the plain `cargo test` phase (it runs before the venv exists); this part
# installs the interop venv (scripts/interop/requirements.txt, shared with test-interop.sh) and
# runs them from the suite's one build. Certificate-bound tokens and token profiles
# (tests/sender.rs) need only openssl and run in the `cargo test` phase.
# Idempotent; exits non-zero on any failure. Needs python3 (+venv), redis-server, openssl.
source "$(dirname "$0")/common.sh"
scripts/deps.sh >/dev/null
dir=scripts/interop

if [ ! -x "$dir/.venv/bin/python" ]; then
  python3 -m venv "$dir/.venv"
fi
"$dir/.venv/bin/python" -m pip install -q --disable-pip-version-check -r "$dir/requirements.txt"

build_all
JWTKIT_INTEROP_PYTHON="$PWD/$dir/.venv/bin/python" \
  cargo test "${CARGO_WORKSPACE[@]}" --test sender_dpop -- --ignored

echo "==> examples/gateway/sender.toml --check, and examples/gateway/sender-demo.sh (as docs/gateway.md shows it)"
DPOP_NONCE_SECRET=check-only-0123456789abcdef0123456789 "$JWTKIT" gateway --config examples/gateway/sender.toml --check
out="$(JWTKIT="$JWTKIT" examples/gateway/sender-demo.sh)"
echo "$out"
expect() {
  echo "$out" | grep -Eq "$1" || { echo "sender-demo: expected a line matching: $1" >&2; exit 1; }
}
expect '^dpop-no-nonce +401  DPoP realm="api", algs="ES256 EdDSA", error="use_dpop_nonce", .*\(DPoP-Nonce given\)$'
expect "^dpop +200  upstream saw \{'x-user-id': 'alice', 'x-dpop-jkt': '[A-Za-z0-9_-]{43}'\}  \(DPoP-Nonce given\)$"
expect '^dpop-replayed +401  DPoP .*error="invalid_dpop_proof"'
expect '^dpop-other-key +401  DPoP .*error="invalid_token", error_description="token binding does not match", resource_metadata="http://127\.0\.0\.1:[0-9]+/\.well-known/oauth-protected-resource/(orders|payments)"$'
expect '^dpop-as-bearer +401  DPoP .*error="invalid_token"'
expect '^id-token +401  Bearer realm="api", error="invalid_token", error_description="token type not accepted: OpenID Connect ID token, expected typ at\+jwt", resource_metadata="http://127\.0\.0\.1:[0-9]+/\.well-known/oauth-protected-resource/orders"$'
expect "^mtls-bound +200  upstream saw \{'x-user-id': 'alice'\}$"
expect '^mtls-other-cert +401  Bearer .*error_description="token binding does not match", resource_metadata="http://127\.0\.0\.1:[0-9]+/\.well-known/oauth-protected-resource/(orders|payments)"$'
expect '^mtls-no-cert +401  Bearer .*error_description="token binding does not match", resource_metadata="http://127\.0\.0\.1:[0-9]+/\.well-known/oauth-protected-resource/(orders|payments)"$'
expect 'token profile +bad_type: typ is "JWT", the provider accepts at\+jwt: this is an OpenID Connect ID token'
echo "sender: all checks passed"
