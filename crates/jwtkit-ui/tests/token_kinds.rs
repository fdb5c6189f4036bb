//! The debugger's API on token kinds: an SD-JWT (RFC 9901's own examples) decoded whole with its
//! Disclosures and verified through the one pipeline (Disclosures and Key Binding JWT as
//! stages), the token type with the access-token / ID-token confusion warning, and the
//! weak-secret check that answers with the finding, never the secret.

mod common;

use serde_json::{Value, json};

use common::*;

fn rfc9901() -> Value {
    serde_json::from_str(include_str!("../../jwtkit/tests/data/rfc9901.json")).unwrap()
}

fn issuer_jwk() -> Value {
    key_doc(&rfc9901()["issuer_public_jwk"].to_string())
}

#[tokio::test]
async fn decode_keeps_a_pasted_sd_jwt_whole_and_lists_its_disclosures() {
    let v = rfc9901();
    let sd = v["section_5_1"].as_str().unwrap();
    // Pasted from an HTTP header, wrapped by a terminal.
    let pasted = format!("Authorization: Bearer {}\n{}", &sd[..120], &sd[120..]);
    let d = post("decode", json!({"token": pasted})).await;
    assert_eq!(d["token"], sd, "the ~ segments are kept");
    assert_eq!(d["form"], "sd_jwt");
    assert_eq!(d["errors"], json!([]));
    assert_eq!(d["token_type"]["kind"], "sd_jwt");
    assert_eq!(d["token_type"]["declared"], true);
    assert_eq!(d["token_type"]["reason"], "typ example+sd-jwt");
    let s = &d["sd_jwt"];
    assert_eq!(s["presented"], 10);
    assert_eq!(s["undisclosed"], 0);
    assert_eq!(s["sd_alg"], "sha-256");
    assert_eq!(s["key_binding_jwt"], Value::Null);
    let list = s["disclosures"].as_array().unwrap();
    assert_eq!(list.len(), 10);
    let given = list.iter().find(|x| x["pointer"] == "/given_name").unwrap();
    assert_eq!(given["name"], "given_name");
    assert_eq!(given["value"], "John");
    assert_eq!(given["salt"].as_str().unwrap().len(), 22);
    assert_eq!(given["digest"].as_str().unwrap().len(), 43, "base64url SHA-256");
    let nat: Vec<&Value> = list
        .iter()
        .filter(|x| x["pointer"].as_str().unwrap().starts_with("/nationalities/"))
        .map(|x| &x["value"])
        .collect();
    assert_eq!(nat, [&json!("US"), &json!("DE")]);
    // The payload shown is the claims with the Disclosures applied.
    let claims: Value = serde_json::from_str(d["payload"]["json"].as_str().unwrap()).unwrap();
    assert_eq!(claims["given_name"], "John");
    assert_eq!(claims["nationalities"], json!(["US", "DE"]));
    assert!(claims.get("_sd").is_none());
}

#[tokio::test]
async fn verify_checks_disclosures_and_key_binding_in_one_call() {
    let v = rfc9901();
    let sd = v["section_5_1"].as_str().unwrap();
    let r = post(
        "verify",
        json!({"token": sd, "key": issuer_jwk(), "now": "1700000000"}),
    )
    .await;
    assert_eq!(r["valid"], true, "{r}");
    assert_eq!(r["signature"]["alg"], "ES256");
    assert_eq!(r["sd_jwt"]["presented"], 10);
    assert_eq!(r["sd_jwt"]["disclosures"].as_array().unwrap().len(), 10);
    assert_eq!(r["sd_jwt"]["key_binding"], Value::Null);
    assert_eq!(r["sd_jwt"]["failed_at"], Value::Null);
    assert_eq!(r["token_type"]["kind"], "sd_jwt");

    // Appendix A.3: SD-JWT VC with a Key Binding JWT, required for this verifier and nonce.
    let kb = v["appendix_a_3_kb"].as_str().unwrap();
    let expect = &v["appendix_a_3_kb_expect"];
    let now = (expect["iat"].as_i64().unwrap() + 10).to_string();
    let ask = |nonce: &str| json!({"token": kb, "key": issuer_jwk(), "now": now, "kb_audience": expect["aud"], "kb_nonce": nonce});
    let r = post("verify", ask(expect["nonce"].as_str().unwrap())).await;
    assert_eq!(r["valid"], true, "{r}");
    assert_eq!(r["sd_jwt"]["key_binding"]["verified"], true);
    assert_eq!(r["sd_jwt"]["key_binding"]["alg"], "ES256");
    assert_eq!(r["sd_jwt"]["key_binding"]["claims"]["aud"], expect["aud"]);
    assert_eq!(r["token_type"]["kind"], "sd_jwt_vc");
    assert!(
        r["command"].as_str().unwrap().contains("--kb-nonce 1234567890"),
        "{}",
        r["command"]
    );
    // Another nonce: the issuer's signature and Disclosures are good, the key binding is not.
    let r = post("verify", ask("another-nonce")).await;
    assert_eq!(r["valid"], false);
    assert_eq!(r["signature"]["verified"], true);
    assert_eq!(r["claims"]["error"]["kind"], "bad_key_binding");
    assert_eq!(r["claims"]["failed_at"], "SD-JWT key binding");
    assert_eq!(r["sd_jwt"]["failed_at"], "SD-JWT key binding");
}

#[tokio::test]
async fn a_disclosure_the_issuer_did_not_sign_is_rejected_at_the_disclosures_step() {
    let v = rfc9901();
    let sd = v["section_5_1"].as_str().unwrap();
    let forged = jwtkit::sd_jwt::Disclosure::object_property("admin", json!(true)).unwrap();
    let token = format!("{sd}{}~", forged.encoded());
    let d = post("decode", json!({"token": token})).await;
    assert_eq!(d["sd_jwt"]["error"]["kind"], "bad_disclosure");
    let r = post(
        "verify",
        json!({"token": token, "key": issuer_jwk(), "now": "1700000000"}),
    )
    .await;
    assert_eq!(r["valid"], false);
    assert_eq!(r["signature"]["verified"], true);
    assert_eq!(r["claims"]["error"]["kind"], "bad_disclosure");
    assert_eq!(r["sd_jwt"]["failed_at"], "SD-JWT disclosures");
}

#[tokio::test]
async fn an_id_token_where_an_access_token_is_expected_says_so() {
    let id = hs256(
        r#"{"iss":"https://op.example","aud":"app","sub":"u","nonce":"n","at_hash":"h","exp":4102444800}"#,
        SECRET.as_bytes(),
    );
    let d = post("decode", json!({"token": id})).await;
    assert_eq!(d["token_type"]["kind"], "id_token");
    assert_eq!(d["token_type"]["declared"], false);
    assert_eq!(d["token_type"]["reason"], "nonce, at_hash");
    let r = post(
        "verify",
        json!({"token": id, "key": secret(SECRET, false), "typ": "at+jwt"}),
    )
    .await;
    assert_eq!(r["valid"], false);
    assert_eq!(r["claims"]["error"]["kind"], "bad_type");
    let msg = r["claims"]["error"]["message"].as_str().unwrap();
    assert!(
        msg.contains("OpenID Connect ID token") && msg.contains("RFC 9068"),
        "{msg}"
    );
    assert!(
        r["token_type"]["confusion"]
            .as_str()
            .unwrap()
            .contains("where an OAuth 2.0 access token (RFC 9068) is expected")
    );
    // Without an expected typ there is nothing to be confused with.
    let r = post("verify", json!({"token": id, "key": secret(SECRET, false)})).await;
    assert_eq!(r["valid"], true, "{r}");
    assert_eq!(r["token_type"]["confusion"], Value::Null);
}

#[tokio::test]
async fn crack_answers_with_the_finding_never_the_secret() {
    let weak = hs256(r#"{"sub":"1"}"#, b"your-256-bit-secret");
    let (status, _, body) = send(
        api_request("crack", &json!({"token": weak}))
            .body(json!({"token": weak}).to_string().into())
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200);
    let text = String::from_utf8(body).unwrap();
    assert!(!text.contains("your-256-bit-secret"), "{text}");
    let r: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(r["cracked"], true);
    assert_eq!(r["hmac"], true);
    assert_eq!(r["finding"]["id"], "weak_hmac_secret");
    assert!(r["message"].as_str().unwrap().starts_with("cracked: "));
    // (SECRET, jwt.io's sample "a-string-secret-at-least-256-bits-long", is on the list.)
    let strong = hs256(r#"{"sub":"1"}"#, b"tg8Qz1vN5pL0sYc7Hw2mR4uXe6Ab9Dk3");
    let r = post("crack", json!({"token": strong})).await;
    assert_eq!(
        (r["cracked"].clone(), r["hmac"].clone()),
        (json!(false), json!(true))
    );
    assert_eq!(r["finding"], Value::Null);
    let es = es256(&es256_key("k1"), r#"{"sub":"1"}"#);
    let r = post("crack", json!({"token": es})).await;
    assert_eq!(
        (r["cracked"].clone(), r["hmac"].clone()),
        (json!(false), json!(false))
    );
}
