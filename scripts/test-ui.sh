#!/usr/bin/env bash
# End-to-end tests of the local debugger (`jwtkit ui`) in Debian's headless Chromium, driven by
# playwright-core from npm, then a smaller set in Debian's Firefox ESR, driven by puppeteer-core over
# WebDriver BiDi. Installs what is missing (chromium, firefox-esr and fonts through scripts/deps.sh;
# playwright-core and puppeteer-core into crates/jwtkit-ui/e2e/node_modules from its lock file),
# uses the suite's one build of the CLI, starts the real `jwtkit ui --no-open --port <free>` and saves a screenshot of each
# state in target/ui-screenshots/ (firefox-*.png for Firefox).
source "$(dirname "$0")/common.sh"
scripts/deps.sh >/dev/null

e2e=crates/jwtkit-ui/e2e
if [ ! -d "$e2e/node_modules/playwright-core" ] || [ ! -d "$e2e/node_modules/puppeteer-core" ] || [ "$e2e/package-lock.json" -nt "$e2e/node_modules/.package-lock.json" ]; then
  (cd "$e2e" && npm ci --no-audit --no-fund --loglevel=error)
fi

build_all
rm -rf target/ui-screenshots
mkdir -p target/ui-screenshots
cd "$e2e"
JWTKIT_BIN="$JWTKIT" SCREENSHOT_DIR="$root/target/ui-screenshots" \
  node --test --test-concurrency=1 --test-reporter=spec e2e.test.mjs
JWTKIT_BIN="$JWTKIT" SCREENSHOT_DIR="$root/target/ui-screenshots" \
  node --test --test-concurrency=1 --test-reporter=spec firefox.test.mjs
echo "screenshots: $(ls "$root/target/ui-screenshots" | wc -l) in target/ui-screenshots/"
