//! The debugger's JSON API, driven in-process through the router (no sockets): decode, verify
//! with every key form (secret as text or base64, PEM, JWK, JWK Set), encode, keygen, findings.

mod common;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

use common::*;
use jwtkit::{JwkSet, JwsAlg, Key, Validation};

// ------------------------------------------------------------------------------ decode

#[tokio::test]
async fn decode_rfc7515_a1() {
    let d = post("decode", json!({"token": A1_TOKEN})).await;
    assert_eq!(d["form"], "jws_compact");
    assert_eq!(d["alg"], "HS256");
    assert_eq!(d["header"]["typ"], "JWT");
    assert_eq!(d["payload"]["type"], "claims");
    let claims: Value = serde_json::from_str(d["payload"]["json"].as_str().unwrap()).unwrap();
    assert_eq!(claims["iss"], "joe");
    assert_eq!(claims["exp"], 1300819380);
    assert_eq!(claims["http://example.com/is_root"], true);
    assert_eq!(d["errors"], json!([]));
    let names: Vec<&str> = d["segments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["header", "payload", "signature"]);
    assert!(d["segments"].as_array().unwrap().iter().all(|s| s["ok"] == true));
    assert_eq!(d["signature"]["length"], 32);
    // Expired since 2011: said plainly, with the date.
    assert_eq!(d["status"]["kind"], "expired");
    assert_eq!(d["status"]["claim"], "exp");
    let exp = &d["times"][0];
    assert_eq!(exp["claim"], "exp");
    assert_eq!(exp["utc"], "2011-03-22 18:43:00 UTC");
    assert_eq!(exp["status"], "expired");
    assert!(exp["relative"].as_str().unwrap().ends_with(" ago"), "{exp}");
}

#[tokio::test]
async fn decode_with_fixed_now_shows_relative_times() {
    let d = post(
        "decode",
        json!({"token": A1_TOKEN, "now": "1300819000", "leeway": "0"}),
    )
    .await;
    assert_eq!(d["status"]["kind"], "valid");
    assert_eq!(d["times"][0]["relative"], "in 6m 20s");
    assert_eq!(d["times"][0]["status"], "ok");
    assert_eq!(d["now"], 1300819000);
    // Within the leeway it is still valid; past it, expired.
    let d = post(
        "decode",
        json!({"token": A1_TOKEN, "now": "1300819400", "leeway": "60s"}),
    )
    .await;
    assert_eq!(d["status"]["kind"], "valid");
    let d = post(
        "decode",
        json!({"token": A1_TOKEN, "now": "1300819400", "leeway": "10s"}),
    )
    .await;
    assert_eq!(d["status"]["kind"], "expired");
    let d = post("decode", json!({"token": A1_TOKEN, "now": "yesterday"})).await;
    assert_eq!(d["input_error"]["field"], "now");
    assert_eq!(d["input_error"]["error"]["kind"], "invalid_config");
}

#[tokio::test]
async fn decode_not_yet_valid_and_string_exp() {
    let t = hs256(
        r#"{"sub":"1","nbf":4102444800,"exp":4102448400}"#,
        SECRET.as_bytes(),
    );
    let d = post("decode", json!({"token": t})).await;
    assert_eq!(d["status"]["kind"], "not_yet_valid");
    let nbf = d["times"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["claim"] == "nbf")
        .unwrap();
    assert_eq!(nbf["utc"], "2100-01-01 00:00:00 UTC");
    assert_eq!(nbf["status"], "not_yet_valid");
    let t = hs256(r#"{"exp":"tomorrow"}"#, SECRET.as_bytes());
    let d = post("decode", json!({"token": t})).await;
    assert_eq!(d["status"]["kind"], "malformed");
    assert_eq!(d["times"][0]["status"], "malformed");
}

#[tokio::test]
async fn decode_marks_the_offending_segment() {
    // Padding in the payload segment.
    let d = post("decode", json!({"token": "eyJhbGciOiJIUzI1NiJ9.e30=.c2ln"})).await;
    assert_eq!(d["error"]["kind"], "bad_base64");
    assert_eq!(d["error"]["segment"], json!({"index": 1, "name": "payload"}));
    assert_eq!(d["segments"][0]["ok"], true);
    assert_eq!(d["segments"][1]["ok"], false);
    assert_eq!(d["segments"][1]["errors"][0]["kind"], "bad_base64");
    assert_eq!(d["segments"][2]["ok"], true);
    // A header that is not JSON.
    let bad_header = URL_SAFE_NO_PAD.encode(b"{\"alg\":\"HS256\",}");
    let d = post("decode", json!({"token": format!("{bad_header}.e30.c2ln")})).await;
    assert_eq!(d["error"]["kind"], "bad_json");
    assert_eq!(d["error"]["segment"]["name"], "header");
    assert_eq!(d["segments"][0]["ok"], false);
    // Duplicate members in the header: shown anyway, with the error.
    let dup = URL_SAFE_NO_PAD.encode(b"{\"alg\":\"HS256\",\"alg\":\"none\"}");
    let d = post("decode", json!({"token": format!("{dup}.e30.c2ln")})).await;
    assert_eq!(d["error"]["kind"], "duplicate_member");
    // A missing signature segment: malformed, header and payload still shown.
    let d = post("decode", json!({"token": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0"})).await;
    assert_eq!(d["error"]["kind"], "malformed");
    assert!(d["error"]["message"].as_str().unwrap().contains("found 2"));
    assert_eq!(d["alg"], "HS256");
    assert_eq!(d["payload"]["type"], "claims");
    // Not a token at all.
    let d = post("decode", json!({"token": "hello"})).await;
    assert_eq!(d["error"]["kind"], "malformed");
}

/// The time verdict is about the time claims: a header that cannot be read (not JSON, too
/// deep, no `alg`) is the header's error, not "malformed time claim: the header has no alg".
#[tokio::test]
async fn decode_time_verdict_ignores_an_unreadable_header() {
    let payload = URL_SAFE_NO_PAD.encode(br#"{"sub":"1","exp":4102444800}"#);
    let deep = format!(r#"{{"alg":"HS256","x":{}{}}}"#, "[".repeat(100), "]".repeat(100));
    for header in [r#"{"alg":"HS256",}"#, deep.as_str(), r#"{"typ":"JWT"}"#] {
        let h = URL_SAFE_NO_PAD.encode(header.as_bytes());
        let d = post("decode", json!({"token": format!("{h}.{payload}.c2ln")})).await;
        assert_eq!(d["payload"]["type"], "claims", "{header}");
        assert_eq!(d["status"]["kind"], "valid", "{header}: {}", d["status"]);
        assert_eq!(d["times"][0]["status"], "ok");
    }
}

#[tokio::test]
async fn decode_finds_the_token_in_pasted_text() {
    let d = post(
        "decode",
        json!({"token": format!("Authorization: Bearer {A1_TOKEN}\n")}),
    )
    .await;
    assert_eq!(d["token"], A1_TOKEN);
    assert_eq!(
        d["input_notes"],
        json!(["stripped the \"Authorization: Bearer \" prefix"])
    );
    let curl = format!("curl -H 'Authorization: Bearer {A1_TOKEN}' https://api.example.com/orders");
    let d = post("decode", json!({"token": curl})).await;
    assert_eq!(d["token"], A1_TOKEN);
    assert_eq!(d["alg"], "HS256");
}

#[tokio::test]
async fn decode_jwe_shows_five_parts() {
    let h = URL_SAFE_NO_PAD.encode(br#"{"alg":"RSA-OAEP","enc":"A256GCM"}"#);
    let d = post("decode", json!({"token": format!("{h}.a2V5.aXY.Y2lwaGVy.dGFn")})).await;
    assert_eq!(d["form"], "jwe_compact");
    assert_eq!(d["header"]["enc"], "A256GCM");
    assert_eq!(d["payload"]["type"], "encrypted");
    let names: Vec<&str> = d["segments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["header", "encrypted_key", "iv", "ciphertext", "tag"]);
    assert_eq!(d["status"], Value::Null);
}

// ------------------------------------------------------------------------------ verify

#[tokio::test]
async fn verify_rfc7515_a1_with_base64_secret() {
    let r = post("verify", json!({"token": A1_TOKEN, "key": secret(A1_KEY, true)})).await;
    assert_eq!(r["signature"]["verified"], true);
    assert_eq!(r["signature"]["alg"], "HS256");
    assert_eq!(r["key"]["format"], "HMAC secret (base64, 64 bytes)");
    assert_eq!(r["algorithms"], json!(["HS256", "HS384", "HS512"]));
    assert_eq!(r["algorithms_from"], "key");
    // The signature is good; the token expired in 2011.
    assert_eq!(r["claims"]["valid"], false);
    assert_eq!(r["claims"]["error"]["kind"], "expired");
    assert_eq!(r["valid"], false);
    assert_eq!(r["diagnosis"], Value::Null);
    // With "now" before exp, everything is valid.
    let r = post(
        "verify",
        json!({"token": A1_TOKEN, "key": secret(A1_KEY, true), "now": "2011-03-22T18:00:00Z"}),
    )
    .await;
    assert_eq!(r["valid"], true);
    assert_eq!(r["claims"]["error"], Value::Null);
    assert_eq!(r["now"], 1300816800);
}

#[tokio::test]
async fn verify_secret_given_as_text_is_diagnosed() {
    // The A.1 key typed without ticking "base64": the diagnosis says so.
    let r = post("verify", json!({"token": A1_TOKEN, "key": secret(A1_KEY, false)})).await;
    assert_eq!(r["signature"]["verified"], false);
    assert_eq!(r["signature"]["result"], "invalid_signature");
    assert_eq!(r["signature"]["error"]["kind"], "bad_signature");
    assert_eq!(r["claims"], Value::Null);
    let hints: Vec<&str> = r["diagnosis"]["hints"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["id"].as_str().unwrap())
        .collect();
    assert!(hints.contains(&"secret_is_base64"), "{hints:?}");
    assert_eq!(r["diagnosis"]["attempts"][0]["alg"], "HS256");
    assert_eq!(r["diagnosis"]["attempts"][0]["outcome"], "bad_signature");
}

#[tokio::test]
async fn verify_text_secret_right_and_wrong() {
    let t = hs256(r#"{"sub":"42","exp":4102444800}"#, SECRET.as_bytes());
    let r = post("verify", json!({"token": t, "key": secret(SECRET, false)})).await;
    assert_eq!(r["signature"]["verified"], true);
    assert_eq!(r["valid"], true);
    assert_eq!(
        r["claims"]["notes"],
        json!(["aud not checked: no expected audience given"])
    );
    let r = post(
        "verify",
        json!({"token": t, "key": secret("another-secret-of-the-same-length-xx", false)}),
    )
    .await;
    assert_eq!(r["signature"]["verified"], false);
    assert_eq!(r["signature"]["result"], "invalid_signature");
    assert_eq!(
        r["signature"]["error"]["message"],
        "signature does not verify with the given key"
    );
    assert_eq!(r["valid"], false);
    assert_eq!(r["diagnosis"]["attempts"].as_array().unwrap().len(), 1);
    // An empty secret or bad base64 is an input error, not a verdict.
    let r = post("verify", json!({"token": t, "key": secret("", false)})).await;
    assert_eq!(r["input_error"]["field"], "key");
    assert_eq!(r["input_error"]["error"]["kind"], "bad_key");
    let r = post("verify", json!({"token": t, "key": secret("not base64 !", true)})).await;
    assert_eq!(r["input_error"]["error"]["kind"], "bad_key");
}

#[tokio::test]
async fn verify_with_pem_jwk_and_jwk_set() {
    let key = es256_key("k1");
    let t = es256(&key, r#"{"sub":"42","exp":4102444800}"#);
    let pem = key.public_key_pem().unwrap();
    let r = post("verify", json!({"token": t, "key": key_doc(&pem)})).await;
    assert_eq!(r["signature"]["verified"], true, "{r}");
    assert_eq!(r["key"]["format"], "PEM (PUBLIC KEY)");
    assert_eq!(r["key"]["keys"][0]["family"], "an EC key on P-256");
    assert_eq!(r["key"]["keys"][0]["kty"], "EC");
    assert_eq!(r["key"]["keys"][0]["private"], false);
    assert_eq!(r["algorithms"], json!(["ES256"]));
    assert_eq!(r["valid"], true);

    let jwk = public_jwk(&key).to_string();
    let r = post("verify", json!({"token": t, "key": key_doc(&jwk)})).await;
    assert_eq!(r["signature"]["verified"], true);
    assert_eq!(r["key"]["format"], "JWK");
    assert_eq!(r["signature"]["key"], "kid \"k1\"");

    let other = es256_key("k2");
    let set = json!({"keys": [public_jwk(&other), public_jwk(&key)]}).to_string();
    let r = post("verify", json!({"token": t, "key": key_doc(&set)})).await;
    assert_eq!(r["signature"]["verified"], true);
    assert_eq!(r["key"]["format"], "JWK Set");
    assert_eq!(r["key"]["keys"].as_array().unwrap().len(), 2);
    assert_eq!(r["signature"]["key"], "kid \"k1\"");

    // The private key verifies too (its public half is used).
    let private_pem = key.private_key_pem().unwrap().to_string();
    let r = post("verify", json!({"token": t, "key": key_doc(&private_pem)})).await;
    assert_eq!(r["signature"]["verified"], true);
}

#[tokio::test]
async fn verify_with_the_wrong_public_key() {
    let key = es256_key("k1");
    let t = es256(&key, r#"{"sub":"42"}"#);
    let wrong = es256_key("k1");
    let r = post(
        "verify",
        json!({"token": t, "key": key_doc(&wrong.public_key_pem().unwrap())}),
    )
    .await;
    assert_eq!(r["signature"]["verified"], false);
    assert_eq!(r["signature"]["result"], "invalid_signature");
    assert_eq!(r["signature"]["error"]["kind"], "bad_signature");
    assert_eq!(r["diagnosis"]["attempts"][0]["outcome"], "bad_signature");
    // A set without the token's kid: key_not_found, and the diagnosis names the kids present.
    let set = json!({"keys": [public_jwk(&es256_key("k9"))]}).to_string();
    let r = post("verify", json!({"token": t, "key": key_doc(&set)})).await;
    assert_eq!(r["signature"]["result"], "not_verified");
    assert_eq!(r["signature"]["error"]["kind"], "key_not_found");
    assert_eq!(r["signature"]["error"]["available"], json!(["k9"]));
    assert_eq!(r["diagnosis"]["hints"][0]["id"], "kid_not_in_set");
    // Garbage instead of a key.
    let r = post("verify", json!({"token": t, "key": key_doc("hello")})).await;
    assert_eq!(r["input_error"]["field"], "key");
    assert_eq!(r["input_error"]["error"]["kind"], "bad_key");
}

#[tokio::test]
async fn verify_allowlist_comes_from_key_or_caller_never_the_token() {
    let key = es256_key("k1");
    let t = es256(&key, r#"{"sub":"42"}"#);
    // A secret allows HS* only: an ES256 token is refused before any cryptography.
    let r = post("verify", json!({"token": t, "key": secret(SECRET, false)})).await;
    assert_eq!(r["signature"]["result"], "not_verified");
    assert_eq!(r["signature"]["error"]["kind"], "alg_not_allowed");
    // The caller's explicit list wins.
    let r = post(
        "verify",
        json!({"token": t, "key": key_doc(&key.public_key_pem().unwrap()), "algorithms": "ES384"}),
    )
    .await;
    assert_eq!(r["signature"]["error"]["kind"], "alg_not_allowed");
    assert_eq!(r["algorithms_from"], "caller");
    let r = post(
        "verify",
        json!({"token": t, "key": secret(SECRET, false), "algorithms": "HS256, nope"}),
    )
    .await;
    assert_eq!(r["input_error"]["field"], "algorithms");
    assert_eq!(r["input_error"]["error"]["kind"], "unsupported_alg");
    // alg none never verifies.
    let none = format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(br#"{"alg":"none"}"#),
        URL_SAFE_NO_PAD.encode(br#"{"sub":"42"}"#)
    );
    let r = post("verify", json!({"token": none, "key": secret(SECRET, false)})).await;
    assert_eq!(r["signature"]["error"]["kind"], "alg_none");
}

#[tokio::test]
async fn verify_claim_checks() {
    let t = hs256(
        r#"{"iss":"https://issuer.example","aud":["orders","billing"],"sub":"42","iat":1700000000,"exp":1700003600}"#,
        SECRET.as_bytes(),
    );
    let base = json!({"token": t, "key": secret(SECRET, false), "now": "1700000100"});
    let with = |extra: Value| {
        let mut b = base.clone();
        for (k, v) in extra.as_object().unwrap() {
            b[k] = v.clone();
        }
        b
    };
    let r = post(
        "verify",
        with(json!({"issuer": "https://issuer.example", "audience": "orders"})),
    )
    .await;
    assert_eq!(r["valid"], true, "{r}");
    assert_eq!(r["claims"]["notes"], json!([]));
    let r = post("verify", with(json!({"issuer": "https://issuer.example/"}))).await;
    assert_eq!(r["signature"]["verified"], true);
    assert_eq!(r["claims"]["error"]["kind"], "bad_issuer");
    assert_eq!(
        r["claims"]["error"]["expected"],
        json!(["https://issuer.example/"])
    );
    let r = post("verify", with(json!({"audience": "shipping, returns"}))).await;
    assert_eq!(r["claims"]["error"]["kind"], "bad_audience");
    let r = post("verify", with(json!({"subject": "7"}))).await;
    assert_eq!(r["claims"]["error"]["kind"], "bad_subject");
    let r = post("verify", with(json!({"typ": "at+jwt"}))).await;
    assert_eq!(r["claims"]["error"]["kind"], "bad_type");
    // Time: one hour and one minute later, the 60 s default leeway is not enough; 2m is.
    let r = post("verify", with(json!({"now": "1700003700"}))).await;
    assert_eq!(r["claims"]["error"]["kind"], "expired");
    assert_eq!(r["claims"]["error"]["leeway"], 60);
    let r = post("verify", with(json!({"now": "1700003700", "leeway": "2m"}))).await;
    assert_eq!(r["valid"], true);
    let r = post("verify", with(json!({"leeway": "soon"}))).await;
    assert_eq!(r["input_error"]["field"], "leeway");
}

#[tokio::test]
async fn verify_command_line_leaves_secrets_out() {
    let t = hs256(r#"{"sub":"42"}"#, SECRET.as_bytes());
    let r = post(
        "verify",
        json!({"token": t, "key": secret(SECRET, false), "issuer": "https://issuer.example", "audience": "a b", "leeway": "30s", "now": "2026-01-01T00:00:00Z", "algorithms": "HS256"}),
    )
    .await;
    let cmd = r["command"].as_str().unwrap();
    assert_eq!(
        cmd,
        format!(
            "jwtkit verify {t} --secret env:JWT_SECRET --alg HS256 --iss https://issuer.example --aud a --aud b --leeway 30s --now 2026-01-01T00:00:00Z"
        )
    );
    assert!(!cmd.contains(SECRET));
    assert_eq!(
        r["command_multiline"],
        format!(
            "jwtkit verify {t} \\\n  --secret env:JWT_SECRET \\\n  --alg HS256 \\\n  --iss https://issuer.example \\\n  \
             --aud a \\\n  --aud b \\\n  --leeway 30s \\\n  --now 2026-01-01T00:00:00Z"
        )
    );
    let r = post("verify", json!({"token": A1_TOKEN, "key": secret(A1_KEY, true)})).await;
    let cmd = r["command"].as_str().unwrap();
    assert!(
        cmd.ends_with("--secret \"b64url:$JWT_SECRET\" --ignore-aud"),
        "{cmd}"
    );
    assert!(!cmd.contains(A1_KEY));
    let key = es256_key("k1");
    let r = post(
        "verify",
        json!({"token": es256(&key, "{}"), "key": key_doc(&public_jwk(&key).to_string())}),
    )
    .await;
    assert!(
        r["command"]
            .as_str()
            .unwrap()
            .ends_with("--key key.jwk --ignore-aud")
    );
}

/// A JWK Set and an OpenID discovery document served on 127.0.0.1 by a real HTTP server.
struct Issuer {
    base: String,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Issuer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn issuer_serving(jwks: Value) -> Issuer {
    use axum::routing::get;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let discovery = json!({"issuer": base, "jwks_uri": format!("{base}/jwks.json")});
    let app = axum::Router::new()
        .route("/jwks.json", get(move || async move { axum::Json(jwks) }))
        .route(
            "/.well-known/openid-configuration",
            get(move || async move { axum::Json(discovery) }),
        );
    let task = tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    Issuer { base, task }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_with_keys_fetched_from_a_jwks_url_and_an_issuer() {
    let key = es256_key("k1");
    let issuer = issuer_serving(json!({"keys": [public_jwk(&es256_key("k0")), public_jwk(&key)]})).await;
    let base = issuer.base.clone();
    let token = es256(&key, &format!(r#"{{"iss":"{base}","sub":"42"}}"#));
    let jwks_url = format!("{base}/jwks.json");

    let r = post(
        "verify",
        json!({"token": token, "key": {"type": "url", "value": jwks_url}}),
    )
    .await;
    assert_eq!(r["signature"]["verified"], true, "{r}");
    assert_eq!(r["signature"]["key"], "kid \"k1\"");
    assert_eq!(r["key"]["format"], format!("JWK Set from {jwks_url}"));
    assert_eq!(r["key"]["keys"].as_array().unwrap().len(), 2);
    assert_eq!(r["valid"], true);
    assert!(
        r["command"]
            .as_str()
            .unwrap()
            .contains(&format!("--jwks {jwks_url}"))
    );

    // Through the issuer's discovery document; its tokens must carry it as iss.
    let by_issuer = json!({"type": "url", "value": base, "kind": "issuer"});
    let r = post("verify", json!({"token": token, "key": by_issuer})).await;
    assert_eq!(r["signature"]["verified"], true, "{r}");
    assert_eq!(
        r["key"]["format"],
        format!("JWK Set of issuer {base} (from {jwks_url})")
    );
    assert_eq!(r["valid"], true, "{r}");
    assert!(
        r["command"]
            .as_str()
            .unwrap()
            .contains(&format!("--issuer {base}"))
    );
    let other = es256(&key, r#"{"iss":"https://elsewhere.example","sub":"42"}"#);
    let r = post("verify", json!({"token": other, "key": by_issuer})).await;
    assert_eq!(r["signature"]["verified"], true);
    assert_eq!(r["claims"]["error"]["kind"], "bad_issuer");

    // A token signed by a key the issuer does not publish.
    let stranger = es256(&es256_key("k1"), "{}");
    let r = post(
        "verify",
        json!({"token": stranger, "key": {"type": "url", "value": jwks_url}}),
    )
    .await;
    assert_eq!(r["signature"]["result"], "invalid_signature");

    // Findings load the same keys; encode refuses a URL (public keys cannot sign).
    let f = post(
        "findings",
        json!({"token": token, "key": {"type": "url", "value": jwks_url}}),
    )
    .await;
    assert_eq!(f["key_error"], Value::Null);
    let e = encode("{}", "{}", "ES256", json!({"type": "url", "value": jwks_url})).await;
    assert_eq!(e["error"]["field"], "key");
    assert_eq!(e["error"]["error"]["kind"], "key_mismatch");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreachable_or_refused_urls_are_key_errors() {
    // A closed port on loopback.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let r = post(
        "verify",
        json!({"token": A1_TOKEN, "key": {"type": "url", "value": format!("http://127.0.0.1:{closed}/jwks.json")}}),
    )
    .await;
    assert_eq!(r["input_error"]["field"], "key");
    assert_eq!(r["input_error"]["error"]["kind"], "key_fetch_failed");
    // Plain http to a non-loopback host is refused before any request.
    let r = post(
        "verify",
        json!({"token": A1_TOKEN, "key": {"type": "url", "value": "http://issuer.invalid/jwks.json"}}),
    )
    .await;
    assert_eq!(r["input_error"]["error"]["kind"], "invalid_config", "{r}");
    let r = post(
        "verify",
        json!({"token": A1_TOKEN, "key": {"type": "url", "value": " "}}),
    )
    .await;
    assert_eq!(r["input_error"]["error"]["kind"], "bad_key");
}

// ------------------------------------------------------------------------------ encode

async fn encode(header: &str, payload: &str, alg: &str, key: Value) -> Value {
    post(
        "encode",
        json!({"header": header, "payload": payload, "alg": alg, "key": key}),
    )
    .await
}

#[tokio::test]
async fn encode_hs256_token_verifies() {
    let r = encode(
        r#"{"alg":"HS256","typ":"JWT","kid":"my-key"}"#,
        r#"{"sub":"42","name":"Ada","exp":4102444800}"#,
        "HS256",
        secret(SECRET, false),
    )
    .await;
    assert_eq!(r["error"], Value::Null, "{r}");
    let token = r["token"].as_str().unwrap();
    assert_eq!(
        r["header"],
        json!({"alg": "HS256", "typ": "JWT", "kid": "my-key"})
    );
    assert_eq!(r["public_key"], Value::Null);
    let keys = JwkSet::from_keys(vec![Key::hmac(SECRET.as_bytes().to_vec())]);
    let v = jwtkit::verify(token, &keys, &Validation::builder(JwsAlg::HS256).build().unwrap()).unwrap();
    assert_eq!(v.claims.get("name").unwrap(), "Ada");
    assert_eq!(v.header.kid(), Some("my-key"));
    // The payload's member order is kept.
    let payload = URL_SAFE_NO_PAD.decode(token.split('.').nth(1).unwrap()).unwrap();
    assert_eq!(payload, br#"{"sub":"42","name":"Ada","exp":4102444800}"#);
}

#[tokio::test]
async fn encode_errors_name_the_field() {
    let ok_header = r#"{"alg":"HS256"}"#;
    let r = encode("{", "{}", "HS256", secret(SECRET, false)).await;
    assert_eq!(r["token"], Value::Null);
    assert_eq!(r["error"]["field"], "header");
    assert_eq!(r["error"]["error"]["kind"], "bad_json");
    let r = encode(ok_header, r#"{"a":1,"a":2}"#, "HS256", secret(SECRET, false)).await;
    assert_eq!(r["error"]["field"], "payload");
    assert_eq!(r["error"]["error"]["kind"], "duplicate_member");
    let r = encode(ok_header, "[1]", "HS256", secret(SECRET, false)).await;
    assert_eq!(r["error"]["field"], "payload");
    let r = encode(r#"{"alg":"HS512"}"#, "{}", "HS256", secret(SECRET, false)).await;
    assert_eq!(r["error"]["field"], "header");
    let r = encode(ok_header, "{}", "none", secret(SECRET, false)).await;
    assert_eq!(r["error"]["field"], "alg");
    assert_eq!(r["error"]["error"]["kind"], "alg_none");
    // A secret below the RFC 7518 minimum is refused unless explicitly allowed.
    let r = encode(ok_header, "{}", "HS256", secret("secret", false)).await;
    assert_eq!(r["error"]["field"], "key");
    assert_eq!(r["error"]["error"]["kind"], "bad_key");
    let r = post(
        "encode",
        json!({"header": ok_header, "payload": "{}", "alg": "HS256", "key": secret("secret", false), "allow_weak_key": true}),
    )
    .await;
    assert!(r["token"].is_string());
    let ids = finding_ids(&r["findings"]);
    assert!(ids.contains(&"weak_hmac_secret".to_string()), "{ids:?}");
    assert!(ids.contains(&"short_hmac_secret".to_string()), "{ids:?}");
    assert!(ids.contains(&"no_exp".to_string()), "{ids:?}");
    // A public key cannot sign; a secret cannot sign ES256.
    let key = es256_key("k1");
    let r = encode(r#"{}"#, "{}", "ES256", key_doc(&key.public_key_pem().unwrap())).await;
    assert_eq!(r["error"]["field"], "key");
    assert_eq!(r["error"]["error"]["kind"], "key_mismatch");
    let r = encode(r#"{}"#, "{}", "ES256", secret(SECRET, false)).await;
    assert_eq!(r["error"]["error"]["kind"], "key_mismatch");
}

#[tokio::test]
async fn keygen_then_encode_then_verify_each_family() {
    for alg in [
        "HS256",
        "HS512",
        "ES256",
        "ES384",
        "ES512",
        "EdDSA",
        "RS256",
        "PS256",
        "ES256K",
        "Ed25519",
        "ML-DSA-44",
        "ML-DSA-65",
        "ML-DSA-87",
    ] {
        let k = post("keygen", json!({"alg": alg})).await;
        assert_eq!(k["error"], Value::Null, "{alg}: {k}");
        let (sign_key, verify_key) = if alg.starts_with("HS") {
            assert_eq!(k["kind"], "secret");
            let s = k["secret_base64url"].as_str().unwrap();
            let want = if alg == "HS256" { 32 } else { 64 };
            assert_eq!(URL_SAFE_NO_PAD.decode(s).unwrap().len(), want);
            (secret(s, true), secret(s, true))
        } else {
            assert_eq!(k["kind"], "keypair");
            let private = k["private_pem"].as_str().unwrap();
            assert!(private.starts_with("-----BEGIN PRIVATE KEY-----"));
            let public: Value = serde_json::from_str(k["public_jwk"].as_str().unwrap()).unwrap();
            assert_eq!(public["kid"], k["kid"]);
            assert!(
                public.get("d").is_none() && public.get("priv").is_none(),
                "{alg}: {public}"
            );
            if alg.starts_with("ML-DSA") {
                assert_eq!(
                    (public["kty"].as_str(), public["alg"].as_str()),
                    (Some("AKP"), Some(alg))
                );
            }
            (key_doc(private), key_doc(k["public_pem"].as_str().unwrap()))
        };
        let r = encode("{}", r#"{"sub":"42"}"#, alg, sign_key).await;
        let token = r["token"].as_str().unwrap_or_else(|| panic!("{alg}: {r}"));
        assert_eq!(r["header"]["alg"], alg);
        if !alg.starts_with("HS") {
            assert_eq!(r["public_key"]["pem"], k["public_pem"]);
        }
        let v = post("verify", json!({"token": token, "key": verify_key})).await;
        assert_eq!(v["signature"]["verified"], true, "{alg}: {v}");
        assert_eq!(v["signature"]["alg"], alg);
        if alg.starts_with("ML-DSA") {
            assert_eq!(v["key"]["keys"][0]["kty"], "AKP", "{v}");
            assert_eq!(v["key"]["keys"][0]["family"], format!("an AKP key for {alg}"));
        }
    }
    let k = post("keygen", json!({"alg": "XS256"})).await;
    assert_eq!(k["error"]["kind"], "unsupported_alg");
}

// ---------------------------------------------------------------------------- findings

#[tokio::test]
async fn findings_for_token_and_key() {
    let none = format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(br#"{"alg":"none","jku":"https://evil.example/jwks"}"#),
        URL_SAFE_NO_PAD.encode(br#"{"sub":"42","password":"hunter2"}"#)
    );
    let r = post("findings", json!({"token": none})).await;
    let ids = finding_ids(&r["findings"]);
    for want in ["alg_none", "jku_header", "sensitive_claim", "no_exp"] {
        assert!(ids.contains(&want.to_string()), "{want} missing from {ids:?}");
    }
    // Most severe first.
    let sev: Vec<&str> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["severity"].as_str().unwrap())
        .collect();
    assert_eq!(sev.first(), Some(&"high"));
    assert_eq!(sev.last(), Some(&"medium"));
    assert!(r["findings"][0]["fix"].as_str().unwrap().len() > 10);

    let t = hs256(r#"{"sub":"42","iat":1700000000,"exp":1700003600}"#, b"secret");
    let r = post(
        "findings",
        json!({"token": t, "key": secret("secret", false), "now": "1700000000"}),
    )
    .await;
    assert_eq!(
        finding_ids(&r["findings"]),
        ["weak_hmac_secret", "short_hmac_secret"]
    );
    let r = post("findings", json!({"token": t, "now": "1700000000"})).await;
    assert_eq!(r["findings"], json!([]));
    let r = post("findings", json!({"token": t, "key": key_doc("nope")})).await;
    assert_eq!(r["key_error"]["kind"], "bad_key");
    // decode carries the token findings too.
    let d = post("decode", json!({"token": none})).await;
    assert!(finding_ids(&d["findings"]).contains(&"alg_none".to_string()));
}
