//! JSON Web Algorithms, [RFC 7518]: the algorithm identifiers and the key family each needs.
//!
//! JWS algorithms are [`JwsAlg`] (§3.1); JWE Key Management Algorithms are [`KeyMgmtAlg`]
//! (§4.1) and Content Encryption Algorithms [`EncAlg`] (§5.1). Their allowlists [`AlgorithmSet<JwsAlg>`],
//! [`AlgorithmSet<KeyMgmtAlg>`] and [`AlgorithmSet<EncAlg>`] are one generic type, [`AlgorithmSet`].
//!
//! [`JwsAlg`] covers §3.1 plus `EdDSA` (RFC 8037 §3.1) and its fully-specified successor
//! `Ed25519` (RFC 9864), `ES256K` on secp256k1 (RFC 8812) and `ML-DSA-44/65/87` with `AKP`
//! keys (RFC 9964). `Ed448` is refused with its reason: aws-lc-rs has no Ed448. There is no `None` variant: a header
//! `"alg":"none"` (in any letter case) parses to the error kind `alg_none` and can never verify.
//! Every algorithm is bound to a [`KeyFamily`]; a key is checked against that family before any
//! cryptography runs, so an RSA public key can never become an HMAC secret.
//!
//! This module holds the identifiers and the key-free primitives (AES key wrap, content
//! encryption, PBES2); the operations that take a [`crate::Key`] (JWS signatures, RSA-OAEP,
//! ECDH-ES) live in the (internal) key module, which depends on `jwa` and never the reverse.
//!
//! [RFC 7518]: https://www.rfc-editor.org/rfc/rfc7518

pub(crate) mod content;
pub(crate) mod jwe_alg;
pub(crate) mod kw;
pub(crate) mod pbes2;
mod set;

pub(crate) use jwe_alg::KeyMgmtMode;
pub use jwe_alg::{EncAlg, KeyMgmtAlg};
pub use set::{Algorithm, AlgorithmSet};

use std::fmt;
use std::str::FromStr;

use crate::error::{Error, ErrorKind, err};

/// A JWS `alg` value (RFC 7518 §3.1, RFC 8037 §3.1).
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum JwsAlg {
    /// HMAC using SHA-256 (Required).
    HS256,
    /// HMAC using SHA-384 (Optional).
    HS384,
    /// HMAC using SHA-512 (Optional).
    HS512,
    /// RSASSA-PKCS1-v1_5 using SHA-256 (Recommended).
    RS256,
    /// RSASSA-PKCS1-v1_5 using SHA-384 (Optional).
    RS384,
    /// RSASSA-PKCS1-v1_5 using SHA-512 (Optional).
    RS512,
    /// RSASSA-PSS using SHA-256 and MGF1 with SHA-256 (Optional).
    PS256,
    /// RSASSA-PSS using SHA-384 and MGF1 with SHA-384 (Optional).
    PS384,
    /// RSASSA-PSS using SHA-512 and MGF1 with SHA-512 (Optional).
    PS512,
    /// ECDSA using P-256 and SHA-256 (Recommended+); signature is raw r‖s, 64 bytes.
    ES256,
    /// ECDSA using P-384 and SHA-384 (Optional); signature is raw r‖s, 96 bytes.
    ES384,
    /// ECDSA using P-521 and SHA-512 (Optional); signature is raw r‖s, 132 bytes.
    ES512,
    /// Edwards-curve signature with Ed25519 (RFC 8037; Ed448 is not supported). Deprecated by
    /// RFC 9864 §2.2 in favour of the fully-specified [`JwsAlg::Ed25519`]; still accepted.
    EdDSA,
    /// EdDSA using the Ed25519 parameter set (RFC 9864 §2.1): the fully-specified name.
    Ed25519,
    /// ECDSA using secp256k1 and SHA-256 (RFC 8812 §3.2); signature is raw r‖s, 64 bytes.
    ES256K,
    /// ML-DSA-44 (FIPS 204, RFC 9964): `AKP` key of 1312 bytes, signature of 2420 bytes.
    #[allow(non_camel_case_types)]
    ML_DSA_44,
    /// ML-DSA-65 (FIPS 204, RFC 9964): `AKP` key of 1952 bytes, signature of 3309 bytes.
    #[allow(non_camel_case_types)]
    ML_DSA_65,
    /// ML-DSA-87 (FIPS 204, RFC 9964): `AKP` key of 2592 bytes, signature of 4627 bytes.
    #[allow(non_camel_case_types)]
    ML_DSA_87,
}

impl JwsAlg {
    /// Every supported algorithm: RFC 7518 order, then RFC 9864, RFC 8812 and RFC 9964 in the
    /// order they were added.
    pub const ALL: [JwsAlg; 18] = [
        JwsAlg::HS256,
        JwsAlg::HS384,
        JwsAlg::HS512,
        JwsAlg::RS256,
        JwsAlg::RS384,
        JwsAlg::RS512,
        JwsAlg::PS256,
        JwsAlg::PS384,
        JwsAlg::PS512,
        JwsAlg::ES256,
        JwsAlg::ES384,
        JwsAlg::ES512,
        JwsAlg::EdDSA,
        JwsAlg::Ed25519,
        JwsAlg::ES256K,
        JwsAlg::ML_DSA_44,
        JwsAlg::ML_DSA_65,
        JwsAlg::ML_DSA_87,
    ];

    /// The registered name (`"RS256"`).
    pub const fn as_str(self) -> &'static str {
        match self {
            JwsAlg::HS256 => "HS256",
            JwsAlg::HS384 => "HS384",
            JwsAlg::HS512 => "HS512",
            JwsAlg::RS256 => "RS256",
            JwsAlg::RS384 => "RS384",
            JwsAlg::RS512 => "RS512",
            JwsAlg::PS256 => "PS256",
            JwsAlg::PS384 => "PS384",
            JwsAlg::PS512 => "PS512",
            JwsAlg::ES256 => "ES256",
            JwsAlg::ES384 => "ES384",
            JwsAlg::ES512 => "ES512",
            JwsAlg::EdDSA => "EdDSA",
            JwsAlg::Ed25519 => "Ed25519",
            JwsAlg::ES256K => "ES256K",
            JwsAlg::ML_DSA_44 => "ML-DSA-44",
            JwsAlg::ML_DSA_65 => "ML-DSA-65",
            JwsAlg::ML_DSA_87 => "ML-DSA-87",
        }
    }

    /// The key family this algorithm needs.
    pub const fn family(self) -> KeyFamily {
        match self {
            JwsAlg::HS256 | JwsAlg::HS384 | JwsAlg::HS512 => KeyFamily::Oct,
            JwsAlg::RS256 | JwsAlg::RS384 | JwsAlg::RS512 | JwsAlg::PS256 | JwsAlg::PS384 | JwsAlg::PS512 => {
                KeyFamily::Rsa
            }
            JwsAlg::ES256 => KeyFamily::Ec(EcCurve::P256),
            JwsAlg::ES384 => KeyFamily::Ec(EcCurve::P384),
            JwsAlg::ES512 => KeyFamily::Ec(EcCurve::P521),
            JwsAlg::EdDSA | JwsAlg::Ed25519 => KeyFamily::Okp(OkpCurve::Ed25519),
            JwsAlg::ES256K => KeyFamily::Ec(EcCurve::Secp256k1),
            JwsAlg::ML_DSA_44 => KeyFamily::Akp(MlDsa::MlDsa44),
            JwsAlg::ML_DSA_65 => KeyFamily::Akp(MlDsa::MlDsa65),
            JwsAlg::ML_DSA_87 => KeyFamily::Akp(MlDsa::MlDsa87),
        }
    }

    /// Output size of the algorithm's hash, in bytes (the HMAC key minimum of RFC 7518 §3.2).
    /// EdDSA reports 64 (SHA-512 inside Ed25519), ML-DSA 64 (its SHAKE256 message
    /// representative μ).
    pub const fn hash_len(self) -> usize {
        match self {
            JwsAlg::HS256 | JwsAlg::RS256 | JwsAlg::PS256 | JwsAlg::ES256 | JwsAlg::ES256K => 32,
            JwsAlg::HS384 | JwsAlg::RS384 | JwsAlg::PS384 | JwsAlg::ES384 => 48,
            JwsAlg::HS512
            | JwsAlg::RS512
            | JwsAlg::PS512
            | JwsAlg::ES512
            | JwsAlg::EdDSA
            | JwsAlg::Ed25519
            | JwsAlg::ML_DSA_44
            | JwsAlg::ML_DSA_65
            | JwsAlg::ML_DSA_87 => 64,
        }
    }

    /// True for the HMAC algorithms (symmetric: whoever verifies can also sign).
    pub const fn is_hmac(self) -> bool {
        matches!(self.family(), KeyFamily::Oct)
    }

    /// Every JWS algorithm is in [`AlgorithmSet::<JwsAlg>::all`].
    pub(crate) const fn in_default_set(self) -> bool {
        true
    }

    /// Parse a header `alg` value.
    ///
    /// # Errors
    /// `alg_none` for `none` in any letter case; `unsupported_alg` for anything else unknown
    /// (names are case-sensitive, RFC 7515 §4.1.1), and for `Ed448` with the reason (aws-lc-rs,
    /// the only cryptography jwtkit uses, has no Ed448).
    pub fn from_header(s: &str) -> Result<JwsAlg, Error> {
        s.parse()
    }
}

impl fmt::Display for JwsAlg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for JwsAlg {
    type Err = Error;
    fn from_str(s: &str) -> Result<JwsAlg, Error> {
        if let Some(a) = JwsAlg::ALL.iter().find(|a| a.as_str() == s) {
            return Ok(*a);
        }
        if s.eq_ignore_ascii_case("none") {
            return Err(err!(
                AlgNone,
                "alg is {}: an unsecured JWS has no signature and is never accepted",
                crate::text::quote(s)
            ));
        }
        if s == "Ed448" {
            return Err(err!(
                UnsupportedAlg,
                "alg \"Ed448\" (RFC 9864) is not supported: jwtkit takes all its cryptography from aws-lc-rs, which has no Ed448; sign with Ed25519"
            ));
        }
        if let Some(a) = JwsAlg::ALL.iter().find(|a| a.as_str().eq_ignore_ascii_case(s)) {
            return Err(err!(
                UnsupportedAlg,
                "alg {} is not a registered algorithm; names are case-sensitive (did you mean {}?)",
                crate::text::quote(s),
                a
            ));
        }
        Err(err!(
            UnsupportedAlg,
            "alg {} is not supported (supported: {})",
            crate::text::quote(s),
            AlgorithmSet::<JwsAlg>::all()
        ))
    }
}

impl serde::Serialize for JwsAlg {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// Elliptic curves for ECDSA and ECDH-ES (RFC 7518 §6.2.1.1).
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EcCurve {
    /// NIST P-256 (secp256r1), 32-byte coordinates.
    P256,
    /// NIST P-384 (secp384r1), 48-byte coordinates.
    P384,
    /// NIST P-521 (secp521r1), 66-byte coordinates.
    P521,
    /// secp256k1 (SEC 2, RFC 8812 §3.1), 32-byte coordinates; ES256K only (no JWE ECDH-ES).
    Secp256k1,
}

impl EcCurve {
    /// The JWK `crv` name (`"P-256"`).
    pub const fn as_str(self) -> &'static str {
        match self {
            EcCurve::P256 => "P-256",
            EcCurve::P384 => "P-384",
            EcCurve::P521 => "P-521",
            EcCurve::Secp256k1 => "secp256k1",
        }
    }

    /// Byte length of one coordinate (and of the private scalar `d`).
    pub const fn coordinate_len(self) -> usize {
        match self {
            EcCurve::P256 | EcCurve::Secp256k1 => 32,
            EcCurve::P384 => 48,
            EcCurve::P521 => 66,
        }
    }

    /// The ECDSA algorithm of this curve.
    pub const fn jws_alg(self) -> JwsAlg {
        match self {
            EcCurve::P256 => JwsAlg::ES256,
            EcCurve::P384 => JwsAlg::ES384,
            EcCurve::P521 => JwsAlg::ES512,
            EcCurve::Secp256k1 => JwsAlg::ES256K,
        }
    }

    /// Parse a JWK `crv` name.
    pub fn from_crv(s: &str) -> Option<EcCurve> {
        match s {
            "P-256" => Some(EcCurve::P256),
            "P-384" => Some(EcCurve::P384),
            "P-521" => Some(EcCurve::P521),
            "secp256k1" => Some(EcCurve::Secp256k1),
            _ => None,
        }
    }
}

/// Octet key pair curves (RFC 8037 §2).
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OkpCurve {
    /// Ed25519 signatures (EdDSA).
    Ed25519,
    /// X25519 key agreement (ECDH-ES).
    X25519,
}

impl OkpCurve {
    /// The JWK `crv` name.
    pub const fn as_str(self) -> &'static str {
        match self {
            OkpCurve::Ed25519 => "Ed25519",
            OkpCurve::X25519 => "X25519",
        }
    }

    /// Parse a JWK `crv` name.
    pub fn from_crv(s: &str) -> Option<OkpCurve> {
        match s {
            "Ed25519" => Some(OkpCurve::Ed25519),
            "X25519" => Some(OkpCurve::X25519),
            _ => None,
        }
    }
}

/// ML-DSA parameter sets (FIPS 204 §4), the key of a JWK `AKP` (RFC 9964).
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MlDsa {
    /// ML-DSA-44 (NIST security category 2).
    MlDsa44,
    /// ML-DSA-65 (NIST security category 3).
    MlDsa65,
    /// ML-DSA-87 (NIST security category 5).
    MlDsa87,
}

impl MlDsa {
    /// The JWS algorithm of this parameter set (its name is the JWK `alg`).
    pub const fn jws_alg(self) -> JwsAlg {
        match self {
            MlDsa::MlDsa44 => JwsAlg::ML_DSA_44,
            MlDsa::MlDsa65 => JwsAlg::ML_DSA_65,
            MlDsa::MlDsa87 => JwsAlg::ML_DSA_87,
        }
    }

    /// The name (`"ML-DSA-44"`): the JWS `alg` and the AKP JWK `alg`.
    pub const fn as_str(self) -> &'static str {
        self.jws_alg().as_str()
    }

    /// Length of the public key `pub`, in bytes (FIPS 204 Table 2): 1312, 1952 or 2592.
    pub const fn public_key_len(self) -> usize {
        match self {
            MlDsa::MlDsa44 => 1312,
            MlDsa::MlDsa65 => 1952,
            MlDsa::MlDsa87 => 2592,
        }
    }

    /// Length of a signature, in bytes (FIPS 204 Table 2): 2420, 3309 or 4627.
    pub const fn signature_len(self) -> usize {
        match self {
            MlDsa::MlDsa44 => 2420,
            MlDsa::MlDsa65 => 3309,
            MlDsa::MlDsa87 => 4627,
        }
    }

    /// Length of the private seed `priv`, in bytes: always 32 (FIPS 204 ξ).
    pub const fn seed_len(self) -> usize {
        32
    }

    /// The parameter set named by an `alg` value, if it is an ML-DSA one.
    pub fn from_alg(s: &str) -> Option<MlDsa> {
        [MlDsa::MlDsa44, MlDsa::MlDsa65, MlDsa::MlDsa87]
            .into_iter()
            .find(|m| m.as_str() == s)
    }
}

/// The kind of key an algorithm needs; compared before any cryptography runs.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KeyFamily {
    /// A symmetric secret (`kty: "oct"`).
    Oct,
    /// An RSA key (`kty: "RSA"`).
    Rsa,
    /// An elliptic-curve key on the given curve (`kty: "EC"`).
    Ec(EcCurve),
    /// An octet key pair on the given curve (`kty: "OKP"`).
    Okp(OkpCurve),
    /// An algorithm key pair for one ML-DSA parameter set (`kty: "AKP"`, RFC 9964).
    Akp(MlDsa),
}

impl KeyFamily {
    /// The JWK `kty` of this family.
    pub const fn kty(self) -> &'static str {
        match self {
            KeyFamily::Oct => "oct",
            KeyFamily::Rsa => "RSA",
            KeyFamily::Ec(_) => "EC",
            KeyFamily::Okp(_) => "OKP",
            KeyFamily::Akp(_) => "AKP",
        }
    }
}

impl fmt::Display for KeyFamily {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyFamily::Oct => f.write_str("an HMAC secret (oct)"),
            KeyFamily::Rsa => f.write_str("an RSA key"),
            KeyFamily::Ec(c) => write!(f, "an EC key on {}", c.as_str()),
            KeyFamily::Okp(c) => write!(f, "an OKP key on {}", c.as_str()),
            KeyFamily::Akp(m) => write!(f, "an AKP key for {}", m.as_str()),
        }
    }
}

/// `AlgorithmSet<JwsAlg>`, the JWS allowlist: always from the caller or the key, never from
/// the token.
impl AlgorithmSet<JwsAlg> {
    /// Every algorithm of one key family.
    pub fn family(f: KeyFamily) -> AlgorithmSet<JwsAlg> {
        JwsAlg::ALL.iter().filter(|a| a.family() == f).copied().collect()
    }
}

pub(crate) fn not_allowed(alg: JwsAlg, allowed: AlgorithmSet<JwsAlg>) -> Error {
    Error::new(
        ErrorKind::AlgNotAllowed,
        format!("alg {alg} is not in the allowed algorithms ({allowed})"),
    )
    .with_detail(crate::Detail::Mismatch {
        claim: "alg".into(),
        expected: allowed.iter().map(|a| a.as_str().to_string()).collect(),
        found: Some(alg.as_str().into()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alg_names() {
        for a in JwsAlg::ALL {
            assert_eq!(a.as_str().parse::<JwsAlg>().unwrap(), a);
        }
        for none in ["none", "None", "NONE", "nOnE"] {
            assert_eq!(none.parse::<JwsAlg>().unwrap_err().kind(), ErrorKind::AlgNone);
        }
        let e = "hs256".parse::<JwsAlg>().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::UnsupportedAlg);
        assert!(e.message().contains("did you mean HS256"), "{}", e.message());
        assert_eq!("ES256K".parse::<JwsAlg>().unwrap(), JwsAlg::ES256K);
        assert_eq!("ML-DSA-65".parse::<JwsAlg>().unwrap(), JwsAlg::ML_DSA_65);
        let e = "Ed448".parse::<JwsAlg>().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::UnsupportedAlg);
        assert!(
            e.message().contains("aws-lc-rs, which has no Ed448"),
            "{}",
            e.message()
        );
    }

    #[test]
    fn alg_set() {
        let s = AlgorithmSet::<JwsAlg>::from([JwsAlg::RS256, JwsAlg::ES256, JwsAlg::EdDSA]);
        assert!(s.contains(JwsAlg::ES256) && !s.contains(JwsAlg::HS256));
        assert_eq!(s.len(), 3);
        assert_eq!(s.to_string(), "RS256, ES256, EdDSA");
        assert_eq!(AlgorithmSet::<JwsAlg>::all().len(), 18);
        assert_eq!(
            AlgorithmSet::<JwsAlg>::family(KeyFamily::Akp(MlDsa::MlDsa87)).to_string(),
            "ML-DSA-87"
        );
        assert_eq!(
            AlgorithmSet::<JwsAlg>::family(KeyFamily::Ec(EcCurve::Secp256k1)).to_string(),
            "ES256K"
        );
        assert_eq!(AlgorithmSet::<JwsAlg>::family(KeyFamily::Rsa).len(), 6);
        assert_eq!(AlgorithmSet::<JwsAlg>::empty().to_string(), "(none)");
    }
}
