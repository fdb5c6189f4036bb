#!/usr/bin/env bash
# End-to-end tests of the local debugger (`jwtkit ui`) in Debian's headless Chromium, driven by
# playwright-core from npm, then a smaller set in Debian's Firefox ESR, driven by puppeteer-core over
# WebDriver BiDi. Installs what is missing (chromium and firefox-esr with apt-get as root;
# playwright-core and puppeteer-core into crates/jwtkit-ui/e2e/node_modules from its lock file),
# builds the CLI, starts the real `jwtkit ui --no-open --port <free>` and saves a screenshot of each
# state in target/ui-screenshots/ (firefox-*.png for Firefox).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
export CARGO_BUILD_JOBS="${CARGO_BUILD_JOBS:-2}"

need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
[ -x /usr/bin/firefox-esr ] || need+=(firefox-esr)
command -v node >/dev/null 2>&1 || need+=(nodejs)
command -v npm >/dev/null 2>&1 || need+=(npm)
[ -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || need+=(fonts-dejavu-core)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "test-ui: missing ${need[*]}; run as root or: sudo apt-get install -y ${need[*]}" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

e2e=crates/jwtkit-ui/e2e
if [ ! -d "$e2e/node_modules/playwright-core" ] || [ ! -d "$e2e/node_modules/puppeteer-core" ] || [ "$e2e/package-lock.json" -nt "$e2e/node_modules/.package-lock.json" ]; then
  (cd "$e2e" && npm ci --no-audit --no-fund --loglevel=error)
fi

cargo build -q -p jwtkit-cli
rm -rf target/ui-screenshots
mkdir -p target/ui-screenshots
cd "$e2e"
JWTKIT_BIN="${CARGO_TARGET_DIR:-$root/target}/debug/jwtkit" SCREENSHOT_DIR="$root/target/ui-screenshots" \
  node --test --test-concurrency=1 --test-reporter=spec e2e.test.mjs
JWTKIT_BIN="${CARGO_TARGET_DIR:-$root/target}/debug/jwtkit" SCREENSHOT_DIR="$root/target/ui-screenshots" \
  node --test --test-concurrency=1 --test-reporter=spec firefox.test.mjs
echo "screenshots: $(ls "$root/target/ui-screenshots" | wc -l) in target/ui-screenshots/"
