// The steps of oidc-provider's development interactions, shared by login.mjs and the
// debugger's e2e test (crates/jwtkit-ui/e2e/oauth.test.mjs): on a playwright page at the
// provider, confirm a device code when asked, sign in as `login`, give consent, and stop at an
// end page (jwtkit's loopback listener page, or the provider's "Sign-in Success").

/** Returns {ok, title, text, steps} for the end page reached (ok: a successful end page). */
export async function completeLogin(page, login) {
  const steps = [];
  for (let i = 0; i < 10; i++) {
    await page.waitForLoadState('load');
    const title = await page.title();
    const text = ((await page.textContent('body')) || '').trim().replace(/\s+/g, ' ');
    if (/^jwtkit: /.test(title) || title === 'Sign-in Success') {
      return { ok: /Login complete|Sign-in Success/.test(title), title, text, steps };
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
      return { ok: false, title, text: `unexpected page ${page.url()}: ${text.slice(0, 300)}`, steps };
    }
  }
  return { ok: false, title: '', text: 'too many steps', steps };
}
