//! Minting RFC 9068 access tokens and OIDC ID tokens, and reading back this issuer's own
//! access tokens (introspection, userinfo, revocation).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jwtkit::jws::Signer;
use jwtkit::{AlgorithmSet, JwsAlg, Validation};
use serde_json::Map;
use serde_json::Value;

use crate::Issuer;
use crate::error::OAuthError;

/// OIDC standard claims released by each scope (OIDC Core §5.4). Claims not listed here are
/// the deployment's own (`roles`, `tenant`) and are released whatever the scope.
pub const SCOPE_CLAIMS: [(&str, &[&str]); 4] = [
    (
        "profile",
        &[
            "name",
            "family_name",
            "given_name",
            "middle_name",
            "nickname",
            "preferred_username",
            "profile",
            "picture",
            "website",
            "gender",
            "birthdate",
            "zoneinfo",
            "locale",
            "updated_at",
        ],
    ),
    ("email", &["email", "email_verified"]),
    ("address", &["address"]),
    ("phone", &["phone_number", "phone_number_verified"]),
];

fn standard_claim_scope(name: &str) -> Option<&'static str> {
    SCOPE_CLAIMS
        .iter()
        .find(|(_, names)| names.contains(&name))
        .map(|(scope, _)| *scope)
}

/// The claims of `claims` released for `scope` (space separated): standard claims whose
/// scope was granted, and every non-standard claim.
pub fn release(claims: &Map<String, Value>, scope: &str) -> Map<String, Value> {
    let granted: Vec<&str> = scope.split(' ').collect();
    claims
        .iter()
        .filter(|(k, _)| standard_claim_scope(k).is_none_or(|s| granted.contains(&s)))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// Non-standard claims only (what goes into access tokens: RFC 9068 §2.2.3.1 `roles`, …).
pub fn custom(claims: &Map<String, Value>) -> Map<String, Value> {
    claims
        .iter()
        .filter(|(k, _)| standard_claim_scope(k).is_none())
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// A fresh random identifier: 32 bytes from aws-lc-rs, base64url (256 bits).
///
/// # Errors
/// `server_error` if the system RNG fails.
pub fn random_token() -> Result<String, OAuthError> {
    let mut b = [0u8; 32];
    aws_lc_rs::rand::fill(&mut b)
        .map_err(|_| OAuthError::server_error("the system random generator failed"))?;
    Ok(URL_SAFE_NO_PAD.encode(b))
}

/// What an access token is about.
pub struct AccessSubject<'a> {
    /// `sub`: the user, or the client for client_credentials (RFC 9068 §2.2).
    pub sub: &'a str,
    /// `client_id`.
    pub client_id: &'a str,
    /// `aud`.
    pub audience: Vec<String>,
    /// `scope`.
    pub scope: &'a str,
    /// `sid`: the grant, when a user is involved.
    pub grant: Option<&'a str>,
    /// `auth_time`.
    pub auth_time: Option<u64>,
    /// Extra claims (the user's non-standard claims).
    pub extra: Map<String, Value>,
}

impl Issuer {
    /// Sign `claims` with the key of the moment, with `typ` in the header.
    ///
    /// # Errors
    /// `server_error` when no key can be generated, persisted or used.
    pub async fn sign(&self, typ: &str, claims: &Map<String, Value>) -> Result<String, OAuthError> {
        let now = self.now();
        let key = self
            .store
            .transact(now, |m| {
                let w = self.ring.schedule(&mut m.keys, now);
                let key = self.ring.signing_key(&m.keys, now);
                match w {
                    Ok(w) => (key, w),
                    Err(_) => (None, Vec::new()),
                }
            })
            .await
            .map_err(|e| OAuthError::server_error(format!("state: {e}")))?
            .ok_or_else(|| OAuthError::server_error("no signing key could be generated"))?;
        Signer::new(&key, self.ring.alg().jws())
            .and_then(|s| s.typ(typ).build())
            .and_then(|s| s.sign_claims(claims))
            .map_err(|e| OAuthError::server_error(format!("signing: {e}")))
    }

    /// An RFC 9068 access token (`typ: at+jwt`) and its lifetime in seconds.
    ///
    /// # Errors
    /// As [`Issuer::sign`].
    pub async fn access_token(&self, s: AccessSubject<'_>) -> Result<(String, u64), OAuthError> {
        let now = self.now();
        let ttl = self.config.tokens.access_token_ttl.0;
        let mut c = s.extra;
        let aud = match s.audience.as_slice() {
            [one] => Value::from(one.as_str()),
            many => Value::from(many.to_vec()),
        };
        for (k, v) in [
            ("iss", Value::from(self.issuer.as_str())),
            ("sub", s.sub.into()),
            ("aud", aud),
            ("client_id", s.client_id.into()),
            ("scope", s.scope.into()),
            ("jti", random_token()?.into()),
            ("iat", now.into()),
            ("exp", (now + ttl).into()),
        ] {
            c.insert(k.into(), v);
        }
        if let Some(t) = s.auth_time {
            c.insert("auth_time".into(), t.into());
        }
        if let Some(g) = s.grant {
            c.insert("sid".into(), g.into());
        }
        Ok((self.sign("at+jwt", &c).await?, ttl))
    }

    /// An OIDC ID token (OIDC Core §2, §3.1.3.6 `at_hash`).
    ///
    /// # Errors
    /// As [`Issuer::sign`].
    pub async fn id_token(
        &self,
        grant: &crate::store::Grant,
        grant_id: &str,
        access_token: &str,
        nonce: Option<&str>,
    ) -> Result<String, OAuthError> {
        let now = self.now();
        let mut c = release(&grant.claims, &grant.scope);
        for (k, v) in [
            ("iss", Value::from(self.issuer.as_str())),
            ("sub", grant.sub.as_str().into()),
            ("aud", grant.client_id.as_str().into()),
            ("azp", grant.client_id.as_str().into()),
            ("iat", now.into()),
            ("exp", (now + self.config.tokens.id_token_ttl.0).into()),
            ("auth_time", grant.auth_time.into()),
            ("sid", grant_id.into()),
            ("at_hash", at_hash(access_token).into()),
        ] {
            c.insert(k.into(), v);
        }
        if let Some(n) = nonce {
            c.insert("nonce".into(), n.into());
        }
        self.sign("JWT", &c).await
    }

    /// The claims of one of this issuer's access tokens if it is valid now: signature by a
    /// published key, `typ: at+jwt`, `iss`, not expired, not revoked (its `jti`, or its grant).
    pub fn read_access_token(&self, token: &str) -> Option<Map<String, Value>> {
        let now = self.now();
        let (keys, revoked) = self.store.read(|m| {
            let keys = self.ring.verifying_set(&m.keys, now);
            (keys, m.revoked_jti.clone())
        });
        // The core's one call: signature by a published key (ES256 or RS256), `typ`, `iss`,
        // `exp` required and not passed (no leeway: this issuer's own clock). `aud` names the
        // resource servers the token is for, not this issuer: its own endpoints (userinfo,
        // introspection) accept any.
        let validation = Validation::builder(
            AlgorithmSet::<JwsAlg>::empty()
                .with(JwsAlg::ES256)
                .with(JwsAlg::RS256),
        )
        .issuer(self.issuer.as_str())
        .typ("at+jwt")
        .ignore_audience(true)
        .require("exp")
        .leeway(std::time::Duration::ZERO)
        .now(i64::try_from(now).ok()?)
        .build()
        .ok()?;
        let c = jwtkit::verify(token, &keys, &validation)
            .ok()?
            .claims
            .into_object();
        if c.get("jti")
            .and_then(Value::as_str)
            .is_some_and(|j| revoked.contains_key(j))
        {
            return None;
        }
        if let Some(sid) = c.get("sid").and_then(Value::as_str) {
            let live = self.store.read(|m| m.grants.get(sid).is_some_and(|g| !g.revoked));
            if !live {
                return None;
            }
        }
        Some(c)
    }
}

/// `at_hash`: the left half of SHA-256 of the access token's ASCII, base64url (OIDC Core
/// §3.1.3.6; SHA-256 is the hash of both ES256 and RS256).
pub fn at_hash(access_token: &str) -> String {
    let d = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, access_token.as_bytes());
    let half = d.as_ref().get(..16).unwrap_or_default();
    URL_SAFE_NO_PAD.encode(half)
}
