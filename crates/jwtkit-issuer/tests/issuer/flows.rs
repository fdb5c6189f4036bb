//! Every grant and endpoint on the happy path, with the values they must carry.

use axum::http::StatusCode;
use serde_json::json;

use crate::harness::{ISS, REDIRECT, T, VERIFIER, verify};

#[tokio::test]
async fn discovery_and_rfc8414_metadata_name_every_endpoint_and_only_s256() {
    let t = T::new();
    let oidc = t.get("/.well-known/openid-configuration").await.json();
    let oauth = t.get("/.well-known/oauth-authorization-server").await.json();
    assert_eq!(oidc, oauth);
    assert_eq!(oidc["issuer"], ISS);
    assert_eq!(oidc["token_endpoint"], format!("{ISS}/token"));
    assert_eq!(oidc["jwks_uri"], format!("{ISS}/jwks"));
    assert_eq!(oidc["introspection_endpoint"], format!("{ISS}/introspect"));
    assert_eq!(oidc["revocation_endpoint"], format!("{ISS}/revoke"));
    assert_eq!(oidc["userinfo_endpoint"], format!("{ISS}/userinfo"));
    assert_eq!(oidc["code_challenge_methods_supported"], json!(["S256"]));
    assert_eq!(oidc["response_types_supported"], json!(["code"]));
    assert_eq!(oidc["id_token_signing_alg_values_supported"], json!(["ES256"]));
    assert_eq!(oidc["authorization_response_iss_parameter_supported"], true);
}

#[tokio::test]
async fn code_flow_returns_state_and_iss_and_issues_rfc9068_access_and_id_tokens() {
    let t = T::new();
    let page = t
        .login_page("web", "openid profile email orders:read", Some("st-123"))
        .await;
    assert!(page.text().contains("alice") && page.text().contains("bob"));
    assert!(
        page.header("content-security-policy")
            .unwrap()
            .contains("default-src 'none'")
    );
    let r = t.approve(&page, "alice", "{}").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(r.header("location").unwrap().starts_with(REDIRECT));
    assert_eq!(r.location_param("state").as_deref(), Some("st-123"));
    assert_eq!(r.location_param("iss").as_deref(), Some(ISS));
    let code = r.location_param("code").unwrap();
    let tr = t.redeem(&code, VERIFIER).await;
    assert_eq!(tr.status, StatusCode::OK, "{}", tr.text());
    assert_eq!(tr.header("cache-control"), Some("no-store"));
    let body = tr.json();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 30);
    assert_eq!(body["scope"], "openid profile email orders:read");
    assert!(body["refresh_token"].as_str().unwrap().len() >= 43);

    let keys = t.jwks().await;
    let (h, at) = verify(body["access_token"].as_str().unwrap(), &keys).unwrap();
    assert_eq!(h["typ"], "at+jwt");
    assert_eq!(h["alg"], "ES256");
    assert_eq!(at["iss"], ISS);
    assert_eq!(at["sub"], "alice");
    assert_eq!(at["aud"], "orders-api");
    assert_eq!(at["client_id"], "web");
    assert_eq!(at["scope"], "openid profile email orders:read");
    assert_eq!(at["iat"], t.now());
    assert_eq!(at["exp"], t.now() + 30);
    assert_eq!(at["auth_time"], t.now());
    assert_eq!(at["roles"], json!(["admin"]));
    assert!(at["jti"].as_str().unwrap().len() >= 43);
    // Standard claims stay out of the access token; they are for the client.
    assert!(at.get("email").is_none() && at.get("name").is_none());

    let (h, id) = verify(body["id_token"].as_str().unwrap(), &keys).unwrap();
    assert_eq!(h["typ"], "JWT");
    assert_eq!(id["aud"], "web");
    assert_eq!(id["azp"], "web");
    assert_eq!(id["nonce"], "n-0S6_WzA2Mj");
    assert_eq!(id["auth_time"], t.now());
    assert_eq!(id["email"], "alice@example.com");
    assert_eq!(id["name"], "Alice Example");
    assert_eq!(
        id["at_hash"],
        jwtkit_issuer::mint::at_hash(body["access_token"].as_str().unwrap())
    );
    assert_eq!(id["sid"], at["sid"]);
}

#[tokio::test]
async fn login_page_claim_changes_reach_tokens_and_userinfo() {
    let t = T::new();
    let page = t.login_page("web", "openid profile email", None).await;
    let r = t
        .approve(
            &page,
            "alice",
            r#"{"email":"ops@example.com","roles":["ops"],"name":null,"tenant":"t1"}"#,
        )
        .await;
    assert_eq!(r.location_param("state"), None);
    let body = t
        .redeem(&r.location_param("code").unwrap(), VERIFIER)
        .await
        .json();
    let keys = t.jwks().await;
    let (_, at) = verify(body["access_token"].as_str().unwrap(), &keys).unwrap();
    assert_eq!(at["roles"], json!(["ops"]));
    assert_eq!(at["tenant"], "t1");
    let ui = t
        .get_bearer("/userinfo", body["access_token"].as_str().unwrap())
        .await;
    assert_eq!(ui.status, StatusCode::OK);
    assert_eq!(
        ui.json(),
        json!({"email": "ops@example.com", "email_verified": true, "roles": ["ops"], "tenant": "t1", "sub": "alice"})
    );
}

#[tokio::test]
async fn userinfo_releases_standard_claims_by_scope_only() {
    let t = T::new();
    let page = t.login_page("web", "openid", None).await;
    let r = t.approve(&page, "alice", "").await;
    let body = t
        .redeem(&r.location_param("code").unwrap(), VERIFIER)
        .await
        .json();
    let ui = t
        .get_bearer("/userinfo", body["access_token"].as_str().unwrap())
        .await
        .json();
    assert_eq!(ui, json!({"roles": ["admin"], "sub": "alice"}));
}

#[tokio::test]
async fn login_page_refuses_reserved_claims_and_keeps_the_request() {
    let t = T::new();
    let page = t.login_page("web", "openid", Some("s")).await;
    let r = t.approve(&page, "alice", r#"{"sub":"mallory"}"#).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(
        r.text().contains("claim &quot;sub&quot; is set by the issuer"),
        "{}",
        r.text()
    );
    let r = t.approve(&page, "alice", "[1]").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.text().contains("must be a JSON object"));
    let r = t.approve(&page, "nobody", "{}").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = t.approve(&page, "alice", "{}").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    // The page is single use.
    let again = t.approve(&page, "alice", "{}").await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST);
    assert!(again.header("location").is_none());
}

#[tokio::test]
async fn deny_redirects_access_denied_with_state() {
    let t = T::new();
    let page = t.login_page("web", "openid", Some("st-9")).await;
    let id = T::request_id(&page);
    let r = t
        .post("/authorize/login", &[("request", &id), ("action", "deny")], None)
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.location_param("error").as_deref(), Some("access_denied"));
    assert_eq!(r.location_param("state").as_deref(), Some("st-9"));
    assert!(r.location_param("code").is_none());
}

#[tokio::test]
async fn client_credentials_with_basic_and_post_issue_a_client_token() {
    let t = T::new();
    let basic = t
        .post(
            "/token",
            &[("grant_type", "client_credentials")],
            Some(("backend", "backend-secret")),
        )
        .await;
    assert_eq!(basic.status, StatusCode::OK, "{}", basic.text());
    let body = basic.json();
    assert_eq!(body["scope"], "orders:read orders:write");
    assert!(body.get("refresh_token").is_none() && body.get("id_token").is_none());
    let (_, at) = verify(body["access_token"].as_str().unwrap(), &t.jwks().await).unwrap();
    assert_eq!(at["sub"], "backend");
    assert_eq!(at["client_id"], "backend");
    assert_eq!(at["aud"], "backend");
    assert!(at.get("sid").is_none());
    let post = t
        .post(
            "/token",
            &[
                ("grant_type", "client_credentials"),
                ("client_id", "backend"),
                ("client_secret", "backend-secret"),
                ("scope", "orders:read"),
            ],
            None,
        )
        .await;
    assert_eq!(post.status, StatusCode::OK);
    assert_eq!(post.json()["scope"], "orders:read");
    let userinfo = t
        .get_bearer("/userinfo", body["access_token"].as_str().unwrap())
        .await;
    assert_eq!(userinfo.status, StatusCode::FORBIDDEN);
    assert!(
        userinfo
            .header("www-authenticate")
            .unwrap()
            .contains("error=\"insufficient_scope\"")
    );
}

#[tokio::test]
async fn introspection_describes_access_and_refresh_tokens_to_confidential_clients() {
    let t = T::new();
    let body = t.tokens().await;
    let at = body["access_token"].as_str().unwrap();
    let i = t.introspect(at).await;
    assert_eq!(i["active"], true);
    assert_eq!(i["sub"], "alice");
    assert_eq!(i["client_id"], "web");
    assert_eq!(i["scope"], "openid profile orders:read");
    assert_eq!(i["token_type"], "Bearer");
    assert_eq!(i["exp"], t.now() + 30);
    // A refresh token is described only to its own client.
    assert_eq!(
        t.introspect(body["refresh_token"].as_str().unwrap()).await,
        json!({"active": false})
    );
    assert_eq!(t.introspect("not-a-token").await, json!({"active": false}));
    // A public client cannot introspect.
    let r = t
        .post("/introspect", &[("token", at), ("client_id", "web")], None)
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.error(), "invalid_client");
    // Expired: inactive.
    t.advance(31);
    assert_eq!(t.introspect(at).await, json!({"active": false}));
}

#[tokio::test]
async fn revoking_an_access_token_makes_it_inactive_and_refused_by_userinfo() {
    let t = T::new();
    let body = t.tokens().await;
    let at = body["access_token"].as_str().unwrap();
    assert_eq!(t.get_bearer("/userinfo", at).await.status, StatusCode::OK);
    let r = t
        .post("/revoke", &[("token", at), ("client_id", "web")], None)
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(t.introspect(at).await, json!({"active": false}));
    let ui = t.get_bearer("/userinfo", at).await;
    assert_eq!(ui.status, StatusCode::UNAUTHORIZED);
    assert!(
        ui.header("www-authenticate")
            .unwrap()
            .contains("error=\"invalid_token\"")
    );
    // The refresh token still works: RFC 7009 lets the server keep it.
    assert_eq!(
        t.refresh(body["refresh_token"].as_str().unwrap()).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn revoking_a_refresh_token_revokes_its_family_and_access_tokens() {
    let t = T::new();
    let body = t.tokens().await;
    let rt = body["refresh_token"].as_str().unwrap();
    let r = t
        .post(
            "/revoke",
            &[
                ("token", rt),
                ("token_type_hint", "refresh_token"),
                ("client_id", "web"),
            ],
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let again = t.refresh(rt).await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST);
    assert_eq!(again.error(), "invalid_grant");
    assert_eq!(
        t.introspect(body["access_token"].as_str().unwrap()).await["active"],
        false
    );
    // Unknown tokens: 200 (RFC 7009 §2.2). Another client's token: refused.
    assert_eq!(
        t.post("/revoke", &[("token", "nope"), ("client_id", "web")], None)
            .await
            .status,
        StatusCode::OK
    );
    let other = t.tokens().await;
    let r = t
        .post(
            "/revoke",
            &[("token", other["refresh_token"].as_str().unwrap())],
            Some(("backend", "backend-secret")),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.error(), "invalid_request");
    assert_eq!(
        t.refresh(other["refresh_token"].as_str().unwrap()).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn userinfo_without_a_token_is_a_bare_bearer_challenge() {
    let t = T::new();
    let r = t.get("/userinfo").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        r.header("www-authenticate"),
        Some("Bearer realm=\"jwtkit issuer\"")
    );
}
