//! JSON Web Token, [RFC 7519]: claims, validation, and the verify-then-validate entry point.
//!
//! [RFC 7519]: https://www.rfc-editor.org/rfc/rfc7519

pub(crate) mod claims;
pub mod time;
mod validation;

pub use claims::{Claim, ClaimValue, Claims};
pub use validation::{Validation, ValidationBuilder};

use crate::JwkSet;
use crate::error::Result;
use crate::jwa::JwsAlg;
use crate::jws::{CompactJws, Header};

/// A JWT whose signature verified and whose claims passed validation.
#[derive(Debug)]
pub struct Verified {
    /// The JWS Protected Header.
    pub header: Header,
    /// The JWT Claims Set.
    pub claims: Claims,
    /// The algorithm that verified.
    pub alg: JwsAlg,
    /// Index in the key set of the key that verified.
    pub key_index: usize,
}

/// Verify a JWS JWT (compact, or a JSON serialization of which one signature must verify) and
/// validate its claims (RFC 7519 §7.2).
///
/// The whole order is in [`crate::manual::validation_order`]: structure and header first, then
/// the algorithm allowlist, key selection, the signature, and only then the claims (the payload
/// is not parsed before the signature verifies).
///
/// # Errors
/// Any kind of [`crate::jws::verify_compact`], then `bad_json` / `duplicate_member` /
/// `resource_limit` for the claims set, then the claim kinds of [`Validation::validate`].
///
/// ```
/// use jwtkit::{JwkSet, JwsAlg, Key, Validation};
/// let key = Key::hmac(b"0123456789abcdef0123456789abcdef".to_vec());
/// let token = jwtkit::jws::Signer::new(&key, JwsAlg::HS256)?.build()?
///     .sign(br#"{"sub":"42","exp":4102444800}"#)?;
/// let keys = JwkSet::from_keys(vec![key]);
/// let v = jwtkit::verify(&token, &keys, &Validation::builder(JwsAlg::HS256).build()?)?;
/// assert_eq!(v.claims.get("sub").and_then(|s| s.as_str()), Some("42"));
/// # Ok::<(), jwtkit::Error>(())
/// ```
pub fn verify(token: &str, keys: &JwkSet, validation: &Validation) -> Result<Verified> {
    verify_inner(token, None, keys, validation)
}

/// [`verify`] for a JWT whose Claims Set is **detached content** (RFC 7515 Appendix F): the
/// token has an empty payload (`header..signature`, or a JSON serialization without
/// `"payload"`) and `claims_set` is the JWS Payload octets (the JSON text of the claims, not
/// its base64url form). The signature is checked over it as in [`crate::jws::verify_detached`],
/// then the claims are parsed and validated exactly as in [`verify`].
///
/// # Errors
/// As [`verify`], and the detached-content errors of [`crate::jws::verify_detached`]
/// (`malformed` when the token carries its own payload, `resource_limit`).
///
/// ```
/// use jwtkit::{JwkSet, JwsAlg, Key, Validation};
/// let key = Key::hmac(b"0123456789abcdef0123456789abcdef".to_vec());
/// let claims = br#"{"sub":"42","exp":4102444800}"#;
/// let token = jwtkit::jws::Signer::new(&key, JwsAlg::HS256)?.build()?.sign_detached(claims)?;
/// let keys = JwkSet::from_keys(vec![key]);
/// let v = jwtkit::jwt::verify_detached(&token, claims, &keys, &Validation::builder(JwsAlg::HS256).build()?)?;
/// assert_eq!(v.claims.get("sub").and_then(|s| s.as_str()), Some("42"));
/// # Ok::<(), jwtkit::Error>(())
/// ```
pub fn verify_detached(
    token: &str,
    claims_set: &[u8],
    keys: &JwkSet,
    validation: &Validation,
) -> Result<Verified> {
    verify_inner(token, Some(claims_set), keys, validation)
}

fn verify_inner(
    token: &str,
    detached: Option<&[u8]>,
    keys: &JwkSet,
    validation: &Validation,
) -> Result<Verified> {
    let opts = validation.jws_options();
    if opts.algorithms.is_empty() {
        return Err(crate::error::err!(
            InvalidConfig,
            "the algorithm allowlist is empty"
        ));
    }
    let (header, payload, alg, key_index) = if token.trim_start().starts_with('{') {
        // JSON serialization (RFC 7515 §7.2): one signature must verify.
        let json = crate::jws::JwsJson::parse(token, &opts.limits)?;
        let v = match detached {
            Some(content) => json.verify_detached(content, keys, opts)?,
            None => json.verify(keys, opts)?,
        }
        .jws;
        (v.header, v.payload, v.alg, v.key_index)
    } else {
        let jws = match detached {
            Some(content) => CompactJws::parse_detached(token, content, &opts.limits)?,
            None => CompactJws::parse(token, &opts.limits)?,
        };
        let (alg, key_index) = crate::jws::check_signature(&jws, keys, opts)?;
        let (header, payload) = jws.into_parts();
        (header, payload, alg, key_index)
    };
    let claims = claims::parse_validated(
        payload,
        &opts.limits,
        |e| crate::jws::segment_error(e, 1),
        |registered, claims| validation.check(&header, registered, claims),
    )?;
    Ok(Verified {
        header,
        claims,
        alg,
        key_index,
    })
}

/// Parse a JWS payload as a JWT Claims Set: a strict JSON object (RFC 7519 §7.2 step 10).
///
/// # Errors
/// `bad_json`, `duplicate_member`, `resource_limit`, each naming the payload segment.
pub fn parse_claims(payload: &[u8], limits: &crate::Limits) -> Result<Claims> {
    claims::parse_validated(
        payload.to_vec(),
        limits,
        |e| crate::jws::segment_error(e, 1),
        |_, _| Ok(()),
    )
}
