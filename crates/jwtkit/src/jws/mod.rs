//! JSON Web Signature, [RFC 7515] (with unencoded payloads, RFC 7797): compact serialization,
//! signing and verification.
//!
//! JSON serializations (RFC 7515 §7.2, general and flattened, several signatures) are in
//! [`JwsJson`] and [`JwsJson::sign`]; [`Input::json_serialization`] accepts either serialization.
//!
//! A JWS that is not a JWT goes through the one pipeline of [`crate::jwt::verify_with`] /
//! [`crate::jwt::verify_local`] as an [`Input::signature_only`] input with a
//! `Validation::from(`[`JwsOptions`]`)`: the fixed order of checks of
//! [the order of checks](crate::Check#validation-order) up to the signature, read with
//! [`crate::jwt::Outcome::into_jws`]; [`crate::jwt::verify`] adds the claims. [`Signer`] produces compact JWS.
//!
//! **Detached content** (RFC 7515 Appendix F; RFC 7797 §5.2 with `b64: false`): a JWS whose
//! payload travels separately has an empty payload segment (`header..signature`) or, in a
//! JSON serialization, no `"payload"` member. [`Input::detached`] (with
//! [`Input::signature_only`] for a JWS that is not a JWT) takes that content as a separate
//! argument; [`Signer::sign_detached`] produces such tokens. The rules:
//! - the content is used only for a token whose payload is empty; a token that carries a
//!   payload is rejected (`malformed`: the content must be given in one place only, so a token
//!   can never make the verifier ignore the content it was asked to check);
//! - without detached content, an empty payload segment is verified against the empty payload
//!   (a valid JWS of zero octets), so a detached JWS fails with `bad_signature` and
//!   [`crate::diagnose::Diagnosis::explain`] says the content may be detached; a JSON serialization
//!   without `"payload"` is `malformed`, with the same hint;
//! - the content counts toward [`Limits::max_token_bytes`] as if it were attached.
//!
//! [RFC 7515]: https://www.rfc-editor.org/rfc/rfc7515

mod compact;
mod header;
mod json;
pub(crate) mod signed;
mod source;

pub use compact::CompactJws;
pub(crate) use compact::{attached_payload_error, b64_error, check_detached_size, segment_error, split};
pub use header::Header;
pub(crate) use header::UNDERSTOOD_CRIT;
pub use json::JwsJson;
pub(crate) use json::signing_input as json_signing_input;
pub use signed::Input;
pub use source::{KeySource, Keys};

use serde_json::Value;

use crate::error::{Error, ErrorKind, Result, err};
use crate::json::Object;
use crate::jwa::{AlgorithmSet, JwsAlg, KeyFamily};
use crate::key::{Key, KeyOp};
use crate::{JwkSet, Limits};

/// Options for signature verification alone (no claims).
#[derive(Clone, Debug)]
pub struct JwsOptions {
    /// Accepted algorithms; the token's `alg` only selects among these.
    pub algorithms: AlgorithmSet<JwsAlg>,
    /// `crit` extensions the caller processes; default `["b64"]`.
    pub crit: Vec<String>,
    /// Input limits.
    pub limits: Limits,
}

impl JwsOptions {
    /// Options allowing `algorithms`, understanding `b64`, with default limits.
    pub fn new(algorithms: impl Into<AlgorithmSet<JwsAlg>>) -> JwsOptions {
        JwsOptions {
            algorithms: algorithms.into(),
            crit: UNDERSTOOD_CRIT.iter().map(|s| s.to_string()).collect(),
            limits: Limits::default(),
        }
    }
}

/// A JWS whose signature verified.
#[derive(Debug)]
pub struct VerifiedJws {
    /// The JWS Protected Header.
    pub header: Header,
    /// The payload bytes.
    pub payload: Vec<u8>,
    /// The algorithm used.
    pub alg: JwsAlg,
    /// Index in the key set of the key that verified.
    pub key_index: usize,
}

/// Steps 5–6 of [the order of checks](crate::Check#validation-order): `crit` understood, then `alg` known,
/// not `none` and in the allowlist. Returns the algorithm to verify with.
pub(crate) fn check_header(header: &Header, opts: &JwsOptions) -> Result<JwsAlg> {
    header.check_crit(&opts.crit)?;
    let alg = header.alg()?;
    if !opts.algorithms.contains(alg) {
        return Err(crate::jwa::not_allowed(alg, opts.algorithms));
    }
    Ok(alg)
}

/// Steps 7–8: the keys that fit (`kid`, family, `alg`, `use`, `key_ops`), then the signature
/// with each until one verifies. Returns the index of that key in `keys`.
pub(crate) fn check_key_signature(jws: &CompactJws<'_>, keys: &JwkSet, alg: JwsAlg) -> Result<usize> {
    let candidates = keys.candidates(jws.header().kid(), alg, KeyOp::Verify)?;
    let mut last = None;
    for (index, key) in candidates.iter() {
        match crate::key::sig::verify(alg, key, jws.signing_input(), jws.signature()) {
            Ok(()) => return Ok(index),
            Err(e) if e.kind() == ErrorKind::BadSignature => {}
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(Error::bad_signature))
}

/// Produces compact JWS with one key and algorithm. The header is encoded once at build time,
/// so signing many payloads costs only the payload encoding and the signature.
///
/// ```
/// use jwtkit::{JwsAlg, Key, jws::Signer};
/// let key = Key::hmac(b"0123456789abcdef0123456789abcdef".to_vec());
/// let token = Signer::new(&key, JwsAlg::HS256)?.typ("JWT").build()?.sign(br#"{"sub":"42"}"#)?;
/// assert_eq!(token.split('.').count(), 3);
/// # Ok::<(), jwtkit::Error>(())
/// ```
pub struct Signer<'k> {
    key: &'k Key,
    alg: JwsAlg,
    header: Object,
    allow_weak_key: bool,
    encoded_header: String,
    b64: bool,
}

impl<'k> Signer<'k> {
    /// Start a signer for `alg` with `key`. The header gets `alg`, and `kid` when the key has one.
    ///
    /// # Errors
    /// `key_mismatch` when the key cannot sign `alg` (wrong family, public key, JWK metadata).
    pub fn new(key: &'k Key, alg: JwsAlg) -> Result<Signer<'k>> {
        key.check_use(alg, KeyOp::Sign)?;
        let mut header = Object::new();
        header.insert("alg".into(), alg.as_str().into());
        if let Some(kid) = key.kid() {
            header.insert("kid".into(), kid.into());
        }
        Ok(Signer {
            key,
            alg,
            header,
            allow_weak_key: false,
            encoded_header: String::new(),
            b64: true,
        })
    }

    /// Set `typ` (e.g. `"JWT"`, `"at+jwt"`).
    pub fn typ(mut self, typ: &str) -> Self {
        self.header.insert("typ".into(), typ.into());
        self
    }

    /// Set `kid` (replacing the key's own).
    pub fn kid(mut self, kid: &str) -> Self {
        self.header.insert("kid".into(), kid.into());
        self
    }

    /// Set any other header parameter. `alg` cannot be changed this way.
    pub fn param(mut self, name: &str, value: Value) -> Self {
        if name != "alg" {
            if name == "b64" {
                self.b64 = value != Value::Bool(false);
            }
            self.header.insert(name.into(), value);
        }
        self
    }

    /// Allow keys below the RFC 7518 minimums (HMAC secret shorter than the hash, RSA under
    /// 2048 bits). Only for tests and interop with legacy systems.
    pub fn allow_weak_key(mut self, allow: bool) -> Self {
        self.allow_weak_key = allow;
        self
    }

    /// Check key strength and encode the header.
    ///
    /// # Errors
    /// `bad_key` for a key below the RFC 7518 minimum unless [`Signer::allow_weak_key`].
    pub fn build(mut self) -> Result<Signer<'k>> {
        if !self.allow_weak_key {
            check_strength(self.key, self.alg)?;
        }
        if !self.b64 {
            let crit = self.header.entry("crit").or_insert_with(|| Value::Array(vec![]));
            if let Value::Array(a) = crit
                && !a.iter().any(|v| v == "b64")
            {
                a.push("b64".into());
            }
        }
        let json = serde_json::to_vec(&self.header).map_err(|e| err!(InvalidConfig, "header: {e}"))?;
        // The header must be one our own verifier accepts: registered parameters well-typed,
        // and every `crit` name present in the header (RFC 7515 §4.1.11).
        let header = Header::from_object(self.header.clone())?;
        if let Some(missing) = header
            .crit()
            .iter()
            .find(|c| !self.header.contains_key(c.as_str()))
        {
            return Err(err!(
                InvalidConfig,
                "\"crit\" lists {}, which is not in the header",
                crate::text::quote(missing)
            ));
        }
        self.encoded_header = crate::base64url::encode(json);
        Ok(self)
    }

    /// Sign `payload`, returning the compact JWS.
    ///
    /// # Errors
    /// `malformed` for an unencoded (`b64: false`) payload containing `.`; `bad_key` if the
    /// signature operation fails.
    pub fn sign(&self, payload: &[u8]) -> Result<String> {
        if self.encoded_header.is_empty() {
            return Err(err!(InvalidConfig, "Signer::build was not called"));
        }
        let mut out = String::with_capacity(self.encoded_header.len() + payload.len() * 4 / 3 + 200);
        out.push_str(&self.encoded_header);
        out.push('.');
        if self.b64 {
            crate::base64url::encode_into(payload, &mut out);
        } else {
            let text = std::str::from_utf8(payload)
                .ok()
                .filter(|t| !t.contains('.'))
                .ok_or_else(|| {
                    err!(
                        Malformed,
                        "an unencoded payload in compact form must be UTF-8 without '.'"
                    )
                })?;
            out.push_str(text);
        }
        let sig = crate::key::sig::sign(self.alg, self.key, out.as_bytes())?;
        out.push('.');
        crate::base64url::encode_into(&sig, &mut out);
        Ok(out)
    }

    /// Sign `payload` as **detached content** (RFC 7515 Appendix F): returns
    /// `BASE64URL(header)..BASE64URL(signature)`, the payload segment left empty; the
    /// verifier supplies `payload` again ([`Input::detached`]). With `b64: false` (RFC 7797)
    /// the payload may be any octets, `.` included, since it is not part of the token.
    ///
    /// # Errors
    /// `invalid_config` when [`Signer::build`] was not called; `bad_key` if the signature
    /// operation fails.
    pub fn sign_detached(&self, payload: &[u8]) -> Result<String> {
        if self.encoded_header.is_empty() {
            return Err(err!(InvalidConfig, "Signer::build was not called"));
        }
        let mut input = Vec::with_capacity(self.encoded_header.len() + 1 + payload.len() * 4 / 3 + 4);
        input.extend_from_slice(self.encoded_header.as_bytes());
        input.push(b'.');
        if self.b64 {
            let mut encoded = String::with_capacity(payload.len() * 4 / 3 + 4);
            crate::base64url::encode_into(payload, &mut encoded);
            input.extend_from_slice(encoded.as_bytes());
        } else {
            input.extend_from_slice(payload);
        }
        let sig = crate::key::sig::sign(self.alg, self.key, &input)?;
        let mut out = String::with_capacity(self.encoded_header.len() + 2 + sig.len() * 4 / 3 + 4);
        out.push_str(&self.encoded_header);
        out.push_str("..");
        crate::base64url::encode_into(&sig, &mut out);
        Ok(out)
    }

    /// Sign a JSON claims set (serialized compactly, member order kept).
    ///
    /// # Errors
    /// As [`Signer::sign`].
    pub fn sign_claims(&self, claims: &Object) -> Result<String> {
        let json = serde_json::to_vec(claims).map_err(|e| err!(InvalidConfig, "claims: {e}"))?;
        self.sign(&json)
    }

    /// The header that will be used.
    pub fn header(&self) -> &Object {
        &self.header
    }
}

/// RFC 7518 minimums: HMAC secret at least the hash size (§3.2), RSA at least 2048 bits (§3.3).
///
/// # Errors
/// `bad_key` naming the size found and required.
pub(crate) fn check_strength(key: &Key, alg: JwsAlg) -> Result<()> {
    match key.family() {
        KeyFamily::Oct if key.bits() < alg.hash_len() * 8 => Err(err!(
            BadKey,
            "the HMAC secret is {} bytes; {alg} needs at least {} bytes (RFC 7518 §3.2)",
            key.bits() / 8,
            alg.hash_len()
        )),
        KeyFamily::Rsa if key.bits() < 2048 => Err(err!(
            BadKey,
            "the RSA key is {} bits; {alg} needs at least 2048 bits (RFC 7518 §3.3)",
            key.bits()
        )),
        _ => Ok(()),
    }
}
