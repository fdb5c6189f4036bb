//! `private_key_jwt` (RFC 7523 §2.2): a client signs an assertion with its own key.

use axum::http::StatusCode;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jwtkit::jwk::KeySpec;
use jwtkit::jws::Signer;
use jwtkit::{JwsAlg, Key};
use serde_json::Map;
use serde_json::{Value, json};

use crate::harness::{CONFIG, ISS, T, verify};

struct Signed {
    t: T,
    key: Key,
    _dir: tempfile::TempDir,
}

fn setup() -> Signed {
    let dir = tempfile::tempdir().unwrap();
    let key = Key::generate(KeySpec::Ec(jwtkit::EcCurve::P256))
        .unwrap()
        .with_kid("signed-1");
    let set = json!({ "keys": [Value::Object(key.to_public().unwrap().to_jwk(false))] });
    let path = dir.path().join("signed.jwks.json");
    std::fs::write(&path, set.to_string()).unwrap();
    let cfg = format!(
        "{CONFIG}\n[[clients]]\nclient_id = \"signed\"\njwks = \"{}\"\ngrant_types = [\"client_credentials\"]\nscopes = [\"orders:read\"]\n",
        path.display()
    );
    Signed {
        t: T::with_config(&cfg),
        key,
        _dir: dir,
    }
}

fn claims(t: &T, changes: Value) -> Map<String, Value> {
    let mut c: Map<String, Value> = json!({
        "iss": "signed", "sub": "signed", "aud": format!("{ISS}/token"),
        "jti": format!("j-{}", rand_suffix()), "iat": t.now(), "exp": t.now() + 60,
    })
    .as_object()
    .unwrap()
    .clone();
    for (k, v) in changes.as_object().unwrap() {
        if v.is_null() {
            c.remove(k);
        } else {
            c.insert(k.clone(), v.clone());
        }
    }
    c
}

fn rand_suffix() -> String {
    let mut b = [0u8; 8];
    aws_lc_rs::rand::fill(&mut b).unwrap();
    URL_SAFE_NO_PAD.encode(b)
}

fn sign(key: &Key, c: &Map<String, Value>) -> String {
    Signer::new(key, JwsAlg::ES256)
        .unwrap()
        .build()
        .unwrap()
        .sign_claims(c)
        .unwrap()
}

async fn cc(t: &T, assertion: &str) -> crate::harness::Reply {
    t.post(
        "/token",
        &[
            ("grant_type", "client_credentials"),
            (
                "client_assertion_type",
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            ),
            ("client_assertion", assertion),
        ],
        None,
    )
    .await
}

#[tokio::test]
async fn a_valid_assertion_authenticates_and_cannot_be_replayed() {
    let s = setup();
    let a = sign(&s.key, &claims(&s.t, json!({})));
    let r = cc(&s.t, &a).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let (_, at) = verify(r.json()["access_token"].as_str().unwrap(), &s.t.jwks().await).unwrap();
    assert_eq!(at["sub"], "signed");
    assert_eq!(at["scope"], "orders:read");
    let replay = cc(&s.t, &a).await;
    assert_eq!(replay.status, StatusCode::UNAUTHORIZED);
    assert!(replay.text().contains("already used"));
    // The issuer identifier is an accepted audience too.
    let a = sign(&s.key, &claims(&s.t, json!({ "aud": [ISS] })));
    assert_eq!(cc(&s.t, &a).await.status, StatusCode::OK);
    let d = s.t.get("/.well-known/openid-configuration").await.json();
    assert!(
        d["token_endpoint_auth_methods_supported"]
            .as_array()
            .unwrap()
            .contains(&json!("private_key_jwt"))
    );
}

#[tokio::test]
async fn bad_assertions_are_invalid_client() {
    let s = setup();
    let t = &s.t;
    let other = Key::generate(KeySpec::Ec(jwtkit::EcCurve::P256)).unwrap();
    let cases = [
        ("another key", sign(&other, &claims(t, json!({})))),
        (
            "wrong aud",
            sign(
                &s.key,
                &claims(t, json!({ "aud": "https://elsewhere.example/token" })),
            ),
        ),
        (
            "sub differs",
            sign(&s.key, &claims(t, json!({ "sub": "backend" }))),
        ),
        (
            "expired",
            sign(&s.key, &claims(t, json!({ "exp": t.now() - 61 }))),
        ),
        (
            "too long",
            sign(&s.key, &claims(t, json!({ "exp": t.now() + 3600 }))),
        ),
        ("no jti", sign(&s.key, &claims(t, json!({ "jti": null })))),
        (
            "future iat",
            sign(&s.key, &claims(t, json!({ "iat": t.now() + 600 }))),
        ),
        (
            "unknown client",
            sign(&s.key, &claims(t, json!({ "iss": "ghost", "sub": "ghost" }))),
        ),
        ("garbage", "not.a.jwt".to_string()),
    ];
    for (name, a) in cases {
        let r = cc(t, &a).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{name}: {}", r.text());
        assert_eq!(r.error(), "invalid_client", "{name}");
    }
    // HS256 "signed" with the public key's bytes: the algorithms come from the key, not the token.
    // (jwtkit itself refuses such a secret; the attacker opts in to craft the token.)
    let hs = Key::hmac(s.key.public_key_der().unwrap()).allow_public_key_secret();
    let forged = Signer::new(&hs, JwsAlg::HS256)
        .unwrap()
        .build()
        .unwrap()
        .sign_claims(&claims(t, json!({})))
        .unwrap();
    assert_eq!(cc(t, &forged).await.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_key_client_cannot_fall_back_to_secrets_or_mix_methods() {
    let s = setup();
    let r =
        s.t.post(
            "/token",
            &[("grant_type", "client_credentials"), ("client_id", "signed")],
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(r.text().contains("private_key_jwt"));
    let a = sign(&s.key, &claims(&s.t, json!({})));
    let r =
        s.t.post(
            "/token",
            &[
                ("grant_type", "client_credentials"),
                (
                    "client_assertion_type",
                    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                ),
                ("client_assertion", &a),
            ],
            Some(("signed", "x")),
        )
        .await;
    assert_eq!(r.error(), "invalid_request");
}
