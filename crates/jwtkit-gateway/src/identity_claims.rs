//! The claims the gateway reads for every request (`sub`, `jti`, `exp`, `nbf`, `iat`, `scope`,
//! `scp`), deserialized in one pass straight from the verified claims set's JSON text with
//! [`jwtkit::Verified::claims_as`]: the claims map is built only when a route reads other
//! claims (`claims_to_headers`, `roles`).
//!
//! The fields are lenient about types — a wrong type is recorded, never a deserialization
//! failure — because the checks that matter are made on what was found: `sub`/`jti` must be
//! strings ([`crate::provider`]), `exp`/`nbf`/`iat` were validated by the core, and `scope`
//! (RFC 8693 §4.2, a space-separated string) and `scp` (a string or an array of strings) count
//! only where well-typed.

use std::fmt;

use serde::Deserialize;
use serde::de::{self, IgnoredAny, MapAccess, SeqAccess, Visitor};

/// The per-request claims of a verified JWT.
#[derive(Debug, Default, Deserialize)]
pub struct IdentityClaims {
    /// `sub` (RFC 7519 §4.1.2).
    #[serde(default)]
    pub sub: Found,
    /// `jti` (RFC 7519 §4.1.7).
    #[serde(default)]
    pub jti: Found,
    /// `exp`, seconds (validated by the core before this is read).
    #[serde(default)]
    pub exp: Found,
    /// `nbf`, seconds.
    #[serde(default)]
    pub nbf: Found,
    /// `iat`, seconds.
    #[serde(default)]
    pub iat: Found,
    /// `scope` (RFC 8693 §4.2, RFC 9068 §2.2.3).
    #[serde(default)]
    pub scope: Found,
    /// `scp`, a string or an array of strings (common in Azure AD / Okta tokens).
    #[serde(default)]
    pub scp: Found,
}

impl IdentityClaims {
    /// The scopes: `scope` split on whitespace, then `scp` (array elements that are strings,
    /// or a string split on whitespace).
    pub fn scopes(&self) -> Vec<String> {
        let split = |s: &str| s.split_whitespace().map(str::to_owned).collect::<Vec<_>>();
        let mut out = self.scope.as_str().map(split).unwrap_or_default();
        match &self.scp {
            Found::Str(s) => out.extend(split(s)),
            Found::Strings(a) => out.extend(a.iter().cloned()),
            _ => {}
        }
        out
    }
}

/// A claim as found: absent, a string, a number, an array (its string elements), or anything
/// else (named by its JSON type for messages, never by its value).
#[derive(Clone, Debug, Default, PartialEq)]
pub enum Found {
    /// Not in the token.
    #[default]
    Absent,
    /// A string.
    Str(String),
    /// A number.
    Number(f64),
    /// An array; its string elements (others dropped).
    Strings(Vec<String>),
    /// Another JSON type: `"null"`, `"a boolean"`, `"an object"`.
    Other(&'static str),
}

impl Found {
    /// The string, when a string.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Found::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The number, when a number.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Found::Number(n) => Some(*n),
            _ => None,
        }
    }

    /// What was found when it is not a string (for "must be a string, found …"); None for a
    /// string or when absent.
    pub fn non_string(&self) -> Option<&'static str> {
        match self {
            Found::Absent | Found::Str(_) => None,
            Found::Number(_) => Some("a number"),
            Found::Strings(_) => Some("an array"),
            Found::Other(t) => Some(t),
        }
    }
}

impl<'de> Deserialize<'de> for Found {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Found, D::Error> {
        d.deserialize_any(FoundVisitor)
    }
}

struct FoundVisitor;

/// The key serde_json uses for a number under `arbitrary_precision` (the digits as a string).
const NUMBER_TOKEN: &str = "$serde_json::private::Number";

impl<'de> Visitor<'de> for FoundVisitor {
    type Value = Found;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Found, E> {
        Ok(Found::Str(v.to_owned()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Found, E> {
        Ok(Found::Str(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Found, E> {
        Ok(Found::Number(v as f64))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Found, E> {
        Ok(Found::Number(v as f64))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Found, E> {
        Ok(Found::Number(v))
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Found, E> {
        Ok(Found::Other("a boolean"))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Found, E> {
        Ok(Found::Other("null"))
    }
    fn visit_none<E: de::Error>(self) -> Result<Found, E> {
        Ok(Found::Other("null"))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Found, A::Error> {
        let mut strings = Vec::new();
        while let Some(item) = seq.next_element::<Found>()? {
            if let Found::Str(s) = item {
                strings.push(s);
            }
        }
        Ok(Found::Strings(strings))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Found, A::Error> {
        // `arbitrary_precision` hands a number over as a one-member map of its digits.
        let first = map.next_key::<String>()?;
        if first.as_deref() == Some(NUMBER_TOKEN) {
            let digits: String = map.next_value()?;
            return Ok(digits
                .parse::<f64>()
                .map_or(Found::Other("a number"), Found::Number));
        }
        if first.is_some() {
            map.next_value::<IgnoredAny>()?;
            while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        }
        Ok(Found::Other("an object"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(json: &str) -> IdentityClaims {
        let claims = jwtkit::Claims::parse(json.as_bytes(), &jwtkit::Limits::default()).unwrap();
        claims.deserialize().unwrap()
    }

    #[test]
    fn reads_what_the_gateway_needs_leniently() {
        let c = read(
            r#"{"sub":"alice","jti":77,"exp":4102444800,"nbf":1.5,"iat":1700000000,"scope":"a b","scp":["c",1,"d"],"x":{"y":[1]}}"#,
        );
        assert_eq!(c.sub.as_str(), Some("alice"));
        assert_eq!(c.jti.non_string(), Some("a number"));
        assert_eq!(c.exp.as_f64(), Some(4102444800.0));
        assert_eq!(c.nbf.as_f64(), Some(1.5));
        assert_eq!(c.iat.as_f64(), Some(1700000000.0));
        assert_eq!(c.scopes(), ["a", "b", "c", "d"]);
        let c = read(r#"{"sub":["alice"],"jti":null,"scope":["x"],"scp":"p q"}"#);
        assert_eq!(c.sub.non_string(), Some("an array"));
        assert_eq!(c.jti.non_string(), Some("null"));
        assert_eq!(c.exp, Found::Absent);
        // `scope` must be a string (RFC 8693 §4.2): an array there grants nothing.
        assert_eq!(c.scopes(), ["p", "q"]);
        let c = read(r#"{"sub":{"id":1},"jti":true}"#);
        assert_eq!(
            (c.sub.non_string(), c.jti.non_string()),
            (Some("an object"), Some("a boolean"))
        );
    }
}
