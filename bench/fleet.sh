#!/usr/bin/env bash
# Gateways on many machines (a benchmark, not a test): requests per second and store round trips
# per request for 1 and 3 gateway instances on one redis-server and on a 3-master Redis Cluster,
# rate limits exact and batched, cached tokens (100 users, one token each, a rate limit per `sub`
# that never denies). The reference rows are the same gateways with the embedded store (no Redis
# at all), in the same run; ratios are against them.
#
#   bench/fleet.sh      release build, prints a markdown table (also target/bench-fleet.md)
#
# wrk -c64 in total (3 instances: 3 wrk processes, one per instance, summed), DURATION seconds
# per row (default 5), after a 2 s warm-up. Round trips are the gateways' own count
# (`jwtkit_gateway_store_round_trips_total` / `_store_requests_total`, sync tasks included).
set -euo pipefail
cd "$(dirname "$0")/.."
DUR="${DURATION:-5}"
need=()
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || need+=(nginx)
command -v wrk >/dev/null || need+=(wrk)
command -v redis-server >/dev/null || need+=(redis-server)
if [ ${#need[@]} -gt 0 ]; then
  [ "$(id -u)" -eq 0 ] || { echo "missing: ${need[*]} (apt-get install ${need[*]})" >&2; exit 1; }
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
NGINX="$(command -v nginx || echo /usr/sbin/nginx)"
export CARGO_BUILD_JOBS="${CARGO_BUILD_JOBS:-2}"
T="${CARGO_TARGET_DIR:-target}"
cargo build -q --release -p jwtkit-cli
cargo build -q --release -p jwtkit-gateway --example bench_tokens
JWTKIT="$T/release/jwtkit"
work="$(mktemp -d)"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid" 2>/dev/null)" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
wait_http() { for _ in $(seq 200); do curl -s -o /dev/null "$1" 2>/dev/null && return 0; sleep 0.1; done; echo "timeout: $1" >&2; exit 1; }
wait_ready() { for _ in $(seq 200); do [ "$(curl -s -o /dev/null -w '%{http_code}' "$1")" = 200 ] && return 0; sleep 0.1; done; echo "not ready: $1" >&2; curl -s "$1" >&2; exit 1; }
port() { python3 -c 'import socket
while True:
    s=socket.socket(); s.bind(("127.0.0.1",0)); p=s.getsockname()[1]
    if p > 55000: continue
    t=socket.socket()
    try:
        t.bind(("127.0.0.1",p+10000)); print(p); break
    except OSError: pass'; }

"$T/release/examples/bench_tokens" ES256 100 "$work/ES256"

UP=$(port)
cat > "$work/nginx.conf" <<NGINX
worker_processes 1;
pid $work/nginx.pid;
error_log $work/error.log;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $work/tmp; proxy_temp_path $work/tmp; fastcgi_temp_path $work/tmp;
  uwsgi_temp_path $work/tmp; scgi_temp_path $work/tmp;
  server { listen 127.0.0.1:$UP; location / { return 200 "ok\n"; } }
}
NGINX
mkdir -p "$work/tmp"
"$NGINX" -p "$work" -c "$work/nginx.conf" -g 'daemon off;' 2>/dev/null & pids+=($!)

# One redis-server, and a 3-master Cluster.
RS=$(port)
redis-server --port "$RS" --bind 127.0.0.1 --save "" --appendonly no >/dev/null & pids+=($!)
cluster=()
for _ in 1 2 3; do
  p=$(port)
  mkdir -p "$work/c$p"
  (cd "$work/c$p" && exec redis-server --port "$p" --bind 127.0.0.1 --save "" --appendonly no \
    --cluster-enabled yes --cluster-config-file nodes.conf --cluster-node-timeout 2000) >/dev/null & pids+=($!)
  cluster+=("$p")
done
for p in "$RS" "${cluster[@]}"; do for _ in $(seq 100); do redis-cli -p "$p" ping >/dev/null 2>&1 && break; sleep 0.05; done; done
redis-cli --cluster create $(printf '127.0.0.1:%s ' "${cluster[@]}") --cluster-replicas 0 --cluster-yes >/dev/null
for p in "${cluster[@]}"; do
  for _ in $(seq 200); do redis-cli -p "$p" cluster info | grep -q 'cluster_state:ok' && break; sleep 0.05; done
done
wait_http "http://127.0.0.1:$UP/"

# gateway_config FILE STORE_TOML -> "listen_port admin_port"
gateway_config() {
  local listen admin
  listen=$(port); admin=$(port)
  cat > "$1" <<TOML
[server]
listen = "127.0.0.1:$listen"
admin_listen = "127.0.0.1:$admin"
[log]
level = "error"
$2
[[providers]]
name = "bench"
issuer = "https://bench.issuer/"
audiences = ["bench-api"]
keys = "$work/ES256/jwks.json"
algorithms = ["ES256"]
[[routes]]
path_prefix = "/api"
upstream = "http://127.0.0.1:$UP"
auth = { providers = ["bench"] }
rate_limit = { key = "sub", per_second = 1000000000, burst = 1000000000 }
TOML
  echo "$listen $admin"
}

cat > "$work/many.lua" <<'LUA'
local tokens = {}
for line in io.lines(os.getenv("TOKENS")) do tokens[#tokens + 1] = "Bearer " .. line end
local i = math.random(#tokens)
request = function()
  i = i % #tokens + 1
  return wrk.format("GET", nil, { ["Authorization"] = tokens[i] })
end
LUA
export TOKENS="$work/ES256/tokens.txt"

metric() { curl -s "http://127.0.0.1:$1/metrics" | awk -v m="$2" '$1==m {v=$2} END {print (v == "" ? 0 : v)}'; }

sum_metric() { # NAME ADMIN_PORT...
  local m=$1 total=0 v; shift
  for a in "$@"; do v=$(metric "$a" "$m"); total=$((total + ${v%%.*})); done
  echo "$total"
}

# row NAME N STORE_TOML -> "name|instances|rps|trips_per_request"
row() {
  local name=$1 n=$2 store=$3 gws=() admins=() gpids=() warm=() runs=() i ports cfg
  for i in $(seq "$n"); do
    cfg="$work/gw-${#rows[@]}-$i.toml"
    ports=$(gateway_config "$cfg" "${store//@DB@/$work/gw-${#rows[@]}-$i.db}")
    "$JWTKIT" gateway --config "$cfg" & gpids+=($!); pids+=($!)
    gws+=("${ports% *}"); admins+=("${ports#* }")
  done
  for a in "${admins[@]}"; do wait_ready "http://127.0.0.1:$a/readyz"; done
  local c=$((64 / n)) rps=0
  for g in "${gws[@]}"; do wrk -t1 -c"$c" -d2s -s "$work/many.lua" "http://127.0.0.1:$g/api/" >/dev/null 2>&1 & warm+=($!); done
  wait "${warm[@]}"
  local r0 t0 r1 t1
  r0=$(sum_metric jwtkit_gateway_store_requests_total "${admins[@]}")
  t0=$(sum_metric jwtkit_gateway_store_round_trips_total "${admins[@]}")
  for g in "${gws[@]}"; do
    wrk -t1 -c"$c" -d"${DUR}s" -s "$work/many.lua" "http://127.0.0.1:$g/api/" > "$work/wrk-$g.txt" 2>&1 & runs+=($!)
  done
  wait "${runs[@]}"
  r1=$(sum_metric jwtkit_gateway_store_requests_total "${admins[@]}")
  t1=$(sum_metric jwtkit_gateway_store_round_trips_total "${admins[@]}")
  for g in "${gws[@]}"; do
    if grep -q Non-2xx "$work/wrk-$g.txt"; then echo "$name: non-2xx responses" >&2; cat "$work/wrk-$g.txt" >&2; exit 1; fi
    rps=$(python3 -c "print($rps + $(awk '/Requests\/sec/ {print $2}' "$work/wrk-$g.txt"))")
  done
  for p in "${gpids[@]}"; do kill "$p"; wait "$p" 2>/dev/null || true; done
  local trips="-"
  [ "$r1" -gt "$r0" ] && trips=$(python3 -c "print(f'{($t1 - $t0) / ($r1 - $r0):.4f}')")
  echo "$name|$n|$rps|$trips"
}

EMB='[store]
kind = "embedded"
path = "@DB@"'
redis_store() { printf '[store]\nkind = "redis"\n%s\nrate_limit_mode = "%s"\n' "$1" "$2"; }
ONE="url = \"redis://127.0.0.1:$RS\""
NODES="nodes = [$(printf '"redis://127.0.0.1:%s",' "${cluster[@]}" | sed 's/,$//')]"

rows=()
for n in 1 3; do
  rows+=("$(row "embedded store (no Redis)" "$n" "$EMB")")
  for mode in exact batched; do
    rows+=("$(row "one redis-server, $mode" "$n" "$(redis_store "$ONE" "$mode")")")
    rows+=("$(row "3-master Cluster, $mode" "$n" "$(redis_store "$NODES" "$mode")")")
  done
done

python3 - "${rows[@]}" <<'PY' | tee "$T/bench-fleet.md"
import sys
rows = [r.split("|") for r in sys.argv[1:]]
base = {r[1]: float(r[2]) for r in rows if r[0].startswith("embedded")}
print("| store, rate-limit mode | instances | req/s | vs embedded (same instances) | store round trips / request |")
print("|---|---:|---:|---:|---:|")
for name, n, rps, trips in rows:
    print(f"| {name} | {n} | {float(rps):,.0f} | {float(rps) / base[n]:.2f}x | {trips} |")
PY
echo "(wrk, 64 connections in total, ${DUR}s per row, cached ES256 tokens for 100 users; revocations pushed over pub/sub; $(nproc) cores shared by wrk, nginx, Redis and the gateways)"
