//! JWS JSON Serialization, RFC 7515 §7.2: general (`signatures` array, §7.2.1) and flattened
//! (§7.2.2), with protected and unprotected headers (and RFC 7797 `b64`).
//!
//! **Verification policy**: a JSON JWS verifies when *at least one* of its signatures verifies
//! with one of the caller's keys under an allowed algorithm; the result carries that
//! signature's header. Signatures that use other algorithms or keys are not
//! errors (the JWS may be meant for several verifiers). Each signature's JOSE Header is the
//! union of its protected and unprotected headers: the names must be disjoint, and `crit` and
//! `b64` must be protected. At most [`Limits::max_recipients`] signatures are accepted and at
//! most 16 verification attempts made.
//!
//! **Detached content** (RFC 7515 Appendix F): a JSON JWS without a `"payload"` member parses
//! ([`JwsJson::is_detached`]); [`JwsJson::verify`] rejects it (`malformed`, saying the content
//! is detached) and an [`super::Input::detached`] input verifies it against the supplied content.
//!
//! [`Limits::max_recipients`]: crate::Limits::max_recipients

use serde_json::{Map, Value};

use super::{Header, JwsOptions, Signer, VerifiedJws};
use crate::error::{Error, ErrorKind, Result, err};
use crate::json::Object;
use crate::key::KeyOp;
use crate::{JwkSet, Limits};

const MAX_ATTEMPTS: usize = 16;

/// One signature of a JSON JWS, not verified (read through [`JwsJson`]'s methods).
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct JsonSignature {
    protected_b64: String,
    protected: Object,
    header: Option<Object>,
    signature: Vec<u8>,
}

impl JsonSignature {
    /// The signature bytes.
    pub(crate) fn signature(&self) -> &[u8] {
        &self.signature
    }

    /// The JOSE Header: protected ∪ unprotected.
    ///
    /// # Errors
    /// `malformed` when a name is in both parts, `crit` or `b64` is unprotected, or the merged
    /// header breaks a rule of [`Header::from_object`].
    pub(crate) fn header(&self) -> Result<Header> {
        let mut merged = self.protected.clone();
        if let Some(h) = &self.header {
            for (k, v) in h {
                if k == "crit" || k == "b64" {
                    return Err(err!(
                        Malformed,
                        "\"{k}\" must be in the protected header (RFC 7515 §4.1.11, RFC 7797 §3)"
                    ));
                }
                if merged.insert(k.clone(), v.clone()).is_some() {
                    return Err(err!(
                        Malformed,
                        "header parameter {} is both protected and unprotected (RFC 7515 §7.2.1 requires them to be disjoint)",
                        crate::text::quote(k)
                    ));
                }
            }
        }
        Header::from_object(merged)
    }
}

/// A JWS in a JSON serialization, **not verified**.
#[derive(Clone, Debug, PartialEq)]
pub struct JwsJson {
    /// The `"payload"` member as written; `None` when absent (detached content).
    payload: Option<String>,
    /// Length of the parsed text (0 when built from a document), for the detached size limit.
    text_len: usize,
    signatures: Vec<JsonSignature>,
    flattened: bool,
}

/// A JSON JWS of which one signature verified.
#[derive(Debug)]
pub(crate) struct VerifiedJson {
    /// Header (of the signature that verified), payload, algorithm and key.
    pub jws: VerifiedJws,
}

fn b64_member(obj: &Object, name: &str) -> Result<Vec<u8>> {
    match obj.get(name) {
        Some(Value::String(s)) => {
            crate::base64url::decode(s).map_err(|p| err!(BadBase64, "member \"{name}\" {}", p.describe()))
        }
        Some(v) => Err(err!(
            Malformed,
            "member \"{name}\" must be a base64url string, found {}",
            crate::json::type_name(v)
        )),
        None => Err(err!(
            Malformed,
            "the JWS JSON serialization has no \"{name}\" member"
        )),
    }
}

fn signature_from(obj: &Object, limits: &Limits) -> Result<JsonSignature> {
    let (protected_b64, protected) = match obj.get("protected") {
        None => (String::new(), Object::new()),
        Some(Value::String(s)) => {
            let bytes = crate::base64url::decode(s)
                .map_err(|p| err!(BadBase64, "member \"protected\" {}", p.describe()))?;
            let o = crate::json::parse_object(&bytes, limits).map_err(|e| e.context("protected header: "))?;
            (s.clone(), o)
        }
        Some(v) => {
            return Err(err!(
                Malformed,
                "member \"protected\" must be a base64url string, found {}",
                crate::json::type_name(v)
            ));
        }
    };
    let header = match obj.get("header") {
        None => None,
        Some(Value::Object(o)) => Some(o.clone()),
        Some(v) => {
            return Err(err!(
                Malformed,
                "member \"header\" must be a JSON object, found {}",
                crate::json::type_name(v)
            ));
        }
    };
    if protected_b64.is_empty() && header.is_none() {
        return Err(err!(
            Malformed,
            "a signature has neither \"protected\" nor \"header\""
        ));
    }
    let sig = JsonSignature {
        protected_b64,
        protected,
        header,
        signature: b64_member(obj, "signature")?,
    };
    sig.header()?;
    Ok(sig)
}

impl JwsJson {
    /// Parse a general or flattened JSON JWS.
    ///
    /// # Errors
    /// `resource_limit` (size, depth, more than `limits.max_recipients` signatures), `bad_json`,
    /// `duplicate_member`, `malformed` (missing members, wrong types, header rules, `b64`
    /// differing between signatures), `bad_base64`.
    pub fn parse(text: &str, limits: &Limits) -> Result<JwsJson> {
        crate::limits::check("token_bytes", limits.max_token_bytes, text.len())?;
        let doc = crate::json::parse_object(text.as_bytes(), limits)?;
        let mut jws = JwsJson::from_object(&doc, limits)?;
        jws.text_len = text.len();
        Ok(jws)
    }

    pub(crate) fn from_object(doc: &Object, limits: &Limits) -> Result<JwsJson> {
        let payload = match doc.get("payload") {
            Some(Value::String(s)) => Some(s.clone()),
            Some(v) => {
                return Err(err!(
                    Malformed,
                    "member \"payload\" must be a string, found {}",
                    crate::json::type_name(v)
                ));
            }
            // Detached content (RFC 7515 Appendix F): supplied to `verify_detached`.
            None => None,
        };
        let (signatures, flattened) = match doc.get("signatures") {
            Some(Value::Array(list)) => {
                if doc.contains_key("signature")
                    || doc.contains_key("protected")
                    || doc.contains_key("header")
                {
                    return Err(err!(
                        Malformed,
                        "a JWS has both \"signatures\" and flattened members (RFC 7515 §7.2.2)"
                    ));
                }
                if list.is_empty() {
                    return Err(err!(Malformed, "\"signatures\" is empty"));
                }
                crate::limits::check("signatures", limits.max_recipients, list.len())?;
                let mut out = Vec::with_capacity(list.len());
                for (i, s) in list.iter().enumerate() {
                    let Value::Object(s) = s else {
                        return Err(err!(Malformed, "signature {i} must be a JSON object"));
                    };
                    out.push(signature_from(s, limits).map_err(|e| e.context(&format!("signature {i}: ")))?);
                }
                (out, false)
            }
            Some(v) => {
                return Err(err!(
                    Malformed,
                    "member \"signatures\" must be an array, found {}",
                    crate::json::type_name(v)
                ));
            }
            None => (vec![signature_from(doc, limits)?], true),
        };
        let b64 = |s: &JsonSignature| s.protected.get("b64") != Some(&Value::Bool(false));
        let first = signatures.first().map(b64).unwrap_or(true);
        if signatures.iter().any(|s| b64(s) != first) {
            return Err(err!(Malformed, "signatures disagree on \"b64\" (RFC 7797 §3)"));
        }
        if first && let Some(payload) = &payload {
            crate::base64url::decode(payload)
                .map_err(|p| err!(BadBase64, "member \"payload\" {}", p.describe()))?;
        }
        Ok(JwsJson {
            payload,
            text_len: 0,
            signatures,
            flattened,
        })
    }

    /// The signatures.
    pub(crate) fn signatures(&self) -> &[JsonSignature] {
        &self.signatures
    }

    /// True for the flattened form.
    pub fn is_flattened(&self) -> bool {
        self.flattened
    }

    /// True when the payload is base64url-encoded (no `b64: false`).
    pub fn b64(&self) -> bool {
        self.signatures
            .first()
            .is_none_or(|s| s.protected.get("b64") != Some(&Value::Bool(false)))
    }

    /// True when the `"payload"` member is absent: the content is detached (RFC 7515
    /// Appendix F) and must be supplied as [`super::Input::detached`].
    pub fn is_detached(&self) -> bool {
        self.payload.is_none()
    }

    /// The JWS Payload (decoded unless `b64` is false); empty when detached.
    pub fn payload(&self) -> Vec<u8> {
        let payload = self.payload.as_deref().unwrap_or_default();
        if self.b64() {
            crate::base64url::decode(payload).unwrap_or_default()
        } else {
            payload.as_bytes().to_vec()
        }
    }

    /// The JWS Signing Input of one signature: `protected . payload` as written (§7.2.1).
    pub(crate) fn signing_input(&self, sig: &JsonSignature) -> Vec<u8> {
        signing_input(sig, self.payload.as_deref().unwrap_or_default().as_bytes())
    }

    /// The payload part of the JWS Signing Input for detached `content`: BASE64URL(content),
    /// or the raw octets with `b64: false` (RFC 7797 §3).
    ///
    /// # Errors
    /// `malformed` when the token has a non-empty `"payload"`; `resource_limit` when the
    /// parsed text plus the encoded content is above `limits.max_token_bytes`.
    pub(crate) fn detached_segment(&self, content: &[u8], limits: &Limits) -> Result<Vec<u8>> {
        if let Some(p) = self.payload.as_deref().filter(|p| !p.is_empty()) {
            return Err(super::attached_payload_error(
                " in the \"payload\" member",
                p.len(),
            ));
        }
        super::check_detached_size(self.text_len, content.len(), self.b64(), limits)?;
        Ok(if self.b64() {
            crate::base64url::encode(content).into_bytes()
        } else {
            content.to_vec()
        })
    }

    /// Verify: succeeds when one signature verifies (see the module docs for the policy).
    ///
    /// # Errors
    /// `invalid_config` for an empty allowlist; when no signature could be checked, the error
    /// of the first signature (`unsupported_crit`, `alg_none`, `unsupported_alg`,
    /// `alg_not_allowed`, `key_not_found`, `key_mismatch`); when signatures were checked and
    /// none verified, the fixed `bad_signature`.
    pub(crate) fn verify(&self, keys: &JwkSet, opts: &JwsOptions) -> Result<VerifiedJson> {
        if self.is_detached() {
            return Err(err!(
                Malformed,
                "the JWS JSON serialization has no \"payload\" member: its content is detached (RFC 7515 Appendix F); \
                 supply the content to verify it (jwt::Input::detached; CLI: --payload)"
            ));
        }
        self.verify_with(
            self.payload.as_deref().unwrap_or_default().as_bytes(),
            None,
            keys,
            opts,
        )
    }

    /// Verify with **detached content** (RFC 7515 Appendix F): `content` is the JWS Payload
    /// octets, used for a JWS without `"payload"` (or with an empty one). Same policy as
    /// [`JwsJson::verify`]; [`VerifiedJws::payload`] is a copy of `content`.
    ///
    /// # Errors
    /// As [`JwsJson::verify`] (without the detached `malformed`), and: `malformed` when the JWS
    /// has a non-empty `"payload"`; `resource_limit` when the JWS text plus the encoded content
    /// is above `opts.limits.max_token_bytes`.
    pub(crate) fn verify_detached(
        &self,
        content: &[u8],
        keys: &JwkSet,
        opts: &JwsOptions,
    ) -> Result<VerifiedJson> {
        let segment = self.detached_segment(content, &opts.limits)?;
        self.verify_with(&segment, Some(content), keys, opts)
    }

    /// Verification proper: `segment` is the payload part of the JWS Signing Input, `detached`
    /// the supplied content (returned as the payload) when there is one.
    fn verify_with(
        &self,
        segment: &[u8],
        detached: Option<&[u8]>,
        keys: &JwkSet,
        opts: &JwsOptions,
    ) -> Result<VerifiedJson> {
        let crit: Vec<&str> = opts.crit.iter().map(String::as_str).collect();
        let mut first_err: Option<Error> = None;
        let mut attempts = 0usize;
        for sig in &self.signatures {
            let prepared = sig.header().and_then(|h| {
                h.check_crit(&crit)?;
                let alg = h.alg()?;
                if !opts.algorithms.contains(alg) {
                    return Err(crate::jwa::not_allowed(alg, opts.algorithms));
                }
                let c = keys.select(h.kid(), alg, KeyOp::Verify)?;
                Ok((h, alg, c))
            });
            let (header, alg, candidates) = match prepared {
                Ok(p) => p,
                Err(e) => {
                    first_err.get_or_insert(e);
                    continue;
                }
            };
            let input = signing_input(sig, segment);
            for key in candidates {
                if attempts >= MAX_ATTEMPTS {
                    break;
                }
                attempts += 1;
                match crate::key::sig::verify(alg, key, &input, &sig.signature) {
                    Ok(()) => {
                        let key_index = keys.keys().iter().position(|k| std::ptr::eq(k, key)).unwrap_or(0);
                        return Ok(VerifiedJson {
                            jws: VerifiedJws {
                                header,
                                payload: detached.map_or_else(|| self.payload(), <[u8]>::to_vec),
                                alg,
                                key_index,
                            },
                        });
                    }
                    Err(e) if e.kind() == ErrorKind::BadSignature => {}
                    Err(e) => {
                        first_err.get_or_insert(e);
                    }
                }
            }
        }
        if attempts > 0 {
            return Err(Error::bad_signature());
        }
        Err(first_err.unwrap_or_else(Error::bad_signature))
    }
}

/// `protected . payload-segment` (RFC 7515 §7.2.1, RFC 7797 §3).
pub(crate) fn signing_input(sig: &JsonSignature, segment: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(sig.protected_b64.len() + 1 + segment.len());
    v.extend_from_slice(sig.protected_b64.as_bytes());
    v.push(b'.');
    v.extend_from_slice(segment);
    v
}

impl JwsJson {
    /// Sign `payload` with several signers into a JSON JWS (general, or flattened for one signer).
    /// Each signer may carry an unprotected header. All signers must agree on `b64`.
    ///
    /// # Errors
    /// `invalid_config` with no signer, several signers in flattened form, signers disagreeing on
    /// `b64`, or a name both protected and unprotected; `malformed` for an unencoded payload that is
    /// not UTF-8; signing errors of [`Signer::sign`].
    ///
    /// ```
    /// use jwtkit::{JwkSet, JwsAlg, Key, jws};
    /// let k1 = Key::hmac(vec![1u8; 32]).with_kid("one");
    /// let k2 = Key::generate(jwtkit::jwk::KeySpec::Ec(jwtkit::EcCurve::P256))?.with_kid("two");
    /// let s1 = jws::Signer::new(&k1, JwsAlg::HS256)?.build()?;
    /// let s2 = jws::Signer::new(&k2, JwsAlg::ES256)?.build()?;
    /// let json = jws::JwsJson::sign(b"hello", &[(&s1, None), (&s2, None)], false)?;
    /// let input = jws::Input::new(&json).json_serialization().signature_only();
    /// let opts = jws::JwsOptions::new(JwsAlg::ES256);
    /// let v = jwtkit::jwt::verify_local(input, &JwkSet::from_keys(vec![k2]), &opts.into()).into_jws()?;
    /// assert_eq!(v.payload, b"hello");
    /// # Ok::<(), jwtkit::Error>(())
    /// ```
    pub fn sign(
        payload: &[u8],
        signers: &[(&Signer<'_>, Option<Object>)],
        flattened: bool,
    ) -> Result<String> {
        let Some((first, _)) = signers.first() else {
            return Err(err!(InvalidConfig, "a JWS needs at least one signer"));
        };
        if flattened && signers.len() > 1 {
            return Err(err!(
                InvalidConfig,
                "the flattened JSON serialization has exactly one signature"
            ));
        }
        if signers.iter().any(|(s, _)| s.b64 != first.b64) {
            return Err(err!(InvalidConfig, "signers disagree on b64"));
        }
        let payload_segment = if first.b64 {
            crate::base64url::encode(payload)
        } else {
            std::str::from_utf8(payload)
                .map_err(|_| {
                    err!(
                        Malformed,
                        "an unencoded payload must be UTF-8 in the JSON serialization"
                    )
                })?
                .to_string()
        };
        let mut sigs = Vec::with_capacity(signers.len());
        for (signer, unprotected) in signers {
            if signer.encoded_header.is_empty() {
                return Err(err!(InvalidConfig, "Signer::build was not called"));
            }
            if let Some(u) = unprotected
                && let Some(k) = u
                    .keys()
                    .find(|k| signer.header.contains_key(k.as_str()) || *k == "crit" || *k == "b64")
            {
                return Err(err!(
                    InvalidConfig,
                    "header parameter {} cannot be unprotected here (already protected, or must be protected)",
                    crate::text::quote(k)
                ));
            }
            let input = format!("{}.{}", signer.encoded_header, payload_segment);
            let sig = crate::key::sig::sign(signer.alg, signer.key, input.as_bytes())?;
            let mut o = Map::new();
            o.insert("protected".into(), signer.encoded_header.clone().into());
            if let Some(u) = unprotected {
                o.insert("header".into(), Value::Object(u.clone()));
            }
            o.insert("signature".into(), crate::base64url::encode(sig).into());
            sigs.push(o);
        }
        let mut doc = Map::new();
        doc.insert("payload".into(), payload_segment.into());
        if flattened {
            if let Some(o) = sigs.pop() {
                doc.extend(o);
            }
        } else {
            doc.insert(
                "signatures".into(),
                Value::Array(sigs.into_iter().map(Value::Object).collect()),
            );
        }
        serde_json::to_string(&Value::Object(doc))
            .map_err(|e| err!(InvalidConfig, "JSON serialization failed: {e}"))
    }
}
