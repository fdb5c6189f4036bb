//! Encrypted tokens: a JWE ([RFC 7516] §7.1, compact) holding a nested JWT ([RFC 7519] §5.2,
//! §7.2 steps 8–9), decrypted with the provider's `decryption_key` and then verified through
//! the provider's normal signature path (keys from its `KeyCache`, unknown-`kid` refetch,
//! claims validation).
//!
//! All JOSE work is the core's: [`jwtkit::jwe::Jwe::decrypt`] (the fixed order of
//! `jwtkit::Check`, section *JWE decryption order*, two allowlists, no padding or key-unwrap oracle:
//! every failure from key management on is the same `decrypt_failed`) and
//! [`jwtkit::jwe::Decrypted::nested_jwt`] (the nested JWT, or a refusal of an unsigned claims set, which
//! anyone holding the encryption key could have made). The gateway only chooses the key and
//! the provider.
//!
//! Bearer tokens are compact (RFC 6750 §2.1 `b64token`): JWE JSON serializations are refused.
//! `RSA1_5` and `PBES2-*` are refused when the config is built (`EncryptionSpec::parse`, run
//! by [`crate::provider::Provider::new`]).
//!
//! [RFC 7516]: https://www.rfc-editor.org/rfc/rfc7516
//! [RFC 7519]: https://www.rfc-editor.org/rfc/rfc7519

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, bail};
use jwtkit::jwe::{DecryptOptions, Jwe, Serialization};
use jwtkit::{AlgorithmSet, EncAlg, Error, ErrorKind, JwkSet, KeyMgmtAlg, Limits};

use crate::config::ProviderConfig;
use crate::provider::Provider;

/// Where a key document comes from: `decryption_key = "keys/enc.jwk"`, `"@keys/enc.jwk"` or
/// `"env:VAR"`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeyDocument {
    /// A file (PEM, DER, JWK or JWK Set).
    File(PathBuf),
    /// An environment variable holding the document (PEM, JWK or JWK Set text).
    Env(String),
}

impl KeyDocument {
    /// Parse the config value.
    ///
    /// # Errors
    /// An empty value, path or variable name.
    pub fn parse(spec: &str) -> anyhow::Result<KeyDocument> {
        if let Some(var) = spec.strip_prefix("env:") {
            if var.is_empty() {
                bail!("env: needs a variable name");
            }
            return Ok(KeyDocument::Env(var.to_string()));
        }
        let path = spec.strip_prefix('@').unwrap_or(spec);
        if path.trim().is_empty() {
            bail!("the value is empty; give a key file, @file or env:VAR");
        }
        Ok(KeyDocument::File(PathBuf::from(path)))
    }

    /// Read the document's bytes.
    ///
    /// # Errors
    /// A missing variable or unreadable file (the content is never in the message).
    pub fn read(&self) -> anyhow::Result<zeroize::Zeroizing<Vec<u8>>> {
        match self {
            KeyDocument::Env(var) => std::env::var(var)
                .map(|v| zeroize::Zeroizing::new(v.into_bytes()))
                .with_context(|| format!("environment variable {var} is not set")),
            KeyDocument::File(path) => std::fs::read(path)
                .map(zeroize::Zeroizing::new)
                .with_context(|| format!("reading {}", path.display())),
        }
    }
}

impl std::fmt::Display for KeyDocument {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            KeyDocument::File(p) => write!(f, "{}", p.display()),
            KeyDocument::Env(v) => write!(f, "env:{v}"),
        }
    }
}

/// The encrypted-token settings of a provider, checked and parsed: where the decryption key
/// is, and the two allowlists.
pub(crate) struct EncryptionSpec {
    doc: KeyDocument,
    key_algorithms: AlgorithmSet<KeyMgmtAlg>,
    encryptions: AlgorithmSet<EncAlg>,
}

impl EncryptionSpec {
    /// `decryption_key` with both allowlists, no allowlist or `require_encryption` without a
    /// key, known algorithm names, and never `RSA1_5` (Bleichenbacher padding oracle) or
    /// `PBES2-*` (a sender-chosen iteration count per request). None without `decryption_key`.
    ///
    /// # Errors
    /// The first problem, naming the setting.
    pub(crate) fn parse(p: &ProviderConfig) -> anyhow::Result<Option<EncryptionSpec>> {
        let Some(spec) = &p.decryption_key else {
            if !p.key_management_algorithms.is_empty()
                || !p.content_encryption_algorithms.is_empty()
                || p.require_encryption
            {
                bail!(
                    "key_management_algorithms, content_encryption_algorithms and require_encryption need decryption_key"
                );
            }
            return Ok(None);
        };
        let doc = KeyDocument::parse(spec).context("decryption_key")?;
        if p.key_management_algorithms.is_empty() {
            bail!(
                "decryption_key needs key_management_algorithms, the JWE alg values accepted (e.g. [\"RSA-OAEP-256\"] or [\"ECDH-ES+A256KW\"])"
            );
        }
        let mut key_algorithms = AlgorithmSet::<KeyMgmtAlg>::empty();
        for a in &p.key_management_algorithms {
            let alg = a
                .parse::<KeyMgmtAlg>()
                .map_err(|e| anyhow::anyhow!("key_management_algorithms: {}", e.message()))?;
            if alg == KeyMgmtAlg::RSA1_5 {
                bail!(
                    "key_management_algorithms: RSA1_5 is never accepted by the gateway: RSAES-PKCS1-v1_5 decryption is open to Bleichenbacher padding-oracle attacks; use RSA-OAEP-256 (or ECDH-ES+A256KW)"
                );
            }
            if alg.is_pbes2() {
                bail!(
                    "key_management_algorithms: {a} is refused by the gateway: password-based key management costs the sender-chosen p2c PBKDF2 iterations on every request; use A256KW or dir with a random key, or RSA-OAEP-256 / ECDH-ES"
                );
            }
            key_algorithms = key_algorithms.with(alg);
        }
        if p.content_encryption_algorithms.is_empty() {
            bail!(
                "decryption_key needs content_encryption_algorithms, the JWE enc values accepted (e.g. [\"A256GCM\"])"
            );
        }
        let mut encryptions = AlgorithmSet::<EncAlg>::empty();
        for e in &p.content_encryption_algorithms {
            encryptions = encryptions.with(
                e.parse::<EncAlg>()
                    .map_err(|e| anyhow::anyhow!("content_encryption_algorithms: {}", e.message()))?,
            );
        }
        Ok(Some(EncryptionSpec {
            doc,
            key_algorithms,
            encryptions,
        }))
    }
}

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
    /// Load the provider's decryption key for its checked settings ([`EncryptionSpec::parse`]).
    /// `limits` bound the token (and the inflated plaintext, a nested JWT of the same size).
    ///
    /// # Errors
    /// An unreadable key document, or a key set with no private key for one of the key
    /// management algorithms.
    pub(crate) fn new(
        p: &ProviderConfig,
        spec: EncryptionSpec,
        limits: Limits,
    ) -> anyhow::Result<Decryption> {
        let EncryptionSpec {
            doc,
            key_algorithms,
            encryptions,
        } = spec;
        let bytes = doc.read().map_err(|e| anyhow::anyhow!("decryption_key: {e:#}"))?;
        let (keys, _) = jwtkit::JwkSet::load(&bytes, &Limits::default())
            .map_err(|e| anyhow::anyhow!("decryption_key {doc}: {}", e.message()))?;
        for alg in key_algorithms.iter() {
            if !keys.keys().iter().any(|k| k.is_private() && alg.fits(k.family())) {
                anyhow::bail!(
                    "decryption_key {doc} holds no private key for {alg} (needs {}); keys: {}",
                    alg.key_description(),
                    keys.labels().join(", ")
                );
            }
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
        Ok(Decryption {
            keys,
            options,
            required: p.require_encryption,
            source: doc.to_string(),
            fingerprint,
        })
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
    /// [`Stage::Decrypt`]: the kinds of [`jwtkit::jwe::DecryptOptions::decrypt`] (`malformed` for a JSON
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
        let d = jwe
            .decrypt(&self.keys, &self.options)
            .map_err(OpenError::decrypt)?;
        let nested = d
            .nested_jwt(&self.options)
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
        let u = jwtkit::dangerous::Unverified::decode(&opened.nested, p.validation.limits());
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

    const MINIMAL: &str = r#"
[server]
listen = "127.0.0.1:8080"

[[providers]]
name = "main"
issuer = "https://auth.example.com/"
keys = "jwks.json"
algorithms = ["RS256"]
token_from = ["header:Authorization"]
"#;

    /// `decryption_key` and its allowlists: RSA1_5 and PBES2 refused with a reason, both
    /// allowlists required, no allowlist or `require_encryption` without a key.
    #[test]
    fn encryption_settings() {
        let with = |extra: &str| {
            crate::config::Config::parse(
                &MINIMAL.replace("token_from = [", &format!("{extra}\ntoken_from = [")),
            )
        };
        let ok = with(
            "decryption_key = \"enc.pem\"\nkey_management_algorithms = [\"RSA-OAEP-256\", \"ECDH-ES+A256KW\"]\ncontent_encryption_algorithms = [\"A256GCM\"]\nrequire_encryption = true",
        )
        .unwrap();
        assert!(ok.providers[0].require_encryption);
        assert_eq!(ok.providers[0].decryption_key.as_deref(), Some("enc.pem"));
        // The settings are checked as the provider is built (before its key file is read).
        let err = |extra: &str| {
            let built = with(extra)
                .and_then(|c| crate::state::State::build(c, &crate::provider::KeyRegistry::default(), 1));
            match built {
                Ok(_) => panic!("accepted: {extra}"),
                Err(e) => format!("{e:#}"),
            }
        };
        let e = err(
            "decryption_key = \"enc.pem\"\nkey_management_algorithms = [\"RSA-OAEP-256\", \"RSA1_5\"]\ncontent_encryption_algorithms = [\"A256GCM\"]",
        );
        assert!(
            e.contains(
                "provider \"main\": key_management_algorithms: RSA1_5 is never accepted by the gateway"
            ) && e.contains("Bleichenbacher"),
            "{e}"
        );
        let e = err(
            "decryption_key = \"enc.pem\"\nkey_management_algorithms = [\"PBES2-HS256+A128KW\"]\ncontent_encryption_algorithms = [\"A256GCM\"]",
        );
        assert!(e.contains("PBES2-HS256+A128KW is refused by the gateway"), "{e}");
        let e = err("decryption_key = \"enc.pem\"\ncontent_encryption_algorithms = [\"A256GCM\"]");
        assert!(
            e.contains("decryption_key needs key_management_algorithms"),
            "{e}"
        );
        let e = err("decryption_key = \"enc.pem\"\nkey_management_algorithms = [\"A256KW\"]");
        assert!(
            e.contains("decryption_key needs content_encryption_algorithms"),
            "{e}"
        );
        let e = err("key_management_algorithms = [\"A256KW\"]");
        assert!(e.contains("need decryption_key"), "{e}");
        let e = err("require_encryption = true");
        assert!(e.contains("need decryption_key"), "{e}");
        let e = err(
            "decryption_key = \"enc.pem\"\nkey_management_algorithms = [\"A256KW\"]\ncontent_encryption_algorithms = [\"A256GMC\"]",
        );
        assert!(
            e.contains("content_encryption_algorithms") && e.contains("A256GMC"),
            "{e}"
        );
        let e = err(
            "decryption_key = \"env:\"\nkey_management_algorithms = [\"A256KW\"]\ncontent_encryption_algorithms = [\"A256GCM\"]",
        );
        assert!(e.contains("decryption_key") && e.contains("variable name"), "{e}");
        assert_eq!(
            KeyDocument::parse("env:GW_ENC_KEY").unwrap(),
            KeyDocument::Env("GW_ENC_KEY".into())
        );
        assert_eq!(
            KeyDocument::parse("@keys/enc.pem").unwrap(),
            KeyDocument::File("keys/enc.pem".into())
        );
        let missing = KeyDocument::Env("JWTKIT_GATEWAY_TEST_UNSET_VARIABLE".into());
        assert!(format!("{:#}", missing.read().unwrap_err()).contains("is not set"));
    }

    #[test]
    fn compact_jwe_shape() {
        assert!(is_compact_jwe("a.b.c.d.e"));
        assert!(is_compact_jwe("a..c.d.e"));
        assert!(!is_compact_jwe("a.b.c"));
        assert!(!is_compact_jwe("a.b.c.d.e.f"));
        assert!(!is_compact_jwe(r#"{"protected":"a.b.c.d.e"}"#));
    }
}
