//! Client authentication at the token, introspection and revocation endpoints:
//! `client_secret_basic` (RFC 6749 §2.3.1), `client_secret_post` (§2.3.1),
//! `private_key_jwt` (RFC 7523 §2.2, OIDC Core §9), or none (a public client sends its
//! `client_id`). Also the signed assertions themselves (RFC 7523 §3), shared with the JWT
//! bearer grant.

use base64::Engine as _;
use jwtkit::jws::Signer;
use jwtkit::{JwsAlg, Key, KeyOp};
use serde_json::Map;
use serde_json::Value;

use crate::error::{Result, err};
use crate::http::Form;
use crate::pkce::random_token;
use crate::secret::Secret;

/// RFC 7523 §2.2 `client_assertion_type`.
pub const JWT_BEARER_CLIENT_ASSERTION: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// Lifetime of the assertions jwtkit signs, seconds (RFC 7523 §3 item 4: short-lived).
pub const ASSERTION_LIFETIME_SECS: i64 = 60;

/// Which `aud` a signed assertion carries (RFC 7523 §3 item 3).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Audience {
    /// The issuer identifier (what RFC 7523bis and FAPI 2.0 require; oidc-provider, Keycloak
    /// and most providers accept it).
    #[default]
    Issuer,
    /// The URL of the endpoint the assertion is sent to (the token endpoint for a grant), as
    /// RFC 7523 §3 allows and some providers require.
    Endpoint,
}

/// A key jwtkit holds and signs assertions with.
#[derive(Clone, Debug)]
pub struct AssertionKey {
    /// The private key (or HMAC secret, for `client_secret_jwt`-style HS* assertions).
    pub key: std::sync::Arc<Key>,
    /// The JWS algorithm; checked against the key.
    pub alg: JwsAlg,
    /// The `kid` header (default: the key's JWK `kid`).
    pub kid: Option<String>,
    /// The `aud` to put in the assertion.
    pub audience: Audience,
}

impl AssertionKey {
    /// Use `key` with `alg`, or, when `alg` is None, the only algorithm its JWK `alg` allows,
    /// else the family's default (RS256, ES256/384/512 by curve, EdDSA, HS256).
    ///
    /// # Errors
    /// `invalid_config` when the key cannot sign (a public key) or does not fit `alg`.
    pub fn new(key: Key, alg: Option<JwsAlg>) -> Result<AssertionKey> {
        let alg = match alg {
            Some(a) => a,
            None => key.algorithms().iter().next().ok_or_else(|| {
                err!(
                    InvalidConfig,
                    "the assertion key ({}) allows no JWS algorithm",
                    key.label()
                )
            })?,
        };
        key.check_use(alg, KeyOp::Sign).map_err(|e| {
            err!(
                InvalidConfig,
                "the assertion key cannot sign {alg}: {}",
                e.message()
            )
        })?;
        let kid = key.kid().map(str::to_owned);
        Ok(AssertionKey {
            key: std::sync::Arc::new(key),
            alg,
            kid,
            audience: Audience::default(),
        })
    }

    /// Sign `claims` plus `jti` (128 random bits), `iat` and `exp` (`iat` +
    /// [`ASSERTION_LIFETIME_SECS`]) into a compact JWS with `typ: JWT`.
    ///
    /// # Errors
    /// `invalid_config` when signing fails.
    pub fn sign(&self, mut claims: Map<String, Value>) -> Result<String> {
        let now = now_secs();
        claims.insert("jti".into(), random_token(16).into());
        claims.insert("iat".into(), now.into());
        claims.insert("exp".into(), (now + ASSERTION_LIFETIME_SECS).into());
        let mut signer = Signer::new(&self.key, self.alg)?.typ("JWT");
        if let Some(kid) = &self.kid {
            signer = signer.kid(kid);
        }
        Ok(signer.build()?.sign_claims(&claims)?)
    }

    /// The audience for a request to `endpoint` of `issuer`.
    pub(crate) fn aud(&self, issuer: &str, endpoint: &str) -> String {
        match self.audience {
            Audience::Issuer => issuer.to_string(),
            Audience::Endpoint => endpoint.to_string(),
        }
    }
}

/// How the client authenticates.
#[derive(Clone, Debug)]
pub enum ClientAuth {
    /// A public client: `client_id` in the form body, no secret (RFC 6749 §2.1, RFC 8252 §8.4).
    None,
    /// `Authorization: Basic` with the form-urlencoded id and secret (RFC 6749 §2.3.1).
    SecretBasic(Secret),
    /// `client_id` and `client_secret` in the form body (RFC 6749 §2.3.1).
    SecretPost(Secret),
    /// A JWT signed with the client's key: `client_assertion_type` and `client_assertion`
    /// (RFC 7523 §2.2; `iss` = `sub` = client id, `aud` per [`AssertionKey::audience`]).
    PrivateKeyJwt(AssertionKey),
}

impl ClientAuth {
    /// The RFC 8414 / OIDC `token_endpoint_auth_method` name.
    pub fn method(&self) -> &'static str {
        match self {
            ClientAuth::None => "none",
            ClientAuth::SecretBasic(_) => "client_secret_basic",
            ClientAuth::SecretPost(_) => "client_secret_post",
            ClientAuth::PrivateKeyJwt(_) => "private_key_jwt",
        }
    }

    /// Add the authentication to a request to `endpoint`: form members, and the
    /// `Authorization` header value to send (for `client_secret_basic`).
    ///
    /// # Errors
    /// `invalid_config` when the assertion cannot be signed.
    pub fn apply(
        &self,
        client_id: &str,
        issuer: &str,
        endpoint: &str,
        form: &mut Form,
    ) -> Result<Option<Secret>> {
        match self {
            ClientAuth::None => {
                form.push("client_id", client_id);
                Ok(None)
            }
            ClientAuth::SecretBasic(secret) => Ok(Some(basic(client_id, secret))),
            ClientAuth::SecretPost(secret) => {
                form.push("client_id", client_id);
                form.push("client_secret", secret.clone());
                Ok(None)
            }
            ClientAuth::PrivateKeyJwt(k) => {
                let mut claims = Map::new();
                claims.insert("iss".into(), Value::from(client_id));
                claims.insert("sub".into(), Value::from(client_id));
                claims.insert("aud".into(), Value::from(k.aud(issuer, endpoint)));
                let jwt = k.sign(claims)?;
                form.push("client_id", client_id);
                form.push("client_assertion_type", JWT_BEARER_CLIENT_ASSERTION);
                form.push("client_assertion", jwt);
                Ok(None)
            }
        }
    }
}

/// `Basic base64(urlencode(id) ":" urlencode(secret))`, RFC 6749 §2.3.1 (the form encoding is
/// required: a secret with `:` or `%` breaks otherwise).
pub fn basic(client_id: &str, secret: &Secret) -> Secret {
    let enc = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    let pair = zeroize::Zeroizing::new(format!("{}:{}", enc(client_id), enc(secret.expose())));
    Secret::new(format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(pair.as_bytes())
    ))
}

/// Seconds since 1970 by the system clock.
pub(crate) fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_credentials_are_form_encoded_before_base64() {
        // RFC 6749 §2.3.1 / Appendix B: "a:b%" is sent as "a%3Ab%25".
        let h = basic("my client", &Secret::new("a:b%"));
        let b64 = h.expose().strip_prefix("Basic ").unwrap();
        let raw = base64::engine::general_purpose::STANDARD.decode(b64).unwrap();
        assert_eq!(raw, b"my+client:a%3Ab%25");
    }

    #[test]
    fn private_key_jwt_form_has_a_signed_assertion_for_the_issuer() {
        let key = Key::hmac(b"0123456789abcdef0123456789abcdef".to_vec());
        let k = AssertionKey::new(
            Key::hmac(b"0123456789abcdef0123456789abcdef".to_vec()),
            Some(JwsAlg::HS256),
        )
        .unwrap();
        let mut form = Form::new();
        let header = ClientAuth::PrivateKeyJwt(k)
            .apply(
                "cli",
                "https://as.example/",
                "https://as.example/token",
                &mut form,
            )
            .unwrap();
        assert!(header.is_none());
        assert_eq!(
            form.get("client_assertion_type"),
            Some(JWT_BEARER_CLIENT_ASSERTION)
        );
        let jwt = form.get("client_assertion").unwrap();
        let mut keys = jwtkit::JwkSet::default();
        keys.push(key);
        let v = jwtkit::Validation::builder([JwsAlg::HS256])
            .audience("https://as.example/")
            .issuer("cli")
            .build()
            .unwrap();
        let verified = jwtkit::verify(jwt, &keys, &v).unwrap();
        assert_eq!(verified.claims.get("sub").and_then(Value::as_str), Some("cli"));
        let exp = verified.claims.get("exp").and_then(Value::as_i64).unwrap();
        let iat = verified.claims.get("iat").and_then(Value::as_i64).unwrap();
        assert_eq!(exp - iat, ASSERTION_LIFETIME_SECS);
        assert_eq!(
            verified.claims.get("jti").and_then(Value::as_str).unwrap().len(),
            22
        );
    }
}
