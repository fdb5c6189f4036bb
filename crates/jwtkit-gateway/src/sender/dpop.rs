//! DPoP at the gateway ([RFC 9449]): the provider's proof rules ([`DpopConfig`] →
//! [`DpopRules`]), the request URL a proof's `htu` must name ([`request_url`]), and the
//! server nonce ([`NonceKey`], §8).
//!
//! The proof itself is checked by the core ([`jwtkit::jwt::verify_with`] with a DPoP proof check, §4.3 in order) and
//! bound to the access token by [`jwtkit::dpop::VerifiedProof::check_binding`] (§6.1); the gateway adds the
//! nonce (stateless, so every instance sharing `nonce_secret` accepts every other's) and the
//! `jti` replay cache in the store ([`crate::store::Store::first_use`], §11.1).
//!
//! [RFC 9449]: https://www.rfc-editor.org/rfc/rfc9449

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jwtkit::JwsAlg;
use std::time::Duration;

use aws_lc_rs::{constant_time, hmac};
use http::request::Parts;
use serde::Deserialize;

use crate::config::Dur;

/// `dpop = { … }` in a provider: how DPoP proofs are checked. DPoP is accepted on every
/// provider with these defaults; `require_dpop = true` makes it mandatory.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DpopConfig {
    /// Proof algorithms accepted (asymmetric only; `HS*` and `none` are refused). Default
    /// `["ES256", "ES384", "EdDSA", "PS256", "RS256"]`: advertised in `algs` of the
    /// `WWW-Authenticate: DPoP` challenge.
    #[serde(default = "default_algorithms")]
    pub algorithms: Vec<String>,
    /// How old a proof's `iat` may be. Default 5 minutes; also how long its `jti` is remembered.
    #[serde(default = "default_max_age")]
    pub max_age: Dur,
    /// Clock skew allowed for a proof `iat` in the future. Default 5 s.
    #[serde(default = "default_leeway")]
    pub leeway: Dur,
    /// Require a server-provided nonce in every proof (§8): answered `use_dpop_nonce` with a
    /// `DPoP-Nonce` header until the client signs one. Default false.
    #[serde(default)]
    pub nonce: bool,
    /// How long a nonce is accepted after it was issued. Default 5 minutes.
    #[serde(default = "default_max_age")]
    pub nonce_lifetime: Dur,
    /// The HMAC key nonces are made with: `env:VAR`, `@file` or a literal, at least 32 bytes.
    /// Give every instance of a fleet the same one; without it each configuration generation
    /// makes a random key (a reload or another instance then answers `use_dpop_nonce` once).
    #[serde(default)]
    pub nonce_secret: Option<String>,
}

impl Default for DpopConfig {
    fn default() -> Self {
        DpopConfig {
            algorithms: default_algorithms(),
            max_age: default_max_age(),
            leeway: default_leeway(),
            nonce: false,
            nonce_lifetime: default_max_age(),
            nonce_secret: None,
        }
    }
}

fn default_algorithms() -> Vec<String> {
    ["ES256", "ES384", "EdDSA", "PS256", "RS256"]
        .map(String::from)
        .to_vec()
}
fn default_max_age() -> Dur {
    Dur(Duration::from_secs(300))
}
fn default_leeway() -> Dur {
    Dur(Duration::from_secs(5))
}

/// A provider's DPoP rules, parsed once.
pub struct DpopRules {
    /// Proof algorithms (asymmetric).
    pub algorithms: jwtkit::AlgorithmSet<JwsAlg>,
    /// `algs` of the challenge: the algorithm names, space-separated.
    pub algs: String,
    /// Maximum proof age.
    pub max_age: Duration,
    /// Future `iat` allowed.
    pub leeway: Duration,
    /// The nonce key when nonces are required.
    pub nonce: Option<NonceKey>,
    /// Tokens of this provider must be DPoP-bound and come with a proof.
    pub required: bool,
}

impl DpopRules {
    /// Parse `dpop` and `require_dpop`.
    ///
    /// # Errors
    /// An unknown or symmetric algorithm, an empty list, a zero `max_age`, a nonce secret that
    /// cannot be read or is shorter than 32 bytes.
    pub fn new(c: &DpopConfig, required: bool) -> anyhow::Result<DpopRules> {
        if c.algorithms.is_empty() {
            anyhow::bail!("dpop.algorithms is empty");
        }
        let mut algorithms = jwtkit::AlgorithmSet::<JwsAlg>::empty();
        for name in &c.algorithms {
            let alg: jwtkit::JwsAlg = name
                .parse()
                .map_err(|e: jwtkit::Error| anyhow::anyhow!("dpop.algorithms: {}", e.message()))?;
            if alg.is_hmac() {
                anyhow::bail!(
                    "dpop.algorithms: {name} is symmetric; DPoP proofs are signed with a private asymmetric key (RFC 9449 §4.2)"
                );
            }
            algorithms = algorithms.with(alg);
        }
        if c.max_age.0.is_zero() || c.nonce_lifetime.0.is_zero() {
            anyhow::bail!("dpop.max_age and dpop.nonce_lifetime must be above zero");
        }
        let nonce = if c.nonce {
            Some(NonceKey::new(c.nonce_secret.as_deref(), c.nonce_lifetime.0)?)
        } else {
            None
        };
        Ok(DpopRules {
            algs: c.algorithms.join(" "),
            algorithms,
            max_age: c.max_age.0,
            leeway: c.leeway.0,
            nonce,
            required,
        })
    }

    /// What the core expects of a proof for `check`'s request at `now`: the provider's
    /// asymmetric algorithms, `iat` at most `max_age` old (± `leeway`).
    ///
    /// # Errors
    /// `invalid_config` when the allowlist is empty (refused at load, so not in practice).
    pub fn validation(
        &self,
        now: i64,
        check: jwtkit::dpop::DpopProofCheck,
    ) -> jwtkit::Result<jwtkit::Validation> {
        jwtkit::Validation::builder(self.algorithms)
            .now(now)
            .dpop_proof(check.max_age(self.max_age).leeway(self.leeway))
            .build()
    }

    /// How long a proof's `jti` must be remembered: as long as the proof is accepted.
    pub fn replay_window(&self) -> Duration {
        self.max_age + self.leeway * 2
    }
}

/// Stateless server nonces (RFC 9449 §8): `base64url(issued_at(8 bytes, big endian) ||
/// HMAC-SHA-256(key, issued_at)[..16])`. Any instance with the same key accepts them.
pub struct NonceKey {
    key: hmac::Key,
    lifetime: Duration,
}

impl NonceKey {
    fn new(secret: Option<&str>, lifetime: Duration) -> anyhow::Result<NonceKey> {
        let bytes = match secret {
            Some(spec) => {
                let s = zeroize::Zeroizing::new(crate::config::resolve_secret(spec)?);
                if s.len() < 32 {
                    anyhow::bail!("dpop.nonce_secret must be at least 32 bytes");
                }
                s.as_bytes().to_vec()
            }
            None => {
                let mut b = vec![0u8; 32];
                aws_lc_rs::rand::fill(&mut b).map_err(|_| anyhow::anyhow!("no random bytes"))?;
                b
            }
        };
        let bytes = zeroize::Zeroizing::new(bytes);
        Ok(NonceKey {
            key: hmac::Key::new(hmac::HMAC_SHA256, &bytes),
            lifetime,
        })
    }

    /// A fresh nonce for `now` (seconds).
    pub fn issue(&self, now: i64) -> String {
        let ts = now.to_be_bytes();
        let tag = hmac::sign(&self.key, &ts);
        let mut out = ts.to_vec();
        out.extend_from_slice(tag.as_ref().get(..16).unwrap_or_default());
        URL_SAFE_NO_PAD.encode(&out)
    }

    /// Whether `nonce` was issued with this key within the lifetime (and not in the future).
    pub fn accepts(&self, nonce: &str, now: i64) -> bool {
        let Ok(raw) = URL_SAFE_NO_PAD.decode(nonce) else {
            return false;
        };
        let (Some(ts), Some(tag)) = (raw.get(..8), raw.get(8..)) else {
            return false;
        };
        let Ok(ts_bytes) = <[u8; 8]>::try_from(ts) else {
            return false;
        };
        let issued = i64::from_be_bytes(ts_bytes);
        let want = hmac::sign(&self.key, ts);
        let fresh = issued <= now.saturating_add(5)
            && now.saturating_sub(issued) <= i64::try_from(self.lifetime.as_secs()).unwrap_or(i64::MAX);
        tag.len() == 16
            && constant_time::verify_slices_are_equal(want.as_ref().get(..16).unwrap_or_default(), tag)
                .is_ok()
            && fresh
    }
}

/// The absolute URL of the request as the client addressed it, for `htu` (RFC 9449 §4.3 step 9):
/// `external_origin` of the route when set (the gateway behind a load balancer or a TLS
/// terminator that rewrites `Host`); otherwise the scheme of the listener (`https` with
/// `server.tls`) and the request's `Host`, both taken from `X-Forwarded-Proto` /
/// `X-Forwarded-Host` only when `server.trust_forwarded` says a proxy in front writes them.
/// The path is the normalized request path (before `strip_prefix`); query and fragment are
/// not compared.
pub fn request_url(parts: &Parts, external_origin: Option<&str>, trust_forwarded: bool) -> Option<String> {
    let path = parts.uri.path();
    if let Some(origin) = external_origin {
        return Some(format!("{origin}{path}"));
    }
    let forwarded = |name: &str| -> Option<&str> {
        if !trust_forwarded {
            return None;
        }
        parts
            .headers
            .get(name)?
            .to_str()
            .ok()?
            .split(',')
            .next()
            .map(str::trim)
            .filter(|v| !v.is_empty())
    };
    let listener = parts
        .extensions
        .get::<crate::forward::ClientProto>()
        .map_or("http", |p| p.0);
    let scheme = forwarded("x-forwarded-proto")
        .filter(|s| s.eq_ignore_ascii_case("https") || s.eq_ignore_ascii_case("http"))
        .unwrap_or(listener);
    let host = forwarded("x-forwarded-host")
        .or_else(|| parts.headers.get(http::header::HOST)?.to_str().ok())
        .or_else(|| parts.uri.authority().map(http::uri::Authority::as_str))?;
    Some(format!("{scheme}://{host}{path}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nonces_are_accepted_within_their_lifetime_by_the_same_key_only() {
        let secret = "0123456789abcdef0123456789abcdef";
        let a = NonceKey::new(Some(secret), Duration::from_secs(60)).unwrap();
        let b = NonceKey::new(Some(secret), Duration::from_secs(60)).unwrap();
        let other = NonceKey::new(None, Duration::from_secs(60)).unwrap();
        let n = a.issue(1000);
        assert!(b.accepts(&n, 1030));
        assert!(!b.accepts(&n, 1061), "expired");
        assert!(!other.accepts(&n, 1000), "another key");
        assert!(!a.accepts(&a.issue(2000), 1000), "issued in the future");
        let mut tampered = URL_SAFE_NO_PAD.decode(&n).unwrap();
        tampered[7] ^= 1;
        assert!(!a.accepts(&URL_SAFE_NO_PAD.encode(&tampered), 1000));
        assert!(!a.accepts("", 1000) && !a.accepts("!!", 1000));
    }

    #[test]
    fn symmetric_proof_algorithms_are_refused_in_config() {
        let c = DpopConfig {
            algorithms: vec!["HS256".into()],
            ..DpopConfig::default()
        };
        let e = DpopRules::new(&c, false).err().unwrap().to_string();
        assert!(e.contains("symmetric"), "{e}");
        let short = DpopConfig {
            nonce: true,
            nonce_secret: Some("short".into()),
            ..DpopConfig::default()
        };
        assert!(DpopRules::new(&short, false).is_err());
    }

    #[test]
    fn request_url_uses_forwarded_headers_only_when_trusted() {
        let (parts, ()) = http::Request::get("/orders/1?x=2")
            .header("host", "gw.internal:8080")
            .header("x-forwarded-proto", "https")
            .header("x-forwarded-host", "api.example.com")
            .body(())
            .unwrap()
            .into_parts();
        assert_eq!(
            request_url(&parts, None, false).as_deref(),
            Some("http://gw.internal:8080/orders/1")
        );
        assert_eq!(
            request_url(&parts, None, true).as_deref(),
            Some("https://api.example.com/orders/1")
        );
        assert_eq!(
            request_url(&parts, Some("https://api.example.com"), false).as_deref(),
            Some("https://api.example.com/orders/1")
        );
    }
}
