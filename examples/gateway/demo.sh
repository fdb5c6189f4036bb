#!/usr/bin/env bash
# One-command demo of `jwtkit gateway`: starts an upstream, a local JWKS server, `jwtkit issuer`
# (a local OpenID provider, examples/issuer/issuer.toml) and the gateway on free loopback ports,
# then sends an accepted, an expired, a wrong-audience, a revoked and a rate-limited request
# (tokens made by `jwtkit sign`, keys from the JWKS file server) and two requests with tokens from
# the issuer (a login with code + PKCE, and client credentials; keys by discovery), and prints each
# status. Everything stops on exit.
#
#   examples/gateway/demo.sh            (builds jwtkit if needed; JWTKIT=/path/to/jwtkit to reuse one)
set -euo pipefail
cd "$(dirname "$0")/../.."
JWTKIT="${JWTKIT:-${CARGO_TARGET_DIR:-target}/debug/jwtkit}"
if [ ! -x "$JWTKIT" ]; then
  CARGO_BUILD_JOBS="${CARGO_BUILD_JOBS:-2}" cargo build -q -p jwtkit-cli
fi
JWTKIT="$(cd "$(dirname "$JWTKIT")" && pwd)/$(basename "$JWTKIT")"
work="$(mktemp -d)"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
wait_http() { for _ in $(seq 100); do curl -fsS -o /dev/null "$1" 2>/dev/null && return 0; sleep 0.1; done; echo "timeout waiting for $1" >&2; return 1; }

read -r UP JW GW ADM IDP < <(python3 -c 'import socket
ss=[socket.socket() for _ in range(5)]
[s.bind(("127.0.0.1",0)) for s in ss]
print(*[s.getsockname()[1] for s in ss])')
mkdir -p "$work/upstream/orders" "$work/jwks"
echo '{"orders":[1,2,3]}' > "$work/upstream/orders/index.html"

# A signing key and its public JWK Set, served by a local JWKS server.
"$JWTKIT" keygen --alg ES256 --kid demo-key --out "$work/key.jwk" --public-out "$work/pub.jwk" >/dev/null 2>&1
python3 -c 'import json,sys; print(json.dumps({"keys":[json.load(open(sys.argv[1]))]}))' "$work/pub.jwk" > "$work/jwks/jwks.json"
python3 -m http.server "$UP" --bind 127.0.0.1 --directory "$work/upstream" >/dev/null 2>&1 & pids+=($!)
python3 -m http.server "$JW" --bind 127.0.0.1 --directory "$work/jwks" >/dev/null 2>&1 & pids+=($!)
wait_http "http://127.0.0.1:$JW/jwks.json"

# A local OpenID provider: the example config, on a free port.
export ISSUER_BACKEND_SECRET="demo-backend-$RANDOM$RANDOM"
ISS="http://127.0.0.1:$IDP"
"$JWTKIT" issuer --config examples/issuer/issuer.toml --listen "127.0.0.1:$IDP" >/dev/null 2>&1 & pids+=($!)
wait_http "$ISS/.well-known/openid-configuration"

# Keys: the JWKS URL when this build has the remote key cache, else the same file.
KEYS="jwks_uri = \"http://127.0.0.1:$JW/jwks.json\"
fetch = { allow_insecure_http = true }"
if ! "$JWTKIT" gateway --help >/dev/null 2>&1; then echo "this jwtkit has no gateway" >&2; exit 1; fi
export JWTKIT_ADMIN_TOKEN="demo-admin-$RANDOM$RANDOM"
write_config() {
cat > "$work/gateway.toml" <<TOML
[server]
listen = "127.0.0.1:$GW"
admin_listen = "127.0.0.1:$ADM"
admin_token = "env:JWTKIT_ADMIN_TOKEN"
realm = "demo"

[store]
kind = "embedded"
path = "$work/gateway.db"

[log]
level = "warn"

[[providers]]
name = "demo"
issuer = "https://issuer.demo/"
audiences = ["orders-api"]
$1
algorithms = ["ES256"]

[[providers]]
name = "dev-issuer"
issuer = "$ISS"
discovery = true
fetch = { allow_insecure_http = true }
audiences = ["orders-api"]
typ = "at+jwt"
algorithms = ["ES256"]

[[routes]]
name = "orders"
path_prefix = "/orders"
upstream = "http://127.0.0.1:$UP"
auth = { providers = ["demo", "dev-issuer"] }
claims_to_headers = { sub = "X-User-Id" }
rate_limit = { per_second = 0.05, burst = 2 }
TOML
}
write_config "$KEYS"
if ! "$JWTKIT" gateway --config "$work/gateway.toml" --check >/dev/null 2>&1; then
  write_config "keys = \"$work/jwks/jwks.json\""
  echo "(this build has no remote key cache: the gateway reads the JWKS file the JWKS server serves)"
fi
"$JWTKIT" gateway --config "$work/gateway.toml" & pids+=($!)
wait_http "http://127.0.0.1:$ADM/readyz"

sign() { "$JWTKIT" sign --alg ES256 --key "$work/key.jwk" --iss https://issuer.demo/ "$@"; }
status() { curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $1" "http://127.0.0.1:$GW/orders/"; }
www() { curl -s -o /dev/null -D - -H "Authorization: Bearer $1" "http://127.0.0.1:$GW/orders/" | tr -d '\r' | grep -i '^www-authenticate:\|^retry-after:' || true; }

accepted=$(sign --sub alice --aud orders-api --exp +1h --jti)
expired=$(sign --sub alice --aud orders-api --exp=-1h)
wrong_aud=$(sign --sub alice --aud billing-api --exp +1h)
revoked=$(sign --sub bob --aud orders-api --exp +1h --jti demo-revoked-1)
curl -fsS -o /dev/null -X POST "http://127.0.0.1:$ADM/admin/revocations" \
  -H "Authorization: Bearer $JWTKIT_ADMIN_TOKEN" -H 'content-type: application/json' \
  -d "{\"jti\":\"demo-revoked-1\",\"exp\":$(( $(date +%s) + 3600 ))}"
limited=$(sign --sub carol --aud orders-api --exp +1h)

# From jwtkit issuer: alice signs in on its login page (code + PKCE S256, as a browser would), and
# the backend client gets a token for itself (client credentials).
REDIRECT="http://127.0.0.1:8000/callback"
verifier=$(python3 -c 'import secrets; print(secrets.token_urlsafe(48))')
challenge=$(python3 -c 'import base64,hashlib,sys; print(base64.urlsafe_b64encode(hashlib.sha256(sys.argv[1].encode()).digest()).rstrip(b"=").decode())' "$verifier")
page=$(curl -fsS -G "$ISS/authorize" --data-urlencode response_type=code --data-urlencode client_id=web \
  --data-urlencode "redirect_uri=$REDIRECT" --data-urlencode "scope=openid orders:read" --data-urlencode state=demo-state \
  --data-urlencode "code_challenge=$challenge" --data-urlencode code_challenge_method=S256)
request_id=$(printf '%s' "$page" | sed -n 's/.*name="request" value="\([^"]*\)".*/\1/p')
location=$(curl -sS -o /dev/null -w '%{redirect_url}' -d "request=$request_id&sub=alice&action=approve" "$ISS/authorize/login")
code=$(python3 -c 'import sys,urllib.parse as u; print(dict(u.parse_qsl(u.urlparse(sys.argv[1]).query))["code"])' "$location")
access_token() { python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])'; }
issuer_login=$(curl -fsS "$ISS/token" -d grant_type=authorization_code -d client_id=web -d "code=$code" \
  --data-urlencode "redirect_uri=$REDIRECT" -d "code_verifier=$verifier" | access_token)
issuer_client=$(curl -fsS -u "backend:$ISSUER_BACKEND_SECRET" "$ISS/token" -d grant_type=client_credentials | access_token)

printf '%-14s %s\n' "request" "status"
printf '%-14s %s\n' "accepted" "$(status "$accepted")"
printf '%-14s %s   %s\n' "expired" "$(status "$expired")" "$(www "$expired")"
printf '%-14s %s   %s\n' "wrong-audience" "$(status "$wrong_aud")" "$(www "$wrong_aud")"
printf '%-14s %s   %s\n' "revoked" "$(status "$revoked")" "$(www "$revoked")"
s1=$(status "$limited"); s2=$(status "$limited"); s3=$(status "$limited")
printf '%-14s %s   %s\n' "rate-limited" "$s1 $s2 $s3" "$(www "$limited" | tail -1)"
printf '%-14s %s   %s\n' "issuer-login" "$(status "$issuer_login")" "(jwtkit issuer: alice, code + PKCE)"
printf '%-14s %s   %s\n' "issuer-client" "$(status "$issuer_client")" "(jwtkit issuer: client credentials)"
echo
echo "why was the expired token rejected? (jwtkit gateway explain)"
"$JWTKIT" gateway explain --config "$work/gateway.toml" --route /orders/ "$expired" | sed -n '1,2p' || true
