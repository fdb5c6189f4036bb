//! Hostile inputs for `jwtkit::verify_as::<T>`: its contract is that checks, order, errors
//! (kind, check, message) and the claims value are exactly those of `jwtkit::verify` followed
//! by `Verified::claims_as::<T>()`. Every test here runs both and compares them, over claims
//! sets and caller types chosen to stress the typed single pass (`json/typed.rs`).
//!
//! The last five reproduce what a hostile review found (a caller type asking for something
//! other than a map, nesting near serde_json's own limit, serde_json's private member names)
//! and now hold.

use std::collections::BTreeMap;
use std::fmt;

use jwtkit::jwt::IssuerTemplate;
use jwtkit::{Check, ErrorKind, JwsAlg, Limits, Validation};
use serde::Deserialize;
use serde::de::{self, DeserializeOwned, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;
use serde_json::{Number, Value};

mod common;
use common::{hs256_keys as keys, hs256_signed as signed};

fn lenient() -> Validation {
    Validation::builder(JwsAlg::HS256)
        .ignore_audience(true)
        .build()
        .unwrap()
}

fn with_depth(max_json_depth: usize) -> Validation {
    Validation::builder(JwsAlg::HS256)
        .ignore_audience(true)
        .limits(Limits {
            max_json_depth,
            ..Limits::default()
        })
        .build()
        .unwrap()
}

/// What one side returned: the claims (as their `Debug` text) or the error's kind, check and
/// message.
#[derive(Debug, Clone, PartialEq)]
enum Seen {
    Ok(String),
    Err(ErrorKind, Check, String),
}

impl Seen {
    fn ok(&self) -> &str {
        match self {
            Seen::Ok(s) => s,
            Seen::Err(k, c, m) => panic!("expected claims, got {k:?} at {c:?}: {m}"),
        }
    }

    fn err(&self) -> (ErrorKind, Check) {
        match self {
            Seen::Err(k, c, _) => (*k, *c),
            Seen::Ok(s) => panic!("expected an error, got claims {s}"),
        }
    }
}

fn seen<T: fmt::Debug>(r: jwtkit::Result<T>) -> Seen {
    match r {
        Ok(t) => Seen::Ok(format!("{t:?}")),
        Err(e) => Seen::Err(e.kind(), e.check(), e.message().to_string()),
    }
}

/// Both sides for `claims`: `verify_as::<T>`, then `verify` + `claims_as::<T>`.
fn both<T: DeserializeOwned + fmt::Debug>(claims: &[u8], validation: &Validation) -> (Seen, Seen) {
    let token = signed(claims);
    let typed = seen(jwtkit::verify_as::<T>(&token, &keys(), validation).map(|v| {
        // The rest of the result must be what verify gives too (when verify accepts: when it
        // does not, the claims comparison below reports it).
        if let Ok(plain) = jwtkit::verify(&token, &keys(), validation) {
            assert_eq!(plain.header, v.header);
            assert_eq!((plain.alg, plain.key_index), (v.alg, v.key_index));
        }
        v.claims
    }));
    let two = seen(jwtkit::verify(&token, &keys(), validation).and_then(|v| v.claims_as::<T>()));
    (typed, two)
}

/// `both`, asserting they agree; returns what they saw.
#[track_caller]
fn agree<T: DeserializeOwned + fmt::Debug>(claims: &[u8], validation: &Validation) -> Seen {
    let (typed, two) = both::<T>(claims, validation);
    assert_eq!(
        typed,
        two,
        "verify_as::<{}> and verify+claims_as disagree on {}",
        std::any::type_name::<T>(),
        String::from_utf8_lossy(claims)
    );
    typed
}

#[track_caller]
fn agree_str<T: DeserializeOwned + fmt::Debug>(claims: &str, validation: &Validation) -> Seen {
    agree::<T>(claims.as_bytes(), validation)
}

// ---------------------------------------------------------------------------------------------
// Caller types.

#[derive(Debug, Deserialize)]
struct SubOnly {
    #[allow(dead_code)]
    sub: String,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
#[allow(dead_code)]
enum Untagged {
    User { sub: String, exp: u64 },
    Service { client_id: String },
    Any(BTreeMap<String, Value>),
}

#[derive(Debug, Deserialize)]
#[serde(tag = "typ")]
#[allow(dead_code)]
enum Internally {
    #[serde(rename = "user")]
    User { sub: String, exp: Option<u64> },
    #[serde(rename = "svc")]
    Service { client_id: String },
}

#[derive(Debug, Deserialize)]
#[serde(tag = "t", content = "c")]
#[allow(dead_code)]
enum Adjacent {
    A(u64),
    B { x: Vec<String> },
}

#[derive(Debug, Deserialize)]
#[allow(dead_code)]
enum External {
    A(u64),
    B { x: Vec<String> },
    C,
}

#[derive(Debug, Deserialize)]
#[allow(dead_code)]
struct Enums {
    adj: Option<Adjacent>,
    ext: Option<External>,
    aud: Option<Untagged2>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
#[allow(dead_code)]
enum Untagged2 {
    One(String),
    Many(Vec<String>),
}

#[derive(Debug, Deserialize)]
#[allow(dead_code)]
struct Raws {
    top: Box<RawValue>,
    opt: Option<Box<RawValue>>,
    list: Option<Vec<Box<RawValue>>>,
    nested: Option<WithRaw>,
    aud: Option<Box<RawValue>>,
    exp: Option<Box<RawValue>>,
}

#[derive(Debug, Deserialize)]
#[allow(dead_code)]
struct WithRaw {
    inner: Box<RawValue>,
    more: Option<Vec<Option<Box<RawValue>>>>,
}

#[derive(Debug, Deserialize)]
#[allow(dead_code)]
struct FlattenRaw {
    sub: String,
    #[serde(flatten)]
    rest: BTreeMap<String, Box<RawValue>>,
}

#[derive(Debug, Deserialize)]
#[allow(dead_code)]
struct FlattenNested {
    #[serde(flatten)]
    reg: RegisteredPart,
    #[serde(flatten)]
    rest: BTreeMap<String, Value>,
}

#[derive(Debug, Deserialize)]
#[allow(dead_code)]
struct RegisteredPart {
    exp: Option<u64>,
    aud: Option<Value>,
    iss: Option<String>,
}

#[derive(Debug, Deserialize)]
#[allow(dead_code)]
struct Wrapper(BTreeMap<String, Value>);

#[derive(Debug, Deserialize)]
#[serde(transparent)]
#[allow(dead_code)]
struct Transparent {
    inner: BTreeMap<String, Value>,
}

#[derive(Debug, Deserialize)]
#[allow(dead_code)]
struct Tuples {
    pair: (String, u64),
    triple: Option<(bool, Value, Option<u8>)>,
    newtype: Option<Newtype>,
    unit: Option<()>,
    unit_struct: Option<UnitStruct>,
}

#[derive(Debug, Deserialize)]
#[allow(dead_code)]
struct Newtype(Vec<u8>);

#[derive(Debug, Deserialize)]
#[allow(dead_code)]
struct UnitStruct;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Denying {
    sub: String,
    exp: u64,
}

#[derive(Debug, Deserialize)]
#[allow(dead_code)]
struct Attributes {
    #[serde(default)]
    scope: String,
    #[serde(default, with = "double_option")]
    nick: Option<Option<String>>,
    plain_oo: Option<Option<u64>>,
    #[serde(alias = "subject")]
    sub: Option<String>,
    #[serde(deserialize_with = "via_str")]
    #[serde(default)]
    count: u32,
    #[serde(skip)]
    skipped: u8,
    #[serde(rename = "exp", default)]
    expires: Option<f64>,
}

mod double_option {
    use serde::{Deserialize, Deserializer};
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
        Deserialize::deserialize(d).map(Some)
    }
}

fn via_str<'de, D: Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
    let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
    s.parse().map_err(de::Error::custom)
}

/// Reads the top-level map key by key and keeps the last value of a name (as a lax parser
/// would).
#[derive(Debug)]
#[allow(dead_code)]
struct LastWins(BTreeMap<String, Value>);

impl<'de> Deserialize<'de> for LastWins {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = LastWins;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a map")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<LastWins, A::Error> {
                let mut out = BTreeMap::new();
                while let Some((k, v)) = map.next_entry::<String, Value>()? {
                    out.insert(k, v);
                }
                Ok(LastWins(out))
            }
        }
        d.deserialize_map(V)
    }
}

/// Reads the first member only, then stops.
#[derive(Debug)]
#[allow(dead_code)]
struct FirstOnly(String);

impl<'de> Deserialize<'de> for FirstOnly {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = FirstOnly;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a map")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<FirstOnly, A::Error> {
                let k = map.next_key::<String>()?.unwrap_or_default();
                map.next_value::<IgnoredAny>()?;
                Ok(FirstOnly(k))
            }
        }
        d.deserialize_map(V)
    }
}

/// Never touches the deserializer.
#[derive(Debug)]
struct Nothing;

impl<'de> Deserialize<'de> for Nothing {
    fn deserialize<D: Deserializer<'de>>(_: D) -> Result<Self, D::Error> {
        Ok(Nothing)
    }
}

/// Asks for a sequence, but its visitor would take a map too (a "list or map" type written
/// with the sequence hint).
#[derive(Debug, PartialEq)]
struct SeqOrMap(Vec<String>);

impl<'de> Deserialize<'de> for SeqOrMap {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = SeqOrMap;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a list of names")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<SeqOrMap, A::Error> {
                let mut out = Vec::new();
                while let Some(s) = seq.next_element::<String>()? {
                    out.push(s);
                }
                Ok(SeqOrMap(out))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<SeqOrMap, A::Error> {
                let mut out = Vec::new();
                while let Some((k, _)) = map.next_entry::<String, IgnoredAny>()? {
                    out.push(k);
                }
                Ok(SeqOrMap(out))
            }
        }
        d.deserialize_seq(V)
    }
}

/// Registered claims typed in every way a caller may type them.
#[derive(Debug, Deserialize)]
#[allow(dead_code)]
struct ExpU64 {
    exp: u64,
}
#[derive(Debug, Deserialize)]
#[allow(dead_code)]
struct ExpI64 {
    exp: i64,
}
#[derive(Debug, Deserialize)]
#[allow(dead_code)]
struct ExpF64 {
    exp: f64,
}
#[derive(Debug, Deserialize)]
#[allow(dead_code)]
struct ExpU128 {
    exp: u128,
}
#[derive(Debug, Deserialize)]
#[allow(dead_code)]
struct ExpOptU64 {
    exp: Option<u64>,
}
#[derive(Debug, Deserialize)]
#[allow(dead_code)]
struct ExpNumber {
    exp: Number,
}
#[derive(Debug, Deserialize)]
#[allow(dead_code)]
struct ExpValue {
    exp: Value,
}
#[derive(Debug, Deserialize)]
#[allow(dead_code)]
struct ExpString {
    exp: String,
}
#[derive(Debug, Deserialize)]
#[allow(dead_code)]
struct ExpRaw {
    exp: Box<RawValue>,
}
#[derive(Debug, Deserialize)]
#[allow(dead_code)]
struct ExpBool {
    exp: bool,
}
#[derive(Debug, Deserialize)]
#[allow(dead_code)]
struct ExpUnit {
    exp: (),
}
#[derive(Debug, Deserialize)]
#[allow(dead_code)]
struct ExpIgnored {
    exp: IgnoredAny,
}
#[derive(Debug, Deserialize)]
#[allow(dead_code)]
struct ExpNewtype {
    exp: Secs,
}
#[derive(Debug, Deserialize)]
#[allow(dead_code)]
struct Secs(u64);

/// Runs every claims set over a list of types, asserting agreement; returns what `Value` saw.
macro_rules! agree_all {
    ($claims:expr, $validation:expr, [$($t:ty),* $(,)?]) => {{
        let c: &str = $claims;
        let v: &Validation = $validation;
        $( agree_str::<$t>(c, v); )*
        agree_str::<Value>(c, v)
    }};
}

// ---------------------------------------------------------------------------------------------
// Properties that hold.

#[test]
fn enums_tagged_untagged_and_adjacent_agree_with_verify() {
    let v = lenient();
    for claims in [
        r#"{"sub":"u","exp":4102444800}"#,
        r#"{"client_id":"c","exp":4102444800}"#,
        r#"{"typ":"user","sub":"u","exp":4102444800}"#,
        r#"{"typ":"svc","client_id":"c"}"#,
        r#"{"typ":"other"}"#,
        r#"{"\u0074yp":"user","sub":"u"}"#,
        r#"{"adj":{"t":"A","c":5},"ext":{"B":{"x":["a"]}},"aud":["x","y"]}"#,
        r#"{"adj":{"c":{"x":["q"]},"t":"B"},"ext":"C","aud":"x"}"#,
        r#"{"adj":{"t":"A","c":5,"t":"B"}}"#,
        r#"{"ext":{"A":1,"B":{"x":[]}}}"#,
        r#"{"ext":{"B":{"x":["a"],"x":["b"]}}}"#,
        r#"{"sub":"u","exp":4102444800,"extra":{"k":1,"\u006b":2}}"#,
        r#"{"typ":"user","sub":"u","sub":"v"}"#,
        r#"{"aud":[1]}"#,
    ] {
        agree_all!(claims, &v, [Untagged, Internally, Enums, Untagged2, External]);
    }
    // Values really read, not only equal errors.
    assert_eq!(
        agree_str::<Internally>(r#"{"typ":"user","sub":"u","exp":4102444800}"#, &v).ok(),
        r#"User { sub: "u", exp: Some(4102444800) }"#
    );
    assert_eq!(
        agree_str::<Enums>(r#"{"adj":{"c":{"x":["q"]},"t":"B"},"ext":"C"}"#, &v).ok(),
        r#"Enums { adj: Some(B { x: ["q"] }), ext: Some(C), aud: None }"#
    );
    assert_eq!(
        agree_str::<Internally>(r#"{"typ":"user","sub":"u","sub":"v"}"#, &v).err(),
        (ErrorKind::DuplicateMember, Check::ClaimsSet)
    );
}

#[test]
fn raw_value_fields_agree_at_top_nested_optional_and_in_lists() {
    let v = lenient();
    let good = r#"{ "top" : { "a" : [1, 2.50, "x\u00e9"] } , "opt":null, "list":[ 1 ,{"b":null},"s"],"nested":{"inner": 1e400 ,"more":[null,{"c":[]}]},"aud":[ "a" ],"exp": 4102444800 }"#;
    let raws = agree_str::<Raws>(good, &v);
    assert!(
        raws.ok().contains(r#"{ "a" : [1, 2.50, "x\u00e9"] }"#),
        "{raws:?}"
    );
    assert!(raws.ok().contains("1e400"), "{raws:?}");
    for claims in [
        r#"{"top":{"a":1,"a":2}}"#,
        r#"{"top":1,"list":[{"b":1,"b":2}]}"#,
        r#"{"top":1,"nested":{"inner":{"x":{"y":1,"\u0079":2}}}}"#,
        r#"{"top":1,"nested":{"inner":1,"more":[null,{"c":1,"c":1}]}}"#,
        r#"{"top":1,"aud":[{"a":1,"a":1}]}"#,
        r#"{"top":1,"exp":{"a":1}}"#,
        r#"{"top":1,"exp":"4102444800"}"#,
        r#"{"top":1,"exp":1}"#,
        r#"{"top":1,"aud":[7]}"#,
        r#"{"top":{"$serde_json::private::RawValue":"[1]"}}"#,
        r#"{"top":1,"opt":{"$serde_json::private::Number":"12"}}"#,
    ] {
        agree_all!(claims, &v, [Raws, FlattenRaw, BTreeMap<String, Box<RawValue>>, BTreeMap<String, Value>]);
    }
    assert_eq!(
        agree_str::<Raws>(r#"{"top":1,"exp":1}"#, &v).err(),
        (ErrorKind::Expired, Check::Exp)
    );
    // serde cannot hold a RawValue in a flattened map: both sides say so.
    assert_eq!(
        agree_str::<FlattenRaw>(r#"{"sub":"a","x":1}"#, &v).err(),
        (ErrorKind::BadJson, Check::ClaimsSet)
    );
}

#[test]
fn maps_newtypes_transparent_and_tuples_agree_with_verify() {
    let v = lenient();
    for claims in [
        r#"{"pair":["a",1],"triple":[true,{"k":[1]},null],"newtype":[1,2,255],"unit":null,"unit_struct":null}"#,
        r#"{"pair":["a",1,2]}"#,
        r#"{"pair":["a"]}"#,
        r#"{"pair":["a",-1]}"#,
        r#"{"pair":["a",1],"newtype":[256]}"#,
        r#"{"pair":["a",1],"newtype":"AAEC"}"#,
        r#"{"pair":["a",1],"triple":[true,{"k":1,"k":2},null]}"#,
        r#"{"pair":{"0":"a","1":1}}"#,
        r#"{"1":true,"2":false}"#,
        r#"{"1":true,"\u0031":false}"#,
        r#"{}"#,
    ] {
        agree_all!(
            claims,
            &v,
            [
                Tuples,
                Wrapper,
                Transparent,
                BTreeMap<u32, Value>,
                BTreeMap<String, Box<RawValue>>,
                BTreeMap<String, IgnoredAny>,
                serde_json::Map<String, Value>,
                IgnoredAny,
                Option<Value>,
                Box<Value>,
            ]
        );
    }
    // Integer keys: serde_json parses them; the typed pass falls back, same result.
    assert_eq!(
        agree_str::<BTreeMap<u32, bool>>(r#"{"2":true,"1":false}"#, &v).ok(),
        "{1: false, 2: true}"
    );
    assert_eq!(
        agree_str::<Wrapper>(r#"{"a":1}"#, &v).ok(),
        r#"Wrapper({"a": Number(1)})"#
    );
}

#[test]
fn serde_attributes_agree_with_verify() {
    let v = lenient();
    for claims in [
        r#"{"sub":"a","exp":4102444800}"#,
        r#"{"sub":"a","exp":4102444800,"x":1}"#,
        r#"{"exp":4102444800}"#,
        r#"{"sub":"a","exp":4102444800.0}"#,
        r#"{"subject":"s","nick":null,"plain_oo":null,"count":"12","exp":4102444800.5}"#,
        r#"{"nick":"n","plain_oo":5,"count":"x"}"#,
        r#"{"sub":"a","subject":"b"}"#,
        r#"{"count":12}"#,
        r#"{"count":"1\u0032"}"#,
        r#"{"skipped":{"a":1,"a":2}}"#,
        r#"{"skipped":7,"scope":"s"}"#,
    ] {
        agree_all!(claims, &v, [Denying, Attributes, FlattenNested]);
    }
    assert_eq!(
        agree_str::<Attributes>(
            r#"{"subject":"s","nick":null,"plain_oo":null,"count":"1\u0032","exp":4102444800.5}"#,
            &v
        )
        .ok(),
        r#"Attributes { scope: "", nick: Some(None), plain_oo: None, sub: Some("s"), count: 12, skipped: 0, expires: Some(4102444800.5) }"#
    );
    assert_eq!(
        agree_str::<Denying>(r#"{"sub":"a","exp":4102444800,"x":1}"#, &v).err(),
        (ErrorKind::BadJson, Check::ClaimsSet)
    );
}

#[test]
fn custom_visitors_that_keep_the_last_or_stop_early_agree_with_verify() {
    let v = lenient();
    for claims in [
        r#"{"a":1,"a":2}"#,
        r#"{"a":1,"\u0061":2}"#,
        r#"{"a":{"b":1,"b":2}}"#,
        r#"{"exp":4102444800,"exp":1}"#,
        r#"{"a":1}"#,
        r#"{"a":1,"b":2}"#,
        r#"{}"#,
    ] {
        agree_all!(claims, &v, [LastWins, FirstOnly, Nothing]);
    }
    assert_eq!(
        agree_str::<LastWins>(r#"{"a":1,"\u0061":2}"#, &v).err(),
        (ErrorKind::DuplicateMember, Check::ClaimsSet)
    );
    assert_eq!(agree_str::<FirstOnly>(r#"{"a":1}"#, &v).ok(), r#"FirstOnly("a")"#);
    // Stopping early (or not reading at all) leaves members: serde_json refuses, on both sides.
    assert_eq!(
        agree_str::<FirstOnly>(r#"{"a":1,"b":2}"#, &v).err(),
        (ErrorKind::BadJson, Check::ClaimsSet)
    );
    assert_eq!(
        agree_str::<Nothing>(r#"{"a":1}"#, &v).err(),
        (ErrorKind::BadJson, Check::ClaimsSet)
    );
}

#[test]
fn registered_date_claims_agree_whatever_type_reads_them() {
    let v = lenient();
    for exp in [
        "4102444800",
        "4102444800.0",
        "4102444800.5",
        "4.1024448e9",
        "1e3",
        "1.5",
        "-0",
        "0",
        "-5",
        "1e400",
        "-1e400",
        "18446744073709551615",
        "18446744073709551616",
        "340282366920938463463374607431768211456",
        "9007199254740993",
        "\"4102444800\"",
        "null",
        "true",
        "[4102444800]",
        "{\"a\":1}",
        "{\"$serde_json::private::Number\":\"4102444800\"}",
        "{\"$serde_json::private::Number\":\"1\"}",
        "{\"$serde_json::private::Number\":\"x\"}",
    ] {
        for name in ["exp", "nbf", "iat"] {
            let claims = format!(r#"{{"sub":"a","{name}":{exp}}}"#);
            agree_all!(
                &claims,
                &v,
                [
                    ExpU64, ExpI64, ExpF64, ExpU128, ExpOptU64, ExpNumber, ExpValue, ExpString, ExpRaw,
                    ExpBool, ExpUnit, ExpIgnored, ExpNewtype, SubOnly,
                ]
            );
        }
    }
    let exp = |e: &str| agree_str::<ExpU64>(&format!(r#"{{"exp":{e}}}"#), &v);
    assert_eq!(exp("4102444800").ok(), "ExpU64 { exp: 4102444800 }");
    assert_eq!(exp("1.5").err(), (ErrorKind::Expired, Check::Exp));
    assert_eq!(exp("1e400").err(), (ErrorKind::Malformed, Check::ClaimTypes));
    assert_eq!(exp("null").err(), (ErrorKind::Malformed, Check::ClaimTypes));
    assert_eq!(exp("4102444800.0").err(), (ErrorKind::BadJson, Check::ClaimsSet));
    // An object posing as serde_json's number is refused (a reserved member name), on both sides.
    assert_eq!(
        agree_str::<ExpValue>(r#"{"exp":{"$serde_json::private::Number":"1"}}"#, &v).err(),
        (ErrorKind::BadJson, Check::ClaimsSet)
    );
    assert_eq!(
        agree_str::<ExpNumber>(r#"{"exp":{"$serde_json::private::Number":"4102444800"}}"#, &v).err(),
        (ErrorKind::BadJson, Check::ClaimsSet)
    );
}

#[test]
fn iss_sub_aud_shapes_agree_whatever_type_reads_them() {
    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct AsStrings {
        iss: Option<String>,
        sub: Option<String>,
        aud: Option<Vec<String>>,
    }
    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct AsValues {
        iss: Option<Value>,
        sub: Option<Box<RawValue>>,
        aud: Option<Value>,
    }
    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct AsChar {
        sub: char,
    }
    let strict = Validation::builder(JwsAlg::HS256)
        .issuer("https://i/")
        .audience("orders")
        .subject("s")
        .build()
        .unwrap();
    for aud in [
        r#""orders""#,
        r#"["orders","orders"]"#,
        r#"["billing","orders"]"#,
        r#"["orders",{"x":1}]"#,
        r#"["orders",{"x":1,"x":1}]"#,
        r#"[["orders"]]"#,
        r#"[]"#,
        r#"null"#,
        r#"{"orders":true}"#,
        r#""ord\u0065rs""#,
        r#""orders\u0000""#,
        r#"7"#,
    ] {
        for (iss, sub) in [
            (r#""https://i/""#, r#""s""#),
            (r#""https:\/\/i\/""#, r#""\u0073""#),
            (r#"null"#, r#""s""#),
            (r#""https://i/""#, r#"5"#),
            (r#"["https://i/"]"#, r#""s""#),
        ] {
            let claims = format!(r#"{{"iss":{iss},"sub":{sub},"aud":{aud}}}"#);
            agree_all!(&claims, &strict, [AsStrings, AsValues, AsChar, SubOnly]);
        }
    }
    assert_eq!(
        agree_str::<AsChar>(
            r#"{"iss":"https:\/\/i\/","sub":"\u0073","aud":["orders","orders"]}"#,
            &strict
        )
        .ok(),
        "AsChar { sub: 's' }"
    );
    assert_eq!(
        agree_str::<AsStrings>(
            r#"{"iss":"https://i/","sub":"s","aud":["orders",{"x":1}]}"#,
            &strict
        )
        .err(),
        (ErrorKind::Malformed, Check::ClaimTypes)
    );
}

#[test]
fn special_member_names_agree_with_verify() {
    let v = lenient();
    for claims in [
        r#"{"sub":"a","$serde_json::private::Number":"1"}"#,
        r#"{"sub":"a","$serde_json::private::Number":{"a":1,"a":2}}"#,
        r#"{"sub":"a","$serde_json::private::RawValue":"[1]"}"#,
        r#"{"$serde_json::private::Number":"1"}"#,
        r#"{"$serde_json::private::Numbe\u0072":"1","sub":"a"}"#,
        r#"{"$serde_json::private::Number":"x","sub":"a"}"#,
        r#"{"sub":"a","x":{"$serde_json::private::Number":"1"}}"#,
        r#"{"sub":"a","x":{"$serde_json::private::Number":"1","y":2}}"#,
        r#"{"sub":"a","x":{"y":2,"$serde_json::private::Number":"1"}}"#,
        r#"{"sub":"a","x":[{"$serde_json::private::Number":"nope"}]}"#,
        r#"{"sub":"a","x":{"$serde_json::private::RawValue":"{}"}}"#,
        r#"{"sub":"a","":1,"\u0000":2,"\ud83d\ude00":3}"#,
        r#"{"sub":"a","\ud800":1}"#,
        r#"{"sub":"a","x":"\udc00"}"#,
        r#"{"sub":"a","x":["\ud800"]}"#,
        r#"{"sub":"\u0061","\u0073ub":"b"}"#,
    ] {
        agree_all!(claims, &v, [SubOnly, BTreeMap<String, Value>, FlattenNested, LastWins, BTreeMap<String, Box<RawValue>>]);
    }
    // A lone surrogate is refused wherever it is, read or skipped.
    for claims in [r#"{"sub":"a","x":"\udc00"}"#, r#"{"sub":"a","\ud800":1}"#] {
        assert_eq!(
            agree_str::<SubOnly>(claims, &v).err(),
            (ErrorKind::BadJson, Check::ClaimsSet),
            "{claims}"
        );
    }
}

#[test]
fn nesting_around_a_small_limit_agrees_with_verify() {
    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Reads {
        sub: String,
        x: Option<Value>,
        y: Option<Vec<Vec<Value>>>,
        z: Option<Box<RawValue>>,
        aud: Option<Value>,
    }
    for depth in [0, 1, 2, 3, 4] {
        let v = with_depth(depth);
        for claims in [
            r#"{}"#,
            r#"{"sub":"a"}"#,
            r#"{"sub":"a","n":1}"#,
            r#"{"sub":"a","x":{}}"#,
            r#"{"sub":"a","x":[]}"#,
            r#"{"sub":"a","x":{"b":{"c":1}}}"#,
            r#"{"sub":"a","x":{"b":{"c":[1]}}}"#,
            r#"{"sub":"a","y":[[1]]}"#,
            r#"{"sub":"a","y":[[[1]]]}"#,
            r#"{"sub":"a","y":[[{"k":{}}]]}"#,
            r#"{"sub":"a","z":[[[]]]}"#,
            r#"{"sub":"a","z":[[[[]]]]}"#,
            r#"{"sub":"a","aud":["x"]}"#,
            r#"{"sub":"a","aud":[["x"]]}"#,
            r#"{"sub":"a","x":{"$serde_json::private::Number":"1"}}"#,
            r#"{"sub":"a","x":[{"$serde_json::private::Number":"1"}]}"#,
            r#"{"sub":"a","x":[[{"k":1,"k":1}]]}"#,
        ] {
            agree_all!(claims, &v, [Reads, SubOnly, FlattenNested, BTreeMap<String, Box<RawValue>>]);
        }
    }
    let v = with_depth(3);
    assert_eq!(
        agree_str::<Reads>(r#"{"sub":"a","y":[[1]]}"#, &v).ok(),
        r#"Reads { sub: "a", x: None, y: Some([[Number(1)]]), z: None, aud: None }"#
    );
    assert_eq!(
        agree_str::<Reads>(r#"{"sub":"a","y":[[[1]]]}"#, &v).err(),
        (ErrorKind::ResourceLimit, Check::ClaimsSet)
    );
    assert_eq!(
        agree_str::<SubOnly>(r#"{"sub":"a","x":{}}"#, &with_depth(1)).err(),
        (ErrorKind::ResourceLimit, Check::ClaimsSet)
    );
    // A limit of 0 refuses the header first (it is an object too).
    assert_eq!(
        agree_str::<SubOnly>(r#"{"sub":"a"}"#, &with_depth(0)).err(),
        (ErrorKind::ResourceLimit, Check::HeaderJson)
    );
}

#[test]
fn nesting_at_the_default_limit_agrees_with_verify() {
    let v = lenient();
    for n in [62, 63, 64, 65] {
        let claims = format!(r#"{{"sub":"a","x":{}{}}}"#, "[".repeat(n), "]".repeat(n));
        let seen =
            agree_all!(&claims, &v, [SubOnly, BTreeMap<String, Value>, BTreeMap<String, Box<RawValue>>]);
        if n <= 63 {
            seen.ok();
        } else {
            assert_eq!(seen.err(), (ErrorKind::ResourceLimit, Check::ClaimsSet));
        }
    }
}

#[test]
fn whitespace_bom_and_trailing_data_agree_with_verify() {
    let v = lenient();
    for claims in [
        b" \t\r\n{\"sub\":\"a\"} \n".as_slice(),
        b"\xef\xbb\xbf{\"sub\":\"a\"}",
        b"{\"sub\":\"a\"}\x00",
        b"{\"sub\":\"a\"}{}",
        b"{\"sub\":\"a\"},",
        b"{\"sub\":\"a\"",
        b"{\"sub\" : \"a\" , \"x\" : [ 1 , { } ] }",
        b"{\"sub\":\"a\",\"x\":\"\xc3\x28\"}",
        b"{\"sub\":\"a\",\"x\":\"\x01\"}",
        b"",
        b"null",
        b"{\"sub\":\"a\",\"x\":01}",
        b"{\"sub\":\"a\",\"x\":1.}",
        b"{\"sub\":\"a\",\"x\":NaN}",
    ] {
        agree::<SubOnly>(claims, &v);
        agree::<Value>(claims, &v);
        agree::<Option<Value>>(claims, &v);
        agree::<BTreeMap<String, Box<RawValue>>>(claims, &v);
    }
    assert_eq!(
        agree::<SubOnly>(b"\xef\xbb\xbf{\"sub\":\"a\"}", &v).err(),
        (ErrorKind::BadJson, Check::ClaimsSet)
    );
    assert_eq!(
        agree::<SubOnly>(b" \t\r\n{\"sub\":\"a\"} \n", &v).ok(),
        r#"SubOnly { sub: "a" }"#
    );
}

#[test]
fn rules_reading_other_claims_agree_with_verify() {
    let template =
        IssuerTemplate::with_tenants("https://login.example.com/{tid}/v2.0", "name", vec!["t1".into()])
            .unwrap();
    let rules = [
        Validation::builder(JwsAlg::HS256)
            .ignore_audience(true)
            .require("x")
            .require("exp")
            .build()
            .unwrap(),
        Validation::builder(JwsAlg::HS256)
            .ignore_audience(true)
            .issuer_template(template)
            .build()
            .unwrap(),
        Validation::builder(JwsAlg::HS256)
            .ignore_audience(true)
            .typ("at+jwt")
            .build()
            .unwrap(),
        Validation::builder(JwsAlg::HS256)
            .ignore_audience(true)
            .max_age(std::time::Duration::from_secs(60))
            .build()
            .unwrap(),
    ];
    for claims in [
        r#"{"sub":"a","x":1,"exp":4102444800}"#,
        r#"{"sub":"a","x":null,"exp":4102444800}"#,
        r#"{"sub":"a","\u0078":{"a":1},"exp":4102444800}"#,
        r#"{"sub":"a","exp":4102444800}"#,
        r#"{"sub":"a","x":1}"#,
        r#"{"iss":"https://login.example.com/t1/v2.0","tid":"t1"}"#,
        r#"{"iss":"https://login.example.com/t1/v2.0","tid":"t2"}"#,
        r#"{"iss":"https://login.example.com/t1/v2.0","tid":7}"#,
        r#"{"iss":"https://login.example.com/t1/v2.0"}"#,
        r#"{"iss":"https://login.example.com/t1/v2.0","\u0074id":"t1"}"#,
        r#"{"iss":"https://login.example.com/t1/v2.0","tid":"t1","x":{"$serde_json::private::Number":"1"}}"#,
        r#"{"iat":1}"#,
        r#"{"iat":"1"}"#,
    ] {
        for rule in &rules {
            agree_all!(claims, rule, [SubOnly, FlattenNested, LastWins]);
        }
    }
    assert_eq!(
        agree_str::<Value>(r#"{"sub":"a","exp":4102444800}"#, &rules[0]).err(),
        (ErrorKind::MissingClaim, Check::RequiredClaims)
    );
    assert_eq!(
        agree_str::<Value>(
            r#"{"iss":"https://login.example.com/t1/v2.0","tid":"t2"}"#,
            &rules[1]
        )
        .err()
        .0,
        ErrorKind::BadIssuer
    );
    assert_eq!(
        agree_str::<Value>(r#"{"sub":"a"}"#, &rules[2]).err().1,
        Check::Typ
    );
}

// ---------------------------------------------------------------------------------------------
// What a hostile review of verify_as found; each holds now.

/// `serde_json`'s `Box<RawValue>` visitor takes a map whose only member is named
/// `$serde_json::private::RawValue` as "the raw text is this string". The typed pass handed the
/// top-level object to every type as a map, so `verify_as::<Box<RawValue>>` returned the
/// member's string (not even checked as JSON) where `claims_as` gave the claims set's text. It
/// now reads the document only for a map request, and the name is refused on both sides.
#[test]
fn box_raw_value_of_the_claims_set_agrees_with_claims_as() {
    let v = lenient();
    let claims = r#"{"$serde_json::private::RawValue":"{\"sub\":\"admin\",\"sub\":\"x\"} not json"}"#;
    let (typed, two) = both::<Box<RawValue>>(claims.as_bytes(), &v);
    assert_eq!(typed, two);
}

/// The same cause with a caller's own type: it asks for a sequence (`deserialize_seq`), which
/// serde_json refuses for an object; the typed pass gave it the object's members.
#[test]
fn a_sequence_request_for_the_claims_set_agrees_with_claims_as() {
    let v = lenient();
    let (typed, two) = both::<SeqOrMap>(br#"{"sub":"a","exp":4102444800}"#, &v);
    assert_eq!(typed, two);
}

/// serde_json allows 127 nested arrays/objects per reader. The typed pass reads a member that
/// may have members through a fresh reader over its text, which starts that count again: with
/// `max_json_depth` of 128 or more, a claims set 128 deep was accepted by `verify_as` and refused
/// by `verify` (`bad_json`, "recursion limit exceeded"); with `.require("x")` `verify_as` said
/// `missing_claim`. The typed pass now leaves nesting over 100 levels to the untyped pass.
#[test]
fn a_claims_set_128_deep_agrees_under_a_large_depth_limit() {
    let v = with_depth(200);
    let claims = format!(r#"{{"x":1,"a":{}{}}}"#, "[".repeat(127), "]".repeat(127));
    let (typed, two) = both::<Value>(claims.as_bytes(), &v);
    assert_eq!(typed, two);
}

#[test]
fn a_claims_set_128_deep_agrees_with_a_required_claim() {
    let v = Validation::builder(JwsAlg::HS256)
        .ignore_audience(true)
        .require("x")
        .limits(Limits {
            max_json_depth: 200,
            ..Limits::default()
        })
        .build()
        .unwrap();
    let claims = format!(r#"{{"x":1,"a":{}{}}}"#, "[".repeat(127), "]".repeat(127));
    let (typed, two) = both::<Value>(claims.as_bytes(), &v);
    assert_eq!(typed, two);
}

/// serde_json's own member names (`$serde_json::private::Number`, `...::RawValue`) would make an
/// object read as a number or as the raw JSON of a string, unchecked: strict JSON refuses them
/// as member names at any depth, on both sides, before any duplicate or depth inside is looked at.
#[test]
fn serde_json_private_member_names_are_refused_at_any_depth() {
    let v = lenient();
    let deep = format!(
        r#"{{"sub":"a","x":{{"$serde_json::private::Number":{}{}}}}}"#,
        "[".repeat(1000),
        "]".repeat(1000)
    );
    for claims in [
        r#"{"sub":"a","x":{"$serde_json::private::Number":{"k":1,"k":2}}}"#.to_string(),
        deep,
        r#"{"$serde_json::private::RawValue":"{\"exp\":1,\"sub\":\"user\",\"sub\":\"admin\"}"}"#.to_string(),
        r#"{"sub":"a","x":[{"\u0024serde_json::private::RawValue":"{}"}]}"#.to_string(),
    ] {
        let (typed, two) = both::<SubOnly>(claims.as_bytes(), &v);
        assert_eq!(typed, two, "both sides agree on {claims}");
        assert_eq!(typed.err(), (ErrorKind::BadJson, Check::ClaimsSet), "{claims}");
        let (typed, two) = both::<Value>(claims.as_bytes(), &v);
        assert_eq!(typed, two, "both sides agree on {claims}");
        let e = jwtkit::verify(&signed(claims.as_bytes()), &keys(), &v).unwrap_err();
        assert_eq!((e.kind(), e.check()), (ErrorKind::BadJson, Check::ClaimsSet));
        assert!(e.message().contains("is reserved"), "{}", e.message());
    }
}
