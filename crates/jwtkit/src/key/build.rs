//! Building [`Key`]s from DER structures and from JWK components. Every constructor validates
//! through aws-lc-rs (point on curve, RSA consistency) and fails with `bad_key`.

use aws_lc_rs::agreement;
use aws_lc_rs::encoding::{AsBigEndian, AsDer};
use aws_lc_rs::rsa::KeyPairComponents;
use aws_lc_rs::signature::{self, EcdsaKeyPair, Ed25519KeyPair, KeyPair as _, ParsedPublicKey, RsaKeyPair};
use zeroize::Zeroizing;

use super::der::{self, oid};
use super::{
    EcPrivate, EcPublic, Key, KeyMeta, Material, OkpPrivate, OkpPublic, RsaPrivate, RsaPublic, bad_key,
};
use crate::error::Result;
use crate::jwa::{EcCurve, OkpCurve};

/// RSA moduli accepted at all (verification of 1024..2047 is allowed with a finding).
const RSA_MIN_BITS: usize = 1024;
const RSA_MAX_BITS: usize = 8192;

fn strip_leading_zeros(b: &[u8]) -> &[u8] {
    let start = b.iter().position(|&x| x != 0).unwrap_or(b.len());
    b.get(start..).unwrap_or_default()
}

pub(crate) fn ecdsa_signing_alg(curve: EcCurve) -> &'static signature::EcdsaSigningAlgorithm {
    match curve {
        EcCurve::P256 => &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
        EcCurve::P384 => &signature::ECDSA_P384_SHA384_FIXED_SIGNING,
        EcCurve::P521 => &signature::ECDSA_P521_SHA512_FIXED_SIGNING,
        EcCurve::Secp256k1 => &signature::ECDSA_P256K1_SHA256_FIXED_SIGNING,
    }
}

fn ecdsa_verify_alg(curve: EcCurve) -> &'static signature::EcdsaVerificationAlgorithm {
    match curve {
        EcCurve::P256 => &signature::ECDSA_P256_SHA256_FIXED,
        EcCurve::P384 => &signature::ECDSA_P384_SHA384_FIXED,
        EcCurve::P521 => &signature::ECDSA_P521_SHA512_FIXED,
        EcCurve::Secp256k1 => &signature::ECDSA_P256K1_SHA256_FIXED,
    }
}

fn curve_from_oid(o: Option<&[u8]>) -> Result<EcCurve> {
    match o {
        Some(oid::P256) => Ok(EcCurve::P256),
        Some(oid::P384) => Ok(EcCurve::P384),
        Some(oid::P521) => Ok(EcCurve::P521),
        Some(oid::SECP256K1) => Ok(EcCurve::Secp256k1),
        Some(_) => Err(bad_key(
            "EC key on an unsupported curve (use P-256, P-384, P-521 or secp256k1)",
        )),
        None => Err(bad_key("EC key without a named curve")),
    }
}

fn unsupported_oid(o: &[u8]) -> crate::Error {
    match o {
        oid::ED448 => bad_key(
            "Ed448 keys are not supported: jwtkit takes all its cryptography from aws-lc-rs, which has no Ed448; use Ed25519",
        ),
        oid::X448 => bad_key("X448 keys are not supported; use X25519"),
        _ => bad_key("the key's algorithm is not RSA, EC, Ed25519, X25519 or ML-DSA"),
    }
}

impl Key {
    /// An RSA public key from its modulus and exponent (big-endian; leading zeros tolerated).
    ///
    /// # Errors
    /// `bad_key` when the modulus is outside 1024..=8192 bits or aws-lc-rs rejects the key.
    pub fn rsa_public(n: &[u8], e: &[u8], meta: KeyMeta) -> Result<Key> {
        let p = RsaPublic::new(strip_leading_zeros(n).to_vec(), strip_leading_zeros(e).to_vec());
        check_rsa_size(p.bits)?;
        signature::RsaPublicKeyComponents {
            n: &p.n[..],
            e: &p.e[..],
        }
        .to_parsed_public_key(&signature::RSA_PKCS1_2048_8192_SHA256)
        .map_err(|e| bad_key(format!("invalid RSA public key: {e}")))?;
        Ok(Key::from_material(Material::Rsa(p, None), meta))
    }

    fn rsa_from_pair(pair: RsaKeyPair, meta: KeyMeta) -> Result<Key> {
        let public = pair.public_key();
        let p = RsaPublic::new(
            public.modulus().big_endian_without_leading_zero().to_vec(),
            public.exponent().big_endian_without_leading_zero().to_vec(),
        );
        check_rsa_size(p.bits)?;
        let pkcs8 = AsDer::<aws_lc_rs::encoding::Pkcs8V1Der>::as_der(&pair)
            .map_err(|_| bad_key("cannot encode the RSA private key"))?;
        let pkcs8 = Zeroizing::new(pkcs8.as_ref().to_vec());
        Ok(Key::from_material(
            Material::Rsa(
                p,
                Some(RsaPrivate {
                    pair,
                    pkcs8,
                    decrypting: Default::default(),
                }),
            ),
            meta,
        ))
    }

    /// An RSA private key from JWK components (RFC 7518 §6.3.2), CRT parameters required.
    ///
    /// # Errors
    /// `bad_key` when the components are inconsistent.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn rsa_private_components(c: [&[u8]; 8], meta: KeyMeta) -> Result<Key> {
        let [n, e, d, p, q, dp, dq, qi] = c.map(strip_leading_zeros);
        let comps = KeyPairComponents {
            public_key: signature::RsaPublicKeyComponents { n, e },
            d,
            p,
            q,
            dP: dp,
            dQ: dq,
            qInv: qi,
        };
        let pair = RsaKeyPair::from_components(&comps)
            .map_err(|e| bad_key(format!("inconsistent RSA private key components: {e}")))?;
        Key::rsa_from_pair(pair, meta)
    }

    /// An EC public key from an uncompressed point 0x04 ‖ x ‖ y, checked to be on `curve`.
    ///
    /// # Errors
    /// `bad_key` when the point has the wrong length or is not on the curve.
    pub fn ec_public(curve: EcCurve, point: &[u8], meta: KeyMeta) -> Result<Key> {
        if point.len() != 1 + 2 * curve.coordinate_len() || point.first() != Some(&4) {
            return Err(bad_key(format!(
                "EC public key on {} must be an uncompressed point of {} bytes",
                curve.as_str(),
                1 + 2 * curve.coordinate_len()
            )));
        }
        ParsedPublicKey::new(ecdsa_verify_alg(curve), point)
            .map_err(|_| bad_key(format!("EC public key is not a point on {}", curve.as_str())))?;
        Ok(Key::from_material(
            Material::Ec(EcPublic::new(curve, point.to_vec()), None),
            meta,
        ))
    }

    fn ec_from_pair(curve: EcCurve, pair: EcdsaKeyPair, meta: KeyMeta) -> Result<Key> {
        let point = pair.public_key().as_ref().to_vec();
        let d = pair
            .private_key()
            .as_be_bytes()
            .map_err(|_| bad_key("cannot export the EC private key"))?;
        let d = Zeroizing::new(d.as_ref().to_vec());
        Ok(Key::from_material(
            Material::Ec(
                EcPublic::new(curve, point),
                Some(EcPrivate {
                    pair,
                    d,
                    agreement: Default::default(),
                }),
            ),
            meta,
        ))
    }

    /// An EC private key from JWK components `d` and the public point.
    ///
    /// # Errors
    /// `bad_key` when `d` does not match the point or has the wrong length.
    pub(crate) fn ec_private_components(
        curve: EcCurve,
        d: &[u8],
        point: &[u8],
        meta: KeyMeta,
    ) -> Result<Key> {
        if d.len() != curve.coordinate_len() {
            return Err(bad_key(format!(
                "EC private key d on {} must be {} bytes, found {}",
                curve.as_str(),
                curve.coordinate_len(),
                d.len()
            )));
        }
        let pair = EcdsaKeyPair::from_private_key_and_public_key(ecdsa_signing_alg(curve), d, point)
            .map_err(|_| bad_key("EC private key d does not match the public point x, y"))?;
        Key::ec_from_pair(curve, pair, meta)
    }

    /// An OKP public key (Ed25519 or X25519), 32 bytes.
    ///
    /// # Errors
    /// `bad_key` for another length or an invalid Ed25519 point.
    pub fn okp_public(curve: OkpCurve, x: &[u8], meta: KeyMeta) -> Result<Key> {
        if x.len() != 32 {
            return Err(bad_key(format!(
                "{} public key must be 32 bytes, found {}",
                curve.as_str(),
                x.len()
            )));
        }
        if curve == OkpCurve::Ed25519 {
            if ed25519_small_order(x) {
                return Err(bad_key(
                    "the Ed25519 public key is a point of small order: signatures under it prove nothing (some verifiers accept forgeries for it)",
                ));
            }
            ParsedPublicKey::new(&signature::ED25519, x)
                .map_err(|_| bad_key("invalid Ed25519 public key"))?;
        }
        Ok(Key::from_material(
            Material::Okp(OkpPublic::new(curve, x.to_vec()), None),
            meta,
        ))
    }

    /// An OKP private key from its 32-byte private value `d` (and, if given, the public `x`,
    /// which must match).
    ///
    /// # Errors
    /// `bad_key` for a wrong length or a mismatching public key.
    pub(crate) fn okp_private(curve: OkpCurve, d: &[u8], x: Option<&[u8]>, meta: KeyMeta) -> Result<Key> {
        if d.len() != 32 {
            return Err(bad_key(format!(
                "{} private key must be 32 bytes, found {}",
                curve.as_str(),
                d.len()
            )));
        }
        let (public, pair) = match curve {
            OkpCurve::Ed25519 => {
                let pair = Ed25519KeyPair::from_seed_unchecked(d)
                    .map_err(|_| bad_key("invalid Ed25519 private key"))?;
                (pair.public_key().as_ref().to_vec(), Some(pair))
            }
            OkpCurve::X25519 => {
                let sk = agreement::PrivateKey::from_private_key(&agreement::X25519, d)
                    .map_err(|_| bad_key("invalid X25519 private key"))?;
                let pk = sk
                    .compute_public_key()
                    .map_err(|_| bad_key("invalid X25519 private key"))?;
                (pk.as_ref().to_vec(), None)
            }
        };
        if let Some(x) = x
            && x != public.as_slice()
        {
            return Err(bad_key(format!(
                "{} private key d does not match the public key x",
                curve.as_str()
            )));
        }
        Ok(Key::from_material(
            Material::Okp(
                OkpPublic::new(curve, public),
                Some(OkpPrivate {
                    pair,
                    d: Zeroizing::new(d.to_vec()),
                    agreement: Default::default(),
                }),
            ),
            meta,
        ))
    }

    /// A public key from SubjectPublicKeyInfo DER (RFC 5280): RSA, EC P-256/384/521 and
    /// secp256k1, Ed25519, X25519, ML-DSA-44/65/87 (RFC 9881).
    ///
    /// # Errors
    /// `bad_key` for malformed DER or unsupported algorithms and curves.
    pub fn from_spki(der_bytes: &[u8]) -> Result<Key> {
        let s = der::spki(der_bytes).ok_or_else(|| bad_key("not a valid SubjectPublicKeyInfo"))?;
        match s.alg.oid {
            oid::RSA_ENCRYPTION | oid::RSASSA_PSS => {
                let (n, e) = der::rsa_public_key(s.key)
                    .ok_or_else(|| bad_key("malformed RSA public key inside SubjectPublicKeyInfo"))?;
                let key = Key::rsa_public(n, e, KeyMeta::default())?;
                Ok(if s.alg.oid == oid::RSASSA_PSS {
                    key.into_pss_only()
                } else {
                    key
                })
            }
            oid::EC_PUBLIC_KEY => Key::ec_public(curve_from_oid(s.alg.param_oid)?, s.key, KeyMeta::default()),
            oid::ED25519 => Key::okp_public(OkpCurve::Ed25519, s.key, KeyMeta::default()),
            oid::X25519 => Key::okp_public(OkpCurve::X25519, s.key, KeyMeta::default()),
            other => match super::akp::params_of_oid(other) {
                Some(params) => Key::akp_public(params, s.key, KeyMeta::default()),
                None => Err(unsupported_oid(other)),
            },
        }
    }

    /// A private key from PKCS#8 DER (RFC 5208 / RFC 5958): RSA, EC, Ed25519, X25519, ML-DSA
    /// (RFC 9881 seed, expanded or both forms).
    ///
    /// # Errors
    /// `bad_key` for malformed or inconsistent keys and unsupported algorithms.
    pub fn from_pkcs8(der_bytes: &[u8]) -> Result<Key> {
        let p = der::pkcs8(der_bytes).ok_or_else(|| bad_key("not a valid PKCS#8 private key"))?;
        match p.alg.oid {
            oid::RSA_ENCRYPTION => {
                let pair = RsaKeyPair::from_pkcs8(der_bytes)
                    .map_err(|e| bad_key(format!("invalid RSA private key: {e}")))?;
                Key::rsa_from_pair(pair, KeyMeta::default())
            }
            // aws-lc-rs takes only rsaEncryption in PKCS#8; an RSASSA-PSS key (RFC 4055, what
            // `openssl genpkey -algorithm RSA-PSS` writes) holds the same PKCS#1 RSAPrivateKey.
            oid::RSASSA_PSS => {
                let pair = RsaKeyPair::from_der(p.private_key)
                    .map_err(|e| bad_key(format!("invalid RSA-PSS private key: {e}")))?;
                Key::rsa_from_pair(pair, KeyMeta::default()).map(Key::into_pss_only)
            }
            oid::EC_PUBLIC_KEY => {
                let curve = curve_from_oid(p.alg.param_oid)?;
                let pair = EcdsaKeyPair::from_pkcs8(ecdsa_signing_alg(curve), der_bytes)
                    .map_err(|e| bad_key(format!("invalid EC private key: {e}")))?;
                Key::ec_from_pair(curve, pair, KeyMeta::default())
            }
            oid::ED25519 => {
                let pair = Ed25519KeyPair::from_pkcs8(der_bytes)
                    .map_err(|e| bad_key(format!("invalid Ed25519 private key: {e}")))?;
                let seed = pair.seed().map_err(|_| bad_key("invalid Ed25519 private key"))?;
                let seed = seed
                    .as_be_bytes()
                    .map_err(|_| bad_key("invalid Ed25519 private key"))?;
                Key::okp_private(OkpCurve::Ed25519, seed.as_ref(), None, KeyMeta::default())
            }
            oid::X25519 => {
                let d = der::Reader::new(p.private_key)
                    .read(der::tag::OCTET_STRING)
                    .ok_or_else(|| bad_key("malformed X25519 private key"))?;
                Key::okp_private(OkpCurve::X25519, d, None, KeyMeta::default())
            }
            other => match super::akp::params_of_oid(other) {
                Some(params) => Key::akp_from_pkcs8(params, der_bytes),
                None => Err(unsupported_oid(other)),
            },
        }
    }

    /// An RSA private key from PKCS#1 RSAPrivateKey DER (`BEGIN RSA PRIVATE KEY`).
    ///
    /// # Errors
    /// `bad_key` when aws-lc-rs rejects the key.
    pub fn from_pkcs1_private(der_bytes: &[u8]) -> Result<Key> {
        let pair = RsaKeyPair::from_der(der_bytes)
            .map_err(|e| bad_key(format!("invalid PKCS#1 RSA private key: {e}")))?;
        Key::rsa_from_pair(pair, KeyMeta::default())
    }

    /// An RSA public key from PKCS#1 RSAPublicKey DER (`BEGIN RSA PUBLIC KEY`).
    ///
    /// # Errors
    /// `bad_key` for malformed DER.
    pub fn from_pkcs1_public(der_bytes: &[u8]) -> Result<Key> {
        let (n, e) =
            der::rsa_public_key(der_bytes).ok_or_else(|| bad_key("not a valid PKCS#1 RSA public key"))?;
        Key::rsa_public(n, e, KeyMeta::default())
    }

    /// An EC private key from SEC1 ECPrivateKey DER (`BEGIN EC PRIVATE KEY`, RFC 5915).
    ///
    /// # Errors
    /// `bad_key` for malformed keys and unsupported curves.
    pub fn from_sec1(der_bytes: &[u8]) -> Result<Key> {
        let curve_oid =
            der::sec1_curve(der_bytes).ok_or_else(|| bad_key("not a valid SEC1 EC private key"))?;
        let curves: Vec<EcCurve> = match curve_oid {
            Some(o) => vec![curve_from_oid(Some(o))?],
            None => vec![EcCurve::P256, EcCurve::P384, EcCurve::P521, EcCurve::Secp256k1],
        };
        for curve in curves {
            if let Ok(pair) = EcdsaKeyPair::from_private_key_der(ecdsa_signing_alg(curve), der_bytes) {
                return Key::ec_from_pair(curve, pair, KeyMeta::default());
            }
        }
        Err(bad_key("invalid SEC1 EC private key"))
    }

    /// The public key of an X.509 certificate (DER).
    ///
    /// # Errors
    /// `bad_key` for malformed certificates or unsupported keys.
    pub fn from_certificate(der_bytes: &[u8]) -> Result<Key> {
        let c = der::certificate(der_bytes).ok_or_else(|| bad_key("not a valid X.509 certificate"))?;
        Key::from_spki(c.spki)
    }
}

fn check_rsa_size(bits: usize) -> Result<()> {
    if !(RSA_MIN_BITS..=RSA_MAX_BITS).contains(&bits) {
        return Err(bad_key(format!(
            "RSA modulus of {bits} bits is outside the supported {RSA_MIN_BITS}..={RSA_MAX_BITS} bits"
        )));
    }
    Ok(())
}

/// Validity of an X.509 certificate (DER), Unix seconds: (notBefore, notAfter).
pub fn certificate_validity(der_bytes: &[u8]) -> Option<(i64, i64)> {
    let c = der::certificate(der_bytes)?;
    Some((c.not_before?, c.not_after?))
}

/// Encodings of the Ed25519 points of small order (orders 1, 2, 4, 8), and the non-canonical
/// encodings of 0 and 1 (y = p, y = p + 1), with the sign bit cleared; libsodium refuses the
/// same list. A public key among them lets a forger choose signatures that verify for many
/// messages under cofactored verification.
const ED25519_SMALL_ORDER: [[u8; 32]; 7] = [
    [0; 32],
    [
        1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    ],
    [
        0x26, 0xe8, 0x95, 0x8f, 0xc2, 0xb2, 0x27, 0xb0, 0x45, 0xc3, 0xf4, 0x89, 0xf2, 0xef, 0x98, 0xf0, 0xd5,
        0xdf, 0xac, 0x05, 0xd3, 0xc6, 0x33, 0x39, 0xb1, 0x38, 0x02, 0x88, 0x6d, 0x53, 0xfc, 0x05,
    ],
    [
        0xc7, 0x17, 0x6a, 0x70, 0x3d, 0x4d, 0xd8, 0x4f, 0xba, 0x3c, 0x0b, 0x76, 0x0d, 0x10, 0x67, 0x0f, 0x2a,
        0x20, 0x53, 0xfa, 0x2c, 0x39, 0xcc, 0xc6, 0x4e, 0xc7, 0xfd, 0x77, 0x92, 0xac, 0x03, 0x7a,
    ],
    [
        0xec, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f,
    ],
    [
        0xed, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f,
    ],
    [
        0xee, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f,
    ],
];

/// Whether a 32-byte Ed25519 public key encodes a point of small order (sign bit ignored).
fn ed25519_small_order(x: &[u8]) -> bool {
    let Ok(x) = <[u8; 32]>::try_from(x) else {
        return false;
    };
    let mut y = x;
    y[31] &= 0x7f;
    ED25519_SMALL_ORDER.contains(&y)
}
