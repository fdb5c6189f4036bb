//! Encrypted tokens: a JWE ([RFC 7516] §7.1, compact) holding a nested JWT ([RFC 7519] §5.2,
//! §7.2 steps 8–9), decrypted with the provider's `decryption_key` and then verified through
//! the provider's normal signature path (keys from its `KeyCache`, unknown-`kid` refetch,
//! claims validation).
//!
//! All JOSE work is the core's: [`jwtkit::jwe::decrypt_parsed`] (the fixed order of
//! `jwtkit::manual::jwe_decryption_order`, two allowlists, no padding or key-unwrap oracle:
//! every failure from key management on is the same `decrypt_failed`) and
//! [`jwtkit::jwe::nested_jwt`] (the nested JWT, or a refusal of an unsigned claims set, which
//! anyone holding the encryption key could have made). The gateway only chooses the key and
//! the provider.
//!
//! Bearer tokens are compact (RFC 6750 §2.1 `b64token`): JWE JSON serializations are refused.
//! `RSA1_5` and `PBES2-*` are refused at config time ([`crate::config`]).
//!
//! [RFC 7516]: https://www.rfc-editor.org/rfc/rfc7516
//! [RFC 7519]: https://www.rfc-editor.org/rfc/rfc7519

use std::sync::Arc;

use jwtkit::jwe::{self, DecryptOptions, Jwe, Serialization};
use jwtkit::{EncAlg, EncSet, Error, ErrorKind, JwkSet, KeyMgmtAlg, KeyMgmtSet, Limits};

use crate::config::{KeyDocument, ProviderConfig};
use crate::provider::Provider;

/// A provider's decryption setup, built from its config at start and on every reload.
pub struct Decryption {
    keys: JwkSet,
    options: DecryptOptions,
    /// Plain (signed, unencrypted) tokens are rejected for the provider.
    pub required: bool,
    /// Where the key came from (a path or `env:VAR`), for `--check` and `explain`.
    pub source: String,
    /// Key thumbprints and allowlists: two providers with the same fingerprint decrypt alike.
    fingerprint: String,
}

/// A JWE that decrypted, with its nested JWT (not verified yet).
#[derive(Debug)]
pub struct Opened {
    /// Key Management Algorithm used.
    pub alg: KeyMgmtAlg,
    /// Content Encryption Algorithm used.
    pub enc: EncAlg,
    /// The decryption key's label (`kid "…"` or thumbprint).
    pub key: String,
    /// The nested JWT's compact serialization.
    pub nested: String,
}

/// Where opening a JWE failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    /// Parsing, allowlists, key selection or decryption (`jwe_decryption_order` J1–J11).
    Decrypt,
    /// The plaintext is not a nested JWT (J12).
    Nested,
}

/// Why a JWE was not opened.
#[derive(Debug)]
pub struct OpenError {
    /// The stage that failed.
    pub stage: Stage,
    /// The core's error (logged and shown by `explain`; clients get the fixed `decrypt_failed`
    /// description).
    pub error: Error,
}

impl OpenError {
    fn decrypt(error: Error) -> OpenError {
        OpenError {
            stage: Stage::Decrypt,
            error,
        }
    }
}

/// A JWE Compact Serialization by shape (five segments), not yet parsed.
pub fn is_compact_jwe(token: &str) -> bool {
    !token.starts_with('{') && token.bytes().filter(|b| *b == b'.').count() == 4
}

impl Decryption {
    /// Load the provider's decryption key and allowlists (`None` without `decryption_key`).
    /// `limits` bound the token (and the inflated plaintext, a nested JWT of the same size).
    ///
    /// # Errors
    /// An unreadable key document, a key set with no private key for one of the key
    /// management algorithms, or an invalid allowlist (normally caught by `Config::validate`).
    pub fn new(p: &ProviderConfig, limits: Limits) -> anyhow::Result<Option<Decryption>> {
        let Some(spec) = &p.decryption_key else {
            return Ok(None);
        };
        let doc = KeyDocument::parse(spec)?;
        let bytes = doc.read().map_err(|e| anyhow::anyhow!("decryption_key: {e:#}"))?;
        let (keys, _) = jwtkit::key::load(&bytes, &Limits::default())
            .map_err(|e| anyhow::anyhow!("decryption_key {doc}: {}", e.message()))?;
        let mut key_algorithms = KeyMgmtSet::empty();
        for a in &p.key_management_algorithms {
            let alg = a
                .parse::<KeyMgmtAlg>()
                .map_err(|e| anyhow::anyhow!("key_management_algorithms: {}", e.message()))?;
            if alg == KeyMgmtAlg::RSA1_5 || alg.is_pbes2() {
                anyhow::bail!("key_management_algorithms: {alg} is refused by the gateway");
            }
            if !keys.keys().iter().any(|k| k.is_private() && alg.fits(k.family())) {
                anyhow::bail!(
                    "decryption_key {doc} holds no private key for {alg} (needs {}); keys: {}",
                    alg.key_description(),
                    keys.labels().join(", ")
                );
            }
            key_algorithms = key_algorithms.with(alg);
        }
        let mut encryptions = EncSet::empty();
        for e in &p.content_encryption_algorithms {
            encryptions = encryptions.with(
                e.parse::<EncAlg>()
                    .map_err(|e| anyhow::anyhow!("content_encryption_algorithms: {}", e.message()))?,
            );
        }
        let mut options = DecryptOptions::new(key_algorithms, encryptions);
        options.limits = Limits {
            max_inflated_bytes: limits.max_token_bytes,
            ..limits
        };
        let mut prints: Vec<&str> = keys.keys().iter().map(|k| k.thumbprint()).collect();
        prints.sort_unstable();
        let fingerprint = format!(
            "{}|{}|{}",
            prints.join(","),
            key_algorithms
                .iter()
                .map(KeyMgmtAlg::as_str)
                .collect::<Vec<_>>()
                .join(","),
            encryptions
                .iter()
                .map(EncAlg::as_str)
                .collect::<Vec<_>>()
                .join(",")
        );
        Ok(Some(Decryption {
            keys,
            options,
            required: p.require_encryption,
            source: doc.to_string(),
            fingerprint,
        }))
    }

    /// Whether `other` has the same keys and allowlists.
    pub fn same_as(&self, other: &Decryption) -> bool {
        self.fingerprint == other.fingerprint
    }

    /// One line for `--check` and `explain`: allowlists and keys.
    pub fn summary(&self) -> String {
        format!(
            "alg [{}], enc [{}], {} key(s) from {}{}",
            self.options
                .key_algorithms
                .iter()
                .map(KeyMgmtAlg::as_str)
                .collect::<Vec<_>>()
                .join(", "),
            self.options
                .encryptions
                .iter()
                .map(EncAlg::as_str)
                .collect::<Vec<_>>()
                .join(", "),
            self.keys.keys().len(),
            self.source,
            if self.required {
                ", encryption required"
            } else {
                ""
            }
        )
    }

    /// Decrypt a compact JWE and take out its nested JWT.
    ///
    /// # Errors
    /// [`Stage::Decrypt`]: the kinds of [`jwtkit::jwe::decrypt`] (`malformed` for a JSON
    /// serialization); [`Stage::Nested`]: `bad_signature` for an unsigned claims set,
    /// `malformed` for a plaintext that is not UTF-8.
    pub fn open(&self, token: &str) -> Result<Opened, OpenError> {
        let jwe = Jwe::parse(token, &self.options.limits).map_err(OpenError::decrypt)?;
        if jwe.serialization() != Serialization::Compact {
            return Err(OpenError::decrypt(Error::new(
                ErrorKind::Malformed,
                "a JWE JSON serialization is not a bearer token; send the compact serialization",
            )));
        }
        let d = jwe::decrypt_parsed(&jwe, &self.keys, &self.options).map_err(OpenError::decrypt)?;
        let nested = jwe::nested_jwt(&d, &self.options)
            .map_err(|error| OpenError {
                stage: Stage::Nested,
                error,
            })?
            .ok_or_else(|| OpenError {
                stage: Stage::Nested,
                error: Error::new(ErrorKind::BadSignature, "the JWE holds no nested JWT"),
            })?;
        Ok(Opened {
            alg: d.alg,
            enc: d.enc,
            key: self
                .keys
                .keys()
                .get(d.key_index)
                .map_or_else(String::new, jwtkit::Key::label),
            nested: nested.to_string(),
        })
    }
}

/// Choose the provider of a route for a compact JWE and open it.
///
/// Only providers with a `decryption_key` are candidates. With one, it decrypts. With several,
/// each distinct decryption setup is tried in config order (at most one attempt per setup);
/// the first that decrypts yields the nested JWT, whose (unverified) `iss` then selects among
/// the providers sharing that setup — only to choose: the nested JWT is then verified by that
/// provider, `iss` included.
///
/// # Errors
/// No candidate (`decrypt_failed`, stage decrypt); the first setup's error when none
/// decrypts; `bad_issuer` / `missing_claim` when the nested `iss` names none of the providers
/// sharing the key.
pub fn open_for_route<'p>(
    providers: &'p [Arc<Provider>],
    token: &str,
) -> Result<(&'p Arc<Provider>, Opened), OpenError> {
    let candidates: Vec<(&Arc<Provider>, &Decryption)> = providers
        .iter()
        .filter_map(|p| p.decryption.as_deref().map(|d| (p, d)))
        .collect();
    let mut first_err: Option<OpenError> = None;
    let mut tried: Vec<&Decryption> = Vec::new();
    for (p, d) in &candidates {
        if tried.iter().any(|t| t.same_as(d)) {
            continue;
        }
        tried.push(d);
        let opened = match d.open(token) {
            Ok(o) => o,
            Err(e) => {
                first_err.get_or_insert(e);
                continue;
            }
        };
        let sharing: Vec<&Arc<Provider>> = candidates
            .iter()
            .filter(|(_, q)| q.same_as(d))
            .map(|(q, _)| *q)
            .collect();
        if let [only] = sharing.as_slice() {
            return Ok((only, opened));
        }
        let u = jwtkit::dangerous::decode_unverified(&opened.nested, p.validation.limits());
        let iss = u.claims().and_then(|c| c.get("iss")).and_then(|v| v.as_str());
        let chosen = match iss {
            Some(iss) => sharing.into_iter().find(|q| q.issuer == iss).ok_or_else(|| {
                Error::new(
                    ErrorKind::BadIssuer,
                    "the nested JWT's iss names none of the route's providers that decrypt with this key",
                )
            }),
            None => Err(Error::new(
                ErrorKind::MissingClaim,
                "the nested JWT has no iss to choose among the route's providers",
            )),
        };
        return chosen.map(|q| (q, opened)).map_err(|error| OpenError {
            stage: Stage::Nested,
            error,
        });
    }
    Err(first_err.unwrap_or_else(|| {
        OpenError::decrypt(Error::new(
            ErrorKind::DecryptFailed,
            "no provider of this route has a decryption_key: encrypted tokens are not accepted",
        ))
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compact_jwe_shape() {
        assert!(is_compact_jwe("a.b.c.d.e"));
        assert!(is_compact_jwe("a..c.d.e"));
        assert!(!is_compact_jwe("a.b.c"));
        assert!(!is_compact_jwe("a.b.c.d.e.f"));
        assert!(!is_compact_jwe(r#"{"protected":"a.b.c.d.e"}"#));
    }
}
