//! The fast path of strict JSON ([`super`]): `serde_json` seeds that build the value (or only
//! check it, keeping what a caller asks for) in one pass, refusing a duplicate member name or
//! a nesting level above the limit as they meet them. They succeed only on documents the
//! reference path ([`super::prescan`]) accepts.

use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;

use serde::de::{DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::map::Entry;
use serde_json::{Map, Number, Value};

/// The fast path: one `serde_json` pass with the strict checks inside; None on any failure.
pub(crate) fn parse_fast(bytes: &[u8], max_depth: usize) -> Option<Value> {
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
pub(super) const NUMBER_TOKEN: &str = "$serde_json::private::Number";

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
pub(super) struct KeptSeed(pub(super) StrictSeed);

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
        let top = StrictSeed::top(self.max_depth);
        let mut names = Names::default();
        let mut first = true;
        while let Some(name) = map.next_key_seed(NameSeed)? {
            if std::mem::take(&mut first) && name == NUMBER_TOKEN {
                return Ok(false); // a number, or an object the reference path refuses
            }
            if super::is_reserved_name(&name) {
                return Err(serde::de::Error::custom("reserved member name"));
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
pub(super) struct NameSeed;

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

/// Member names of one object, for duplicate detection: up to 16 names borrowed from the text
/// kept on the stack (nothing to drop), with a 64-bit filter of their lengths and end bytes so
/// that a name unlike all before it (the usual case) is compared with none of them; then, or
/// at the first name with escapes, a hash set (so a hostile object with many members costs
/// O(n), not O(n²)).
#[derive(Default)]
pub(super) struct Names<'de> {
    few: [&'de str; 16],
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
    pub(super) fn insert(&mut self, name: Cow<'de, str>) -> bool {
        if let Some(set) = &mut self.many {
            return set.insert(name);
        }
        if let Cow::Borrowed(name) = name
            && self.len < self.few.len()
        {
            let seen = self.few.get(..self.len).unwrap_or_default();
            let bit = filter_bit(name);
            if self.filter & bit != 0 && seen.contains(&name) {
                return false;
            }
            self.filter |= bit;
            if let Some(slot) = self.few.get_mut(self.len) {
                *slot = name;
            }
            self.len += 1;
            return true;
        }
        let seen = self.few.get(..self.len).unwrap_or_default();
        let mut set: HashSet<Cow<'de, str>> = seen.iter().map(|&n| Cow::Borrowed(n)).collect();
        let inserted = set.insert(name);
        self.many = Some(set);
        inserted
    }
}

/// Checks one JSON value strictly (as [`StrictSeed`]) without building it.
#[derive(Clone, Copy)]
pub(super) struct CheckSeed(pub(super) StrictSeed);

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
                // A number (see StrictSeed::visit_map): its text comes from serde_json's own
                // number parser, so `Number::from_str` (which the fast path applies) accepts it.
                // An object of the input with that member name is refused ([`NumberText`]).
                return map.next_value_seed(NumberText).map(drop);
            }
            if super::is_reserved_name(&name) {
                return Err(serde::de::Error::custom("reserved member name"));
            }
            if !names.insert(name) {
                return Err(serde::de::Error::custom("duplicate member"));
            }
            map.next_value_seed(inner)?;
        }
        Ok(())
    }
}

/// The text of a number as serde_json hands it to `deserialize_any` with `arbitrary_precision`:
/// the value of a one-member map named [`NUMBER_TOKEN`], given as an owned `String`. The same
/// name in the input's text gives its value as a borrowed or unescaped `str` (or not a string
/// at all), which is refused: such an object is not a number, and strict JSON refuses the name
/// ([`super::RESERVED_NAMES`]).
struct NumberText;

impl<'de> DeserializeSeed<'de> for NumberText {
    type Value = String;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> std::result::Result<String, D::Error> {
        d.deserialize_string(self)
    }
}

impl<'de> Visitor<'de> for NumberText {
    type Value = String;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a number from serde_json's number parser")
    }

    fn visit_string<E>(self, text: String) -> std::result::Result<String, E> {
        Ok(text)
    }

    /// A string of the input (borrowed or unescaped) under that name: not a number.
    fn visit_str<E: serde::de::Error>(self, _: &str) -> std::result::Result<String, E> {
        Err(E::custom("an object named like serde_json's number"))
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
    /// The seed of a document's top-level value.
    pub(super) fn top(max_depth: usize) -> StrictSeed {
        StrictSeed {
            depth: 0,
            max_depth,
            capacity: 0,
        }
    }

    pub(super) fn enter<E: serde::de::Error>(self) -> std::result::Result<StrictSeed, E> {
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
            // A number, kept as written, as serde_json's own `Value` keeps it. (An object of the
            // input with that member name is refused by [`NumberText`], as by the pre-scan.)
            let text = map.next_value_seed(NumberText)?;
            return text
                .parse::<Number>()
                .map(Value::Number)
                .map_err(serde::de::Error::custom);
        }
        let mut members = Map::with_capacity(self.capacity);
        let mut key = first;
        loop {
            if super::is_reserved_name(&key) {
                return Err(serde::de::Error::custom("reserved member name"));
            }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_filter_never_hides_a_duplicate() {
        let mut names = Names::default();
        // Same length and end bytes: the filter bit is shared, the names still differ.
        assert!(names.insert("axb".into()));
        assert!(names.insert("ayb".into()));
        assert!(!names.insert("ayb".into()));
        for c in [
            "c", "d", "e", "f", "g", "h", "i", "j", "k", "l", "m", "n", "o", "p",
        ] {
            assert!(names.insert(c.into()), "{c}");
        }
        assert_eq!(names.len, 16);
        assert!(!names.insert("axb".into()));
        assert!(names.insert("q".into()), "the 17th name moves all to the set");
        assert!(names.many.is_some());
        assert!(!names.insert("c".into()));
        assert!(!names.insert("q".into()));
    }

    #[test]
    fn names_with_escapes_are_compared_by_their_text() {
        let mut names = Names::default();
        assert!(names.insert("exp".into()));
        assert!(
            !names.insert(Cow::Owned("exp".to_string())),
            "\\u0065xp after exp"
        );
        assert!(names.insert(Cow::Owned("nbf".to_string())));
        assert!(!names.insert("nbf".into()), "nbf after \\u006ebf");
    }
}
