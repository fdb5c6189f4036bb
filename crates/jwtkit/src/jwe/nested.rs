//! Encrypted and nested JWTs, RFC 7519 §5.2, §7.2 steps 8–9 and Appendix A.2: decrypt the
//! JWE, then verify the JWT inside it, with three separate allowlists (key management and
//! content encryption in [`DecryptOptions`], signature algorithms in [`Validation`]).

use super::{DecryptOptions, Decrypted};
use crate::JwkSet;
use crate::error::{Error, Result, err};
use crate::jwt::{Claims, Validation, Verified};

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
/// A [`NestedError`]: any error of [`DecryptOptions::decrypt`](super::DecryptOptions::decrypt) (without `jwe`); then, with the
/// decrypted JWE in `jwe`: for a nested JWT, any error of [`crate::verify`];
/// for a claims set, `bad_signature` when unsigned claims are not allowed, then `bad_json`
/// / `duplicate_member` / claim kinds of [`Validation::validate`].
///
/// ```
/// use jwtkit::{JwkSet, JwsAlg, Key, Validation};
/// use jwtkit::jwe::{self, DecryptOptions, EncAlg, Encrypter, KeyMgmtAlg};
/// let signing = Key::hmac(b"0123456789abcdef0123456789abcdef".to_vec());
/// let inner = jwtkit::jws::Signer::new(&signing, JwsAlg::HS256)?.build()?.sign(br#"{"sub":"42"}"#)?;
/// let enc_key = Key::hmac(vec![9u8; 32]);
/// let token = Encrypter::new(&enc_key, KeyMgmtAlg::A256KW, EncAlg::A256GCM)?.cty("JWT").encrypt(inner.as_bytes())?;
/// let v = jwe::decrypt_then_verify(
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
    if let Some(text) = nested_jwt(jwe, decrypt)? {
        let inner =
            crate::jwt::verify(text, verification_keys, validation).map_err(|e| e.context("nested JWT: "))?;
        let claims = inner.claims.clone();
        return Ok((Some(inner), claims));
    }
    let claims = Claims::parse(&jwe.plaintext, &decrypt.limits)?;
    let header = crate::jws::Header::from_object(jwe.header.as_object().clone())?;
    validation.validate(&header, &claims)?;
    Ok((None, claims))
}

impl Decrypted {
    /// The nested JWT inside a JWE that decrypted (RFC 7519 §5.2, §7.2 step 8), for callers that
    /// verify it themselves (e.g. with keys fetched through `jwtkit_remote::KeyCache`).
    ///
    /// The plaintext is a nested JWT when the JWE's `cty` is `JWT`, when it is not a JSON object,
    /// or when it is a JWS JSON serialization: its text is returned, still **unverified**. A
    /// plaintext that is a JSON claims set is unsigned: `Ok(None)` when
    /// [`DecryptOptions::allow_unsigned_claims`] is set, otherwise an error.
    ///
    /// # Errors
    /// `bad_signature` for an unsigned claims set without `allow_unsigned_claims`; `malformed`
    /// when a nested JWT is not UTF-8.
    ///
    /// ```
    /// use jwtkit::{JwkSet, Key};
    /// use jwtkit::jwe::{self, DecryptOptions, EncAlg, Encrypter, KeyMgmtAlg};
    /// let key = Key::hmac(vec![9u8; 32]);
    /// let token = Encrypter::new(&key, KeyMgmtAlg::A256KW, EncAlg::A256GCM)?.cty("JWT").encrypt(b"a.b.c")?;
    /// let opts = DecryptOptions::new(KeyMgmtAlg::A256KW, EncAlg::A256GCM);
    /// let d = opts.decrypt(&token, &JwkSet::from_keys(vec![key]))?;
    /// assert_eq!(d.nested_jwt(&opts)?, Some("a.b.c"));
    /// # Ok::<(), jwtkit::Error>(())
    /// ```
    pub fn nested_jwt(&self, opts: &DecryptOptions) -> Result<Option<&str>> {
        nested_jwt(self, opts)
    }
}

/// [`Decrypted::nested_jwt`].
pub(crate) fn nested_jwt<'a>(decrypted: &'a Decrypted, opts: &DecryptOptions) -> Result<Option<&'a str>> {
    let plaintext = &decrypted.plaintext;
    let nested = decrypted.header.is_nested_jwt()
        || plaintext.first() != Some(&b'{')
        || looks_like_json_jws(plaintext, &opts.limits);
    if nested {
        return std::str::from_utf8(plaintext)
            .map(Some)
            .map_err(|_| err!(Malformed, "the decrypted nested JWT is not UTF-8 text"));
    }
    if !opts.allow_unsigned_claims {
        return Err(err!(
            BadSignature,
            "the JWE holds a claims set without a signature (no nested JWT); anyone who can encrypt to this key could have made it; allow unsigned claims explicitly to accept it"
        ));
    }
    Ok(None)
}

/// A JSON object with `payload` and `signature`/`signatures`: a JWS JSON serialization, which
/// must verify as such rather than pass for an unsigned claims set.
fn looks_like_json_jws(plaintext: &[u8], limits: &crate::Limits) -> bool {
    crate::json::parse_object(plaintext, limits).is_ok_and(|o| {
        o.contains_key("payload") && (o.contains_key("signature") || o.contains_key("signatures"))
    })
}
