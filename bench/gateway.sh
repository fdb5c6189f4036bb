#!/usr/bin/env bash
# Gateway throughput and latency on loopback (a benchmark, not a test): wrk, 64 connections,
# 2 threads, DURATION seconds per row (default 10).
#
#   bench/gateway.sh            release build, prints a markdown table (also target/bench-gateway.md)
#
# Rows: the upstream alone (nginx `return 200`), nginx `proxy_pass` without auth (the reference),
# jwtkit gateway without auth, and with RS256 / ES256 / EdDSA tokens: one repeated token
# (verified-token cache) and 10,000 distinct tokens with the cache disabled (every request
# verifies a signature). Ratios are against the nginx proxy row of the same run.
set -euo pipefail
cd "$(dirname "$0")/.."
DUR="${DURATION:-10}"
CONNS=64
THREADS=2
need=()
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || need+=(nginx)
command -v wrk >/dev/null || need+=(wrk)
if [ ${#need[@]} -gt 0 ]; then
  [ "$(id -u)" -eq 0 ] || { echo "missing: ${need[*]} (apt-get install ${need[*]})" >&2; exit 1; }
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
NGINX="$(command -v nginx || echo /usr/sbin/nginx)"
export CARGO_BUILD_JOBS="${CARGO_BUILD_JOBS:-2}"
cargo build -q --release -p jwtkit-cli
cargo build -q --release -p jwtkit-gateway --example bench_tokens
JWTKIT="$PWD/target/release/jwtkit"
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

# six distinct free ports (all held open while chosen, so none repeats)
read -r UP NGX GWC GWN A1 A2 < <(python3 -c 'import socket
ss=[socket.socket() for _ in range(6)]
[s.bind(("127.0.0.1",0)) for s in ss]
print(*[s.getsockname()[1] for s in ss])')
for alg in RS256 ES256 EdDSA; do
  target/release/examples/bench_tokens "$alg" 10000 "$work/$alg"
done

cat > "$work/nginx.conf" <<NGINX
worker_processes auto;
pid $work/nginx.pid;
error_log $work/error.log;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $work/tmp; proxy_temp_path $work/tmp; fastcgi_temp_path $work/tmp;
  uwsgi_temp_path $work/tmp; scgi_temp_path $work/tmp;
  upstream up { server 127.0.0.1:$UP; keepalive 128; }
  server { listen 127.0.0.1:$UP; location / { return 200 "ok\n"; } }
  server {
    listen 127.0.0.1:$NGX;
    location / { proxy_pass http://up; proxy_http_version 1.1; proxy_set_header Connection ""; }
  }
}
NGINX
mkdir -p "$work/tmp"
"$NGINX" -p "$work" -c "$work/nginx.conf" -g 'daemon off;' 2>/dev/null & pids+=($!)

gateway_config() { # port admin cache_entries
  cat <<TOML
[server]
listen = "127.0.0.1:$1"
admin_listen = "127.0.0.1:$2"
[store]
kind = "embedded"
path = "$work/gw-$1.db"
[cache]
max_entries = $3
[log]
level = "error"
TOML
  for alg in RS256 ES256 EdDSA; do
    cat <<TOML
[[providers]]
name = "$alg"
issuer = "https://bench.issuer/"
audiences = ["bench-api"]
keys = "$work/$alg/jwks.json"
algorithms = ["$alg"]
[[routes]]
path_prefix = "/$alg"
upstream = "http://127.0.0.1:$UP"
auth = { providers = ["$alg"], scopes = ["bench:read"] }
claims_to_headers = { sub = "X-User-Id" }
TOML
  done
  cat <<TOML
[[routes]]
path_prefix = "/none"
upstream = "http://127.0.0.1:$UP"
auth = "none"
TOML
}
gateway_config "$GWC" "$A1" 100000 > "$work/cache.toml"
gateway_config "$GWN" "$A2" 0 > "$work/nocache.toml"
"$JWTKIT" gateway --config "$work/cache.toml" & pids+=($!)
"$JWTKIT" gateway --config "$work/nocache.toml" & pids+=($!)
wait_http "http://127.0.0.1:$UP/"; wait_http "http://127.0.0.1:$NGX/"
wait_http "http://127.0.0.1:$A1/readyz"; wait_http "http://127.0.0.1:$A2/readyz"

cat > "$work/one.lua" <<'LUA'
wrk.headers["Authorization"] = "Bearer " .. (os.getenv("TOKEN") or "")
LUA
cat > "$work/many.lua" <<'LUA'
local tokens = {}
for line in io.lines(os.getenv("TOKENS")) do tokens[#tokens + 1] = "Bearer " .. line end
local i = math.random(#tokens)
request = function()
  i = i % #tokens + 1
  return wrk.format("GET", nil, { ["Authorization"] = tokens[i] })
end
LUA

# run NAME URL [lua] -> "rps p50_ms p99_ms"
run() {
  local name=$1 url=$2 script=${3:-}
  local args=(-t"${THREADS}" -c"${CONNS}" -d"${DUR}s" --latency)
  [ -n "$script" ] && args+=(-s "$script")
  # warm up (connections, caches), then measure
  wrk -t"${THREADS}" -c"${CONNS}" -d2s ${script:+-s "$script"} "$url" >/dev/null 2>&1 || true
  local out; out=$(wrk "${args[@]}" "$url")
  local non2xx; non2xx=$(echo "$out" | awk '/Non-2xx/ {print $NF}')
  [ -z "$non2xx" ] || { echo "$name: $non2xx non-2xx responses" >&2; echo "$out" >&2; exit 1; }
  local rps p50 p99
  rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
  p50=$(echo "$out" | awk '$1=="50%" {print $2}')
  p99=$(echo "$out" | awk '$1=="99%" {print $2}')
  echo "$name|$rps|$(to_ms "$p50")|$(to_ms "$p99")"
}
to_ms() { echo "$1" | awk '{v=$1; if (v ~ /us$/) {sub(/us$/,"",v); printf "%.3f", v/1000} else if (v ~ /ms$/) {sub(/ms$/,"",v); printf "%.3f", v} else if (v ~ /s$/) {sub(/s$/,"",v); printf "%.2f", v*1000} else {printf "%s", v}}'; }

rows=()
rows+=("$(run "upstream direct (nginx return 200)" "http://127.0.0.1:$UP/")")
rows+=("$(run "nginx proxy_pass, no auth" "http://127.0.0.1:$NGX/")")
rows+=("$(run "jwtkit gateway, auth none" "http://127.0.0.1:$GWC/none/")")
for alg in RS256 ES256 EdDSA; do
  rows+=("$(TOKEN=$(head -1 "$work/$alg/tokens.txt") run "jwtkit $alg, one token (cache)" "http://127.0.0.1:$GWC/$alg/" "$work/one.lua")")
done
for alg in RS256 ES256 EdDSA; do
  rows+=("$(TOKENS="$work/$alg/tokens.txt" run "jwtkit $alg, 10k tokens (no cache)" "http://127.0.0.1:$GWN/$alg/" "$work/many.lua")")
done

# Latency of verification itself, without queueing: one connection, closed loop; the baseline
# sends the same requests (same Lua script and token sizes) to a route without auth.
lat=()
lat+=("$(THREADS=1 CONNS=1 TOKENS="$work/RS256/tokens.txt" run "jwtkit gateway, auth none, same requests (1 connection)" "http://127.0.0.1:$GWN/none/" "$work/many.lua")")
for alg in RS256 ES256 EdDSA; do
  lat+=("$(THREADS=1 CONNS=1 TOKENS="$work/$alg/tokens.txt" run "jwtkit $alg, 10k tokens, no cache (1 connection)" "http://127.0.0.1:$GWN/$alg/" "$work/many.lua")")
done

python3 - "${rows[@]}" <<'PY' | tee target/bench-gateway.md
import sys
rows = [r.split("|") for r in sys.argv[1:]]
ref = float(rows[1][1]); none_p99 = float(rows[2][3])
print(f"| setup | req/s | vs nginx proxy | p50 ms | p99 ms | p99 vs gateway no-auth |")
print("|---|---:|---:|---:|---:|---:|")
for name, rps, p50, p99 in rows:
    delta = f"{float(p99) - none_p99:+.2f} ms" if name.startswith("jwtkit") and "auth none" not in name else ""
    print(f"| {name} | {float(rps):,.0f} | {float(rps)/ref:.2f}x | {p50} | {p99} | {delta} |")
PY
python3 - "${lat[@]}" <<'PY' | tee -a target/bench-gateway.md
import sys
rows = [r.split("|") for r in sys.argv[1:]]
base50, base99 = float(rows[0][2]), float(rows[0][3])
print()
print("| latency, 1 connection | req/s | p50 ms | p99 ms | p50 added | p99 added |")
print("|---|---:|---:|---:|---:|---:|")
for i, (name, rps, p50, p99) in enumerate(rows):
    add = ("", "") if i == 0 else (f"{float(p50) - base50:+.3f} ms", f"{float(p99) - base99:+.3f} ms")
    print(f"| {name} | {float(rps):,.0f} | {p50} | {p99} | {add[0]} | {add[1]} |")
PY
echo "(wrk -t$THREADS -c$CONNS -d${DUR}s on loopback; $(nproc) cores shared by wrk, nginx and the gateway)"
