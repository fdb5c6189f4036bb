#!/usr/bin/env bash
# `jwtkit issuer` checked by independent clients: PyJWT (scripts/interop's venv) discovers the
# running issuer, runs code + PKCE through its login page, verifies ID and access tokens, refreshes
# (rotation; reuse revokes the family), introspects and revokes, and gets the RFC error codes for
# hostile requests (scripts/issuer/clients.py); panva's openid-client (npm) runs the same flows with
# its own checks of state, iss, nonce and the ID token (scripts/issuer/openid_client.mjs). Then `jwtkit gateway` takes its keys from the issuer
# by discovery while the signing key rotates: every request is forwarded (scripts/issuer/rotation.py).
# The Router's own tests are `cargo test -p jwtkit-issuer` (run by scripts/test).
set -euo pipefail
source "$(dirname "$0")/common.sh"
scripts/deps.sh >/dev/null
# The interop tests' venv and pinned requirements (PyJWT + cryptography): installed once for both.
venv=scripts/interop/.venv
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/python" -m pip install -q --disable-pip-version-check -r scripts/interop/requirements.txt
if [ ! -d scripts/issuer/node_modules/openid-client ] \
   || [ scripts/issuer/package-lock.json -nt scripts/issuer/node_modules/.package-lock.json ]; then
  (cd scripts/issuer && npm ci --no-audit --no-fund --loglevel=error)
fi
build_all
jwtkit="$JWTKIT"

work="$(mktemp -d "${TMPDIR:-/tmp}/jwtkit-issuer.XXXXXX")"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
wait_http() { for _ in $(seq 100); do curl -fsS -o /dev/null "$1" 2>/dev/null && return 0; sleep 0.1; done; echo "timeout waiting for $1" >&2; return 1; }
read -r UP GW ADM < <(python3 -c 'import socket
ss=[socket.socket() for _ in range(3)]
[s.bind(("127.0.0.1",0)) for s in ss]
print(*[s.getsockname()[1] for s in ss])')

export ISSUER_BACKEND_SECRET="backend-$RANDOM$RANDOM$RANDOM"
# The example config with a fast key rotation (10 s, published 4 s ahead) and a state file.
sed -e 's/^rotation_period = .*/rotation_period = "10s"/' -e 's/^publish_ahead = .*/publish_ahead = "4s"/' \
    -e 's/^access_token_ttl = .*/access_token_ttl = "30s"/' -e "s|^state = .*|state = \"$work/issuer.db\"|" \
    examples/issuer/issuer.toml > "$work/issuer.toml"
# A client that authenticates with private_key_jwt: its key made by Python's cryptography.
"$venv/bin/python" - "$work" <<'PY'
import json, sys
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm
key = ec.generate_private_key(ec.SECP256R1())
with open(sys.argv[1] + "/signed.pem", "wb") as f:
    f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
jwk = json.loads(ECAlgorithm.to_jwk(key.public_key()))
jwk["kid"] = "signed-1"
with open(sys.argv[1] + "/signed.jwks.json", "w") as f:
    json.dump({"keys": [jwk]}, f)
PY
cat >> "$work/issuer.toml" <<TOML

[[clients]]
client_id = "signed"
jwks = "$work/signed.jwks.json"
grant_types = ["client_credentials"]
scopes = ["orders:read"]
audience = ["orders-api"]
TOML
"$jwtkit" issuer --config "$work/issuer.toml" --listen 127.0.0.1:0 > "$work/issuer.out" 2> "$work/issuer.err" & pids+=($!)
for _ in $(seq 100); do [ -s "$work/issuer.out" ] && break; sleep 0.1; done
discovery="$(head -1 "$work/issuer.out")"
issuer="${discovery%/.well-known/openid-configuration}"
grep -q 'FOR DEVELOPMENT AND TESTS ONLY' "$work/issuer.err" || { echo "no development banner" >&2; cat "$work/issuer.err" >&2; exit 1; }
if "$jwtkit" issuer --config "$work/issuer.toml" --listen 0.0.0.0:0 2>/dev/null; then
  echo "the issuer started on a public address without --allow-public-address" >&2; exit 1
fi

echo "==> independent clients (PyJWT) against $issuer"
"$venv/bin/python" scripts/issuer/clients.py "$issuer" "$ISSUER_BACKEND_SECRET" "$work/signed.pem"
echo "==> independent clients (openid-client) against $issuer"
node scripts/issuer/openid_client.mjs "$issuer" "$ISSUER_BACKEND_SECRET"

echo "==> key rotation while jwtkit gateway serves (keys by discovery from the issuer)"
mkdir -p "$work/upstream/orders"
echo '{"orders":[1,2,3]}' > "$work/upstream/orders/index.html"
python3 -m http.server "$UP" --bind 127.0.0.1 --directory "$work/upstream" >/dev/null 2>&1 & pids+=($!)
wait_http "http://127.0.0.1:$UP/orders/"
cat > "$work/gateway.toml" <<TOML
[server]
listen = "127.0.0.1:$GW"
admin_listen = "127.0.0.1:$ADM"

[store]
kind = "embedded"
path = "$work/gateway.db"

[log]
level = "warn"

[[providers]]
name = "issuer"
issuer = "$issuer"
discovery = true
fetch = { min_ttl = "1s", max_ttl = "2s", refetch_cooldown = "1s", allow_insecure_http = true }
audiences = ["orders-api"]
typ = "at+jwt"
algorithms = ["ES256"]

[[routes]]
name = "orders"
path_prefix = "/orders"
upstream = "http://127.0.0.1:$UP"
auth = { providers = ["issuer"], scopes = ["orders:read"] }
TOML
"$jwtkit" gateway --config "$work/gateway.toml" & pids+=($!)
wait_http "http://127.0.0.1:$ADM/readyz"
"$venv/bin/python" scripts/issuer/rotation.py "$issuer" "http://127.0.0.1:$GW" "$ISSUER_BACKEND_SECRET" 13
if grep -q "$ISSUER_BACKEND_SECRET" "$work/issuer.err" "$work/issuer.out"; then
  echo "the issuer printed a client secret" >&2; exit 1
fi
grep -q 'refresh token reuse by client=backend sub=alice: the whole token family is revoked' "$work/issuer.err" \
  || { echo "the issuer did not report the refresh token reuse" >&2; exit 1; }
echo "issuer events (identifiers only, never a secret, code or token):"
grep -E 'reuse|replayed|revoked' "$work/issuer.err" | sed 's/^/  /' 
