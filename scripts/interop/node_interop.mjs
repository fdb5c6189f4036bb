// Interop with the npm `jose` and `jsonwebtoken` packages (versions pinned in package.json).
//
//   node node_interop.mjs jose|jsonwebtoken sign   KEYDIR CLAIMS.json ALG,ALG,...
//   node node_interop.mjs jose|jsonwebtoken verify KEYDIR TOKENS.json AUDIENCE
//
// KEYDIR holds the keys jwtkit generated: ALG.jwk (private JWK, or the oct secret) and
// ALG.pub.jwk. `jose` imports them with importJWK; `jsonwebtoken` gets Node KeyObjects made from
// the same JWKs (or the secret bytes for HS*). Prints one JSON object on stdout:
//   sign:   {"ALG": {"token": "..."} | {"error": "..."}}
//   verify: {"ALG": {"claims": {...}, "header": {...}} | {"error": "..."}}   (TOKENS.json: {"ALG": "token"})
// Every algorithm is attempted; a library that lacks one reports its own error message.
import { readFileSync } from "node:fs";
import { createPrivateKey, createPublicKey } from "node:crypto";
import { join } from "node:path";
import * as jose from "jose";
import jsonwebtoken from "jsonwebtoken";

const [lib, op, keydir, file, extra] = process.argv.slice(2);
if (lib !== "jose" && lib !== "jsonwebtoken") {
  console.error(`unknown library ${lib}`);
  process.exit(2);
}
const readJson = (p) => JSON.parse(readFileSync(p, "utf8"));
const jwkOf = (alg, pub) => readJson(join(keydir, `${alg}${pub ? ".pub" : ""}.jwk`));
const isHmac = (alg) => alg.startsWith("HS");

async function joseKey(alg, pub) {
  return jose.importJWK(jwkOf(alg, isHmac(alg) ? false : pub), alg);
}

function nodeKey(alg, pub) {
  const jwk = jwkOf(alg, isHmac(alg) ? false : pub);
  if (isHmac(alg)) return Buffer.from(jwk.k, "base64url");
  return pub ? createPublicKey({ key: jwk, format: "jwk" }) : createPrivateKey({ key: jwk, format: "jwk" });
}

async function sign(alg, claims) {
  if (lib === "jose") {
    return new jose.SignJWT(claims).setProtectedHeader({ alg, typ: "JWT" }).sign(await joseKey(alg, false));
  }
  return jsonwebtoken.sign(claims, nodeKey(alg, false), { algorithm: alg, header: { typ: "JWT" } });
}

async function verify(alg, token, audience) {
  if (lib === "jose") {
    const r = await jose.jwtVerify(token, await joseKey(alg, true), { algorithms: [alg], audience });
    return { claims: r.payload, header: r.protectedHeader };
  }
  const r = jsonwebtoken.verify(token, nodeKey(alg, true), { algorithms: [alg], audience, complete: true });
  return { claims: r.payload, header: r.header };
}

const out = {};
if (op === "sign") {
  const claims = readJson(file);
  for (const alg of extra.split(",")) {
    try {
      out[alg] = { token: await sign(alg, structuredClone(claims)) };
    } catch (e) {
      out[alg] = { error: `${e.name}: ${e.message}` };
    }
  }
} else if (op === "verify") {
  for (const [alg, token] of Object.entries(readJson(file))) {
    try {
      out[alg] = await verify(alg, token, extra);
    } catch (e) {
      out[alg] = { error: `${e.name}: ${e.message}` };
    }
  }
} else {
  console.error(`usage: node node_interop.mjs jose|jsonwebtoken sign|verify KEYDIR FILE ARG`);
  process.exit(2);
}
process.stdout.write(JSON.stringify(out) + "\n");
