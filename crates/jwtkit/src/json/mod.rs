//! Strict JSON for JOSE: duplicate member names rejected, nesting depth bounded, lossless.
//!
//! RFC 7515 §5.2 and RFC 7519 §4 let a parser either reject duplicate member names or keep
//! the last one; keeping the last lets two parsers see different headers in the same token
//! (e.g. `{"alg":"HS256","alg":"none"}`), so jwtkit rejects them (`duplicate_member`), in
//! nested objects too, comparing names after unescaping (`"a"` and `"\u0061"` are the same).
//! The two member names serde_json gives a meaning of its own (`$serde_json::private::Number`,
//! `$serde_json::private::RawValue`: an object holding one reads as a number or as raw JSON)
//! are refused (`bad_json`) at any depth.
//!
//! Syntax is checked by `serde_json` (RFC 8259). Values keep member order and numbers as
//! written (`3.0`, big integers), so what the CLI shows is what the token says.
//!
//! Two paths give one result. The **fast path** (`fast::StrictSeed`) builds the value in a single
//! pass of `serde_json`, rejecting a duplicate member name (via the map's entry, one hash per
//! member) or a nesting level above the limit as it meets them. When it fails for any reason,
//! the **reference path** runs: a linear pre-scan for depth and duplicates, then a plain
//! `serde_json` parse. The reference path alone decides every error, so kinds, messages and
//! which of several defects is reported are exactly those of the pre-scan; the fast path only
//! succeeds on documents the reference path accepts, with the same value (the `json_strict`
//! fuzz target checks both claims on every input).

use serde_json::{Map, Value};

use crate::Limits;
use crate::error::{Result, err};

mod fast;
mod prescan;
mod typed;

pub(crate) use fast::{Kept, check_object_keeping, check_str_keeping, parse_fast};
use prescan::check_strict;
pub(crate) use typed::read_keeping;

/// Member names serde_json gives a meaning of its own (with the `arbitrary_precision` and
/// `raw_value` features, which jwtkit enables): an object whose first member has one of these
/// names is read as a number, or as raw JSON text taken from the member's string value. Strict
/// JSON refuses them as member names at any depth (`bad_json`), so no object in a token can
/// pose as a number or hide a second JSON document from the checks.
pub(crate) const RESERVED_NAMES: [&str; 2] =
    ["$serde_json::private::Number", "$serde_json::private::RawValue"];

/// Whether `name` is one of [`RESERVED_NAMES`].
pub(crate) fn is_reserved_name(name: &str) -> bool {
    RESERVED_NAMES.contains(&name)
}

/// A JSON object with member order preserved.
pub(crate) type Object = Map<String, Value>;

/// Parse `bytes` as one strict JSON object (header, claims set, JWK).
///
/// # Errors
/// `bad_json` (not UTF-8, syntax error, not an object), `duplicate_member`,
/// `resource_limit` (depth above `limits.max_json_depth`).
pub fn parse_object(bytes: &[u8], limits: &Limits) -> Result<Object> {
    match parse_value(bytes, limits)? {
        Value::Object(m) => Ok(m),
        other => Err(err!(
            BadJson,
            "expected a JSON object, found {}",
            type_name(&other)
        )),
    }
}

/// Parse `bytes` as one strict JSON value of any type.
///
/// # Errors
/// As [`parse_object`], without the object requirement.
pub(crate) fn parse_value(bytes: &[u8], limits: &Limits) -> Result<Value> {
    // The fast path checks UTF-8 first and gives None for invalid text; the reference path
    // then reports it, first as it always did.
    if let Some(value) = parse_fast(bytes, limits.max_json_depth) {
        return Ok(value);
    }
    if std::str::from_utf8(bytes).is_err() {
        return Err(err!(BadJson, "not valid UTF-8"));
    }
    parse_reference(bytes, limits.max_json_depth)
}

/// The reference path: pre-scan for depth and duplicates, then `serde_json`. Gives the errors.
pub(crate) fn parse_reference(bytes: &[u8], max_depth: usize) -> Result<Value> {
    check_strict(bytes, max_depth)?;
    serde_json::from_slice(bytes).map_err(|e| err!(BadJson, "{}", lower_first(&e.to_string())))
}

/// Build the object of JSON text that [`check_object_keeping`] accepted (a lazily built
/// claims set or header). The check accepts only documents the fast path builds without a
/// depth limit (the `json_strict` fuzz target verifies it), so the empty fallback is
/// unreachable; it exists because the accessors that call this cannot fail.
pub(crate) fn build_checked(json: Option<&[u8]>) -> Object {
    match json.and_then(|j| parse_fast(j, usize::MAX)) {
        Some(Value::Object(object)) => object,
        _ => Object::new(),
    }
}

/// The JSON type name of a value, for messages (`"a string"`, `"an array"`).
pub fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// serde_json's message with its first letter lowercased to follow a prefix ("EOF" and other
/// words in capitals are kept: `EOF while parsing a value`, not `eOF …`).
fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    match (c.next(), c.next()) {
        (Some(_), Some(second)) if second.is_uppercase() => s.to_string(),
        (Some(f), _) => f.to_lowercase().chain(s.chars().skip(1)).collect(),
        (None, _) => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    fn kind(s: &str) -> ErrorKind {
        parse_object(s.as_bytes(), &Limits::default()).unwrap_err().kind()
    }

    #[test]
    fn duplicates_rejected_everywhere() {
        assert_eq!(
            kind(r#"{"alg":"HS256","alg":"none"}"#),
            ErrorKind::DuplicateMember
        );
        assert_eq!(kind(r#"{"a":{"b":1,"b":2}}"#), ErrorKind::DuplicateMember);
        assert_eq!(kind(r#"{"a":[{"b":1,"b":2}]}"#), ErrorKind::DuplicateMember);
        assert_eq!(kind(r#"{"a":1,"\u0061":2}"#), ErrorKind::DuplicateMember);
        // same name in sibling objects is fine
        assert!(parse_object(br#"{"a":{"b":1},"c":{"b":2},"d":["a","a"]}"#, &Limits::default()).is_ok());
        // a value equal to a name is fine
        assert!(parse_object(br#"{"a":"a","b":"a"}"#, &Limits::default()).is_ok());
    }

    #[test]
    fn many_members_use_the_set() {
        let mut s = String::from("{");
        for i in 0..1000 {
            s.push_str(&format!("\"k{i}\":{i},"));
        }
        s.push_str("\"k999\":0}");
        assert_eq!(kind(&s), ErrorKind::DuplicateMember);
    }

    #[test]
    fn depth_and_type() {
        let deep = format!("{}{}", "[".repeat(65), "]".repeat(65));
        assert_eq!(
            parse_value(deep.as_bytes(), &Limits::default())
                .unwrap_err()
                .kind(),
            ErrorKind::ResourceLimit
        );
        let ok = format!("{{\"a\":{}{}}}", "[".repeat(63), "]".repeat(63));
        assert!(parse_object(ok.as_bytes(), &Limits::default()).is_ok());
        assert_eq!(kind("[1]"), ErrorKind::BadJson);
        assert_eq!(kind("{\"a\":1"), ErrorKind::BadJson);
        assert_eq!(kind("{\"a\":1}x"), ErrorKind::BadJson);
        assert_eq!(
            parse_object(b"{\"a\":\"\xff\"}", &Limits::default())
                .unwrap_err()
                .kind(),
            ErrorKind::BadJson
        );
        let eof = parse_object(b"", &Limits::default()).unwrap_err();
        assert_eq!(eof.message(), "EOF while parsing a value at line 1 column 0");
        let msg = parse_object(b"{\"a\" 1}", &Limits::default()).unwrap_err();
        assert_eq!(msg.message(), "expected `:` at line 1 column 6");
    }

    #[test]
    fn fast_path_is_taken_and_agrees_with_the_reference() {
        let docs: &[&[u8]] = &[
            br#"{"a":1.0,"b":[1,{"c":null}],"d":"\u00e9\"","e":123456789012345678901234567890}"#,
            br#"{"a":1,"a":2}"#,
            br#"{"a":1,"\u0061":2}"#,
            br#"{"a":{"b":1,"b":2}}"#,
            br#"{"$serde_json::private::Number":"1"}"#,
            br#"{"$serde_json::private::Number":"x"}"#,
            br#"[1,2,{"k":[]}]"#,
            b"{\"a\":1}x",
            b"{}",
            b"[]",
            b"-0",
        ];
        for doc in docs {
            for depth in [0, 1, 2, 64] {
                if let Some(fast) = parse_fast(doc, depth) {
                    assert_eq!(
                        parse_reference(doc, depth).ok(),
                        Some(fast),
                        "{}",
                        String::from_utf8_lossy(doc)
                    );
                }
            }
        }
        let ok = br#"{"a":1.0,"b":[1,{"c":null}]}"#;
        assert_eq!(
            serde_json::to_string(&parse_fast(ok, 64).unwrap()).unwrap(),
            r#"{"a":1.0,"b":[1,{"c":null}]}"#
        );
        // Defects leave the fast path; the reference path reports them.
        assert_eq!(parse_fast(br#"{"a":1,"a":2}"#, 64), None);
        assert_eq!(parse_fast(br#"{"a":{"b":[]}}"#, 2), None);
        assert!(parse_fast(br#"{"a":{"b":[]}}"#, 3).is_some());
        assert_eq!(parse_fast(br#"{"$serde_json::private::Number":"1"}"#, 0), None);
        assert_eq!(
            parse_value(
                br#"{"$serde_json::private::Number":"1"}"#,
                &Limits {
                    max_json_depth: 0,
                    ..Limits::default()
                }
            )
            .unwrap_err()
            .kind(),
            ErrorKind::ResourceLimit
        );
    }

    #[test]
    fn lossless_numbers_and_order() {
        let m = parse_object(
            br#"{"z":3.0,"a":123456789012345678901234567890}"#,
            &Limits::default(),
        )
        .unwrap();
        assert_eq!(
            serde_json::to_string(&m).unwrap(),
            r#"{"z":3.0,"a":123456789012345678901234567890}"#
        );
    }
}
