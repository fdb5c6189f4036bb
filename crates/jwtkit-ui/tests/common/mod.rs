//! Helpers shared by the API tests: the router for port 7800, requests with the page's Host and
//! Origin, and tokens and keys made with the core library.
#![allow(dead_code)]

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

use jwtkit::jwk::KeySpec;
use jwtkit::{EcCurve, JwsAlg, Key};

pub const PORT: u16 = 7800;
pub const HOST: &str = "127.0.0.1:7800";
pub const ORIGIN: &str = "http://127.0.0.1:7800";

/// RFC 7515 Appendix A.1: HS256, `exp` 1300819380 (2011-03-22 18:43:00 UTC).
pub const A1_TOKEN: &str = "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
pub const A1_KEY: &str =
    "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow";
pub const SECRET: &str = "a-string-secret-at-least-256-bits-long";

pub fn app() -> Router {
    jwtkit_ui::router(jwtkit_ui::UiConfig::new(PORT))
}

pub async fn send(req: Request<Body>) -> (StatusCode, HeaderMap, Vec<u8>) {
    let resp = app().oneshot(req).await.unwrap();
    let status = resp.status();
    let headers = resp.headers().clone();
    let body = resp.into_body().collect().await.unwrap().to_bytes().to_vec();
    (status, headers, body)
}

pub fn api_request(path: &str, body: &Value) -> axum::http::request::Builder {
    let _ = body;
    Request::post(format!("/api/{path}"))
        .header(header::HOST, HOST)
        .header(header::ORIGIN, ORIGIN)
        .header(header::CONTENT_TYPE, "application/json")
}

pub async fn post(path: &str, body: Value) -> Value {
    let req = api_request(path, &body)
        .body(Body::from(body.to_string()))
        .unwrap();
    let (status, headers, bytes) = send(req).await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&bytes));
    assert_eq!(headers[header::CACHE_CONTROL], "no-store");
    assert_eq!(headers[header::CONTENT_TYPE], "application/json");
    serde_json::from_slice(&bytes).unwrap()
}

pub fn hs256(claims: &str, secret: &[u8]) -> String {
    let key = Key::hmac(secret.to_vec());
    jwtkit::jws::Signer::new(&key, JwsAlg::HS256)
        .unwrap()
        .typ("JWT")
        .allow_weak_key(true)
        .build()
        .unwrap()
        .sign(claims.as_bytes())
        .unwrap()
}

pub fn es256_key(kid: &str) -> Key {
    Key::generate(KeySpec::Ec(EcCurve::P256)).unwrap().with_kid(kid)
}

pub fn es256(key: &Key, claims: &str) -> String {
    jwtkit::jws::Signer::new(key, JwsAlg::ES256)
        .unwrap()
        .build()
        .unwrap()
        .sign(claims.as_bytes())
        .unwrap()
}

pub fn public_jwk(key: &Key) -> Value {
    Value::Object(key.to_public().unwrap().to_jwk(false))
}

pub fn secret(value: &str, base64: bool) -> Value {
    json!({"type": "secret", "value": value, "base64": base64})
}

pub fn key_doc(value: &str) -> Value {
    json!({"type": "key", "value": value})
}

pub fn finding_ids(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap().to_string())
        .collect()
}
