// panva's openid-client (v6, certified OpenID Relying Party library) against a running
// `jwtkit issuer` (scripts/test-issuer.sh): discovery, authorization code + PKCE through the login
// page with state, nonce and RFC 9207 `iss` checked by the library, ID token validation, userinfo,
// refresh rotation and reuse, introspection, revocation, client credentials.
// Usage: node openid_client.mjs ISSUER_URL BACKEND_SECRET
import * as client from 'openid-client';

const [issuer, secret] = process.argv.slice(2);
const REDIRECT = 'http://127.0.0.1:8000/callback';
const insecure = { execute: [client.allowInsecureRequests] };
let checks = 0;
function check(cond, what) {
  if (!cond) {
    console.error(`FAIL: ${what}`);
    process.exit(1);
  }
  checks++;
}
async function rejects(promise, error, what) {
  try {
    await promise;
  } catch (e) {
    check(e.error === error || e.code === error, `${what}: got ${e.error ?? e.code} (${e.message})`);
    return;
  }
  check(false, `${what}: no error`);
}

const web = await client.discovery(new URL(issuer), 'web', undefined, client.None(), insecure);
const backend = await client.discovery(new URL(issuer), 'backend', secret, client.ClientSecretBasic(secret), insecure);
check(web.serverMetadata().issuer === issuer, 'discovery issuer');

// The browser's part: open the authorization URL, pick alice on the login page, follow to the redirect.
async function browserLogin(config, params) {
  const page = await fetch(client.buildAuthorizationUrl(config, params));
  check(page.status === 200, 'login page');
  const id = (await page.text()).match(/name="request" value="([^"]+)"/)[1];
  const r = await fetch(new URL('authorize/login', config.serverMetadata().authorization_endpoint), {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ request: id, sub: 'alice', claims: '{"roles":["reader"]}', action: 'approve' }),
  });
  check(r.status === 303, 'login redirects');
  return new URL(r.headers.get('location'));
}

async function login(config) {
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const params = {
    redirect_uri: REDIRECT,
    scope: 'openid profile email orders:read',
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
  };
  return { callback: await browserLogin(config, params), verifier, state, nonce };
}

// Code + PKCE for the public client; the library checks state, iss, nonce and the ID token.
const l = await login(web);
const tokens = await client.authorizationCodeGrant(web, l.callback, {
  pkceCodeVerifier: l.verifier,
  expectedState: l.state,
  expectedNonce: l.nonce,
  idTokenExpected: true,
});
const id = tokens.claims();
check(id.sub === 'alice' && id.aud === 'web' && id.nonce === l.nonce, 'ID token claims');
check(tokens.token_type.toLowerCase() === 'bearer' && tokens.expiresIn() > 0, 'token response');
const info = await client.fetchUserInfo(web, tokens.access_token, 'alice');
check(info.email === 'alice@example.com' && info.roles[0] === 'reader', 'userinfo');

// A client whose stored state does not match the callback's refuses it.
const other = await login(web);
await rejects(
  client.authorizationCodeGrant(web, other.callback, { pkceCodeVerifier: other.verifier, expectedState: 'not-the-state' }),
  'OAUTH_INVALID_RESPONSE',
  'state mismatch detected by the client',
);
// The right verifier after a failed exchange: the code was never redeemed, so it still works once.
const ok = await client.authorizationCodeGrant(web, other.callback, {
  pkceCodeVerifier: other.verifier,
  expectedState: other.state,
  expectedNonce: other.nonce,
});
check(typeof ok.access_token === 'string', 'code redeemed after the client-side state check');
// A replay of that code: invalid_grant.
await rejects(
  client.authorizationCodeGrant(web, other.callback, { pkceCodeVerifier: other.verifier, expectedState: other.state }),
  'invalid_grant',
  'replayed code',
);

// Refresh rotation, then reuse of the first refresh token revokes the family.
const r2 = await client.refreshTokenGrant(web, tokens.refresh_token);
check(r2.refresh_token && r2.refresh_token !== tokens.refresh_token, 'refresh rotates');
await rejects(client.refreshTokenGrant(web, tokens.refresh_token), 'invalid_grant', 'reused refresh token');
await rejects(client.refreshTokenGrant(web, r2.refresh_token), 'invalid_grant', 'family revoked');

// Introspection and revocation by the confidential client; client credentials.
const cc = await client.clientCredentialsGrant(backend, { scope: 'orders:read' });
const active = await client.tokenIntrospection(backend, cc.access_token);
check(active.active === true && active.client_id === 'backend' && active.scope === 'orders:read', 'introspection');
check((await client.tokenIntrospection(backend, r2.access_token)).active === false, 'family access token inactive');
await client.tokenRevocation(backend, cc.access_token);
check((await client.tokenIntrospection(backend, cc.access_token)).active === false, 'revoked token inactive');

console.log(`issuer clients: ${checks} checks passed (openid-client)`);
