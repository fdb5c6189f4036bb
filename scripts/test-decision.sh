#!/usr/bin/env bash
# The decision service behind real proxies: Debian's nginx (auth_request) and Caddy
# (forward_auth) run examples/gateway/nginx-auth-request.conf and examples/gateway/Caddyfile
# (the very files, ports rewritten) in front of `jwtkit gateway` ([decision] listen) and a real
# upstream. For a valid, an expired, a missing-scope and a revoked token, a request without a
# token, and a valid token with forged identity headers, each proxy must give the client the
# same status and WWW-Authenticate as jwtkit's own proxy mode, and the upstream the same
# identity headers. Then the RFC 9728 document through each proxy.
source "$(dirname "$0")/common.sh"
scripts/deps.sh >/dev/null
build_all

work="$(mktemp -d)"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
wait_http() { for _ in $(seq 100); do curl -s -o /dev/null "$1" 2>/dev/null && return 0; sleep 0.1; done; echo "timeout waiting for $1" >&2; return 1; }

read -r UP GW ADM DEC NGX CAD < <(python3 -c 'import socket
ss=[socket.socket() for _ in range(6)]
[s.bind(("127.0.0.1",0)) for s in ss]
print(*[s.getsockname()[1] for s in ss])')

# The upstream: echoes the request headers it got as JSON.
cat > "$work/upstream.py" <<'PY'
import json, sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
class H(BaseHTTPRequestHandler):
    def do_GET(self):
        seen = {}
        for k, v in self.headers.items():
            seen.setdefault(k.lower(), []).append(v)
        body = json.dumps({"path": self.path, "headers": seen}).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a): pass
ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
PY
python3 "$work/upstream.py" "$UP" & pids+=($!)

"$JWTKIT" keygen --alg ES256 --kid dec-key --out "$work/key.jwk" --public-out "$work/pub.jwk" >/dev/null 2>&1
python3 -c 'import json,sys; print(json.dumps({"keys":[json.load(open(sys.argv[1]))]}))' "$work/pub.jwk" > "$work/jwks.json"
export JWTKIT_ADMIN_TOKEN="decision-admin-$RANDOM$RANDOM"
cat > "$work/gateway.toml" <<TOML
[server]
listen = "127.0.0.1:$GW"
admin_listen = "127.0.0.1:$ADM"
realm = "orders"

[decision]
listen = "127.0.0.1:$DEC"

[store]
kind = "embedded"
path = "$work/gateway.db"

[log]
level = "warn"

[[providers]]
name = "main"
issuer = "https://auth.example.com/"
audiences = ["orders-api"]
keys = "$work/jwks.json"
algorithms = ["ES256"]

[[routes]]
name = "orders"
path_prefix = "/orders"
upstream = "http://127.0.0.1:$UP"
resource = "https://api.example.com/orders"
auth = { providers = ["main"], scopes = ["orders:read"] }
claims_to_headers = { sub = "X-User-Id", tenant = "X-Tenant" }

# An open route: a client that could choose the URI decided on (X-Original-URI beside Caddy's
# X-Forwarded-Uri) would get /orders through as /public.
[[routes]]
name = "public"
path_prefix = "/public"
upstream = "http://127.0.0.1:$UP"
auth = "none"
TOML
"$JWTKIT" gateway --config "$work/gateway.toml" & pids+=($!)

mkdir -p "$work/nginx/tmp"
sed -e "s/127.0.0.1:9100/127.0.0.1:$DEC/; s/127.0.0.1:9000/127.0.0.1:$UP/; s/127.0.0.1:8088/127.0.0.1:$NGX/" \
  examples/gateway/nginx-auth-request.conf > "$work/nginx/nginx.conf"
/usr/sbin/nginx -p "$work/nginx" -c "$work/nginx/nginx.conf" -g 'daemon off; user root;' & pids+=($!)
JWTKIT_DECISION="127.0.0.1:$DEC" ORDERS_API="127.0.0.1:$UP" CADDY_LISTEN="127.0.0.1:$CAD" HOME="$work" \
  caddy run --config examples/gateway/Caddyfile --adapter caddyfile >"$work/caddy.log" 2>&1 & pids+=($!)
for u in "http://127.0.0.1:$ADM/readyz" "http://127.0.0.1:$NGX/orders/" "http://127.0.0.1:$CAD/orders/" "http://127.0.0.1:$UP/"; do
  wait_http "$u"
done

sign() { "$JWTKIT" sign --alg ES256 --key "$work/key.jwk" --iss https://auth.example.com/ --aud orders-api "$@"; }
valid=$(sign --sub alice --exp +1h --jti --claim scope=orders:read --claim tenant=acme)
expired=$(sign --sub alice --exp=-1h --claim scope=orders:read)
no_scope=$(sign --sub alice --exp +1h --claim scope=billing:read)
revoked=$(sign --sub bob --exp +1h --jti dec-revoked-1 --claim scope=orders:read)
no_tenant=$(sign --sub carol --exp +1h --claim scope=orders:read)
curl -fsS -o /dev/null -X POST "http://127.0.0.1:$ADM/admin/revocations" \
  -H "Authorization: Bearer $JWTKIT_ADMIN_TOKEN" -H 'content-type: application/json' \
  -d "{\"jti\":\"dec-revoked-1\",\"exp\":$(( $(date +%s) + 3600 ))}"

# One Python client asks every (case, front) and prints one line each: status | WWW-Authenticate |
# the upstream's X-User-Id | X-Tenant; each proxy's line must equal the proxy mode's, and the
# values must be the expected ones.
fail=0
GW=$GW NGX=$NGX CAD=$CAD valid=$valid expired=$expired no_scope=$no_scope revoked=$revoked \
  no_tenant=$no_tenant python3 - <<'PY' || fail=1
import json, os, sys, urllib.request, urllib.error
from concurrent.futures import ThreadPoolExecutor
e = os.environ
fronts = [("proxy", e["GW"]), ("nginx", e["NGX"]), ("caddy", e["CAD"])]
cases = {
    "valid": (e["valid"], {}), "expired": (e["expired"], {}), "no_scope": (e["no_scope"], {}),
    "revoked": (e["revoked"], {}), "missing": (None, {}),
    "forged": (e["no_tenant"], {"X-User-Id": "root", "X-Tenant": "evil", "X_User_Id": "root"}),
    "smuggled": (None, {"X-Original-URI": "/public/x", "X-Forwarded-Uri": "/public/x",
                        "X-Original-Method": "OPTIONS", "X-Forwarded-Method": "OPTIONS"}),
}
def ask(port, token, extra):
    h = dict(extra)
    if token:
        h["Authorization"] = "Bearer " + token
    req = urllib.request.Request(f"http://127.0.0.1:{port}/orders/42?x=1", headers=h)
    try:
        r = urllib.request.urlopen(req, timeout=10)
        status, headers, body = r.status, r.headers, r.read()
    except urllib.error.HTTPError as err:
        status, headers, body = err.code, err.headers, err.read()
    www = " / ".join(headers.get_all("WWW-Authenticate") or []) or "-"
    seen = json.loads(body)["headers"] if status == 200 else {}
    under = ",".join(v for k, vs in seen.items() if "_" in k for v in vs) or "-"
    return f"{status} | {www} | {','.join(seen.get('x-user-id', ['-']))} | {','.join(seen.get('x-tenant', ['-']))} | {under}"
with ThreadPoolExecutor(6) as pool:
    got = {(c, f): pool.submit(ask, port, *cases[c]) for c in cases for f, port in fronts}
ok = True
print(f"{'case':<10} {'front':<6} status | WWW-Authenticate | upstream X-User-Id | X-Tenant | any *_* header")
for c in cases:
    want = got[(c, "proxy")].result()
    for f, _ in fronts:
        line = got[(c, f)].result()
        print(f"{c:<10} {f:<6} {line}")
        if line != want:
            print("  ^ differs from the proxy mode", file=sys.stderr); ok = False
meta = 'resource_metadata="https://api.example.com/.well-known/oauth-protected-resource/orders"'
expected = {
    "valid": "200 | - | alice | acme | -",
    "expired": f'401 | Bearer realm="orders", error="invalid_token", error_description="token expired", {meta} | - | - | -',
    "no_scope": f'403 | Bearer realm="orders", error="insufficient_scope", error_description="missing scope orders:read", scope="orders:read", {meta} | - | - | -',
    "revoked": f'401 | Bearer realm="orders", error="invalid_token", error_description="token revoked", {meta} | - | - | -',
    "missing": f'401 | Bearer realm="orders", {meta} | - | - | -',
    "forged": "200 | - | carol | - | -",
    "smuggled": f'401 | Bearer realm="orders", {meta} | - | - | -',
}
for c, want in expected.items():
    if got[(c, "proxy")].result() != want:
        print(f"{c}: expected {want}", file=sys.stderr); ok = False
doc_want = {"authorization_servers": ["https://auth.example.com/"], "bearer_methods_supported": ["header"],
            "resource": "https://api.example.com/orders", "scopes_supported": ["orders:read"]}
for f, port in fronts[1:]:
    doc = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/.well-known/oauth-protected-resource/orders"))
    if doc != doc_want:
        print(f"RFC 9728 document through {f}: {doc}", file=sys.stderr); ok = False
sys.exit(0 if ok else 1)
PY
[ "$fail" = 0 ] || { echo "decision: FAILED" >&2; cat "$work/caddy.log" >&2; exit 1; }
echo "decision: all checks passed"
