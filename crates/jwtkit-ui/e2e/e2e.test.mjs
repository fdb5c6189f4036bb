// End-to-end tests of `jwtkit ui` in Debian's headless Chromium, driven by playwright-core.
//
// Starts the real binary (`jwtkit ui --no-open --port <free>`), drives the page as a person
// would, checks what is shown, and saves a screenshot of each state under
// target/ui-screenshots/. Run by scripts/test-ui.sh (which installs chromium and playwright-core).
//
// Environment: JWTKIT_BIN (the jwtkit binary), SCREENSHOT_DIR (where to save screenshots).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import http from 'node:http';
import { A1_KEY, A1_TOKEN, BIN, E2E_SECRET, SHOTS, freePort, startServer, stopServer } from './harness.mjs';
import { chromium } from 'playwright-core';

const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const WAIT = 15_000;

let server;
let port;
let origin;
let context;
let page;
let profileDir;
const offHost = [];
const consoleErrors = [];

async function shot(name) {
  await page.screenshot({ path: path.join(SHOTS, name), fullPage: true });
}

function rawRequest(opts, body) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, ...opts }, (res) => {
      let data = '';
      res.on('data', (d) => { data += d; });
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: data }));
    });
    req.on('error', reject);
    if (body) req.write(body);
    req.end();
  });
}

function jwtkit(args, env) {
  return spawnSync(BIN, args, { encoding: 'utf8', env: { ...process.env, ...env } });
}

async function setToken(text) {
  await page.fill('#token', text);
}

before(async () => {
  fs.mkdirSync(SHOTS, { recursive: true });
  port = await freePort();
  server = await startServer(port, WAIT);
  origin = `http://127.0.0.1:${port}`;
  assert.equal(server.url, origin + '/');
  profileDir = fs.mkdtempSync(path.join(os.tmpdir(), 'jwtkit-ui-chromium-'));
  context = await chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      // DNS rebinding, simulated: evil.example resolves to this machine.
      '--host-resolver-rules=MAP evil.example 127.0.0.1',
    ],
    viewport: { width: 1400, height: 1000 },
    colorScheme: 'light',
    timezoneId: 'UTC',
    locale: 'en-GB',
  });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin });
  page = context.pages()[0] || await context.newPage();
  page.setDefaultTimeout(WAIT);
  page.on('request', (r) => {
    const u = r.url();
    if (!u.startsWith(origin + '/') && !u.startsWith('data:') && !u.startsWith('http://evil.example:')) offHost.push(u);
  });
  page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
  page.on('pageerror', (e) => consoleErrors.push('pageerror: ' + e.message));
  const resp = await page.goto(origin + '/');
  assert.equal(resp.status(), 200);
  const csp = resp.headers()['content-security-policy'];
  assert.match(csp, /default-src 'none'/);
  await page.waitForSelector('#version:not(:empty)');
});

after(async () => {
  if (context) await context.close();
  if (profileDir) fs.rmSync(profileDir, { recursive: true, force: true });
  if (server) await stopServer(server);
});

test('the empty page loads with no off-host request and no console error', async () => {
  assert.equal(await page.textContent('.local-badge'), await page.textContent('.local-badge'));
  assert.match(await page.textContent('.local-badge'), /nothing leaves this machine/);
  await shot('00-empty.png');
  assert.deepEqual(offHost, []);
  assert.deepEqual(consoleErrors, []);
});

test('pasting RFC 7515 A.1 shows the header with HS256 and coloured segments', async () => {
  await setToken(A1_TOKEN);
  await page.waitForFunction(() => document.querySelector('#alg-chip').textContent === 'HS256');
  const header = await page.innerText('#header-json');
  assert.match(header, /"alg": "HS256"/);
  assert.match(header, /"typ": "JWT"/);
  assert.match(await page.innerText('#payload-json'), /"iss": "joe"/);
  const segs = await page.$$eval('#segments li', (lis) => lis.map((l) => [l.dataset.segment, l.className]));
  assert.deepEqual(segs, [['header', ''], ['payload', ''], ['signature', '']]);
  // The three segments are drawn in three different colours.
  const colours = await page.$$eval('#token-backdrop .seg-0, #token-backdrop .seg-1, #token-backdrop .seg-2',
    (spans) => spans.map((s) => getComputedStyle(s).color));
  assert.equal(colours.length, 3);
  assert.equal(new Set(colours).size, 3, colours.join(' '));
  assert.match(await page.textContent('#token-status'), /well-formed/);
  await shot('01-decoded-a1.png');
});

test('the expired token is marked expired, with its date', async () => {
  await page.waitForSelector('#time-status[data-status="expired"]');
  assert.match(await page.textContent('#time-status'), /^Expired .* ago/);
  assert.equal(await page.textContent('#time-chip'), 'expired');
  const row = await page.$$eval('#times tr[data-claim="exp"] td', (tds) => tds.map((t) => t.textContent));
  assert.equal(row[1], '2011-03-22 18:43:00 UTC');
  assert.equal(row[4], 'expired');
  assert.match(await page.innerText('#payload-json'), /"exp": 1300819380, +\/\/ 2011-03-22 18:43:00 UTC · .* ago · EXPIRED/);
  await shot('02-expired.png');
});

test('claims are explained on hover and on keyboard focus', async () => {
  await page.hover('#payload-json .claim[data-claim="exp"]');
  const tip = page.locator('#payload-json .claim[data-claim="exp"] .tip');
  await tip.waitFor({ state: 'visible' });
  assert.match(await tip.textContent(), /Expiration time \(exp\).*RFC 7519 §4\.1\.4/);
  await shot('03-claim-tooltip.png');
  await page.mouse.move(0, 0);
  await page.focus('#payload-json .claim[data-claim="iss"]');
  await page.locator('#payload-json .claim[data-claim="iss"] .tip').waitFor({ state: 'visible' });
  assert.match(await page.locator('#payload-json .claim[data-claim="iss"] .tip').textContent(), /^Issuer \(iss\)/);
});

test('verifying with its key says "Signature verified"', async () => {
  await page.check('input[name="key-kind"][value="secret"]');
  await page.check('#secret-b64');
  await page.fill('#secret', A1_KEY);
  await page.waitForSelector('#verify-result [data-result="verified"]');
  assert.match(await page.textContent('#verify-result .banner'), /Signature verified/);
  assert.match(await page.textContent('#verify-result .banner'), /HS256/);
  // The signature is good; the claims are not (expired in 2011).
  assert.equal(await page.getAttribute('#verify-result [data-claims]', 'data-claims'), 'expired');
  // The command to share leaves the secret out.
  const cmd = await page.textContent('#command');
  assert.ok(cmd.startsWith('jwtkit verify ' + A1_TOKEN), cmd);
  assert.ok(cmd.includes('--secret "b64url:$JWT_SECRET"'), cmd);
  assert.ok(!cmd.includes(A1_KEY), cmd);
  await shot('04-signature-verified.png');
});

test('"now" before exp makes the A.1 token fully valid, and the command reproduces it', async () => {
  await page.click('#checks summary');
  await page.fill('#chk-now', '2011-03-22T18:00:00Z');
  await page.waitForSelector('#verify-result [data-claims="valid"]');
  await page.waitForSelector('#time-status[data-status="valid"]');
  const cmd = await page.textContent('#command');
  assert.ok(cmd.endsWith(' \\\n  --ignore-aud \\\n  --now 2011-03-22T18:00:00Z'), cmd);
  // Run the shared command line as printed, with the secret in the environment.
  const r = spawnSync('sh', ['-c', cmd.replace(/^jwtkit /, '"$JWTKIT_BIN" ')], {
    encoding: 'utf8', env: { ...process.env, JWTKIT_BIN: BIN, JWT_SECRET: A1_KEY },
  });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /VALID/);
  await shot('05-valid-with-now.png');
  await page.fill('#chk-now', '');
  await page.waitForSelector('#time-status[data-status="expired"]');
});

test('the secret typed as text instead of base64 is diagnosed', async () => {
  await page.uncheck('#secret-b64');
  await page.waitForSelector('#verify-result [data-result="invalid_signature"]');
  await page.waitForSelector('#diagnosis li[data-hint="secret_is_base64"]');
  assert.match(await page.textContent('#diagnosis'), /signed with its base64-decoded bytes/);
  await shot('06-diagnosis-secret-is-base64.png');
});

test('another key says "Invalid signature" with the diagnosis', async () => {
  await page.fill('#secret', 'another-secret-another-secret-another-secret');
  await page.waitForFunction(() => {
    const d = document.querySelector('#diagnosis');
    return d && !d.querySelector('[data-hint="secret_is_base64"]')
      && document.querySelector('#verify-result [data-result="invalid_signature"]');
  });
  assert.match(await page.textContent('#verify-result .banner'), /Invalid signature/);
  assert.match(await page.textContent('#verify-result .error-box'), /bad_signature.*signature does not verify with the given key/);
  const attempts = await page.$$eval('#diagnosis table.attempts tbody tr', (trs) => trs.map((tr) => tr.lastChild.textContent));
  assert.deepEqual(attempts, ['bad_signature']);
  assert.match(await page.textContent('#diagnosis'), /None of the usual mistakes/);
  await shot('07-invalid-signature.png');
});

test('a malformed token marks the offending segment with the error kind', async () => {
  await setToken('eyJhbGciOiJIUzI1NiJ9.e30=.c2ln');
  await page.waitForSelector('#segments li.bad[data-segment="payload"]');
  assert.match(await page.textContent('#segments li.bad'), /Payload.*bad_base64/);
  assert.match(await page.textContent('#decode-errors'), /bad_base64.*payload segment: has '=' padding/);
  assert.equal(await page.textContent('#token-backdrop .seg-bad'), 'e30=');
  assert.match(await page.textContent('#token-status'), /malformed/);
  await shot('08-malformed-segment.png');
});

test('a JWE shows its five parts in five colours', async () => {
  const h = Buffer.from('{"alg":"RSA-OAEP","enc":"A256GCM","kid":"enc-1"}').toString('base64url');
  await setToken(`${h}.a2V5a2V5a2V5a2V5.aXZpdml2aXY.Y2lwaGVydGV4dGNpcGhlcnRleHQ.dGFndGFndGFn`);
  await page.waitForSelector('#segments li[data-segment="tag"]');
  const names = await page.$$eval('#segments li', (lis) => lis.map((l) => l.dataset.segment));
  assert.deepEqual(names, ['header', 'encrypted_key', 'iv', 'ciphertext', 'tag']);
  const colours = await page.$$eval('#token-backdrop span[class^="seg-"]:not(.seg-dot)', (spans) => spans.map((s) => getComputedStyle(s).color));
  assert.equal(new Set(colours).size, 5, colours.join(' '));
  // The legend's swatches use the same colours as the token's parts.
  const swatches = await page.$$eval('#segments .swatch', (sw) => sw.map((s) => getComputedStyle(s).backgroundColor));
  assert.deepEqual(swatches, colours);
  assert.match(await page.textContent('#payload-json'), /Encrypted \(JWE\)/);
  assert.equal(await page.textContent('#alg-chip'), 'RSA-OAEP');
  await shot('09-jwe-five-parts.png');
});

test('a real nested JWE decrypts, then its signature verifies (issue 6)', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jwtkit-ui-jwe-'));
  const f = (n) => path.join(dir, n);
  for (const [alg, out] of [['RSA-OAEP-256', 'rsa.json'], ['ES256', 'ec.json']]) {
    assert.equal(jwtkit(['keygen', '--alg', alg, '--out', f(out)]).status, 0);
  }
  const jwt = jwtkit(['sign', '--alg', 'ES256', '--key', f('ec.json'), '--sub', 'jwe-user', '--exp', '+1h']).stdout.trim();
  const enc = spawnSync(BIN, ['encrypt', '--key', f('rsa.json')], { input: jwt, encoding: 'utf8' });
  assert.equal(enc.status, 0, enc.stderr);
  const ecPublic = JSON.parse(jwtkit(['jwk', 'public', f('ec.json')]).stdout);
  const set = { keys: [JSON.parse(fs.readFileSync(f('rsa.json'), 'utf8')), ecPublic] };
  fs.rmSync(dir, { recursive: true, force: true });
  await setToken(enc.stdout.trim());
  await page.waitForFunction(() => document.querySelector('#alg-chip').textContent === 'RSA-OAEP-256');
  await page.check('input[name="key-kind"][value="key"]');
  await page.fill('#key-text', JSON.stringify(set));
  await page.waitForSelector('#verify-result [data-result="decrypted"]');
  await page.waitForSelector('#verify-result [data-result="verified"]');
  assert.match(await page.textContent('#verify-result'), /Decrypted.*RSA-OAEP-256 \+ A256GCM/);
  assert.match(await page.textContent('#verify-result'), /Signature verified.*ES256/);
  assert.equal(await page.getAttribute('#verify-result [data-claims]', 'data-claims'), 'valid');
  await shot('09-jwe-nested-verified.png');
  // Another RSA key: "Not decrypted" with the one fixed decrypt_failed message.
  const other = JSON.parse(jwtkit(['keygen', '--alg', 'RSA-OAEP-256']).stdout);
  // Without kids every key is tried (with kids, a kid that matches nothing is key_not_found).
  delete other.kid;
  delete set.keys[1].kid;
  set.keys[0] = other;
  await page.fill('#key-text', JSON.stringify(set));
  await page.waitForSelector('#verify-result [data-result="not_decrypted"]');
  assert.match(await page.textContent('#verify-result .error-box'), /decrypt_failed.*decryption failed/);
  await shot('09-jwe-not-decrypted.png');
  await page.check('input[name="key-kind"][value="secret"]');
});

test('a pasted Authorization header is stripped and said so', async () => {
  await setToken('Authorization: Bearer ' + A1_TOKEN);
  await page.waitForFunction(() => /stripped the "Authorization: Bearer " prefix/.test(document.querySelector('#input-notes').textContent));
  assert.equal(await page.textContent('#token-backdrop .seg-outside'), 'Authorization: Bearer ');
  await page.waitForFunction(() => document.querySelector('#alg-chip').textContent === 'HS256');
  await shot('09-pasted-authorization-header.png');
});

test('a repaired token says "VALID after removing …"; Strict refuses it naming the byte offset', async () => {
  // The pasted header from the previous test, now with the right key and a time before exp.
  await page.check('input[name="key-kind"][value="secret"]');
  await page.check('#secret-b64');
  await page.fill('#secret', A1_KEY);
  await page.fill('#chk-now', '2011-03-22T18:00:00Z');
  await page.waitForSelector('#verify-result [data-repaired="1"]');
  assert.match(await page.textContent('#verify-result [data-repaired]'),
    /VALID after removing an Authorization\/Bearer prefix: a strict verifier rejects the token as sent/);
  await shot('09b-repaired-verdict.png');
  await page.check('#chk-strict');
  await page.waitForSelector('#verify-result [data-result="not_verified"]');
  assert.match(await page.textContent('#verify-result .error-box'), /malformed.*byte 0 starts an Authorization\/Bearer prefix \(22 bytes/);
  assert.match(await page.textContent('#command'), /--strict/);
  await shot('09c-strict-refuses.png');
  // The token alone passes strict.
  await setToken(A1_TOKEN);
  await page.waitForSelector('#verify-result [data-claims="valid"]');
  assert.equal(await page.$('#verify-result [data-repaired]'), null);
  await page.uncheck('#chk-strict');
  await page.fill('#chk-now', '');
});

test('findings list the weak parts of a token', async () => {
  const h = Buffer.from('{"alg":"HS256","jku":"https://evil.example/jwks"}').toString('base64url');
  const p = Buffer.from('{"sub":"42","password":"hunter2"}').toString('base64url');
  await setToken(`${h}.${p}.c2ln`);
  await page.waitForSelector('#findings li[data-finding="jku_header"]');
  const ids = await page.$$eval('#findings li', (lis) => lis.map((l) => l.dataset.finding));
  for (const id of ['jku_header', 'sensitive_claim', 'no_exp']) assert.ok(ids.includes(id), ids.join(','));
  assert.match(await page.textContent('#findings li.sev-high'), /Fix:/);
  await shot('10-findings.png');
});

test('Encode mode (HS256) yields a token that `jwtkit verify` accepts', async () => {
  await page.click('#tab-encode');
  await page.waitForFunction(() => document.querySelector('#enc-token').dataset.token);
  await page.uncheck('#enc-secret-b64');
  await page.fill('#enc-secret', E2E_SECRET);
  await page.fill('#enc-payload', JSON.stringify({ sub: 'e2e', iss: 'https://issuer.example', exp: Math.floor(Date.now() / 1000) + 3600 }, null, 2));
  await page.waitForFunction(() => {
    const t = document.querySelector('#enc-token').dataset.token;
    if (!t) return false;
    const payload = JSON.parse(atob(t.split('.')[1].replace(/-/g, '+').replace(/_/g, '/')));
    return payload.sub === 'e2e' && !document.querySelector('#enc-key-error').textContent;
  });
  const token = await page.getAttribute('#enc-token', 'data-token');
  await page.click('#enc-copy');
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), token);
  const r = jwtkit(['verify', token, '--secret', 'env:E2E_SECRET', '--iss', 'https://issuer.example', '--ignore-aud'], { E2E_SECRET });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /VALID/);
  const wrong = jwtkit(['verify', token, '--secret', 'env:E2E_SECRET', '--ignore-aud'], { E2E_SECRET: E2E_SECRET + 'x' });
  assert.equal(wrong.status, 1);
  await shot('11-encode-hs256.png');
});

test('Encode mode (ES256, generated key) verifies with the shown public key', async () => {
  await page.selectOption('#enc-alg', 'ES256');
  await page.waitForFunction(() => {
    const t = document.querySelector('#enc-token').dataset.token;
    return t && JSON.parse(atob(t.split('.')[0].replace(/-/g, '+').replace(/_/g, '/'))).alg === 'ES256';
  });
  assert.match(await page.inputValue('#enc-header'), /"alg": "ES256"/);
  assert.match(await page.inputValue('#enc-key'), /^-----BEGIN PRIVATE KEY-----/);
  const pub = await page.textContent('#enc-pub');
  assert.match(pub, /^-----BEGIN PUBLIC KEY-----/);
  const token = await page.getAttribute('#enc-token', 'data-token');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jwtkit-ui-e2e-'));
  try {
    fs.writeFileSync(path.join(dir, 'public.pem'), pub);
    const r = jwtkit(['verify', token, '--key', path.join(dir, 'public.pem'), '--ignore-aud']);
    assert.equal(r.status, 0, r.stdout + r.stderr);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  await shot('12-encode-es256.png');
  // Straight into the decoder, verified with the public key.
  await page.click('#enc-open');
  await page.waitForSelector('#mode-decode:not([hidden])');
  await page.waitForFunction((t) => document.querySelector('#token').value === t, token);
  await page.waitForSelector('#verify-result [data-result="verified"]');
  assert.match(await page.textContent('#verify-result .banner'), /ES256/);
  await page.waitForSelector('#time-status[data-status="valid"]');
  await shot('13-encoded-token-verified.png');
});

test('keys fetched from a JWKS URL by the local server verify a token', async () => {
  // An issuer on 127.0.0.1 publishing a JWK Set, keys and token made with the jwtkit CLI.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jwtkit-ui-jwks-'));
  const jwksServer = http.createServer();
  try {
    const gen = jwtkit(['keygen', '--alg', 'ES256', '--kid', 'e2e-key', '--format', 'jwk',
      '--out', path.join(dir, 'priv.jwk'), '--public-out', path.join(dir, 'pub.jwk')]);
    assert.equal(gen.status, 0, gen.stderr);
    const jwks = JSON.stringify({ keys: [JSON.parse(fs.readFileSync(path.join(dir, 'pub.jwk'), 'utf8'))] });
    const signed = jwtkit(['sign', '--alg', 'ES256', '--key', path.join(dir, 'priv.jwk'), '--claims', '{"sub":"fetched"}', '--exp', '+1h']);
    assert.equal(signed.status, 0, signed.stderr);
    const token = signed.stdout.trim();
    let served = 0;
    jwksServer.on('request', (req, res) => {
      served++;
      res.writeHead(req.url === '/jwks.json' ? 200 : 404, { 'Content-Type': 'application/json' });
      res.end(req.url === '/jwks.json' ? jwks : '{}');
    });
    await new Promise((r) => jwksServer.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${jwksServer.address().port}/jwks.json`;
    await setToken(token);
    await page.check('input[name="key-kind"][value="url"]');
    await page.fill('#url', url);
    await page.click('#url-fetch');
    await page.waitForFunction(() => /JWK Set from/.test(document.querySelector('#verify-result').textContent));
    await page.waitForSelector('#verify-result [data-result="verified"]');
    assert.match(await page.textContent('#verify-result .banner'), /kid "e2e-key" · JWK Set from http:\/\/127\.0\.0\.1/);
    assert.ok(served >= 1, 'the JWK Set was fetched by the server');
    assert.match(await page.textContent('#command'), new RegExp('--jwks ' + url.replace(/[.]/g, '\\.')));
    await shot('14-verified-with-jwks-url.png');
  } finally {
    jwksServer.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  await page.check('input[name="key-kind"][value="secret"]');
});

test('dark colour scheme', async () => {
  await page.emulateMedia({ colorScheme: 'dark' });
  const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  assert.equal(bg, 'rgb(15, 18, 22)');
  await shot('15-dark.png');
  await page.emulateMedia({ colorScheme: 'light' });
});

test('a request with Host: evil.example gets 403 (DNS rebinding)', async () => {
  const errorsBefore = consoleErrors.length;
  const r = await rawRequest({ path: '/', headers: { Host: 'evil.example' } });
  assert.equal(r.status, 403);
  assert.equal(JSON.parse(r.body).error.kind, 'forbidden');
  // The browser, with evil.example resolving to 127.0.0.1, is refused too.
  const resp = await page.goto(`http://evil.example:${port}/`);
  assert.equal(resp.status(), 403);
  assert.match(await page.textContent('body'), /Host check against DNS rebinding/);
  await shot('16-dns-rebinding-403.png');
  await page.goto(origin + '/');
  // Expected noise from the refused page (its 403, and COOP ignored on a non-loopback origin).
  consoleErrors.splice(errorsBefore);
});

test('API POSTs from another origin get 403 (CSRF)', async () => {
  const body = JSON.stringify({ token: A1_TOKEN });
  const json = { 'Content-Type': 'application/json', Host: `127.0.0.1:${port}` };
  const evil = await rawRequest({ method: 'POST', path: '/api/decode', headers: { ...json, Origin: 'http://evil.example' } }, body);
  assert.equal(evil.status, 403);
  const none = await rawRequest({ method: 'POST', path: '/api/decode', headers: json }, body);
  assert.equal(none.status, 403);
  const ok = await rawRequest({ method: 'POST', path: '/api/decode', headers: { ...json, Origin: origin } }, body);
  assert.equal(ok.status, 200);
  assert.equal(ok.headers['cache-control'], 'no-store');
  // The page itself cannot talk to another origin (CSP connect-src 'self'), loopback included.
  const errorsBefore = consoleErrors.length;
  const blocked = await page.evaluate(async (port) => {
    try {
      await fetch(`http://localhost:${port}/api/decode`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"token":"x"}' });
      return 'readable';
    } catch (e) {
      return 'blocked';
    }
  }, port);
  assert.equal(blocked, 'blocked');
  const csp = consoleErrors.splice(errorsBefore);
  assert.ok(csp.some((e) => /Content Security Policy/.test(e) && /connect-src/.test(e)), csp.join('\n'));
});

// ------------------------------------------------------------ token kinds
const RFC9901 = JSON.parse(fs.readFileSync(new URL('../../jwtkit/tests/data/rfc9901.json', import.meta.url), 'utf8'));

test('an SD-JWT pasted is kept whole: its Disclosures are shown next to the claims they reveal', async () => {
  const sd = RFC9901.section_5_1;
  // As copied from a terminal: a header name and a line break.
  await setToken('Authorization: Bearer ' + sd.slice(0, 200) + '\n' + sd.slice(200));
  await page.waitForFunction(() => document.querySelector('#type-chip').textContent === 'SD-JWT (RFC 9901)');
  assert.equal(await page.getAttribute('#type-chip', 'data-kind'), 'sd_jwt');
  assert.match(await page.textContent('#token-status'), /SD-JWT \(selective disclosure\)/);
  assert.equal(await page.isVisible('#disclosures-card'), true);
  assert.match(await page.textContent('#disclosures-summary'), /^10 of 10 Disclosures applied · 0 digests withheld · sha-256$/);
  const rows = await page.$$eval('#disclosures tbody tr', (trs) => trs.map((t) => [t.dataset.pointer, t.children[2].textContent]));
  assert.equal(rows.length, 10);
  assert.deepEqual(rows.find((r) => r[0] === '/given_name'), ['/given_name', '"John"']);
  assert.deepEqual(rows.filter((r) => r[0].startsWith('/nationalities/')).map((r) => r[1]), ['"US"', '"DE"']);
  // The payload shows the claims with the Disclosures applied, each marked.
  const payload = await page.innerText('#payload-json');
  assert.match(payload, /"email": "johndoe@example\.com", +\/\/ ◆ disclosed \(Disclosure #3\)/);
  assert.match(payload, /"nationalities": \[ +\/\/ ◆ has disclosed parts \(Disclosure #9\)/);
  assert.doesNotMatch(payload, /"_sd"/);
  // Salts are hidden until asked for.
  const saltShown = () => page.$eval('#disclosures tbody tr td.salt', (td) => getComputedStyle(td).display !== 'none');
  assert.equal(await saltShown(), false);
  await page.check('#show-salts');
  assert.equal(await saltShown(), true);
  await page.uncheck('#show-salts');
  // The editor draws each Disclosure after its '~'.
  assert.equal(await page.$$eval('#token-backdrop .seg-sd', (s) => s.length), 10);
  await shot('20-sd-jwt-decoded.png');
});

test('verifying the SD-JWT checks its Disclosures in the same call as its signature', async () => {
  await page.click('input[name="key-kind"][value="key"]');
  await page.fill('#key-text', JSON.stringify(RFC9901.issuer_public_jwk));
  await page.click('#checks summary');
  await page.fill('#chk-now', '1700000000');
  await page.waitForSelector('#verify-result [data-disclosures="verified"]');
  assert.match(await page.textContent('#verify-result [data-disclosures="verified"]'), /10 Disclosures match their digests \(sha-256\), 0 withheld/);
  assert.equal(await page.getAttribute('#verify-result [data-kb]', 'data-kb'), 'none');
  await page.waitForSelector('#verify-result [data-claims="valid"]');
  assert.equal(await page.getAttribute('#verify-result [data-token-type]', 'data-token-type'), 'sd_jwt');
  await shot('21-sd-jwt-verified.png');
  await page.fill('#chk-now', '');
});

test('an ID token where an access token is expected is refused, and the page says why', async () => {
  const id = jwtkit(['sign', '--alg', 'HS256', '--secret', E2E_SECRET, '--exp', '+1h', '--claims',
    '{"iss":"https://op.example","aud":"app","sub":"u","nonce":"n","at_hash":"h"}']).stdout.trim();
  await setToken(id);
  await page.waitForFunction(() => document.querySelector('#type-chip').dataset.kind === 'id_token');
  assert.match(await page.getAttribute('#type-chip', 'class'), /inferred/);
  assert.equal(await page.isVisible('#disclosures-card'), false);
  await page.click('input[name="key-kind"][value="secret"]');
  await page.uncheck('#secret-b64');
  await page.fill('#secret', E2E_SECRET);
  await page.fill('#chk-typ', 'at+jwt');
  await page.waitForSelector('#verify-result [data-confusion="id_token"]');
  assert.match(await page.textContent('#verify-result [data-confusion]'), /ID token .* where an OAuth 2\.0 access token \(RFC 9068\) is expected/);
  await page.waitForSelector('#verify-result [data-claims="bad_type"]');
  await shot('22-id-token-as-access-token.png');
  await page.fill('#chk-typ', '');
});

test('a weak HMAC secret is found by the button, and the secret is not shown', async () => {
  // Made here: jwtkit sign refuses a well-known secret.
  const b64u = (x) => Buffer.from(x).toString('base64url');
  const input = b64u('{"alg":"HS256","typ":"JWT"}') + '.' + b64u('{"sub":"1"}');
  const weak = input + '.' + crypto.createHmac('sha256', 'your-256-bit-secret').update(input).digest('base64url');
  await setToken(weak);
  await page.waitForFunction((t) => document.querySelector('#command').textContent.includes(t.slice(0, 20)), weak);
  await page.click('#crack');
  await page.waitForSelector('#crack-result [data-cracked="true"]');
  const shown = await page.textContent('#crack-result');
  assert.match(shown, /^cracked cracked: the secret is in the list of well-known weak secrets/);
  assert.ok(!shown.includes('your-256-bit-secret'), shown);
  await shot('23-weak-secret-cracked.png');
});

test('no request left this machine, and the page logged no error', async () => {
  assert.deepEqual(offHost, []);
  assert.deepEqual(consoleErrors, []);
  // The server printed its URL and nothing else: no token, no key.
  const out = server.out;
  assert.ok(!out.includes(A1_TOKEN.slice(0, 40)) && !out.includes(E2E_SECRET), out);
});
