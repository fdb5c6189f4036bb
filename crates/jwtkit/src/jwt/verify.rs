//! The verification pipeline, written once: structure → header → key → signature → claims
//! ([`crate::manual::validation_order`]). Every front end (the CLI's `verify`, the debugger,
//! the gateway, `gateway explain`) makes one call here and renders the [`Outcome`].

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use super::ClaimValue;
use super::claims::{self, Claims};
use super::source::{KeySource, Keys};
use super::{Validation, Verified};
use crate::JwkSet;
use crate::check::Check;
use crate::error::{Error, Result, err};
use crate::jwa::JwsAlg;
use crate::jws::{CompactJws, Header, JwsJson, JwsOptions, VerifiedJws};
use crate::key::Key;

/// What to verify: the token text, and how ([`Input::detached`], [`Input::signature_only`],
/// [`Input::compact_only`]). A `&str` is the usual input: a JWT in either serialization.
#[derive(Clone, Copy, Debug)]
pub struct Input<'t> {
    token: &'t str,
    detached: Option<&'t [u8]>,
    claims: bool,
    json: bool,
}

impl<'t> Input<'t> {
    /// A JWS JWT, compact or JSON serialization (text starting with `{`, RFC 7515 §7.2: one
    /// signature must verify).
    pub fn new(token: &'t str) -> Input<'t> {
        Input {
            token,
            detached: None,
            claims: true,
            json: true,
        }
    }

    /// The token's payload is **detached content** (RFC 7515 Appendix F): the token has an
    /// empty payload and `content` is the JWS Payload octets (not base64url). The content
    /// counts toward `Limits::max_token_bytes`; a token that carries a payload is
    /// `malformed`.
    pub fn detached(self, content: &'t [u8]) -> Input<'t> {
        Input {
            detached: Some(content),
            ..self
        }
    }

    /// Stop after the signature (steps 1–8): the payload is returned as octets, not parsed
    /// as a claims set.
    pub fn signature_only(self) -> Input<'t> {
        Input {
            claims: false,
            ..self
        }
    }

    /// Accept the compact serialization only (RFC 7519 §7.1): for front ends whose wire
    /// format is compact (an HTTP `Authorization: Bearer` token, RFC 6750).
    pub fn compact_only(self) -> Input<'t> {
        Input { json: false, ..self }
    }

    /// The token text.
    pub fn token(&self) -> &'t str {
        self.token
    }
}

impl<'t> From<&'t str> for Input<'t> {
    fn from(token: &'t str) -> Input<'t> {
        Input::new(token)
    }
}

impl<'t> From<&'t String> for Input<'t> {
    fn from(token: &'t String) -> Input<'t> {
        Input::new(token)
    }
}

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
    keys: Option<Keys<'k>>,
    key_index: Option<usize>,
    /// The JWS Payload, when the signature verified and the claims were not parsed
    /// ([`Input::signature_only`]).
    pub payload: Option<Vec<u8>>,
    /// The JWT Claims Set, when it parsed after the signature verified (also when a claim
    /// check then failed).
    pub claims: Option<Claims>,
    /// The first failure; None when the token is valid.
    pub error: Option<Error>,
}

impl<'k> Outcome<'k> {
    fn failed(error: Error) -> Outcome<'k> {
        Outcome {
            header: None,
            alg: None,
            keys: None,
            key_index: None,
            payload: None,
            claims: None,
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

    /// The verified JWT.
    ///
    /// # Errors
    /// [`Outcome::error`].
    pub fn into_result(self) -> Result<Verified> {
        if let Some(e) = self.error {
            return Err(e);
        }
        match (self.header, self.claims, self.alg, self.key_index) {
            (Some(header), Some(claims), Some(alg), Some(key_index)) => Ok(Verified {
                header,
                claims,
                alg,
                key_index,
            }),
            _ => Err(err!(
                InvalidConfig,
                "the token was verified without its claims (signature_only)"
            )),
        }
    }

    /// The verified JWS, for [`Input::signature_only`].
    ///
    /// # Errors
    /// [`Outcome::error`].
    pub fn into_jws(self) -> Result<VerifiedJws> {
        if let Some(e) = self.error {
            return Err(e);
        }
        match (self.header, self.payload, self.alg, self.key_index) {
            (Some(header), Some(payload), Some(alg), Some(key_index)) => Ok(VerifiedJws {
                header,
                payload,
                alg,
                key_index,
            }),
            _ => Err(err!(InvalidConfig, "the claims were parsed: use into_result")),
        }
    }
}

/// Verify a JWS JWT and validate its claims (RFC 7519 §7.2) with keys from any
/// [`KeySource`], in the one order of [`crate::manual::validation_order`]: size → segments →
/// base64url → strict JSON header → header parameters and `crit` → `alg` allowlist → keys
/// (asked of the source only now) → signature → claims set → claim checks → the source's
/// issuer. The payload is not parsed before the signature verifies.
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
    let opts = validation.jws_options();
    let mut out = signature(&input, source, opts).await;
    if out.error.is_some() || !input.claims {
        return out;
    }
    let (Some(header), Some(payload)) = (&out.header, out.payload.take()) else {
        return out;
    };
    let (claims, result) = claims::parse_checked(
        payload,
        &opts.limits,
        |e| crate::jws::segment_error(e, 1).at(Check::ClaimsSet),
        |registered, claims| {
            validation.check(header, registered, claims)?;
            source
                .issuer()
                .map_or(Ok(()), |iss| check_source_issuer(iss, claims))
        },
    );
    out.claims = claims;
    out.error = result.err();
    out
}

/// [`verify_with`] for a local [`JwkSet`], without an async runtime.
pub fn verify_local<'t, 'k>(
    input: impl Into<Input<'t>>,
    keys: &'k JwkSet,
    validation: &Validation,
) -> Outcome<'k> {
    ready(verify_with(input, keys, validation))
}

/// Steps 1–8 only, with a local set (the JWS entry points of [`crate::jws`]): the payload is
/// returned as octets.
pub(crate) fn signature_local<'k>(input: &Input<'_>, keys: &'k JwkSet, opts: &JwsOptions) -> Outcome<'k> {
    ready(signature(input, keys, opts))
}

/// Run a pipeline future whose key source answers at once (a local [`JwkSet`]).
fn ready<'k>(fut: impl Future<Output = Outcome<'k>>) -> Outcome<'k> {
    let fut = pin!(fut);
    match fut.poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(outcome) => outcome,
        // A local set's keys are ready at once: the pipeline never waits for them.
        Poll::Pending => Outcome::failed(err!(InvalidConfig, "a local key set had to wait for keys")),
    }
}

/// Steps 1–8: structure, header, keys, signature.
async fn signature<'k, S: KeySource + ?Sized>(
    input: &Input<'_>,
    source: &'k S,
    opts: &JwsOptions,
) -> Outcome<'k> {
    if opts.algorithms.is_empty() {
        return Outcome::failed(err!(InvalidConfig, "the algorithm allowlist is empty"));
    }
    if input.json && input.token.trim_start().starts_with('{') {
        return signature_json(input, source, opts)
            .await
            .unwrap_or_else(Outcome::failed);
    }
    let jws = match input.detached {
        Some(content) => CompactJws::parse_detached(input.token, content, &opts.limits),
        None => CompactJws::parse(input.token, &opts.limits),
    };
    match jws {
        Ok(jws) => signature_compact(jws, source, opts).await,
        Err(e) => Outcome::failed(e),
    }
}

/// Steps 5–8 for a parsed compact JWS: header checks, keys from the source, signature.
async fn signature_compact<'k, S: KeySource + ?Sized>(
    jws: CompactJws<'_>,
    source: &'k S,
    opts: &JwsOptions,
) -> Outcome<'k> {
    let checked = match crate::jws::check_header(jws.header(), opts) {
        Ok(alg) => match source.keys_for(jws.header()).await {
            Ok(keys) => Ok((alg, keys)),
            Err(e) => Err(e.at(Check::Key)),
        },
        Err(e) => Err(e),
    };
    let (alg, keys) = match checked {
        Ok(found) => found,
        Err(e) => {
            return Outcome {
                header: Some(jws.into_parts().0),
                ..Outcome::failed(e)
            };
        }
    };
    let result = crate::jws::check_key_signature(&jws, &keys, alg);
    let (header, payload) = jws.into_parts();
    match result {
        Ok(index) => Outcome {
            header: Some(header),
            alg: Some(alg),
            keys: Some(keys),
            key_index: Some(index),
            payload: Some(payload),
            claims: None,
            error: None,
        },
        Err(e) => Outcome {
            header: Some(header),
            keys: Some(keys),
            ..Outcome::failed(signature_error(e))
        },
    }
}

/// Steps 2–8 for a JWS JSON serialization (RFC 7515 §7.2): one signature must verify. The
/// source is asked for keys with the first well-formed signature header.
///
/// # Errors
/// A failure before any key was asked for (structure, every header refused).
async fn signature_json<'k, S: KeySource + ?Sized>(
    input: &Input<'_>,
    source: &'k S,
    opts: &JwsOptions,
) -> Result<Outcome<'k>> {
    let json = JwsJson::parse(input.token, &opts.limits)?;
    let first = json.signatures().iter().find_map(|s| s.header().ok());
    let keys = match &first {
        Some(header) => source.keys_for(header).await.map_err(|e| e.at(Check::Key))?,
        // No header is usable: verifying against no key reports the first header's error.
        None => {
            return Err(json
                .verify(&JwkSet::from_keys(Vec::new()), opts)
                .err()
                .unwrap_or_else(Error::bad_signature));
        }
    };
    let verified = match input.detached {
        Some(content) => json.verify_detached(content, &keys, opts),
        None => json.verify(&keys, opts),
    };
    Ok(match verified {
        Ok(v) => Outcome {
            header: Some(v.jws.header),
            alg: Some(v.jws.alg),
            keys: Some(keys),
            key_index: Some(v.jws.key_index),
            payload: Some(v.jws.payload),
            claims: None,
            error: None,
        },
        Err(e) => Outcome {
            keys: Some(keys),
            ..Outcome::failed(signature_error(e))
        },
    })
}

/// A failure at steps 7–8: `bad_signature` at the signature, anything else (no key fits,
/// an unusable key) at key selection.
fn signature_error(e: Error) -> Error {
    let check = if e.kind() == crate::ErrorKind::BadSignature {
        Check::Signature
    } else {
        Check::Key
    };
    e.at(check)
}

/// The token's `iss` must be the issuer whose discovery document gave the keys.
fn check_source_issuer(issuer: &str, claims: &Claims) -> Result<()> {
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
