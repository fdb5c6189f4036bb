// panva's oidc-provider (pinned in package.json), configured for scripts/test-oauth.sh and the
// debugger's e2e test: an independent authorization server on a loopback port.
//
//   node server.mjs PORT CLIENT_PUBLIC_JWK_FILE
//
// Clients:
//   cli      public native client (token_endpoint_auth_method none): code + PKCE with any loopback
//            port (RFC 8252 §7.3), device flow, refresh tokens (offline_access)
//   svc      confidential (client_secret_basic): client credentials, JWT bearer (assertions signed with
//            the key in CLIENT_PUBLIC_JWK_FILE), token exchange
//   svc-post confidential (client_secret_post): client credentials
//   svc-jwt  private_key_jwt with the public key in CLIENT_PUBLIC_JWK_FILE: client credentials
// Resource `urn:jwtkit:api` gets JWT access tokens (ES256); without a resource, access tokens are
// opaque (for userinfo, introspection and revocation). Prints "READY <issuer>" when listening.
import crypto from 'node:crypto';
import fs from 'node:fs';
import { importJWK, jwtVerify } from 'jose';
import Provider, { errors } from 'oidc-provider';

const port = Number(process.argv[2]);
const clientJwk = JSON.parse(fs.readFileSync(process.argv[3], 'utf8'));
const issuer = `http://127.0.0.1:${port}`;

const es = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });
const rs = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });

const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';

const accounts = new Map();
function account(sub) {
  return {
    accountId: sub,
    async claims() {
      return { sub, email: `${sub}@example.test`, email_verified: true, name: `Test ${sub}` };
    },
  };
}

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: 'cli',
      application_type: 'native',
      token_endpoint_auth_method: 'none',
      redirect_uris: ['http://127.0.0.1/callback'],
      grant_types: ['authorization_code', 'refresh_token', 'urn:ietf:params:oauth:grant-type:device_code'],
      response_types: ['code'],
    },
    {
      client_id: 'svc', client_secret: 'svc-secret-0123456789abcdef',
      grant_types: ['client_credentials', JWT_BEARER, TOKEN_EXCHANGE], response_types: [], redirect_uris: [],
    },
    {
      client_id: 'svc-post', client_secret: 'post-secret-0123456789abcdef', token_endpoint_auth_method: 'client_secret_post',
      grant_types: ['client_credentials'], response_types: [], redirect_uris: [],
    },
    {
      client_id: 'svc-jwt', token_endpoint_auth_method: 'private_key_jwt', token_endpoint_auth_signing_alg: 'ES256',
      jwks: { keys: [clientJwk] }, grant_types: ['client_credentials'], response_types: [], redirect_uris: [],
    },
  ],
  jwks: { keys: [{ ...es, kid: 'es-1', alg: 'ES256', use: 'sig' }, { ...rs, kid: 'rs-1', alg: 'RS256', use: 'sig' }] },
  cookies: { keys: [crypto.randomBytes(32).toString('hex')] },
  findAccount: async (ctx, sub) => { accounts.set(sub, true); return account(sub); },
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
  scopes: ['openid', 'offline_access', 'email', 'profile', 'api:read', 'api:write'],
  pkce: { required: () => true },
  ttl: { AccessToken: 600, ClientCredentials: 600, IdToken: 600, DeviceCode: 120, RefreshToken: 3600 },
  features: {
    devInteractions: { enabled: true },
    deviceFlow: { enabled: true },
    clientCredentials: { enabled: true },
    introspection: { enabled: true },
    revocation: { enabled: true },
    userinfo: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => undefined,
      useGrantedResource: () => true,
      getResourceServerInfo: (ctx, resource) => {
        if (resource !== 'urn:jwtkit:api') throw new errors.InvalidTarget();
        return {
          scope: 'api:read api:write',
          audience: 'urn:jwtkit:api',
          accessTokenTTL: 600,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'ES256' } },
        };
      },
    },
  },
});
// oidc-provider has no JWT bearer or token exchange grant of its own: these two handlers check the
// request with panva's `jose` (assertion signature, iss, sub, aud, exp, jti) and the provider's token
// store (the subject token must be active), then issue a token through the provider's own model.
// The responses echo what was read (assertion_sub, subject_client_id, audience) for the test to check.
const assertionKey = await importJWK(clientJwk, 'ES256');
provider.registerGrantType(JWT_BEARER, async (ctx) => {
  const { client, params } = ctx.oidc;
  let payload;
  try {
    ({ payload } = await jwtVerify(params.assertion, assertionKey, {
      issuer: client.clientId, audience: [issuer, `${issuer}/token`], algorithms: ['ES256'],
      requiredClaims: ['sub', 'exp', 'iat', 'jti'], maxTokenAge: '5m',
    }));
  } catch (e) {
    throw new errors.InvalidGrant(`assertion rejected: ${e.code || e.message}`);
  }
  const token = new provider.ClientCredentials({ client, scope: params.scope || undefined });
  const value = await token.save();
  ctx.body = { access_token: value, token_type: 'Bearer', expires_in: token.expiration, assertion_sub: payload.sub };
}, ['assertion', 'scope']);
provider.registerGrantType(TOKEN_EXCHANGE, async (ctx) => {
  const { client, params } = ctx.oidc;
  if (params.subject_token_type !== ACCESS_TOKEN_TYPE) throw new errors.InvalidRequest('unsupported subject_token_type');
  const subject = (await provider.AccessToken.find(params.subject_token)) || (await provider.ClientCredentials.find(params.subject_token));
  if (!subject || subject.isExpired) throw new errors.InvalidGrant('subject_token is not active');
  const token = new provider.ClientCredentials({ client, scope: params.scope || undefined });
  const value = await token.save();
  ctx.body = {
    access_token: value, issued_token_type: ACCESS_TOKEN_TYPE, token_type: 'Bearer', expires_in: token.expiration,
    subject_client_id: subject.clientId, audience: [].concat(params.audience || []),
  };
}, ['subject_token', 'subject_token_type', 'actor_token', 'actor_token_type', 'requested_token_type', 'audience', 'scope'], ['audience']);

provider.listen(port, '127.0.0.1', () => { console.log(`READY ${issuer}`); });
