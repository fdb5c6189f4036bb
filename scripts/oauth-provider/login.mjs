// Completes a login at oidc-provider's development interactions in Debian's headless Chromium
// (playwright-core, as crates/jwtkit-ui/e2e): opens URL, confirms a device code when asked,
// signs in as LOGIN, gives consent, and follows the redirect to the end (jwtkit's loopback
// listener, or the provider's "Sign-in Success" page for the device flow).
//
//   node login.mjs URL LOGIN [SCREENSHOT.png]
//
// Prints the final page's title and text; exits 1 when the flow does not reach an end page.
// Requests to hosts other than 127.0.0.1 (the dev pages load a web font) are aborted.
import { chromium } from 'playwright-core';
import { completeLogin } from './interact.mjs';

const [url, login = 'alice', shot] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
});
let code = 1;
try {
  const page = await browser.newPage();
  page.setDefaultTimeout(15_000);
  await page.route('**/*', (r) => (new URL(r.request().url()).hostname === '127.0.0.1' ? r.continue() : r.abort()));
  await page.goto(url);
  const end = await completeLogin(page, login);
  console.log(`${end.title} | ${end.text} | steps: ${end.steps.join(' > ')}`);
  code = end.ok ? 0 : 1;
  if (shot) await page.screenshot({ path: shot, fullPage: true });
} finally {
  await browser.close();
}
process.exit(code);
