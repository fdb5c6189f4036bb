//! `private_key_jwt` client authentication (RFC 7523 §2.2 and §3, OIDC Core §9): the client
//! signs a short-lived JWT with a key whose public part is in its configured JWK Set.
//!
//! Checks, in order: assertion type; the unverified `iss` only selects the client (and must
//! equal a `client_id` parameter); signature by one of that client's keys, algorithms from the
//! keys (never from the token); `iss` = `sub` = client_id; `aud` names this issuer or one of
//! its endpoints; `exp` in the future and at most [`MAX_LIFETIME`] away; `jti` present and
//! never seen before (kept until `exp`). Every failure is `invalid_client`.

use std::collections::HashMap;
use std::sync::Mutex;

use std::time::Duration;

use jwtkit::{JwkSet, KeyFamily, Limits, Validation};
use serde_json::Value;

use crate::Issuer;
use crate::error::OAuthError;

/// RFC 7523 §2.2 `client_assertion_type`.
pub const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
/// Longest accepted assertion lifetime from now (seconds).
pub const MAX_LIFETIME: u64 = 600;
/// Clock skew allowed on `exp`, `iat` and `nbf` (seconds).
const LEEWAY: u64 = 60;
/// Most assertion `jti`s remembered at once.
const MAX_SEEN: usize = 100_000;

/// `jti`s of accepted assertions until their `exp` (replay protection).
#[derive(Default)]
pub struct SeenAssertions(Mutex<HashMap<String, u64>>);

fn fail(why: &str) -> OAuthError {
    OAuthError::invalid_client(format!("client assertion rejected: {why}"))
}

/// Load a client's JWK Set file: public keys only, no symmetric key.
///
/// # Errors
/// Unreadable file, not a JWK Set, empty, or holding an `oct` key.
pub fn load_keys(client_id: &str, path: &std::path::Path) -> anyhow::Result<JwkSet> {
    let bytes = std::fs::read(path)
        .map_err(|e| anyhow::anyhow!("client {client_id:?}: reading jwks {}: {e}", path.display()))?;
    let set = JwkSet::parse(&bytes, &Limits::default())
        .map_err(|e| anyhow::anyhow!("client {client_id:?}: jwks {}: {}", path.display(), e.message()))?;
    if set.is_empty() || set.keys().iter().any(|k| k.family() == KeyFamily::Oct) {
        anyhow::bail!(
            "client {client_id:?}: jwks {} must hold public asymmetric keys (RSA, EC, OKP)",
            path.display()
        );
    }
    Ok(JwkSet::from_keys(
        set.keys().iter().filter_map(|k| k.to_public()).collect(),
    ))
}

/// The client id an assertion claims to come from (`iss`), read before verification only to
/// choose the client's keys.
pub fn claimed_client(assertion: &str) -> Option<String> {
    let u = jwtkit::dangerous::Unverified::decode(assertion, &Limits::default());
    u.claims()?.get("iss")?.as_str().map(str::to_string)
}

impl Issuer {
    /// Verify `assertion` for `client_id`, whose keys are `keys`.
    ///
    /// # Errors
    /// `invalid_client` naming the failed check.
    pub fn verify_assertion(
        &self,
        assertion: &str,
        client_id: &str,
        keys: &JwkSet,
    ) -> Result<(), OAuthError> {
        let now = self.now();
        // The core's one call: signature by one of the client's keys (algorithms from the
        // keys), iss = sub = client_id, aud one of ours, exp and jti required, exp/nbf/iat
        // with the leeway.
        let mut b = Validation::builder(keys.algorithms())
            .issuer(client_id)
            .subject(client_id)
            .require("exp")
            .require("jti")
            .leeway(Duration::from_secs(LEEWAY))
            .now(i64::try_from(now).map_err(|_| fail("clock out of range"))?);
        for aud in [
            self.issuer.clone(),
            self.url("/token"),
            self.url("/introspect"),
            self.url("/revoke"),
        ] {
            b = b.audience(aud);
        }
        let validation = b.build().map_err(|e| fail(e.message()))?;
        let c = jwtkit::verify(assertion, keys, &validation)
            .map_err(|e| fail(e.message()))?
            .claims
            .into_object();
        let s = |n: &str| c.get(n).and_then(Value::as_str);
        let exp = c
            .get("exp")
            .and_then(Value::as_u64)
            .ok_or_else(|| fail("exp must be whole seconds"))?;
        if exp > now + MAX_LIFETIME {
            return Err(fail("exp is more than 10 minutes away"));
        }
        let jti = s("jti").ok_or_else(|| fail("jti is required"))?;
        let mut seen = self.assertions.0.lock().unwrap_or_else(|e| e.into_inner());
        seen.retain(|_, e| *e + LEEWAY > now);
        let key = format!("{client_id} {jti}");
        if seen.contains_key(&key) {
            return Err(fail("this jti was already used (replay)"));
        }
        if seen.len() >= MAX_SEEN {
            return Err(OAuthError::server_error(
                "too many client assertions in flight; retry shortly",
            ));
        }
        seen.insert(key, exp);
        Ok(())
    }
}
