//! The debugger's API on JWE tokens (issue 6): `/api/verify` decrypts through the core and
//! verifies the nested JWT, with three allowlists; `/api/decode` shows the JWE header.

mod common;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

use common::*;
use jwtkit::jwe::{EncAlg, Encrypter, KeyMgmtAlg};
use jwtkit::jwk::KeySpec;
use jwtkit::{JwsAlg, Key};

struct Fixture {
    token: String,
    rsa_private: String,
    ed_public: String,
}

fn fixture() -> Fixture {
    let ed = Key::generate(KeySpec::Okp(jwtkit::OkpCurve::Ed25519)).unwrap();
    let inner = jwtkit::jws::Signer::new(&ed, JwsAlg::EdDSA)
        .unwrap()
        .typ("JWT")
        .build()
        .unwrap()
        .sign(br#"{"sub":"alice","iss":"https://issuer.example","exp":4102444800}"#)
        .unwrap();
    let rsa = Key::generate(KeySpec::Rsa(2048)).unwrap();
    let token = Encrypter::new(&rsa, KeyMgmtAlg::RSA_OAEP_256, EncAlg::A256GCM)
        .unwrap()
        .cty("JWT")
        .encrypt(inner.as_bytes())
        .unwrap();
    Fixture {
        token,
        rsa_private: Value::Object(rsa.to_jwk(true)).to_string(),
        ed_public: Value::Object(ed.to_jwk(false)).to_string(),
    }
}

#[tokio::test]
async fn nested_jwt_decrypts_then_verifies() {
    let f = fixture();
    let v = post(
        "verify",
        json!({
            "token": f.token,
            "key": {"type": "key", "value": f.ed_public},
            "decryption_key": {"type": "key", "value": f.rsa_private},
            "issuer": "https://issuer.example",
        }),
    )
    .await;
    assert_eq!(v["valid"], true, "{v}");
    assert_eq!(v["jwe"]["decrypted"], true);
    assert_eq!(v["jwe"]["alg"], "RSA-OAEP-256");
    assert_eq!(v["jwe"]["enc"], "A256GCM");
    assert_eq!(v["jwe"]["header"]["cty"], "JWT");
    assert_eq!(v["signature"]["verified"], true);
    assert_eq!(v["signature"]["alg"], "EdDSA");
    assert_eq!(v["claims"]["claims"]["sub"], "alice");

    // The wrong issuer: decrypted and signed, claims rejected.
    let v = post(
        "verify",
        json!({
            "token": f.token,
            "key": {"type": "key", "value": f.ed_public},
            "decryption_key": {"type": "key", "value": f.rsa_private},
            "issuer": "https://other.example",
        }),
    )
    .await;
    assert_eq!(
        (v["valid"].clone(), v["claims"]["error"]["kind"].clone()),
        (false.into(), "bad_issuer".into())
    );

    // Content encryption allowlist without A256GCM: not decrypted.
    let v = post(
        "verify",
        json!({
            "token": f.token,
            "key": {"type": "key", "value": f.ed_public},
            "decryption_key": {"type": "key", "value": f.rsa_private},
            "encryptions": "A128GCM",
        }),
    )
    .await;
    assert_eq!(v["valid"], false);
    assert_eq!(v["jwe"]["decrypted"], false);
    assert_eq!(v["jwe"]["error"]["kind"], "alg_not_allowed");

    // A signature allowlist without EdDSA: decrypted, the nested JWT is refused.
    let v = post(
        "verify",
        json!({
            "token": f.token,
            "key": {"type": "key", "value": f.ed_public},
            "decryption_key": {"type": "key", "value": f.rsa_private},
            "algorithms": ["RSA-OAEP-256", "ES256"],
        }),
    )
    .await;
    assert_eq!(v["jwe"]["decrypted"], true);
    assert_eq!(v["signature"]["error"]["kind"], "alg_not_allowed");
    assert_eq!(v["valid"], false);

    // One JWK Set holding both keys is enough.
    let set = format!(r#"{{"keys":[{},{}]}}"#, f.rsa_private, f.ed_public);
    let v = post(
        "verify",
        json!({"token": f.token, "key": {"type": "key", "value": set}}),
    )
    .await;
    assert_eq!(v["valid"], true, "{v}");

    // decode: the JWE Protected Header, the content encrypted.
    let d = post("decode", json!({"token": f.token})).await;
    assert_eq!(d["form"], "jwe_compact");
    assert_eq!(d["header"]["alg"], "RSA-OAEP-256");
    assert_eq!(d["payload"]["type"], "encrypted");
}

#[tokio::test]
async fn json_jwe_and_wrong_key() {
    let kw = Key::hmac(vec![7u8; 16]);
    let token = Encrypter::with_enc(EncAlg::A128CBC_HS256)
        .recipient(&kw, KeyMgmtAlg::A128KW)
        .unwrap()
        .encrypt_json(br#"{"sub":"bob","exp":4102444800}"#, true)
        .unwrap();
    let secret = URL_SAFE_NO_PAD.encode([7u8; 16]);
    let v = post(
        "verify",
        json!({"token": token, "key": {"type": "secret", "value": secret, "base64": true}, "algorithms": "A128KW"}),
    )
    .await;
    assert_eq!(v["valid"], true, "{v}");
    assert_eq!(v["signature"]["result"], "unsigned");
    assert!(
        v["input_notes"].to_string().contains("without a signature"),
        "{v}"
    );
    assert_eq!(v["claims"]["claims"]["sub"], "bob");
    let wrong = URL_SAFE_NO_PAD.encode([8u8; 16]);
    let v = post(
        "verify",
        json!({"token": token, "key": {"type": "secret", "value": wrong, "base64": true}, "algorithms": "A128KW"}),
    )
    .await;
    assert_eq!(v["valid"], false);
    assert_eq!(v["jwe"]["error"]["kind"], "decrypt_failed");
    assert_eq!(v["jwe"]["error"]["message"], "decryption failed");
    // Without naming a key management algorithm the claims set must be signed.
    let v = post(
        "verify",
        json!({"token": token, "key": {"type": "secret", "value": secret, "base64": true}}),
    )
    .await;
    assert_eq!(v["valid"], false);
    assert_eq!(v["signature"]["error"]["kind"], "bad_signature");
}
