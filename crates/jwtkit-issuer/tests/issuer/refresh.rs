//! Refresh tokens rotate on every use; reusing a rotated one revokes the whole family.

use axum::http::StatusCode;

use crate::harness::T;

#[tokio::test]
async fn every_refresh_rotates_and_reuse_revokes_the_family() {
    let t = T::new();
    let first = t.tokens().await;
    let r1 = first["refresh_token"].as_str().unwrap().to_string();
    let second = t.refresh(&r1).await;
    assert_eq!(second.status, StatusCode::OK, "{}", second.text());
    let second = second.json();
    let r2 = second["refresh_token"].as_str().unwrap().to_string();
    assert_ne!(r1, r2);
    assert!(second["id_token"].is_string());
    let third = t.refresh(&r2).await.json();
    let r3 = third["refresh_token"].as_str().unwrap().to_string();
    assert_eq!(
        t.introspect(third["access_token"].as_str().unwrap()).await["active"],
        true
    );

    // An attacker replays r1: refused, and the family (r3 and its access tokens) is revoked.
    let reuse = t.refresh(&r1).await;
    assert_eq!(reuse.status, StatusCode::BAD_REQUEST);
    assert_eq!(reuse.error(), "invalid_grant");
    assert!(reuse.text().contains("family"));
    assert_eq!(t.refresh(&r3).await.error(), "invalid_grant");
    assert_eq!(
        t.introspect(third["access_token"].as_str().unwrap()).await["active"],
        false
    );
    assert_eq!(
        t.introspect(first["access_token"].as_str().unwrap()).await["active"],
        false
    );
    // Other logins are untouched.
    let other = t.tokens().await;
    assert_eq!(
        t.refresh(other["refresh_token"].as_str().unwrap()).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn refresh_keeps_auth_time_and_sub_and_omits_the_nonce() {
    let t = T::new();
    let first = t.tokens().await;
    let login = t.now();
    t.advance(100);
    let next = t.refresh(first["refresh_token"].as_str().unwrap()).await.json();
    let keys = t.jwks().await;
    let (_, id) = crate::harness::verify(next["id_token"].as_str().unwrap(), &keys).unwrap();
    assert_eq!(id["auth_time"], login);
    assert_eq!(id["iat"], login + 100);
    assert_eq!(id["sub"], "alice");
    assert!(id.get("nonce").is_none());
}

#[tokio::test]
async fn refresh_scope_may_narrow_but_not_widen() {
    let t = T::new();
    let first = t.tokens().await;
    let r = t
        .post(
            "/token",
            &[
                ("grant_type", "refresh_token"),
                ("client_id", "web"),
                ("refresh_token", first["refresh_token"].as_str().unwrap()),
                ("scope", "orders:read"),
            ],
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let body = r.json();
    assert_eq!(body["scope"], "orders:read");
    assert!(body.get("id_token").is_none());
    let r = t
        .post(
            "/token",
            &[
                ("grant_type", "refresh_token"),
                ("client_id", "web"),
                ("refresh_token", body["refresh_token"].as_str().unwrap()),
                ("scope", "openid email"),
            ],
            None,
        )
        .await;
    assert_eq!(r.error(), "invalid_scope");
}

#[tokio::test]
async fn refresh_token_of_another_client_or_expired_is_invalid_grant() {
    let t = T::new();
    let first = t.tokens().await;
    let rt = first["refresh_token"].as_str().unwrap();
    let r = t
        .post(
            "/token",
            &[("grant_type", "refresh_token"), ("refresh_token", rt)],
            Some(("backend", "backend-secret")),
        )
        .await;
    assert_eq!(r.error(), "invalid_grant");
    // The right client can still use it: a wrong client does not burn it.
    let next = t.refresh(rt).await.json();
    t.advance(3601);
    let r = t.refresh(next["refresh_token"].as_str().unwrap()).await;
    assert_eq!(r.error(), "invalid_grant");
    assert!(r.text().contains("expired"));
}
