//! JWE algorithm identifiers, RFC 7518 §4.1 (Key Management, `alg`) and §5.1 (Content
//! Encryption, `enc`), with their allowlists [`AlgorithmSet<KeyMgmtAlg>`] and [`AlgorithmSet<EncAlg>`].
//!
//! `RSA1_5` (RSAES-PKCS1-v1_5) is known but never part of [`AlgorithmSet::<KeyMgmtAlg>::all`]: decrypting with
//! it is open to Bleichenbacher-style padding oracles, so a caller must both list it and set
//! [`crate::jwe::DecryptOptions::insecure_allow_rsa1_5`].

use std::fmt;
use std::str::FromStr;

use crate::error::{Error, ErrorKind, err};
use crate::jwa::{AlgorithmSet, EcCurve, KeyFamily, OkpCurve};

/// A JWE Key Management Algorithm, the header `alg` of a JWE (RFC 7518 §4.1).
#[non_exhaustive]
#[allow(non_camel_case_types)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum KeyMgmtAlg {
    /// RSAES-PKCS1-v1_5 (Recommended-, refused by default: Bleichenbacher).
    RSA1_5,
    /// RSAES OAEP using default parameters, SHA-1 (Recommended+).
    RSA_OAEP,
    /// RSAES OAEP using SHA-256 and MGF1 with SHA-256 (Optional).
    RSA_OAEP_256,
    /// AES Key Wrap with a 128-bit key (Recommended).
    A128KW,
    /// AES Key Wrap with a 192-bit key (Optional).
    A192KW,
    /// AES Key Wrap with a 256-bit key (Recommended).
    A256KW,
    /// Direct use of a shared symmetric key as the CEK (Recommended).
    Dir,
    /// Elliptic Curve Diffie-Hellman Ephemeral Static, Concat KDF, direct (Recommended+).
    ECDH_ES,
    /// ECDH-ES using Concat KDF and CEK wrapped with A128KW (Recommended).
    ECDH_ES_A128KW,
    /// ECDH-ES using Concat KDF and CEK wrapped with A192KW (Optional).
    ECDH_ES_A192KW,
    /// ECDH-ES using Concat KDF and CEK wrapped with A256KW (Recommended).
    ECDH_ES_A256KW,
    /// Key wrapping with AES GCM using a 128-bit key (Optional).
    A128GCMKW,
    /// Key wrapping with AES GCM using a 192-bit key (Optional).
    A192GCMKW,
    /// Key wrapping with AES GCM using a 256-bit key (Optional).
    A256GCMKW,
    /// PBES2 with HMAC SHA-256 and A128KW wrapping (Optional).
    PBES2_HS256_A128KW,
    /// PBES2 with HMAC SHA-384 and A192KW wrapping (Optional).
    PBES2_HS384_A192KW,
    /// PBES2 with HMAC SHA-512 and A256KW wrapping (Optional).
    PBES2_HS512_A256KW,
}

/// How a Key Management Algorithm determines the Content Encryption Key (RFC 7516 §2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum KeyMgmtMode {
    /// The CEK is encrypted to the recipient's public key (RSA).
    KeyEncryption,
    /// The CEK is wrapped with a symmetric key (AES KW, AES GCM KW, PBES2).
    KeyWrapping,
    /// The shared symmetric key is the CEK (`dir`).
    DirectEncryption,
    /// The CEK is the output of a key agreement (`ECDH-ES`).
    DirectKeyAgreement,
    /// A key agreement output wraps the CEK (`ECDH-ES+A*KW`).
    KeyAgreementWithKeyWrapping,
}

impl KeyMgmtAlg {
    /// Every algorithm, in RFC 7518 table order (`RSA1_5` included).
    pub const ALL: [KeyMgmtAlg; 17] = [
        KeyMgmtAlg::RSA1_5,
        KeyMgmtAlg::RSA_OAEP,
        KeyMgmtAlg::RSA_OAEP_256,
        KeyMgmtAlg::A128KW,
        KeyMgmtAlg::A192KW,
        KeyMgmtAlg::A256KW,
        KeyMgmtAlg::Dir,
        KeyMgmtAlg::ECDH_ES,
        KeyMgmtAlg::ECDH_ES_A128KW,
        KeyMgmtAlg::ECDH_ES_A192KW,
        KeyMgmtAlg::ECDH_ES_A256KW,
        KeyMgmtAlg::A128GCMKW,
        KeyMgmtAlg::A192GCMKW,
        KeyMgmtAlg::A256GCMKW,
        KeyMgmtAlg::PBES2_HS256_A128KW,
        KeyMgmtAlg::PBES2_HS384_A192KW,
        KeyMgmtAlg::PBES2_HS512_A256KW,
    ];

    /// The registered name (`"RSA-OAEP-256"`).
    pub const fn as_str(self) -> &'static str {
        match self {
            KeyMgmtAlg::RSA1_5 => "RSA1_5",
            KeyMgmtAlg::RSA_OAEP => "RSA-OAEP",
            KeyMgmtAlg::RSA_OAEP_256 => "RSA-OAEP-256",
            KeyMgmtAlg::A128KW => "A128KW",
            KeyMgmtAlg::A192KW => "A192KW",
            KeyMgmtAlg::A256KW => "A256KW",
            KeyMgmtAlg::Dir => "dir",
            KeyMgmtAlg::ECDH_ES => "ECDH-ES",
            KeyMgmtAlg::ECDH_ES_A128KW => "ECDH-ES+A128KW",
            KeyMgmtAlg::ECDH_ES_A192KW => "ECDH-ES+A192KW",
            KeyMgmtAlg::ECDH_ES_A256KW => "ECDH-ES+A256KW",
            KeyMgmtAlg::A128GCMKW => "A128GCMKW",
            KeyMgmtAlg::A192GCMKW => "A192GCMKW",
            KeyMgmtAlg::A256GCMKW => "A256GCMKW",
            KeyMgmtAlg::PBES2_HS256_A128KW => "PBES2-HS256+A128KW",
            KeyMgmtAlg::PBES2_HS384_A192KW => "PBES2-HS384+A192KW",
            KeyMgmtAlg::PBES2_HS512_A256KW => "PBES2-HS512+A256KW",
        }
    }

    /// How the CEK is determined.
    pub(crate) const fn mode(self) -> KeyMgmtMode {
        match self {
            KeyMgmtAlg::RSA1_5 | KeyMgmtAlg::RSA_OAEP | KeyMgmtAlg::RSA_OAEP_256 => {
                KeyMgmtMode::KeyEncryption
            }
            KeyMgmtAlg::Dir => KeyMgmtMode::DirectEncryption,
            KeyMgmtAlg::ECDH_ES => KeyMgmtMode::DirectKeyAgreement,
            KeyMgmtAlg::ECDH_ES_A128KW | KeyMgmtAlg::ECDH_ES_A192KW | KeyMgmtAlg::ECDH_ES_A256KW => {
                KeyMgmtMode::KeyAgreementWithKeyWrapping
            }
            _ => KeyMgmtMode::KeyWrapping,
        }
    }

    /// Length in bytes of the symmetric key this algorithm wraps with (AES KW / GCM KW / the
    /// KW step of ECDH-ES and PBES2); None for RSA, `dir` and `ECDH-ES`.
    pub const fn wrap_key_len(self) -> Option<usize> {
        match self {
            KeyMgmtAlg::A128KW
            | KeyMgmtAlg::ECDH_ES_A128KW
            | KeyMgmtAlg::A128GCMKW
            | KeyMgmtAlg::PBES2_HS256_A128KW => Some(16),
            KeyMgmtAlg::A192KW
            | KeyMgmtAlg::ECDH_ES_A192KW
            | KeyMgmtAlg::A192GCMKW
            | KeyMgmtAlg::PBES2_HS384_A192KW => Some(24),
            KeyMgmtAlg::A256KW
            | KeyMgmtAlg::ECDH_ES_A256KW
            | KeyMgmtAlg::A256GCMKW
            | KeyMgmtAlg::PBES2_HS512_A256KW => Some(32),
            _ => None,
        }
    }

    /// True for the ECDH-ES family.
    pub const fn is_ecdh(self) -> bool {
        matches!(
            self,
            KeyMgmtAlg::ECDH_ES
                | KeyMgmtAlg::ECDH_ES_A128KW
                | KeyMgmtAlg::ECDH_ES_A192KW
                | KeyMgmtAlg::ECDH_ES_A256KW
        )
    }

    /// True for the PBES2 family (the key is a password).
    pub const fn is_pbes2(self) -> bool {
        matches!(
            self,
            KeyMgmtAlg::PBES2_HS256_A128KW | KeyMgmtAlg::PBES2_HS384_A192KW | KeyMgmtAlg::PBES2_HS512_A256KW
        )
    }

    /// Whether a key of `family` can serve this algorithm: RSA for RSA*, a secret for AES KW,
    /// AES GCM KW, PBES2 and `dir`, and EC P-256/384/521 or X25519 for ECDH-ES.
    pub fn fits(self, family: KeyFamily) -> bool {
        match self.mode() {
            KeyMgmtMode::KeyEncryption => family == KeyFamily::Rsa,
            KeyMgmtMode::DirectKeyAgreement | KeyMgmtMode::KeyAgreementWithKeyWrapping => matches!(
                family,
                KeyFamily::Ec(EcCurve::P256 | EcCurve::P384 | EcCurve::P521)
                    | KeyFamily::Okp(OkpCurve::X25519)
            ),
            KeyMgmtMode::KeyWrapping | KeyMgmtMode::DirectEncryption => family == KeyFamily::Oct,
        }
    }

    /// A phrase naming the keys that fit, for messages.
    pub const fn key_description(self) -> &'static str {
        match self.mode() {
            KeyMgmtMode::KeyEncryption => "an RSA key",
            KeyMgmtMode::DirectKeyAgreement | KeyMgmtMode::KeyAgreementWithKeyWrapping => {
                "an EC key (P-256, P-384, P-521) or an X25519 key"
            }
            KeyMgmtMode::KeyWrapping if self.is_pbes2() => "a password (oct)",
            KeyMgmtMode::KeyWrapping | KeyMgmtMode::DirectEncryption => "a symmetric key (oct)",
        }
    }

    /// Whether [`AlgorithmSet::<KeyMgmtAlg>::all`] includes this algorithm: all but `RSA1_5`.
    pub(crate) const fn in_default_set(self) -> bool {
        !matches!(self, KeyMgmtAlg::RSA1_5)
    }
}

impl fmt::Display for KeyMgmtAlg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for KeyMgmtAlg {
    type Err = Error;
    /// # Errors
    /// `unsupported_alg` for unknown names (case-sensitive), with a hint for a case mismatch.
    fn from_str(s: &str) -> Result<KeyMgmtAlg, Error> {
        if let Some(a) = KeyMgmtAlg::ALL.iter().find(|a| a.as_str() == s) {
            return Ok(*a);
        }
        if let Some(a) = KeyMgmtAlg::ALL
            .iter()
            .find(|a| a.as_str().eq_ignore_ascii_case(s))
        {
            return Err(err!(
                UnsupportedAlg,
                "alg {} is not a registered algorithm; names are case-sensitive (did you mean {a}?)",
                crate::text::quote(s)
            ));
        }
        Err(err!(
            UnsupportedAlg,
            "JWE alg {} is not supported (supported: {})",
            crate::text::quote(s),
            AlgorithmSet::<KeyMgmtAlg>::all()
        ))
    }
}

impl serde::Serialize for KeyMgmtAlg {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// A JWE Content Encryption Algorithm, the header `enc` (RFC 7518 §5.1).
#[non_exhaustive]
#[allow(non_camel_case_types)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EncAlg {
    /// AES_128_CBC_HMAC_SHA_256 (Required), §5.2.3.
    A128CBC_HS256,
    /// AES_192_CBC_HMAC_SHA_384 (Optional), §5.2.4.
    A192CBC_HS384,
    /// AES_256_CBC_HMAC_SHA_512 (Required), §5.2.5.
    A256CBC_HS512,
    /// AES GCM using a 128-bit key (Recommended), §5.3.
    A128GCM,
    /// AES GCM using a 192-bit key (Optional), §5.3.
    A192GCM,
    /// AES GCM using a 256-bit key (Recommended), §5.3.
    A256GCM,
}

impl EncAlg {
    /// Every content encryption algorithm, in RFC order.
    pub const ALL: [EncAlg; 6] = [
        EncAlg::A128CBC_HS256,
        EncAlg::A192CBC_HS384,
        EncAlg::A256CBC_HS512,
        EncAlg::A128GCM,
        EncAlg::A192GCM,
        EncAlg::A256GCM,
    ];

    /// The registered name (`"A128CBC-HS256"`).
    pub const fn as_str(self) -> &'static str {
        match self {
            EncAlg::A128CBC_HS256 => "A128CBC-HS256",
            EncAlg::A192CBC_HS384 => "A192CBC-HS384",
            EncAlg::A256CBC_HS512 => "A256CBC-HS512",
            EncAlg::A128GCM => "A128GCM",
            EncAlg::A192GCM => "A192GCM",
            EncAlg::A256GCM => "A256GCM",
        }
    }

    /// Length of the Content Encryption Key in bytes (CBC-HS: MAC key ‖ ENC key).
    pub const fn key_len(self) -> usize {
        match self {
            EncAlg::A128GCM => 16,
            EncAlg::A192GCM => 24,
            EncAlg::A256GCM | EncAlg::A128CBC_HS256 => 32,
            EncAlg::A192CBC_HS384 => 48,
            EncAlg::A256CBC_HS512 => 64,
        }
    }

    /// Length of the Initialization Vector in bytes: 12 for GCM, 16 for CBC.
    pub const fn iv_len(self) -> usize {
        if self.is_gcm() { 12 } else { 16 }
    }

    /// Length of the Authentication Tag in bytes: 16 for GCM, half the HMAC output for CBC-HS.
    pub const fn tag_len(self) -> usize {
        match self {
            EncAlg::A128CBC_HS256 => 16,
            EncAlg::A192CBC_HS384 => 24,
            EncAlg::A256CBC_HS512 => 32,
            _ => 16,
        }
    }

    /// True for the AES GCM algorithms.
    pub const fn is_gcm(self) -> bool {
        matches!(self, EncAlg::A128GCM | EncAlg::A192GCM | EncAlg::A256GCM)
    }

    /// Every content encryption algorithm is in [`AlgorithmSet::<EncAlg>::all`].
    pub(crate) const fn in_default_set(self) -> bool {
        true
    }
}

impl fmt::Display for EncAlg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for EncAlg {
    type Err = Error;
    /// # Errors
    /// `unsupported_alg` for unknown names (case-sensitive).
    fn from_str(s: &str) -> Result<EncAlg, Error> {
        EncAlg::ALL
            .iter()
            .find(|a| a.as_str() == s)
            .copied()
            .ok_or_else(|| {
                err!(
                    UnsupportedAlg,
                    "JWE enc {} is not supported (supported: {})",
                    crate::text::quote(s),
                    AlgorithmSet::<EncAlg>::all()
                )
            })
    }
}

impl serde::Serialize for EncAlg {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// `AlgorithmSet<KeyMgmtAlg>`, the key management allowlist of a decrypting party; never taken
/// from the token. [`AlgorithmSet::<KeyMgmtAlg>::all`] leaves out `RSA1_5`, which must be added
/// explicitly.
impl AlgorithmSet<KeyMgmtAlg> {
    /// The algorithms a key of `family` can serve (`RSA1_5` excluded).
    pub fn for_family(family: KeyFamily) -> AlgorithmSet<KeyMgmtAlg> {
        AlgorithmSet::<KeyMgmtAlg>::all()
            .iter()
            .filter(|a| a.fits(family))
            .collect()
    }
}

pub(crate) fn alg_not_allowed(what: &str, found: &str, allowed: Vec<String>) -> Error {
    Error::new(
        ErrorKind::AlgNotAllowed,
        format!(
            "{what} {found} is not in the allowed algorithms ({})",
            if allowed.is_empty() {
                "(none)".to_string()
            } else {
                allowed.join(", ")
            }
        ),
    )
    .with_detail(crate::Detail::Mismatch {
        claim: what.into(),
        expected: allowed,
        found: Some(found.into()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for a in KeyMgmtAlg::ALL {
            assert_eq!(a.as_str().parse::<KeyMgmtAlg>().unwrap(), a);
        }
        for e in EncAlg::ALL {
            assert_eq!(e.as_str().parse::<EncAlg>().unwrap(), e);
        }
        let e = "rsa-oaep".parse::<KeyMgmtAlg>().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::UnsupportedAlg);
        assert!(e.message().contains("did you mean RSA-OAEP"), "{}", e.message());
        assert_eq!(
            "A128CBC".parse::<EncAlg>().unwrap_err().kind(),
            ErrorKind::UnsupportedAlg
        );
    }

    #[test]
    fn rsa1_5_is_never_in_all() {
        assert!(!AlgorithmSet::<KeyMgmtAlg>::all().contains(KeyMgmtAlg::RSA1_5));
        assert!(AlgorithmSet::<KeyMgmtAlg>::all().contains(KeyMgmtAlg::PBES2_HS512_A256KW));
        assert!(!AlgorithmSet::<KeyMgmtAlg>::for_family(KeyFamily::Rsa).contains(KeyMgmtAlg::RSA1_5));
        assert_eq!(
            AlgorithmSet::<KeyMgmtAlg>::for_family(KeyFamily::Rsa).to_string(),
            "RSA-OAEP, RSA-OAEP-256"
        );
        assert_eq!(
            AlgorithmSet::<KeyMgmtAlg>::for_family(KeyFamily::Okp(OkpCurve::X25519))
                .iter()
                .count(),
            4
        );
        assert_eq!(
            AlgorithmSet::<KeyMgmtAlg>::for_family(KeyFamily::Okp(OkpCurve::Ed25519))
                .iter()
                .count(),
            0
        );
        assert_eq!(AlgorithmSet::<EncAlg>::all().iter().count(), 6);
    }

    #[test]
    fn sizes() {
        assert_eq!(EncAlg::A256CBC_HS512.key_len(), 64);
        assert_eq!(EncAlg::A192CBC_HS384.tag_len(), 24);
        assert_eq!(EncAlg::A192GCM.iv_len(), 12);
        assert_eq!(KeyMgmtAlg::PBES2_HS384_A192KW.wrap_key_len(), Some(24));
        assert_eq!(KeyMgmtAlg::Dir.wrap_key_len(), None);
    }
}
