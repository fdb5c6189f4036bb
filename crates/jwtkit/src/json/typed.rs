//! The typed fast path of strict JSON ([`super`]): the caller's type deserialized straight from
//! the text in the same pass that checks it strictly (no duplicate member name at any depth,
//! the nesting limit), keeping what a caller asks for, as [`super::check_str_keeping`] does.
//!
//! The caller's `Deserialize` drives `serde_json` through an adapter:
//! - top-level member names are read here first (a duplicate is refused, a kept name gets its
//!   slot), then handed to the caller's key seed;
//! - a value the caller reads as a scalar (`bool`, a number, `str`, `()`) goes straight to
//!   `serde_json` — a scalar has no members to repeat — and a kept member's scalar is copied
//!   into its slot on the way;
//! - a value the caller skips is checked by the strict check of the fast path, without
//!   building it (a kept member's value is built into its slot);
//! - anything else (an object, an array, `Option` contents aside, anything read through
//!   `deserialize_any`) is taken as its JSON text, checked strictly, then read by the caller
//!   from that text with a fresh `serde_json` reader.
//!
//! The document itself is read only for a map request (a struct, a map, `deserialize_any`);
//! member names serde_json reserves ([`super::RESERVED_NAMES`]) are refused.
//!
//! None on any failure — a syntax or strictness defect, a value that does not fit the
//! caller's type, a fraction in a kept member, any other request for the document, nesting
//! deeper than [`MAX_TYPED_DEPTH`] — so the caller takes the untyped path, whose
//! reference path gives the exact error. It never accepts what [`super::check_str_keeping`]
//! refuses (the `json_strict` fuzz target checks).

use std::borrow::Cow;
use std::fmt;

use serde::de::value::{BorrowedStrDeserializer, StrDeserializer};
use serde::de::{self, Deserialize, DeserializeSeed, Deserializer, MapAccess, Visitor};
use serde_json::Value;
use serde_json::de::StrRead;
use serde_json::value::RawValue;

use super::fast::{CheckSeed, Kept, KeptSeed, NameSeed, Names, StrictSeed};

/// The deepest nesting the typed pass reads itself (see [`read_keeping`]).
const MAX_TYPED_DEPTH: usize = 100;

/// Deserialize `T` from `text`, one strict JSON object, in one pass, storing the top-level
/// members to which `keep` gives a slot in that slot of `kept` (as
/// [`super::check_str_keeping`] would). None on any failure (`kept` is then unspecified).
pub(crate) fn read_keeping<'de, T: Deserialize<'de>, const N: usize>(
    text: &'de str,
    max_depth: usize,
    keep: impl Fn(&str) -> Option<usize>,
    kept: &mut [Option<Kept<'de>>; N],
) -> Option<T> {
    let mut de = serde_json::Deserializer::from_str(text);
    let value = T::deserialize(Top {
        de: &mut de,
        // serde_json refuses more than 127 levels in one reader; this pass reads the values it
        // checks as text with a reader each, so it stops well before that and leaves deeper
        // documents to the untyped pass (one reader), which then agrees with the reference path.
        max_depth: max_depth.min(MAX_TYPED_DEPTH),
        keep,
        kept,
    })
    .ok()?;
    de.end().ok()?;
    Some(value)
}

/// The document, for a `T` that reads a map: a struct, a map, or `deserialize_any` (which
/// serde_json answers for an object with the same `visit_map`). Any other request (a sequence,
/// a newtype such as `Box<RawValue>`, a string, an enum, ...) is refused, so the untyped path
/// answers it exactly as reading the text would.
struct Top<'a, 'k, 'de, K, const N: usize> {
    de: &'a mut serde_json::Deserializer<StrRead<'de>>,
    max_depth: usize,
    keep: K,
    kept: &'k mut [Option<Kept<'de>>; N],
}

impl<'de, K: Fn(&str) -> Option<usize>, const N: usize> Top<'_, '_, 'de, K, N> {
    /// The top-level object's members for `visitor`.
    fn members<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, serde_json::Error> {
        let Top {
            de,
            max_depth,
            keep,
            kept,
        } = self;
        de.deserialize_map(Object {
            visitor,
            max_depth,
            keep,
            kept,
        })
    }
}

/// The answer of [`Top`] to a request that is not for a map: the untyped path answers it.
fn not_a_map<T>() -> Result<T, serde_json::Error> {
    Err(de::Error::custom(
        "not a map request: the untyped path answers it",
    ))
}

/// Requests [`Top`] refuses.
macro_rules! not_a_map {
    ($($method:ident)*) => {$(
        fn $method<V: Visitor<'de>>(self, _: V) -> Result<V::Value, serde_json::Error> {
            not_a_map()
        }
    )*};
}

impl<'de, K: Fn(&str) -> Option<usize>, const N: usize> Deserializer<'de> for Top<'_, '_, 'de, K, N> {
    type Error = serde_json::Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, serde_json::Error> {
        self.members(visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, serde_json::Error> {
        self.members(visitor)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, serde_json::Error> {
        self.members(visitor)
    }

    not_a_map! {
        deserialize_bool deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i64
        deserialize_i128 deserialize_u8 deserialize_u16 deserialize_u32 deserialize_u64
        deserialize_u128 deserialize_f32 deserialize_f64 deserialize_char deserialize_str
        deserialize_string deserialize_bytes deserialize_byte_buf deserialize_option
        deserialize_unit deserialize_seq deserialize_identifier deserialize_ignored_any
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: V,
    ) -> Result<V::Value, serde_json::Error> {
        not_a_map()
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: V,
    ) -> Result<V::Value, serde_json::Error> {
        not_a_map()
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, _: usize, _: V) -> Result<V::Value, serde_json::Error> {
        not_a_map()
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: usize,
        _: V,
    ) -> Result<V::Value, serde_json::Error> {
        not_a_map()
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: &'static [&'static str],
        _: V,
    ) -> Result<V::Value, serde_json::Error> {
        not_a_map()
    }
}

/// Hands the top-level object's members to the caller's visitor through [`Members`].
struct Object<'k, 'de, V, K, const N: usize> {
    visitor: V,
    max_depth: usize,
    keep: K,
    kept: &'k mut [Option<Kept<'de>>; N],
}

impl<'de, V: Visitor<'de>, K: Fn(&str) -> Option<usize>, const N: usize> Visitor<'de>
    for Object<'_, 'de, V, K, N>
{
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<V::Value, A::Error> {
        let inner = StrictSeed::top(self.max_depth).enter()?;
        self.visitor.visit_map(Members {
            map,
            inner,
            keep: self.keep,
            kept: self.kept,
            names: Names::default(),
            slot: None,
        })
    }
}

/// The top-level members: names checked for duplicates and matched to slots here, values
/// read by the caller through [`Member`].
struct Members<'k, 'de, A, K, const N: usize> {
    map: A,
    inner: StrictSeed,
    keep: K,
    kept: &'k mut [Option<Kept<'de>>; N],
    names: Names<'de>,
    /// The slot of the member whose name was read last.
    slot: Option<usize>,
}

impl<'de, A: MapAccess<'de>, K: Fn(&str) -> Option<usize>, const N: usize> MapAccess<'de>
    for Members<'_, 'de, A, K, N>
{
    type Error = A::Error;

    fn next_key_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<Option<S::Value>, A::Error> {
        let Some(name) = self.map.next_key_seed(NameSeed)? else {
            return Ok(None);
        };
        if super::is_reserved_name(&name) {
            return Err(de::Error::custom(
                "a reserved member name: the untyped path decides",
            ));
        }
        self.slot = (self.keep)(&name);
        let key = match &name {
            Cow::Borrowed(s) => seed.deserialize(BorrowedStrDeserializer::new(s))?,
            Cow::Owned(s) => seed.deserialize(StrDeserializer::new(s))?,
        };
        if !self.names.insert(name) {
            return Err(de::Error::custom("duplicate member"));
        }
        Ok(Some(key))
    }

    fn next_value_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<S::Value, A::Error> {
        let out = self.slot.take().and_then(|i| self.kept.get_mut(i));
        self.map.next_value_seed(Member {
            seed,
            inner: self.inner,
            out,
        })
    }
}

/// One member's value for the caller's seed, through [`MemberValue`].
struct Member<'a, 'de, S> {
    seed: S,
    inner: StrictSeed,
    out: Option<&'a mut Option<Kept<'de>>>,
}

impl<'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for Member<'_, 'de, S> {
    type Value = S::Value;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<S::Value, D::Error> {
        self.seed.deserialize(MemberValue {
            d,
            inner: self.inner,
            out: self.out,
        })
    }
}

/// The deserializer of one member's value (or an `Option`'s contents) at the depth `inner`;
/// `out` is the slot of a kept member.
struct MemberValue<'a, 'de, D> {
    d: D,
    inner: StrictSeed,
    out: Option<&'a mut Option<Kept<'de>>>,
}

impl<'de, D: Deserializer<'de>> MemberValue<'_, 'de, D> {
    /// A value that may have members: its text is checked strictly (and kept), then `read`
    /// by a fresh reader over that text.
    fn read_text<T>(
        self,
        read: impl FnOnce(&mut serde_json::Deserializer<StrRead<'de>>) -> serde_json::Result<T>,
    ) -> Result<T, D::Error> {
        let text = <&'de RawValue>::deserialize(self.d)?.get();
        let mut check = serde_json::Deserializer::from_str(text);
        match self.out {
            None => CheckSeed(self.inner).deserialize(&mut check),
            Some(out) => KeptSeed(self.inner)
                .deserialize(&mut check)
                .map(|k| *out = Some(k)),
        }
        .map_err(de::Error::custom)?;
        read(&mut serde_json::Deserializer::from_str(text)).map_err(de::Error::custom)
    }
}

/// Scalars go straight to `serde_json` (through [`Capture`] for a kept member).
macro_rules! scalars {
    ($($method:ident)*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
            match self.out {
                None => self.d.$method(visitor),
                Some(out) => self.d.$method(Capture { visitor, out }),
            }
        }
    )*};
}

/// Values that may have members are read from their checked text.
macro_rules! read_text {
    ($($method:ident)*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
            self.read_text(|de| de.$method(visitor))
        }
    )*};
}

impl<'de, D: Deserializer<'de>> Deserializer<'de> for MemberValue<'_, 'de, D> {
    type Error = D::Error;

    scalars! {
        deserialize_bool deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i64
        deserialize_i128 deserialize_u8 deserialize_u16 deserialize_u32 deserialize_u64
        deserialize_u128 deserialize_f32 deserialize_f64 deserialize_char deserialize_str
        deserialize_string deserialize_unit deserialize_identifier
    }

    read_text! { deserialize_any deserialize_bytes deserialize_byte_buf deserialize_seq deserialize_map }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        match self.out {
            None => self.d.deserialize_unit_struct(name, visitor),
            Some(out) => self.d.deserialize_unit_struct(name, Capture { visitor, out }),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        self.d.deserialize_option(Optional {
            visitor,
            inner: self.inner,
            out: self.out,
        })
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        match self.out {
            None => CheckSeed(self.inner).deserialize(self.d)?,
            Some(out) => *out = Some(KeptSeed(self.inner).deserialize(self.d)?),
        }
        visitor.visit_unit()
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.read_text(|de| de.deserialize_newtype_struct(name, visitor))
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, len: usize, visitor: V) -> Result<V::Value, D::Error> {
        self.read_text(|de| de.deserialize_tuple(len, visitor))
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.read_text(|de| de.deserialize_tuple_struct(name, len, visitor))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.read_text(|de| de.deserialize_struct(name, fields, visitor))
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.read_text(|de| de.deserialize_enum(name, variants, visitor))
    }
}

/// An `Option`'s contents at the same depth (a JSON `null` is `None`).
struct Optional<'a, 'de, V> {
    visitor: V,
    inner: StrictSeed,
    out: Option<&'a mut Option<Kept<'de>>>,
}

impl<'de, V: Visitor<'de>> Visitor<'de> for Optional<'_, 'de, V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.visitor.expecting(f)
    }

    fn visit_none<E: de::Error>(self) -> Result<V::Value, E> {
        if let Some(out) = self.out {
            *out = Some(Kept::Value(Value::Null));
        }
        self.visitor.visit_none()
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<V::Value, D::Error> {
        self.visitor.visit_some(MemberValue {
            d,
            inner: self.inner,
            out: self.out,
        })
    }
}

/// A kept member's scalar, copied into its slot as [`KeptSeed`] would build it, then handed on.
/// A fraction is not copied (the untyped path reads it from its text).
struct Capture<'a, 'de, V> {
    visitor: V,
    out: &'a mut Option<Kept<'de>>,
}

impl<'de, V: Visitor<'de>> Visitor<'de> for Capture<'_, 'de, V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.visitor.expecting(f)
    }

    fn visit_bool<E: de::Error>(self, b: bool) -> Result<V::Value, E> {
        *self.out = Some(Kept::Value(Value::Bool(b)));
        self.visitor.visit_bool(b)
    }

    #[allow(clippy::cast_precision_loss)] // As `KeptSeed` (and `Number::as_f64`) converts it.
    fn visit_i64<E: de::Error>(self, n: i64) -> Result<V::Value, E> {
        *self.out = Some(Kept::Int(n as f64));
        self.visitor.visit_i64(n)
    }

    #[allow(clippy::cast_precision_loss)] // As `KeptSeed` (and `Number::as_f64`) converts it.
    fn visit_u64<E: de::Error>(self, n: u64) -> Result<V::Value, E> {
        *self.out = Some(Kept::Int(n as f64));
        self.visitor.visit_u64(n)
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<V::Value, E> {
        Err(E::custom(
            "a fraction in a kept member: the untyped path reads it",
        ))
    }

    fn visit_borrowed_str<E: de::Error>(self, s: &'de str) -> Result<V::Value, E> {
        *self.out = Some(Kept::Str(Cow::Borrowed(s)));
        self.visitor.visit_borrowed_str(s)
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<V::Value, E> {
        *self.out = Some(Kept::Str(Cow::Owned(s.to_owned())));
        self.visitor.visit_str(s)
    }

    fn visit_string<E: de::Error>(self, s: String) -> Result<V::Value, E> {
        *self.out = Some(Kept::Str(Cow::Owned(s.clone())));
        self.visitor.visit_string(s)
    }

    fn visit_unit<E: de::Error>(self) -> Result<V::Value, E> {
        *self.out = Some(Kept::Value(Value::Null));
        self.visitor.visit_unit()
    }
}
