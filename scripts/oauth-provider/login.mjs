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
  const steps = [];
  for (let i = 0; i < 10; i++) {
    await page.waitForLoadState('load');
    const title = await page.title();
    const text = (await page.textContent('body')) || '';
    if (/jwtkit: /.test(title) || title === 'Sign-in Success') {
      console.log(`${title} | ${text.trim().replace(/\s+/g, ' ')} | steps: ${steps.join(' > ')}`);
      code = /Login complete|Sign-in Success/.test(title) ? 0 : 1;
      if (shot) await page.screenshot({ path: shot, fullPage: true });
      break;
    }
    const before = page.url();
    const moved = () => page.waitForURL((u) => u.toString() !== before, { waitUntil: 'load' });
    if (await page.$('input[name=login]')) {
      steps.push('login');
      await page.fill('input[name=login]', login);
      await page.fill('input[name=password]', 'any-password');
      await Promise.all([moved(), page.click('button[type=submit]')]);
    } else if (await page.$('form[id="op.deviceConfirmForm"]')) {
      steps.push('confirm device');
      await Promise.all([moved(), page.click('button[form="op.deviceConfirmForm"]:not([name=abort])')]);
    } else if (await page.$('input[name=prompt][value=consent]')) {
      steps.push('consent');
      await Promise.all([moved(), page.click('button[type=submit]')]);
    } else {
      console.log(`unexpected page: ${title} ${page.url()} | ${text.trim().slice(0, 300)}`);
      break;
    }
  }
} finally {
  await browser.close();
}
process.exit(code);
