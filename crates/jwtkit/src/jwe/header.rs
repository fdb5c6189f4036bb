//! The JOSE Header of a JWE, RFC 7516 §4 (and the algorithm parameters of RFC 7518 §4.6–4.8).
//!
//! In the compact serialization the header is the JWE Protected Header alone. In the JSON
//! serializations it is the union of the protected header, the shared unprotected header and
//! the recipient's header (§7.2.1): their member names must be disjoint, and `crit` may only be
//! protected. Registered parameters are type-checked here, before any key is looked at.

use serde_json::Value;

use crate::error::{Result, err};
use crate::json::Object;
use crate::jwa::{EncAlg, KeyMgmtAlg};

/// Header parameter names registered for JWS/JWE (RFC 7515 §4.1, RFC 7516 §4.1, RFC 7518
/// §4.6.1, §4.7.1, §4.8.1): a `crit` list must not name them.
const REGISTERED: &[&str] = &[
    "alg", "enc", "zip", "jku", "jwk", "kid", "x5u", "x5c", "x5t", "x5t#S256", "typ", "cty", "crit", "epk",
    "apu", "apv", "iv", "tag", "p2s", "p2c", "b64",
];

/// A parsed JWE JOSE Header (for JSON serializations: the union of the protected, shared
/// unprotected and per-recipient headers).
#[derive(Clone, Debug, PartialEq)]
pub struct JweHeader {
    raw: Object,
    protected: Object,
    alg: String,
    enc: String,
    crit: Vec<String>,
}

fn check_type(obj: &Object, name: &str, ok: fn(&Value) -> bool, what: &str) -> Result<()> {
    match obj.get(name) {
        Some(v) if !ok(v) => Err(err!(
            Malformed,
            "header parameter \"{name}\" must be {what}, found {}",
            crate::json::type_name(v)
        )),
        _ => Ok(()),
    }
}

impl JweHeader {
    /// Check a compact JWE Protected Header.
    ///
    /// # Errors
    /// As [`JweHeader::merge`].
    pub fn from_protected(protected: Object) -> Result<JweHeader> {
        JweHeader::merge(protected, None, None)
    }

    /// Build the JOSE Header from its three parts (RFC 7516 §7.2.1).
    ///
    /// # Errors
    /// `malformed` when a member name occurs in more than one part, `crit` or `zip` is not in
    /// the protected part (RFC 7515 §4.1.11, RFC 7516 §4.1.3), `alg` or `enc` is missing or not a string, a registered parameter has the
    /// wrong type (`zip`, `kid`, `typ`, `cty`, `apu`, `apv`, `iv`, `tag`, `p2s` strings; `epk`,
    /// `jwk` objects; `p2c` a positive integer), or `crit` is empty, repeats a name or names a
    /// registered parameter.
    pub fn merge(
        protected: Object,
        shared: Option<&Object>,
        recipient: Option<&Object>,
    ) -> Result<JweHeader> {
        let mut raw = protected.clone();
        for (part, obj) in [("unprotected header", shared), ("recipient header", recipient)] {
            let Some(obj) = obj else { continue };
            for (k, v) in obj {
                if k == "crit" {
                    return Err(err!(
                        Malformed,
                        "\"crit\" must be in the protected header, not the {part} (RFC 7515 §4.1.11)"
                    ));
                }
                // RFC 7516 §4.1.3: `zip` MUST be integrity protected. An unprotected `zip`
                // would let anyone on the path make a recipient inflate (or not) the plaintext.
                if k == "zip" {
                    return Err(err!(
                        Malformed,
                        "\"zip\" must be in the JWE Protected Header, not the {part} (RFC 7516 §4.1.3: it must be integrity protected)"
                    ));
                }
                if raw.insert(k.clone(), v.clone()).is_some() {
                    return Err(err!(
                        Malformed,
                        "header parameter {} appears in more than one header (RFC 7516 §7.2.1 requires them to be disjoint)",
                        crate::text::quote(k)
                    ));
                }
            }
        }
        let req = |name: &str| -> Result<String> {
            match raw.get(name) {
                Some(Value::String(s)) => Ok(s.clone()),
                Some(v) => Err(err!(
                    Malformed,
                    "header parameter \"{name}\" must be a string, found {}",
                    crate::json::type_name(v)
                )),
                None => Err(err!(
                    Malformed,
                    "the JWE header has no \"{name}\" (RFC 7516 §4.1 requires it)"
                )),
            }
        };
        let alg = req("alg")?;
        let enc = req("enc")?;
        for name in [
            "zip", "kid", "typ", "cty", "apu", "apv", "iv", "tag", "p2s", "jku", "x5u", "x5t", "x5t#S256",
        ] {
            check_type(&raw, name, Value::is_string, "a string")?;
        }
        for name in ["epk", "jwk"] {
            check_type(&raw, name, Value::is_object, "a JSON object")?;
        }
        check_type(
            &raw,
            "p2c",
            |v| v.as_u64().is_some_and(|n| n > 0),
            "a positive integer",
        )?;
        let crit = crate::crit::parse(protected.get("crit"), REGISTERED)?;
        Ok(JweHeader {
            raw,
            protected,
            alg,
            enc,
            crit,
        })
    }

    /// `alg` as written.
    pub fn alg_name(&self) -> &str {
        &self.alg
    }

    /// `enc` as written.
    pub fn enc_name(&self) -> &str {
        &self.enc
    }

    /// The Key Management Algorithm.
    ///
    /// # Errors
    /// `unsupported_alg` for unknown names (`none` included).
    pub fn alg(&self) -> Result<KeyMgmtAlg> {
        self.alg.parse()
    }

    /// The Content Encryption Algorithm.
    ///
    /// # Errors
    /// `unsupported_alg` for unknown names.
    pub fn enc(&self) -> Result<EncAlg> {
        self.enc.parse()
    }

    /// `zip` (RFC 7516 §4.1.3): `Some("DEF")` for DEFLATE-compressed plaintext.
    pub fn zip(&self) -> Option<&str> {
        self.raw.get("zip").and_then(Value::as_str)
    }

    /// `kid`.
    pub fn kid(&self) -> Option<&str> {
        self.raw.get("kid").and_then(Value::as_str)
    }

    /// `typ`.
    pub fn typ(&self) -> Option<&str> {
        self.raw.get("typ").and_then(Value::as_str)
    }

    /// `cty`; `"JWT"` marks a nested JWT (RFC 7519 §5.2).
    pub fn cty(&self) -> Option<&str> {
        self.raw.get("cty").and_then(Value::as_str)
    }

    /// True when `cty` says the plaintext is a JWT (`JWT` or `application/jwt`, any case).
    pub fn is_nested_jwt(&self) -> bool {
        self.cty()
            .is_some_and(|c| c.eq_ignore_ascii_case("JWT") || c.eq_ignore_ascii_case("application/jwt"))
    }

    /// `crit` names.
    pub fn crit(&self) -> &[String] {
        &self.crit
    }

    /// Any parameter by name (from any part of the header).
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.raw.get(name)
    }

    /// The whole (merged) header, member order kept.
    pub fn as_object(&self) -> &Object {
        &self.raw
    }

    /// The integrity-protected part only.
    pub fn protected(&self) -> &Object {
        &self.protected
    }

    /// Check `crit` against the extensions the caller understands.
    ///
    /// # Errors
    /// `unsupported_crit` for the first extension not understood; `malformed` when a `crit` name
    /// is absent from the header.
    pub fn check_crit(&self, understood: &[&str]) -> Result<()> {
        crate::crit::check(
            &self.crit,
            |name| understood.contains(&name),
            |name| self.raw.contains_key(name),
        )
    }

    /// A base64url parameter (`apu`, `apv`, `iv`, `tag`, `p2s`) decoded strictly; None when absent.
    ///
    /// # Errors
    /// `bad_base64` naming the parameter.
    pub fn b64_param(&self, name: &str) -> Result<Option<Vec<u8>>> {
        match self.raw.get(name).and_then(Value::as_str) {
            None => Ok(None),
            Some(s) => crate::base64url::decode(s)
                .map(Some)
                .map_err(|p| err!(BadBase64, "header parameter \"{name}\" {}", p.describe())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obj(s: &str) -> Object {
        serde_json::from_str(s).unwrap()
    }

    #[test]
    fn merge_rules() {
        let h = JweHeader::merge(
            obj(r#"{"enc":"A128GCM"}"#),
            Some(&obj(r#"{"jku":"https://x"}"#)),
            Some(&obj(r#"{"alg":"A128KW","kid":"k"}"#)),
        )
        .unwrap();
        assert_eq!(h.alg().unwrap(), KeyMgmtAlg::A128KW);
        assert_eq!(h.kid(), Some("k"));
        assert_eq!(h.protected().len(), 1);
        let kind = |p: &str, s: Option<&str>, r: Option<&str>| {
            JweHeader::merge(obj(p), s.map(obj).as_ref(), r.map(obj).as_ref())
                .unwrap_err()
                .kind()
        };
        use crate::ErrorKind::*;
        assert_eq!(
            kind(r#"{"enc":"A128GCM","alg":"dir"}"#, None, Some(r#"{"alg":"dir"}"#)),
            Malformed
        );
        assert_eq!(
            kind(
                r#"{"enc":"A128GCM"}"#,
                Some(r#"{"crit":["x"],"x":1}"#),
                Some(r#"{"alg":"dir"}"#)
            ),
            Malformed
        );
        assert_eq!(kind(r#"{"alg":"dir"}"#, None, None), Malformed);
        assert_eq!(
            kind(r#"{"alg":"dir","enc":"A128GCM","p2c":-1}"#, None, None),
            Malformed
        );
        assert_eq!(
            kind(r#"{"alg":"dir","enc":"A128GCM","epk":"x"}"#, None, None),
            Malformed
        );
        assert_eq!(
            kind(r#"{"alg":"dir","enc":"A128GCM","crit":["enc"]}"#, None, None),
            Malformed
        );
        let h = JweHeader::from_protected(obj(r#"{"alg":"dir","enc":"A128GCM","crit":["exp"],"exp":1}"#))
            .unwrap();
        assert_eq!(h.check_crit(&[]).unwrap_err().kind(), UnsupportedCrit);
        assert!(h.check_crit(&["exp"]).is_ok());
    }
}
