//! Hostile and broken requests get the RFCs' error codes, and never a redirect to an
//! unregistered URI.

use axum::http::StatusCode;

use crate::harness::{CHALLENGE, REDIRECT, T, VERIFIER};

fn code_request<'a>(client: &'a str, redirect: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("response_type", "code"),
        ("client_id", client),
        ("redirect_uri", redirect),
        ("scope", "openid"),
        ("state", "st-1"),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
    ]
}

#[tokio::test]
async fn unregistered_redirect_uri_gets_an_error_page_never_a_redirect() {
    let t = T::new();
    for bad in [
        "https://evil.example/cb",
        "http://127.0.0.1:8000/cb/../evil",
        "http://127.0.0.1:8000/cb?x=1",
        "http://127.0.0.1:8000/c",
        "HTTP://127.0.0.1:8000/cb",
    ] {
        let r = t.authorize(&code_request("web", bad)).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{bad}");
        assert!(r.header("location").is_none(), "{bad}");
        assert!(r.text().contains("is not registered"), "{bad}: {}", r.text());
    }
    let r = t.authorize(&code_request("nobody", REDIRECT)).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.header("location").is_none());
    // Two URIs registered: omitting redirect_uri is an error page too.
    let mut p = code_request("web", REDIRECT);
    p.retain(|(k, _)| *k != "redirect_uri");
    let r = t.authorize(&p).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.header("location").is_none());
}

#[tokio::test]
async fn pkce_plain_or_missing_is_refused_with_state_on_the_redirect() {
    let t = T::new();
    for (name, value) in [
        ("code_challenge_method", "plain"),
        ("code_challenge_method", ""),
        ("code_challenge", ""),
    ] {
        let mut p = code_request("web", REDIRECT);
        p.retain(|(k, _)| *k != name);
        if !value.is_empty() {
            p.push((name, value));
        }
        let r = t.authorize(&p).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{name}={value}");
        assert_eq!(r.location_param("error").as_deref(), Some("invalid_request"));
        assert_eq!(r.location_param("state").as_deref(), Some("st-1"));
        assert!(r.location_param("code").is_none());
    }
    // The confidential client needs PKCE too.
    let mut p = code_request("backend", REDIRECT);
    p.retain(|(k, _)| *k != "code_challenge");
    let r = t.authorize(&p).await;
    assert_eq!(r.location_param("error").as_deref(), Some("invalid_request"));
}

#[tokio::test]
async fn authorization_errors_after_the_redirect_check_go_back_with_their_codes() {
    let t = T::new();
    let cases: [(&str, &str, &str); 4] = [
        ("scope", "openid admin", "invalid_scope"),
        ("response_type", "token", "unsupported_response_type"),
        ("prompt", "none", "login_required"),
        ("request", "eyJ.e30.", "request_not_supported"),
    ];
    for (k, v, code) in cases {
        let mut p = code_request("web", REDIRECT);
        p.retain(|(n, _)| *n != k);
        p.push((k, v));
        let r = t.authorize(&p).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{k}");
        assert_eq!(r.location_param("error").as_deref(), Some(code), "{k}");
        assert_eq!(r.location_param("state").as_deref(), Some("st-1"));
        assert_eq!(r.location_param("iss").as_deref(), Some(crate::harness::ISS));
    }
}

#[tokio::test]
async fn wrong_pkce_verifier_is_invalid_grant_and_burns_the_code() {
    let t = T::new();
    let code = t.code("web").await;
    let wrong = "x".repeat(43);
    let r = t.redeem(&code, &wrong).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.error(), "invalid_grant");
    assert!(
        r.json()["error_description"]
            .as_str()
            .unwrap()
            .contains("code_verifier")
    );
    // One attempt per code.
    assert_eq!(t.redeem(&code, VERIFIER).await.error(), "invalid_grant");
    // A verifier outside RFC 7636's alphabet or length is a malformed request.
    let code = t.code("web").await;
    assert_eq!(t.redeem(&code, "short").await.error(), "invalid_request");
}

#[tokio::test]
async fn replayed_code_is_invalid_grant_and_revokes_what_it_issued() {
    let t = T::new();
    let code = t.code("web").await;
    let first = t.redeem(&code, VERIFIER).await.json();
    let replay = t.redeem(&code, VERIFIER).await;
    assert_eq!(replay.status, StatusCode::BAD_REQUEST);
    assert_eq!(replay.error(), "invalid_grant");
    assert_eq!(
        t.introspect(first["access_token"].as_str().unwrap()).await["active"],
        false
    );
    assert_eq!(
        t.refresh(first["refresh_token"].as_str().unwrap()).await.error(),
        "invalid_grant"
    );
    let ui = t
        .get_bearer("/userinfo", first["access_token"].as_str().unwrap())
        .await;
    assert_eq!(ui.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_late_replay_still_revokes_what_the_code_issued() {
    let t = T::new();
    let code = t.code("web").await;
    let first = t.redeem(&code, VERIFIER).await.json();
    t.advance(300);
    // Some other traffic: the state purges what has expired (at most once a minute).
    let cc = t
        .post(
            "/token",
            &[("grant_type", "client_credentials")],
            Some(("backend", "backend-secret")),
        )
        .await;
    assert_eq!(cc.status, StatusCode::OK);
    assert_eq!(t.redeem(&code, VERIFIER).await.error(), "invalid_grant");
    let r = t.refresh(first["refresh_token"].as_str().unwrap()).await;
    assert_eq!(r.error(), "invalid_grant", "the replay revoked the refresh token");
}

#[tokio::test]
async fn code_redemption_checks_expiry_client_and_redirect_uri() {
    let t = T::new();
    let code = t.code("web").await;
    t.advance(61);
    assert_eq!(t.redeem(&code, VERIFIER).await.error(), "invalid_grant");

    let code = t.code("web").await;
    let r = t
        .post(
            "/token",
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", REDIRECT),
                ("code_verifier", VERIFIER),
            ],
            Some(("backend", "backend-secret")),
        )
        .await;
    assert_eq!(r.error(), "invalid_grant");

    let code = t.code("web").await;
    let r = t
        .post(
            "/token",
            &[
                ("grant_type", "authorization_code"),
                ("client_id", "web"),
                ("code", &code),
                ("redirect_uri", "http://127.0.0.1:8000/other"),
                ("code_verifier", VERIFIER),
            ],
            None,
        )
        .await;
    assert_eq!(r.error(), "invalid_grant");
    assert!(r.text().contains("redirect_uri"));
    assert_eq!(t.redeem("made-up-code", VERIFIER).await.error(), "invalid_grant");
}

#[tokio::test]
async fn client_authentication_failures_are_401_invalid_client_with_a_basic_challenge() {
    let t = T::new();
    for basic in [("backend", "wrong"), ("nobody", "x"), ("backend", "")] {
        let r = t
            .post("/token", &[("grant_type", "client_credentials")], Some(basic))
            .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{basic:?}");
        assert_eq!(r.error(), "invalid_client");
        assert_eq!(
            r.header("www-authenticate"),
            Some("Basic realm=\"jwtkit issuer\"")
        );
    }
    // A confidential client without its secret.
    let r = t
        .post(
            "/token",
            &[("grant_type", "client_credentials"), ("client_id", "backend")],
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    // Two methods at once.
    let r = t
        .post(
            "/token",
            &[
                ("grant_type", "client_credentials"),
                ("client_secret", "backend-secret"),
            ],
            Some(("backend", "backend-secret")),
        )
        .await;
    assert_eq!(r.error(), "invalid_request");
}

#[tokio::test]
async fn grant_type_errors_use_their_codes() {
    let t = T::new();
    let r = t
        .post(
            "/token",
            &[("grant_type", "password"), ("client_id", "web")],
            None,
        )
        .await;
    assert_eq!(r.error(), "unsupported_grant_type");
    let r = t
        .post(
            "/token",
            &[("grant_type", "client_credentials"), ("client_id", "web")],
            None,
        )
        .await;
    assert_eq!(r.error(), "unauthorized_client");
    let r = t.post("/token", &[("client_id", "web")], None).await;
    assert_eq!(r.error(), "invalid_request");
    let r = t
        .post(
            "/token",
            &[("grant_type", "client_credentials"), ("scope", "openid")],
            Some(("backend", "backend-secret")),
        )
        .await;
    assert_eq!(r.error(), "invalid_scope");
    let r = t
        .post(
            "/token",
            &[("grant_type", "client_credentials"), ("scope", "admin")],
            Some(("backend", "backend-secret")),
        )
        .await;
    assert_eq!(r.error(), "invalid_scope");
}

#[tokio::test]
async fn oversized_repeated_or_mistyped_requests_are_refused() {
    let t = T::new();
    let big = format!("grant_type=client_credentials&scope={}", "a".repeat(4096));
    let r = t
        .post_raw("/token", big.into_bytes(), Some(("backend", "backend-secret")))
        .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(r.error(), "invalid_request");
    let r = t
        .post_raw(
            "/token",
            b"grant_type=client_credentials&grant_type=password".to_vec(),
            Some(("backend", "backend-secret")),
        )
        .await;
    assert_eq!(r.error(), "invalid_request");
    assert!(r.text().contains("more than once"));
    let req = axum::http::Request::post("/token")
        .header("content-type", "application/json")
        .body(axum::body::Body::from(r#"{"grant_type":"client_credentials"}"#))
        .unwrap();
    assert_eq!(t.send(req).await.error(), "invalid_request");
    let long = format!("/authorize?client_id=web&x={}", "a".repeat(4096));
    assert_eq!(t.get(&long).await.status, StatusCode::URI_TOO_LONG);
    let r = t.post_raw("/authorize/login", vec![b'a'; 4096], None).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn responses_never_contain_the_secret_or_echo_the_code() {
    let t = T::new();
    let code = t.code("web").await;
    let r = t.redeem(&code, "y".repeat(43).as_str()).await;
    assert!(!r.text().contains(&code));
    let r = t
        .post(
            "/token",
            &[("grant_type", "client_credentials")],
            Some(("backend", "wrong-secret")),
        )
        .await;
    assert!(!r.text().contains("wrong-secret"));
}

#[tokio::test]
async fn state_comes_back_byte_for_byte_so_the_client_can_detect_a_mismatch() {
    let t = T::new();
    let tricky = "a&b=c d/ü?#%26state=forged";
    let page = t.login_page("web", "openid", Some(tricky)).await;
    let r = t.approve(&page, "alice", "{}").await;
    let states: Vec<String> = r
        .location_params()
        .into_iter()
        .filter(|(k, _)| k == "state")
        .map(|(_, v)| v)
        .collect();
    assert_eq!(states, vec![tricky.to_string()], "exactly one state, unchanged");
    // On an error redirect too.
    let mut p = code_request("web", REDIRECT);
    p.retain(|(k, _)| *k != "state");
    p.push(("state", tricky));
    p.push(("prompt", "none"));
    let r = t.authorize(&p).await;
    assert_eq!(r.location_param("state").as_deref(), Some(tricky));
    assert_eq!(
        r.location_params().iter().filter(|(k, _)| k == "state").count(),
        1
    );
}
