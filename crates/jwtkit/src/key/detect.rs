//! Key documents recognised by content, never by file name: PEM armour, JSON (JWK or JWK Set),
//! or DER (certificate, SPKI, PKCS#8, PKCS#1, SEC1).

use super::{Key, bad_key, der};
use crate::error::Result;
use crate::{JwkSet, Limits};

/// What a key document turned out to be.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeyFormat {
    /// One JWK (RFC 7517 §4).
    Jwk,
    /// A JWK Set (RFC 7517 §5).
    JwkSet,
    /// PEM; the labels of the blocks used (`"PUBLIC KEY"`, `"EC PRIVATE KEY"`, ...).
    Pem(Vec<String>),
    /// DER; what it was (`"SubjectPublicKeyInfo"`, `"PKCS#8"`, `"PKCS#1 RSAPrivateKey"`, ...).
    Der(&'static str),
}

impl std::fmt::Display for KeyFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            KeyFormat::Jwk => f.write_str("JWK"),
            KeyFormat::JwkSet => f.write_str("JWK Set"),
            KeyFormat::Pem(labels) => write!(f, "PEM ({})", labels.join(", ")),
            KeyFormat::Der(kind) => write!(f, "DER ({kind})"),
        }
    }
}

impl JwkSet {
    /// Load every key in a document, detecting its format by content.
    ///
    /// A PEM file may hold several blocks (a key and its certificate chain; OpenSSL's
    /// `EC PARAMETERS` block is skipped). A JWK Set keeps the keys it can use and records the
    /// others in [`JwkSet::ignored`] (RFC 7517 §5).
    ///
    /// # Errors
    /// `resource_limit` above `limits.max_key_document_bytes`; `bad_key` for unrecognised or
    /// unsupported content (encrypted PEM, OpenSSH keys, Ed448); `bad_json` / `duplicate_member`
    /// for malformed JSON.
    ///
    /// ```
    /// let pem = "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=\n-----END PUBLIC KEY-----\n";
    /// let (set, format) = jwtkit::JwkSet::load(pem.as_bytes(), &jwtkit::Limits::default())?;
    /// assert_eq!(set.keys().len(), 1);
    /// assert_eq!(format.to_string(), "PEM (PUBLIC KEY)");
    /// # Ok::<(), jwtkit::Error>(())
    /// ```
    pub fn load(bytes: &[u8], limits: &Limits) -> Result<(JwkSet, KeyFormat)> {
        crate::limits::check("key_document_bytes", limits.max_key_document_bytes, bytes.len())?;
        let start = bytes
            .iter()
            .position(|b| !b.is_ascii_whitespace())
            .unwrap_or(bytes.len());
        let body = bytes.get(start..).unwrap_or_default();
        if body.starts_with(b"-----BEGIN") {
            return load_pem(body);
        }
        // PEM with text around it (`openssl pkcs12 -nodes` "Bag Attributes", a key pasted from an
        // e-mail): start at the first armour line, as OpenSSL does.
        if body.first() != Some(&b'{')
            && let Some(at) = body.windows(11).position(|w| w == b"-----BEGIN ")
        {
            return load_pem(body.get(at..).unwrap_or_default());
        }
        if body.first() == Some(&b'{') {
            let obj = crate::json::parse_object(body, limits)?;
            if obj.contains_key("keys") {
                return Ok((JwkSet::from_object(&obj, limits)?, KeyFormat::JwkSet));
            }
            let key = Key::from_jwk(&obj)?;
            return Ok((JwkSet::from_keys(vec![key]), KeyFormat::Jwk));
        }
        if body.first() == Some(&0x30) {
            let (key, kind) = load_der(bytes)?;
            return Ok((JwkSet::from_keys(vec![key]), KeyFormat::Der(kind)));
        }
        Err(bad_key(
            "not a key: expected PEM (-----BEGIN ...), a JWK or JWK Set (JSON), or DER; \
             for an HMAC secret use --secret instead of --key",
        ))
    }
}

fn load_pem(text: &[u8]) -> Result<(JwkSet, KeyFormat)> {
    let blocks = pem::parse_many(text).map_err(|e| bad_key(format!("malformed PEM: {e}")))?;
    if blocks.is_empty() {
        return Err(bad_key("malformed PEM: no complete block"));
    }
    let mut keys = Vec::new();
    let mut labels = Vec::new();
    for b in &blocks {
        let der_bytes = b.contents();
        let key = match b.tag() {
            "PUBLIC KEY" => Key::from_spki(der_bytes)?,
            "RSA PUBLIC KEY" => Key::from_pkcs1_public(der_bytes)?,
            "PRIVATE KEY" => Key::from_pkcs8(der_bytes)?,
            "RSA PRIVATE KEY" => Key::from_pkcs1_private(der_bytes)?,
            "EC PRIVATE KEY" => Key::from_sec1(der_bytes)?,
            "CERTIFICATE" | "TRUSTED CERTIFICATE" => Key::from_certificate(der_bytes)?,
            "EC PARAMETERS" => continue,
            "ENCRYPTED PRIVATE KEY" => {
                return Err(bad_key(
                    "encrypted private keys are not supported; decrypt it first \
                     (openssl pkcs8 -in key.pem -out plain.pem)",
                ));
            }
            "OPENSSH PRIVATE KEY" => {
                return Err(bad_key(
                    "OpenSSH private keys are not supported; convert with \
                     ssh-keygen -p -m PKCS8 -f KEYFILE",
                ));
            }
            other => {
                return Err(bad_key(format!(
                    "PEM block {} is not a key (expected PUBLIC KEY, PRIVATE KEY, RSA PRIVATE KEY, \
                     EC PRIVATE KEY or CERTIFICATE)",
                    crate::text::quote(other)
                )));
            }
        };
        labels.push(b.tag().to_string());
        keys.push(key);
    }
    if keys.is_empty() {
        return Err(bad_key("the PEM file has no key block"));
    }
    Ok((JwkSet::from_keys(keys), KeyFormat::Pem(labels)))
}

fn load_der(bytes: &[u8]) -> Result<(Key, &'static str)> {
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

impl Key {
    /// Load exactly one key from PEM text.
    ///
    /// # Errors
    /// As [`JwkSet::load`](crate::JwkSet::load); `bad_key` when the PEM holds no key or several different keys.
    pub fn from_pem(text: &str) -> Result<Key> {
        let (set, _) = load_pem(text.trim_start().as_bytes())?;
        set.into_single()
    }

    /// Load exactly one key from DER (any supported structure).
    ///
    /// # Errors
    /// As [`JwkSet::load`](crate::JwkSet::load).
    pub fn from_der(bytes: &[u8]) -> Result<Key> {
        load_der(bytes).map(|(k, _)| k)
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    /// `openssl pkcs12 -nodes` writes "Bag Attributes" before each block; e-mails add prose.
    #[test]
    fn pem_with_text_around_it() {
        let pem = "Bag Attributes\n    localKeyID: 01 00 00 00\nsubject=/CN=demo\n-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=\n-----END PUBLIC KEY-----\nthanks!\n";
        let (set, format) = JwkSet::load(pem.as_bytes(), &Limits::default()).unwrap();
        assert_eq!(set.keys().len(), 1);
        assert_eq!(format, KeyFormat::Pem(vec!["PUBLIC KEY".into()]));
        assert_eq!(
            set.keys()[0].family(),
            crate::KeyFamily::Okp(crate::OkpCurve::Ed25519)
        );
    }

    /// `openssl genpkey -algorithm RSA-PSS` writes PKCS#8 with the id-RSASSA-PSS OID, which
    /// aws-lc-rs refuses ("invalid RSA private key: WrongAlgorithm"); its public key loaded.
    #[test]
    fn rsa_pss_private_key_in_pkcs8() {
        let private = include_str!("../../tests/fixtures/keys/rsa-pss.pem");
        let public = include_str!("../../tests/fixtures/keys/rsa-pss.pub.pem");
        let (set, _) = JwkSet::load(private.as_bytes(), &Limits::default()).unwrap();
        let key = &set.keys()[0];
        assert_eq!(key.family(), crate::KeyFamily::Rsa);
        assert_eq!(key.bits(), 2048);
        let (pub_set, _) = JwkSet::load(public.as_bytes(), &Limits::default()).unwrap();
        assert_eq!(key.thumbprint(), pub_set.keys()[0].thumbprint());
        let signer = crate::jws::Signer::new(key, crate::JwsAlg::PS256)
            .unwrap()
            .build()
            .unwrap();
        let token = signer.sign_claims(&crate::json::Object::new()).unwrap();
        let v = crate::Validation::builder([crate::JwsAlg::PS256])
            .build()
            .unwrap();
        crate::verify(&token, &pub_set, &v).unwrap();
        // RFC 4055: an id-RSASSA-PSS key is for PSS only, never PKCS#1 v1.5 (RS*).
        use crate::JwsAlg::{PS256, PS384, PS512, RS256};
        for k in [key, &pub_set.keys()[0]] {
            assert!(k.is_pss_only());
            assert_eq!(
                k.algorithms(),
                crate::AlgorithmSet::<crate::JwsAlg>::from([PS256, PS384, PS512])
            );
        }
        assert!(key.to_public().unwrap().is_pss_only());
        let Err(e) = crate::jws::Signer::new(key, RS256) else {
            panic!("an RSASSA-PSS key signed RS256")
        };
        assert_eq!(e.kind(), crate::ErrorKind::KeyMismatch);
        assert!(
            e.message().contains("RSASSA-PSS key (RFC 4055)"),
            "{}",
            e.message()
        );
        // A token signed RS256 with the same RSA numbers (a plain rsaEncryption key) is refused.
        let plain = crate::Key::from_pkcs8(&key.private_key_der().unwrap()).unwrap();
        assert!(!plain.is_pss_only());
        let rs = crate::jws::Signer::new(&plain, RS256)
            .unwrap()
            .build()
            .unwrap()
            .sign_claims(&crate::json::Object::new())
            .unwrap();
        let v = crate::Validation::builder([RS256]).build().unwrap();
        let e = crate::verify(&rs, &pub_set, &v).unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::KeyMismatch, "{}", e.message());
    }
}
