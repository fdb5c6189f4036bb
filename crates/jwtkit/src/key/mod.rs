//! Keys: one [`Key`] type for every source (JWK, PEM, DER, raw HMAC secret), bound to its
//! [`KeyFamily`] at load time.
//!
//! A `Key` knows its family (oct, RSA, EC curve, OKP curve), whether it holds private material,
//! its JWK metadata (`kid`, `alg`, `use`, `key_ops`; RFC 7517 §4) and its RFC 7638 thumbprint.
//! [`Key::check_use`] runs before any cryptography: an algorithm of another family, a JWK
//! `alg` naming another algorithm, `use: "enc"` or `key_ops` without the operation give
//! `key_mismatch`. There is no way to turn an RSA or EC public key into an HMAC secret.
//!
//! Parsed public keys are cached inside the key (per algorithm for RSA), so verifying many
//! tokens with one key parses it once.

mod akp;
mod build;
pub(crate) mod der;
mod detect;
pub(crate) mod ecdh_es;
mod generate;
pub(crate) mod rsa_oaep;
pub(crate) mod sig;

use std::fmt;
use std::sync::OnceLock;

use aws_lc_rs::signature::{EcdsaKeyPair, Ed25519KeyPair, ParsedPublicKey, RsaKeyPair};
use aws_lc_rs::{hmac, signature};
use zeroize::Zeroizing;

pub(crate) use build::certificate_validity;
pub(crate) use detect::load_der;
pub use generate::KeySpec;

use crate::error::{Error, ErrorKind, Result, err};
use crate::jwa::{EcCurve, JwsAlg, KeyFamily, OkpCurve};
pub(crate) use akp::{AkpPrivate, AkpPublic};

/// What a key is going to be used for, checked against JWK `use` and `key_ops` (RFC 7517 §4.2–4.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyOp {
    /// Create a signature or MAC (`key_ops: "sign"`, `use: "sig"`).
    Sign,
    /// Check a signature or MAC (`key_ops: "verify"`, `use: "sig"`).
    Verify,
    /// Encrypt content or wrap a key (`"encrypt"`/`"wrapKey"`, `use: "enc"`).
    Encrypt,
    /// Decrypt content or unwrap a key (`"decrypt"`/`"unwrapKey"`, `use: "enc"`).
    Decrypt,
}

impl KeyOp {
    fn key_ops_names(self) -> &'static [&'static str] {
        match self {
            KeyOp::Sign => &["sign"],
            KeyOp::Verify => &["verify"],
            KeyOp::Encrypt => &["encrypt", "wrapKey", "deriveKey", "deriveBits"],
            KeyOp::Decrypt => &["decrypt", "unwrapKey", "deriveKey", "deriveBits"],
        }
    }

    fn use_name(self) -> &'static str {
        match self {
            KeyOp::Sign | KeyOp::Verify => "sig",
            KeyOp::Encrypt | KeyOp::Decrypt => "enc",
        }
    }
}

/// An HMAC secret (or other symmetric key); wiped from memory on drop.
pub(crate) struct Secret {
    pub(crate) bytes: Zeroizing<Vec<u8>>,
    /// `hmac::Key` per HS256/384/512, built once (precomputes the inner and outer pads).
    hmac: [OnceLock<Box<hmac::Key>>; 3],
    /// The bytes are a public key's text (PEM, DER, OpenSSH line, JWK): as an HMAC secret that
    /// is the algorithm-confusion attack, refused unless allowed ([`Key::allow_public_key_secret`]).
    pub(crate) public_key_text: bool,
}

impl Secret {
    pub(crate) fn new(bytes: Vec<u8>) -> Secret {
        let public_key_text = detect::is_public_key_text(&bytes);
        Secret {
            bytes: Zeroizing::new(bytes),
            hmac: Default::default(),
            public_key_text,
        }
    }

    /// Why this secret may not compute an HMAC: empty, or a public key's text.
    pub(crate) fn unusable(&self) -> Option<crate::Error> {
        if self.bytes.is_empty() {
            return Some(crate::error::err!(
                KeyMismatch,
                "the HMAC secret is empty: an empty key verifies nothing"
            ));
        }
        self.public_key_text.then(|| {
            crate::error::err!(
                KeyMismatch,
                "the HMAC secret is the text of a public key (PEM, DER, OpenSSH or JWK): that is the algorithm-confusion attack, \
                 not a secret. Verify with the public key itself (an RS*/ES*/EdDSA algorithm)"
            )
        })
    }

    pub(crate) fn hmac_key(&self, alg: JwsAlg) -> &hmac::Key {
        let (i, a) = match alg {
            JwsAlg::HS384 => (1, hmac::HMAC_SHA384),
            JwsAlg::HS512 => (2, hmac::HMAC_SHA512),
            _ => (0, hmac::HMAC_SHA256),
        };
        // `i` is 0..3 by construction.
        #[allow(clippy::indexing_slicing)]
        self.hmac[i].get_or_init(|| Box::new(hmac::Key::new(a, &self.bytes)))
    }
}

pub(crate) struct RsaPublic {
    /// Modulus, big-endian, no leading zero.
    pub(crate) n: Vec<u8>,
    /// Public exponent, big-endian, no leading zero.
    pub(crate) e: Vec<u8>,
    pub(crate) bits: usize,
    /// An RSASSA-PSS key (RFC 4055 `id-RSASSA-PSS` in its SubjectPublicKeyInfo or PKCS#8):
    /// usable only with PS256/PS384/PS512, never PKCS#1 v1.5 (RS*) or encryption.
    pub(crate) pss_only: bool,
    /// A modulus under 2048 bits (RFC 7518 §3.3's minimum) may verify: set only by
    /// [`Key::allow_weak_rsa`].
    pub(crate) weak_allowed: bool,
    /// One parsed verifier per RSA JWS algorithm (RS256..PS512), built on first use.
    parsed: [OnceLock<Option<ParsedPublicKey>>; 6],
}

pub(crate) struct RsaPrivate {
    pub(crate) pair: RsaKeyPair,
    /// PKCS#8 v1 DER of the private key (also used by RSA-OAEP).
    pub(crate) pkcs8: Zeroizing<Vec<u8>>,
    /// The RSA decryption key for JWE (RSA-OAEP, RSA1_5), parsed on first use.
    pub(crate) decrypting: OnceLock<Option<aws_lc_rs::rsa::PrivateDecryptingKey>>,
}

pub(crate) struct EcPublic {
    pub(crate) curve: EcCurve,
    /// Uncompressed point 0x04 ‖ x ‖ y.
    pub(crate) point: Vec<u8>,
    parsed: OnceLock<Option<ParsedPublicKey>>,
}

pub(crate) struct EcPrivate {
    pub(crate) pair: EcdsaKeyPair,
    /// The private scalar, fixed length (coordinate length).
    pub(crate) d: Zeroizing<Vec<u8>>,
    /// The ECDH key for JWE ECDH-ES, parsed on first use.
    pub(crate) agreement: OnceLock<Option<aws_lc_rs::agreement::PrivateKey>>,
}

pub(crate) struct OkpPublic {
    pub(crate) curve: OkpCurve,
    /// The 32-byte public key.
    pub(crate) x: Vec<u8>,
    parsed: OnceLock<Option<ParsedPublicKey>>,
}

pub(crate) struct OkpPrivate {
    /// Ed25519 signing pair (None for X25519).
    pub(crate) pair: Option<Ed25519KeyPair>,
    /// The 32-byte private key (Ed25519 seed or X25519 scalar).
    pub(crate) d: Zeroizing<Vec<u8>>,
    /// The X25519 key for JWE ECDH-ES, parsed on first use.
    pub(crate) agreement: OnceLock<Option<aws_lc_rs::agreement::PrivateKey>>,
}

/// Key material by family.
// The RSA variant carries its per-algorithm parsed verifiers inline (a few hundred bytes); keys
// are few and long-lived, so boxing would only add an indirection on the verification path.
#[allow(clippy::large_enum_variant)]
pub(crate) enum Material {
    Oct(Secret),
    Rsa(RsaPublic, Option<RsaPrivate>),
    Ec(EcPublic, Option<EcPrivate>),
    Okp(OkpPublic, Option<OkpPrivate>),
    Akp(AkpPublic, Option<AkpPrivate>),
}

/// JWK metadata (RFC 7517 §4) carried by a key, whatever its source.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KeyMeta {
    /// `kid`: an opaque identifier, matched exactly.
    pub kid: Option<String>,
    /// `alg`: the algorithm the key is intended for, as written (may name a JWE algorithm).
    pub alg: Option<String>,
    /// `use`: `"sig"`, `"enc"` or another value.
    pub use_: Option<String>,
    /// `key_ops`: the permitted operations.
    pub key_ops: Option<Vec<String>>,
    /// `x5c`: the certificate chain, base64 (not base64url) DER, leaf first.
    pub x5c: Option<Vec<String>>,
}

/// A usable JOSE key: material bound to its family, plus JWK metadata and thumbprint.
///
/// Build one with [`Key::hmac`], [`Key::from_jwk`], [`Key::from_pem`], [`Key::from_der`],
/// [`JwkSet::load`](crate::JwkSet::load) (any format, detected by content) or [`Key::generate`].
pub struct Key {
    pub(crate) material: Material,
    pub(crate) meta: KeyMeta,
    thumbprint: String,
}

impl Key {
    pub(crate) fn from_material(material: Material, meta: KeyMeta) -> Key {
        let thumbprint = thumbprint_of(&material);
        Key {
            material,
            meta,
            thumbprint,
        }
    }

    /// An HMAC secret from raw bytes (no minimum here; signing enforces RFC 7518 §3.2).
    ///
    /// ```
    /// let k = jwtkit::Key::hmac(b"a string secret at least 32 bytes long".to_vec());
    /// assert_eq!(k.family(), jwtkit::KeyFamily::Oct);
    /// ```
    pub fn hmac(secret: impl Into<Vec<u8>>) -> Key {
        Key::from_material(Material::Oct(Secret::new(secret.into())), KeyMeta::default())
    }

    /// Allow an HMAC secret whose bytes are a public key's text (PEM, DER, OpenSSH line, JWK),
    /// refused by default as the public-key-as-HMAC-secret attack (`key_mismatch`). For the rare
    /// system that really MACs with such bytes; no effect on other keys.
    pub fn allow_public_key_secret(mut self) -> Key {
        if let Material::Oct(s) = &mut self.material {
            s.public_key_text = false;
        }
        self
    }

    /// Let an RSA key under 2048 bits verify (RS256 and RS512 only; aws-lc-rs has no legacy
    /// parameters for the others). Refused by default: RFC 7518 §3.3 requires 2048 bits, and a
    /// 1024-bit modulus is within reach of a determined attacker. `lint` still reports
    /// `weak_rsa_key`. No effect on other keys.
    pub fn allow_weak_rsa(mut self) -> Key {
        if let Material::Rsa(p, _) = &mut self.material {
            p.weak_allowed = true;
        }
        self
    }

    /// The key family (oct, RSA, EC curve, OKP curve).
    pub fn family(&self) -> KeyFamily {
        match &self.material {
            Material::Oct(_) => KeyFamily::Oct,
            Material::Rsa(..) => KeyFamily::Rsa,
            Material::Ec(p, _) => KeyFamily::Ec(p.curve),
            Material::Okp(p, _) => KeyFamily::Okp(p.curve),
            Material::Akp(p, _) => KeyFamily::Akp(p.params),
        }
    }

    /// True when the key can sign or decrypt (private key or secret).
    pub fn is_private(&self) -> bool {
        match &self.material {
            Material::Oct(_) => true,
            Material::Rsa(_, p) => p.is_some(),
            Material::Ec(_, p) => p.is_some(),
            Material::Okp(_, p) => p.is_some(),
            Material::Akp(_, p) => p.is_some(),
        }
    }

    /// The key size in bits: modulus for RSA, curve order size for EC/OKP, secret length × 8,
    /// public key length × 8 for ML-DSA (10496, 15616 or 20736).
    pub fn bits(&self) -> usize {
        match &self.material {
            Material::Oct(s) => s.bytes.len() * 8,
            Material::Rsa(p, _) => p.bits,
            Material::Ec(p, _) => match p.curve {
                EcCurve::P256 | EcCurve::Secp256k1 => 256,
                EcCurve::P384 => 384,
                EcCurve::P521 => 521,
            },
            Material::Okp(..) => 256,
            Material::Akp(p, _) => p.key.len() * 8,
        }
    }

    /// JWK metadata.
    pub fn meta(&self) -> &KeyMeta {
        &self.meta
    }

    /// The `kid`, if any.
    pub fn kid(&self) -> Option<&str> {
        self.meta.kid.as_deref()
    }

    /// Set the `kid`.
    pub fn with_kid(mut self, kid: impl Into<String>) -> Key {
        self.meta.kid = Some(kid.into());
        self
    }

    /// Set the intended `alg`.
    pub fn with_alg(mut self, alg: impl Into<String>) -> Key {
        self.meta.alg = Some(alg.into());
        self
    }

    /// The RFC 7638 JWK thumbprint (SHA-256, base64url), computed at load.
    pub fn thumbprint(&self) -> &str {
        &self.thumbprint
    }

    /// The RFC 7638 thumbprint to show to people (output, messages): None for a symmetric key.
    /// An `oct` key's thumbprint is an unsalted SHA-256 over the secret, so whoever sees it can
    /// test guesses of a weak secret or password offline (for PBES2, without its iterations).
    /// [`Key::thumbprint`] stays available to identify keys internally.
    pub fn shown_thumbprint(&self) -> Option<&str> {
        match self.material {
            Material::Oct(_) => None,
            _ => Some(&self.thumbprint),
        }
    }

    /// A short label for messages: `kid "abc"`, `thumbprint NzbLsXh8…`, or for a symmetric key
    /// without `kid`, `secret of 32 bytes` (never a hash of the secret: [`Key::shown_thumbprint`]).
    pub fn label(&self) -> String {
        match (self.kid(), self.shown_thumbprint()) {
            (Some(k), _) => format!("kid {}", crate::text::quote(k)),
            (None, Some(t)) => format!("thumbprint {}", crate::text::truncate(t, 12)),
            (None, None) => format!("secret of {} bytes", self.bits() / 8),
        }
    }

    /// The JWS algorithms this key can be used with: its family's algorithms, narrowed to its
    /// JWK `alg` when it has one. Use it as the allowlist when the caller gives none
    /// ("the allowlist comes from the caller or the key").
    pub fn algorithms(&self) -> crate::AlgorithmSet<JwsAlg> {
        let mut fam = crate::AlgorithmSet::<JwsAlg>::family(self.family());
        if self.is_pss_only() {
            fam = fam.intersect(crate::AlgorithmSet::<JwsAlg>::from([
                JwsAlg::PS256,
                JwsAlg::PS384,
                JwsAlg::PS512,
            ]));
        }
        match self.meta.alg.as_deref().map(str::parse::<JwsAlg>) {
            Some(Ok(a)) => fam.intersect(a.into()),
            Some(Err(_)) => crate::AlgorithmSet::<JwsAlg>::empty(),
            None => fam,
        }
    }

    /// Whether this is an RSASSA-PSS key (RFC 4055), restricted to PS256/PS384/PS512.
    pub fn is_pss_only(&self) -> bool {
        matches!(&self.material, Material::Rsa(p, _) if p.pss_only)
    }

    /// Restrict an RSA key to RSASSA-PSS (as its `id-RSASSA-PSS` algorithm identifier says).
    pub(crate) fn into_pss_only(mut self) -> Key {
        if let Material::Rsa(p, _) = &mut self.material {
            p.pss_only = true;
        }
        self
    }

    /// The raw symmetric secret (oct keys only).
    pub fn secret_bytes(&self) -> Option<&[u8]> {
        match &self.material {
            Material::Oct(s) => Some(&s.bytes),
            _ => None,
        }
    }

    /// Check, before any cryptography, that this key may serve `alg` for `op`.
    ///
    /// # Errors
    /// `key_mismatch` when the family differs (e.g. an RSA public key for HS256), the JWK
    /// `alg` names another algorithm, `use` is not `sig`, `key_ops` lacks the operation, or a
    /// private key is needed and this is a public key.
    pub fn check_use(&self, alg: JwsAlg, op: KeyOp) -> Result<()> {
        let fam = self.family();
        if alg.family() != fam {
            let mut msg = format!(
                "alg {alg} needs {}, but the key ({}) is {fam}",
                alg.family(),
                self.label()
            );
            if alg.is_hmac() && fam != KeyFamily::Oct {
                msg.push_str("; a public key is never used as an HMAC secret (algorithm confusion attack)");
            }
            return Err(Error::new(ErrorKind::KeyMismatch, msg));
        }
        if self.is_pss_only() && !matches!(alg, JwsAlg::PS256 | JwsAlg::PS384 | JwsAlg::PS512) {
            return Err(err!(
                KeyMismatch,
                "the key ({}) is an RSASSA-PSS key (RFC 4055): it is used only with PS256, PS384 and PS512, not {alg}",
                self.label()
            ));
        }
        self.check_meta(alg.as_str(), op)?;
        if op == KeyOp::Sign && !self.is_private() {
            return Err(err!(
                KeyMismatch,
                "signing needs a private key, but {} is a public key",
                self.label()
            ));
        }
        Ok(())
    }

    /// The metadata half of [`Key::check_use`], for any algorithm name (JWS or JWE).
    ///
    /// # Errors
    /// `key_mismatch` when the JWK `alg`, `use` or `key_ops` forbid this use.
    pub fn check_meta(&self, alg: &str, op: KeyOp) -> Result<()> {
        if let Some(ka) = &self.meta.alg
            && ka != alg
        {
            return Err(err!(
                KeyMismatch,
                "the key ({}) is restricted to alg {} by its JWK, not {alg}",
                self.label(),
                crate::text::quote(ka)
            ));
        }
        if let Some(u) = &self.meta.use_
            && u != op.use_name()
        {
            return Err(err!(
                KeyMismatch,
                "the key ({}) has use {}, not \"{}\"",
                self.label(),
                crate::text::quote(u),
                op.use_name()
            ));
        }
        if let Some(ops) = &self.meta.key_ops
            && !ops.iter().any(|o| op.key_ops_names().contains(&o.as_str()))
        {
            return Err(err!(
                KeyMismatch,
                "the key ({}) has key_ops [{}], which does not permit {}",
                self.label(),
                ops.join(", "),
                op.key_ops_names().first().copied().unwrap_or("this operation")
            ));
        }
        Ok(())
    }

    /// SubjectPublicKeyInfo DER of the public key (None for oct keys).
    pub fn public_key_der(&self) -> Option<Vec<u8>> {
        use aws_lc_rs::encoding::AsDer;
        match &self.material {
            Material::Oct(_) => None,
            Material::Rsa(p, _) => signature::RsaPublicKeyComponents {
                n: &p.n[..],
                e: &p.e[..],
            }
            .as_der()
            .ok()
            .map(|d| d.as_ref().to_vec()),
            Material::Ec(p, _) => {
                let curve = match p.curve {
                    EcCurve::P256 => der::oid::P256,
                    EcCurve::P384 => der::oid::P384,
                    EcCurve::P521 => der::oid::P521,
                    EcCurve::Secp256k1 => der::oid::SECP256K1,
                };
                Some(der::encode_spki(der::oid::EC_PUBLIC_KEY, Some(curve), &p.point))
            }
            Material::Okp(p, _) => {
                let oid = match p.curve {
                    OkpCurve::Ed25519 => der::oid::ED25519,
                    OkpCurve::X25519 => der::oid::X25519,
                };
                Some(der::encode_spki(oid, None, &p.x))
            }
            Material::Akp(p, _) => Some(der::encode_spki(akp::oid_of(p.params), None, &p.key)),
        }
    }

    /// The public key as PEM (`-----BEGIN PUBLIC KEY-----`, SPKI). None for oct keys.
    pub fn public_key_pem(&self) -> Option<String> {
        self.public_key_der()
            .map(|d| pem_lf(&pem::Pem::new("PUBLIC KEY", d)))
    }

    /// The private key as PKCS#8 DER (None for public and oct keys).
    pub fn private_key_der(&self) -> Option<Zeroizing<Vec<u8>>> {
        match &self.material {
            Material::Rsa(_, Some(p)) => Some(p.pkcs8.clone()),
            Material::Ec(_, Some(p)) => p
                .pair
                .to_pkcs8v1()
                .ok()
                .map(|d| Zeroizing::new(d.as_ref().to_vec())),
            Material::Okp(_, Some(p)) => match &p.pair {
                Some(pair) => pair
                    .to_pkcs8v1()
                    .ok()
                    .map(|d| Zeroizing::new(d.as_ref().to_vec())),
                None => {
                    // X25519 PKCS#8 (RFC 8410): version 0, algorithm id-X25519, CurvePrivateKey.
                    let mut body = der::encode(der::tag::INTEGER, &[0]);
                    body.extend(der::encode(
                        der::tag::SEQUENCE,
                        &der::encode(der::tag::OID, der::oid::X25519),
                    ));
                    body.extend(der::encode(
                        der::tag::OCTET_STRING,
                        &der::encode(der::tag::OCTET_STRING, &p.d),
                    ));
                    Some(Zeroizing::new(der::encode(der::tag::SEQUENCE, &body)))
                }
            },
            Material::Akp(_, Some(p)) => akp::private_key_der(p),
            _ => None,
        }
    }

    /// The private key as PEM (`-----BEGIN PRIVATE KEY-----`, PKCS#8).
    pub fn private_key_pem(&self) -> Option<Zeroizing<String>> {
        self.private_key_der()
            .map(|d| Zeroizing::new(pem_lf(&pem::Pem::new("PRIVATE KEY", d.to_vec()))))
    }

    /// The public half of this key (the same key for oct keys is not available: returns None).
    pub fn to_public(&self) -> Option<Key> {
        let material = match &self.material {
            Material::Oct(_) => return None,
            Material::Rsa(p, _) => Material::Rsa(
                RsaPublic {
                    pss_only: p.pss_only,
                    weak_allowed: p.weak_allowed,
                    ..RsaPublic::new(p.n.clone(), p.e.clone())
                },
                None,
            ),
            Material::Ec(p, _) => Material::Ec(EcPublic::new(p.curve, p.point.clone()), None),
            Material::Okp(p, _) => Material::Okp(OkpPublic::new(p.curve, p.x.clone()), None),
            Material::Akp(p, _) => Material::Akp(AkpPublic::new(p.params, p.key.clone()), None),
        };
        Some(Key {
            material,
            meta: self.meta.clone(),
            thumbprint: self.thumbprint.clone(),
        })
    }

    /// The parsed aws-lc-rs verifier for `alg` (cached). None when this key cannot verify `alg`.
    pub(crate) fn parsed_verifier(&self, alg: JwsAlg) -> Option<&ParsedPublicKey> {
        match &self.material {
            Material::Rsa(p, _) => p.parsed(alg),
            Material::Ec(p, _) => p
                .parsed
                .get_or_init(|| {
                    let a: &'static signature::EcdsaVerificationAlgorithm = match p.curve {
                        EcCurve::P256 => &signature::ECDSA_P256_SHA256_FIXED,
                        EcCurve::P384 => &signature::ECDSA_P384_SHA384_FIXED,
                        EcCurve::P521 => &signature::ECDSA_P521_SHA512_FIXED,
                        EcCurve::Secp256k1 => &signature::ECDSA_P256K1_SHA256_FIXED,
                    };
                    ParsedPublicKey::new(a, &p.point).ok()
                })
                .as_ref(),
            Material::Okp(p, _) if p.curve == OkpCurve::Ed25519 => p
                .parsed
                .get_or_init(|| ParsedPublicKey::new(&signature::ED25519, &p.x).ok())
                .as_ref(),
            Material::Akp(p, _) if alg.family() == KeyFamily::Akp(p.params) => p.parsed(),
            _ => None,
        }
    }
}

impl RsaPublic {
    pub(crate) fn new(n: Vec<u8>, e: Vec<u8>) -> RsaPublic {
        let bits = n
            .first()
            .map_or(0, |&b| (n.len() - 1) * 8 + (8 - b.leading_zeros() as usize));
        RsaPublic {
            n,
            e,
            bits,
            pss_only: false,
            weak_allowed: false,
            parsed: Default::default(),
        }
    }

    fn parsed(&self, alg: JwsAlg) -> Option<&ParsedPublicKey> {
        let legacy = self.bits < 2048;
        let (i, params): (usize, &'static signature::RsaParameters) = match (alg, legacy) {
            (JwsAlg::RS256, false) => (0, &signature::RSA_PKCS1_2048_8192_SHA256),
            (JwsAlg::RS384, false) => (1, &signature::RSA_PKCS1_2048_8192_SHA384),
            (JwsAlg::RS512, false) => (2, &signature::RSA_PKCS1_2048_8192_SHA512),
            (JwsAlg::PS256, false) => (3, &signature::RSA_PSS_2048_8192_SHA256),
            (JwsAlg::PS384, false) => (4, &signature::RSA_PSS_2048_8192_SHA384),
            (JwsAlg::PS512, false) => (5, &signature::RSA_PSS_2048_8192_SHA512),
            // Keys of 1024..2047 bits: aws-lc-rs verifies them only for RS256 and RS512.
            (JwsAlg::RS256, true) => (0, &signature::RSA_PKCS1_1024_8192_SHA256_FOR_LEGACY_USE_ONLY),
            (JwsAlg::RS512, true) => (2, &signature::RSA_PKCS1_1024_8192_SHA512_FOR_LEGACY_USE_ONLY),
            _ => return None,
        };
        self.parsed
            .get(i)?
            .get_or_init(|| {
                signature::RsaPublicKeyComponents {
                    n: &self.n[..],
                    e: &self.e[..],
                }
                .to_parsed_public_key(params)
                .ok()
            })
            .as_ref()
    }
}

impl EcPublic {
    pub(crate) fn new(curve: EcCurve, point: Vec<u8>) -> EcPublic {
        EcPublic {
            curve,
            point,
            parsed: OnceLock::new(),
        }
    }

    /// (x, y), each of the curve's coordinate length.
    pub(crate) fn xy(&self) -> (&[u8], &[u8]) {
        let n = self.curve.coordinate_len();
        let body = self.point.get(1..).unwrap_or_default();
        (
            body.get(..n).unwrap_or_default(),
            body.get(n..).unwrap_or_default(),
        )
    }
}

impl OkpPublic {
    pub(crate) fn new(curve: OkpCurve, x: Vec<u8>) -> OkpPublic {
        OkpPublic {
            curve,
            x,
            parsed: OnceLock::new(),
        }
    }
}

impl fmt::Debug for Key {
    /// Never prints key material.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Key")
            .field("family", &self.family())
            .field("private", &self.is_private())
            .field("bits", &self.bits())
            .field("kid", &self.meta.kid)
            .field("alg", &self.meta.alg)
            .field("thumbprint", &self.thumbprint)
            .finish()
    }
}

/// PEM text with `\n` line endings, as OpenSSL writes it (the `pem` crate defaults to `\r\n`).
fn pem_lf(p: &pem::Pem) -> String {
    pem::encode_config(p, pem::EncodeConfig::new().set_line_ending(pem::LineEnding::LF))
}

pub(crate) fn bad_key(what: impl fmt::Display) -> Error {
    Error::new(ErrorKind::BadKey, what.to_string())
}
/// RFC 7638 §3: SHA-256 over the required members in lexicographic order, no whitespace.
pub(crate) fn thumbprint_of(material: &Material) -> String {
    fn e(v: &[u8]) -> String {
        crate::base64url::encode(v)
    }
    let canonical = match material {
        Material::Oct(s) => format!(r#"{{"k":"{}","kty":"oct"}}"#, e(&s.bytes)),
        Material::Rsa(p, _) => format!(r#"{{"e":"{}","kty":"RSA","n":"{}"}}"#, e(&p.e), e(&p.n)),
        Material::Ec(p, _) => {
            let (x, y) = p.xy();
            format!(
                r#"{{"crv":"{}","kty":"EC","x":"{}","y":"{}"}}"#,
                p.curve.as_str(),
                e(x),
                e(y)
            )
        }
        Material::Okp(p, _) => format!(
            r#"{{"crv":"{}","kty":"OKP","x":"{}"}}"#,
            p.curve.as_str(),
            e(&p.x)
        ),
        // RFC 9964 §6: the required members of an AKP key are alg, kty and pub.
        Material::Akp(p, _) => format!(
            r#"{{"alg":"{}","kty":"AKP","pub":"{}"}}"#,
            p.params.as_str(),
            e(&p.key)
        ),
    };
    e(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, canonical.as_bytes()).as_ref())
}
