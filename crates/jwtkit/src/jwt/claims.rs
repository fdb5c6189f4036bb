//! The JWT Claims Set, RFC 7519 §4: registered claims read with their types, everything else
//! kept as written.
//!
//! A malformed registered claim is never treated as absent (CVE-2026-25537 class): each
//! accessor returns a [`ClaimValue`] that distinguishes `Absent`, `Invalid` and `Present`.

use std::fmt;
use std::sync::OnceLock;

use serde_json::Value;

use crate::json::{Kept, Object};

/// A registered claim as read from a token.
#[derive(Clone, Debug, PartialEq)]
pub enum ClaimValue<T> {
    /// The claim is not in the token.
    Absent,
    /// The claim is present with the wrong type; the string says what was found.
    Invalid(String),
    /// The claim is present and well-typed.
    Present(T),
}

impl<T> ClaimValue<T> {
    /// The value when present.
    pub fn present(self) -> Option<T> {
        match self {
            ClaimValue::Present(v) => Some(v),
            _ => None,
        }
    }
}

/// A JWT Claims Set: a JSON object, member order kept.
///
/// Claims read from a token ([`Claims::parse`], [`crate::verify`])
/// keep the strict-checked JSON text and build the member map on first use of an accessor:
/// verification reads the registered claims it validates from one checking pass, so a caller
/// that does not look at the claims does not pay for building them. Either way the accessors
/// see the same object (and a token whose claims set is not strict JSON never gets here).
#[derive(Clone, Default)]
pub struct Claims {
    /// The member map, built on first use (boxed: claims are moved several times per token,
    /// and the map is rarely built on the verification path).
    object: OnceLock<Box<Object>>,
    /// The claims set as JSON text, already checked strictly (UTF-8 included, so the typed
    /// read of [`Claims::deserialize`] uses serde_json's `str` reader); None when built from
    /// an object.
    json: Option<Box<str>>,
}

/// The registered claims verification validates, in the order of [`Registered`]'s fields.
#[cfg(test)]
pub(crate) const REGISTERED: [&str; 6] = ["exp", "nbf", "iat", "iss", "sub", "aud"];

/// The index of `name` in [`REGISTERED`] (compared bytewise: no string comparison calls).
fn registered_index(name: &str) -> Option<usize> {
    match name.as_bytes() {
        [b'e', b'x', b'p'] => Some(0),
        [b'n', b'b', b'f'] => Some(1),
        [b'i', b'a', b't'] => Some(2),
        [b'i', b's', b's'] => Some(3),
        [b's', b'u', b'b'] => Some(4),
        [b'a', b'u', b'd'] => Some(5),
        _ => None,
    }
}

/// Parse a claims set (a strict JSON object) for verification, then run `validate` on its
/// registered claims (read in the same checking pass, borrowed from the text) and the claims.
///
/// Returns the claims when they parsed (even when `validate` rejected them: the caller shows
/// what it found), and the first error.
///
/// # Errors
/// A parse error as [`crate::json::parse_object`] (from its reference path, so errors are
/// unchanged), passed through `on_parse_error`; then whatever `validate` returns.
pub(crate) fn parse_checked(
    json: Vec<u8>,
    limits: &crate::Limits,
    on_parse_error: impl FnOnce(crate::Error) -> crate::Error,
    validate: impl FnOnce(&Registered<'_>, &Claims) -> crate::Result<()>,
) -> (Option<Claims>, crate::Result<()>) {
    parse_checked_as(json, limits, |_, _, _| false, on_parse_error, validate)
}

/// The typed reader of [`parse_checked_as`]: the claims set deserialized into `T` in the
/// checking pass itself ([`crate::json::read_keeping`]).
pub(crate) fn read_as<'a, T: serde::de::DeserializeOwned>(
    text: &'a str,
    max_depth: usize,
    kept: &mut [Option<Kept<'a>>; 6],
) -> Option<T> {
    crate::json::read_keeping(text, max_depth, registered_index, kept)
}

/// [`parse_checked`] whose checking pass may also `read` the claims into the caller's type
/// ([`read_as`]; true when it did, having checked the text as strictly as
/// [`crate::json::check_str_keeping`] and kept the registered claims). When `read` gives
/// false (a value that does not fit, or any defect), the untyped checking pass and the
/// reference path run as in [`parse_checked`], so errors and what `validate` sees are the
/// same; the caller then deserializes from the [`Claims`] (whose error says why the type
/// does not fit).
pub(crate) fn parse_checked_as(
    json: Vec<u8>,
    limits: &crate::Limits,
    read: impl for<'a> FnOnce(&'a str, usize, &mut [Option<Kept<'a>>; 6]) -> bool,
    on_parse_error: impl FnOnce(crate::Error) -> crate::Error,
    validate: impl FnOnce(&Registered<'_>, &Claims) -> crate::Result<()>,
) -> (Option<Claims>, crate::Result<()>) {
    // UTF-8 checked once, here (std's ASCII fast path); invalid text takes the reference path,
    // which reports it.
    let json = match String::from_utf8(json) {
        Ok(text) => text,
        Err(e) => return parse_reference(e.as_bytes(), limits, on_parse_error, validate),
    };
    // Not yet checked: handed out only if a checking pass below accepts the text.
    let claims = Claims {
        object: OnceLock::new(),
        json: Some(json.into_boxed_str()),
    };
    let text = claims.json.as_deref().unwrap_or_default();
    let depth = limits.max_json_depth;
    // The kept values borrow the text: dropped (in place, not moved into `drop`) at the end of
    // this block, before the claims are handed out.
    let result = {
        let mut kept: [Option<Kept<'_>>; 6] = Default::default();
        let checked = read(text, depth, &mut kept) || {
            kept = Default::default();
            crate::json::check_str_keeping(text, depth, registered_index, &mut kept)
        };
        if !checked {
            return parse_reference(text.as_bytes(), limits, on_parse_error, validate);
        }
        validate(&Registered::from_kept(&kept), &claims)
    };
    (Some(claims), result)
}

/// [`parse_checked`] by the reference path of [`crate::json::parse_object`], which gives the
/// errors; the claims map is built.
fn parse_reference(
    json: &[u8],
    limits: &crate::Limits,
    on_parse_error: impl FnOnce(crate::Error) -> crate::Error,
    validate: impl FnOnce(&Registered<'_>, &Claims) -> crate::Result<()>,
) -> (Option<Claims>, crate::Result<()>) {
    let claims = match crate::json::parse_object(json, limits) {
        Ok(object) => Claims::new(object),
        Err(e) => return (None, Err(on_parse_error(e))),
    };
    let result = validate(&claims.registered(), &claims);
    (Some(claims), result)
}

/// [`parse_checked`] as one result: the claims when they parsed and `validate` accepted them.
///
/// # Errors
/// As [`parse_checked`].
pub(crate) fn parse_validated(
    json: Vec<u8>,
    limits: &crate::Limits,
    on_parse_error: impl FnOnce(crate::Error) -> crate::Error,
    validate: impl FnOnce(&Registered<'_>, &Claims) -> crate::Result<()>,
) -> crate::Result<Claims> {
    let (claims, result) = parse_checked(json, limits, on_parse_error, validate);
    result?;
    claims.ok_or_else(|| crate::error::err!(BadJson, "the claims set did not parse"))
}

impl PartialEq for Claims {
    fn eq(&self, other: &Claims) -> bool {
        self.as_object() == other.as_object()
    }
}

impl fmt::Debug for Claims {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Claims").field(self.as_object()).finish()
    }
}

fn describe(v: &Value) -> String {
    match v {
        Value::String(s) => format!("the string {}", crate::text::quote(s)),
        other => crate::json::type_name(other).to_string(),
    }
}

impl Claims {
    /// Parse a JWS payload as a JWT Claims Set: a strict JSON object (RFC 7519 §7.2 step 10).
    ///
    /// # Errors
    /// `bad_json`, `duplicate_member`, `resource_limit`, each naming the payload segment.
    pub fn parse(payload: &[u8], limits: &crate::Limits) -> crate::Result<Claims> {
        parse_validated(
            payload.to_vec(),
            limits,
            |e| crate::jws::segment_error(e, 1),
            |_, _| Ok(()),
        )
    }

    /// Wrap a parsed object.
    pub fn new(obj: Object) -> Claims {
        Claims {
            object: OnceLock::from(Box::new(obj)),
            json: None,
        }
    }

    /// A NumericDate claim (`exp`, `nbf`, `iat`): a JSON number, integer or fraction, in seconds.
    pub fn numeric_date(&self, name: &str) -> ClaimValue<f64> {
        numeric_date(self.as_object().get(name).map(ClaimRef::Value))
    }

    /// `exp` (§4.1.4).
    pub fn exp(&self) -> ClaimValue<f64> {
        self.numeric_date("exp")
    }

    /// `nbf` (§4.1.5).
    pub fn nbf(&self) -> ClaimValue<f64> {
        self.numeric_date("nbf")
    }

    /// `iat` (§4.1.6).
    pub fn iat(&self) -> ClaimValue<f64> {
        self.numeric_date("iat")
    }

    /// A string claim (`iss`, `sub`, `jti`).
    pub fn string(&self, name: &str) -> ClaimValue<&str> {
        string(self.as_object().get(name).map(ClaimRef::Value))
    }

    /// `iss` (§4.1.1).
    pub fn iss(&self) -> ClaimValue<&str> {
        self.string("iss")
    }

    /// `sub` (§4.1.2).
    pub fn sub(&self) -> ClaimValue<&str> {
        self.string("sub")
    }

    /// `jti` (§4.1.7).
    pub fn jti(&self) -> ClaimValue<&str> {
        self.string("jti")
    }

    /// `aud` (§4.1.3): a string or an array of strings, returned as a list.
    pub fn aud(&self) -> ClaimValue<Vec<&str>> {
        audience(self.as_object().get("aud").map(ClaimRef::Value))
    }

    /// The registered claims that validation reads, found in one pass over the members (a
    /// lookup per name would hash each name).
    pub(crate) fn registered(&self) -> Registered<'_> {
        let mut r = Registered::default();
        for (name, value) in self.as_object() {
            let slot = match name.as_str() {
                "exp" => &mut r.exp,
                "nbf" => &mut r.nbf,
                "iat" => &mut r.iat,
                "iss" => &mut r.iss,
                "sub" => &mut r.sub,
                "aud" => &mut r.aud,
                _ => continue,
            };
            *slot = Some(ClaimRef::Value(value));
        }
        r
    }

    /// One top-level member as validation reads it, handed to `f`, without building the member
    /// map when it is not built yet: a second checking pass over the (already checked) text
    /// keeps just this member. Used by issuer templates for their tenant claim.
    pub(crate) fn member<R>(&self, name: &str, f: impl FnOnce(Option<ClaimRef<'_>>) -> R) -> R {
        if self.object.get().is_none()
            && let Some(text) = self.json.as_deref()
        {
            let mut kept: [Option<Kept<'_>>; 1] = Default::default();
            let depth = crate::Limits::default().max_json_depth;
            if crate::json::check_str_keeping(text, depth, |n| (n == name).then_some(0), &mut kept) {
                return f(kept[0].as_ref().map(ClaimRef::of_kept));
            }
        }
        f(self.as_object().get(name).map(ClaimRef::Value))
    }

    /// A claim by name.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.as_object().get(name)
    }

    /// A claim at a dotted path into nested objects (`realm_access.roles`); a name containing
    /// dots is found first as a whole (`https://example.com/roles`).
    pub fn get_path(&self, path: &str) -> Option<&Value> {
        if let Some(v) = self.as_object().get(path) {
            return Some(v);
        }
        let mut parts = path.split('.');
        let mut cur = self.as_object().get(parts.next()?)?;
        for p in parts {
            cur = cur.as_object()?.get(p)?;
        }
        Some(cur)
    }

    /// Whether a claim is present.
    pub fn contains(&self, name: &str) -> bool {
        self.as_object().contains_key(name)
    }

    /// The claims as a JSON object.
    pub fn as_object(&self) -> &Object {
        self.object.get_or_init(|| {
            Box::new(crate::json::build_checked(
                self.json.as_deref().map(str::as_bytes),
            ))
        })
    }

    /// The claims deserialized into the caller's type, straight from the claims set's JSON
    /// text as the token carried it (already checked strictly: no duplicate member at any
    /// depth, depth limit, valid UTF-8), without building the member map. Claims built from an
    /// object ([`Claims::new`]) are deserialized from that object instead.
    ///
    /// This is the way to read claims into Rust types after [`crate::verify`] or
    /// [`crate::jwt::verify_with`] ([`crate::verify_as`] reads them while verifying): `T` is any
    /// `serde::de::DeserializeOwned` (a `#[derive(Deserialize)]` struct; unknown members are
    /// ignored unless `T` says `deny_unknown_fields`). It reads; it does not validate again —
    /// the registered claims were validated before [`crate::jwt::Verified`] was returned.
    ///
    /// # Errors
    /// `bad_json` (check `claims_set`) when the claims do not fit `T` (a missing field, a
    /// wrong type), naming serde's path and reason — never a claim value.
    pub fn deserialize<T: serde::de::DeserializeOwned>(&self) -> crate::Result<T> {
        let result = match (&self.json, self.object.get()) {
            (Some(text), _) => serde_json::from_str::<T>(text),
            (None, Some(object)) => T::deserialize(&Value::Object(Object::clone(object))),
            (None, None) => serde_json::from_slice::<T>(b"{}"),
        };
        result.map_err(|e| {
            crate::error::err!(
                BadJson,
                "the claims set does not fit {}: {} (line {}, column {})",
                short_type_name(std::any::type_name::<T>()),
                serde_error_reason(&e),
                e.line(),
                e.column()
            )
            .at(crate::Check::ClaimsSet)
        })
    }

    /// Take the object.
    pub fn into_object(self) -> Object {
        let Claims { object, json } = self;
        object.into_inner().map_or_else(
            || crate::json::build_checked(json.as_deref().map(str::as_bytes)),
            |object| *object,
        )
    }
}

/// `my_crate::claims::Access` → `Access` (generic arguments kept as written).
fn short_type_name(full: &str) -> &str {
    let head = full.split('<').next().unwrap_or(full);
    match head.rfind("::") {
        Some(i) => &full[i + 2..],
        None => full,
    }
}

/// serde's reason without the value it quoted: `invalid type: string "…", expected u64`
/// becomes `invalid type: string, expected u64` (claim values are not echoed into errors).
fn serde_error_reason(e: &serde_json::Error) -> String {
    let text = e.to_string();
    let text = text.split(" at line ").next().unwrap_or_default();
    // `missing field `exp`` names a field of T, not a value: keep backticks there.
    let names_field = ["missing field", "unknown field", "duplicate field"]
        .iter()
        .any(|p| text.starts_with(p));
    let mut out = String::with_capacity(text.len());
    let mut quoted = false;
    for ch in text.chars() {
        match ch {
            '`' if names_field => out.push(ch),
            '"' | '`' => quoted = !quoted,
            _ if quoted => {}
            _ => out.push(ch),
        }
    }
    out.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace(" ,", ",")
}

impl From<Object> for Claims {
    fn from(o: Object) -> Claims {
        Claims::new(o)
    }
}

/// The registered claims validation reads ([`Claims::registered`]).
#[derive(Default)]
pub(crate) struct Registered<'a> {
    pub(crate) exp: Option<ClaimRef<'a>>,
    pub(crate) nbf: Option<ClaimRef<'a>>,
    pub(crate) iat: Option<ClaimRef<'a>>,
    pub(crate) iss: Option<ClaimRef<'a>>,
    pub(crate) sub: Option<ClaimRef<'a>>,
    pub(crate) aud: Option<ClaimRef<'a>>,
}

/// A registered claim's value as validation reads it: from a claims map, or as kept by the
/// checking pass of [`parse_validated`] (strings borrowed from the text, integers as floats).
#[derive(Clone, Copy, Debug)]
pub(crate) enum ClaimRef<'a> {
    /// A JSON string.
    Str(&'a str),
    /// A JSON integer, converted as `Number::as_f64` does.
    Int(f64),
    /// Any JSON value.
    Value(&'a Value),
}

impl<'a> ClaimRef<'a> {
    fn of_kept(k: &'a Kept<'a>) -> ClaimRef<'a> {
        match k {
            Kept::Str(s) => ClaimRef::Str(s),
            Kept::Int(f) => ClaimRef::Int(*f),
            Kept::Value(v) => ClaimRef::Value(v),
        }
    }

    /// The string, when the value is one.
    pub(crate) fn as_str(self) -> Option<&'a str> {
        match self {
            ClaimRef::Str(s) => Some(s),
            ClaimRef::Value(Value::String(s)) => Some(s),
            _ => None,
        }
    }

    /// What was found, for messages: `the string "x"`, `a number`, `an array`, ...
    fn describe(self) -> String {
        match self {
            ClaimRef::Str(s) => describe(&Value::String(s.to_owned())),
            ClaimRef::Int(_) => "a number".into(),
            ClaimRef::Value(v) => describe(v),
        }
    }
}

impl<'a> Registered<'a> {
    /// A view of the values the checking pass of [`parse_validated`] kept.
    fn from_kept(values: &'a [Option<Kept<'a>>; 6]) -> Registered<'a> {
        let [exp, nbf, iat, iss, sub, aud] = values.each_ref().map(|v| v.as_ref().map(ClaimRef::of_kept));
        Registered {
            exp,
            nbf,
            iat,
            iss,
            sub,
            aud,
        }
    }

    /// Whether the claim `name` is present, when it is one of these; None for other names.
    pub(crate) fn has(&self, name: &str) -> Option<bool> {
        let slot = match name {
            "exp" => self.exp,
            "nbf" => self.nbf,
            "iat" => self.iat,
            "iss" => self.iss,
            "sub" => self.sub,
            "aud" => self.aud,
            _ => return None,
        };
        Some(slot.is_some())
    }
}

/// A NumericDate claim's value: a finite JSON number (seconds).
pub(crate) fn numeric_date(value: Option<ClaimRef<'_>>) -> ClaimValue<f64> {
    let number = match value {
        None => return ClaimValue::Absent,
        Some(ClaimRef::Int(f)) => Some(f),
        Some(ClaimRef::Value(Value::Number(n))) => n.as_f64(),
        Some(v) => return ClaimValue::Invalid(v.describe()),
    };
    match number {
        Some(f) if f.is_finite() => ClaimValue::Present(f),
        _ => ClaimValue::Invalid("a number out of range".into()),
    }
}

/// A string claim's value.
pub(crate) fn string(value: Option<ClaimRef<'_>>) -> ClaimValue<&str> {
    match value {
        None => ClaimValue::Absent,
        Some(v) => v
            .as_str()
            .map_or_else(|| ClaimValue::Invalid(v.describe()), ClaimValue::Present),
    }
}

/// The `aud` claim's value: a string or an array of strings, as a list.
pub(crate) fn audience(value: Option<ClaimRef<'_>>) -> ClaimValue<Vec<&str>> {
    if let Some(s) = value.and_then(ClaimRef::as_str) {
        return ClaimValue::Present(vec![s]);
    }
    match value {
        None => ClaimValue::Absent,
        Some(ClaimRef::Value(Value::Array(a))) => {
            let mut out = Vec::with_capacity(a.len());
            for v in a {
                match v {
                    Value::String(s) => out.push(s.as_str()),
                    other => {
                        return ClaimValue::Invalid(format!("an array holding {}", describe(other)));
                    }
                }
            }
            ClaimValue::Present(out)
        }
        Some(v) => ClaimValue::Invalid(v.describe()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ErrorKind, Limits};

    const JSON: &[u8] = br#"{"iss":"joe","exp":1300819380,"aud":["a","b"],"n":3.0,"o":{"p":[1,{"q":null}]}}"#;

    #[test]
    fn registered_index_follows_the_list() {
        for (i, name) in REGISTERED.iter().enumerate() {
            assert_eq!(registered_index(name), Some(i));
        }
        assert_eq!(registered_index("jti"), None);
        assert_eq!(registered_index("expx"), None);
    }

    #[test]
    fn lazy_claims_equal_the_parsed_object() {
        let mut seen = Vec::new();
        let claims = parse_validated(
            JSON.to_vec(),
            &Limits::default(),
            |e| e,
            |r, _| {
                seen = [r.exp, r.nbf, r.iat, r.iss, r.sub, r.aud]
                    .map(|c| c.map(|c| format!("{c:?}")))
                    .to_vec();
                Ok(())
            },
        )
        .unwrap();
        assert!(claims.object.get().is_none(), "not built by parsing");
        let object = crate::json::parse_object(JSON, &Limits::default()).unwrap();
        // Kept without building values: strings borrowed, integers as floats.
        assert_eq!(
            seen,
            [
                Some("Int(1300819380.0)"),
                None,
                None,
                Some("Str(\"joe\")"),
                None,
                Some("Value(Array [String(\"a\"), String(\"b\")])"),
            ]
            .map(|s| s.map(str::to_owned))
        );
        let r = claims.registered();
        assert_eq!(numeric_date(r.exp), ClaimValue::Present(1_300_819_380.0));
        assert_eq!(string(r.iss), ClaimValue::Present("joe"));
        assert_eq!(audience(r.aud), ClaimValue::Present(vec!["a", "b"]));
        assert_eq!(
            REGISTERED.map(|n| r.has(n)),
            [
                Some(true),
                Some(false),
                Some(false),
                Some(true),
                Some(false),
                Some(true)
            ]
        );
        assert_eq!(claims.clone(), Claims::new(object.clone()));
        assert_eq!(claims.exp(), ClaimValue::Present(1_300_819_380.0));
        assert_eq!(claims.get_path("o.p").unwrap().to_string(), r#"[1,{"q":null}]"#);
        assert_eq!(
            serde_json::to_string(claims.as_object()).unwrap(),
            std::str::from_utf8(JSON).unwrap()
        );
        assert_eq!(claims.into_object(), object);
        assert_eq!(format!("{:?}", Claims::default()), "Claims({})");
    }

    /// The kept values of the checking pass read exactly as the built map's values do.
    #[test]
    fn kept_values_read_as_map_values() {
        for value in [
            "1300819380",
            "-5",
            "18446744073709551615",
            "184467440737095516150",
            "1.5",
            "1e3",
            "-0",
            "1e400",
            "\"1300819380\"",
            "\"joe\"",
            "\"j\\u006fe\"",
            "null",
            "true",
            "[\"a\",\"b\"]",
            "[\"a\",1]",
            "[]",
            "{\"a\":1}",
        ] {
            let json = format!(r#"{{"exp":{value},"iss":{value},"aud":{value}}}"#);
            let mut kept_reads = None;
            let claims = parse_validated(
                json.clone().into_bytes(),
                &Limits::default(),
                |e| e,
                |r, _| {
                    kept_reads = Some(format!(
                        "{:?} {:?} {:?}",
                        numeric_date(r.exp),
                        string(r.iss),
                        audience(r.aud)
                    ));
                    Ok(())
                },
            )
            .unwrap();
            assert!(claims.object.get().is_none(), "{json} took the checking pass");
            let map = Claims::new(crate::json::parse_object(json.as_bytes(), &Limits::default()).unwrap());
            let r = map.registered();
            let map_reads = format!(
                "{:?} {:?} {:?}",
                numeric_date(r.exp),
                string(r.iss),
                audience(r.aud)
            );
            assert_eq!(kept_reads.unwrap(), map_reads, "{json}");
            assert_eq!(
                map_reads,
                format!("{:?} {:?} {:?}", map.exp(), map.iss(), map.aud()),
                "{json}"
            );
        }
    }

    #[test]
    fn defects_take_the_reference_path() {
        let kind = |j: &[u8]| {
            parse_validated(j.to_vec(), &Limits::default(), |e| e, |_, _| Ok(()))
                .unwrap_err()
                .kind()
        };
        assert_eq!(
            kind(br#"{"exp":1,"o":{"a":1,"a":2}}"#),
            ErrorKind::DuplicateMember
        );
        assert_eq!(kind(br#"{"exp":1,"\u0065xp":2}"#), ErrorKind::DuplicateMember);
        assert_eq!(kind(br#"{"exp":1,}"#), ErrorKind::BadJson);
        assert_eq!(kind(br#"[{"exp":1}]"#), ErrorKind::BadJson);
        assert_eq!(kind(b"{\"a\":\"\xff\"}"), ErrorKind::BadJson);
        let deep = format!("{{\"a\":{}{}}}", "[".repeat(64), "]".repeat(64));
        assert_eq!(kind(deep.as_bytes()), ErrorKind::ResourceLimit);
        // serde_json takes this object for a number; so does the reference path, as before.
        assert_eq!(
            kind(br#"{"$serde_json::private::Number":"1"}"#),
            ErrorKind::BadJson
        );
    }
}
