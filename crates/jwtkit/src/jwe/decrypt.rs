//! JWE decryption, RFC 7516 §5.2, in one fixed order:
//! size → structure → base64url → strict JSON → header types and `crit` → `alg` (unknown,
//! `RSA1_5` refusal, allowlist) → `enc` (unknown, allowlist) → `zip` → algorithm parameters
//! (`p2c` bound, `p2s`, `epk`, `iv`/`tag`) → key selection → key management → content
//! decryption → inflation.
//!
//! Everything up to key selection depends only on the token and the caller's configuration, so
//! it may report precise kinds. From key management on, every failure is the fixed
//! `decrypt_failed`.

use zeroize::Zeroizing;

use super::{Jwe, JweHeader, Serialization};
use crate::error::{Error, ErrorKind, Result, err};
use crate::jwa::{AlgorithmSet, EncAlg, KeyFamily, KeyMgmtAlg, KeyMgmtMode};
use crate::key::{Key, KeyOp};
use crate::{Detail, JwkSet, Limits};

/// Most key-management attempts (recipient × candidate key) for one token.
const MAX_ATTEMPTS: usize = 16;

/// Options for decryption: the two allowlists, understood `crit` extensions and limits.
#[derive(Clone, Debug)]
pub struct DecryptOptions {
    /// Accepted Key Management Algorithms (`alg`); the token's `alg` only selects among these.
    pub key_algorithms: AlgorithmSet<KeyMgmtAlg>,
    /// Accepted Content Encryption Algorithms (`enc`).
    pub encryptions: AlgorithmSet<EncAlg>,
    /// `crit` extensions the caller processes; default none.
    pub crit: Vec<String>,
    /// Input limits (token size, recipients, `p2c`, inflated size and ratio).
    pub limits: Limits,
    /// Decrypt `RSA1_5` tokens when `RSA1_5` is also in `key_algorithms`. **Insecure**:
    /// RSAES-PKCS1-v1_5 decryption is the target of Bleichenbacher-style attacks. Default false.
    pub insecure_allow_rsa1_5: bool,
    /// For [`crate::jwt::decrypt_then_verify`]: accept an encrypted JWT whose plaintext is a claims
    /// set rather than a signed JWT (RFC 7519 §A.1). Anyone holding the encryption key (for RSA
    /// and ECDH, the *public* key) can make such a token. Default false.
    pub allow_unsigned_claims: bool,
}

impl DecryptOptions {
    /// Options accepting `key_algorithms` and `encryptions`, no `crit` extension, default limits.
    ///
    /// ```
    /// use jwtkit::jwe::{DecryptOptions, EncAlg, KeyMgmtAlg};
    /// let o = DecryptOptions::new([KeyMgmtAlg::RSA_OAEP_256, KeyMgmtAlg::ECDH_ES], EncAlg::A256GCM);
    /// assert_eq!(o.limits.max_pbes2_count, 10_000);
    /// ```
    pub fn new(
        key_algorithms: impl Into<AlgorithmSet<KeyMgmtAlg>>,
        encryptions: impl Into<AlgorithmSet<EncAlg>>,
    ) -> DecryptOptions {
        DecryptOptions {
            key_algorithms: key_algorithms.into(),
            encryptions: encryptions.into(),
            crit: Vec::new(),
            limits: Limits::default(),
            insecure_allow_rsa1_5: false,
            allow_unsigned_claims: false,
        }
    }
}

impl DecryptOptions {
    /// Options whose key management allowlist comes from the keys (for callers that name no
    /// algorithm): each key's JWK `alg` when it names a JWE algorithm, else every algorithm of
    /// its family. `RSA1_5` is listed for RSA keys but stays refused (`unsupported_alg`, with
    /// a message saying why) unless [`DecryptOptions::insecure_allow_rsa1_5`] is set.
    ///
    /// ```
    /// use jwtkit::{JwkSet, Key, jwe::{AlgorithmSet, DecryptOptions, EncAlg, KeyMgmtAlg}};
    /// let keys = JwkSet::from_keys(vec![Key::hmac(vec![0u8; 16])]);
    /// let o = DecryptOptions::from_keys(&keys, AlgorithmSet::<EncAlg>::all());
    /// assert!(o.key_algorithms.contains(KeyMgmtAlg::A128KW));
    /// assert!(!o.key_algorithms.contains(KeyMgmtAlg::RSA_OAEP));
    /// ```
    pub fn from_keys(keys: &JwkSet, encryptions: impl Into<AlgorithmSet<EncAlg>>) -> DecryptOptions {
        let mut set = AlgorithmSet::<KeyMgmtAlg>::empty();
        for k in keys.keys() {
            let fam = AlgorithmSet::<KeyMgmtAlg>::for_family(k.family());
            set = match k.meta().alg.as_deref().map(str::parse::<KeyMgmtAlg>) {
                Some(Ok(a)) if a.fits(k.family()) => set.with(a),
                // An unknown or JWS `alg` (or a `dir` key naming its `enc`): the family's algorithms.
                _ => fam.iter().fold(set, AlgorithmSet::<KeyMgmtAlg>::with),
            };
            if k.family() == KeyFamily::Rsa {
                set = set.with(KeyMgmtAlg::RSA1_5);
            }
        }
        DecryptOptions::new(set, encryptions)
    }
}

/// A JWE that decrypted: its plaintext and what was used.
#[derive(Debug)]
pub struct Decrypted {
    /// The JOSE Header of the recipient that decrypted (protected ∪ unprotected ∪ recipient).
    pub header: JweHeader,
    /// The plaintext (inflated when `zip: "DEF"`).
    pub plaintext: Vec<u8>,
    /// The Key Management Algorithm used.
    pub alg: KeyMgmtAlg,
    /// The Content Encryption Algorithm used.
    pub enc: EncAlg,
    /// Index in the key set of the key that decrypted.
    pub key_index: usize,
    /// Index of the recipient that decrypted (0 for compact and flattened).
    pub recipient_index: usize,
    /// The serialization of the token.
    pub serialization: Serialization,
    /// The JWE AAD of a JSON serialization (integrity-protected), decoded.
    pub aad: Option<Vec<u8>>,
}

impl DecryptOptions {
    /// Decrypt `token`, a JWE in any serialization, with a set of keys under these options.
    ///
    /// With several recipients, each is tried in order (at most [`Limits::max_recipients`] and 16
    /// key attempts in all); the first that decrypts wins.
    ///
    /// # Errors
    /// Before any key is used: `resource_limit` (size, recipients, `p2c`), `malformed`,
    /// `bad_base64`, `bad_json`, `duplicate_member`, `unsupported_crit`, `unsupported_alg`
    /// (unknown `alg`/`enc`/`zip`, or `RSA1_5` without the insecure option), `alg_not_allowed`,
    /// `key_not_found`, `key_mismatch`, `invalid_config` (an empty allowlist). After: the fixed
    /// `decrypt_failed`, or `resource_limit` when the inflated plaintext exceeds its bound.
    ///
    /// ```
    /// use jwtkit::{JwkSet, Key};
    /// use jwtkit::jwe::{DecryptOptions, EncAlg, Encrypter, KeyMgmtAlg};
    /// let key = Key::hmac(vec![7u8; 16]);
    /// let token = Encrypter::new(&key, KeyMgmtAlg::A128KW, EncAlg::A128GCM)?.encrypt(b"hello")?;
    /// let keys = JwkSet::from_keys(vec![key]);
    /// let d = DecryptOptions::new(KeyMgmtAlg::A128KW, EncAlg::A128GCM).decrypt(&token, &keys)?;
    /// assert_eq!(d.plaintext, b"hello");
    /// # Ok::<(), jwtkit::Error>(())
    /// ```
    pub fn decrypt(&self, token: &str, keys: &JwkSet) -> Result<Decrypted> {
        let opts = self;
        // Structure before allowlist: a JWE with the wrong number of segments (or any other
        // structural defect) is `malformed` whatever the allowlists say, even when they are empty.
        let jwe = Jwe::parse(token, &opts.limits)?;
        decrypt_parsed(&jwe, keys, opts)
    }
}

fn check_config(opts: &DecryptOptions) -> Result<()> {
    if opts.key_algorithms.is_empty() {
        return Err(err!(
            InvalidConfig,
            "the key management algorithm allowlist is empty"
        ));
    }
    if opts.encryptions.is_empty() {
        return Err(err!(
            InvalidConfig,
            "the content encryption algorithm allowlist is empty"
        ));
    }
    Ok(())
}

impl Jwe {
    /// Decrypt this already parsed JWE (steps J6–J11 of
    /// [the JWE order of checks](crate::Check#jwe-decryption-order)); see [`DecryptOptions::decrypt`].
    ///
    /// # Errors
    /// As [`DecryptOptions::decrypt`].
    pub fn decrypt(&self, keys: &JwkSet, opts: &DecryptOptions) -> Result<Decrypted> {
        decrypt_parsed(self, keys, opts)
    }
}

/// Decrypt an already parsed JWE. See [`DecryptOptions::decrypt`].
pub(crate) fn decrypt_parsed(jwe: &Jwe, keys: &JwkSet, opts: &DecryptOptions) -> Result<Decrypted> {
    decrypt_recipients(jwe, keys, opts).map_err(super::at_jwe_step)
}

fn decrypt_recipients(jwe: &Jwe, keys: &JwkSet, opts: &DecryptOptions) -> Result<Decrypted> {
    check_config(opts)?;
    let aad = jwe.aead_aad();
    let mut first_err: Option<Error> = None;
    let mut attempts = 0usize;
    for (index, recipient) in jwe.recipients.iter().enumerate() {
        let prepared = jwe
            .header(index)
            .and_then(|h| check_header(h, opts).map(|(alg, enc)| (h, alg, enc)))
            .and_then(|(h, alg, enc)| {
                keys.select_with(h.kid(), alg.as_str(), |k| check_key(k, alg, enc))
                    .map(|c| (h, alg, enc, c))
            });
        let (header, alg, enc, candidates) = match prepared {
            Ok(p) => p,
            Err(e) => {
                first_err.get_or_insert(e);
                continue;
            }
        };
        for key in candidates {
            if attempts >= MAX_ATTEMPTS {
                break;
            }
            attempts += 1;
            let Ok(cek) = unwrap_cek(alg, enc, key, header, recipient.encrypted_key(), &opts.limits) else {
                continue;
            };
            let Ok(plaintext) =
                crate::jwa::content::decrypt(enc, &cek, &aad, &jwe.iv, &jwe.ciphertext, &jwe.tag)
            else {
                continue;
            };
            let plaintext = match header.zip() {
                Some(_) => super::zip::inflate(&plaintext, &opts.limits)?,
                None => plaintext,
            };
            let key_index = keys.keys().iter().position(|k| std::ptr::eq(k, key)).unwrap_or(0);
            return Ok(Decrypted {
                header: header.clone(),
                plaintext,
                alg,
                enc,
                key_index,
                recipient_index: index,
                serialization: jwe.serialization,
                aad: jwe.aad(),
            });
        }
    }
    if attempts > 0 {
        return Err(Error::decrypt_failed());
    }
    Err(first_err.unwrap_or_else(Error::decrypt_failed))
}

/// Header checks that depend only on the token and the caller's options.
pub(crate) fn check_header(h: &JweHeader, opts: &DecryptOptions) -> Result<(KeyMgmtAlg, EncAlg)> {
    let crit: Vec<&str> = opts.crit.iter().map(String::as_str).collect();
    h.check_crit(&crit)?;
    let alg = h.alg()?;
    if !opts.key_algorithms.contains(alg) {
        return Err(crate::jwa::jwe_alg::alg_not_allowed(
            "alg",
            alg.as_str(),
            opts.key_algorithms
                .iter()
                .map(|a| a.as_str().to_string())
                .collect(),
        ));
    }
    if alg == KeyMgmtAlg::RSA1_5 && !opts.insecure_allow_rsa1_5 {
        return Err(err!(
            UnsupportedAlg,
            "alg RSA1_5 is refused: RSAES-PKCS1-v1_5 decryption is open to Bleichenbacher padding-oracle attacks; ask the sender for RSA-OAEP-256, or opt in with the insecure RSA1_5 option"
        ));
    }
    let enc = h.enc()?;
    if !opts.encryptions.contains(enc) {
        return Err(crate::jwa::jwe_alg::alg_not_allowed(
            "enc",
            enc.as_str(),
            opts.encryptions.iter().map(|a| a.as_str().to_string()).collect(),
        ));
    }
    if let Some(z) = h.zip()
        && z != "DEF"
    {
        return Err(err!(
            UnsupportedAlg,
            "zip {} is not supported (only \"DEF\", RFC 7516 §4.1.3)",
            crate::text::quote(z)
        ));
    }
    if alg.is_pbes2() {
        let p2c = h.get("p2c").and_then(serde_json::Value::as_u64).ok_or_else(|| {
            err!(
                Malformed,
                "alg {alg} needs the header parameter \"p2c\" (RFC 7518 §4.8.1.2)"
            )
        })?;
        let limit = u64::from(opts.limits.max_pbes2_count);
        if p2c > limit {
            return Err(Error::new(
                ErrorKind::ResourceLimit,
                format!("PBES2 iteration count p2c is {p2c}, above the limit of {limit}"),
            )
            .with_detail(Detail::Limit {
                what: "p2c",
                limit,
                actual: p2c,
            }));
        }
        let p2s = h.b64_param("p2s")?.ok_or_else(|| {
            err!(
                Malformed,
                "alg {alg} needs the header parameter \"p2s\" (RFC 7518 §4.8.1.1)"
            )
        })?;
        if p2s.len() < crate::jwa::pbes2::MIN_SALT_LEN {
            return Err(err!(
                Malformed,
                "the PBES2 salt p2s is {} bytes; RFC 7518 §4.8.1.1 requires at least 8",
                p2s.len()
            ));
        }
    }
    if alg.is_ecdh() {
        if h.get("epk").is_none() {
            return Err(err!(
                Malformed,
                "alg {alg} needs the header parameter \"epk\" (RFC 7518 §4.6.1.1)"
            ));
        }
        h.b64_param("apu")?;
        h.b64_param("apv")?;
    }
    if matches!(
        alg,
        KeyMgmtAlg::A128GCMKW | KeyMgmtAlg::A192GCMKW | KeyMgmtAlg::A256GCMKW
    ) {
        for name in ["iv", "tag"] {
            if h.b64_param(name)?.is_none() {
                return Err(err!(
                    Malformed,
                    "alg {alg} needs the header parameter \"{name}\" (RFC 7518 §4.7.1)"
                ));
            }
        }
    }
    Ok((alg, enc))
}

/// Whether `key` can decrypt for `alg`/`enc`: family, JWK metadata, private material, and the
/// exact length of symmetric keys.
pub(crate) fn check_key(key: &Key, alg: KeyMgmtAlg, enc: EncAlg) -> Result<()> {
    check_key_for(key, alg, enc, KeyOp::Decrypt)
}

pub(crate) fn check_key_for(key: &Key, alg: KeyMgmtAlg, enc: EncAlg, op: KeyOp) -> Result<()> {
    let fam = key.family();
    if !alg.fits(fam) {
        return Err(err!(
            KeyMismatch,
            "alg {alg} needs {}, but the key ({}) is {fam}",
            alg.key_description(),
            key.label()
        ));
    }
    // A `dir` key's JWK `alg` may name the content encryption algorithm (RFC 7520 §5.6).
    let meta_alg = match key.meta().alg.as_deref() {
        Some(a) if alg == KeyMgmtAlg::Dir && a == enc.as_str() => enc.as_str(),
        _ => alg.as_str(),
    };
    key.check_meta(meta_alg, op)?;
    if op == KeyOp::Decrypt && !key.is_private() {
        return Err(err!(
            KeyMismatch,
            "decrypting needs the private key, but {} is a public key",
            key.label()
        ));
    }
    if fam == KeyFamily::Oct && !alg.is_pbes2() {
        let need = alg.wrap_key_len().unwrap_or(enc.key_len());
        if key.bits() / 8 != need {
            return Err(err!(
                KeyMismatch,
                "alg {alg}{} needs a {need}-byte key, but the key ({}) is {} bytes",
                if alg == KeyMgmtAlg::Dir {
                    format!(" with enc {enc}")
                } else {
                    String::new()
                },
                key.label(),
                key.bits() / 8
            ));
        }
    }
    Ok(())
}

fn b64_or_empty(h: &JweHeader, name: &str) -> Result<Vec<u8>> {
    Ok(h.b64_param(name)
        .map_err(|_| Error::decrypt_failed())?
        .unwrap_or_default())
}

/// Determine the CEK (RFC 7516 §5.2 steps 9–10). Every failure is `decrypt_failed`.
fn unwrap_cek(
    alg: KeyMgmtAlg,
    enc: EncAlg,
    key: &Key,
    h: &JweHeader,
    encrypted_key: &[u8],
    limits: &Limits,
) -> Result<Zeroizing<Vec<u8>>> {
    let secret = || key.secret_bytes().ok_or_else(Error::decrypt_failed);
    let epk = || {
        h.get("epk")
            .and_then(serde_json::Value::as_object)
            .ok_or_else(Error::decrypt_failed)
    };
    match alg.mode() {
        KeyMgmtMode::KeyEncryption => {
            crate::key::rsa_oaep::decrypt_cek(alg, key, encrypted_key, enc.key_len())
        }
        KeyMgmtMode::DirectEncryption => {
            if !encrypted_key.is_empty() {
                return Err(Error::decrypt_failed());
            }
            Ok(Zeroizing::new(secret()?.to_vec()))
        }
        KeyMgmtMode::DirectKeyAgreement => {
            if !encrypted_key.is_empty() {
                return Err(Error::decrypt_failed());
            }
            crate::key::ecdh_es::derive_for_recipient(
                key,
                epk()?,
                enc.as_str(),
                &b64_or_empty(h, "apu")?,
                &b64_or_empty(h, "apv")?,
                enc.key_len(),
            )
        }
        KeyMgmtMode::KeyAgreementWithKeyWrapping => {
            let kek = crate::key::ecdh_es::derive_for_recipient(
                key,
                epk()?,
                alg.as_str(),
                &b64_or_empty(h, "apu")?,
                &b64_or_empty(h, "apv")?,
                alg.wrap_key_len().ok_or_else(Error::decrypt_failed)?,
            )?;
            crate::jwa::kw::unwrap(&kek, encrypted_key, enc.key_len())
        }
        KeyMgmtMode::KeyWrapping => match alg {
            KeyMgmtAlg::A128KW | KeyMgmtAlg::A192KW | KeyMgmtAlg::A256KW => {
                crate::jwa::kw::unwrap(secret()?, encrypted_key, enc.key_len())
            }
            KeyMgmtAlg::A128GCMKW | KeyMgmtAlg::A192GCMKW | KeyMgmtAlg::A256GCMKW => {
                let cek = crate::jwa::kw::gcm_open(
                    secret()?,
                    &b64_or_empty(h, "iv")?,
                    b"",
                    encrypted_key,
                    &b64_or_empty(h, "tag")?,
                )?;
                if cek.len() != enc.key_len() {
                    return Err(Error::decrypt_failed());
                }
                Ok(Zeroizing::new(cek))
            }
            _ if alg.is_pbes2() => {
                let p2c = h
                    .get("p2c")
                    .and_then(serde_json::Value::as_u64)
                    .filter(|n| *n <= u64::from(limits.max_pbes2_count))
                    .and_then(|n| u32::try_from(n).ok())
                    .ok_or_else(Error::decrypt_failed)?;
                let kek = crate::jwa::pbes2::derive(alg, secret()?, &b64_or_empty(h, "p2s")?, p2c)?;
                crate::jwa::kw::unwrap(&kek, encrypted_key, enc.key_len())
            }
            _ => Err(Error::decrypt_failed()),
        },
    }
}
