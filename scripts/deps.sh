#!/usr/bin/env bash
# The one list of Debian packages the tests use. `scripts/test` runs this first and every
# scripts/test-*.sh part runs it too (cheap when all is present), so a part run alone has what it
# needs. As root (CI, a fresh machine) it installs what is missing; otherwise it lists it and fails.
#
# One line per package: the package, how to tell it is installed (a command on PATH, an absolute
# path, or python3:MODULE), and what uses it. Add a line for a new need; nothing that no test uses.
# (Benchmarks install their own tools: bench/gateway.sh installs nginx and wrk.)
set -euo pipefail

LIST='
python3            python3                  scripts/check_vectors.py, test-interop, test-jwe, examples/gateway/demo.sh
python3-venv       python3:ensurepip        test-interop, test-jwe (venvs for PyJWT, cryptography, jwcrypto)
nodejs             node                     test-interop, test-jwe, test-ui, test-issuer, test-oauth
npm                npm                      test-interop, test-jwe, test-ui, test-issuer, test-oauth
openssl            openssl                  jwtkit-cli tests/cli.rs (keys made by OpenSSL)
curl               curl                     examples/gateway/demo.sh (test-gateway), test-issuer
redis-server       redis-server             jwtkit-gateway tests (store on a real Redis; TLS, ACL, Cluster in tests/fleet.rs)
redis-sentinel     redis-sentinel           jwtkit-gateway tests/fleet.rs (Sentinel failover), examples/gateway/cluster-demo.sh
g++                c++                      test-perf (libFuzzer, built by libfuzzer-sys)
chromium           /usr/bin/chromium        test-ui, test-oauth (login on the loopback redirect)
firefox-esr        /usr/bin/firefox-esr     test-ui
fonts-dejavu-core  /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf   test-ui (screenshots)
zsh                zsh                      jwtkit-cli tests/install.rs (completion script)
fish               fish                     jwtkit-cli tests/install.rs (completion script)
man-db             man                      jwtkit-cli tests/install.rs (man -l renders the pages)
nginx              /usr/sbin/nginx          test-decision (auth_request in front of the decision service)
caddy              caddy                    test-decision (forward_auth in front of the decision service)
'

present() {
  case "$1" in
    python3:*) command -v python3 >/dev/null 2>&1 && python3 -c "import ${1#python3:}" 2>/dev/null ;;
    /*) [ -e "$1" ] ;;
    *) command -v "$1" >/dev/null 2>&1 ;;
  esac
}

need=()
while read -r pkg check _; do
  [ -n "$pkg" ] || continue
  present "$check" || need+=("$pkg")
done <<< "$LIST"

if [ ${#need[@]} -eq 0 ]; then
  echo "system packages: all present"
  exit 0
fi
echo "system packages missing: ${need[*]}"
if [ "$(id -u)" -ne 0 ]; then
  echo "run as root (or: sudo apt-get install -y ${need[*]})" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
echo "installed: ${need[*]}"
