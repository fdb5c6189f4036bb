#!/usr/bin/env bash
# Interop tests: jwtkit <-> PyJWT (+cryptography), jose and jsonwebtoken (npm), dilithium-py (ML-DSA), every JWS
# algorithm, both directions. Installs the libraries itself (Python venv in scripts/interop/.venv,
# `npm ci` into scripts/interop/node_modules), uses the suite's one build of jwtkit, prints the matrix.
# Also checks that crates/jwtkit/tests/attacks/*.json are up to date with scripts/gen_attacks.py.
# Idempotent; exits non-zero on any failure. Needs python3 (+venv), node and npm.
source "$(dirname "$0")/common.sh"
scripts/deps.sh >/dev/null
dir=scripts/interop

if [ ! -x "$dir/.venv/bin/python" ]; then
  python3 -m venv "$dir/.venv"
fi
"$dir/.venv/bin/python" -m pip install -q --disable-pip-version-check -r "$dir/requirements.txt"

if [ ! -d "$dir/node_modules/jose" ] || [ ! -d "$dir/node_modules/jsonwebtoken" ] \
   || [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
fi

# The committed attack vectors are exactly what scripts/gen_attacks.py makes (same venv:
# cryptography is pinned, RFC 6979 deterministic ECDSA).
"$dir/.venv/bin/python" scripts/gen_attacks.py --check
# The ES256K and ML-DSA vectors are exactly what dilithium-py and cryptography make.
"$dir/.venv/bin/python" "$dir/gen_alg_vectors.py" --check

build_all
work=$(mktemp -d "${TMPDIR:-/tmp}/jwtkit-interop.XXXXXX")
trap 'rm -rf "$work"' EXIT
python3 "$dir/run.py" "$JWTKIT" "$dir/.venv/bin/python" "$work"
echo "==> SD-JWT (RFC 9901) with the reference implementation sd-jwt (PyPI), both directions"
mkdir -p "$work/sdjwt"
"$dir/.venv/bin/python" "$dir/sdjwt_interop.py" "$JWTKIT" "$work/sdjwt"
