//! Strictness classes found in other JOSE libraries (issue 12 items 1, 2, 5) and typed claims
//! (item 11). Each regression test is named after the public report that shows the class.

use aws_lc_rs::hmac;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jwtkit::jwe::{DecryptOptions, Encrypter};
use jwtkit::jws::{self, JwsOptions, Signer};
use jwtkit::jwt::Input;
use jwtkit::{AlgorithmSet, Check, EncAlg, ErrorKind, JwkSet, JwsAlg, Key, KeyMgmtAlg, Validation};
use serde::Deserialize;
use serde_json::{Value, json};

mod common;
use common::jws_verify;

use common::{HS256_SECRET as SECRET, hs256_keys};

fn hs256() -> Validation {
    Validation::builder(JwsAlg::HS256).build().unwrap()
}

/// A compact JWS with this exact header and payload segment, HMAC-SHA-256 over
/// `BASE64URL(header) . payload_segment` (a correct signature, so only the rule under test
/// can refuse it).
fn hs256_token(header: &Value, payload_segment: &str) -> String {
    let h = URL_SAFE_NO_PAD.encode(serde_json::to_vec(header).unwrap());
    let input = format!("{h}.{payload_segment}");
    let tag = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, SECRET), input.as_bytes());
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(tag.as_ref()))
}

// ---- Item 1: `b64` (RFC 7797) ------------------------------------------------------------

/// auth0/node-jwa#36 (panva: "`b64: false` MUST be accompanied by `crit: [\"b64\"]`") and
/// benmcollins/libjwt#329 ("rejects a `b64:false` token unless `b64` is in `crit`, before any
/// signature work"): an uncritical `b64: false` is malformed, though its signature is right
/// for the unencoded payload.
#[test]
fn b64_false_outside_crit_is_malformed_node_jwa_36() {
    let token = hs256_token(&json!({"alg": "HS256", "b64": false}), "$02");
    let e = jws_verify(&token, &hs256_keys(), &JwsOptions::new(JwsAlg::HS256)).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Malformed);
    assert_eq!(e.check(), Check::HeaderParams);
    assert!(e.message().contains("not listed in \"crit\""), "{}", e.message());
    // The same payload under `crit: ["b64"]` verifies: the rule is about crit, not b64.
    let critical = hs256_token(&json!({"alg": "HS256", "b64": false, "crit": ["b64"]}), "$02");
    let v = jws_verify(&critical, &hs256_keys(), &JwsOptions::new(JwsAlg::HS256)).unwrap();
    assert_eq!(v.payload, b"$02");
    // `"b64": true` outside crit changes nothing (the default) and is accepted.
    let neutral = hs256_token(
        &json!({"alg": "HS256", "b64": true}),
        &URL_SAFE_NO_PAD.encode(b"$.02"),
    );
    let v = jws_verify(&neutral, &hs256_keys(), &JwsOptions::new(JwsAlg::HS256)).unwrap();
    assert_eq!(v.payload, b"$.02");
}

/// The flattened JSON serialization of RFC 7797 §4.2 omits `crit`: refused the same way.
#[test]
fn b64_false_outside_crit_in_json_serialization_is_malformed_node_jwa_36() {
    let token = r#"{"payload":"$.02","protected":"eyJhbGciOiJIUzI1NiIsImI2NCI6ZmFsc2V9","signature":"GsyM6AQJbQHY8aQKCbZSPJHzMRWo3HKIlcDuXof7nqs"}"#;
    let key = Key::hmac(
        URL_SAFE_NO_PAD
            .decode("AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow")
            .unwrap(),
    );
    let e = jws_verify(
        token,
        &JwkSet::from_keys(vec![key]),
        &JwsOptions::new(JwsAlg::HS256),
    )
    .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Malformed);
    assert!(e.message().contains("\"crit\""), "{}", e.message());
}

/// microprofile/microprofile-jwt-auth#301 ("Reject token with un-encoded payload
/// (b64=false)"; RFC 7797 §7: JWTs MUST NOT use `"b64": false`): a JWT verifier refuses it
/// before asking for a key, even with `crit` right and the signature right; the same token is
/// a valid JWS.
#[test]
fn jwt_with_b64_false_is_refused_microprofile_jwt_auth_301() {
    let key = Key::hmac(SECRET.to_vec());
    let token = Signer::new(&key, JwsAlg::HS256)
        .unwrap()
        .param("b64", false.into())
        .build()
        .unwrap()
        .sign(br#"{"sub":"42","exp":4102444800}"#)
        .unwrap();
    let v = jws_verify(&token, &hs256_keys(), &JwsOptions::new(JwsAlg::HS256)).unwrap();
    assert_eq!(v.payload, br#"{"sub":"42","exp":4102444800}"#);
    let keys = hs256_keys();
    let outcome = jwtkit::jwt::verify_local(&token, &keys, &hs256());
    let e = outcome.error.as_ref().unwrap();
    assert_eq!((e.kind(), e.check()), (ErrorKind::Malformed, Check::HeaderParams));
    assert!(e.message().contains("RFC 7797 §7"), "{}", e.message());
    assert!(!outcome.signature_verified());
    assert!(outcome.keys().is_none(), "refused before any key was asked for");
    // Detached content does not make it a JWT either.
    let detached = Signer::new(&key, JwsAlg::HS256)
        .unwrap()
        .param("b64", false.into())
        .build()
        .unwrap()
        .sign_detached(br#"{"sub":"42"}"#)
        .unwrap();
    let input = Input::new(&detached).detached(br#"{"sub":"42"}"#);
    let e = jwtkit::jwt::verify_local(input, &hs256_keys(), &hs256())
        .into_result()
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Malformed);
    // A JWS verified as such (signature only) may use it.
    let jws_only = Input::new(&token).signature_only();
    assert!(jwtkit::jwt::verify_local(jws_only, &hs256_keys(), &hs256()).signature_verified());
}

// ---- Item 2: a JWT is compact; JWE `zip` protected; JWE structure first ------------------

/// go-jose/go-jose#75 ("jwt: accept only Compact Serialization", after the polyglot-token
/// attack of Tervoort, Black Hat USA 2023), latchset/jwcrypto#342, lestrrat-go/jwx#1078: a
/// JWS JSON serialization is not a JWT unless the caller asks for JSON.
#[test]
fn jwt_in_json_serialization_is_refused_unless_asked_go_jose_75() {
    let key = Key::hmac(SECRET.to_vec());
    let signer = Signer::new(&key, JwsAlg::HS256).unwrap().build().unwrap();
    let claims = br#"{"sub":"42","exp":4102444800}"#;
    for flattened in [true, false] {
        let token = jws::JwsJson::sign(claims, &[(&signer, None)], flattened).unwrap();
        let e = jwtkit::verify(&token, &hs256_keys(), &hs256()).unwrap_err();
        assert_eq!((e.kind(), e.check()), (ErrorKind::Malformed, Check::Segments));
        assert!(e.message().contains("RFC 7519 §7.2"), "{}", e.message());
        assert!(e.message().contains("json_serialization"), "{}", e.message());
        // Leading whitespace does not hide it.
        let spaced = format!("  {token}");
        let e = jwtkit::verify(&spaced, &hs256_keys(), &hs256()).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Malformed);
        // Asked for: verifies, claims and all.
        let input = Input::new(&token).json_serialization();
        let v = jwtkit::jwt::verify_local(input, &hs256_keys(), &hs256())
            .into_result()
            .unwrap();
        assert_eq!(v.claims.get("sub"), Some(&json!("42")));
        // compact_only() undoes it.
        let input = Input::new(&token).json_serialization().compact_only();
        let e = jwtkit::jwt::verify_local(input, &hs256_keys(), &hs256())
            .into_result()
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Malformed);
        // A JWS verifier (not a JWT) keeps taking both serializations.
        assert_eq!(
            jws_verify(&token, &hs256_keys(), &JwsOptions::new(JwsAlg::HS256))
                .unwrap()
                .payload,
            claims
        );
    }
}

fn jwe_key() -> Key {
    Key::hmac(vec![9u8; 16])
}

fn jwe_opts() -> DecryptOptions {
    DecryptOptions::new(KeyMgmtAlg::A128KW, EncAlg::A128GCM)
}

/// lestrrat-go/jwx#2206 ("read jwe zip only from protected header"; RFC 7516 §4.1.3 says `zip`
/// MUST be integrity protected): a `zip` in the shared or per-recipient unprotected header of
/// a JSON JWE is malformed, not honoured and not ignored.
#[test]
fn jwe_zip_outside_the_protected_header_is_malformed_jwx_2206() {
    let key = jwe_key();
    let plain = Encrypter::with_enc(EncAlg::A128GCM)
        .recipient(&key, KeyMgmtAlg::A128KW)
        .unwrap()
        .encrypt_json(br#"{"sub":"42"}"#, false)
        .unwrap();
    let keys = JwkSet::from_keys(vec![jwe_key()]);
    assert_eq!(
        jwe_opts().decrypt(&plain, &keys).unwrap().plaintext,
        br#"{"sub":"42"}"#
    );
    let mut doc: Value = serde_json::from_str(&plain).unwrap();
    doc["unprotected"] = json!({"zip": "DEF"});
    let e = jwe_opts().decrypt(&doc.to_string(), &keys).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Malformed);
    assert!(e.message().contains("RFC 7516 §4.1.3"), "{}", e.message());
    let mut doc: Value = serde_json::from_str(&plain).unwrap();
    doc["recipients"][0]["header"]["zip"] = json!("DEF");
    let e = jwe_opts().decrypt(&doc.to_string(), &keys).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Malformed);
    assert!(e.message().contains("recipient header"), "{}", e.message());
    // In the protected header it is honoured.
    let zipped = Encrypter::with_enc(EncAlg::A128GCM)
        .recipient(&key, KeyMgmtAlg::A128KW)
        .unwrap()
        .deflate(true)
        .encrypt_json(br#"{"sub":"42"}"#, true)
        .unwrap();
    let d = jwe_opts().decrypt(&zipped, &keys).unwrap();
    assert_eq!(
        (d.plaintext.as_slice(), d.header.zip()),
        (&br#"{"sub":"42"}"#[..], Some("DEF"))
    );
}

/// A compact JWE with a segment missing or added is `malformed` whatever the allowlists say:
/// structure is checked before the allowlist (and before the allowlist's own sanity check).
#[test]
fn jwe_with_wrong_segment_count_is_malformed_whatever_the_allowlist() {
    let token = Encrypter::new(&jwe_key(), KeyMgmtAlg::A128KW, EncAlg::A128GCM)
        .unwrap()
        .encrypt(b"x")
        .unwrap();
    let keys = JwkSet::from_keys(vec![jwe_key()]);
    let (last_dot, _) = token.rsplit_once('.').unwrap();
    for bad in [last_dot.to_string(), format!("{token}.AAAA")] {
        for opts in [
            jwe_opts(),
            DecryptOptions::new(KeyMgmtAlg::RSA_OAEP, EncAlg::A256GCM),
            DecryptOptions::new(
                AlgorithmSet::<KeyMgmtAlg>::empty(),
                AlgorithmSet::<EncAlg>::empty(),
            ),
        ] {
            let e = opts.decrypt(&bad, &keys).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Malformed, "{bad}: {}", e.message());
        }
    }
    // A well-formed token with an empty allowlist is still a configuration error.
    let e = (DecryptOptions::new(
        AlgorithmSet::<KeyMgmtAlg>::empty(),
        AlgorithmSet::<EncAlg>::empty(),
    ))
    .decrypt(&token, &keys)
    .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidConfig);
}

// ---- Item 5: compressed JWE limits -------------------------------------------------------

/// A pretty-printed entitlement list of 200 KiB (40 tenants repeating; deflates about 120×).
fn entitlements(tenants: usize) -> String {
    let mut doc = String::from("{\n  \"entitlements\": [\n");
    let mut i = 0;
    while doc.len() < 200 * 1024 {
        doc.push_str(&format!(
            "    {{\n      \"resource\": \"orders\",\n      \"action\": \"read\",\n      \"tenant\": \"t-{}\"\n    }},\n",
            i % tenants
        ));
        i += 1;
    }
    doc + "    {}\n  ]\n}"
}

/// The inflate-ratio limit counts only beyond a floor of output, the absolute limit stays: an
/// honest 200 KiB compressed claims set decrypts end to end; a bomb (16 MiB of zeros) stops at
/// the absolute limit and 200 KiB of one byte at the ratio.
#[test]
fn honest_200_kib_compressed_document_decrypts_and_bombs_are_refused() {
    let key = jwe_key();
    let keys = JwkSet::from_keys(vec![jwe_key()]);
    let encrypt = |plaintext: &[u8]| {
        Encrypter::new(&key, KeyMgmtAlg::A128KW, EncAlg::A128GCM)
            .unwrap()
            .deflate(true)
            .encrypt(plaintext)
            .unwrap()
    };
    let doc = entitlements(40);
    assert!(doc.len() >= 200 * 1024);
    let d = jwe_opts().decrypt(&encrypt(doc.as_bytes()), &keys).unwrap();
    assert_eq!(d.plaintext, doc.as_bytes());
    let e = jwe_opts()
        .decrypt(&encrypt(&vec![0u8; 16 * 1024 * 1024]), &keys)
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::ResourceLimit);
    assert_eq!(e.to_json()["limit"]["what"], "inflated_bytes");
    let e = jwe_opts()
        .decrypt(&encrypt(&vec![b' '; 200 * 1024]), &keys)
        .unwrap_err();
    assert_eq!(e.to_json()["limit"]["what"], "inflate_ratio");
}

// ---- Item 11: typed claims -----------------------------------------------------------------

#[derive(Debug, Deserialize, PartialEq)]
struct Access {
    iss: String,
    sub: String,
    aud: Vec<String>,
    exp: u64,
    scope: String,
    roles: Vec<String>,
    tenant: Tenant,
    amount: f64,
}

#[derive(Debug, Deserialize, PartialEq)]
struct Tenant {
    id: u32,
    region: String,
}

fn signed(claims: &str) -> String {
    common::hs256_signed(claims.as_bytes())
}

#[test]
fn claims_as_reads_a_typed_struct_from_the_verified_claims() {
    let token = signed(
        r#"{"iss":"https://auth.example.com/","sub":"user-1","aud":["orders","billing"],"exp":4102444800,"scope":"orders:read","roles":["admin"],"tenant":{"id":7,"region":"eu-west-1"},"amount":12.5,"extra":{"ignored":[1,2,3]}}"#,
    );
    let validation = Validation::builder(JwsAlg::HS256)
        .audience("orders")
        .build()
        .unwrap();
    let v = jwtkit::verify(&token, &hs256_keys(), &validation).unwrap();
    let access: Access = v.claims_as().unwrap();
    assert_eq!(
        access,
        Access {
            iss: "https://auth.example.com/".into(),
            sub: "user-1".into(),
            aud: vec!["orders".into(), "billing".into()],
            exp: 4_102_444_800,
            scope: "orders:read".into(),
            roles: vec!["admin".into()],
            tenant: Tenant {
                id: 7,
                region: "eu-west-1".into()
            },
            amount: 12.5,
        }
    );
    // Claims built from an object read the same.
    let from_object = jwtkit::Claims::new(v.claims.as_object().clone());
    assert_eq!(from_object.deserialize::<Access>().unwrap(), access);
    // serde_json::Value keeps working too (lossless numbers).
    let raw: Value = v.claims_as().unwrap();
    assert_eq!(raw["tenant"]["id"], json!(7));
}

#[test]
fn claims_as_that_do_not_fit_the_type_are_bad_json_without_the_value() {
    let token = signed(r#"{"sub":"s3cr3t-subject","exp":4102444800}"#);
    let v = jwtkit::verify(&token, &hs256_keys(), &hs256()).unwrap();
    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct WrongType {
        sub: u64,
    }
    let e = v.claims_as::<WrongType>().unwrap_err();
    assert_eq!((e.kind(), e.check()), (ErrorKind::BadJson, Check::ClaimsSet));
    assert!(
        e.message().contains("invalid type: string, expected u64"),
        "{}",
        e.message()
    );
    assert!(!e.message().contains("s3cr3t"), "{}", e.message());
    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Missing {
        scope: String,
    }
    let e = v.claims_as::<Missing>().unwrap_err();
    assert!(e.message().contains("missing field `scope`"), "{}", e.message());
}
