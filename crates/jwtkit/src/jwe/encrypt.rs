//! JWE encryption, RFC 7516 §5.1: one [`Encrypter`] for every serialization, chosen at
//! encryption: compact (one recipient) or JSON (one or more recipients, unprotected headers,
//! AAD).
//!
//! A fresh random CEK and IV are drawn for every token from the system generator; ephemeral
//! ECDH keys and PBES2 salts too. jwtkit never produces `RSA1_5`.

use serde_json::Value;
use zeroize::Zeroizing;

use super::{Jwe, Recipient, Serialization};
use crate::error::{Result, err};
use crate::json::Object;
use crate::jwa::{EncAlg, KeyMgmtAlg, KeyMgmtMode};
use crate::key::{Key, KeyOp};

/// Parameters chosen by the sender for key management.
#[derive(Clone, Debug)]
struct Params {
    p2c: u32,
    apu: Option<Vec<u8>>,
    apv: Option<Vec<u8>>,
}

impl Default for Params {
    fn default() -> Params {
        Params {
            p2c: crate::jwa::pbes2::DEFAULT_P2C,
            apu: None,
            apv: None,
        }
    }
}

fn check_recipient(key: &Key, alg: KeyMgmtAlg, enc: EncAlg) -> Result<()> {
    if alg == KeyMgmtAlg::RSA1_5 {
        return Err(err!(
            UnsupportedAlg,
            "jwtkit does not encrypt with RSA1_5 (Bleichenbacher); use RSA-OAEP-256"
        ));
    }
    super::decrypt::check_key_for(key, alg, enc, KeyOp::Encrypt)
}

/// Key management for one recipient (RFC 7516 §5.1 steps 1–6): the CEK (the given one, or
/// determined by `dir`/`ECDH-ES`), the JWE Encrypted Key and the header parameters to add.
fn wrap_cek(
    key: &Key,
    alg: KeyMgmtAlg,
    enc: EncAlg,
    shared_cek: Option<&[u8]>,
    params: &Params,
) -> Result<(Zeroizing<Vec<u8>>, Vec<u8>, Object)> {
    let mut out = Object::new();
    let cek = || -> Result<Zeroizing<Vec<u8>>> {
        match shared_cek {
            Some(c) => Ok(Zeroizing::new(c.to_vec())),
            None => crate::jwa::content::random_cek(enc),
        }
    };
    let secret = || {
        key.secret_bytes()
            .ok_or_else(|| err!(KeyMismatch, "alg {alg} needs {}", alg.key_description()))
    };
    let apu = params.apu.as_deref().unwrap_or_default();
    let apv = params.apv.as_deref().unwrap_or_default();
    let agreement_params = |out: &mut Object, epk: Object| {
        out.insert("epk".into(), Value::Object(epk));
        if let Some(a) = &params.apu {
            out.insert("apu".into(), crate::base64url::encode(a).into());
        }
        if let Some(a) = &params.apv {
            out.insert("apv".into(), crate::base64url::encode(a).into());
        }
    };
    match alg.mode() {
        KeyMgmtMode::KeyEncryption => {
            let cek = cek()?;
            let ek = crate::key::rsa_oaep::encrypt_cek(alg, key, &cek)?;
            Ok((cek, ek, out))
        }
        KeyMgmtMode::DirectEncryption => Ok((Zeroizing::new(secret()?.to_vec()), Vec::new(), out)),
        KeyMgmtMode::DirectKeyAgreement => {
            let (epk, cek) =
                crate::key::ecdh_es::derive_for_sender(key, enc.as_str(), apu, apv, enc.key_len())?;
            agreement_params(&mut out, epk);
            Ok((cek, Vec::new(), out))
        }
        KeyMgmtMode::KeyAgreementWithKeyWrapping => {
            let len = alg.wrap_key_len().unwrap_or(16);
            let (epk, kek) = crate::key::ecdh_es::derive_for_sender(key, alg.as_str(), apu, apv, len)?;
            agreement_params(&mut out, epk);
            let cek = cek()?;
            let ek = crate::jwa::kw::wrap(&kek, &cek)?;
            Ok((cek, ek, out))
        }
        KeyMgmtMode::KeyWrapping => {
            let cek = cek()?;
            let ek = match alg {
                KeyMgmtAlg::A128GCMKW | KeyMgmtAlg::A192GCMKW | KeyMgmtAlg::A256GCMKW => {
                    let iv: [u8; 12] = crate::jwa::content::random_bytes(12)?
                        .try_into()
                        .map_err(|_| err!(InvalidConfig, "random generator failed"))?;
                    let (ek, tag) = crate::jwa::kw::gcm_seal(secret()?, &iv, b"", &cek)?;
                    out.insert("iv".into(), crate::base64url::encode(iv).into());
                    out.insert("tag".into(), crate::base64url::encode(tag).into());
                    ek
                }
                _ if alg.is_pbes2() => {
                    if params.p2c == 0 {
                        return Err(err!(InvalidConfig, "the PBES2 iteration count must be positive"));
                    }
                    let p2s = crate::jwa::content::random_bytes(16)?;
                    let kek = crate::jwa::pbes2::derive(alg, secret()?, &p2s, params.p2c)?;
                    out.insert("p2s".into(), crate::base64url::encode(&p2s).into());
                    out.insert("p2c".into(), params.p2c.into());
                    crate::jwa::kw::wrap(&kek, &cek)?
                }
                _ => crate::jwa::kw::wrap(secret()?, &cek)?,
            };
            Ok((cek, ek, out))
        }
    }
}

fn encode_protected(header: &Object) -> Result<String> {
    let json = serde_json::to_vec(header).map_err(|e| err!(InvalidConfig, "header: {e}"))?;
    Ok(crate::base64url::encode(json))
}

fn seal(mut jwe: Jwe, enc: EncAlg, cek: &[u8], plaintext: &[u8], deflate: bool) -> Result<Jwe> {
    let compressed;
    let plaintext = if deflate {
        compressed = super::zip::deflate(plaintext);
        &compressed[..]
    } else {
        plaintext
    };
    let sealed = crate::jwa::content::encrypt(enc, cek, &jwe.aead_aad(), plaintext)?;
    jwe.iv = sealed.iv;
    jwe.ciphertext = sealed.ciphertext;
    jwe.tag = sealed.tag;
    Ok(jwe)
}

/// Produces a JWE for one or more recipients; the serialization is chosen at encryption:
/// [`Encrypter::encrypt`] for the JWE Compact Serialization (RFC 7516 §7.1: one recipient, every
/// header parameter protected), [`Encrypter::encrypt_json`] for the general or flattened JWE
/// JSON Serialization (§7.2: `enc`, `zip` and [`Encrypter::param`]s in the protected header;
/// each recipient's `alg`, `kid` and key management parameters (`epk`, `p2s`, `p2c`, `iv`,
/// `tag`) in its per-recipient header; shared unprotected header and AAD).
///
/// ```
/// use jwtkit::Key;
/// use jwtkit::jwe::{EncAlg, Encrypter, KeyMgmtAlg};
/// let key = Key::generate(jwtkit::jwk::KeySpec::Ec(jwtkit::EcCurve::P256))?;
/// let token = Encrypter::new(&key, KeyMgmtAlg::ECDH_ES, EncAlg::A128GCM)?.cty("JWT").encrypt(b"a.b.c")?;
/// assert_eq!(token.split('.').count(), 5);
///
/// let a = Key::hmac(vec![1u8; 16]).with_kid("a");
/// let b = Key::generate(jwtkit::jwk::KeySpec::Rsa(2048))?.with_kid("b");
/// let json = Encrypter::new(&a, KeyMgmtAlg::A128KW, EncAlg::A256GCM)?
///     .recipient(&b, KeyMgmtAlg::RSA_OAEP_256)?
///     .aad(b"context")
///     .encrypt_json(b"hello", false)?;
/// assert!(json.contains("\"recipients\""));
/// # Ok::<(), jwtkit::Error>(())
/// ```
pub struct Encrypter<'k> {
    enc: EncAlg,
    /// The caller's protected header parameters, in the order given.
    protected: Object,
    unprotected: Option<Object>,
    /// Each recipient's key, algorithm and extra per-recipient header parameters.
    recipients: Vec<(&'k Key, KeyMgmtAlg, Object)>,
    aad: Option<Vec<u8>>,
    deflate: bool,
    params: Params,
}

impl<'k> Encrypter<'k> {
    /// The PBES2 iteration count `p2c` used unless [`Encrypter::pbes2_count`] sets one: 10,000
    /// (RFC 7518 §4.8.1.2 recommends at least 1,000), the default decryption bound
    /// `Limits::max_pbes2_count`.
    pub const DEFAULT_P2C: u32 = crate::jwa::pbes2::DEFAULT_P2C;

    /// Start an encrypter for one recipient, `key` with `alg`. The compact header gets `alg`,
    /// `enc`, and `kid` when the key has one; in a JSON serialization `alg` and `kid` go in the
    /// recipient's header.
    ///
    /// # Errors
    /// `unsupported_alg` for `RSA1_5`; `key_mismatch` when the key cannot serve `alg` (family,
    /// JWK metadata, a symmetric key of the wrong length for `dir`/AES KW/AES GCM KW).
    pub fn new(key: &'k Key, alg: KeyMgmtAlg, enc: EncAlg) -> Result<Encrypter<'k>> {
        Encrypter::with_enc(enc).recipient(key, alg)
    }

    /// Start an encrypter with the content encryption algorithm and no recipient yet: add
    /// them with [`Encrypter::recipient`] / [`Encrypter::recipient_with_header`].
    pub fn with_enc(enc: EncAlg) -> Encrypter<'k> {
        Encrypter {
            enc,
            protected: Object::new(),
            unprotected: None,
            recipients: Vec::new(),
            aad: None,
            deflate: false,
            params: Params::default(),
        }
    }

    /// Add a recipient; its header gets `alg` and the key's `kid`.
    ///
    /// # Errors
    /// As [`Encrypter::new`].
    pub fn recipient(self, key: &'k Key, alg: KeyMgmtAlg) -> Result<Self> {
        self.recipient_with_header(key, alg, Object::new())
    }

    /// Add a recipient with extra per-recipient unprotected header parameters (JSON
    /// serializations only).
    ///
    /// # Errors
    /// As [`Encrypter::new`].
    pub fn recipient_with_header(mut self, key: &'k Key, alg: KeyMgmtAlg, header: Object) -> Result<Self> {
        check_recipient(key, alg, self.enc)?;
        self.recipients.push((key, alg, header));
        Ok(self)
    }

    /// Set `kid` in the protected header.
    pub fn kid(self, kid: &str) -> Self {
        self.param("kid", kid.into())
    }

    /// Set `typ` (e.g. `"JWT"`).
    pub fn typ(self, typ: &str) -> Self {
        self.param("typ", typ.into())
    }

    /// Set `cty`; `"JWT"` for a nested JWT (RFC 7519 §5.2).
    pub fn cty(self, cty: &str) -> Self {
        self.param("cty", cty.into())
    }

    /// Set any other protected header parameter. `enc` and `zip` are not changed this way,
    /// nor `alg` in the compact serialization (in a JSON serialization a protected `alg`
    /// repeats the recipients' and is refused at encryption).
    pub fn param(mut self, name: &str, value: Value) -> Self {
        self.protected.insert(name.into(), value);
        self
    }

    /// Add a shared unprotected header parameter (JSON serializations only).
    pub fn unprotected_param(mut self, name: &str, value: Value) -> Self {
        self.unprotected
            .get_or_insert_with(Object::new)
            .insert(name.into(), value);
        self
    }

    /// Set the JWE AAD (integrity-protected, not encrypted; JSON serializations only).
    pub fn aad(mut self, aad: &[u8]) -> Self {
        self.aad = Some(aad.to_vec());
        self
    }

    /// Compress the plaintext with DEFLATE (`zip: "DEF"`). Default off: compressing before
    /// encrypting can leak plaintext through the length (CRIME/BREACH) when an attacker
    /// controls part of it.
    pub fn deflate(mut self, on: bool) -> Self {
        self.deflate = on;
        self
    }

    /// PBES2 iteration count `p2c` (default [`Encrypter::DEFAULT_P2C`], 10,000).
    pub fn pbes2_count(mut self, p2c: u32) -> Self {
        self.params.p2c = p2c;
        self
    }

    /// ECDH-ES Agreement PartyUInfo (`apu`) and PartyVInfo (`apv`).
    pub fn agreement_info(mut self, apu: Option<&[u8]>, apv: Option<&[u8]>) -> Self {
        self.params.apu = apu.map(<[u8]>::to_vec);
        self.params.apv = apv.map(<[u8]>::to_vec);
        self
    }

    /// Encrypt `plaintext` into a compact JWE.
    ///
    /// # Errors
    /// `invalid_config` unless there is exactly one recipient and no per-recipient header,
    /// shared unprotected header or AAD (those need [`Encrypter::encrypt_json`]), or when the
    /// random generator fails; `key_mismatch`/`bad_key` when the key cannot be used.
    pub fn encrypt(&self, plaintext: &[u8]) -> Result<String> {
        let [(key, alg, extra)] = self.recipients.as_slice() else {
            return Err(err!(
                InvalidConfig,
                "the compact serialization has exactly one recipient (found {}): use the JSON serialization",
                self.recipients.len()
            ));
        };
        if !extra.is_empty() || self.unprotected.is_some() || self.aad.is_some() {
            return Err(err!(
                InvalidConfig,
                "the compact serialization has no unprotected header and no AAD: use the JSON serialization"
            ));
        }
        let mut header = Object::new();
        header.insert("alg".into(), alg.as_str().into());
        header.insert("enc".into(), self.enc.as_str().into());
        if let Some(kid) = key.kid() {
            header.insert("kid".into(), kid.into());
        }
        for (name, value) in &self.protected {
            if !matches!(name.as_str(), "alg" | "enc" | "zip") {
                header.insert(name.clone(), value.clone());
            }
        }
        let (cek, encrypted_key, params) = wrap_cek(key, *alg, self.enc, None, &self.params)?;
        header.extend(params);
        if self.deflate {
            header.insert("zip".into(), "DEF".into());
        }
        let jwe = Jwe {
            serialization: Serialization::Compact,
            protected_b64: encode_protected(&header)?,
            protected: header,
            unprotected: None,
            recipients: vec![Recipient {
                header: None,
                encrypted_key,
            }],
            iv: Vec::new(),
            ciphertext: Vec::new(),
            tag: Vec::new(),
            aad_b64: None,
            headers: Vec::new(),
        }
        .with_headers()
        .map_err(|e| err!(InvalidConfig, "header: {}", e.message()))?;
        seal(jwe, self.enc, &cek, plaintext, self.deflate)?.to_compact()
    }

    /// Encrypt into the general (`flattened == false`) or flattened JSON serialization.
    ///
    /// # Errors
    /// `invalid_config` with no recipient, with a direct mode (`dir`, `ECDH-ES`) among several
    /// recipients, with several recipients in flattened form, or with header names repeated
    /// across the protected, shared and per-recipient headers; key errors as [`Encrypter::encrypt`].
    pub fn encrypt_json(&self, plaintext: &[u8], flattened: bool) -> Result<String> {
        if self.recipients.is_empty() {
            return Err(err!(InvalidConfig, "a JWE needs at least one recipient"));
        }
        if flattened && self.recipients.len() > 1 {
            return Err(err!(
                InvalidConfig,
                "the flattened JSON serialization has exactly one recipient"
            ));
        }
        let direct = self.recipients.iter().any(|(_, a, _)| {
            matches!(
                a.mode(),
                KeyMgmtMode::DirectEncryption | KeyMgmtMode::DirectKeyAgreement
            )
        });
        if direct && self.recipients.len() > 1 {
            return Err(err!(
                InvalidConfig,
                "dir and ECDH-ES determine the CEK themselves and cannot be combined with other recipients"
            ));
        }
        let mut protected = Object::new();
        protected.insert("enc".into(), self.enc.as_str().into());
        for (name, value) in &self.protected {
            if !matches!(name.as_str(), "enc" | "zip") {
                protected.insert(name.clone(), value.clone());
            }
        }
        if self.deflate {
            protected.insert("zip".into(), "DEF".into());
        }
        let mut cek: Option<Zeroizing<Vec<u8>>> = None;
        let mut recipients = Vec::with_capacity(self.recipients.len());
        for (key, alg, extra) in &self.recipients {
            let (c, encrypted_key, params) =
                wrap_cek(key, *alg, self.enc, cek.as_deref().map(|c| &c[..]), &self.params)?;
            cek.get_or_insert(c);
            let mut header = extra.clone();
            header.insert("alg".into(), alg.as_str().into());
            if let Some(kid) = key.kid() {
                header.entry("kid").or_insert_with(|| kid.into());
            }
            header.extend(params);
            recipients.push(Recipient {
                header: Some(header),
                encrypted_key,
            });
        }
        let cek = cek.ok_or_else(|| err!(InvalidConfig, "a JWE needs at least one recipient"))?;
        let jwe = Jwe {
            serialization: if flattened {
                Serialization::Flattened
            } else {
                Serialization::General
            },
            protected_b64: encode_protected(&protected)?,
            protected,
            unprotected: self.unprotected.clone(),
            recipients,
            iv: Vec::new(),
            ciphertext: Vec::new(),
            tag: Vec::new(),
            aad_b64: self.aad.as_ref().map(crate::base64url::encode),
            headers: Vec::new(),
        }
        .with_headers()
        .map_err(|e| err!(InvalidConfig, "{}", e.message()))?;
        seal(jwe, self.enc, &cek, plaintext, self.deflate)?.to_json(flattened)
    }
}
