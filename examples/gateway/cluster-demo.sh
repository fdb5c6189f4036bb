#!/usr/bin/env bash
# Three `jwtkit gateway` instances sharing a local 3-master Redis Cluster (Debian's
# redis-server and redis-cli on free loopback ports). Shows: a revocation posted to instance A
# enforced by B and C (with the time it took), one rate-limit bucket shared by the three, users
# whose keys hash to every slot, and each instance's /readyz store section. Everything stops on
# exit.
#
#   examples/gateway/cluster-demo.sh    (builds jwtkit if needed; JWTKIT=/path/to/jwtkit to reuse one)
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v redis-server >/dev/null || { echo "needs redis-server and redis-cli (apt-get install redis-server)" >&2; exit 1; }
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
# A free port whose cluster bus port (+10000) is free too.
port() { python3 -c 'import socket
while True:
    s=socket.socket(); s.bind(("127.0.0.1",0)); p=s.getsockname()[1]
    if p > 55000: continue
    t=socket.socket()
    try:
        t.bind(("127.0.0.1",p+10000)); print(p); break
    except OSError: pass'; }
ready() { for _ in $(seq 100); do [ "$(curl -s -o /dev/null -w '%{http_code}' "$1")" = 200 ] && return 0; sleep 0.1; done; echo "not ready: $1" >&2; curl -s "$1" >&2; return 1; }

# The cluster: three masters, slots split by redis-cli.
nodes=()
for _ in 1 2 3; do
  p=$(port); mkdir -p "$work/redis-$p"
  (cd "$work/redis-$p" && exec redis-server --port "$p" --bind 127.0.0.1 --save "" --appendonly no \
    --cluster-enabled yes --cluster-config-file nodes.conf --cluster-node-timeout 2000) >/dev/null & pids+=($!)
  nodes+=("$p")
done
for p in "${nodes[@]}"; do for _ in $(seq 100); do redis-cli -p "$p" ping >/dev/null 2>&1 && break; sleep 0.05; done; done
redis-cli --cluster create $(printf '127.0.0.1:%s ' "${nodes[@]}") --cluster-replicas 0 --cluster-yes >/dev/null
for p in "${nodes[@]}"; do
  for _ in $(seq 200); do redis-cli -p "$p" cluster info | grep -q 'cluster_state:ok' && break; sleep 0.05; done
done
echo "cluster: ${nodes[*]/#/127.0.0.1:}"

# An upstream, a signing key, and three gateways with the same config but their own ports.
UP=$(port)
mkdir -p "$work/upstream/orders"; echo '{"orders":[1,2,3]}' > "$work/upstream/orders/index.html"
python3 -m http.server "$UP" --bind 127.0.0.1 --directory "$work/upstream" >/dev/null 2>&1 & pids+=($!)
"$JWTKIT" keygen --alg ES256 --kid demo-key --out "$work/key.jwk" --public-out "$work/pub.jwk" >/dev/null 2>&1
python3 -c 'import json,sys; print(json.dumps({"keys":[json.load(open(sys.argv[1]))]}))' "$work/pub.jwk" > "$work/jwks.json"
export JWTKIT_ADMIN_TOKEN="demo-admin-$RANDOM$RANDOM"
NODES=$(printf '"redis://127.0.0.1:%s", ' "${nodes[@]}"); NODES="[${NODES%, }]"
gw=(); adm=()
for name in A B C; do
  g=$(port); a=$(port); gw+=("$g"); adm+=("$a")
  cat > "$work/$name.toml" <<TOML
[server]
listen = "127.0.0.1:$g"
admin_listen = "127.0.0.1:$a"
admin_token = "env:JWTKIT_ADMIN_TOKEN"

[store]
kind = "redis"
nodes = $NODES
prefix = "demo:"

[log]
level = "warn"

[[providers]]
name = "demo"
issuer = "https://issuer.demo/"
audiences = ["orders-api"]
keys = "$work/jwks.json"
algorithms = ["ES256"]

[[routes]]
name = "orders"
path_prefix = "/orders"
upstream = "http://127.0.0.1:$UP"
auth = { providers = ["demo"] }
rate_limit = { per_second = 0.01, burst = 4 }
TOML
  "$JWTKIT" gateway --config "$work/$name.toml" --check >/dev/null
  "$JWTKIT" gateway --config "$work/$name.toml" & pids+=($!)
done
for a in "${adm[@]}"; do ready "http://127.0.0.1:$a/readyz"; done
echo "gateways: A 127.0.0.1:${gw[0]}  B 127.0.0.1:${gw[1]}  C 127.0.0.1:${gw[2]}"

sign() { "$JWTKIT" sign --alg ES256 --key "$work/key.jwk" --iss https://issuer.demo/ --aud orders-api --exp +1h "$@"; }
status() { curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $2" "http://127.0.0.1:$1/orders/"; }

echo
echo "users hashing anywhere, through A, B, C in turn:"
line=""
for i in $(seq 0 8); do t=$(sign --sub "user-$i"); line+="$(status "${gw[$((i % 3))]}" "$t") "; done
echo "  $line"

echo
revoked=$(sign --sub dave --jti demo-revoked-1)
echo "before: A $(status "${gw[0]}" "$revoked")  B $(status "${gw[1]}" "$revoked")  C $(status "${gw[2]}" "$revoked")"
t0=$(date +%s%N)
curl -fsS -o /dev/null -X POST "http://127.0.0.1:${adm[0]}/admin/revocations" \
  -H "Authorization: Bearer $JWTKIT_ADMIN_TOKEN" -H 'content-type: application/json' \
  -d "{\"jti\":\"demo-revoked-1\",\"exp\":$(( $(date +%s) + 3600 ))}"
for i in 1 2; do
  until [ "$(status "${gw[$i]}" "$revoked")" = 401 ]; do sleep 0.005; done
done
t1=$(date +%s%N)
echo "revoked via A: B and C answer 401 after $(( (t1 - t0) / 1000000 )) ms (bound: store.revocation_max_staleness = 1s)"
echo "after:  A $(status "${gw[0]}" "$revoked")  B $(status "${gw[1]}" "$revoked")  C $(status "${gw[2]}" "$revoked")"

echo
limited=$(sign --sub erin)
line=""
for i in $(seq 0 6); do line+="$(status "${gw[$((i % 3))]}" "$limited") "; done
echo "one bucket (burst 4) across A, B, C: $line"

echo
echo "B /readyz store section:"
curl -s "http://127.0.0.1:${adm[1]}/readyz" | python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin)["store"], indent=2))'
