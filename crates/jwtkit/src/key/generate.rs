//! Key generation (`jwtkit keygen`): RSA 2048/3072/4096, EC P-256/384/521/secp256k1, Ed25519,
//! X25519, ML-DSA-44/65/87, and random HMAC secrets, all from aws-lc-rs.

use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{EcdsaKeyPair, RsaKeyPair};

use super::{Key, KeyMeta, bad_key};
use crate::error::Result;
use crate::jwa::{EcCurve, JwsAlg, OkpCurve};

/// What kind of key to generate.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeySpec {
    /// RSA with a modulus of 2048, 3072 or 4096 bits.
    Rsa(usize),
    /// EC on a NIST curve.
    Ec(EcCurve),
    /// OKP (Ed25519 or X25519).
    Okp(OkpCurve),
    /// A random symmetric secret of this many bytes.
    Oct(usize),
    /// An ML-DSA key (`AKP`, RFC 9964) from a fresh 32-byte seed.
    Akp(crate::MlDsa),
}

impl KeySpec {
    /// The natural key for a JWS algorithm: RSA 2048 for RS*/PS*, the curve of ES*, Ed25519
    /// for EdDSA, the parameter set of ML-DSA-*, and a secret as long as the hash for HS*
    /// (RFC 7518 §3.2).
    pub fn for_alg(alg: JwsAlg) -> KeySpec {
        match alg.family() {
            crate::KeyFamily::Oct => KeySpec::Oct(alg.hash_len()),
            crate::KeyFamily::Rsa => KeySpec::Rsa(2048),
            crate::KeyFamily::Ec(c) => KeySpec::Ec(c),
            crate::KeyFamily::Okp(c) => KeySpec::Okp(c),
            crate::KeyFamily::Akp(m) => KeySpec::Akp(m),
        }
    }
}

impl KeySpec {
    /// The natural key for a JWE Key Management Algorithm: RSA 2048 for RSA-OAEP*, P-256 for
    /// ECDH-ES*, a secret of the wrap key length for AES KW / AES GCM KW, of `enc`'s CEK length
    /// for `dir`, and a random 32-byte password for PBES2.
    ///
    /// ```
    /// use jwtkit::{EncAlg, KeyMgmtAlg, jwk::KeySpec};
    /// assert_eq!(KeySpec::for_key_mgmt(KeyMgmtAlg::Dir, EncAlg::A256CBC_HS512), KeySpec::Oct(64));
    /// assert_eq!(KeySpec::for_key_mgmt(KeyMgmtAlg::A192KW, EncAlg::A128GCM), KeySpec::Oct(24));
    /// ```
    pub fn for_key_mgmt(alg: crate::KeyMgmtAlg, enc: crate::EncAlg) -> KeySpec {
        use crate::jwa::KeyMgmtMode;
        match alg.mode() {
            KeyMgmtMode::KeyEncryption => KeySpec::Rsa(2048),
            KeyMgmtMode::DirectKeyAgreement | KeyMgmtMode::KeyAgreementWithKeyWrapping => {
                KeySpec::Ec(EcCurve::P256)
            }
            KeyMgmtMode::DirectEncryption => KeySpec::Oct(enc.key_len()),
            KeyMgmtMode::KeyWrapping => {
                KeySpec::Oct(alg.wrap_key_len().filter(|_| !alg.is_pbes2()).unwrap_or(32))
            }
        }
    }
}

impl Key {
    /// Generate a new private key (or secret). The `kid` is left unset; callers usually set it
    /// to the thumbprint.
    ///
    /// # Errors
    /// `invalid_config` for unsupported sizes; `bad_key` if the generator fails.
    pub fn generate(spec: KeySpec) -> Result<Key> {
        match spec {
            KeySpec::Rsa(bits) => {
                let size = match bits {
                    2048 => KeySize::Rsa2048,
                    3072 => KeySize::Rsa3072,
                    4096 => KeySize::Rsa4096,
                    _ => {
                        return Err(crate::error::err!(
                            InvalidConfig,
                            "RSA key size {bits} is not supported (use 2048, 3072 or 4096)"
                        ));
                    }
                };
                let pair = RsaKeyPair::generate(size).map_err(|_| bad_key("RSA key generation failed"))?;
                let pkcs8 = aws_lc_rs::encoding::AsDer::<aws_lc_rs::encoding::Pkcs8V1Der>::as_der(&pair)
                    .map_err(|_| bad_key("RSA key generation failed"))?;
                Key::from_pkcs8(pkcs8.as_ref())
            }
            KeySpec::Ec(curve) => {
                let pair = EcdsaKeyPair::generate(super::build::ecdsa_signing_alg(curve))
                    .map_err(|_| bad_key("EC key generation failed"))?;
                let doc = pair
                    .to_pkcs8v1()
                    .map_err(|_| bad_key("EC key generation failed"))?;
                Key::from_pkcs8(doc.as_ref())
            }
            KeySpec::Okp(curve) => {
                let mut d = zeroize::Zeroizing::new([0u8; 32]);
                SystemRandom::new()
                    .fill(&mut d[..])
                    .map_err(|_| bad_key("random generator failed"))?;
                Key::okp_private(curve, &d[..], None, KeyMeta::default())
            }
            KeySpec::Oct(len) => {
                if !(16..=1024).contains(&len) {
                    return Err(crate::error::err!(
                        InvalidConfig,
                        "secret length {len} bytes is not supported (16..=1024)"
                    ));
                }
                let mut s = vec![0u8; len];
                SystemRandom::new()
                    .fill(&mut s)
                    .map_err(|_| bad_key("random generator failed"))?;
                Ok(Key::hmac(s))
            }
            KeySpec::Akp(params) => Key::generate_akp(params),
        }
    }
}
