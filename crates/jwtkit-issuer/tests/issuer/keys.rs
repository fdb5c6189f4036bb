//! Key rotation: the next key is published before it signs; a retired key stays published
//! until every token it signed has expired.

use std::collections::HashSet;

use axum::http::StatusCode;

use crate::harness::{T, verify};

fn kids(set: &jwtkit::JwkSet) -> HashSet<String> {
    set.keys()
        .iter()
        .filter_map(|k| k.kid().map(str::to_string))
        .collect()
}

async fn kid_of(t: &T, token: &str) -> String {
    let (h, _) = verify(token, &t.jwks().await).expect("verifiable against the JWKS of its time");
    h["kid"].as_str().unwrap().to_string()
}

async fn client_token(t: &T) -> String {
    let r = t
        .post(
            "/token",
            &[("grant_type", "client_credentials")],
            Some(("backend", "backend-secret")),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    r.json()["access_token"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn rotation_publishes_ahead_and_keeps_retired_keys_until_their_tokens_expire() {
    // rotation_period 10m, publish_ahead 1m, longest token 30s (+60s leeway).
    let t = T::new();
    let jwks0 = t.jwks().await;
    assert_eq!(jwks0.keys().len(), 1);
    let k1 = kids(&jwks0).into_iter().next().unwrap();
    assert_eq!(jwks0.keys()[0].kid(), Some(k1.as_str()));

    t.advance(600 - 60 - 1);
    assert_eq!(
        kids(&t.jwks().await),
        HashSet::from([k1.clone()]),
        "not yet published"
    );
    t.advance(1);
    let ahead = kids(&t.jwks().await);
    assert_eq!(ahead.len(), 2, "the next key is published 1m ahead");
    let k2 = ahead.iter().find(|k| **k != k1).unwrap().clone();
    // Still signing with k1 until the period ends; a verifier that cached `ahead` knows k2.
    let last_k1 = client_token(&t).await;
    assert_eq!(kid_of(&t, &last_k1).await, k1);

    t.advance(59);
    let tok = client_token(&t).await;
    assert_eq!(kid_of(&t, &tok).await, k1);
    t.advance(1);
    let first_k2 = client_token(&t).await;
    assert_eq!(kid_of(&t, &first_k2).await, k2);
    let cached = jwtkit::JwkSet::from_keys(Vec::new());
    assert!(verify(&first_k2, &cached).is_err());
    // k1 stays until its last token (30s) plus 60s leeway is over.
    t.advance(89);
    assert!(kids(&t.jwks().await).contains(&k1));
    verify(&tok, &t.jwks().await).expect("k1 still published for its tokens");
    t.advance(1);
    let now = kids(&t.jwks().await);
    assert!(!now.contains(&k1), "k1 retired");
    assert!(now.contains(&k2));
}

#[tokio::test]
async fn tokens_verify_across_many_rotations_with_a_jwks_fetched_at_issue_time() {
    let t = T::new();
    let mut seen = HashSet::new();
    for _ in 0..40 {
        let jwks_before = t.jwks().await;
        let tok = client_token(&t).await;
        let (h, _) =
            verify(&tok, &jwks_before).expect("a token verifies against the JWKS fetched just before");
        seen.insert(h["kid"].as_str().unwrap().to_string());
        t.advance(29);
        verify(&tok, &t.jwks().await).expect("and against the JWKS until it expires");
        t.advance(31);
    }
    assert_eq!(
        seen.len(),
        4,
        "40 minutes at a 10-minute rotation: 4 signing keys"
    );
    assert!(t.jwks().await.keys().len() <= 2);
}

#[tokio::test]
async fn rs256_keys_sign_rs256_tokens() {
    let t = T::with_config(&crate::harness::CONFIG.replace("[keys]", "[keys]\nalgorithm = \"RS256\""));
    let tok = client_token(&t).await;
    let (h, _) = verify(&tok, &t.jwks().await).unwrap();
    assert_eq!(h["alg"], "RS256");
    let d = t.get("/.well-known/openid-configuration").await.json();
    assert_eq!(
        d["id_token_signing_alg_values_supported"],
        serde_json::json!(["RS256"])
    );
}
