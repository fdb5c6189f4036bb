//! Operations that do not establish trust. Everything here is for *inspection* (the CLI's
//! `decode`, the debugger): nothing returned by this module has been verified, and the types
//! say so.
//!
//! [`Unverified::decode`] shows as much of a token as it can, even when it is invalid: each part
//! is decoded leniently for display (padding or the standard alphabet tolerated) while every
//! strictness violation is reported in [`Unverified::errors`], in the same order and with the
//! same kinds verification would use.

use crate::Limits;
use crate::error::Error;
use crate::json::Object;
use crate::jws::{Header, segment_error};

/// Which serialization a token uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Form {
    /// JWS Compact Serialization (3 segments; RFC 7515 §7.1).
    JwsCompact,
    /// JWE Compact Serialization (5 segments; RFC 7516 §7.1).
    JweCompact,
    /// A JSON serialization (RFC 7515 §7.2 / RFC 7516 §7.2).
    Json,
    /// Not recognisable.
    Unknown,
}

/// What the payload of an unverified token holds.
#[derive(Clone, Debug, PartialEq)]
pub enum Payload {
    /// A JSON object (JWT Claims Set), member order and numbers as written.
    Claims(Object),
    /// Bytes that are not a JSON object (a JWS over arbitrary content), or undecodable.
    Bytes(Vec<u8>),
    /// The content is encrypted (JWE); only the header can be shown.
    Encrypted,
    /// No payload could be found.
    Missing,
}

/// An **unverified** view of a token. Nothing in it can be trusted.
#[derive(Clone, Debug)]
pub struct Unverified {
    /// Serialization.
    pub form: Form,
    /// The raw segments (compact forms).
    pub segments: Vec<String>,
    /// The header as decoded (lenient), when it is a JSON object.
    pub header: Option<Object>,
    /// The payload.
    pub payload: Payload,
    /// Signature bytes, when present and decodable.
    pub signature: Option<Vec<u8>>,
    /// Everything strict parsing rejects, in check order: the first is what verification
    /// would report before looking at the signature.
    pub errors: Vec<Error>,
    /// Remarks that are not errors (e.g. "the signature segment is missing").
    pub notes: Vec<String>,
}

impl Unverified {
    /// The header's `alg` as written.
    pub fn alg(&self) -> Option<&str> {
        self.header.as_ref()?.get("alg")?.as_str()
    }

    /// The claims, when the payload is a JSON object.
    pub fn claims(&self) -> Option<&Object> {
        match &self.payload {
            Payload::Claims(c) => Some(c),
            _ => None,
        }
    }
}

/// Decode one segment: strictly if possible, else leniently, recording the strict error.
fn segment(s: &str, index: usize, errors: &mut Vec<Error>) -> Option<Vec<u8>> {
    match crate::base64url::decode(s) {
        Ok(b) => Some(b),
        Err(p) => {
            errors.push(crate::jws::b64_error(p, index));
            crate::base64url::decode_lenient(s)
        }
    }
}

fn json_object(bytes: &[u8], index: usize, limits: &Limits, errors: &mut Vec<Error>) -> Option<Object> {
    match crate::json::parse_object(bytes, limits) {
        Ok(o) => Some(o),
        Err(e) => {
            let lenient = match e.kind() {
                crate::ErrorKind::DuplicateMember => serde_json::from_slice::<Object>(bytes).ok(),
                _ => None,
            };
            errors.push(segment_error(e, index));
            lenient
        }
    }
}

impl Unverified {
    /// Decode a token for display **without verifying anything**.
    ///
    /// Never fails: problems are in [`Unverified::errors`]. A token whose signature was removed
    /// (`header.payload` or `header.payload.`) still shows its header and claims.
    ///
    /// ```
    /// let u = jwtkit::dangerous::Unverified::decode("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0", &Default::default());
    /// assert_eq!(u.alg(), Some("HS256"));
    /// assert_eq!(u.claims().unwrap()["sub"], "1");
    /// assert_eq!(u.errors[0].kind(), jwtkit::ErrorKind::Malformed);
    /// ```
    pub fn decode(token: &str, limits: &Limits) -> Unverified {
        let mut u = Unverified {
            form: Form::Unknown,
            segments: Vec::new(),
            header: None,
            payload: Payload::Missing,
            signature: None,
            errors: Vec::new(),
            notes: Vec::new(),
        };
        if let Err(e) = crate::limits::check("token_bytes", limits.max_token_bytes, token.len()) {
            u.errors.push(e);
            return u;
        }
        if token.trim_start().starts_with('{') {
            u.form = Form::Json;
            decode_json(token, limits, &mut u);
            return u;
        }
        let parts: Vec<&str> = token.split('.').collect();
        u.segments = parts.iter().map(|s| s.to_string()).collect();
        match parts.len() {
            3 => u.form = Form::JwsCompact,
            5 => u.form = Form::JweCompact,
            2 => {
                u.form = Form::JwsCompact;
                u.notes
                    .push("the signature segment is missing; showing header and payload".into());
            }
            n => {
                if let Err(e) = crate::jws::split::<3>(token) {
                    u.errors.push(e);
                }
                if n < 2 {
                    return u;
                }
                u.form = Form::JwsCompact;
            }
        }
        if parts.len() == 2
            && let Err(e) = crate::jws::split::<3>(token)
        {
            u.errors.push(e);
        }
        let header_bytes = parts.first().and_then(|h| segment(h, 0, &mut u.errors));
        u.header = header_bytes.and_then(|b| json_object(&b, 0, limits, &mut u.errors));
        if u.form == Form::JweCompact {
            if let Some(h) = &u.header
                && let Err(e) =
                    crate::jwe::JweHeader::from_protected(h.clone()).and_then(|h| h.alg().and(h.enc()))
            {
                u.errors.push(crate::jwe::compact::segment_error(e, 0));
            }
            u.payload = Payload::Encrypted;
            u.notes
                .push("JWE: the content is encrypted; decrypt it with the recipient's key".into());
            return u;
        }
        // Reported in verification order: segment base64 (step 3) before `alg` (step 6) before the
        // claims set (step 9).
        let mut later: Vec<Error> = Vec::new();
        let b64 = match &u.header {
            Some(h) => match Header::from_object(h.clone()) {
                Ok(hdr) => {
                    if let Err(e) = hdr.alg() {
                        later.push(segment_error(e, 0));
                    }
                    hdr.b64()
                }
                Err(e) => {
                    u.errors.push(segment_error(e, 0));
                    true
                }
            },
            None => true,
        };
        if let Some(p) = parts.get(1) {
            let bytes = if b64 {
                segment(p, 1, &mut u.errors)
            } else {
                Some(p.as_bytes().to_vec())
            };
            u.payload = match bytes {
                Some(b) if b.first() == Some(&b'{') => match crate::json::parse_object(&b, limits) {
                    Ok(o) => Payload::Claims(o),
                    Err(e) => {
                        later.push(segment_error(e, 1));
                        Payload::Bytes(b)
                    }
                },
                Some(b) if b.is_empty() => {
                    u.notes
                        .push("the payload is empty (detached content, RFC 7515 Appendix F)".into());
                    Payload::Bytes(b)
                }
                Some(b) => Payload::Bytes(b),
                None => Payload::Missing,
            };
        }
        match parts.get(2) {
            Some(&"") => {
                u.notes.push("the signature segment is empty".into());
                u.signature = Some(Vec::new());
            }
            Some(s) => u.signature = segment(s, 2, &mut u.errors),
            None => {}
        }
        u.errors.extend(later);
        u
    }
}

/// JSON serializations (RFC 7515 §7.2, RFC 7516 §7.2): the first signature's or recipient's
/// JOSE Header, the payload of a JWS, and a note with the number of signatures/recipients.
fn decode_json(token: &str, limits: &Limits, u: &mut Unverified) {
    let doc = match crate::json::parse_object(token.as_bytes(), limits) {
        Ok(d) => d,
        Err(e) => {
            u.errors.push(e);
            return;
        }
    };
    let flattened = !doc.contains_key("recipients") && !doc.contains_key("signatures");
    let form = if flattened { "flattened" } else { "general" };
    if crate::jwe::json::is_jwe(&doc) {
        u.payload = Payload::Encrypted;
        match crate::jwe::json::parse_object(&doc, limits) {
            Ok(jwe) => {
                u.header = jwe.header(0).ok().map(|h| h.as_object().clone());
                let n = jwe.recipient_count();
                u.notes.push(format!(
                    "JWE JSON serialization ({form}), {n} recipient{}: the content is encrypted; decrypt it with a recipient's key",
                    if n == 1 { "" } else { "s" }
                ));
            }
            Err(e) => u.errors.push(e),
        }
        return;
    }
    match crate::jws::JwsJson::from_object(&doc, limits) {
        Ok(jws) => {
            let n = jws.signatures().len();
            if let Some(first) = jws.signatures().first() {
                u.header = first.header().ok().map(|h| h.as_object().clone());
                u.signature = Some(first.signature().to_vec());
            }
            let payload = jws.payload();
            u.payload = match crate::json::parse_object(&payload, limits) {
                _ if jws.is_detached() => {
                    u.notes.push(
                        "there is no \"payload\" member: the content is detached (RFC 7515 Appendix F)"
                            .into(),
                    );
                    Payload::Missing
                }
                Ok(o) => Payload::Claims(o),
                Err(_) => Payload::Bytes(payload),
            };
            u.notes.push(format!(
                "JWS JSON serialization ({form}), {n} signature{}{}",
                if n == 1 { "" } else { "s" },
                if n > 1 {
                    "; the header shown is the first signature's"
                } else {
                    ""
                }
            ));
        }
        Err(e) => u.errors.push(e),
    }
}
