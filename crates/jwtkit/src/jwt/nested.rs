//! Nested JWTs, RFC 7519 §2 "Nested JWT", §5.2, §7.2 steps 8–9 and Appendix A.2: decrypt the
//! JWE, then verify the JWT inside it, with three separate allowlists (key management and
//! content encryption in [`DecryptOptions`], signature algorithms in [`Validation`]).

use super::{Claims, Validation, Verified};
use crate::JwkSet;
use crate::error::{Error, Result};
use crate::jwe::{DecryptOptions, Decrypted};

/// A JWT that decrypted and whose nested JWS verified (or, when the caller allowed it, an
/// encrypted claims set without signature), with claims validated.
#[derive(Debug)]
pub struct NestedVerified {
    /// The outer JWE: header, algorithms, key used. `plaintext` holds the inner JWT text or
    /// the claims set.
    pub jwe: Decrypted,
    /// The inner JWS, when the plaintext was a signed JWT.
    pub inner: Option<Verified>,
    /// The validated claims.
    pub claims: Claims,
}

/// A [`decrypt_then_verify`] that failed: the first error, and the outer JWE when it decrypted
/// (the nested JWT or the claims failed after it) — what a report shows next to the error
/// without decrypting a second time. Derefs to the [`Error`]; `?` converts it into one.
#[derive(Debug)]
pub struct NestedError {
    /// The first failure, in the order of RFC 7519 §7.2 (decryption, then the nested JWT).
    pub error: Error,
    /// The outer JWE, when decryption succeeded.
    pub jwe: Option<Box<Decrypted>>,
}

impl std::ops::Deref for NestedError {
    type Target = Error;
    fn deref(&self) -> &Error {
        &self.error
    }
}

impl From<NestedError> for Error {
    fn from(e: NestedError) -> Error {
        e.error
    }
}

impl From<Error> for NestedError {
    fn from(error: Error) -> NestedError {
        NestedError { error, jwe: None }
    }
}

impl std::fmt::Display for NestedError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.error.fmt(f)
    }
}

impl std::error::Error for NestedError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.error)
    }
}

/// Decrypt `token` with `decryption_keys`, then verify the nested JWT with
/// `verification_keys` and validate its claims.
///
/// The plaintext is a nested JWT when the JWE's `cty` is `JWT` (RFC 7519 §5.2), when it is
/// not a JSON object (senders often omit `cty`), or when it is a JWS JSON serialization; it must then verify under `validation`, whose
/// algorithm allowlist is the signature allowlist. A plaintext that is a JSON object is an
/// encrypted, **unsigned** claims set: accepted only with
/// [`DecryptOptions::allow_unsigned_claims`], since anyone who can encrypt to the recipient
/// could have made it.
///
/// # Errors
/// A [`NestedError`]: any error of [`DecryptOptions::decrypt`] (without `jwe`); then, with the
/// decrypted JWE in `jwe`: for a nested JWT, any error of [`crate::verify`];
/// for a claims set, `bad_signature` when unsigned claims are not allowed, then `bad_json`
/// / `duplicate_member` / claim kinds of [`Validation::validate`].
///
/// ```
/// use jwtkit::{JwkSet, JwsAlg, Key, Validation};
/// use jwtkit::jwe::{DecryptOptions, EncAlg, Encrypter, KeyMgmtAlg};
/// let signing = Key::hmac(b"0123456789abcdef0123456789abcdef".to_vec());
/// let inner = jwtkit::jws::Signer::new(&signing, JwsAlg::HS256)?.build()?.sign(br#"{"sub":"42"}"#)?;
/// let enc_key = Key::hmac(vec![9u8; 32]);
/// let token = Encrypter::new(&enc_key, KeyMgmtAlg::A256KW, EncAlg::A256GCM)?.cty("JWT").encrypt(inner.as_bytes())?;
/// let v = jwtkit::jwt::decrypt_then_verify(
///     &token,
///     &JwkSet::from_keys(vec![enc_key]),
///     &DecryptOptions::new(KeyMgmtAlg::A256KW, EncAlg::A256GCM),
///     &JwkSet::from_keys(vec![signing]),
///     &Validation::builder(JwsAlg::HS256).build()?,
/// )?;
/// assert_eq!(v.claims.get("sub").and_then(|s| s.as_str()), Some("42"));
/// # Ok::<(), jwtkit::Error>(())
/// ```
pub fn decrypt_then_verify(
    token: &str,
    decryption_keys: &JwkSet,
    decrypt: &DecryptOptions,
    verification_keys: &JwkSet,
    validation: &Validation,
) -> std::result::Result<NestedVerified, NestedError> {
    let jwe = decrypt.decrypt(token, decryption_keys)?;
    match verify_plaintext(&jwe, decrypt, verification_keys, validation) {
        Ok((inner, claims)) => Ok(NestedVerified { jwe, inner, claims }),
        Err(error) => Err(NestedError {
            error,
            jwe: Some(Box::new(jwe)),
        }),
    }
}

/// RFC 7519 §7.2 steps 8–9 on a decrypted JWE: the nested JWT verified, or the unsigned claims
/// set (when allowed) validated.
fn verify_plaintext(
    jwe: &Decrypted,
    decrypt: &DecryptOptions,
    verification_keys: &JwkSet,
    validation: &Validation,
) -> Result<(Option<Verified>, Claims)> {
    if let Some(text) = jwe.nested_jwt(decrypt)? {
        let inner =
            super::verify(text, verification_keys, validation).map_err(|e| e.context("nested JWT: "))?;
        let claims = inner.claims.clone();
        return Ok((Some(inner), claims));
    }
    let claims = Claims::parse(&jwe.plaintext, &decrypt.limits)?;
    let header = crate::jws::Header::from_object(jwe.header.as_object().clone())?;
    validation.validate(&header, &claims)?;
    Ok((None, claims))
}
