//! JSON Web Token, [RFC 7519]: claims, validation, and the verify-then-validate entry point.
//!
//! [RFC 7519]: https://www.rfc-editor.org/rfc/rfc7519

pub(crate) mod claims;
mod issuer_template;
mod nested;
pub(crate) mod time;
pub(crate) mod token_type;
mod validation;
pub(crate) mod verify;

pub use crate::jws::{Input, KeySource, Keys};
pub use claims::{ClaimValue, Claims};
pub use issuer_template::IssuerTemplate;
pub use nested::{NestedError, NestedVerified, decrypt_then_verify};
pub use time::NumericDate;
pub use token_type::{Classification, TokenKind};
pub use validation::{Validation, ValidationBuilder};
pub use verify::{Outcome, verify_local, verify_with};

use crate::JwkSet;
use crate::error::Result;
use crate::jwa::JwsAlg;
use crate::jws::Header;

/// A JWT whose signature verified and whose claims passed validation.
///
/// `C` is how the JWT Claims Set is held: [`Claims`] (what [`verify`] returns: the checked
/// JSON text, read with accessors or [`Verified::claims_as`]), or the caller's type
/// ([`verify_as`]).
#[derive(Debug)]
pub struct Verified<C = Claims> {
    /// The JWS Protected Header.
    pub header: Header,
    /// The JWT Claims Set.
    pub claims: C,
    /// The algorithm that verified.
    pub alg: JwsAlg,
    /// Index in the key set of the key that verified.
    pub key_index: usize,
}

impl Verified {
    /// The verified claims deserialized into the caller's type. Deserializes straight from the
    /// strictly checked JSON text of the JWT Claims Set (RFC 7519 §7.2 step 10) — no
    /// intermediate `Value` map is built — so reading a typed struct after [`verify`] (or
    /// [`verify_with`]) costs one more `serde_json` pass over the claims. To verify and read
    /// a struct in one pass, use [`verify_as`].
    ///
    /// ```
    /// use jwtkit::{JwkSet, JwsAlg, Key, Validation};
    /// #[derive(serde::Deserialize)]
    /// struct Access { sub: String, exp: u64, scope: Option<String> }
    /// let key = Key::hmac(b"0123456789abcdef0123456789abcdef".to_vec());
    /// let token = jwtkit::jws::Signer::new(&key, JwsAlg::HS256)?.build()?
    ///     .sign(br#"{"sub":"42","exp":4102444800,"scope":"orders:read"}"#)?;
    /// let keys = JwkSet::from_keys(vec![key]);
    /// let v = jwtkit::verify(&token, &keys, &Validation::builder(JwsAlg::HS256).build()?)?;
    /// let access: Access = v.claims_as()?;
    /// assert_eq!((access.sub.as_str(), access.exp), ("42", 4102444800));
    /// assert_eq!(access.scope.as_deref(), Some("orders:read"));
    /// # Ok::<(), jwtkit::Error>(())
    /// ```
    ///
    /// # Errors
    /// `bad_json` (check `claims_set`) when the claims do not fit `T` ([`Claims::deserialize`]).
    pub fn claims_as<T: serde::de::DeserializeOwned>(&self) -> Result<T> {
        self.claims.deserialize()
    }
}

/// Verify a JWS JWT (compact, or a JSON serialization of which one signature must verify) and
/// validate its claims (RFC 7519 §7.2), with a local key set: [`verify_local`] as a `Result`.
/// For detached content, another key source, or the stages of a failure, use
/// [`verify_with`] / [`verify_local`] and their [`Outcome`].
///
/// The whole order is in [the order of checks](crate::Check#validation-order): structure and header first, then
/// the algorithm allowlist, key selection, the signature, and only then the claims (the payload
/// is not parsed before the signature verifies).
///
/// # Errors
/// Any kind of [`Outcome::into_jws`], then `bad_json` / `duplicate_member` /
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
    verify::verify_local_result(token, keys, validation)
}

/// [`verify`], with the JWT Claims Set read into the caller's type `T` in the same pass that
/// checks it strictly (RFC 7519 §7.2 step 10): the way for Rust code to verify a token and
/// read its claims into a struct (one pass over the claims instead of the two of [`verify`]
/// then [`Verified::claims_as`]). Checks, their order and errors are those of [`verify`];
/// `T` is read only from claims that passed them.
///
/// `T` is any `serde::de::DeserializeOwned`; unknown members are ignored unless `T` says
/// `deny_unknown_fields`, and every member, read or not, is checked as strictly as by
/// [`verify`] (duplicates at any depth, the depth limit).
///
/// ```
/// use jwtkit::{JwkSet, JwsAlg, Key, Validation};
/// #[derive(serde::Deserialize)]
/// struct Access { sub: String, exp: u64, scope: Option<String> }
/// let key = Key::hmac(b"0123456789abcdef0123456789abcdef".to_vec());
/// let token = jwtkit::jws::Signer::new(&key, JwsAlg::HS256)?.build()?
///     .sign(br#"{"sub":"42","exp":4102444800,"scope":"orders:read"}"#)?;
/// let keys = JwkSet::from_keys(vec![key]);
/// let v = jwtkit::verify_as::<Access>(&token, &keys, &Validation::builder(JwsAlg::HS256).build()?)?;
/// assert_eq!((v.claims.sub.as_str(), v.claims.exp), ("42", 4102444800));
/// assert_eq!(v.alg, JwsAlg::HS256);
/// # Ok::<(), jwtkit::Error>(())
/// ```
///
/// # Errors
/// Those of [`verify`], then `bad_json` (check `claims_set`) when the claims do not fit `T`
/// ([`Claims::deserialize`]).
pub fn verify_as<T: serde::de::DeserializeOwned>(
    token: &str,
    keys: &JwkSet,
    validation: &Validation,
) -> Result<Verified<T>> {
    verify::verify_local_as(token, keys, validation)
}
