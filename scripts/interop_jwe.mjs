// JWE interop with panva/jose (npm `jose`): reads a task list (JSON) and writes results.
// Usage: node interop_jwe.mjs TASKS.json RESULTS.json   (run from a directory where `jose` is installed)
// Task: {op: "encrypt"|"decrypt", alg, enc, jwk, plaintext_b64u?, token?}; an oct `jwk` is used as raw
// bytes (a password for PBES2). Result: {ok, token?, plaintext_b64u?, error?}.
import * as jose from 'jose';
import { readFileSync, writeFileSync } from 'node:fs';

const [tasksPath, resultsPath] = process.argv.slice(2);
const tasks = JSON.parse(readFileSync(tasksPath, 'utf8'));
const b64u = (b) => Buffer.from(b).toString('base64url');
const unb64u = (s) => new Uint8Array(Buffer.from(s, 'base64url'));

async function keyFor(jwk, alg) {
  if (jwk.kty === 'oct') return unb64u(jwk.k);
  return jose.importJWK(jwk, alg);
}

const results = [];
for (const t of tasks) {
  try {
    const key = await keyFor(t.jwk, t.alg);
    if (t.op === 'encrypt') {
      const enc = new jose.CompactEncrypt(unb64u(t.plaintext_b64u)).setProtectedHeader({ alg: t.alg, enc: t.enc });
      if (t.alg.startsWith('PBES2')) enc.setKeyManagementParameters({ p2c: 2048 });
      results.push({ ok: true, token: await enc.encrypt(key) });
    } else {
      const { plaintext } = await jose.compactDecrypt(t.token, key, {
        keyManagementAlgorithms: [t.alg],
        contentEncryptionAlgorithms: [t.enc],
      });
      results.push({ ok: true, plaintext_b64u: b64u(plaintext) });
    }
  } catch (e) {
    results.push({ ok: false, error: `${e.code || e.name}: ${e.message}` });
  }
}
writeFileSync(resultsPath, JSON.stringify(results));
