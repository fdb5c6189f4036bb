//! The reference path of strict JSON ([`super`]): a linear pre-scan for nesting depth and
//! duplicate member names, which decides every error kind and message.

use std::collections::HashSet;

use crate::error::{Error, ErrorKind, Result, err};

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
pub(super) fn check_strict(bytes: &[u8], max_depth: usize) -> Result<()> {
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
                    if super::is_reserved_name(&name) {
                        return Err(err!(
                            BadJson,
                            "member name \"{}\" is reserved: serde_json would read the object holding it as a number or as raw JSON text, not as the object it is",
                            crate::text::truncate(&name, 64)
                        ));
                    }
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
