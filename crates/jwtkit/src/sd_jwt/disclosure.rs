//! Disclosures (RFC 9901 §4.2) and the hash algorithm of their digests (§4.1.1).

use aws_lc_rs::digest;
use serde_json::Value;

use crate::Limits;
use crate::error::{Result, err};

/// The hash algorithm of the digests, from the `_sd_alg` claim (RFC 9901 §4.1.1), named as in
/// the IANA "Named Information Hash Algorithm" registry. Absent `_sd_alg` means `sha-256`.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum SdAlg {
    /// `sha-256` (the default).
    #[default]
    Sha256,
    /// `sha-384`.
    Sha384,
    /// `sha-512`.
    Sha512,
}

impl SdAlg {
    /// The registry name (`"sha-256"`, ...).
    pub const fn as_str(self) -> &'static str {
        match self {
            SdAlg::Sha256 => "sha-256",
            SdAlg::Sha384 => "sha-384",
            SdAlg::Sha512 => "sha-512",
        }
    }

    /// Read an `_sd_alg` value.
    ///
    /// # Errors
    /// `unsupported_alg` for any other name (names are case-sensitive).
    pub fn from_name(name: &str) -> Result<SdAlg> {
        match name {
            "sha-256" => Ok(SdAlg::Sha256),
            "sha-384" => Ok(SdAlg::Sha384),
            "sha-512" => Ok(SdAlg::Sha512),
            other => Err(err!(
                UnsupportedAlg,
                "_sd_alg {other:?} is not supported (sha-256, sha-384 or sha-512)"
            )),
        }
    }

    /// base64url(hash(ASCII(`text`))): the digest of a Disclosure (§4.2.3) or the `sd_hash` of
    /// a Key Binding JWT (§4.3.1).
    pub fn digest(self, text: &str) -> String {
        let alg = match self {
            SdAlg::Sha256 => &digest::SHA256,
            SdAlg::Sha384 => &digest::SHA384,
            SdAlg::Sha512 => &digest::SHA512,
        };
        crate::base64url::encode(digest::digest(alg, text.as_bytes()))
    }
}

/// One Disclosure: the base64url encoding of `[salt, name, value]` (an object property,
/// RFC 9901 §4.2.1) or `[salt, value]` (an array element, §4.2.2).
///
/// The encoded form is kept as received: digests are computed over it, never over a
/// re-encoding (§4.2.3).
#[derive(Clone, Debug, PartialEq)]
pub struct Disclosure {
    encoded: String,
    salt: String,
    name: Option<String>,
    value: Value,
}

/// Claim names a Disclosure may never carry (§4.2.1): they would be read as SD-JWT syntax.
const RESERVED_NAMES: [&str; 2] = ["_sd", "..."];

impl Disclosure {
    /// Decode a Disclosure as it appears between `~` separators.
    ///
    /// # Errors
    /// `bad_base64` (not strict base64url), `bad_json` / `duplicate_member` / `resource_limit`
    /// (the strict JSON rules of every other JOSE document), `malformed` (not a 2- or 3-element
    /// array, a salt or name that is not a string, a reserved claim name `_sd` or `...`).
    pub fn parse(encoded: &str, limits: &Limits) -> Result<Disclosure> {
        let bytes = crate::base64url::decode(encoded)
            .map_err(|p| err!(BadBase64, "the disclosure {}", p.describe()))?;
        let parsed = crate::json::parse_value(&bytes, limits)
            .map_err(|e| crate::Error::new(e.kind(), format!("disclosure: {}", e.message())))?;
        let Value::Array(items) = parsed else {
            return Err(err!(Malformed, "a disclosure must be a JSON array"));
        };
        let mut items = items.into_iter();
        let (salt, name, value) = match (items.next(), items.next(), items.next(), items.next()) {
            (Some(salt), Some(value), None, None) => (salt, None, value),
            (Some(salt), Some(name), Some(value), None) => (salt, Some(name), value),
            _ => {
                return Err(err!(
                    Malformed,
                    "a disclosure must be [salt, name, value] or [salt, value]"
                ));
            }
        };
        let Value::String(salt) = salt else {
            return Err(err!(Malformed, "the disclosure's salt must be a string"));
        };
        let name = match name {
            None => None,
            Some(Value::String(n)) if RESERVED_NAMES.contains(&n.as_str()) => {
                return Err(err!(Malformed, "a disclosure may not name the claim {n:?}"));
            }
            Some(Value::String(n)) => Some(n),
            Some(_) => return Err(err!(Malformed, "the disclosure's claim name must be a string")),
        };
        Ok(Disclosure {
            encoded: encoded.to_string(),
            salt,
            name,
            value,
        })
    }

    /// A new object-property Disclosure with a fresh 128-bit random salt (§4.2.1, §9.3).
    ///
    /// # Errors
    /// `invalid_config` for a reserved name (`_sd`, `...`).
    pub fn object_property(name: &str, value: Value) -> Result<Disclosure> {
        if RESERVED_NAMES.contains(&name) {
            return Err(err!(
                InvalidConfig,
                "the claim {name:?} cannot be made disclosable"
            ));
        }
        Ok(Disclosure::build(Some(name.to_string()), value))
    }

    /// A new array-element Disclosure with a fresh 128-bit random salt (§4.2.2).
    pub fn array_element(value: Value) -> Disclosure {
        Disclosure::build(None, value)
    }

    fn build(name: Option<String>, value: Value) -> Disclosure {
        let salt = crate::random::b64url(16);
        let array = match &name {
            Some(n) => Value::Array(vec![salt.clone().into(), n.clone().into(), value.clone()]),
            None => Value::Array(vec![salt.clone().into(), value.clone()]),
        };
        Disclosure {
            encoded: crate::base64url::encode(array.to_string()),
            salt,
            name,
            value,
        }
    }

    /// The base64url form, as it travels.
    pub fn encoded(&self) -> &str {
        &self.encoded
    }

    /// The salt.
    pub fn salt(&self) -> &str {
        &self.salt
    }

    /// The claim name; `None` for an array element.
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// The disclosed value.
    pub fn value(&self) -> &Value {
        &self.value
    }

    pub(super) fn into_value(self) -> Value {
        self.value
    }

    /// The digest that stands for this Disclosure in the payload (§4.2.3).
    pub fn digest(&self, alg: SdAlg) -> String {
        alg.digest(&self.encoded)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 9901 §4.2.1: the `given_name` Disclosure and its digest.
    #[test]
    fn rfc9901_object_property_disclosure_and_digest() {
        let d = Disclosure::parse(
            "WyJfMjZiYzRMVC1hYzZxMktJNmNCVzVlcyIsICJmYW1pbHlfbmFtZSIsICJNw7ZiaXVzIl0",
            &Limits::default(),
        )
        .unwrap();
        assert_eq!(d.salt(), "_26bc4LT-ac6q2KI6cBW5es");
        assert_eq!(d.name(), Some("family_name"));
        assert_eq!(d.value(), &Value::String("Möbius".into()));
        assert_eq!(
            d.digest(SdAlg::Sha256),
            "X9yH0Ajrdm1Oij4tWso9UzzKJvPoDxwmuEcO3XAdRC0"
        );
    }

    /// RFC 9901 §4.2.2: an array element Disclosure.
    #[test]
    fn rfc9901_array_element_disclosure() {
        let d = Disclosure::parse("WyJsa2x4RjVqTVlsR1RQVW92TU5JdkNBIiwgIkZSIl0", &Limits::default()).unwrap();
        assert_eq!(d.salt(), "lklxF5jMYlGTPUovMNIvCA");
        assert_eq!(d.name(), None);
        assert_eq!(d.value(), &Value::String("FR".into()));
        assert_eq!(
            d.digest(SdAlg::Sha256),
            "w0I8EKcdCtUPkGCNUrfwVp2xEgNjtoIDlOxc9-PlOhs"
        );
    }

    #[test]
    fn hostile_disclosures_have_exact_kinds() {
        let l = Limits::default();
        let enc = |s: &str| crate::base64url::encode(s);
        for (text, kind) in [
            ("[\"s\",\"_sd\",1]", "malformed"),
            ("[\"s\",\"...\",1]", "malformed"),
            ("[\"s\"]", "malformed"),
            ("[\"s\",\"a\",1,2]", "malformed"),
            ("[1,\"a\",1]", "malformed"),
            ("[\"s\",2,1]", "malformed"),
            ("{\"a\":1}", "malformed"),
            ("[\"s\",\"a\",{\"x\":1,\"x\":2}]", "duplicate_member"),
            ("[\"s\",\"a\",", "bad_json"),
        ] {
            let e = Disclosure::parse(&enc(text), &l).unwrap_err();
            assert_eq!(e.kind().as_str(), kind, "{text}: {e}");
        }
        assert_eq!(
            Disclosure::parse("WyJz=", &l).unwrap_err().kind().as_str(),
            "bad_base64"
        );
        let deep = format!("[\"s\",\"a\",{}{}]", "[".repeat(100), "]".repeat(100));
        assert_eq!(
            Disclosure::parse(&enc(&deep), &l).unwrap_err().kind().as_str(),
            "resource_limit"
        );
    }

    #[test]
    fn new_disclosures_round_trip_with_fresh_salts() {
        let a = Disclosure::object_property("email", "a@example.com".into()).unwrap();
        let b = Disclosure::object_property("email", "a@example.com".into()).unwrap();
        assert_ne!(a.salt(), b.salt());
        assert_eq!(crate::base64url::decode(a.salt()).unwrap().len(), 16);
        let back = Disclosure::parse(a.encoded(), &Limits::default()).unwrap();
        assert_eq!(back, a);
        assert!(Disclosure::object_property("_sd", Value::Null).is_err());
    }
}
