// Shared by the Chromium (e2e.test.mjs) and Firefox (firefox.test.mjs) suites: the real
// `jwtkit ui` server on a free loopback port, and the test data both use.

import { spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';

export const BIN = process.env.JWTKIT_BIN || path.resolve('../../../target/debug/jwtkit');
export const SHOTS = process.env.SCREENSHOT_DIR || path.resolve('../../../target/ui-screenshots');

// RFC 7515 Appendix A.1 (HS256; exp 1300819380 = 2011-03-22 18:43:00 UTC) and its key.
export const A1_TOKEN = 'eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
export const A1_KEY = 'AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow';
export const E2E_SECRET = 'e2e-secret-that-is-long-enough-for-hs256!';

/** A free TCP port on 127.0.0.1. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });
}

/** Start `jwtkit ui --no-open --port p`; resolves with {child, url, out} once it prints its URL. */
export function startServer(p, waitMs) {
  return new Promise((resolve, reject) => {
    const child = spawn(BIN, ['ui', '--no-open', '--port', String(p)], { stdio: ['ignore', 'pipe', 'pipe'] });
    const srv = { child, url: null, out: '' };
    const timer = setTimeout(() => reject(new Error('jwtkit ui did not print its URL: ' + srv.out)), waitMs);
    child.stdout.on('data', (d) => {
      srv.out += d;
      const m = srv.out.match(/jwtkit ui: (http:\/\/127\.0\.0\.1:\d+\/)/);
      if (m && !srv.url) { clearTimeout(timer); srv.url = m[1]; resolve(srv); }
    });
    child.stderr.on('data', (d) => { srv.out += d; });
    child.on('exit', (code) => { clearTimeout(timer); if (!srv.url) reject(new Error('jwtkit ui exited ' + code + ': ' + srv.out)); });
  });
}

/** Stop the server started by startServer (SIGTERM, at most 3 s). */
export async function stopServer(srv) {
  srv.child.kill('SIGTERM');
  await new Promise((r) => { srv.child.once('exit', r); setTimeout(r, 3000); });
}
