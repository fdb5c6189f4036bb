//! Strict JSON for JOSE: duplicate member names rejected, nesting depth bounded, lossless.
//!
//! RFC 7515 §5.2 and RFC 7519 §4 let a parser either reject duplicate member names or keep
//! the last one; keeping the last lets two parsers see different headers in the same token
//! (e.g. `{"alg":"HS256","alg":"none"}`), so jwtkit rejects them (`duplicate_member`), in
//! nested objects too, comparing names after unescaping (`"a"` and `"\u0061"` are the same).
//!
//! Syntax is checked by `serde_json` (RFC 8259). Values keep member order and numbers as
//! written (`3.0`, big integers), so what the CLI shows is what the token says.
//!
//! Two paths give one result. The **fast path** ([`StrictSeed`]) builds the value in a single
//! pass of `serde_json`, rejecting a duplicate member name (via the map's entry, one hash per
//! member) or a nesting level above the limit as it meets them. When it fails for any reason,
//! the **reference path** runs: a linear pre-scan for depth and duplicates, then a plain
//! `serde_json` parse. The reference path alone decides every error, so kinds, messages and
//! which of several defects is reported are exactly those of the pre-scan; the fast path only
//! succeeds on documents the reference path accepts, with the same value (the `json_strict`
//! fuzz target checks both claims on every input).

use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;

use serde::de::{DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::map::Entry;
use serde_json::{Map, Number, Value};

use crate::Limits;
use crate::error::{Error, ErrorKind, Result, err};

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
#[doc(hidden)]
pub fn parse_reference(bytes: &[u8], max_depth: usize) -> Result<Value> {
    check_strict(bytes, max_depth)?;
    serde_json::from_slice(bytes).map_err(|e| err!(BadJson, "{}", lower_first(&e.to_string())))
}

/// The fast path: one `serde_json` pass with the strict checks inside; None on any failure.
#[doc(hidden)]
pub fn parse_fast(bytes: &[u8], max_depth: usize) -> Option<Value> {
    // As in `check_object_keeping`: UTF-8 checked once, not per string.
    let mut de = serde_json::Deserializer::from_str(std::str::from_utf8(bytes).ok()?);
    // Room for the top-level object's members up front (a member takes at least 6 bytes,
    // typically 20-40): saves the map's growth steps, over-allocating at most a few times.
    let capacity = (bytes.len() / 16).clamp(4, 32);
    let value = StrictSeed {
        depth: 0,
        max_depth,
        capacity,
    }
    .deserialize(&mut de)
    .ok()?;
    de.end().ok()?;
    Some(value)
}

/// The map key `serde_json` (feature `arbitrary_precision`) uses to hand a number's text to a
/// visitor. If a future version changed it, numbers would fail the fast path and take the
/// reference path: slower, same result.
const NUMBER_TOKEN: &str = "$serde_json::private::Number";

/// The fast path without building: checks that `bytes` is one strict JSON object (syntax,
/// unique member names, depth) and stores only the top-level members to which `keep` gives a
/// slot, built as values, in that slot of `kept`. False on any failure or when the value is not an object
/// (`kept` is then unspecified): the caller takes [`parse_object`], whose reference path gives
/// the error. Accepts only what [`parse_fast`] accepts (the `json_strict` fuzz target checks).
pub(crate) fn check_object_keeping<'de, T: Keep<'de>, const N: usize>(
    bytes: &'de [u8],
    max_depth: usize,
    keep: impl Fn(&str) -> Option<usize>,
    kept: &mut [Option<T>; N],
) -> bool {
    // UTF-8 checked once over the whole text (std's ASCII fast path), so serde_json's `str`
    // reader need not check each string again; invalid UTF-8 goes to the reference path.
    let Ok(text) = std::str::from_utf8(bytes) else {
        return false;
    };
    check_str_keeping(text, max_depth, keep, kept)
}

/// [`check_object_keeping`] for text already known to be UTF-8 (a claims set or header whose
/// bytes were turned into a `String` once, so the typed read after verification can use
/// serde_json's `str` reader too).
pub(crate) fn check_str_keeping<'de, T: Keep<'de>, const N: usize>(
    text: &'de str,
    max_depth: usize,
    keep: impl Fn(&str) -> Option<usize>,
    kept: &mut [Option<T>; N],
) -> bool {
    let mut de = serde_json::Deserializer::from_str(text);
    TopLevel {
        max_depth,
        keep,
        kept,
    }
    .deserialize(&mut de)
    .is_ok_and(|object| object)
        && de.end().is_ok()
}

/// Visits the top-level value for [`check_object_keeping`]; false when it is not an object.
struct TopLevel<'k, K, T, const N: usize> {
    max_depth: usize,
    keep: K,
    kept: &'k mut [Option<T>; N],
}

/// How [`check_object_keeping`] builds a kept member's value.
pub(crate) trait Keep<'de>: Sized {
    /// Deserialize the value of the member `map` is at, strictly (as `seed`).
    fn keep<A: MapAccess<'de>>(map: &mut A, seed: StrictSeed) -> std::result::Result<Self, A::Error>;
}

/// The member's value as a [`Value`].
impl<'de> Keep<'de> for Value {
    fn keep<A: MapAccess<'de>>(map: &mut A, seed: StrictSeed) -> std::result::Result<Value, A::Error> {
        map.next_value_seed(seed)
    }
}

/// A kept member's value without allocating for the common cases: a string borrowed from the
/// input (owned only when it has escapes), a number as a float; anything else as a [`Value`].
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Kept<'de> {
    /// A JSON string.
    Str(Cow<'de, str>),
    /// A JSON number that fits an `i64`/`u64` (others, e.g. `1.5` or `1e3`, are `Value`s).
    Int(f64),
    /// Any other value: `null`, a boolean, an array, an object, a fraction or a big number.
    Value(Value),
}

impl<'de> Keep<'de> for Kept<'de> {
    fn keep<A: MapAccess<'de>>(map: &mut A, seed: StrictSeed) -> std::result::Result<Kept<'de>, A::Error> {
        map.next_value_seed(KeptSeed(seed))
    }
}

/// Deserializes a [`Kept`] strictly: strings and integers here, the rest by [`StrictSeed`].
struct KeptSeed(StrictSeed);

impl<'de> DeserializeSeed<'de> for KeptSeed {
    type Value = Kept<'de>;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> std::result::Result<Kept<'de>, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for KeptSeed {
    type Value = Kept<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_borrowed_str<E>(self, s: &'de str) -> std::result::Result<Kept<'de>, E> {
        Ok(Kept::Str(Cow::Borrowed(s)))
    }
    fn visit_str<E>(self, s: &str) -> std::result::Result<Kept<'de>, E> {
        Ok(Kept::Str(Cow::Owned(s.to_owned())))
    }
    fn visit_string<E>(self, s: String) -> std::result::Result<Kept<'de>, E> {
        Ok(Kept::Str(Cow::Owned(s)))
    }
    #[allow(clippy::cast_precision_loss)] // As `Number::as_f64` converts it.
    fn visit_u64<E>(self, n: u64) -> std::result::Result<Kept<'de>, E> {
        Ok(Kept::Int(n as f64))
    }
    #[allow(clippy::cast_precision_loss)] // As `Number::as_f64` converts it.
    fn visit_i64<E>(self, n: i64) -> std::result::Result<Kept<'de>, E> {
        Ok(Kept::Int(n as f64))
    }
    fn visit_f64<E: serde::de::Error>(self, n: f64) -> std::result::Result<Kept<'de>, E> {
        self.0.visit_f64(n).map(Kept::Value)
    }
    fn visit_unit<E>(self) -> std::result::Result<Kept<'de>, E> {
        Ok(Kept::Value(Value::Null))
    }
    fn visit_bool<E>(self, b: bool) -> std::result::Result<Kept<'de>, E> {
        Ok(Kept::Value(Value::Bool(b)))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> std::result::Result<Kept<'de>, A::Error> {
        self.0.visit_seq(seq).map(Kept::Value)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> std::result::Result<Kept<'de>, A::Error> {
        self.0.visit_map(map).map(Kept::Value)
    }
}

impl<'de, K: Fn(&str) -> Option<usize>, T: Keep<'de>, const N: usize> DeserializeSeed<'de>
    for TopLevel<'_, K, T, N>
{
    type Value = bool;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> std::result::Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de, K: Fn(&str) -> Option<usize>, T: Keep<'de>, const N: usize> Visitor<'de> for TopLevel<'_, K, T, N> {
    type Value = bool;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<Self::Value, A::Error> {
        let top = StrictSeed {
            depth: 0,
            max_depth: self.max_depth,
            capacity: 0,
        };
        let mut names = Names::default();
        let mut first = true;
        while let Some(name) = map.next_key_seed(NameSeed)? {
            if std::mem::take(&mut first) && name == NUMBER_TOKEN {
                return Ok(false); // a number, or an object the reference path would take for one
            }
            let inner = top.enter()?;
            let slot = (self.keep)(&name);
            if !names.insert(name) {
                return Err(serde::de::Error::custom("duplicate member"));
            }
            match slot.and_then(|i| self.kept.get_mut(i)) {
                Some(slot) => *slot = Some(T::keep(&mut map, inner)?),
                None => map.next_value_seed(CheckSeed(inner))?,
            }
        }
        top.enter::<A::Error>()?;
        Ok(true)
    }

    // Any other top-level value is not an object.
    fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> std::result::Result<Self::Value, A::Error> {
        Ok(false)
    }
    fn visit_unit<E>(self) -> std::result::Result<Self::Value, E> {
        Ok(false)
    }
    fn visit_bool<E>(self, _: bool) -> std::result::Result<Self::Value, E> {
        Ok(false)
    }
    fn visit_str<E>(self, _: &str) -> std::result::Result<Self::Value, E> {
        Ok(false)
    }
    fn visit_i64<E>(self, _: i64) -> std::result::Result<Self::Value, E> {
        Ok(false)
    }
    fn visit_u64<E>(self, _: u64) -> std::result::Result<Self::Value, E> {
        Ok(false)
    }
    fn visit_f64<E>(self, _: f64) -> std::result::Result<Self::Value, E> {
        Ok(false)
    }
}

/// A member name, borrowed from the input unless it has escapes (then unescaped, owned).
struct NameSeed;

impl<'de> DeserializeSeed<'de> for NameSeed {
    type Value = Cow<'de, str>;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> std::result::Result<Self::Value, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for NameSeed {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a member name")
    }

    fn visit_borrowed_str<E>(self, s: &'de str) -> std::result::Result<Self::Value, E> {
        Ok(Cow::Borrowed(s))
    }

    fn visit_str<E>(self, s: &str) -> std::result::Result<Self::Value, E> {
        Ok(Cow::Owned(s.to_owned()))
    }
}

/// Member names of one object, for duplicate detection: up to 16 kept on the stack, with a
/// 64-bit filter of their lengths and end bytes so that a name unlike all before it (the usual
/// case) is compared with none of them; then a hash set (so a hostile object with many members
/// costs O(n), not O(n²)).
#[derive(Default)]
struct Names<'de> {
    few: [Option<Cow<'de, str>>; 16],
    len: usize,
    filter: u64,
    many: Option<HashSet<Cow<'de, str>>>,
}

/// The bit of [`Names::filter`] for `name`: equal names have the same bit.
fn filter_bit(name: &str) -> u64 {
    let b = name.as_bytes();
    let first = b.first().map_or(0, |&c| u32::from(c));
    let last = b.last().map_or(0, |&c| u32::from(c));
    let len = u32::try_from(b.len()).unwrap_or(u32::MAX);
    1 << (len.wrapping_mul(7).wrapping_add(first * 3).wrapping_add(last) % 64)
}

impl<'de> Names<'de> {
    /// Insert; false if already present.
    fn insert(&mut self, name: Cow<'de, str>) -> bool {
        if let Some(set) = &mut self.many {
            return set.insert(name);
        }
        let bit = filter_bit(&name);
        if self.filter & bit != 0 && self.few.iter().flatten().any(|seen| *seen == name) {
            return false;
        }
        self.filter |= bit;
        if let Some(slot) = self.few.get_mut(self.len) {
            *slot = Some(name);
            self.len += 1;
            return true;
        }
        let mut set: HashSet<_> = self.few.iter_mut().filter_map(Option::take).collect();
        set.insert(name);
        self.many = Some(set);
        true
    }
}

/// Checks one JSON value strictly (as [`StrictSeed`]) without building it.
#[derive(Clone, Copy)]
struct CheckSeed(StrictSeed);

impl<'de> DeserializeSeed<'de> for CheckSeed {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> std::result::Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for CheckSeed {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_unit<E>(self) -> std::result::Result<(), E> {
        Ok(())
    }
    fn visit_bool<E>(self, _: bool) -> std::result::Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> std::result::Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> std::result::Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> std::result::Result<(), E> {
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> std::result::Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<(), A::Error> {
        let inner = CheckSeed(self.0.enter()?);
        while seq.next_element_seed(inner)?.is_some() {}
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<(), A::Error> {
        let inner = CheckSeed(self.0.enter()?);
        let mut names = Names::default();
        let mut first = true;
        while let Some(name) = map.next_key_seed(NameSeed)? {
            if std::mem::take(&mut first) && name == NUMBER_TOKEN {
                // A number (see StrictSeed::visit_map). Its text comes from serde_json's own
                // number parser, so `Number::from_str` (which the fast path applies) accepts it;
                // the json_strict fuzz target checks that this pass accepts nothing more.
                return map.next_value::<serde::de::IgnoredAny>().map(drop);
            }
            if !names.insert(name) {
                return Err(serde::de::Error::custom("duplicate member"));
            }
            map.next_value_seed(inner)?;
        }
        Ok(())
    }
}

/// Deserializes one JSON value that sits inside `depth` open objects/arrays, rejecting
/// duplicate member names and objects/arrays nested deeper than `max_depth`.
#[derive(Clone, Copy)]
pub(crate) struct StrictSeed {
    depth: usize,
    max_depth: usize,
    /// Initial member capacity of an object at this level (nested objects start empty).
    capacity: usize,
}

impl StrictSeed {
    fn enter<E: serde::de::Error>(self) -> std::result::Result<StrictSeed, E> {
        if self.depth >= self.max_depth {
            return Err(E::custom("nesting limit"));
        }
        Ok(StrictSeed {
            depth: self.depth + 1,
            max_depth: self.max_depth,
            capacity: 0,
        })
    }
}

impl<'de> DeserializeSeed<'de> for StrictSeed {
    type Value = Value;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> std::result::Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for StrictSeed {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_unit<E>(self) -> std::result::Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_bool<E>(self, b: bool) -> std::result::Result<Value, E> {
        Ok(Value::Bool(b))
    }

    fn visit_i64<E>(self, n: i64) -> std::result::Result<Value, E> {
        Ok(Value::from(n))
    }

    fn visit_u64<E>(self, n: u64) -> std::result::Result<Value, E> {
        Ok(Value::from(n))
    }

    fn visit_f64<E>(self, n: f64) -> std::result::Result<Value, E> {
        Ok(Number::from_f64(n).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E>(self, s: &str) -> std::result::Result<Value, E> {
        Ok(Value::String(s.to_owned()))
    }

    fn visit_string<E>(self, s: String) -> std::result::Result<Value, E> {
        Ok(Value::String(s))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<Value, A::Error> {
        let inner = self.enter()?;
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(inner)? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<Value, A::Error> {
        let Some(first) = map.next_key::<String>()? else {
            self.enter::<A::Error>()?;
            return Ok(Value::Object(Map::new()));
        };
        let inner = self.enter()?;
        if first == NUMBER_TOKEN {
            // A number, kept as written; serde_json's own `Value` does exactly this (also for an
            // object whose first member has that name, hence the depth check above: the
            // pre-scan counts it as an object).
            let text: String = map.next_value()?;
            return text
                .parse::<Number>()
                .map(Value::Number)
                .map_err(serde::de::Error::custom);
        }
        let mut members = Map::with_capacity(self.capacity);
        let mut key = first;
        loop {
            match members.entry(key) {
                Entry::Occupied(_) => return Err(serde::de::Error::custom("duplicate member")),
                Entry::Vacant(slot) => {
                    slot.insert(map.next_value_seed(inner)?);
                }
            }
            match map.next_key::<String>()? {
                Some(k) => key = k,
                None => return Ok(Value::Object(members)),
            }
        }
    }
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
    fn names_filter_never_hides_a_duplicate() {
        let mut names = Names::default();
        // Same length and end bytes: the filter bit is shared, the names still differ.
        assert!(names.insert("axb".into()));
        assert!(names.insert("ayb".into()));
        assert!(!names.insert(Cow::Owned("ayb".to_string())));
        for c in 'c'..='p' {
            assert!(names.insert(Cow::Owned(c.to_string())), "{c}");
        }
        assert_eq!(names.len, 16);
        assert!(!names.insert("axb".into()));
        assert!(names.insert("q".into()), "the 17th name moves all to the set");
        assert!(!names.insert("c".into()));
        assert!(!names.insert("q".into()));
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
