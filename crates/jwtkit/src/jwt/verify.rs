//! The verification pipeline, written once: structure → header → key → signature → claims
//! ([the order of checks](crate::Check#validation-order)). Every front end (the CLI's `verify`, the debugger,
//! the gateway, `gateway explain`) makes one call here and renders the [`Outcome`].

use super::ClaimValue;
use super::claims::{self, Claims};
use super::validation::Expected;
use super::{Validation, Verified};
use crate::JwkSet;
use crate::check::Check;
use crate::error::{Error, Result, err};
use crate::jwa::JwsAlg;
use crate::jws::signed::{self, Signed};
use crate::jws::{Header, Input, KeySource, Keys};
use crate::key::Key;
use std::pin::pin;

/// The result of [`verify_with`], stage by stage: what each stage found, up to the first
/// failure ([`Outcome::error`], whose [`Error::check`] names the step). A later field is set
/// only when every earlier stage passed.
#[derive(Debug)]
pub struct Outcome<'k> {
    /// The JWS Protected Header, once the structure parsed (for a JSON serialization, the
    /// header of the signature that verified).
    pub header: Option<Header>,
    /// The algorithm that verified.
    pub alg: Option<JwsAlg>,
    pub(crate) keys: Option<Keys<'k>>,
    pub(crate) key_index: Option<usize>,
    /// The JWS Payload, when the signature verified and the claims were not parsed
    /// ([`Input::signature_only`]).
    pub payload: Option<Vec<u8>>,
    /// The JWT Claims Set, when it parsed after the signature verified (also when a claim
    /// check then failed).
    pub claims: Option<Claims>,
    /// For an SD-JWT ([`super::ValidationBuilder::sd_jwt`]): the Disclosures and where they
    /// went in [`Outcome::claims`], once they matched their digests, and the Key Binding JWT
    /// once it verified.
    pub sd_jwt: Option<crate::sd_jwt::Disclosed>,
    /// For a DPoP proof ([`super::ValidationBuilder::dpop_proof`]): the proof, once every check
    /// of RFC 9449 §4.3 passed (its `jkt` for [`crate::dpop::VerifiedProof::check_binding`], its `jti` for the
    /// replay store).
    pub dpop: Option<crate::dpop::VerifiedProof>,
    /// The first failure; None when the token is valid.
    pub error: Option<Error>,
}

impl<'k> Outcome<'k> {
    pub(crate) fn failed(error: Error) -> Outcome<'k> {
        Outcome {
            header: None,
            alg: None,
            keys: None,
            key_index: None,
            payload: None,
            claims: None,
            sd_jwt: None,
            dpop: None,
            error: Some(error),
        }
    }

    /// True when every stage passed.
    pub fn is_valid(&self) -> bool {
        self.error.is_none()
    }

    /// True when the signature verified (whatever the claims).
    pub fn signature_verified(&self) -> bool {
        self.key_index.is_some()
    }

    /// The step that failed, if any.
    pub fn failed_at(&self) -> Option<Check> {
        self.error.as_ref().map(Error::check)
    }

    /// The key that verified the signature.
    pub fn key(&self) -> Option<&Key> {
        self.keys.as_deref()?.keys().get(self.key_index?)
    }

    /// The index of [`Outcome::key`] in the key set the source gave.
    pub fn key_index(&self) -> Option<usize> {
        self.key_index
    }

    /// The key set the source gave for this token (after the header checks passed).
    pub fn keys(&self) -> Option<&JwkSet> {
        self.keys.as_deref()
    }

    /// The verified JWS, for an [`Input::signature_only`] input: its header, payload octets
    /// (the detached content for [`Input::detached`]), algorithm and key index; the payload is
    /// not parsed. Steps 1–8 of [the order of checks](crate::Check#validation-order).
    ///
    /// # Errors
    /// [`Outcome::error`]: every parse error of the structure step; `unsupported_crit`;
    /// `alg_none`; `unsupported_alg`; `alg_not_allowed`; `key_not_found`; `key_mismatch`;
    /// `bad_signature`; for a JSON serialization, when no signature could be checked the error
    /// of the first one, and `bad_signature` when none verified; for detached content,
    /// `malformed` when the token carries a payload too.
    ///
    /// ```
    /// use jwtkit::{JwkSet, JwsAlg, Key, Validation, jws, jwt};
    /// let key = Key::hmac(b"0123456789abcdef0123456789abcdef".to_vec());
    /// let token = jws::Signer::new(&key, JwsAlg::HS256)?.build()?.sign_detached(b"invoice #42")?;
    /// let (keys, opts) = (JwkSet::from_keys(vec![key]), jws::JwsOptions::new(JwsAlg::HS256));
    /// let input = jws::Input::new(&token).signature_only().detached(b"invoice #42");
    /// let v = jwt::verify_local(input, &keys, &Validation::from(opts)).into_jws()?;
    /// assert_eq!(v.payload, b"invoice #42");
    /// # Ok::<(), jwtkit::Error>(())
    /// ```
    pub fn into_jws(self) -> Result<crate::jws::VerifiedJws> {
        if let Some(e) = self.error {
            return Err(e);
        }
        match (self.header, self.payload, self.alg, self.key_index) {
            (Some(header), Some(payload), Some(alg), Some(key_index)) => Ok(crate::jws::VerifiedJws {
                header,
                payload,
                alg,
                key_index,
            }),
            _ => Err(err!(
                InvalidConfig,
                "the token was verified with its claims: use Input::signature_only for the payload"
            )),
        }
    }

    /// The verified JWT.
    ///
    /// # Errors
    /// [`Outcome::error`].
    pub fn into_result(self) -> Result<Verified> {
        if let Some(e) = self.error {
            return Err(e);
        }
        verified(self.header, self.claims, self.alg, self.key_index).ok_or_else(|| {
            err!(
                InvalidConfig,
                "the token was verified without its claims (signature_only)"
            )
        })
    }
}

/// Verify a JWS JWT and validate its claims (RFC 7519 §7.2) with keys from any
/// [`KeySource`], in the one order of [the order of checks](crate::Check#validation-order): size → segments →
/// base64url → strict JSON header → header parameters and `crit` → `alg` allowlist → keys
/// (asked of the source only now) → signature → claims set → claim checks → the source's
/// issuer. The payload is not parsed before the signature verifies.
///
/// What the [`Validation`] expects adds stages: an SD-JWT ([`super::ValidationBuilder::sd_jwt`])
/// has its Disclosures checked against their digests after the signature and before the claim
/// checks (which read the disclosed claims), then its Key Binding JWT; a DPoP proof
/// ([`super::ValidationBuilder::dpop_proof`]) is verified with its own `jwk` header against the
/// request (RFC 9449 §4.3) instead of keys from `source` and claim checks.
///
/// Never fails as a whole: the [`Outcome`] says what each stage found and where it stopped
/// ([`Outcome::into_result`] for a plain `Result`). For a local [`JwkSet`] the future is
/// ready at once; [`verify_local`] runs it without an async runtime.
///
/// ```
/// use jwtkit::{JwkSet, JwsAlg, Key, Validation, Check};
/// let key = Key::hmac(b"0123456789abcdef0123456789abcdef".to_vec());
/// let token = jwtkit::jws::Signer::new(&key, JwsAlg::HS256)?.build()?
///     .sign(br#"{"sub":"42","exp":1}"#)?;
/// let keys = JwkSet::from_keys(vec![key]);
/// let v = Validation::builder(JwsAlg::HS256).build()?;
/// let outcome = jwtkit::jwt::verify_local(&token, &keys, &v);
/// assert!(outcome.signature_verified());
/// assert_eq!(outcome.failed_at(), Some(Check::Exp));
/// # Ok::<(), jwtkit::Error>(())
/// ```
pub async fn verify_with<'t, 'k, S: KeySource + ?Sized>(
    input: impl Into<Input<'t>>,
    source: &'k S,
    validation: &Validation,
) -> Outcome<'k> {
    let input = input.into();
    match &validation.expected {
        Expected::Jwt => {}
        Expected::SdJwt(kb) => {
            return crate::sd_jwt::verify_stages(input.token(), source, validation, kb).await;
        }
        Expected::DpopProof(check) => return crate::dpop::verify_stage(input.token(), check, validation),
    }
    Outcome::from(jwt_stages(input, source, validation).await)
}

/// The stages of a JWT (RFC 7519 §7.2) for [`verify_with`]: steps 1–8 (structure, header,
/// keys, signature), then the claims set and the claim checks, then the source's issuer. What
/// they found is kept in the [`Signed`] (its `error` the first failure, its `payload` taken
/// once the claims parsed) and the claims; [`Outcome::from`] or [`Verified`] is made of it by
/// the caller, so the hot path of [`super::verify`] never builds (and moves) a whole
/// [`Outcome`].
pub(crate) async fn jwt_stages<'k, S: KeySource + ?Sized>(
    input: Input<'_>,
    source: &'k S,
    validation: &Validation,
) -> (Signed<'k>, Option<Claims>) {
    let signed = signed::signature(&input, source, validation.jws_options()).await;
    claims_stages(signed, input, source.issuer(), validation, |_, _, _| false)
}

/// The stages after the signature: the claims set (parsed, and also read into the caller's
/// type by `read`, [`claims::parse_checked_as`]), the claim checks, then the key source's
/// `issuer`. Nothing runs after a failed signature stage or for a plain JWS
/// ([`Input::signature_only`]).
fn claims_stages<'k>(
    mut signed: Signed<'k>,
    input: Input<'_>,
    issuer: Option<&str>,
    validation: &Validation,
    read: impl for<'a> FnOnce(&'a str, usize, &mut [Option<crate::json::Kept<'a>>; 6]) -> bool,
) -> (Signed<'k>, Option<Claims>) {
    if signed.error.is_some() || !input.claims {
        return (signed, None);
    }
    let (Some(header), Some(payload)) = (&signed.header, signed.payload.take()) else {
        return (signed, None);
    };
    let (claims, result) = claims::parse_checked_as(
        payload,
        &validation.jws_options().limits,
        read,
        |e| crate::jws::segment_error(e, 1).at(Check::ClaimsSet),
        |registered, claims| {
            validation.check(header, registered, claims)?;
            issuer.map_or(Ok(()), |iss| check_source_issuer(iss, claims))
        },
    );
    signed.error = result.err();
    (signed, claims)
}

/// [`verify_local`] as a `Result`, for [`super::verify`]: a plain JWT skips the [`Outcome`].
pub(crate) fn verify_local_result(token: &str, keys: &JwkSet, validation: &Validation) -> Result<Verified> {
    if !matches!(validation.expected, Expected::Jwt) {
        return verify_local(token, keys, validation).into_result();
    }
    verified_with(token, keys, validation, |_, _, _| false)
}

/// [`verify_local_result`] with the claims read into `T`, for [`super::verify_as`]: in the
/// claims set's checking pass when `T` fits (one pass over the claims), else by
/// [`Claims::deserialize`] after validation (whose error says why `T` does not fit).
pub(crate) fn verify_local_as<T: serde::de::DeserializeOwned>(
    token: &str,
    keys: &JwkSet,
    validation: &Validation,
) -> Result<Verified<T>> {
    // Read into this slot, not returned through the stages: a caller's struct is often
    // larger than everything else the stages move.
    let mut value: Option<T> = None;
    let verified = if matches!(validation.expected, Expected::Jwt) {
        verified_with(token, keys, validation, |text, depth, kept| {
            value = claims::read_as(text, depth, kept);
            value.is_some()
        })?
    } else {
        verify_local(token, keys, validation).into_result()?
    };
    Ok(Verified {
        claims: match value {
            Some(value) => value,
            None => verified.claims.deserialize()?,
        },
        header: verified.header,
        alg: verified.alg,
        key_index: verified.key_index,
    })
}

/// The stages of a plain JWT with a local set, without a future ([`signed::signature_local`],
/// then [`claims_stages`], whose claims-set pass runs `read`), as one result.
fn verified_with(
    token: &str,
    keys: &JwkSet,
    validation: &Validation,
    read: impl for<'a> FnOnce(&'a str, usize, &mut [Option<crate::json::Kept<'a>>; 6]) -> bool,
) -> Result<Verified> {
    let input = Input::new(token);
    let signed = signed::signature_local(&input, keys, validation.jws_options());
    let (signed, claims) = claims_stages(signed, input, keys.issuer(), validation, read);
    if let Some(e) = signed.error {
        return Err(e);
    }
    verified(signed.header, claims, signed.alg, signed.key_index)
        .ok_or_else(|| err!(InvalidConfig, "the verification stages ended without a result"))
}

/// The [`Verified`] of stages that all passed: None when one of its parts is missing.
fn verified(
    header: Option<Header>,
    claims: Option<Claims>,
    alg: Option<JwsAlg>,
    key_index: Option<usize>,
) -> Option<Verified> {
    Some(Verified {
        header: header?,
        claims: claims?,
        alg: alg?,
        key_index: key_index?,
    })
}

/// [`verify_with`] for a local [`JwkSet`], without an async runtime.
pub fn verify_local<'t, 'k>(
    input: impl Into<Input<'t>>,
    keys: &'k JwkSet,
    validation: &Validation,
) -> Outcome<'k> {
    signed::ready(pin!(verify_with(input, keys, validation)))
        .unwrap_or_else(|| Outcome::failed(signed::waited()))
}

impl<'k> From<(Signed<'k>, Option<Claims>)> for Outcome<'k> {
    fn from((s, claims): (Signed<'k>, Option<Claims>)) -> Outcome<'k> {
        Outcome {
            header: s.header,
            alg: s.alg,
            keys: s.keys,
            key_index: s.key_index,
            payload: s.payload,
            claims,
            sd_jwt: None,
            dpop: None,
            error: s.error,
        }
    }
}

impl<'k> From<Signed<'k>> for Outcome<'k> {
    fn from(s: Signed<'k>) -> Outcome<'k> {
        Outcome::from((s, None))
    }
}

/// The token's `iss` must be the issuer whose discovery document gave the keys.
pub(crate) fn check_source_issuer(issuer: &str, claims: &Claims) -> Result<()> {
    match claims.iss() {
        ClaimValue::Present(iss) if iss == issuer => Ok(()),
        ClaimValue::Present(iss) => Err(err!(
            BadIssuer,
            "iss {} is not the issuer whose keys verified the token ({}); issuers are compared exactly",
            crate::text::quote(iss),
            crate::text::quote(issuer)
        )
        .with_detail(crate::Detail::Mismatch {
            claim: "iss".into(),
            expected: vec![issuer.to_string()],
            found: Some(iss.to_string()),
        })),
        ClaimValue::Absent => Err(err!(
            MissingClaim,
            "claim iss is required: keys come from issuer {}",
            crate::text::quote(issuer)
        )
        .at(Check::Iss)),
        ClaimValue::Invalid(found) => {
            Err(err!(Malformed, "claim iss must be a string, found {found}").at(Check::ClaimTypes))
        }
    }
}
