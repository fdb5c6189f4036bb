//! Key documents recognised by content, never by file name ([`JwkSet::load`]): PEM armour, JSON
//! (JWK or JWK Set), or DER (certificate, SPKI, PKCS#8, PKCS#1, SEC1).

use super::{JwkSet, Key};
use crate::Limits;
use crate::error::Result;
use crate::key::{bad_key, load_der};

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
