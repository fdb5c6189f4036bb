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

# One line per (case, front): status | WWW-Authenticate | upstream's X-User-Id | X-Tenant.
ask() { # front-port case token [extra curl args]
  local port=$1 name=$2 token=$3; shift 3
  local auth=()
  [ -n "$token" ] && auth=(-H "Authorization: Bearer $token")
  curl -s -D "$work/h" -o "$work/b" "${auth[@]}" "$@" "http://127.0.0.1:$port/orders/42?x=1" >/dev/null
  python3 - "$work/h" "$work/b" <<'PY'
import json, sys
head = open(sys.argv[1]).read().replace("\r", "").split("\n")
status = head[0].split()[1]
www = [l.split(":", 1)[1].strip() for l in head if l.lower().startswith("www-authenticate:")]
seen = {}
if status == "200":
    seen = json.load(open(sys.argv[2]))["headers"]
print(f"{status} | {' / '.join(www) or '-'} | {','.join(seen.get('x-user-id', ['-']))} | {','.join(seen.get('x-tenant', ['-']))}")
PY
}
fail=0
printf '%-10s %-6s %s\n' case front "status | WWW-Authenticate | upstream X-User-Id | X-Tenant"
for c in valid expired no_scope revoked missing forged; do
  case $c in
    missing) tok=""; extra=() ;;
    forged) tok=$no_tenant; extra=(-H "X-User-Id: root" -H "X-Tenant: evil") ;;
    *) tok=${!c}; extra=() ;;
  esac
  want=$(ask "$GW" "$c" "$tok" "${extra[@]}")
  printf '%-10s %-6s %s\n' "$c" proxy "$want"
  for front in nginx:$NGX caddy:$CAD; do
    got=$(ask "${front#*:}" "$c" "$tok" "${extra[@]}")
    printf '%-10s %-6s %s\n' "$c" "${front%%:*}" "$got"
    [ "$got" = "$want" ] || { echo "  ^ differs from the proxy mode" >&2; fail=1; }
  done
done
# Expected values (not only agreement).
check() { echo "$2" | grep -Fq -- "$3" || { echo "$1: expected $3 in: $2" >&2; fail=1; }; }
meta='resource_metadata="https://api.example.com/.well-known/oauth-protected-resource/orders"'
check valid "$(ask "$NGX" valid "$valid")" "200 | - | alice | acme"
check expired "$(ask "$CAD" expired "$expired")" "401 | Bearer realm=\"orders\", error=\"invalid_token\", error_description=\"token expired\", $meta | - | -"
check no_scope "$(ask "$NGX" no_scope "$no_scope")" "403 | Bearer realm=\"orders\", error=\"insufficient_scope\", error_description=\"missing scope orders:read\", scope=\"orders:read\", $meta"
check revoked "$(ask "$CAD" revoked "$revoked")" "401 | Bearer realm=\"orders\", error=\"invalid_token\", error_description=\"token revoked\", $meta"
check forged "$(ask "$NGX" forged "$no_tenant" -H 'X-User-Id: root' -H 'X-Tenant: evil')" "200 | - | carol | -"

for port in $NGX $CAD; do
  doc=$(curl -s "http://127.0.0.1:$port/.well-known/oauth-protected-resource/orders")
  want='{"authorization_servers":["https://auth.example.com/"],"bearer_methods_supported":["header"],"resource":"https://api.example.com/orders","scopes_supported":["orders:read"]}'
  got=$(echo "$doc" | python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin), sort_keys=True, separators=(",",":")))')
  [ "$got" = "$want" ] || { echo "RFC 9728 document via port $port: $doc" >&2; fail=1; }
done
[ "$fail" = 0 ] || { echo "decision: FAILED" >&2; cat "$work/caddy.log" >&2; exit 1; }
echo "decision: all checks passed"
