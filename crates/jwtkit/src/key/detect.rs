//! Key documents recognised by content, never by file name: PEM armour, JSON (JWK or JWK Set),
//! or DER (certificate, SPKI, PKCS#8, PKCS#1, SEC1).

use super::{Key, bad_key, der};
use crate::error::Result;

/// A DER key document: the key and what the DER was (for [`crate::jwk::KeyFormat::Der`]).
pub(crate) fn load_der(bytes: &[u8]) -> Result<(Key, &'static str)> {
    if der::certificate(bytes).is_some() {
        return Ok((Key::from_certificate(bytes)?, "X.509 certificate"));
    }
    if der::spki(bytes).is_some() {
        return Ok((Key::from_spki(bytes)?, "SubjectPublicKeyInfo"));
    }
    if der::pkcs8(bytes).is_some() {
        return Ok((Key::from_pkcs8(bytes)?, "PKCS#8"));
    }
    if der::rsa_private_key(bytes).is_some() {
        return Ok((Key::from_pkcs1_private(bytes)?, "PKCS#1 RSAPrivateKey"));
    }
    if der::rsa_public_key(bytes).is_some() {
        return Ok((Key::from_pkcs1_public(bytes)?, "PKCS#1 RSAPublicKey"));
    }
    if der::sec1_curve(bytes).is_some() {
        return Ok((Key::from_sec1(bytes)?, "SEC1 ECPrivateKey"));
    }
    Err(bad_key(
        "DER data is not a certificate, SubjectPublicKeyInfo, PKCS#8, PKCS#1 or SEC1 key",
    ))
}

/// Whether `bytes` are a key document rather than a secret: PEM armour anywhere (as the key
/// loader finds it), an RFC 4716 SSH2 block, an OpenSSH public key line (also with
/// authorized_keys options or as a certificate), a JWK, JWK Set or `{"jwk": …}` (also inside an
/// array, with duplicate members), DER that has a key's or certificate's structure, or the
/// base64 of such DER (a PEM body without armour, Keycloak's "public key"). A UTF-8 byte order
/// mark, UTF-16 text and any Unicode white space around it change nothing. Given as an HMAC
/// secret, such bytes are the algorithm-confusion attack (CVE-2016-10555, CVE-2022-29217,
/// CVE-2024-33663 class).
pub(crate) fn is_public_key_text(bytes: &[u8]) -> bool {
    let text = as_text(bytes);
    let trimmed = text
        .as_deref()
        .map(|t| t.trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}'));
    if let Some(t) = trimmed {
        if t.contains("-----BEGIN ") || t.contains("---- BEGIN SSH2 ") || openssh_line(t) || jwk_json(t) {
            return true;
        }
        if let Some(der_bytes) = base64_der(t) {
            return der_structure(&der_bytes);
        }
    }
    let start = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(bytes.len());
    let end = bytes
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(start, |i| i + 1);
    // DER may itself end in a byte that reads as ASCII whitespace (0x09..0x0d, 0x20): try each
    // cut between the last non-whitespace byte and the end (a few at most), not only the
    // fully trimmed one.
    (end..=bytes.len())
        .take(16)
        .any(|e| der_structure(bytes.get(start..e.max(start)).unwrap_or_default()))
}

/// The bytes as text: UTF-8 (a BOM removed), or UTF-16 with a BOM or with the NULs of ASCII.
fn as_text(bytes: &[u8]) -> Option<std::borrow::Cow<'_, str>> {
    let utf16 = |le: bool, body: &[u8]| {
        let units: Vec<u16> = body
            .chunks_exact(2)
            .map(|c| match c {
                [a, b] if le => u16::from_le_bytes([*a, *b]),
                [a, b] => u16::from_be_bytes([*a, *b]),
                _ => 0,
            })
            .collect();
        String::from_utf16(&units).ok().map(std::borrow::Cow::Owned)
    };
    match bytes {
        [0xff, 0xfe, rest @ ..] => utf16(true, rest),
        [0xfe, 0xff, rest @ ..] => utf16(false, rest),
        [a, 0, ..] if a.is_ascii() && bytes.len().is_multiple_of(2) => utf16(true, bytes),
        [0, a, ..] if a.is_ascii() && bytes.len().is_multiple_of(2) => utf16(false, bytes),
        _ => std::str::from_utf8(bytes).ok().map(std::borrow::Cow::Borrowed),
    }
}

/// OpenSSH key type names (public keys, security keys, certificates).
const OPENSSH_TYPES: [&str; 9] = [
    "ssh-rsa",
    "ssh-dss",
    "ssh-ed25519",
    "ssh-ed448",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "sk-ssh-ed25519@openssh.com",
    "sk-ecdsa-sha2-nistp256@openssh.com",
];

/// A line with an OpenSSH key type followed by base64 whose SSH wire form (RFC 4253 §6.6) starts
/// with a type name: `ssh-ed25519 AAAAC3…`, `from="…" ssh-rsa AAAA…`, `ssh-rsa-cert-v01@openssh.com AAAA…`.
fn openssh_line(t: &str) -> bool {
    let words: Vec<&str> = t.split_whitespace().take(64).collect();
    words.windows(2).any(|w| match w {
        [kind, blob] => {
            let kind = kind.trim_end_matches("-cert-v01@openssh.com");
            OPENSSH_TYPES.contains(&kind) && ssh_blob(blob)
        }
        _ => false,
    })
}

/// Whether `blob` is base64 of an SSH wire blob: a 4-byte length, then an ASCII key type name.
fn ssh_blob(blob: &str) -> bool {
    use base64::Engine as _;
    // The type name is in the first bytes: decode a whole-quantum prefix only.
    let head = blob.get(..blob.len().min(96) / 4 * 4).unwrap_or_default();
    let Ok(raw) = base64::engine::general_purpose::STANDARD.decode(head) else {
        return false;
    };
    let Some((len, rest)) = raw.split_first_chunk::<4>() else {
        return false;
    };
    let n = u32::from_be_bytes(*len) as usize;
    (3..=64).contains(&n)
        && rest
            .get(..n)
            .is_some_and(|name| name.iter().all(|b| b.is_ascii_graphic()))
}

/// JSON holding a JWK anywhere in its first levels: `kty`, `keys` or `jwk` members.
fn jwk_json(t: &str) -> bool {
    if !(t.starts_with('{') || t.starts_with('[')) {
        return false;
    }
    fn has_key(v: &serde_json::Value, depth: usize) -> bool {
        match v {
            serde_json::Value::Object(o) => {
                o.contains_key("kty")
                    || o.contains_key("keys")
                    || o.contains_key("jwk")
                    || (depth < 4 && o.values().any(|x| has_key(x, depth + 1)))
            }
            serde_json::Value::Array(a) => depth < 4 && a.iter().take(100).any(|x| has_key(x, depth + 1)),
            _ => false,
        }
    }
    serde_json::from_str::<serde_json::Value>(t).is_ok_and(|v| has_key(&v, 0))
}

/// The bytes of `t` when it is one block of standard or URL-safe base64 (line breaks allowed).
fn base64_der(t: &str) -> Option<Vec<u8>> {
    use base64::Engine as _;
    if t.len() < 40
        || !t
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+/=-_\r\n".contains(&b))
    {
        return None;
    }
    let joined: String = t.split_whitespace().collect();
    let std = joined.replace('-', "+").replace('_', "/");
    base64::engine::general_purpose::STANDARD
        .decode(std.trim_end_matches('='))
        .or_else(|_| base64::engine::general_purpose::STANDARD_NO_PAD.decode(std.trim_end_matches('=')))
        .ok()
}

/// DER with the structure of a certificate or a key (checked structurally: a key too weak or
/// too odd to load is still a key, never a secret).
fn der_structure(bytes: &[u8]) -> bool {
    bytes.first() == Some(&0x30)
        && (der::certificate(bytes).is_some()
            || der::spki(bytes).is_some()
            || der::pkcs8(bytes).is_some()
            || der::rsa_private_key(bytes).is_some()
            || der::rsa_public_key(bytes).is_some()
            || der::sec1_curve(bytes).is_some())
}
