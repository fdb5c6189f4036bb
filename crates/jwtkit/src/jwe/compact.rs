//! JWE Compact Serialization, RFC 7516 §7.1:
//! `BASE64URL(protected) . BASE64URL(encrypted_key) . BASE64URL(iv) . BASE64URL(ciphertext) . BASE64URL(tag)`.
//!
//! Parsing is strict and ordered: size limit, exactly five segments, strict base64url for each,
//! strict JSON object header, header parameter types.

use super::{Jwe, Recipient, Serialization};
use crate::error::{Error, ErrorKind, Result};
use crate::{Detail, Limits};

/// Names of the compact JWE segments, for error details.
pub(crate) const SEGMENT_NAMES: [&str; 5] = ["header", "encrypted_key", "iv", "ciphertext", "tag"];

pub(crate) fn segment_error(e: Error, index: usize) -> Error {
    let name = SEGMENT_NAMES.get(index).copied().unwrap_or("segment");
    e.context(&format!("{name} segment: "))
        .with_detail(Detail::Segment { index, name })
}

fn b64(s: &str, index: usize) -> Result<Vec<u8>> {
    crate::base64url::decode(s)
        .map_err(|p| segment_error(Error::new(ErrorKind::BadBase64, p.describe()), index))
}

/// Parse a compact JWE without decrypting it.
///
/// # Errors
/// `resource_limit` (token larger than `limits.max_token_bytes`), `malformed` (segment count,
/// header parameter types), `bad_base64`, `bad_json`, `duplicate_member`; errors about one
/// segment carry [`Detail::Segment`].
pub(crate) fn parse(token: &str, limits: &Limits) -> Result<Jwe> {
    crate::limits::check("token_bytes", limits.max_token_bytes, token.len())?;
    let [h, k, iv, c, t] = crate::jws::split::<5>(token)?;
    let header_bytes = b64(h, 0)?;
    let protected = crate::json::parse_object(&header_bytes, limits).map_err(|e| segment_error(e, 0))?;
    let encrypted_key = b64(k, 1)?;
    let iv = b64(iv, 2)?;
    let ciphertext = b64(c, 3)?;
    let tag = b64(t, 4)?;
    Jwe {
        serialization: Serialization::Compact,
        protected_b64: h.to_string(),
        protected,
        unprotected: None,
        recipients: vec![Recipient {
            header: None,
            encrypted_key,
        }],
        iv,
        ciphertext,
        tag,
        aad_b64: None,
        headers: Vec::new(),
    }
    .with_headers()
}

/// Serialize a single-recipient JWE without unprotected headers or AAD in compact form.
pub(crate) fn serialize(jwe: &Jwe) -> Result<String> {
    let [r] = jwe.recipients.as_slice() else {
        return Err(crate::error::err!(
            InvalidConfig,
            "the compact serialization has exactly one recipient; use the JSON serialization"
        ));
    };
    if jwe.unprotected.is_some() || r.header.is_some() || jwe.aad_b64.is_some() {
        return Err(crate::error::err!(
            InvalidConfig,
            "the compact serialization has no unprotected header or AAD; use the JSON serialization"
        ));
    }
    let mut out = String::with_capacity(
        jwe.protected_b64.len()
            + (r.encrypted_key.len() + jwe.iv.len() + jwe.ciphertext.len() + jwe.tag.len()) * 4 / 3
            + 8,
    );
    out.push_str(&jwe.protected_b64);
    for part in [&r.encrypted_key, &jwe.iv, &jwe.ciphertext, &jwe.tag] {
        out.push('.');
        crate::base64url::encode_into(part, &mut out);
    }
    Ok(out)
}
