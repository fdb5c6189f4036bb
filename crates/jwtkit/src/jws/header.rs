//! The JOSE Header of a JWS, RFC 7515 §4.1 (and `b64`, RFC 7797 §3).
//!
//! Registered parameters are type-checked when the header is parsed; the whole header is kept
//! as written (member order, unknown members) for display. `alg` is kept as a string so that a
//! token with an unknown or `none` algorithm can still be decoded and shown; [`Header::alg`]
//! turns it into a [`JwsAlg`] or the `alg_none` / `unsupported_alg` error.

use std::fmt;
use std::sync::{Arc, OnceLock};

use serde_json::Value;

use crate::check::Check;
use crate::error::{Result, err};
use crate::json::{Kept, Object};
use crate::jwa::JwsAlg;

/// Header parameter names registered by RFC 7515 §4.1 and RFC 7518 / RFC 7516 for JOSE; a
/// `crit` list must not name them (RFC 7515 §4.1.11).
const REGISTERED: &[&str] = &[
    "alg", "jku", "jwk", "kid", "x5u", "x5c", "x5t", "x5t#S256", "typ", "cty", "crit", "enc", "zip", "epk",
    "apu", "apv", "iv", "tag", "p2s", "p2c",
];

/// Extensions jwtkit can process when they appear in `crit`.
pub(crate) const UNDERSTOOD_CRIT: &[&str] = &["b64"];

/// A parsed JWS Protected Header (for JSON serializations: the union of protected and
/// unprotected members).
///
/// A header parsed from a token keeps its strict-checked JSON text and builds the member map
/// on first use ([`Header::as_object`], [`Header::get`], the `jwk`/`jku`/`x5*` accessors, or
/// a `crit` check): the registered parameters (`alg`, `kid`, `typ`, ...) are read and
/// type-checked from one checking pass at parse time, which is all verification needs.
///
/// Cheap to clone and to move: the parsed parameters are shared (a header handed out by the
/// per-thread cache of the last header parsed is one reference count, not a copy).
#[derive(Clone)]
pub struct Header(Arc<Fields>);

/// What a [`Header`] holds.
struct Fields {
    /// The member map, built on first use (the map is rarely built on the verification path).
    raw: OnceLock<Box<Object>>,
    /// The header as JSON text, already checked strictly; None when built from an object.
    json: Option<Arc<str>>,
    alg: Text,
    kid: Option<Text>,
    typ: Option<Text>,
    cty: Option<Text>,
    crit: Vec<String>,
    b64: bool,
}

/// A registered string parameter's value: where it is in the header's JSON text (a string
/// without escapes, as most are: no copy of it is made), or the unescaped text.
#[derive(Clone)]
enum Text {
    /// Byte range of [`Header::json`] (a header is far shorter than 4 GiB).
    Span(u32, u32),
    Owned(Box<str>),
}

impl Text {
    /// `s` as a span of `json` when it is a slice of it (a string borrowed by the checking
    /// pass), else a copy.
    fn of(s: &str, json: &str) -> Text {
        let start = (s.as_ptr() as usize).wrapping_sub(json.as_ptr() as usize);
        let end = start.wrapping_add(s.len());
        match (json.get(start..end), u32::try_from(start), u32::try_from(end)) {
            (Some(slice), Ok(start), Ok(end)) if std::ptr::eq(slice, s) => Text::Span(start, end),
            _ => Text::Owned(s.into()),
        }
    }
}

/// A registered parameter's value as the checks read it: a string (borrowed from the text by
/// the checking pass, or from a header object), an integer, or any other JSON value.
#[derive(Clone, Copy)]
enum Param<'a> {
    Str(&'a str),
    Int,
    Value(&'a Value),
}

impl<'a> Param<'a> {
    fn of_value(v: &'a Value) -> Param<'a> {
        match v {
            Value::String(s) => Param::Str(s),
            other => Param::Value(other),
        }
    }

    fn of_kept(k: &'a Kept<'a>) -> Param<'a> {
        match k {
            Kept::Str(s) => Param::Str(s),
            Kept::Int(_) => Param::Int,
            Kept::Value(v) => Param::of_value(v),
        }
    }

    /// The JSON type name, for messages.
    fn type_name(self) -> &'static str {
        match self {
            Param::Str(_) => "a string",
            Param::Int => "a number",
            Param::Value(v) => crate::json::type_name(v),
        }
    }

    fn value(self) -> Option<&'a Value> {
        match self {
            Param::Value(v) => Some(v),
            _ => None,
        }
    }
}

fn opt_str(name: &str, value: Option<Param<'_>>) -> Result<()> {
    match value {
        None | Some(Param::Str(_)) => Ok(()),
        Some(v) => Err(err!(
            Malformed,
            "header parameter \"{name}\" must be a string, found {}",
            v.type_name()
        )),
    }
}

/// Names of the registered parameters [`Header`] checks, in the order of [`Registered`]'s
/// fields (the slots of [`checked_index`]).
#[cfg(test)]
const CHECKED: [&str; 12] = [
    "alg", "kid", "typ", "cty", "jku", "x5u", "x5t", "x5t#S256", "jwk", "x5c", "b64", "crit",
];

/// The slot of a registered parameter `name`, in the order of [`Registered`]'s fields
/// (compared bytewise: no string comparison calls).
fn checked_index(name: &str) -> Option<usize> {
    Some(match name {
        "alg" => 0,
        "kid" => 1,
        "typ" => 2,
        "cty" => 3,
        "jku" => 4,
        "x5u" => 5,
        "x5t" => 6,
        "x5t#S256" => 7,
        "jwk" => 8,
        "x5c" => 9,
        "b64" => 10,
        "crit" => 11,
        _ => return None,
    })
}

/// The registered parameters of a header object, found in one pass over its members.
#[derive(Default)]
struct Registered<'a> {
    alg: Option<Param<'a>>,
    kid: Option<Param<'a>>,
    typ: Option<Param<'a>>,
    cty: Option<Param<'a>>,
    jku: Option<Param<'a>>,
    x5u: Option<Param<'a>>,
    x5t: Option<Param<'a>>,
    x5t_s256: Option<Param<'a>>,
    jwk: Option<Param<'a>>,
    x5c: Option<Param<'a>>,
    b64: Option<Param<'a>>,
    crit: Option<Param<'a>>,
}

impl<'a> Registered<'a> {
    /// One pass instead of a hashed lookup per parameter name (a JSON object has unique names,
    /// so each slot is set at most once).
    fn of(raw: &'a Object) -> Registered<'a> {
        let mut r = Registered::default();
        for (name, value) in raw {
            let slot = match name.as_str() {
                "alg" => &mut r.alg,
                "kid" => &mut r.kid,
                "typ" => &mut r.typ,
                "cty" => &mut r.cty,
                "jku" => &mut r.jku,
                "x5u" => &mut r.x5u,
                "x5t" => &mut r.x5t,
                "x5t#S256" => &mut r.x5t_s256,
                "jwk" => &mut r.jwk,
                "x5c" => &mut r.x5c,
                "b64" => &mut r.b64,
                "crit" => &mut r.crit,
                _ => continue,
            };
            *slot = Some(Param::of_value(value));
        }
        r
    }

    /// A view of the values a checking pass kept, in [`checked_index`] order.
    fn from_kept(values: &'a [Option<Kept<'a>>; 12]) -> Registered<'a> {
        let [alg, kid, typ, cty, jku, x5u, x5t, x5t_s256, jwk, x5c, b64, crit] =
            values.each_ref().map(|v| v.as_ref().map(Param::of_kept));
        Registered {
            alg,
            kid,
            typ,
            cty,
            jku,
            x5u,
            x5t,
            x5t_s256,
            jwk,
            x5c,
            b64,
            crit,
        }
    }
}

impl PartialEq for Header {
    fn eq(&self, other: &Header) -> bool {
        self.as_object() == other.as_object()
    }
}

impl fmt::Debug for Header {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Header")
            .field("raw", self.as_object())
            .field("alg", &self.alg_name())
            .field("kid", &self.kid())
            .field("typ", &self.typ())
            .field("cty", &self.cty())
            .field("crit", &self.0.crit)
            .field("b64", &self.0.b64)
            .finish()
    }
}

impl Header {
    /// Parse a JWS Protected Header from its JSON text: a strict JSON object, then the checks
    /// of [`Header::from_object`].
    ///
    /// # Errors
    /// `bad_json`, `duplicate_member`, `resource_limit` as [`crate::json::parse_object`]; then
    /// the kinds of [`Header::from_object`].
    pub fn parse(json: Vec<u8>, limits: &crate::Limits) -> Result<Header> {
        // UTF-8 checked once (invalid text takes the reference path, which reports it); the
        // registered strings are then kept as spans of the text, not copied.
        let json = match String::from_utf8(json) {
            Ok(text) => text,
            Err(e) => return Header::from_object(crate::json::parse_object(e.as_bytes(), limits)?),
        };
        let mut kept: [Option<Kept<'_>>; 12] = Default::default();
        if !crate::json::check_str_keeping(&json, limits.max_json_depth, checked_index, &mut kept) {
            return Header::from_object(crate::json::parse_object(json.as_bytes(), limits)?);
        }
        let (b64, crit) =
            Header::check(&Registered::from_kept(&kept)).map_err(|e| e.at(Check::HeaderParams))?;
        // The checks passed, so these slots hold strings (or nothing).
        let [alg, kid, typ, cty] = [0, 1, 2, 3].map(|i| match kept.get(i) {
            Some(Some(Kept::Str(s))) => Some(Text::of(s, &json)),
            _ => None,
        });
        drop(kept);
        Ok(Header::of(Fields {
            raw: OnceLock::new(),
            json: Some(Arc::from(json)),
            alg: alg.unwrap_or(Text::Span(0, 0)),
            kid,
            typ,
            cty,
            crit,
            b64,
        }))
    }

    /// Check and wrap a header object.
    ///
    /// # Errors
    /// `malformed` when `alg` is missing or not a string, a registered parameter has the wrong
    /// type (`kid`, `typ`, `cty`, `jku`, `x5u`, `x5t`, `x5t#S256` strings; `jwk` an object;
    /// `x5c` an array of strings; `b64` a boolean), `crit` is empty, repeats a name, names a
    /// registered parameter or a parameter absent from the header (RFC 7515 §4.1.11), or
    /// `"b64": false` is not listed in `crit` (RFC 7797 §6).
    pub fn from_object(raw: Object) -> Result<Header> {
        let fields = Header::checked(Registered::of(&raw), None)?;
        Ok(Header::of(Fields {
            raw: OnceLock::from(Box::new(raw)),
            ..fields
        }))
    }

    fn of(fields: Fields) -> Header {
        Header(Arc::new(fields))
    }

    /// The checks of [`Header::from_object`] on the registered parameters; the header's map is
    /// built from `json` on first use (or set by the caller).
    fn checked(p: Registered<'_>, json: Option<Arc<str>>) -> Result<Fields> {
        let (b64, crit) = Header::check(&p).map_err(|e| e.at(Check::HeaderParams))?;
        let text = |v: Option<Param<'_>>| match v {
            Some(Param::Str(s)) => Some(Text::Owned(s.into())),
            _ => None,
        };
        Ok(Fields {
            raw: OnceLock::new(),
            json,
            alg: text(p.alg).unwrap_or(Text::Span(0, 0)),
            kid: text(p.kid),
            typ: text(p.typ),
            cty: text(p.cty),
            crit,
            b64,
        })
    }

    /// The checks of [`Header::from_object`]; returns `b64` and the `crit` names.
    fn check(p: &Registered<'_>) -> Result<(bool, Vec<String>)> {
        match p.alg {
            Some(Param::Str(_)) => {}
            Some(v) => {
                return Err(err!(
                    Malformed,
                    "header parameter \"alg\" must be a string, found {}",
                    v.type_name()
                ));
            }
            None => {
                return Err(err!(
                    Malformed,
                    "the header has no \"alg\" (RFC 7515 §4.1.1 requires it)"
                ));
            }
        };
        for (name, value) in [
            ("kid", p.kid),
            ("typ", p.typ),
            ("cty", p.cty),
            ("jku", p.jku),
            ("x5u", p.x5u),
            ("x5t", p.x5t),
            ("x5t#S256", p.x5t_s256),
        ] {
            opt_str(name, value)?;
        }
        if let Some(v) = p.jwk
            && !v.value().is_some_and(Value::is_object)
        {
            return Err(err!(Malformed, "header parameter \"jwk\" must be a JSON object"));
        }
        if let Some(v) = p.x5c
            && !v
                .value()
                .and_then(Value::as_array)
                .is_some_and(|a| a.iter().all(Value::is_string))
        {
            return Err(err!(
                Malformed,
                "header parameter \"x5c\" must be an array of strings"
            ));
        }
        let b64 = match p.b64 {
            None => true,
            Some(Param::Value(Value::Bool(b))) => *b,
            Some(_) => {
                return Err(err!(
                    Malformed,
                    "header parameter \"b64\" must be a boolean (RFC 7797 §3)"
                ));
            }
        };
        // A string or a number is not an array: `crit::parse` refuses it as it refuses `null`.
        let crit = crate::crit::parse(p.crit.map(|c| c.value().unwrap_or(&Value::Null)), REGISTERED)?;
        // RFC 7797 §6: `b64` is honoured only when listed in `crit`. A verifier that does not
        // know RFC 7797 ignores an uncritical `b64` and reads the payload as base64url, so
        // `"b64": false` outside `crit` means two different JWS Signing Inputs to two
        // verifiers: refused. (`"b64": true` outside `crit` changes nothing and is accepted.)
        if !b64 && !crit.iter().any(|c| c == "b64") {
            return Err(err!(
                Malformed,
                "header parameter \"b64\": false is not listed in \"crit\" (RFC 7797 §6 requires \"crit\": [\"b64\"]; a verifier that ignores it would read the payload differently)"
            ));
        }
        Ok((b64, crit))
    }

    /// The `alg` value as written.
    pub fn alg_name(&self) -> &str {
        self.text(&self.0.alg)
    }

    fn text<'a>(&'a self, t: &'a Text) -> &'a str {
        match t {
            Text::Span(start, end) => self
                .0
                .json
                .as_deref()
                .and_then(|j| j.get(*start as usize..*end as usize))
                .unwrap_or_default(),
            Text::Owned(s) => s,
        }
    }

    /// The algorithm.
    ///
    /// # Errors
    /// `alg_none` for `none` in any case; `unsupported_alg` for unknown names.
    pub fn alg(&self) -> Result<JwsAlg> {
        self.alg_name().parse()
    }

    /// `kid` (RFC 7515 §4.1.4): an opaque key identifier.
    pub fn kid(&self) -> Option<&str> {
        self.0.kid.as_ref().map(|t| self.text(t))
    }

    /// `typ` (§4.1.9), e.g. `"JWT"` or `"at+jwt"`.
    pub fn typ(&self) -> Option<&str> {
        self.0.typ.as_ref().map(|t| self.text(t))
    }

    /// `cty` (§4.1.10); `"JWT"` marks a nested JWT.
    pub fn cty(&self) -> Option<&str> {
        self.0.cty.as_ref().map(|t| self.text(t))
    }

    /// `crit` (§4.1.11): extensions that must be understood.
    pub fn crit(&self) -> &[String] {
        &self.0.crit
    }

    /// `b64` (RFC 7797 §3): false when the payload is not base64url-encoded.
    pub fn b64(&self) -> bool {
        self.0.b64
    }

    /// `jwk` (§4.1.3): a public key embedded by the token's producer. Never trusted by default.
    pub fn jwk(&self) -> Option<&Object> {
        self.as_object().get("jwk").and_then(Value::as_object)
    }

    /// `jku` (§4.1.2): a URL of a JWK Set named by the token. Never fetched by default.
    pub fn jku(&self) -> Option<&str> {
        self.as_object().get("jku").and_then(Value::as_str)
    }

    /// `x5u` (§4.1.5): a URL of an X.509 chain named by the token. Never fetched by default.
    pub fn x5u(&self) -> Option<&str> {
        self.as_object().get("x5u").and_then(Value::as_str)
    }

    /// `x5c` (§4.1.6): an X.509 chain embedded in the token (base64 DER, leaf first).
    pub fn x5c(&self) -> Option<Vec<&str>> {
        self.as_object()
            .get("x5c")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).collect())
    }

    /// `x5t` (§4.1.7): SHA-1 thumbprint of the certificate, base64url.
    pub fn x5t(&self) -> Option<&str> {
        self.as_object().get("x5t").and_then(Value::as_str)
    }

    /// `x5t#S256` (§4.1.8): SHA-256 thumbprint of the certificate, base64url.
    pub fn x5t_s256(&self) -> Option<&str> {
        self.as_object().get("x5t#S256").and_then(Value::as_str)
    }

    /// Any parameter by name.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.as_object().get(name)
    }

    /// The whole header as written (member order kept).
    pub fn as_object(&self) -> &Object {
        self.0.raw.get_or_init(|| {
            Box::new(crate::json::build_checked(
                self.0.json.as_deref().map(str::as_bytes),
            ))
        })
    }

    /// Check `crit` against the extensions the caller understands (RFC 7515 §4.1.11).
    ///
    /// # Errors
    /// `unsupported_crit` naming the first extension not in `understood`; `malformed` when a
    /// `crit` name does not occur in the header.
    pub fn check_crit(&self, understood: &[impl AsRef<str>]) -> Result<()> {
        self.check_crit_names(understood)
            .map_err(|e| e.at(Check::HeaderParams))
    }

    fn check_crit_names(&self, understood: &[impl AsRef<str>]) -> Result<()> {
        crate::crit::check(
            &self.0.crit,
            |name| understood.iter().any(|u| u.as_ref() == name),
            |name| self.as_object().contains_key(name),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ErrorKind, Limits};

    #[test]
    fn checked_index_follows_the_list() {
        for (i, name) in CHECKED.iter().enumerate() {
            assert_eq!(checked_index(name), Some(i));
        }
        assert_eq!(checked_index("zip"), None);
    }

    #[test]
    fn parsed_header_equals_the_object_form() {
        let json = br#"{"alg":"ES256","kid":"k","typ":"JWT","b64":false,"crit":["b64"],"x5c":["MIIB"],"ext":{"a":[1]}}"#;
        let lazy = Header::parse(json.to_vec(), &Limits::default()).unwrap();
        assert!(lazy.0.raw.get().is_none(), "map not built by parsing");
        let eager =
            Header::from_object(crate::json::parse_object(json, &Limits::default()).unwrap()).unwrap();
        assert_eq!(
            (lazy.alg_name(), lazy.kid(), lazy.typ(), lazy.b64()),
            ("ES256", Some("k"), Some("JWT"), false)
        );
        assert_eq!(lazy.crit(), ["b64"]);
        assert_eq!(lazy.x5c(), Some(vec!["MIIB"]));
        assert_eq!(lazy, eager);
        assert_eq!(format!("{lazy:?}"), format!("{eager:?}"));
        lazy.check_crit(&["b64"]).unwrap();
    }

    #[test]
    fn parse_errors_are_unchanged() {
        let kind = |j: &[u8]| Header::parse(j.to_vec(), &Limits::default()).unwrap_err().kind();
        assert_eq!(
            kind(br#"{"alg":"HS256","alg":"none"}"#),
            ErrorKind::DuplicateMember
        );
        assert_eq!(
            kind(br#"{"alg":"HS256","\u0061lg":"none"}"#),
            ErrorKind::DuplicateMember
        );
        assert_eq!(kind(br#"{"alg":1}"#), ErrorKind::Malformed);
        assert_eq!(kind(br#"{"kid":"k"}"#), ErrorKind::Malformed);
        assert_eq!(kind(br#"{"alg":"HS256","crit":[]}"#), ErrorKind::Malformed);
        assert_eq!(kind(br#"{"alg":"HS256","x5c":[1]}"#), ErrorKind::Malformed);
        assert_eq!(kind(br#"{"alg":"HS256",}"#), ErrorKind::BadJson);
        assert_eq!(kind(b"[]"), ErrorKind::BadJson);
    }
}
