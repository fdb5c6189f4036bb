//! The JWT Claims Set, RFC 7519 §4: registered claims read with their types, everything else
//! kept as written.
//!
//! A malformed registered claim is never treated as absent (CVE-2026-25537 class): each
//! accessor returns a [`ClaimValue`] that distinguishes `Absent`, `Invalid` and `Present`.

use serde_json::Value;

use crate::json::Object;

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

/// A registered claim name (RFC 7519 §4.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Claim {
    /// `iss`, issuer (§4.1.1).
    Iss,
    /// `sub`, subject (§4.1.2).
    Sub,
    /// `aud`, audience (§4.1.3).
    Aud,
    /// `exp`, expiration time (§4.1.4).
    Exp,
    /// `nbf`, not before (§4.1.5).
    Nbf,
    /// `iat`, issued at (§4.1.6).
    Iat,
    /// `jti`, JWT ID (§4.1.7).
    Jti,
}

impl Claim {
    /// The claim name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Claim::Iss => "iss",
            Claim::Sub => "sub",
            Claim::Aud => "aud",
            Claim::Exp => "exp",
            Claim::Nbf => "nbf",
            Claim::Iat => "iat",
            Claim::Jti => "jti",
        }
    }
}

/// A JWT Claims Set: a JSON object, member order kept.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Claims(Object);

fn describe(v: &Value) -> String {
    match v {
        Value::String(s) => format!("the string {}", crate::text::quote(s)),
        other => crate::json::type_name(other).to_string(),
    }
}

impl Claims {
    /// Wrap a parsed object.
    pub fn new(obj: Object) -> Claims {
        Claims(obj)
    }

    /// A NumericDate claim (`exp`, `nbf`, `iat`): a JSON number, integer or fraction, in seconds.
    pub fn numeric_date(&self, name: &str) -> ClaimValue<f64> {
        numeric_date(self.0.get(name))
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
        string(self.0.get(name))
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
        audience(self.0.get("aud"))
    }

    /// The registered claims that validation reads, found in one pass over the members (a
    /// lookup per name would hash each name).
    pub(crate) fn registered(&self) -> Registered<'_> {
        let mut r = Registered::default();
        for (name, value) in &self.0 {
            let slot = match name.as_str() {
                "exp" => &mut r.exp,
                "nbf" => &mut r.nbf,
                "iat" => &mut r.iat,
                "iss" => &mut r.iss,
                "sub" => &mut r.sub,
                "aud" => &mut r.aud,
                _ => continue,
            };
            *slot = Some(value);
        }
        r
    }
    /// A claim by name.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.0.get(name)
    }

    /// A claim at a dotted path into nested objects (`realm_access.roles`); a name containing
    /// dots is found first as a whole (`https://example.com/roles`).
    pub fn get_path(&self, path: &str) -> Option<&Value> {
        if let Some(v) = self.0.get(path) {
            return Some(v);
        }
        let mut parts = path.split('.');
        let mut cur = self.0.get(parts.next()?)?;
        for p in parts {
            cur = cur.as_object()?.get(p)?;
        }
        Some(cur)
    }

    /// Whether a claim is present.
    pub fn contains(&self, name: &str) -> bool {
        self.0.contains_key(name)
    }

    /// The claims as a JSON object.
    pub fn as_object(&self) -> &Object {
        &self.0
    }

    /// Take the object.
    pub fn into_object(self) -> Object {
        self.0
    }
}

impl From<Object> for Claims {
    fn from(o: Object) -> Claims {
        Claims(o)
    }
}

/// The registered claims validation reads ([`Claims::registered`]).
#[derive(Default)]
pub(crate) struct Registered<'a> {
    pub(crate) exp: Option<&'a Value>,
    pub(crate) nbf: Option<&'a Value>,
    pub(crate) iat: Option<&'a Value>,
    pub(crate) iss: Option<&'a Value>,
    pub(crate) sub: Option<&'a Value>,
    pub(crate) aud: Option<&'a Value>,
}

impl Registered<'_> {
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
pub(crate) fn numeric_date(value: Option<&Value>) -> ClaimValue<f64> {
    match value {
        None => ClaimValue::Absent,
        Some(Value::Number(n)) => match n.as_f64() {
            Some(f) if f.is_finite() => ClaimValue::Present(f),
            _ => ClaimValue::Invalid("a number out of range".into()),
        },
        Some(v) => ClaimValue::Invalid(describe(v)),
    }
}

/// A string claim's value.
pub(crate) fn string(value: Option<&Value>) -> ClaimValue<&str> {
    match value {
        None => ClaimValue::Absent,
        Some(Value::String(s)) => ClaimValue::Present(s),
        Some(v) => ClaimValue::Invalid(describe(v)),
    }
}

/// The `aud` claim's value: a string or an array of strings, as a list.
pub(crate) fn audience(value: Option<&Value>) -> ClaimValue<Vec<&str>> {
    match value {
        None => ClaimValue::Absent,
        Some(Value::String(s)) => ClaimValue::Present(vec![s.as_str()]),
        Some(Value::Array(a)) => {
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
        Some(v) => ClaimValue::Invalid(describe(v)),
    }
}
