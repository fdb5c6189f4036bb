// End-to-end test of the debugger's "Get a token" panel in Debian's headless Chromium
// (playwright-core), against panva's oidc-provider. Run by scripts/test-oauth.sh, which starts
// the provider and sets OAUTH_ISSUER (and JWTKIT_BIN, SCREENSHOT_DIR).
//
// The real `jwtkit ui` runs on a free port; the page asks it for tokens, the provider's login
// pages are completed in a second tab (code + PKCE: redirected to the loopback listener that the
// ui server runs; device: the verification URI), and the tokens must show up decoded and
// verified in the existing panes. The debugger page itself must request nothing off its origin.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { SHOTS, freePort, startServer, stopServer } from './harness.mjs';
import { completeLogin } from '../../../scripts/oauth-provider/interact.mjs';

const ISSUER = process.env.OAUTH_ISSUER;
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const WAIT = 20_000;
if (!ISSUER) throw new Error('OAUTH_ISSUER is not set: run scripts/test-oauth.sh');

let server;
let origin;
let context;
let page;
let profileDir;
const offHost = [];
const consoleErrors = [];

async function shot(name) {
  await page.screenshot({ path: path.join(SHOTS, name), fullPage: true });
}

async function fillPanel(fields) {
  if (!(await page.$eval('#oauth-card', (d) => d.open))) await page.click('#oauth-card > summary');
  await page.fill('#oauth-issuer', ISSUER);
  for (const [id, v] of Object.entries(fields)) {
    if (id === 'oauth-flow' || id === 'oauth-auth') await page.selectOption('#' + id, v);
    else await page.fill('#' + id, v);
  }
}

/** Follow the panel's link in a new tab and complete the provider's pages as `login`. */
async function loginInNewTab(login, name) {
  const [tab] = await Promise.all([context.waitForEvent('page'), page.click('#oauth-login-link')]);
  tab.setDefaultTimeout(WAIT);
  await tab.route('**/*', (r) => (new URL(r.request().url()).hostname === '127.0.0.1' ? r.continue() : r.abort()));
  const end = await completeLogin(tab, login);
  await tab.screenshot({ path: path.join(SHOTS, name), fullPage: true });
  await tab.close();
  return end;
}

before(async () => {
  fs.mkdirSync(SHOTS, { recursive: true });
  const port = await freePort();
  server = await startServer(port, WAIT);
  origin = `http://127.0.0.1:${port}`;
  profileDir = fs.mkdtempSync(path.join(os.tmpdir(), 'jwtkit-ui-oauth-'));
  context = await chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1400, height: 1000 },
    colorScheme: 'light',
    timezoneId: 'UTC',
    locale: 'en-GB',
  });
  page = context.pages()[0] || await context.newPage();
  page.setDefaultTimeout(WAIT);
  page.on('request', (r) => {
    const u = r.url();
    if (!u.startsWith(origin + '/') && !u.startsWith('data:')) offHost.push(u);
  });
  page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
  page.on('pageerror', (e) => consoleErrors.push('pageerror: ' + e.message));
  await page.goto(origin + '/');
  await page.waitForSelector('#version:not(:empty)');
});

after(async () => {
  if (context) await context.close();
  if (profileDir) fs.rmSync(profileDir, { recursive: true, force: true });
  if (server) await stopServer(server);
});

test('code + PKCE: login in a tab, redirect to the ui server\'s loopback listener, ID Token decoded and verified', async () => {
  await fillPanel({ 'oauth-client': 'cli', 'oauth-secret': '', 'oauth-flow': 'code', 'oauth-scope': 'openid email' });
  await page.click('#oauth-start');
  await page.waitForSelector('#oauth-login-link');
  const href = await page.getAttribute('#oauth-login-link', 'href');
  const q = new URL(href).searchParams;
  assert.equal(q.get('code_challenge_method'), 'S256');
  assert.match(q.get('redirect_uri'), /^http:\/\/127\.0\.0\.1:\d+\/callback$/);
  assert.notEqual(new URL(q.get('redirect_uri')).port, new URL(origin).port);
  await shot('oauth-01-code-waiting.png');
  const end = await loginInNewTab('alice', 'oauth-02-code-callback.png');
  assert.equal(end.title, 'jwtkit: Login complete', end.text);
  await page.waitForSelector('#oauth-show-id');
  assert.match(await page.textContent('#oauth-status'), /ID Token verified/);
  assert.match(await page.textContent('#oauth-status'), /nonce/);
  await page.waitForFunction(() => /"sub": "alice"/.test(document.querySelector('#payload-json').innerText));
  assert.match(await page.innerText('#payload-json'), /"aud": "cli"/);
  assert.equal((await page.inputValue('#token')).split('.').length, 3);
  // The verify pane checks it with the issuer's keys (fetched by the ui server).
  await page.waitForSelector('#verify-result [data-result="verified"]');
  await page.waitForSelector('#verify-result [data-claims="valid"]');
  await shot('oauth-03-code-id-token.png');
});

test('client credentials: a JWT access token for the resource, decoded in the panes', async () => {
  await fillPanel({
    'oauth-client': 'svc', 'oauth-secret': 'svc-secret-0123456789abcdef', 'oauth-flow': 'client_credentials',
    'oauth-scope': 'api:read', 'oauth-resource': 'urn:jwtkit:api',
  });
  await page.click('#oauth-start');
  await page.waitForSelector('#oauth-show-access');
  assert.match(await page.textContent('#oauth-status'), /Bearer token client_credentials, expires in 600 s, scope: api:read/);
  await page.waitForFunction(() => /"client_id": "svc"/.test(document.querySelector('#payload-json').innerText));
  assert.match(await page.innerText('#header-json'), /"typ": "at\+jwt"/);
  assert.match(await page.innerText('#payload-json'), /"aud": "urn:jwtkit:api"/);
  await page.waitForSelector('#verify-result [data-result="verified"]');
  await shot('oauth-04-client-credentials.png');
});

test('a wrong client secret shows the RFC 6749 §5.2 error', async () => {
  await fillPanel({ 'oauth-secret': 'wrong', 'oauth-flow': 'client_credentials' });
  await page.click('#oauth-start');
  await page.waitForFunction(() => /invalid_client/.test(document.querySelector('#oauth-status').textContent));
  assert.match(await page.textContent('#oauth-status'), /oauth_error invalid_client/);
  assert.doesNotMatch(await page.textContent('#oauth-status'), /wrong/);
  await shot('oauth-05-invalid-client.png');
});

test('device authorization: the user code is shown, approval in another tab, tokens decoded', async () => {
  await context.clearCookies(); // log in afresh at the provider, as bob
  await fillPanel({ 'oauth-client': 'cli', 'oauth-secret': '', 'oauth-flow': 'device', 'oauth-scope': 'openid', 'oauth-resource': '' });
  await page.click('#oauth-start');
  await page.waitForSelector('#oauth-user-code');
  assert.match(await page.textContent('#oauth-user-code'), /^[A-Z]{4}-[A-Z]{4}$/);
  await shot('oauth-06-device-code.png');
  const end = await loginInNewTab('bob', 'oauth-07-device-approved.png');
  assert.equal(end.title, 'Sign-in Success', end.text);
  await page.waitForSelector('#oauth-show-id', { timeout: 30_000 });
  await page.waitForFunction(() => /"sub": "bob"/.test(document.querySelector('#payload-json').innerText));
  await shot('oauth-08-device-id-token.png');
});

test('the page requested nothing off its origin and logged no error', () => {
  assert.deepEqual(offHost, []);
  assert.deepEqual(consoleErrors, []);
});
