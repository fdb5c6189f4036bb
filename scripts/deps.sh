#!/usr/bin/env bash
# Debian packages the tests need. Installs missing ones when run as root (CI, fresh machine);
# otherwise lists them and fails.
set -euo pipefail
need=()
have() { command -v "$1" >/dev/null 2>&1; }
have python3 || need+=(python3)
have openssl || need+=(openssl)
have node || need+=(nodejs)
have npm || need+=(npm)
have redis-server || need+=(redis-server)
have redis-sentinel || need+=(redis-sentinel)
have nginx || need+=(nginx)
have wrk || need+=(wrk)
[ -x /usr/bin/chromium ] || need+=(chromium)
python3 -c 'import venv' 2>/dev/null || need+=(python3-venv)
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
