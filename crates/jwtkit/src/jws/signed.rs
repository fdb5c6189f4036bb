//! Steps 1–8 of [the order of checks](crate::Check#validation-order) (structure → header → key → signature),
//! written once and run by [`crate::jwt::verify_with`] (which adds the claims) and by the
//! Key Binding JWT of an SD-JWT. Keys come from a
//! [`KeySource`], asked only once the header passed its checks.

use std::future::Future;
use std::pin::{Pin, pin};
use std::task::{Context, Poll, Waker};

use super::source::{KeySource, Keys};
use super::{CompactJws, Header, JwsJson, JwsOptions, VerifiedJws};
use crate::JwkSet;
use crate::check::Check;
use crate::error::{Error, Result, err};
use crate::jwa::JwsAlg;

/// What to verify: the token text, and how ([`Input::detached`], [`Input::signature_only`],
/// [`Input::json_serialization`]). A `&str` is the usual input: a JWT in the compact
/// serialization (RFC 7519 §7.2 step 1); a JWS JSON serialization is verified only when the
/// caller asks for it with [`Input::json_serialization`].
#[derive(Clone, Copy, Debug)]
pub struct Input<'t> {
    pub(crate) token: &'t str,
    pub(crate) detached: Option<&'t [u8]>,
    pub(crate) claims: bool,
    pub(crate) json: bool,
}

impl<'t> Input<'t> {
    /// A JWS JWT in the compact serialization (RFC 7519 §7.1, §7.2: a JWT is compact).
    /// Text in the JWS JSON serialization is `malformed` (check `segments`) unless
    /// [`Input::json_serialization`] asks for it.
    pub fn new(token: &'t str) -> Input<'t> {
        Input {
            token,
            detached: None,
            claims: true,
            json: false,
        }
    }

    /// Also accept the JWS JSON serialization (RFC 7515 §7.2; text starting with `{`, of
    /// which one signature must verify). A JWT is compact (RFC 7519 §7.2), so this is an
    /// explicit choice of the caller, for JWS-in-JSON profiles that carry claims.
    pub fn json_serialization(self) -> Input<'t> {
        Input { json: true, ..self }
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

    /// Stop after the signature (steps 1–8): [`crate::jwt::verify_with`] returns the payload
    /// as octets, not parsed as a claims set.
    pub fn signature_only(self) -> Input<'t> {
        Input {
            claims: false,
            ..self
        }
    }

    /// Accept the compact serialization only (RFC 7519 §7.1), the default of [`Input::new`]:
    /// undoes [`Input::json_serialization`]. For front ends whose wire format is compact (an
    /// HTTP `Authorization: Bearer` token, RFC 6750) to say so.
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

/// What steps 1–8 found: the header once parsed, and once the signature verified the
/// algorithm, the key (as an index in the set the source gave) and the payload; or the first
/// error.
#[derive(Debug)]
pub(crate) struct Signed<'k> {
    pub(crate) header: Option<Header>,
    pub(crate) alg: Option<JwsAlg>,
    pub(crate) keys: Option<Keys<'k>>,
    pub(crate) key_index: Option<usize>,
    pub(crate) payload: Option<Vec<u8>>,
    pub(crate) error: Option<Error>,
}

impl<'k> Signed<'k> {
    pub(crate) fn failed(error: Error) -> Signed<'k> {
        Signed {
            header: None,
            alg: None,
            keys: None,
            key_index: None,
            payload: None,
            error: Some(error),
        }
    }

    /// The verified JWS.
    ///
    /// # Errors
    /// The error of the failed step.
    pub(crate) fn into_jws(self) -> Result<VerifiedJws> {
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
            _ => Err(err!(InvalidConfig, "the signature stage ended without a result")),
        }
    }
}

/// Steps 1–8 with a local set, without a future (a local set's keys are at hand): the
/// synchronous twin of [`signature`], made of the same steps ([`before_keys`],
/// [`after_keys`]). Used by [`crate::verify`] and the Key Binding JWT of an SD-JWT; a JWS JSON
/// serialization goes through [`signature`] itself.
pub(crate) fn signature_local<'k>(input: &Input<'_>, keys: &'k JwkSet, opts: &JwsOptions) -> Signed<'k> {
    match before_keys(input, opts) {
        BeforeKeys::Compact(jws, alg) => after_keys(jws, alg, Ok(Keys::Borrowed(keys))),
        BeforeKeys::Json => {
            ready(pin!(signature(input, keys, opts))).unwrap_or_else(|| Signed::failed(waited()))
        }
        BeforeKeys::Failed(signed) => signed,
    }
}

/// A local set's keys are ready at once: the pipeline never waits for them.
pub(crate) fn waited() -> Error {
    err!(InvalidConfig, "a local key set had to wait for keys")
}

/// Run a pipeline future whose key source answers at once (a local [`JwkSet`]); None if it
/// had to wait. Pinned by the caller where it is made (`ready(pin!(…))`): a pipeline future
/// is about a kilobyte, and passing it by value would copy it once more per token.
pub(crate) fn ready<T>(fut: Pin<&mut impl Future<Output = T>>) -> Option<T> {
    match fut.poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(out) => Some(out),
        Poll::Pending => None,
    }
}

/// Steps 1–8: structure, header, keys, signature.
pub(crate) async fn signature<'k, S: KeySource + ?Sized>(
    input: &Input<'_>,
    source: &'k S,
    opts: &JwsOptions,
) -> Signed<'k> {
    match before_keys(input, opts) {
        BeforeKeys::Compact(jws, alg) => {
            let keys = source.keys_for(jws.header()).await;
            after_keys(jws, alg, keys)
        }
        BeforeKeys::Json => signature_json(input, source, opts)
            .await
            .unwrap_or_else(Signed::failed),
        BeforeKeys::Failed(signed) => signed,
    }
}

/// Where steps 1–6 left a token, before any key is asked for.
enum BeforeKeys<'t> {
    /// A compact JWS whose header passed its checks, and the allowed algorithm it names.
    Compact(CompactJws<'t>, JwsAlg),
    /// A JWS JSON serialization the caller accepts ([`signature_json`] runs its steps).
    Json,
    /// The first failure (with the header, once it parsed).
    Failed(Signed<'static>),
}

/// Steps 1–6 of a compact JWS: the allowlist is not empty, the serialization is the one the
/// caller asked for, the structure parses, the header passes its checks (and, for a JWT,
/// says its payload is base64url-encoded).
fn before_keys<'t>(input: &Input<'t>, opts: &JwsOptions) -> BeforeKeys<'t> {
    if opts.algorithms.is_empty() {
        return BeforeKeys::Failed(Signed::failed(err!(
            InvalidConfig,
            "the algorithm allowlist is empty"
        )));
    }
    if input.token.trim_start().starts_with('{') {
        if !input.json {
            return BeforeKeys::Failed(Signed::failed(json_not_asked_for(input.claims)));
        }
        return BeforeKeys::Json;
    }
    let jws = match input.detached {
        Some(content) => CompactJws::parse_detached(input.token, content, &opts.limits),
        None => CompactJws::parse(input.token, &opts.limits),
    };
    let jws = match jws {
        Ok(jws) => jws,
        Err(e) => return BeforeKeys::Failed(Signed::failed(e)),
    };
    match crate::jws::check_header(jws.header(), opts)
        .and_then(|alg| jwt_payload_encoded(jws.header(), input.claims).map(|()| alg))
    {
        Ok(alg) => BeforeKeys::Compact(jws, alg),
        Err(e) => BeforeKeys::Failed(Signed {
            header: Some(jws.into_parts().0),
            ..Signed::failed(e)
        }),
    }
}

/// Steps 7–8 of a compact JWS with the keys its source gave: key selection and the signature.
fn after_keys<'k>(jws: CompactJws<'_>, alg: JwsAlg, keys: Result<Keys<'k>>) -> Signed<'k> {
    let keys = match keys {
        Ok(keys) => keys,
        Err(e) => {
            return Signed {
                header: Some(jws.into_parts().0),
                ..Signed::failed(e.at(Check::Key))
            };
        }
    };
    let result = crate::jws::check_key_signature(&jws, &keys, alg);
    let (header, payload) = jws.into_parts();
    match result {
        Ok(index) => Signed {
            header: Some(header),
            alg: Some(alg),
            keys: Some(keys),
            key_index: Some(index),
            payload: Some(payload),
            error: None,
        },
        Err(e) => Signed {
            header: Some(header),
            keys: Some(keys),
            ..Signed::failed(signature_error(e))
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
) -> Result<Signed<'k>> {
    let json = JwsJson::parse(input.token, &opts.limits)?;
    let first = json.signatures().iter().find_map(|s| s.header().ok());
    if let Some(header) = &first {
        jwt_payload_encoded(header, input.claims)?;
    }
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
        Ok(v) => Signed {
            header: Some(v.jws.header),
            alg: Some(v.jws.alg),
            keys: Some(keys),
            key_index: Some(v.jws.key_index),
            payload: Some(v.jws.payload),
            error: None,
        },
        Err(e) => Signed {
            keys: Some(keys),
            ..Signed::failed(signature_error(e))
        },
    })
}

/// A JWT's payload is always base64url-encoded: RFC 7797 §7 says JWTs MUST NOT use
/// `"b64": false`. Checked with the header (step 5), before any key is asked for; a JWS that
/// is not a JWT ([`Input::signature_only`]) may use it.
///
/// # Errors
/// `malformed` at check `header_params` for a JWT with `"b64": false`.
fn jwt_payload_encoded(header: &Header, claims: bool) -> Result<()> {
    if claims && !header.b64() {
        return Err(err!(
            Malformed,
            "the header says \"b64\": false, and a JWT never uses an unencoded payload (RFC 7797 §7); verify it as a JWS (signature only) if it is not a JWT"
        )
        .at(Check::HeaderParams));
    }
    Ok(())
}

/// Text in the JWS JSON serialization where the caller did not ask for it.
fn json_not_asked_for(jwt: bool) -> Error {
    let what = if jwt {
        "a JWT uses the compact serialization (RFC 7519 §7.2)"
    } else {
        "this verifier takes the compact serialization"
    };
    err!(
        Malformed,
        "the token is a JWS JSON serialization (it starts with '{{') and {what}; the caller accepts JSON with Input::json_serialization"
    )
    .at(Check::Segments)
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
