// The same page in Firefox (Debian's firefox-esr), driven by puppeteer-core over WebDriver BiDi
// (playwright-core can drive only its own patched Firefox). A smaller set than e2e.test.mjs
// (Chromium): the flows whose browser APIs differ — the token textarea and its coloured overlay,
// tooltips, the secret/base64 toggle, live Encode.
//
// Environment: JWTKIT_BIN, SCREENSHOT_DIR, FIREFOX (default /usr/bin/firefox-esr).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { A1_KEY, A1_TOKEN, BIN, E2E_SECRET, SHOTS, freePort, startServer, stopServer } from './harness.mjs';
import puppeteer from 'puppeteer-core';

const FIREFOX = process.env.FIREFOX || '/usr/bin/firefox-esr';
const WAIT = 20_000;

let server;
let origin;
let browser;
let page;
let profileDir;
const offHost = [];
const consoleErrors = [];

const shot = (name) => page.screenshot({ path: path.join(SHOTS, name), fullPage: true });
const text = (sel) => page.$eval(sel, (e) => e.innerText);

// Replace a field's value the way typing does (an input event the page listens to).
async function fill(sel, value) {
  await page.$eval(sel, (e, v) => {
    e.value = v;
    e.dispatchEvent(new Event('input', { bubbles: true }));
  }, value);
}

async function setChecked(sel, on) {
  const is = await page.$eval(sel, (e) => e.checked);
  if (is !== on) await page.click(sel);
}

before(async () => {
  fs.mkdirSync(SHOTS, { recursive: true });
  const port = await freePort();
  server = await startServer(port, WAIT);
  origin = `http://127.0.0.1:${port}`;
  profileDir = fs.mkdtempSync(path.join(os.tmpdir(), 'jwtkit-ui-firefox-'));
  browser = await puppeteer.launch({
    browser: 'firefox',
    executablePath: FIREFOX,
    headless: true,
    userDataDir: profileDir,
    protocol: 'webDriverBiDi',
    extraPrefsFirefox: {
      // No update checks, telemetry or other background requests in the test.
      'app.update.enabled': false,
      'datareporting.policy.dataSubmissionEnabled': false,
      'network.captive-portal-service.enabled': false,
      'network.connectivity-service.enabled': false,
    },
  });
  page = await browser.newPage();
  await page.setViewport({ width: 1400, height: 1000 });
  page.setDefaultTimeout(WAIT);
  page.on('request', (r) => {
    const u = r.url();
    if (!u.startsWith(origin + '/') && !u.startsWith('data:')) offHost.push(u);
  });
  page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
  page.on('pageerror', (e) => consoleErrors.push('pageerror: ' + e.message));
  const resp = await page.goto(origin + '/');
  assert.equal(resp.status(), 200);
  await page.waitForFunction(() => document.querySelector('#version').textContent !== '');
});

after(async () => {
  if (browser) await browser.close();
  if (profileDir) fs.rmSync(profileDir, { recursive: true, force: true });
  if (server) await stopServer(server);
});

test('firefox: the browser is Firefox', async () => {
  const ua = await page.evaluate(() => navigator.userAgent);
  assert.match(ua, /Firefox\/\d+/);
});

test('firefox: RFC 7515 A.1 decodes, its three segments in three colours, marked expired', async () => {
  await fill('#token', A1_TOKEN);
  await page.waitForFunction(() => document.querySelector('#alg-chip').textContent === 'HS256');
  assert.match(await text('#header-json'), /"alg": "HS256"/);
  assert.match(await text('#payload-json'), /"iss": "joe"/);
  const colours = await page.$$eval('#token-backdrop .seg-0, #token-backdrop .seg-1, #token-backdrop .seg-2',
    (spans) => spans.map((s) => getComputedStyle(s).color));
  assert.equal(new Set(colours).size, 3, colours.join(' '));
  await page.waitForSelector('#time-status[data-status="expired"]');
  assert.match(await text('#time-status'), /^Expired .* ago/);
  // The coloured overlay lines up with the textarea it sits behind.
  const [ta, bd] = await page.evaluate(() => ['#token', '#token-backdrop'].map((s) => {
    const r = document.querySelector(s).getBoundingClientRect();
    return [Math.round(r.left), Math.round(r.top), Math.round(r.width)];
  }));
  assert.deepEqual(ta, bd);
  await shot('firefox-01-decoded-a1.png');
});

test('firefox: the A.1 key verifies; the text form of it is diagnosed', async () => {
  await page.click('input[name="key-kind"][value="secret"]');
  await setChecked('#secret-b64', true);
  await fill('#secret', A1_KEY);
  await page.waitForSelector('#verify-result [data-result="verified"]');
  assert.match(await text('#verify-result .banner'), /Signature verified/);
  await shot('firefox-02-signature-verified.png');
  await setChecked('#secret-b64', false);
  await page.waitForSelector('#diagnosis li[data-hint="secret_is_base64"]');
  assert.match(await text('#verify-result .banner'), /Invalid signature/);
  await shot('firefox-03-diagnosis.png');
});

test('firefox: a claim is explained on hover', async () => {
  await page.hover('#payload-json .claim[data-claim="exp"]');
  await page.waitForFunction(() => {
    const t = document.querySelector('#payload-json .claim[data-claim="exp"] .tip');
    return t && getComputedStyle(t).visibility !== 'hidden' && getComputedStyle(t).display !== 'none';
  });
  assert.match(await text('#payload-json .claim[data-claim="exp"] .tip'), /Expiration time \(exp\)/);
});

test('firefox: Encode (HS256) yields a token that `jwtkit verify` accepts', async () => {
  await page.click('#tab-encode');
  await page.waitForFunction(() => document.querySelector('#enc-token').dataset.token);
  await setChecked('#enc-secret-b64', false);
  await fill('#enc-secret', E2E_SECRET);
  await fill('#enc-payload', JSON.stringify({ sub: 'firefox', iss: 'https://issuer.example', exp: Math.floor(Date.now() / 1000) + 3600 }, null, 2));
  await page.waitForFunction(() => {
    const t = document.querySelector('#enc-token').dataset.token;
    if (!t) return false;
    const payload = JSON.parse(atob(t.split('.')[1].replace(/-/g, '+').replace(/_/g, '/')));
    return payload.sub === 'firefox' && !document.querySelector('#enc-key-error').textContent;
  });
  const token = await page.$eval('#enc-token', (e) => e.dataset.token);
  const r = spawnSync(BIN, ['verify', token, '--secret', 'env:E2E_SECRET', '--iss', 'https://issuer.example', '--ignore-aud'],
    { encoding: 'utf8', env: { ...process.env, E2E_SECRET } });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /VALID/);
  await shot('firefox-04-encode-hs256.png');
});

test('firefox: an SD-JWT is kept whole, its Disclosures listed with the claims they reveal', async () => {
  const v = JSON.parse(fs.readFileSync(new URL('../../jwtkit/tests/data/rfc9901.json', import.meta.url), 'utf8'));
  await page.click('#tab-decode');
  await fill('#token', v.section_5_1);
  await page.waitForFunction(() => document.querySelector('#type-chip').textContent === 'SD-JWT (RFC 9901)');
  const rows = await page.$$eval('#disclosures tbody tr', (trs) => trs.map((t) => t.dataset.pointer));
  assert.equal(rows.length, 10);
  assert.ok(rows.includes('/given_name') && rows.includes('/nationalities/1'), rows.join(' '));
  assert.match(await text("#payload-json"), /"email": "johndoe@example\.com", +\/\/ ◆ disclosed \(Disclosure #3\)/);
  assert.equal(await page.$$eval('#token-backdrop .seg-sd', (s) => s.length), 10);
  await shot('firefox-05-sd-jwt.png');
});

test('firefox: no request left the machine and no console error', () => {
  assert.deepEqual(offHost, []);
  assert.deepEqual(consoleErrors, []);
});
