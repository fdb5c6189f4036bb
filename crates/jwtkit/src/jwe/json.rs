//! JWE JSON Serialization, RFC 7516 §7.2: general (`recipients` array, §7.2.1) and flattened
//! (one recipient's `header` and `encrypted_key` at the top level, §7.2.2).
//!
//! The document is parsed strictly (duplicate members rejected, depth bounded); the number of
//! recipients is checked against [`Limits::max_recipients`] before any recipient is looked at.
//! Members this implementation does not know are ignored, as §7.2.1 requires.

use serde_json::{Map, Value};

use super::{Jwe, Recipient, Serialization};
use crate::Limits;
use crate::error::{Result, err};
use crate::json::Object;

fn member_b64(obj: &Object, name: &str, required: bool) -> Result<Option<Vec<u8>>> {
    match obj.get(name) {
        None if required => Err(err!(
            Malformed,
            "the JWE JSON serialization has no \"{name}\" member"
        )),
        None => Ok(None),
        Some(Value::String(s)) => crate::base64url::decode(s)
            .map(Some)
            .map_err(|p| err!(BadBase64, "member \"{name}\" {}", p.describe())),
        Some(v) => Err(err!(
            Malformed,
            "member \"{name}\" must be a base64url string, found {}",
            crate::json::type_name(v)
        )),
    }
}

fn member_object(obj: &Object, name: &str) -> Result<Option<Object>> {
    match obj.get(name) {
        None => Ok(None),
        Some(Value::Object(o)) => Ok(Some(o.clone())),
        Some(v) => Err(err!(
            Malformed,
            "member \"{name}\" must be a JSON object, found {}",
            crate::json::type_name(v)
        )),
    }
}

/// Parse a JWE JSON serialization (general or flattened) without decrypting it.
///
/// # Errors
/// `resource_limit` (size, depth, more than `limits.max_recipients` recipients), `bad_json`,
/// `duplicate_member`, `malformed` (missing `ciphertext`, wrong member types, both `recipients`
/// and flattened members, header parameter rules of [`super::JweHeader::merge`]), `bad_base64`.
pub(crate) fn parse(text: &str, limits: &Limits) -> Result<Jwe> {
    crate::limits::check("token_bytes", limits.max_token_bytes, text.len())?;
    let doc = crate::json::parse_object(text.as_bytes(), limits)?;
    parse_object(&doc, limits)
}

pub(crate) fn parse_object(doc: &Object, limits: &Limits) -> Result<Jwe> {
    let (protected_b64, protected) = match doc.get("protected") {
        None => (String::new(), Object::new()),
        Some(Value::String(s)) => {
            let bytes = crate::base64url::decode(s)
                .map_err(|p| err!(BadBase64, "member \"protected\" {}", p.describe()))?;
            let obj =
                crate::json::parse_object(&bytes, limits).map_err(|e| e.context("protected header: "))?;
            (s.clone(), obj)
        }
        Some(v) => {
            return Err(err!(
                Malformed,
                "member \"protected\" must be a base64url string, found {}",
                crate::json::type_name(v)
            ));
        }
    };
    let unprotected = member_object(doc, "unprotected")?;
    let (serialization, recipients) = match doc.get("recipients") {
        Some(Value::Array(list)) => {
            if doc.contains_key("header") || doc.contains_key("encrypted_key") {
                return Err(err!(
                    Malformed,
                    "a JWE has both \"recipients\" and flattened \"header\"/\"encrypted_key\" members (RFC 7516 §7.2.2)"
                ));
            }
            if list.is_empty() {
                return Err(err!(Malformed, "\"recipients\" is empty"));
            }
            crate::limits::check("recipients", limits.max_recipients, list.len())?;
            let mut out = Vec::with_capacity(list.len());
            for (i, r) in list.iter().enumerate() {
                let Value::Object(r) = r else {
                    return Err(err!(Malformed, "recipient {i} must be a JSON object"));
                };
                out.push(Recipient {
                    header: member_object(r, "header").map_err(|e| e.context(&format!("recipient {i}: ")))?,
                    encrypted_key: member_b64(r, "encrypted_key", false)
                        .map_err(|e| e.context(&format!("recipient {i}: ")))?
                        .unwrap_or_default(),
                });
            }
            (Serialization::General, out)
        }
        Some(v) => {
            return Err(err!(
                Malformed,
                "member \"recipients\" must be an array, found {}",
                crate::json::type_name(v)
            ));
        }
        None => (
            Serialization::Flattened,
            vec![Recipient {
                header: member_object(doc, "header")?,
                encrypted_key: member_b64(doc, "encrypted_key", false)?.unwrap_or_default(),
            }],
        ),
    };
    let aad_b64 = match doc.get("aad") {
        None => None,
        Some(Value::String(s)) => {
            crate::base64url::decode(s).map_err(|p| err!(BadBase64, "member \"aad\" {}", p.describe()))?;
            Some(s.clone())
        }
        Some(v) => {
            return Err(err!(
                Malformed,
                "member \"aad\" must be a base64url string, found {}",
                crate::json::type_name(v)
            ));
        }
    };
    let jwe = Jwe {
        serialization,
        protected_b64,
        protected,
        unprotected,
        recipients,
        iv: member_b64(doc, "iv", false)?.unwrap_or_default(),
        ciphertext: member_b64(doc, "ciphertext", true)?.unwrap_or_default(),
        tag: member_b64(doc, "tag", false)?.unwrap_or_default(),
        aad_b64,
        headers: Vec::new(),
    };
    // Header rules are checked for every recipient up front: a malformed recipient header
    // makes the whole document malformed, whichever recipient the caller's key fits.
    jwe.with_headers()
}

/// Serialize as general (`flattened == false`) or flattened JSON.
pub(crate) fn serialize(jwe: &Jwe, flattened: bool) -> Result<String> {
    let mut m = Map::new();
    if !jwe.protected_b64.is_empty() {
        m.insert("protected".into(), jwe.protected_b64.clone().into());
    }
    if let Some(u) = &jwe.unprotected {
        m.insert("unprotected".into(), Value::Object(u.clone()));
    }
    let recipient_json = |r: &Recipient| {
        let mut o = Map::new();
        if let Some(h) = &r.header {
            o.insert("header".into(), Value::Object(h.clone()));
        }
        if !r.encrypted_key.is_empty() {
            o.insert(
                "encrypted_key".into(),
                crate::base64url::encode(&r.encrypted_key).into(),
            );
        }
        o
    };
    if flattened {
        let [r] = jwe.recipients.as_slice() else {
            return Err(err!(
                InvalidConfig,
                "the flattened JSON serialization has exactly one recipient; use the general form"
            ));
        };
        m.extend(recipient_json(r));
    } else {
        m.insert(
            "recipients".into(),
            Value::Array(
                jwe.recipients
                    .iter()
                    .map(|r| Value::Object(recipient_json(r)))
                    .collect(),
            ),
        );
    }
    if let Some(a) = &jwe.aad_b64 {
        m.insert("aad".into(), a.clone().into());
    }
    m.insert("iv".into(), crate::base64url::encode(&jwe.iv).into());
    m.insert(
        "ciphertext".into(),
        crate::base64url::encode(&jwe.ciphertext).into(),
    );
    m.insert("tag".into(), crate::base64url::encode(&jwe.tag).into());
    serde_json::to_string(&Value::Object(m))
        .map_err(|e| err!(InvalidConfig, "JSON serialization failed: {e}"))
}

/// Whether a parsed JSON document looks like a JWE (has `ciphertext`) rather than a JWS.
pub(crate) fn is_jwe(doc: &Object) -> bool {
    doc.contains_key("ciphertext")
}
