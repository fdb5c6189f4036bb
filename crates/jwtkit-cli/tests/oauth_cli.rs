//! `jwtkit oauth` as a user runs it, against an in-process provider on 127.0.0.1 (discovery and
//! a token endpoint): what is printed, what is kept secret, exit codes. The real flows against
//! oidc-provider with a browser are in scripts/test-oauth.sh.

use std::process::{Command, Output};

use axum::Router;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use jwtkit::{JwsAlg, Key};
use serde_json::{Value, json};

const REFRESH: &str = "rt-5ecret-never-printed";

fn jwtkit(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_jwtkit"))
        .args(args)
        .env_remove("JWTKIT_OAUTH_ISSUER")
        .env_remove("JWTKIT_OAUTH_CLIENT_ID")
        .env("CLIENT_SECRET", "s3cret-value")
        .output()
        .unwrap()
}

/// Run the binary off the runtime's threads (the provider is served on them).
async fn run(args: &[&str]) -> Output {
    let owned: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    tokio::task::spawn_blocking(move || {
        let refs: Vec<&str> = owned.iter().map(String::as_str).collect();
        jwtkit(&refs)
    })
    .await
    .unwrap()
}

fn access_token(issuer: &str) -> String {
    let key = Key::hmac(b"0123456789abcdef0123456789abcdef".to_vec());
    let mut claims = serde_json::Map::new();
    claims.insert("iss".into(), issuer.into());
    claims.insert("sub".into(), "svc".into());
    claims.insert("scope".into(), "api:read".into());
    jwtkit::jws::Signer::new(&key, JwsAlg::HS256)
        .unwrap()
        .typ("at+jwt")
        .build()
        .unwrap()
        .sign_claims(&claims)
        .unwrap()
}

/// Discovery plus a token endpoint that wants Basic `svc:s3cret-value`.
async fn provider() -> String {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let issuer = format!("http://{}", l.local_addr().unwrap());
    let (i1, i2) = (issuer.clone(), issuer.clone());
    let app = Router::new()
        .route(
            "/.well-known/openid-configuration",
            get(move || {
                let i = i1.clone();
                async move { axum::Json(json!({"issuer": i, "token_endpoint": format!("{i}/token")})) }
            }),
        )
        .route(
            "/token",
            post(move |h: HeaderMap, body: String| {
                let i = i2.clone();
                async move {
                    // base64("svc:s3cret-value")
                    if h.get("authorization").and_then(|v| v.to_str().ok())
                        != Some("Basic c3ZjOnMzY3JldC12YWx1ZQ==")
                    {
                        return (
                            StatusCode::UNAUTHORIZED,
                            axum::Json(
                                json!({"error": "invalid_client", "error_description": "who are you"}),
                            ),
                        )
                            .into_response();
                    }
                    assert!(body.contains("grant_type=client_credentials"), "{body}");
                    axum::Json(
                        json!({"access_token": access_token(&i), "token_type": "Bearer", "expires_in": 300,
                        "refresh_token": REFRESH, "scope": "api:read"}),
                    )
                    .into_response()
                }
            }),
        );
    tokio::spawn(async move { axum::serve(l, app).await.unwrap() });
    issuer
}

#[tokio::test(flavor = "multi_thread")]
async fn client_credentials_prints_the_token_decoded_and_keeps_the_refresh_token_secret() {
    let issuer = provider().await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("tokens.json");
    let args = [
        "oauth",
        "client-credentials",
        "--issuer",
        &issuer,
        "--client-id",
        "svc",
        "--client-secret",
        "env:CLIENT_SECRET",
        "--out",
        out.to_str().unwrap(),
        "--json",
    ];
    let o = run(&args).await;
    let stdout = String::from_utf8(o.stdout).unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let v: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["grant"], "client_credentials");
    assert_eq!(v["access_token"]["header"]["typ"], "at+jwt");
    assert_eq!(v["access_token"]["claims"]["sub"], "svc");
    assert_eq!(v["response"]["refresh_token"], json!({"received": true}));
    assert_eq!(v["response"]["expires_in"], 300);
    assert!(!stdout.contains(REFRESH) && !stdout.contains("s3cret-value"));
    let saved: Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    assert_eq!(saved["refresh_token"], REFRESH);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        assert_eq!(
            std::fs::metadata(&out).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    // --raw: only the access token.
    let args = [
        "oauth",
        "client-credentials",
        "--issuer",
        &issuer,
        "--client-id",
        "svc",
        "--client-secret",
        "env:CLIENT_SECRET",
        "--raw",
    ];
    let o = run(&args).await;
    let raw = String::from_utf8(o.stdout).unwrap();
    assert_eq!(raw.trim().split('.').count(), 3);
    assert_eq!(raw.trim(), v["response"]["access_token"].as_str().unwrap());
}

#[tokio::test(flavor = "multi_thread")]
async fn token_endpoint_error_exits_4_with_the_rfc6749_error() {
    let issuer = provider().await;
    let args = [
        "oauth",
        "client-credentials",
        "--issuer",
        &issuer,
        "--client-id",
        "svc",
        "--client-secret",
        "wrong-one",
    ];
    let o = run(&args).await;
    assert_eq!(o.status.code(), Some(4));
    let err = String::from_utf8(o.stderr).unwrap();
    assert!(err.contains("invalid_client (who are you), HTTP 401"), "{err}");
    assert!(!err.contains("wrong-one"));
}

#[test]
fn configuration_and_usage_errors_exit_before_any_request() {
    let o = jwtkit(&[
        "oauth",
        "client-credentials",
        "--issuer",
        "http://auth.example.com",
        "--client-id",
        "c",
        "--json",
    ]);
    assert_eq!(o.status.code(), Some(3));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["error"]["kind"], "invalid_config");
    let o = jwtkit(&[
        "oauth",
        "client-credentials",
        "--issuer",
        "https://as.example",
        "--client-id",
        "c",
        "--auth",
        "post",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--auth basic/post needs --client-secret"));
    let o = jwtkit(&[
        "oauth",
        "client-credentials",
        "--issuer",
        "https://as.example",
        "--client-id",
        "c",
        "--client-secret",
        "env:JWTKIT_TEST_UNSET_VAR",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("from --client-secret env:JWTKIT_TEST_UNSET_VAR"));
    // private_key_jwt with a public key: a key error, exit 3.
    let dir = tempfile::tempdir().unwrap();
    let (private, public) = (dir.path().join("k.jwk"), dir.path().join("k.pub.jwk"));
    let o = jwtkit(&[
        "keygen",
        "--alg",
        "ES256",
        "--out",
        private.to_str().unwrap(),
        "--public-out",
        public.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0));
    let o = jwtkit(&[
        "oauth",
        "client-credentials",
        "--issuer",
        "https://as.example",
        "--client-id",
        "c",
        "--client-key",
        public.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(o.status.code(), Some(3), "{}", String::from_utf8_lossy(&o.stdout));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["error"]["kind"], "bad_key");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("no private key to sign with")
    );
}
