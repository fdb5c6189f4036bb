//! `/api/oauth/*`: the "Get a token" endpoints refuse what they must before any request leaves
//! the machine. The flows themselves run against oidc-provider in scripts/test-oauth.sh
//! (crates/jwtkit-ui/e2e/oauth.test.mjs).

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use common::{HOST, post, send};
use serde_json::json;

#[tokio::test]
async fn plain_http_issuer_on_a_remote_host_is_refused() {
    let r = post(
        "oauth/start",
        json!({"issuer": "http://auth.example.com", "client_id": "cli", "flow": "client_credentials"}),
    )
    .await;
    assert_eq!(r["status"], "error");
    assert_eq!(r["error"]["kind"], "invalid_config");
    assert!(
        r["error"]["message"].as_str().unwrap().contains("plain http"),
        "{r}"
    );
}

#[tokio::test]
async fn unknown_flow_and_inconsistent_authentication_are_usage_errors() {
    let r = post(
        "oauth/start",
        json!({"issuer": "https://as.example", "client_id": "cli", "flow": "implicit"}),
    )
    .await;
    assert_eq!(
        (r["status"].as_str(), r["error"]["kind"].as_str()),
        (Some("error"), Some("usage"))
    );
    let r = post(
        "oauth/start",
        json!({"issuer": "https://as.example", "client_id": "cli", "flow": "code", "auth": "none", "client_secret": "s"}),
    )
    .await;
    assert_eq!(r["error"]["kind"], "usage");
    assert!(!r.to_string().contains("\"s\""));
    let r = post(
        "oauth/start",
        json!({"issuer": "https://as.example", "client_id": "cli", "flow": "code", "auth": "post"}),
    )
    .await;
    assert_eq!(
        r["error"]["message"],
        "client_secret_basic/post needs the client secret"
    );
}

#[tokio::test]
async fn status_of_an_unknown_flow_is_not_found() {
    let r = post("oauth/status", json!({"id": "nope"})).await;
    assert_eq!(r["error"]["kind"], "not_found");
}

#[tokio::test]
async fn start_without_the_page_origin_is_forbidden() {
    let req = Request::post("/api/oauth/start")
        .header(header::HOST, HOST)
        .header(header::ORIGIN, "https://evil.example")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(
            json!({"issuer": "https://as.example", "client_id": "c", "flow": "code"}).to_string(),
        ))
        .unwrap();
    let (status, _, _) = send(req).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}
