//! Strict JSON for JOSE: duplicate member names rejected, nesting depth bounded, lossless.
//!
//! RFC 7515 §5.2 and RFC 7519 §4 let a parser either reject duplicate member names or keep
//! the last one; keeping the last lets two parsers see different headers in the same token
//! (e.g. `{"alg":"HS256","alg":"none"}`), so jwtkit rejects them (`duplicate_member`), in
//! nested objects too, comparing names after unescaping (`"a"` and `"\u0061"` are the same).
//!
//! Syntax is checked by `serde_json` (RFC 8259); a linear pre-scan here checks depth and
//! duplicates first. Values keep member order and numbers as written (`3.0`, big integers),
//! so what the CLI shows is what the token says.

use std::collections::HashSet;

use serde_json::{Map, Value};

use crate::Limits;
use crate::error::{Error, ErrorKind, Result, err};

/// A JSON object with member order preserved.
pub type Object = Map<String, Value>;

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
pub fn parse_value(bytes: &[u8], limits: &Limits) -> Result<Value> {
    if std::str::from_utf8(bytes).is_err() {
        return Err(err!(BadJson, "not valid UTF-8"));
    }
    check_strict(bytes, limits.max_json_depth)?;
    serde_json::from_slice(bytes).map_err(|e| err!(BadJson, "{}", lower_first(&e.to_string())))
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

fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_lowercase().chain(c).collect(),
        None => String::new(),
    }
}

/// Member names seen in one object: a short list, switching to a set for large objects so a
/// hostile object with many members costs O(n), not O(n²).
enum Seen<'a> {
    Small(Vec<std::borrow::Cow<'a, str>>),
    Large(HashSet<std::borrow::Cow<'a, str>>),
}

impl<'a> Seen<'a> {
    /// Insert; false if already present.
    fn insert(&mut self, name: std::borrow::Cow<'a, str>) -> bool {
        match self {
            Seen::Small(v) => {
                if v.contains(&name) {
                    return false;
                }
                if v.len() >= 16 {
                    let mut set: HashSet<_> = v.drain(..).collect();
                    set.insert(name);
                    *self = Seen::Large(set);
                } else {
                    v.push(name);
                }
                true
            }
            Seen::Large(s) => s.insert(name),
        }
    }
}

enum Frame<'a> {
    Object { seen: Seen<'a>, expect_name: bool },
    Array,
}

/// Linear scan checking nesting depth and duplicate member names. It does not validate
/// syntax (serde_json does, afterwards); on input it cannot follow it stops quietly.
fn check_strict(bytes: &[u8], max_depth: usize) -> Result<()> {
    let mut stack: Vec<Frame<'_>> = Vec::new();
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'{' | b'[' => {
                if stack.len() >= max_depth {
                    return Err(Error::new(
                        ErrorKind::ResourceLimit,
                        format!("JSON nesting is deeper than the limit of {max_depth}"),
                    )
                    .with_detail(crate::Detail::Limit {
                        what: "json_depth",
                        limit: max_depth as u64,
                        actual: stack.len() as u64 + 1,
                    }));
                }
                stack.push(if b == b'{' {
                    Frame::Object {
                        seen: Seen::Small(Vec::new()),
                        expect_name: true,
                    }
                } else {
                    Frame::Array
                });
                i += 1;
            }
            b'}' | b']' => {
                if stack.pop().is_none() {
                    return Ok(());
                }
                i += 1;
            }
            b',' => {
                if let Some(Frame::Object { expect_name, .. }) = stack.last_mut() {
                    *expect_name = true;
                }
                i += 1;
            }
            b'"' => {
                let Some((end, escaped)) = string_end(bytes, i) else {
                    return Ok(());
                };
                if let Some(Frame::Object { seen, expect_name }) = stack.last_mut()
                    && *expect_name
                {
                    *expect_name = false;
                    let raw = bytes.get(i..=end).unwrap_or_default();
                    let name: std::borrow::Cow<'_, str> = if escaped {
                        match serde_json::from_slice::<String>(raw) {
                            Ok(s) => s.into(),
                            Err(_) => return Ok(()),
                        }
                    } else {
                        match std::str::from_utf8(raw.get(1..raw.len().saturating_sub(1)).unwrap_or_default())
                        {
                            Ok(s) => s.into(),
                            Err(_) => return Ok(()),
                        }
                    };
                    if !seen.insert(name.clone()) {
                        return Err(err!(
                            DuplicateMember,
                            "member \"{}\" appears twice; JOSE requires unique member names",
                            crate::text::truncate(&name, 64)
                        ));
                    }
                }
                i = end + 1;
            }
            _ => i += 1,
        }
    }
    Ok(())
}

/// Index of the closing quote of the string starting at `start`, and whether it had escapes.
fn string_end(bytes: &[u8], start: usize) -> Option<(usize, bool)> {
    let mut i = start + 1;
    let mut escaped = false;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'\\' => {
                escaped = true;
                i += 2;
            }
            b'"' => return Some((i, escaped)),
            _ => i += 1,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

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
