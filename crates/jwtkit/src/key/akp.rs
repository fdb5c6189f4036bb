//! ML-DSA keys (FIPS 204), the JWK key type `AKP` of RFC 9964: the public key `pub` (1312, 1952
//! or 2592 bytes) and the private 32-byte seed `priv`, bound to one parameter set by the key's
//! `alg`. SubjectPublicKeyInfo and PKCS#8 use the OIDs id-ml-dsa-44/65/87 (RFC 9881); private
//! keys are read in any form aws-lc-rs reads (seed, expanded, both) and written in seed form.

use std::sync::OnceLock;

use aws_lc_rs::signature::{self, KeyPair as _, ParsedPublicKey, PqdsaKeyPair};
use zeroize::Zeroizing;

use super::der::{self, oid};
use super::{Key, KeyMeta, Material, bad_key};
use crate::error::Result;
use crate::jwa::MlDsa;

pub(crate) struct AkpPublic {
    pub(crate) params: MlDsa,
    /// The raw public key, exactly `params.public_key_len()` bytes.
    pub(crate) key: Vec<u8>,
    parsed: OnceLock<Option<ParsedPublicKey>>,
}

pub(crate) struct AkpPrivate {
    pub(crate) pair: PqdsaKeyPair,
    /// The 32-byte seed ξ; None when the key came from an expanded-only PKCS#8 (it still signs,
    /// but has no JWK `priv`).
    pub(crate) seed: Option<Zeroizing<Vec<u8>>>,
}

impl AkpPublic {
    pub(crate) fn new(params: MlDsa, key: Vec<u8>) -> AkpPublic {
        AkpPublic {
            params,
            key,
            parsed: OnceLock::new(),
        }
    }

    pub(crate) fn parsed(&self) -> Option<&ParsedPublicKey> {
        self.parsed
            .get_or_init(|| ParsedPublicKey::new(verification_alg(self.params), &self.key).ok())
            .as_ref()
    }
}

pub(crate) fn verification_alg(params: MlDsa) -> &'static signature::PqdsaVerificationAlgorithm {
    match params {
        MlDsa::MlDsa44 => &signature::ML_DSA_44,
        MlDsa::MlDsa65 => &signature::ML_DSA_65,
        MlDsa::MlDsa87 => &signature::ML_DSA_87,
    }
}

fn signing_alg(params: MlDsa) -> &'static signature::PqdsaSigningAlgorithm {
    match params {
        MlDsa::MlDsa44 => &signature::ML_DSA_44_SIGNING,
        MlDsa::MlDsa65 => &signature::ML_DSA_65_SIGNING,
        MlDsa::MlDsa87 => &signature::ML_DSA_87_SIGNING,
    }
}

/// The OID (DER content octets) of a parameter set, RFC 9881 §2.
pub(crate) fn oid_of(params: MlDsa) -> &'static [u8] {
    match params {
        MlDsa::MlDsa44 => oid::ML_DSA_44,
        MlDsa::MlDsa65 => oid::ML_DSA_65,
        MlDsa::MlDsa87 => oid::ML_DSA_87,
    }
}

/// The parameter set of an ML-DSA OID.
pub(crate) fn params_of_oid(o: &[u8]) -> Option<MlDsa> {
    [MlDsa::MlDsa44, MlDsa::MlDsa65, MlDsa::MlDsa87]
        .into_iter()
        .find(|p| oid_of(*p) == o)
}

impl Key {
    /// An ML-DSA public key (`AKP`, RFC 9964) from its raw encoding.
    ///
    /// # Errors
    /// `bad_key` when `public` is not exactly the parameter set's length (1312, 1952 or 2592
    /// bytes) or aws-lc-rs rejects it.
    pub fn akp_public(params: MlDsa, public: &[u8], meta: KeyMeta) -> Result<Key> {
        check_public_len(params, public)?;
        let p = AkpPublic::new(params, public.to_vec());
        if p.parsed().is_none() {
            return Err(bad_key(format!("invalid {} public key", params.as_str())));
        }
        Ok(Key::from_material(Material::Akp(p, None), meta))
    }

    /// An ML-DSA private key from its 32-byte seed (JWK `priv`), checked against `public` when
    /// given (JWK `pub`).
    ///
    /// # Errors
    /// `bad_key` when the seed is not 32 bytes, `public` has the wrong length, or the seed's
    /// public key differs from `public`.
    pub(crate) fn akp_private(
        params: MlDsa,
        seed: &[u8],
        public: Option<&[u8]>,
        meta: KeyMeta,
    ) -> Result<Key> {
        if seed.len() != params.seed_len() {
            return Err(bad_key(format!(
                "{} private key \"priv\" must be the {}-byte seed, found {} bytes",
                params.as_str(),
                params.seed_len(),
                seed.len()
            )));
        }
        if let Some(p) = public {
            check_public_len(params, p)?;
        }
        let pair = PqdsaKeyPair::from_seed(signing_alg(params), seed)
            .map_err(|_| bad_key(format!("invalid {} seed", params.as_str())))?;
        let derived = pair.public_key().as_ref().to_vec();
        if public.is_some_and(|p| p != derived.as_slice()) {
            return Err(bad_key(format!(
                "{} private key \"priv\" does not match the public key \"pub\"",
                params.as_str()
            )));
        }
        Ok(Key::from_material(
            Material::Akp(
                AkpPublic::new(params, derived),
                Some(AkpPrivate {
                    pair,
                    seed: Some(Zeroizing::new(seed.to_vec())),
                }),
            ),
            meta,
        ))
    }

    /// An ML-DSA private key from PKCS#8 DER (RFC 9881: seed, expanded key, or both).
    pub(crate) fn akp_from_pkcs8(params: MlDsa, der_bytes: &[u8]) -> Result<Key> {
        let pair = PqdsaKeyPair::from_pkcs8(signing_alg(params), der_bytes)
            .map_err(|e| bad_key(format!("invalid {} private key: {e}", params.as_str())))?;
        let seed = pair
            .to_pkcs8v1()
            .ok()
            .and_then(|d| seed_of_pkcs8(d.as_ref()).map(|s| Zeroizing::new(s.to_vec())));
        let public = pair.public_key().as_ref().to_vec();
        Ok(Key::from_material(
            Material::Akp(AkpPublic::new(params, public), Some(AkpPrivate { pair, seed })),
            KeyMeta::default(),
        ))
    }

    /// A new random ML-DSA key: a fresh 32-byte seed from the system RNG.
    pub(crate) fn generate_akp(params: MlDsa) -> Result<Key> {
        let mut seed = Zeroizing::new([0u8; 32]);
        aws_lc_rs::rand::fill(&mut seed[..]).map_err(|_| bad_key("the system random generator failed"))?;
        Key::akp_private(params, &seed[..], None, KeyMeta::default())
    }
}

fn check_public_len(params: MlDsa, public: &[u8]) -> Result<()> {
    if public.len() != params.public_key_len() {
        return Err(bad_key(format!(
            "{} public key \"pub\" must be {} bytes, found {}",
            params.as_str(),
            params.public_key_len(),
            public.len()
        )));
    }
    Ok(())
}

/// The seed of a seed-form ML-DSA PKCS#8 (`privateKey` = `[0] IMPLICIT OCTET STRING (32)`).
fn seed_of_pkcs8(der_bytes: &[u8]) -> Option<&[u8]> {
    let p = der::pkcs8(der_bytes)?;
    let mut r = der::Reader::new(p.private_key);
    let seed = r.read(0x80)?;
    (r.is_empty() && seed.len() == 32).then_some(seed)
}

/// PKCS#8 v1 DER of an ML-DSA private key in seed form (RFC 9881 §6), as aws-lc-rs writes it.
pub(crate) fn private_key_der(p: &AkpPrivate) -> Option<Zeroizing<Vec<u8>>> {
    p.pair
        .to_pkcs8v1()
        .ok()
        .map(|d| Zeroizing::new(d.as_ref().to_vec()))
}
