#!/usr/bin/env bash
# One-command demo of sender-constrained tokens and token profiles at `jwtkit gateway`
# (docs/gateway.md "DPoP", "Certificate-bound tokens", "Token profiles"): starts an echo upstream
# and the gateway (examples/gateway/sender.toml with free ports and fresh keys) on loopback, then
# sends DPoP requests (proofs by `jwtkit dpop`: the nonce flow, a replay, a bound token as Bearer),
# an ID token where an RFC 9068 access token is expected, and certificate-bound requests (client
# certificates made by openssl, forwarded in the trusted proxy header), printing status and answer.
#
#   examples/gateway/sender-demo.sh     (builds jwtkit if needed; JWTKIT=/path/to/jwtkit to reuse one)
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
wait_http() { for _ in $(seq 100); do curl -sS -o /dev/null "$1" 2>/dev/null && return 0; sleep 0.1; done; echo "timeout waiting for $1" >&2; return 1; }

read -r UP GW ADM < <(python3 -c 'import socket
ss=[socket.socket() for _ in range(3)]
[s.bind(("127.0.0.1",0)) for s in ss]
print(*[s.getsockname()[1] for s in ss])')

# An upstream that answers with the request headers it received, as JSON.
python3 - "$UP" >/dev/null 2>&1 <<'PY' & pids+=($!)
import http.server, json, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = json.dumps({k.lower(): v for k, v in self.headers.items()}).encode()
        self.send_response(200); self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body))); self.end_headers(); self.wfile.write(body)
    def log_message(self, *a): pass
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
PY

# The issuer's key (its public JWK Set for the gateway) and the client's DPoP key.
"$JWTKIT" keygen --alg ES256 --kid demo-issuer --out "$work/issuer.jwk" --public-out "$work/issuer.pub.jwk" >/dev/null 2>&1
python3 -c 'import json,sys; print(json.dumps({"keys":[json.load(open(sys.argv[1]))]}))' "$work/issuer.pub.jwk" > "$work/jwks.json"
"$JWTKIT" keygen --alg ES256 --out "$work/client.jwk" --public-out "$work/client.pub.jwk" >/dev/null 2>&1
"$JWTKIT" keygen --alg ES256 --out "$work/other.jwk" --public-out "$work/other.pub.jwk" >/dev/null 2>&1

# Client certificates: a CA, alice's certificate and another one (openssl).
ossl() { openssl "$@" >/dev/null 2>&1; }
ossl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 -subj "/CN=demo client CA" -keyout "$work/ca.key" -out "$work/ca.pem"
for who in alice mallory; do
  ossl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=$who" -keyout "$work/$who.key" -out "$work/$who.csr"
  ossl x509 -req -in "$work/$who.csr" -CA "$work/ca.pem" -CAkey "$work/ca.key" -CAcreateserial -days 1 -out "$work/$who.pem"
done
x5t=$(openssl x509 -in "$work/alice.pem" -outform DER | openssl dgst -sha256 -binary | python3 -c 'import base64,sys; print(base64.urlsafe_b64encode(sys.stdin.buffer.read()).rstrip(b"=").decode())')
escaped() { python3 -c 'import sys,urllib.parse; print(urllib.parse.quote(open(sys.argv[1]).read(), safe=""))' "$1"; }

export DPOP_NONCE_SECRET="demo-nonce-secret-$RANDOM$RANDOM$RANDOM$RANDOM-0123456789"
sed -e "s/^listen = .*/listen = \"127.0.0.1:$GW\"/" -e "s/^admin_listen = .*/admin_listen = \"127.0.0.1:$ADM\"/" \
    -e "s#^upstream = .*#upstream = \"http://127.0.0.1:$UP\"#" -e "s#^keys = .*#keys = \"$work/jwks.json\"#" \
    -e "s#^path = .*#path = \"$work/gateway.db\"#" -e "s#^external_origin = .*#external_origin = \"http://127.0.0.1:$GW\"#" \
    examples/gateway/sender.toml > "$work/gateway.toml"
printf '\n[log]\nlevel = "warn"\n' >> "$work/gateway.toml"
"$JWTKIT" gateway --config "$work/gateway.toml" & pids+=($!)
wait_http "http://127.0.0.1:$ADM/readyz"

URL="http://127.0.0.1:$GW/orders/42"
sign() { "$JWTKIT" sign --alg ES256 --key "$work/issuer.jwk" --iss https://auth.example.com/ --exp +1h --jti "$@"; }
jkt=$("$JWTKIT" dpop --key "$work/client.jwk" --url "$URL" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["jkt"])')
bound=$(sign --typ at+jwt --sub alice --aud orders-api --claims "{\"scope\":\"orders:read\",\"cnf\":{\"jkt\":\"$jkt\"}}")
id_token=$(sign --sub alice --aud orders-api --claims '{"nonce":"n-0S6_WzA2Mj","at_hash":"77QmUPtjPfzWtF2AnpK9RQ"}')
cert_bound=$(sign --typ at+jwt --sub alice --aud payments-api --claims "{\"cnf\":{\"x5t#S256\":\"$x5t\"}}")
proof() { "$JWTKIT" dpop --key "$1" --url "$URL" --access-token "$bound" ${2:+--nonce "$2"}; }

# call NAME curl-args...: status, WWW-Authenticate (or what the upstream saw), DPoP-Nonce.
call() {
  local name=$1; shift
  local out; out=$(curl -sS -D "$work/h" "$@")
  local st; st=$(head -1 "$work/h" | cut -d' ' -f2)
  local www; www=$(tr -d '\r' < "$work/h" | sed -n 's/^[Ww][Ww][Ww]-[Aa]uthenticate: //p')
  local nonce=""; grep -qi '^dpop-nonce:' "$work/h" && nonce="  (DPoP-Nonce given)"
  if [ "$st" = 200 ]; then
    www=$(printf '%s' "$out" | python3 -c 'import json,sys; h=json.load(sys.stdin); print("upstream saw", {k: h[k] for k in ("x-user-id","x-dpop-jkt","x-client-cert") if k in h} or "-")')
  fi
  printf '%-17s %s  %s%s\n' "$name" "$st" "$www" "$nonce"
}

call dpop-no-nonce -H "Authorization: DPoP $bound" -H "DPoP: $(proof "$work/client.jwk")" "$URL"
nonce=$(tr -d '\r' < "$work/h" | sed -n 's/^[Dd][Pp][Oo][Pp]-[Nn]once: //p')
p=$(proof "$work/client.jwk" "$nonce")
call dpop -H "Authorization: DPoP $bound" -H "DPoP: $p" "$URL"
call dpop-replayed -H "Authorization: DPoP $bound" -H "DPoP: $p" "$URL"
call dpop-other-key -H "Authorization: DPoP $bound" -H "DPoP: $(proof "$work/other.jwk" "$nonce")" "$URL"
call dpop-as-bearer -H "Authorization: Bearer $bound" "$URL"
call id-token -H "Authorization: Bearer $id_token" "$URL"
PAY="http://127.0.0.1:$GW/payments/7"
call mtls-bound -H "Authorization: Bearer $cert_bound" -H "X-Client-Cert: $(escaped "$work/alice.pem")" "$PAY"
call mtls-other-cert -H "Authorization: Bearer $cert_bound" -H "X-Client-Cert: $(escaped "$work/mallory.pem")" "$PAY"
call mtls-no-cert -H "Authorization: Bearer $cert_bound" "$PAY"
echo
echo "why was the ID token refused? (jwtkit gateway explain)"
"$JWTKIT" gateway explain --config "$work/gateway.toml" --route /orders/42 "$id_token" 2>&1 | grep -i 'token profile' || true
