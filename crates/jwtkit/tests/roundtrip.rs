//! Property tests: sign → verify round trips for every JWS algorithm with random claims
//! (unicode strings, nested objects and arrays, big and fractional numbers written exactly),
//! tampering with any single byte is always rejected, and the unverified decoder (and the other
//! entry points that take untrusted text) never panic on arbitrary strings.
//!
//! Keys are generated once per family. Case counts are modest so the suite stays fast in debug
//! builds (RSA signing is slow without optimisation).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use std::sync::OnceLock;
use std::time::Duration;

use jwtkit::jwk::KeySpec;
use jwtkit::{EcCurve, ErrorKind, Fault, JwkSet, JwsAlg, Key, MlDsa, OkpCurve, Validation};
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use serde_json::Map;
use serde_json::Value;

const NOW: i64 = 1_700_000_000;

/// One private key per family (HMAC 64 bytes, RSA 2048, P-256/384/521, Ed25519, secp256k1,
/// ML-DSA-44/65/87), made once.
fn key_for(alg: JwsAlg) -> &'static Key {
    static KEYS: OnceLock<Vec<(jwtkit::KeyFamily, Key)>> = OnceLock::new();
    let keys = KEYS.get_or_init(|| {
        [
            KeySpec::Oct(64),
            KeySpec::Rsa(2048),
            KeySpec::Ec(EcCurve::P256),
            KeySpec::Ec(EcCurve::P384),
            KeySpec::Ec(EcCurve::P521),
            KeySpec::Okp(OkpCurve::Ed25519),
            KeySpec::Ec(EcCurve::Secp256k1),
            KeySpec::Akp(MlDsa::MlDsa44),
            KeySpec::Akp(MlDsa::MlDsa65),
            KeySpec::Akp(MlDsa::MlDsa87),
        ]
        .into_iter()
        .map(|spec| {
            let k = Key::generate(spec).unwrap();
            (k.family(), k)
        })
        .collect()
    });
    &keys.iter().find(|(f, _)| *f == alg.family()).unwrap().1
}

/// The verifier's copy: the public key (the secret itself for HMAC), loaded from its JWK the way
/// a relying party would.
fn verifier_for(alg: JwsAlg) -> &'static JwkSet {
    static SETS: OnceLock<Vec<(JwsAlg, JwkSet)>> = OnceLock::new();
    let sets = SETS.get_or_init(|| {
        JwsAlg::ALL
            .iter()
            .map(|&a| {
                let k = key_for(a);
                let jwk = k.to_jwk(k.family() == jwtkit::KeyFamily::Oct);
                (a, JwkSet::from_keys(vec![Key::from_jwk(&jwk).unwrap()]))
            })
            .collect()
    });
    &sets.iter().find(|(a, _)| *a == alg).unwrap().1
}

/// JSON numbers as text, kept exactly (serde_json `arbitrary_precision`): integers of any size,
/// `3.0`, exponents.
fn number() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<i64>().prop_map(|n| n.to_string()),
        any::<u64>().prop_map(|n| n.to_string()),
        "-?[1-9][0-9]{19,40}",
        "-?(0|[1-9][0-9]{0,6})\\.[0-9]{1,8}",
        "[1-9]\\.0",
        "[1-9][0-9]{0,3}(e|E)[+-]?[1-9][0-9]?",
    ]
    .prop_map(|text| serde_json::from_str::<Value>(&text).unwrap())
}

/// Any string: unicode of every plane, control characters, quotes and backslashes.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[a-z]{0,12}",
        "\\PC{0,16}",
        "[\"\\\\/\u{0}-\u{1f}\u{7f}\u{2028}\u{fffd}é😀]{0,8}"
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        number(),
        text().prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::vec((text(), inner), 0..5)
                .prop_map(|members| Value::Object(members.into_iter().collect())),
        ]
    })
}

/// A claims set: random private claims plus valid registered ones (exp in the future, optional
/// nbf/iat in the past, iss, aud as a string or an array).
fn claims() -> impl Strategy<Value = Map<String, Value>> {
    (
        prop::collection::vec(("[a-z_][a-z0-9_]{0,8}|\\PC{1,6}", json_value()), 0..6),
        1i64..1_000_000_000,
        prop::option::of(0i64..1_000_000),
        prop::option::of(0i64..1_000_000),
        prop::option::of(text()),
        prop::option::of(prop::collection::vec("[a-z:/.]{1,12}", 1..4)),
        prop::option::of(text()),
    )
        .prop_map(|(private, exp_in, nbf_ago, iat_ago, iss, aud, sub)| {
            let mut c = Map::new();
            for (k, v) in private {
                if !["exp", "nbf", "iat", "iss", "aud", "sub"].contains(&k.as_str()) {
                    c.insert(k, v);
                }
            }
            if let Some(s) = sub {
                c.insert("sub".into(), s.into());
            }
            if let Some(i) = iss {
                c.insert("iss".into(), i.into());
            }
            match aud {
                Some(a) if a.len() == 1 => c.insert("aud".into(), a[0].clone().into()),
                Some(a) => c.insert("aud".into(), a.into()),
                None => None,
            };
            c.insert("exp".into(), (NOW + exp_in).into());
            if let Some(n) = nbf_ago {
                c.insert("nbf".into(), (NOW - n).into());
            }
            if let Some(i) = iat_ago {
                c.insert("iat".into(), (NOW - i).into());
            }
            c
        })
}

fn validation_for(alg: JwsAlg, claims: &Map<String, Value>) -> Validation {
    let mut b = Validation::builder(alg).now(NOW).leeway(Duration::ZERO);
    if let Some(iss) = claims.get("iss").and_then(Value::as_str) {
        b = b.issuer(iss);
    }
    match claims.get("aud") {
        Some(Value::String(a)) => b = b.audience(a.clone()),
        Some(Value::Array(a)) => b = b.audience(a[a.len() - 1].as_str().unwrap()),
        _ => {}
    }
    b.build().unwrap()
}

fn sign(alg: JwsAlg, claims: &Map<String, Value>) -> String {
    jwtkit::jws::Signer::new(key_for(alg), alg)
        .unwrap()
        .typ("JWT")
        .build()
        .unwrap()
        .sign_claims(claims)
        .unwrap()
}

fn roundtrip(alg: JwsAlg, claims: &Map<String, Value>) -> Result<(), TestCaseError> {
    let token = sign(alg, claims);
    let v = jwtkit::verify(&token, verifier_for(alg), &validation_for(alg, claims))
        .map_err(|e| TestCaseError::fail(format!("{alg}: {e}\nclaims {}", Value::Object(claims.clone()))))?;
    prop_assert_eq!(v.alg, alg);
    prop_assert_eq!(v.header.typ(), Some("JWT"));
    // Exact: same members, same order, numbers as written.
    prop_assert_eq!(
        serde_json::to_string(v.claims.as_object()).unwrap(),
        serde_json::to_string(claims).unwrap()
    );
    // The unverified view agrees, with no strictness problem.
    let u = jwtkit::dangerous::Unverified::decode(&token, &jwtkit::Limits::default());
    prop_assert!(u.errors.is_empty(), "{:?}", u.errors);
    prop_assert_eq!(u.claims(), Some(claims));
    // Another algorithm of the allowlist's family never accepts it.
    let wrong = if alg == JwsAlg::HS256 {
        JwsAlg::HS384
    } else {
        JwsAlg::HS256
    };
    let e = jwtkit::verify(
        &token,
        verifier_for(alg),
        &Validation::builder(wrong).now(NOW).build().unwrap(),
    )
    .unwrap_err();
    prop_assert_eq!(e.kind(), ErrorKind::AlgNotAllowed);
    Ok(())
}

const B64URL: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// Replace one byte of a valid token; verification must fail with a token-fault kind.
fn tamper(
    alg: JwsAlg,
    claims: &Map<String, Value>,
    pos: prop::sample::Index,
    with: u8,
) -> Result<(), TestCaseError> {
    let token = sign(alg, claims);
    let i = pos.index(token.len());
    let mut bytes = token.clone().into_bytes();
    if bytes[i] == with {
        return Ok(());
    }
    bytes[i] = with;
    let Ok(tampered) = String::from_utf8(bytes) else {
        return Ok(());
    };
    match jwtkit::verify(&tampered, verifier_for(alg), &validation_for(alg, claims)) {
        Ok(_) => Err(TestCaseError::fail(format!(
            "{alg}: byte {i} replaced by {with:?} still verifies: {tampered}"
        ))),
        Err(e) => {
            prop_assert_eq!(e.fault(), Fault::Token, "{}", e);
            Ok(())
        }
    }
}

fn replacement() -> impl Strategy<Value = u8> {
    prop_oneof![8 => prop::sample::select(B64URL), 1 => Just(b'.'), 1 => Just(b'='), 1 => any::<u8>()]
}

macro_rules! per_alg {
    ($($name:ident: $alg:expr, $cases:expr;)*) => {$(
        mod $name {
            use super::*;
            proptest! {
                #![proptest_config(ProptestConfig::with_cases($cases))]
                #[test]
                fn sign_then_verify(c in claims()) {
                    roundtrip($alg, &c)?;
                }
                #[test]
                fn any_byte_tampered_is_rejected(c in claims(), pos in any::<prop::sample::Index>(), with in replacement()) {
                    tamper($alg, &c, pos, with)?;
                }
            }
        }
    )*};
}

per_alg! {
    hs256: JwsAlg::HS256, 64;
    hs384: JwsAlg::HS384, 32;
    hs512: JwsAlg::HS512, 32;
    rs256: JwsAlg::RS256, 12;
    rs384: JwsAlg::RS384, 8;
    rs512: JwsAlg::RS512, 8;
    ps256: JwsAlg::PS256, 12;
    ps384: JwsAlg::PS384, 8;
    ps512: JwsAlg::PS512, 8;
    es256: JwsAlg::ES256, 32;
    es384: JwsAlg::ES384, 16;
    es512: JwsAlg::ES512, 16;
    eddsa: JwsAlg::EdDSA, 32;
    ed25519: JwsAlg::Ed25519, 16;
    es256k: JwsAlg::ES256K, 16;
    ml_dsa_44: JwsAlg::ML_DSA_44, 8;
    ml_dsa_65: JwsAlg::ML_DSA_65, 6;
    ml_dsa_87: JwsAlg::ML_DSA_87, 6;
}

/// Every JWS algorithm has its round-trip module above (a new algorithm without one fails here).
#[test]
fn every_algorithm_is_round_tripped() {
    assert_eq!(JwsAlg::ALL.len(), 18);
}

/// Every signature byte and every header/payload character, exhaustively, for one token of each
/// family (complements the random positions above).
#[test]
fn every_position_tampered_is_rejected() {
    let claims: Map<String, Value> =
        serde_json::from_str(r#"{"sub":"alice","n":3.0,"exp":4102444800}"#).unwrap();
    for alg in [
        JwsAlg::HS256,
        JwsAlg::ES256,
        JwsAlg::EdDSA,
        JwsAlg::ES256K,
        JwsAlg::ML_DSA_44,
    ] {
        let token = sign(alg, &claims);
        for i in 0..token.len() {
            let mut bytes = token.clone().into_bytes();
            let c = bytes[i];
            bytes[i] = if c == b'A' { b'B' } else { b'A' };
            let t = String::from_utf8(bytes).unwrap();
            assert!(
                jwtkit::verify(&t, verifier_for(alg), &validation_for(alg, &claims)).is_err(),
                "{alg}: position {i} changed, still verifies"
            );
        }
    }
}

/// Text shaped like tokens: 1–6 segments of base64url of JSON-ish or random bytes, stray
/// padding and alphabet characters, whitespace.
fn token_like() -> impl Strategy<Value = String> {
    let segment = prop_oneof![
        json_value().prop_map(|v| URL_SAFE_NO_PAD.encode(v.to_string())),
        prop::collection::vec(any::<u8>(), 0..48).prop_map(|b| URL_SAFE_NO_PAD.encode(b)),
        r#"\{"alg":"(none|HS256|ES256|EdDSA|RS256|nOnE)"(,"(kid|crit|b64|jwk|typ)":[^}]{0,12})?\}"#
            .prop_map(|b| URL_SAFE_NO_PAD.encode(b)),
        "[A-Za-z0-9_\\-+/= \n]{0,24}",
    ];
    prop::collection::vec(segment, 1..7).prop_map(|s| s.join("."))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Never panics; when it reports no error, the shape it reports is consistent.
    #[test]
    fn decode_unverified_never_panics(s in prop_oneof![any::<String>(), token_like()]) {
        let u = jwtkit::dangerous::Unverified::decode(&s, &jwtkit::Limits::default());
        if u.errors.is_empty() && u.form == jwtkit::dangerous::Form::JwsCompact {
            prop_assert_eq!(u.segments.len(), 3);
            prop_assert!(u.header.is_some());
        }
        // The other entry points that take untrusted text: verify, diagnosis, lint, paste.
        jwtkit::fuzzing::compact_jws(s.as_bytes());
        jwtkit::fuzzing::paste(s.as_bytes());
        jwtkit::fuzzing::json_strict(s.as_bytes());
        jwtkit::fuzzing::key_document(s.as_bytes());
    }

    /// A structural failure (segments, base64url, header JSON and parameters) is also reported
    /// by the unverified decoder, first and with the same kind, so `decode` never shows a clean
    /// bill (or another first problem) for a token that verification rejects before the
    /// signature.
    #[test]
    fn decoder_agrees_with_verification_on_structure(s in token_like()) {
        if s.split('.').count() == 5 {
            return Ok(()); // JWE: the decoder shows its header only
        }
        let keys = JwkSet::from_keys(vec![Key::hmac(vec![7u8; 32])]);
        let v = Validation::builder(jwtkit::AlgorithmSet::<JwsAlg>::all()).now(NOW).build().unwrap();
        let Err(e) = jwtkit::verify(&s, &keys, &v) else { return Ok(()) };
        let structural = jwtkit::jws::CompactJws::parse(&s, &jwtkit::Limits::default()).is_err();
        let alg_step = matches!(e.kind(), ErrorKind::AlgNone | ErrorKind::UnsupportedAlg);
        if structural || alg_step {
            let u = jwtkit::dangerous::Unverified::decode(&s, &jwtkit::Limits::default());
            prop_assert!(!u.errors.is_empty(), "verify: {}; the decoder saw no problem", e);
            prop_assert_eq!(u.errors[0].kind(), e.kind(), "verify: {}; decoder: {:?}", e, u.errors);
        }
    }
}
