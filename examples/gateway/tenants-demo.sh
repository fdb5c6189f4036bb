#!/usr/bin/env bash
# Demo of two provider features of `jwtkit gateway`, on free loopback ports, everything local:
#
#  1. a multi-tenant issuer (issuer template, Entra ID-shaped): one JWK Set for every tenant,
#     tokens from two tenants signed by `jwtkit sign`, one tenant allowed; the matched tenant
#     forwarded as X-Tenant-Id (`"$tenant"` in claims_to_headers);
#  2. RFC 7662 introspection of opaque tokens: a small introspection endpoint (Python, checks
#     HTTP Basic client authentication) that knows two tokens, one active and one not.
#
# Prints each request's status and the headers the upstream saw. Everything stops on exit.
#
#   examples/gateway/tenants-demo.sh    (builds jwtkit if needed; JWTKIT=/path/to/jwtkit to reuse one)
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

read -r UP JW AS GW ADM < <(python3 -c 'import socket
ss=[socket.socket() for _ in range(5)]
[s.bind(("127.0.0.1",0)) for s in ss]
print(*[s.getsockname()[1] for s in ss])')

CONTOSO=72f988bf-86f1-41af-91ab-2d7cd011db47
FABRIKAM=9188040d-6c67-4c5b-b112-36a304b66dad

# Entra-shaped keys: one RS256 JWK Set for all tenants, served by a local JWKS server.
mkdir -p "$work/jwks"
"$JWTKIT" keygen --alg RS256 --kid entra-demo-1 --out "$work/entra.jwk" --public-out "$work/entra.pub.jwk" >/dev/null 2>&1
python3 -c 'import json,sys; print(json.dumps({"keys":[json.load(open(sys.argv[1]))]}))' "$work/entra.pub.jwk" > "$work/jwks/keys.json"
python3 -m http.server "$JW" --bind 127.0.0.1 --directory "$work/jwks" >/dev/null 2>&1 & pids+=($!)

# An upstream that answers with the identity headers it received.
python3 - "$UP" >/dev/null 2>&1 <<'PY' & pids+=($!)
import http.server, json, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        seen = {k: v for k, v in self.headers.items() if k.lower().startswith("x-")}
        body = json.dumps(seen, sort_keys=True).encode()
        self.send_response(200); self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body))); self.end_headers(); self.wfile.write(body)
    def log_message(self, *a): pass
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
PY

# An RFC 7662 introspection endpoint: client "orders-gateway" with HTTP Basic; two known tokens.
export INTROSPECTION_SECRET="demo-$RANDOM$RANDOM"
python3 - "$AS" >/dev/null 2>&1 <<'PY' & pids+=($!)
import base64, http.server, json, os, sys, time, urllib.parse
TOKENS = {
    "opaque-active-2YotnFZFEjr1zCsicMWpAA": {"active": True, "sub": "alice", "scope": "orders:read",
        "client_id": "mobile-app", "aud": "orders-api", "exp": int(time.time()) + 3600},
    "opaque-revoked-tGzv3JOkF0XG5Qx2TlKWIA": {"active": False},
}
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        auth = self.headers.get("authorization", "")
        want = "Basic " + base64.b64encode(b"orders-gateway:" + os.environ["INTROSPECTION_SECRET"].encode()).decode()
        form = dict(urllib.parse.parse_qsl(self.rfile.read(int(self.headers["content-length"])).decode()))
        status, answer = (200, TOKENS.get(form.get("token"), {"active": False})) if auth == want \
            else (401, {"error": "invalid_client"})
        body = json.dumps(answer).encode()
        self.send_response(status); self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body))); self.end_headers(); self.wfile.write(body)
    def log_message(self, *a): pass
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
PY
wait_http "http://127.0.0.1:$JW/keys.json"
wait_http "http://127.0.0.1:$UP/"

cat > "$work/gateway.toml" <<TOML
[server]
listen = "127.0.0.1:$GW"
admin_listen = "127.0.0.1:$ADM"
realm = "demo"

[store]
kind = "embedded"
path = "$work/gateway.db"

[log]
level = "warn"

# Entra ID (multi-tenant app): against Microsoft, jwks_uri is
# https://login.microsoftonline.com/common/discovery/v2.0/keys (see examples/gateway/entra.toml).
[[providers]]
name = "entra"
issuer = "https://login.microsoftonline.com/{tid}/v2.0"
tenants = ["$CONTOSO"]
audiences = ["api://orders"]
jwks_uri = "http://127.0.0.1:$JW/keys.json"
algorithms = ["RS256"]

# Opaque tokens, checked by introspection (JWTs from this issuer would be verified locally).
[[providers]]
name = "opaque"
issuer = "https://as.demo/"
audiences = ["orders-api"]
jwks_uri = "http://127.0.0.1:$JW/keys.json"
algorithms = ["RS256"]
introspection = { url = "http://127.0.0.1:$AS/introspect", client_id = "orders-gateway", client_secret = "env:INTROSPECTION_SECRET", max_cache = "5m" }

[[routes]]
name = "entra"
path_prefix = "/tenants"
upstream = "http://127.0.0.1:$UP"
auth = { providers = ["entra"] }
claims_to_headers = { "\$tenant" = "X-Tenant-Id", oid = "X-User-Oid" }

[[routes]]
name = "opaque"
path_prefix = "/orders"
upstream = "http://127.0.0.1:$UP"
auth = { providers = ["opaque"], scopes = ["orders:read"] }
claims_to_headers = { sub = "X-User-Id", client_id = "X-Client-Id" }
TOML
"$JWTKIT" gateway --config "$work/gateway.toml" --check >/dev/null
"$JWTKIT" gateway --config "$work/gateway.toml" & pids+=($!)
wait_http "http://127.0.0.1:$ADM/readyz"

entra() {
  "$JWTKIT" sign --alg RS256 --key "$work/entra.jwk" --iss "https://login.microsoftonline.com/$1/v2.0" \
    --claim "tid=$1" --claim aud=api://orders --claim oid=00000000-0000-0000-0000-00000000a11c --exp +1h
}
call() { # path token -> "status body-or-WWW-Authenticate"
  out=$(curl -s -D "$work/h" -H "Authorization: Bearer $2" "http://127.0.0.1:$GW$1")
  code=$(head -1 "$work/h" | cut -d' ' -f2)
  if [ "$code" = 200 ]; then echo "$code upstream saw $out"
  else echo "$code $(tr -d '\r' < "$work/h" | grep -i '^www-authenticate:\|^retry-after:' | tr '\n' ' ')$out"; fi
}
printf '%-22s %s\n' "contoso (allowed)" "$(call /tenants/x "$(entra $CONTOSO)")"
printf '%-22s %s\n' "fabrikam (not allowed)" "$(call /tenants/x "$(entra $FABRIKAM)")"
printf '%-22s %s\n' "opaque active" "$(call /orders/1 opaque-active-2YotnFZFEjr1zCsicMWpAA)"
printf '%-22s %s\n' "opaque inactive" "$(call /orders/1 opaque-revoked-tGzv3JOkF0XG5Qx2TlKWIA)"
echo
echo "why was the fabrikam token rejected? (jwtkit gateway explain)"
"$JWTKIT" gateway explain --config "$work/gateway.toml" --route /tenants/x "$(entra $FABRIKAM)" | grep -E '^decision|FAIL' || true
echo
echo "and the inactive opaque token?"
"$JWTKIT" gateway explain --config "$work/gateway.toml" --route /orders/1 opaque-revoked-tGzv3JOkF0XG5Qx2TlKWIA | grep -E '^decision|authenticate' || true
echo
curl -s "http://127.0.0.1:$ADM/metrics" | grep '^jwtkit_gateway_introspection_requests_total' || true
