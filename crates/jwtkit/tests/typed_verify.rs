//! `jwtkit::verify_as` (issue 12 item 11): the JWT Claims Set read into the caller's type in
//! the pass that checks it, with exactly the checks, order and errors of `jwtkit::verify`.
//! Every hostile claims set here is refused by both with the same kind, check and message,
//! whichever members the caller's type reads, skips or holds as raw JSON.

use std::collections::{BTreeMap, HashMap};

use jwtkit::jwt::IssuerTemplate;
use jwtkit::{Check, ErrorKind, JwkSet, JwsAlg, Key, Limits, Validation, Verified};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::value::RawValue;
use serde_json::{Value, json};

mod common;
use common::{hs256_keys as keys, hs256_signed as signed};

fn orders() -> Validation {
    Validation::builder(JwsAlg::HS256)
        .issuer("https://auth.example.com/")
        .audience("orders")
        .build()
        .unwrap()
}

#[derive(Debug, Deserialize, PartialEq)]
struct Access {
    iss: String,
    sub: String,
    aud: Vec<String>,
    exp: u64,
    scope: Option<String>,
    roles: Vec<String>,
    tenant: Tenant,
    amount: f64,
    plan: Plan,
}

#[derive(Debug, Deserialize, PartialEq)]
struct Tenant {
    id: u32,
    region: String,
}

#[derive(Debug, Deserialize, PartialEq)]
#[serde(rename_all = "lowercase")]
enum Plan {
    Free,
    Team,
}

/// Reads only `sub`: every other member, registered claims included, is skipped.
#[derive(Debug, Deserialize, PartialEq)]
struct SubOnly {
    sub: String,
}

/// Keeps what it does not name, as a map (serde's `flatten`).
#[derive(Debug, Deserialize, PartialEq)]
struct Flattened {
    sub: String,
    #[serde(flatten)]
    rest: BTreeMap<String, Value>,
}

/// Holds members as raw JSON text.
#[derive(Debug, Deserialize)]
struct Raw {
    tenant: Box<RawValue>,
    extra: Option<Box<RawValue>>,
}

const GOOD: &str = r#"{"iss":"https://auth.example.com/","sub":"user-1","aud":["orders","billing"],"exp":4102444800,"nbf":1700000000,"scope":"orders:read","roles":["admin"],"tenant":{"id":7,"region":"eu-west-1"},"amount":12.5,"plan":"team","extra":{"ignored":[1,2,{"deep":null}]}}"#;

/// `verify_as::<T>` against `verify` then `claims_as::<T>`: the same claims, or the same error.
fn same_as_verify<T: DeserializeOwned + PartialEq + std::fmt::Debug>(
    claims: &[u8],
    validation: &Validation,
) -> jwtkit::Result<Verified<T>> {
    let token = signed(claims);
    let typed = jwtkit::verify_as::<T>(&token, &keys(), validation);
    let two_passes =
        jwtkit::verify(&token, &keys(), validation).and_then(|v| v.claims_as::<T>().map(|t| (v, t)));
    match (&typed, &two_passes) {
        (Ok(typed), Ok((v, t))) => {
            assert_eq!(&typed.claims, t);
            assert_eq!((typed.alg, typed.key_index), (v.alg, v.key_index));
            assert_eq!(typed.header, v.header);
        }
        (Err(a), Err(b)) => {
            assert_eq!(
                (a.kind(), a.check(), a.message()),
                (b.kind(), b.check(), b.message())
            );
        }
        _ => panic!(
            "verify_as and verify disagree on {}: {typed:?} / {two_passes:?}",
            String::from_utf8_lossy(claims)
        ),
    }
    typed
}

#[test]
fn verify_as_reads_the_claims_verify_then_claims_as_read() {
    let v = same_as_verify::<Access>(GOOD.as_bytes(), &orders()).unwrap();
    assert_eq!(
        v.claims,
        Access {
            iss: "https://auth.example.com/".into(),
            sub: "user-1".into(),
            aud: vec!["orders".into(), "billing".into()],
            exp: 4_102_444_800,
            scope: Some("orders:read".into()),
            roles: vec!["admin".into()],
            tenant: Tenant {
                id: 7,
                region: "eu-west-1".into()
            },
            amount: 12.5,
            plan: Plan::Team,
        }
    );
    assert_eq!(
        (v.alg, v.key_index, v.header.alg_name()),
        (JwsAlg::HS256, 0, "HS256")
    );
    assert_eq!(
        same_as_verify::<SubOnly>(GOOD.as_bytes(), &orders())
            .unwrap()
            .claims
            .sub,
        "user-1"
    );
    let flat = same_as_verify::<Flattened>(GOOD.as_bytes(), &orders())
        .unwrap()
        .claims;
    assert_eq!(flat.rest["tenant"], json!({"id": 7, "region": "eu-west-1"}));
    assert_eq!(flat.rest.len(), 10, "every member but sub");
    let value = same_as_verify::<Value>(GOOD.as_bytes(), &orders())
        .unwrap()
        .claims;
    assert_eq!(value["extra"]["ignored"][2], json!({"deep": null}));
    let map = same_as_verify::<HashMap<String, Value>>(GOOD.as_bytes(), &orders())
        .unwrap()
        .claims;
    assert_eq!(map["exp"], json!(4_102_444_800_u64));
    let raw = jwtkit::verify_as::<Raw>(&signed(GOOD.as_bytes()), &keys(), &orders())
        .unwrap()
        .claims;
    assert_eq!(raw.tenant.get(), r#"{"id":7,"region":"eu-west-1"}"#);
    assert_eq!(raw.extra.unwrap().get(), r#"{"ignored":[1,2,{"deep":null}]}"#);
}

/// Strict JSON at every depth (RFC 7515 §5.2 / RFC 7519 §4: jwtkit refuses duplicate member
/// names), whether the member is read, skipped, flattened or held raw by the caller's type.
#[test]
fn verify_as_refuses_duplicate_members_at_any_depth_like_verify() {
    let hostile: &[&str] = &[
        // Top level: a member the type reads, one it skips, a registered claim, an escape.
        r#"{"sub":"a","sub":"b","exp":4102444800}"#,
        r#"{"sub":"a","x":1,"x":2}"#,
        r#"{"sub":"a","exp":4102444800,"exp":1}"#,
        r#"{"sub":"a","\u0073ub":"b"}"#,
        r#"{"sub":"a","\u0078":1,"x":2}"#,
        // Nested: inside a read struct, a skipped object, an array element, a flattened value.
        r#"{"sub":"a","tenant":{"id":1,"id":2,"region":"r"}}"#,
        r#"{"sub":"a","extra":{"k":1,"k":2}}"#,
        r#"{"sub":"a","roles":[{"r":1,"r":1}]}"#,
        r#"{"sub":"a","extra":[[{"deep":{"a":1,"\u0061":2}}]]}"#,
        // In `aud`, a registered claim validation reads.
        r#"{"sub":"a","aud":[{"x":1,"x":1}]}"#,
    ];
    for claims in hostile {
        for result in [
            same_as_verify::<SubOnly>(claims.as_bytes(), &lenient()).map(drop),
            same_as_verify::<Flattened>(claims.as_bytes(), &lenient()).map(drop),
            same_as_verify::<Value>(claims.as_bytes(), &lenient()).map(drop),
        ] {
            let e = result.unwrap_err();
            assert_eq!(
                (e.kind(), e.check()),
                (ErrorKind::DuplicateMember, Check::ClaimsSet),
                "{claims}"
            );
        }
    }
}

fn lenient() -> Validation {
    Validation::builder(JwsAlg::HS256)
        .ignore_audience(true)
        .build()
        .unwrap()
}

#[test]
fn verify_as_keeps_the_depth_limit_in_members_it_reads_or_skips() {
    let shallow = Validation::builder(JwsAlg::HS256)
        .limits(Limits {
            max_json_depth: 3,
            ..Limits::default()
        })
        .build()
        .unwrap();
    let at_limit = br#"{"sub":"a","extra":{"b":{"c":1}}}"#;
    assert_eq!(
        same_as_verify::<SubOnly>(at_limit, &shallow).unwrap().claims.sub,
        "a"
    );
    for claims in [
        br#"{"sub":"a","extra":{"b":{"c":[1]}}}"#.as_slice(),
        br#"{"sub":"a","extra":[[[[]]]]}"#,
    ] {
        for result in [
            same_as_verify::<SubOnly>(claims, &shallow).map(drop),
            same_as_verify::<Value>(claims, &shallow).map(drop),
            same_as_verify::<Flattened>(claims, &shallow).map(drop),
        ] {
            let e = result.unwrap_err();
            assert_eq!(
                (e.kind(), e.check()),
                (ErrorKind::ResourceLimit, Check::ClaimsSet)
            );
        }
    }
}

#[test]
fn verify_as_refuses_what_is_not_one_json_object_like_verify() {
    for claims in [
        b"[1,2]".as_slice(),
        b"\"sub\"",
        b"42",
        b"{\"sub\":\"a\"} x",
        b"{\"sub\":\"a\",}",
        b"{\"sub\":\"\xff\"}",
        b"{\"$serde_json::private::Number\":\"1\"}",
    ] {
        let e = same_as_verify::<Value>(claims, &lenient()).unwrap_err();
        assert_eq!(e.check(), Check::ClaimsSet, "{}", String::from_utf8_lossy(claims));
        assert_eq!(
            e.kind(),
            ErrorKind::BadJson,
            "{}",
            String::from_utf8_lossy(claims)
        );
    }
}

/// The registered claims validation reads come from the same pass, whatever type the caller
/// gives them — or when the caller's type does not name them at all.
#[test]
fn verify_as_validates_the_registered_claims_it_reads_or_skips() {
    let cases: &[(&str, ErrorKind, Check)] = &[
        (r#"{"sub":"a","exp":1}"#, ErrorKind::Expired, Check::Exp),
        (
            r#"{"sub":"a","nbf":4102444800}"#,
            ErrorKind::NotYetValid,
            Check::Nbf,
        ),
        (
            r#"{"sub":"a","exp":"4102444800"}"#,
            ErrorKind::Malformed,
            Check::ClaimTypes,
        ),
        (
            r#"{"sub":"a","exp":null}"#,
            ErrorKind::Malformed,
            Check::ClaimTypes,
        ),
        (r#"{"sub":"a","exp":1.5}"#, ErrorKind::Expired, Check::Exp),
        (
            r#"{"sub":"a","iss":"https://evil.example/"}"#,
            ErrorKind::BadIssuer,
            Check::Iss,
        ),
        (
            r#"{"sub":"a","iss":["https://auth.example.com/"]}"#,
            ErrorKind::Malformed,
            Check::ClaimTypes,
        ),
        (
            r#"{"sub":"a","iss":"https://auth.example.com/","aud":["billing"]}"#,
            ErrorKind::BadAudience,
            Check::Aud,
        ),
        (
            r#"{"sub":"a","iss":"https://auth.example.com/","aud":"billing"}"#,
            ErrorKind::BadAudience,
            Check::Aud,
        ),
        (
            r#"{"sub":"a","iss":"https://auth.example.com/","aud":[7]}"#,
            ErrorKind::Malformed,
            Check::ClaimTypes,
        ),
        (r#"{"sub":"a"}"#, ErrorKind::MissingClaim, Check::Iss),
    ];
    let validation = Validation::builder(JwsAlg::HS256)
        .issuer("https://auth.example.com/")
        .audience("orders")
        .build()
        .unwrap();
    #[derive(Debug, Deserialize, PartialEq)]
    struct Registered {
        sub: String,
        exp: Option<Value>,
        nbf: Option<u64>,
        iss: Option<Value>,
        aud: Option<Value>,
    }
    for (claims, kind, check) in cases {
        for e in [
            same_as_verify::<SubOnly>(claims.as_bytes(), &validation).unwrap_err(),
            same_as_verify::<Registered>(claims.as_bytes(), &validation).unwrap_err(),
            same_as_verify::<Value>(claims.as_bytes(), &validation).unwrap_err(),
        ] {
            assert_eq!(
                (e.kind(), e.check()),
                (*kind, *check),
                "{claims}: {}",
                e.message()
            );
        }
    }
    // The same registered claims, typed as the caller reads them.
    #[derive(Debug, Deserialize, PartialEq)]
    struct Typed {
        exp: u64,
        aud: String,
        iss: String,
    }
    let e = same_as_verify::<Typed>(
        br#"{"exp":1,"aud":"orders","iss":"https://auth.example.com/"}"#,
        &validation,
    )
    .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Expired);
    let ok = same_as_verify::<Typed>(
        br#"{"exp":4102444800,"aud":"orders","iss":"https://auth.example.com/"}"#,
        &validation,
    )
    .unwrap();
    assert_eq!(ok.claims.aud, "orders");
}

#[test]
fn verify_as_into_a_type_that_does_not_fit_is_bad_json_after_validation() {
    #[derive(Debug, Deserialize, PartialEq)]
    struct WrongType {
        sub: u64,
    }
    let e =
        same_as_verify::<WrongType>(br#"{"sub":"s3cr3t-subject","exp":4102444800}"#, &lenient()).unwrap_err();
    assert_eq!((e.kind(), e.check()), (ErrorKind::BadJson, Check::ClaimsSet));
    assert!(
        e.message().contains("invalid type: string, expected u64"),
        "{}",
        e.message()
    );
    assert!(!e.message().contains("s3cr3t"), "{}", e.message());
    // Validation comes first: an expired token that does not fit is expired.
    let e = same_as_verify::<WrongType>(br#"{"sub":"x","exp":1}"#, &lenient()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Expired);
}

#[test]
fn verify_as_with_rules_that_read_other_claims() {
    // A required private claim, and a multi-tenant issuer whose tenant claim the type skips.
    let template = IssuerTemplate::with_tenants(
        "https://login.example.com/{tid}/v2.0",
        "guid",
        vec!["72f988bf-86f1-41af-91ab-2d7cd011db47".into()],
    )
    .unwrap();
    let validation = Validation::builder(JwsAlg::HS256)
        .issuer_template(template)
        .require("scope")
        .ignore_audience(true)
        .build()
        .unwrap();
    let good = br#"{"iss":"https://login.example.com/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0","tid":"72f988bf-86f1-41af-91ab-2d7cd011db47","sub":"a","scope":"x"}"#;
    assert_eq!(
        same_as_verify::<SubOnly>(good, &validation).unwrap().claims.sub,
        "a"
    );
    let no_scope = br#"{"iss":"https://login.example.com/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0","tid":"72f988bf-86f1-41af-91ab-2d7cd011db47","sub":"a"}"#;
    let e = same_as_verify::<SubOnly>(no_scope, &validation).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::MissingClaim);
    let other_tenant = br#"{"iss":"https://login.example.com/00000000-0000-0000-0000-000000000000/v2.0","tid":"00000000-0000-0000-0000-000000000000","sub":"a","scope":"x"}"#;
    let e = same_as_verify::<SubOnly>(other_tenant, &validation).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::BadIssuer);
}

#[test]
fn verify_as_fails_at_the_signature_like_verify() {
    let token = signed(GOOD.as_bytes());
    let other = JwkSet::from_keys(vec![Key::hmac(b"another-secret-another-secret-32".to_vec())]);
    let e = jwtkit::verify_as::<Value>(&token, &other, &orders()).unwrap_err();
    let f = jwtkit::verify(&token, &other, &orders()).unwrap_err();
    assert_eq!((e.kind(), e.check()), (ErrorKind::BadSignature, Check::Signature));
    assert_eq!(e.message(), f.message());
}
