//! The debugger's `"strict": true` (issue 12 item 4): the pasted text must be exactly a token;
//! without it a repaired token is still valid, and the report says what was removed.

mod common;

use serde_json::{Value, json};

use common::*;

fn token() -> String {
    hs256(r#"{"sub":"42","exp":4102444800}"#, SECRET.as_bytes())
}

#[tokio::test]
async fn strict_refuses_any_repair_naming_the_byte_offset() {
    let t = token();
    let pasted = format!("Authorization: Bearer {t}");
    let r = post(
        "verify",
        json!({"token": pasted, "key": secret(SECRET, false), "strict": true}),
    )
    .await;
    assert_eq!(r["valid"], false);
    assert_eq!(r["signature"]["verified"], false);
    assert_eq!(r["signature"]["error"]["kind"], "malformed");
    let message = r["signature"]["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("byte 0 starts an Authorization/Bearer prefix (22 bytes"),
        "{message}"
    );
    assert!(!message.contains(&t), "never the token");
    assert_eq!(
        r["repaired"],
        json!([{"kind": "prefix", "offset": 0, "bytes": 22}])
    );
    assert!(
        r["command"].as_str().unwrap().ends_with(" --strict"),
        "{}",
        r["command"]
    );
    // A line break inside: the offset of the break.
    let wrapped = format!("{}\n{}", &t[..30], &t[30..]);
    let r = post(
        "verify",
        json!({"token": wrapped, "key": secret(SECRET, false), "strict": true}),
    )
    .await;
    assert_eq!(r["signature"]["error"]["kind"], "malformed");
    assert!(
        r["signature"]["error"]["message"]
            .as_str()
            .unwrap()
            .contains("byte 30 starts whitespace inside the token"),
        "{}",
        r["signature"]["error"]["message"]
    );
    // Exactly the token: valid, nothing repaired.
    let r = post(
        "verify",
        json!({"token": t, "key": secret(SECRET, false), "strict": true}),
    )
    .await;
    assert_eq!(r["valid"], true);
    assert_eq!(r["repaired"], json!([]));
    assert_eq!(r["repaired_summary"], Value::Null);
}

#[tokio::test]
async fn without_strict_a_repaired_token_is_valid_and_says_what_was_removed() {
    let t = token();
    let r = post(
        "verify",
        json!({"token": format!("\"{t}\""), "key": secret(SECRET, false)}),
    )
    .await;
    assert_eq!(r["valid"], true);
    assert_eq!(
        r["repaired"],
        json!([{"kind": "quote", "offset": 0, "bytes": 1}, {"kind": "quote", "offset": t.len() + 1, "bytes": 1}])
    );
    assert_eq!(r["repaired_summary"], "quotes");
    assert!(!r["command"].as_str().unwrap().contains("--strict"));
}

#[tokio::test]
async fn strict_keeps_a_jwt_compact() {
    let key = jwtkit::Key::hmac(SECRET.as_bytes().to_vec());
    let signer = jwtkit::jws::Signer::new(&key, jwtkit::JwsAlg::HS256)
        .unwrap()
        .build()
        .unwrap();
    let json_jws = jwtkit::jws::JwsJson::sign(br#"{"sub":"42"}"#, &[(&signer, None)], true).unwrap();
    let r = post("verify", json!({"token": json_jws, "key": secret(SECRET, false)})).await;
    assert_eq!(r["valid"], true, "{r}");
    let r = post(
        "verify",
        json!({"token": json_jws, "key": secret(SECRET, false), "strict": true}),
    )
    .await;
    assert_eq!(r["valid"], false);
    assert_eq!(r["signature"]["error"]["kind"], "malformed");
    assert!(
        r["signature"]["error"]["message"]
            .as_str()
            .unwrap()
            .contains("RFC 7519 §7.2")
    );
}
