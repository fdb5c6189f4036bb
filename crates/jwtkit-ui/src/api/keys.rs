//! Keys as the page sends them: an HMAC secret (text, or base64 by a toggle), a pasted key
//! document (PEM, JWK or JWK Set, detected by [`jwtkit::jwk::load`]), or a JWKS / issuer URL
//! fetched by this server through [`jwtkit_remote::KeyCache`] (https, or http to loopback only).

use std::sync::Arc;

use serde::Deserialize;
use serde_json::{Value, json};

use jwtkit::diagnose::SecretInput;
use jwtkit::{Error, ErrorKind, JwkSet, Key};
use jwtkit_remote::{FetchPolicy, KeyLocation};

use crate::State;

/// Whether fetching keys from a URL is built in.
pub(crate) const REMOTE: bool = true;

/// Most key caches (one per URL) kept at once.
const MAX_URL_CACHES: usize = 32;

/// Which document a key URL names.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub(crate) enum UrlKind {
    /// A JWK Set document.
    #[default]
    Jwks,
    /// An OpenID Connect issuer: its discovery document names the JWK Set.
    Issuer,
}

/// A key as sent by the page.
#[derive(Clone, Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub(crate) enum KeyInput {
    /// An HMAC secret: its text's UTF-8 bytes, or the bytes it encodes in base64/base64url.
    Secret {
        value: String,
        #[serde(default)]
        base64: bool,
    },
    /// A key document: PEM (SPKI, PKCS#8, PKCS#1, SEC1, certificate), JWK or JWK Set.
    Key { value: String },
    /// A JWKS or issuer URL, fetched by this server.
    Url {
        value: String,
        #[serde(default)]
        kind: UrlKind,
    },
}

/// Keys loaded from a [`KeyInput`].
pub(crate) struct Loaded {
    /// Shared: a fetched JWK Set lives in the key cache.
    pub(crate) set: Arc<JwkSet>,
    /// What the input was (`"HMAC secret (text, 32 bytes)"`, `"PEM (PUBLIC KEY)"`, `"JWK Set"`).
    pub(crate) format: String,
    /// For diagnosis: how the secret was typed.
    pub(crate) secret: Option<SecretInput>,
    /// `"pem"`, `"jwk"`, `"jwks"`, `"der"`, `"secret"` or `"url"`: picks the CLI flag.
    pub(crate) form: &'static str,
}

fn bad_key(msg: &str) -> Error {
    Error::new(ErrorKind::BadKey, msg)
}

/// Decode a secret typed as base64 or base64url, padding optional.
fn decode_base64(text: &str) -> Option<Vec<u8>> {
    use base64::Engine as _;
    use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
    let t: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    let cfg = GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent);
    let alphabet = if t.contains(['-', '_']) {
        &base64::alphabet::URL_SAFE
    } else {
        &base64::alphabet::STANDARD
    };
    GeneralPurpose::new(alphabet, cfg).decode(t).ok()
}

impl KeyInput {
    /// Load the keys; for a URL, those to verify a token with header `kid` (an unknown `kid`
    /// refetches once, for rotation).
    ///
    /// # Errors
    /// `bad_key` for an empty or unreadable key or secret, and every error of
    /// [`jwtkit::jwk::load`]; for URLs, those of [`jwtkit_remote::KeyCache::keys_for_kid`]
    /// (`key_fetch_failed`, `invalid_config` for a refused URL, ...).
    pub(crate) async fn load(&self, st: &State, kid: Option<&str>) -> jwtkit::Result<Loaded> {
        let limits = &st.limits;
        match self {
            KeyInput::Secret { value, base64 } => {
                if value.is_empty() {
                    return Err(bad_key("enter the HMAC secret the token was signed with"));
                }
                let (bytes, secret, how) = if *base64 {
                    let bytes = decode_base64(value).ok_or_else(|| {
                        bad_key("the secret is not valid base64 or base64url; untick \"base64\" to use the text itself")
                    })?;
                    (bytes, SecretInput::Encoded(value.trim().to_string()), "base64")
                } else {
                    (
                        value.as_bytes().to_vec(),
                        SecretInput::Text(value.clone()),
                        "text",
                    )
                };
                let n = bytes.len();
                Ok(Loaded {
                    set: Arc::new(JwkSet::from_keys(vec![Key::hmac(bytes)])),
                    format: format!("HMAC secret ({how}, {n} bytes)"),
                    secret: Some(secret),
                    form: "secret",
                })
            }
            KeyInput::Key { value } => {
                if value.trim().is_empty() {
                    return Err(bad_key("paste a public key: PEM, JWK or JWK Set"));
                }
                let (set, format) = jwtkit::JwkSet::load(value.as_bytes(), limits)?;
                let form = match format {
                    jwtkit::jwk::KeyFormat::Jwk => "jwk",
                    jwtkit::jwk::KeyFormat::JwkSet => "jwks",
                    jwtkit::jwk::KeyFormat::Pem(_) => "pem",
                    jwtkit::jwk::KeyFormat::Der(_) => "der",
                };
                Ok(Loaded {
                    set: Arc::new(set),
                    format: format.to_string(),
                    secret: None,
                    form,
                })
            }
            KeyInput::Url { value, kind } => {
                let url = value.trim();
                if url.is_empty() {
                    return Err(bad_key("enter the JWK Set URL or the issuer URL"));
                }
                let source = match kind {
                    UrlKind::Jwks => KeyLocation::JwksUrl(url.to_string()),
                    UrlKind::Issuer => KeyLocation::Discovery {
                        issuer: url.to_string(),
                    },
                };
                // Bounded: every URL typed gets a cache; past 32, start again from empty.
                if st.remote.len() >= MAX_URL_CACHES {
                    st.remote.prune();
                }
                let cache = st.remote.get_or_create(source, FetchPolicy::default())?;
                let set = cache.keys_for_kid(kid).await?;
                let format = match (kind, cache.discovery()) {
                    (UrlKind::Issuer, Some(d)) => {
                        format!("JWK Set of issuer {} (from {})", d.issuer, d.jwks_uri)
                    }
                    _ => format!("JWK Set from {url}"),
                };
                Ok(Loaded {
                    set,
                    format,
                    secret: None,
                    form: "url",
                })
            }
        }
    }
}

/// One key described for the page (never its material).
pub(crate) fn describe(key: &Key) -> Value {
    json!({
        "label": key.label(),
        "kid": key.kid(),
        "family": key.family().to_string(),
        "kty": key.family().kty(),
        "bits": key.bits(),
        "private": key.is_private(),
        "thumbprint": key.shown_thumbprint(),
        "algorithms": key.algorithms().iter().map(|a| a.as_str()).collect::<Vec<_>>(),
    })
}

/// The loaded keys described for the page.
pub(crate) fn summary(loaded: &Loaded) -> Value {
    json!({
        "format": loaded.format,
        "keys": loaded.set.keys().iter().take(100).map(describe).collect::<Vec<_>>(),
        "ignored": loaded.set.ignored().iter().map(|i| json!({"index": i.index, "kid": i.kid, "reason": i.reason})).collect::<Vec<_>>(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_forms() {
        assert_eq!(decode_base64("c2VjcmV0").unwrap(), b"secret");
        assert_eq!(decode_base64("c2VjcmV0\n").unwrap(), b"secret");
        assert_eq!(decode_base64("aGk=").unwrap(), b"hi");
        assert_eq!(decode_base64("aGk").unwrap(), b"hi");
        assert_eq!(decode_base64("-_8").unwrap(), [0xfb, 0xff]);
        assert_eq!(decode_base64("+/8").unwrap(), [0xfb, 0xff]);
        assert!(decode_base64("not base64!").is_none());
    }
}
