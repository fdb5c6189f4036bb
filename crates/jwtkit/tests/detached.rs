//! Detached content (RFC 7515 Appendix F, RFC 7797 §5.2): detached `jws::Input` through `jwt::verify_local`,
//! `jwt::Input::detached`, `Signer::sign_detached`, the diagnosis hint and the limits, with the
//! published RFC 7520 §4.5 and RFC 7797 §4.2 values.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use std::time::Duration;

use jwtkit::jws::{self, JwsOptions, Signer};
use jwtkit::{Detail, ErrorKind, JwkSet, JwsAlg, Key, Limits, Validation};

mod common;
use common::{jws_verify, jws_verify_detached};

/// RFC 7520 §4.5: HS256 with the key of §3.5 ("018c0ae5-…"), the Frodo payload of §4.
const RFC7520_KEY_B64U: &str = "hJtXIZ2uSN5kbQfbtTNWbpdmhkV8FJG-Onbc6mxCcYg";
const RFC7520_PAYLOAD: &str = "It\u{2019}s a dangerous business, Frodo, going out your door. You step onto the road, and if you don't keep your feet, there\u{2019}s no knowing where you might be swept off to.";
const RFC7520_COMPACT: &str = "eyJhbGciOiJIUzI1NiIsImtpZCI6IjAxOGMwYWU1LTRkOWItNDcxYi1iZmQ2LWVlZjMxNGJjNzAzNyJ9..s0h6KThzkfBBBkLspW1h84VsJZFTsPPqMDA7g1Md7p0";
const RFC7520_GENERAL: &str = r#"{"signatures":[{"protected":"eyJhbGciOiJIUzI1NiIsImtpZCI6IjAxOGMwYWU1LTRkOWItNDcxYi1iZmQ2LWVlZjMxNGJjNzAzNyJ9","signature":"s0h6KThzkfBBBkLspW1h84VsJZFTsPPqMDA7g1Md7p0"}]}"#;
const RFC7520_FLAT: &str = r#"{"protected":"eyJhbGciOiJIUzI1NiIsImtpZCI6IjAxOGMwYWU1LTRkOWItNDcxYi1iZmQ2LWVlZjMxNGJjNzAzNyJ9","signature":"s0h6KThzkfBBBkLspW1h84VsJZFTsPPqMDA7g1Md7p0"}"#;

/// RFC 7797 §4.2: `{"alg":"HS256","b64":false,"crit":["b64"]}`, payload `$.02`, detached in the
/// compact form (the payload holds a '.'), HMAC key of RFC 7515 Appendix A.1.
const RFC7797_KEY_B64U: &str =
    "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow";
const RFC7797_COMPACT: &str =
    "eyJhbGciOiJIUzI1NiIsImI2NCI6ZmFsc2UsImNyaXQiOlsiYjY0Il19..A5dxf2s96_n5FLueVuW1Z_vh161FwXZC4YLPff6dmDY";

fn rfc7520_keys() -> JwkSet {
    let key = Key::hmac(URL_SAFE_NO_PAD.decode(RFC7520_KEY_B64U).unwrap())
        .with_kid("018c0ae5-4d9b-471b-bfd6-eef314bc7037");
    JwkSet::from_keys(vec![key])
}

fn rfc7797_keys() -> JwkSet {
    JwkSet::from_keys(vec![Key::hmac(URL_SAFE_NO_PAD.decode(RFC7797_KEY_B64U).unwrap())])
}

fn hs256() -> JwsOptions {
    JwsOptions::new(JwsAlg::HS256)
}

#[test]
fn rfc7520_4_5_every_serialization() {
    let keys = rfc7520_keys();
    for token in [RFC7520_COMPACT, RFC7520_GENERAL, RFC7520_FLAT] {
        let v = jws_verify_detached(token, RFC7520_PAYLOAD.as_bytes(), &keys, &hs256()).unwrap();
        assert_eq!(v.payload, RFC7520_PAYLOAD.as_bytes());
        assert_eq!(v.alg, JwsAlg::HS256);
        assert_eq!(v.header.kid(), Some("018c0ae5-4d9b-471b-bfd6-eef314bc7037"));
        // One octet changed in the detached content: the fixed bad_signature.
        let tampered = RFC7520_PAYLOAD.replace("Frodo", "Frodi");
        let e = jws_verify_detached(token, tampered.as_bytes(), &keys, &hs256()).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::BadSignature, "{token}");
        assert_eq!(e.message(), "signature does not verify with the given key");
        // Content base64url-encoded by mistake: it is not the JWS Payload.
        let encoded = URL_SAFE_NO_PAD.encode(RFC7520_PAYLOAD);
        let e = jws_verify_detached(token, encoded.as_bytes(), &keys, &hs256()).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::BadSignature);
    }
}

#[test]
fn without_the_content() {
    let keys = rfc7520_keys();
    // Compact: today's behaviour, an empty payload segment is the empty payload.
    let e = jws_verify(RFC7520_COMPACT, &keys, &hs256()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::BadSignature);
    // JSON without "payload": malformed, saying why.
    for token in [RFC7520_GENERAL, RFC7520_FLAT] {
        let e = jws_verify(token, &keys, &hs256()).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Malformed);
        assert!(
            e.message().contains("detached (RFC 7515 Appendix F)"),
            "{}",
            e.message()
        );
        assert!(
            jws::JwsJson::parse(token, &Limits::default())
                .unwrap()
                .is_detached()
        );
    }
    // A JWS over the empty payload still verifies without detached content.
    let key = Key::hmac(vec![7u8; 32]);
    let empty = Signer::new(&key, JwsAlg::HS256)
        .unwrap()
        .build()
        .unwrap()
        .sign(b"")
        .unwrap();
    assert!(empty.contains(".."));
    let v = jws_verify(&empty, &JwkSet::from_keys(vec![key]), &hs256()).unwrap();
    assert!(v.payload.is_empty());
}

#[test]
fn content_for_a_token_that_has_a_payload() {
    let key = Key::hmac(vec![7u8; 32]);
    let signer = Signer::new(&key, JwsAlg::HS256).unwrap().build().unwrap();
    let keys = JwkSet::from_keys(vec![Key::hmac(vec![7u8; 32])]);
    let attached = signer.sign(b"attached").unwrap();
    // Even the very payload the token carries: given twice is a mistake, not a match.
    let e = jws_verify_detached(&attached, b"attached", &keys, &hs256()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Malformed);
    assert_eq!(
        e.detail(),
        Some(&Detail::Segment {
            index: 1,
            name: "payload"
        })
    );
    assert!(
        e.message()
            .contains("payload segment: detached content was supplied, but the token carries its own payload (11 characters);"),
        "{}",
        e.message()
    );
    let json = jws::JwsJson::sign(b"attached", &[(&signer, None)], true).unwrap();
    let e = jws_verify_detached(&json, b"attached", &keys, &hs256()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Malformed);
    assert!(
        e.message()
            .contains("its own payload (11 characters in the \"payload\" member);"),
        "{}",
        e.message()
    );
    // An empty "payload" member is accepted like an empty compact segment.
    let detached = signer.sign_detached(b"content").unwrap();
    let protected = detached.split('.').next().unwrap();
    let sig = detached.rsplit('.').next().unwrap();
    let flat = format!(r#"{{"protected":"{protected}","payload":"","signature":"{sig}"}}"#);
    assert_eq!(
        jws_verify_detached(&flat, b"content", &keys, &hs256())
            .unwrap()
            .payload,
        b"content"
    );
}

#[test]
fn rfc7797_4_2_unencoded_detached() {
    let keys = rfc7797_keys();
    let v = jws_verify_detached(RFC7797_COMPACT, b"$.02", &keys, &hs256()).unwrap();
    assert_eq!(v.payload, b"$.02");
    assert!(!v.header.b64());
    let e = jws_verify_detached(RFC7797_COMPACT, b"$.03", &keys, &hs256()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::BadSignature);
    // b64 not understood by the caller: rejected before the signature.
    let mut opts = hs256();
    opts.crit.clear();
    let e = jws_verify_detached(RFC7797_COMPACT, b"$.02", &keys, &opts).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::UnsupportedCrit);
    // Our signer reproduces the RFC's token byte for byte.
    let key = Key::hmac(URL_SAFE_NO_PAD.decode(RFC7797_KEY_B64U).unwrap());
    let token = Signer::new(&key, JwsAlg::HS256)
        .unwrap()
        .param("b64", false.into())
        .build()
        .unwrap()
        .sign_detached(b"$.02")
        .unwrap();
    assert_eq!(token, RFC7797_COMPACT);
}

#[test]
fn sign_detached_round_trips_any_octets() {
    let key = Key::generate(jwtkit::jwk::KeySpec::Ec(jwtkit::EcCurve::P256)).unwrap();
    let public = JwkSet::from_keys(vec![key.to_public().unwrap()]);
    let content: Vec<u8> = (0u8..=255).chain(b"a.b.c".iter().copied()).collect();
    for b64 in [true, false] {
        let mut s = Signer::new(&key, JwsAlg::ES256).unwrap();
        if !b64 {
            s = s.param("b64", false.into());
        }
        let token = s.build().unwrap().sign_detached(&content).unwrap();
        assert_eq!(token.split('.').nth(1), Some(""));
        let v = jws_verify_detached(&token, &content, &public, &JwsOptions::new(JwsAlg::ES256)).unwrap();
        assert_eq!(v.payload, content);
        let mut other = content.clone();
        other[0] ^= 1;
        let e = jws_verify_detached(&token, &other, &public, &JwsOptions::new(JwsAlg::ES256)).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::BadSignature);
    }
}

#[test]
fn detached_jwt_claims_are_validated() {
    let key = Key::hmac(vec![9u8; 32]);
    let claims = br#"{"iss":"https://issuer.example","sub":"42","exp":1700000600}"#;
    let token = Signer::new(&key, JwsAlg::HS256)
        .unwrap()
        .typ("JWT")
        .build()
        .unwrap()
        .sign_detached(claims)
        .unwrap();
    let keys = JwkSet::from_keys(vec![key]);
    let validation = |now| {
        Validation::builder(JwsAlg::HS256)
            .now(now)
            .leeway(Duration::ZERO)
            .issuer("https://issuer.example")
            .build()
            .unwrap()
    };
    let v = verify_detached_jwt(&token, claims, &keys, &validation(1_700_000_000)).unwrap();
    assert_eq!(v.claims.get("sub").and_then(|s| s.as_str()), Some("42"));
    let e = verify_detached_jwt(&token, claims, &keys, &validation(1_700_000_601)).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Expired);
    // Without the content: the signature over the empty payload fails first.
    let e = jwtkit::verify(&token, &keys, &validation(1_700_000_000)).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::BadSignature);
    // Detached content that is not a claims set: the signature verifies, the claims do not parse.
    let text = Signer::new(keys.keys().first().unwrap(), JwsAlg::HS256)
        .unwrap()
        .build()
        .unwrap()
        .sign_detached(b"not json")
        .unwrap();
    let e = verify_detached_jwt(&text, b"not json", &keys, &validation(1_700_000_000)).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::BadJson);
}

#[test]
fn the_content_counts_toward_the_token_limit() {
    let key = Key::hmac(vec![7u8; 32]);
    let signer = Signer::new(&key, JwsAlg::HS256).unwrap().build().unwrap();
    let keys = JwkSet::from_keys(vec![Key::hmac(vec![7u8; 32])]);
    // 300 bytes of content: 400 base64url characters.
    let content = vec![b'x'; 300];
    let token = signer.sign_detached(&content).unwrap();
    let limit = token.len() + 400;
    let mut opts = hs256();
    opts.limits = Limits {
        max_token_bytes: limit,
        ..Limits::default()
    };
    assert!(jws_verify_detached(&token, &content, &keys, &opts).is_ok());
    opts.limits.max_token_bytes = limit - 1;
    let e = jws_verify_detached(&token, &content, &keys, &opts).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::ResourceLimit);
    assert_eq!(
        e.detail(),
        Some(&Detail::Limit {
            what: "token_bytes_with_the_detached_payload",
            limit: (limit - 1) as u64,
            actual: limit as u64
        })
    );
    // JSON: the same rule.
    let json = format!(
        r#"{{"protected":"{}","signature":"{}"}}"#,
        token.split('.').next().unwrap(),
        token.rsplit('.').next().unwrap()
    );
    opts.limits.max_token_bytes = json.len() + 400;
    assert!(jws_verify_detached(&json, &content, &keys, &opts).is_ok());
    opts.limits.max_token_bytes = json.len() + 399;
    let e = jws_verify_detached(&json, &content, &keys, &opts).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::ResourceLimit);
    // Default limit: 256 KiB of content does not fit once encoded.
    let e = jws_verify_detached(&token, &vec![0u8; 256 * 1024], &keys, &hs256()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::ResourceLimit);
}

#[test]
fn hostile_tokens_with_content_never_panic() {
    let keys = rfc7520_keys();
    let inputs = [
        "",
        ".",
        "..",
        "...",
        "{",
        "{}",
        r#"{"signatures":[]}"#,
        r#"{"payload":null,"protected":"e30","signature":""}"#,
        r#"{"protected":"e30","signature":""}"#,
        "e30..",
        "eyJhbGciOiJIUzI1NiJ9..",
        "eyJhbGciOiJIUzI1NiJ9..!!",
        "eyJhbGciOiJub25lIn0..",
        "eyJhbGciOiJIUzI1NiIsImI2NCI6ZmFsc2V9..c2ln",
    ];
    for t in inputs {
        for content in [&b""[..], b"x", b"a.b", &[0xff, 0xfe]] {
            let e = jws_verify_detached(t, content, &keys, &hs256()).unwrap_err();
            assert_ne!(e.kind(), ErrorKind::InvalidConfig, "{t}");
            let _ = jwtkit::diagnose::Diagnosis::explain(
                jwtkit::jws::Input::new(t).detached(content),
                &keys,
                &Validation::builder(JwsAlg::HS256).build().unwrap(),
                &[],
            );
        }
    }
}

#[test]
fn diagnosis_says_the_content_may_be_detached() {
    let keys = rfc7520_keys();
    let validation = Validation::builder(JwsAlg::HS256).build().unwrap();
    for token in [RFC7520_COMPACT, RFC7520_GENERAL] {
        let d = jwtkit::diagnose::Diagnosis::explain(token, &keys, &validation, &[]);
        assert!(
            d.hints.iter().any(|h| h.id == "detached_payload"),
            "{token}: {d:?}"
        );
        // With the content: the hint is gone, the key verifies.
        let d = jwtkit::diagnose::Diagnosis::explain(
            detached(token, RFC7520_PAYLOAD.as_bytes()),
            &keys,
            &validation,
            &[],
        );
        assert!(d.hints.is_empty(), "{d:?}");
        assert_eq!(d.attempts.len(), 1);
        assert_eq!(d.attempts[0].outcome, "verified");
        // Wrong content: tried, bad_signature, no detached hint.
        let d = jwtkit::diagnose::Diagnosis::explain(detached(token, b"other"), &keys, &validation, &[]);
        assert_eq!(d.attempts[0].outcome, "bad_signature");
        assert!(!d.hints.iter().any(|h| h.id == "detached_payload"));
    }
    // A JSON JWS without "payload" decodes without errors, saying the content is detached.
    let u = jwtkit::dangerous::Unverified::decode(RFC7520_FLAT, &Limits::default());
    assert!(u.errors.is_empty(), "{:?}", u.errors);
    assert_eq!(u.payload, jwtkit::dangerous::Payload::Missing);
    assert!(u.notes.iter().any(|n| n.contains("detached")), "{:?}", u.notes);
    assert_eq!(u.alg(), Some("HS256"));
}

/// A JWT whose claims set is detached content, through the core's one pipeline.
fn verify_detached_jwt(
    token: &str,
    claims: &[u8],
    keys: &JwkSet,
    validation: &jwtkit::Validation,
) -> Result<jwtkit::Verified, jwtkit::Error> {
    jwtkit::jwt::verify_local(jwtkit::jwt::Input::new(token).detached(claims), keys, validation).into_result()
}

/// A token with its detached content, as the pipeline and the diagnosis take it.
fn detached<'t>(token: &'t str, content: &'t [u8]) -> jwtkit::jws::Input<'t> {
    jwtkit::jws::Input::new(token).detached(content)
}
