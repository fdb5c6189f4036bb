#!/usr/bin/env bash
# JWE interop (issue 6): every key management x content encryption pair, both directions,
# between the built `jwtkit` CLI and jwcrypto (PyPI) and node `jose` (npm), plus JSON
# serializations and attacks through the CLI. Installs what it needs locally (a venv and an npm
# prefix under target/; nothing global). Idempotent; exits non-zero on any failure.
source "$(dirname "$0")/common.sh"
scripts/deps.sh >/dev/null

venv=target/jwe-venv
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/python" -c 'import jwcrypto' 2>/dev/null || "$venv/bin/pip" install -q 'jwcrypto>=1.5'

node_dir=target/interop-node
mkdir -p "$node_dir"
[ -f "$node_dir/package.json" ] || echo '{"private":true,"type":"module"}' > "$node_dir/package.json"
[ -f "$node_dir/node_modules/jose/package.json" ] || npm install --prefix "$node_dir" --silent --no-audit --no-fund 'jose@6'

build_all
"$venv/bin/python" scripts/interop_jwe.py "$JWTKIT" "$node_dir"
