//! The redb state file, the listen address guard and config validation.

use axum::http::StatusCode;
use jwtkit_issuer::config::{Config, StateLocation};
use jwtkit_issuer::listen_address;

use crate::harness::{CONFIG, T};

fn file_config(path: &std::path::Path) -> Config {
    let mut c = Config::from_toml(CONFIG).unwrap();
    c.state = Some(StateLocation::File(path.to_path_buf()));
    c
}

#[tokio::test]
async fn a_state_file_keeps_keys_and_refresh_families_across_restarts_and_holds_no_token() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("issuer.db");
    let (kid, refresh, access) = {
        let t = T::from_config(file_config(&path));
        let body = t.tokens().await;
        let kid = t.jwks().await.keys()[0].kid().unwrap().to_string();
        (
            kid,
            body["refresh_token"].as_str().unwrap().to_string(),
            body["access_token"].as_str().unwrap().to_string(),
        )
    };
    let bytes = std::fs::read(&path).unwrap();
    let contains = |needle: &str| bytes.windows(needle.len()).any(|w| w == needle.as_bytes());
    assert!(!contains(&refresh), "the refresh token is stored only as a hash");
    assert!(contains(&jwtkit_issuer::store::token_hash(&refresh)));
    assert!(!contains(&access));

    let t = T::from_config(file_config(&path));
    assert_eq!(
        t.jwks().await.keys()[0].kid(),
        Some(kid.as_str()),
        "same key after restart"
    );
    assert_eq!(t.introspect(&access).await["active"], true);
    let next = t.refresh(&refresh).await;
    assert_eq!(next.status, StatusCode::OK, "{}", next.text());
    drop(t);
    // Reuse after another restart is still detected.
    let t = T::from_config(file_config(&path));
    assert_eq!(t.refresh(&refresh).await.error(), "invalid_grant");
    let rotated = next.json()["refresh_token"].as_str().unwrap().to_string();
    assert_eq!(
        t.refresh(&rotated).await.error(),
        "invalid_grant",
        "family revoked"
    );
}

#[test]
fn listen_address_is_loopback_unless_allowed() {
    assert_eq!(listen_address("127.0.0.1:9400", false).unwrap().port(), 9400);
    assert!(listen_address("[::1]:0", false).unwrap().ip().is_loopback());
    assert!(
        listen_address("localhost:8080", false)
            .unwrap()
            .ip()
            .is_loopback()
    );
    let e = listen_address("0.0.0.0:9400", false).unwrap_err().to_string();
    assert!(e.contains("--allow-public-address"), "{e}");
    assert!(listen_address("192.168.1.5:9400", false).is_err());
    assert!(listen_address("0.0.0.0:9400", true).is_ok());
    assert!(listen_address("example.com:80", true).is_err());
}

#[test]
fn config_errors_name_what_to_fix() {
    let e = Config::from_toml("[tokens]\naccess_ttl = 5").unwrap_err();
    assert!(format!("{e:#}").contains("unknown field `access_ttl`"), "{e:#}");
    let e = Config::from_toml("[[clients]]\nclient_id = \"spa\"\nredirect_uris = [\"http://x/cb\"]\ngrant_types = [\"client_credentials\"]")
        .unwrap_err();
    assert!(e.to_string().contains("needs a client_secret"), "{e}");
    let e = Config::from_toml("[keys]\nrotation_period = \"1m\"\npublish_ahead = \"2m\"").unwrap_err();
    assert!(e.to_string().contains("publish_ahead"), "{e}");
    let e = Config::from_toml("[[clients]]\nclient_id = \"spa\"\nredirect_uris = [\"/cb\"]").unwrap_err();
    assert!(e.to_string().contains("not an absolute URI"), "{e}");
    let e = Config::from_toml("[[users]]\nsub = \"a\"\nclaims = { iss = \"x\" }").unwrap_err();
    assert!(e.to_string().contains("set by the issuer"), "{e}");
    let e = Config::from_toml("issuer = \"http://x/?a=b\"").unwrap_err();
    assert!(e.to_string().contains("RFC 8414"), "{e}");
    let e = Config::from_toml("[[clients]]\nclient_id = \"c\"\nclient_secret = \"env:JWTKIT_ISSUER_TEST_UNSET\"\nredirect_uris = [\"http://x/cb\"]")
        .map(|c| jwtkit_issuer::Issuer::new(c, "http://127.0.0.1:1", jwtkit_issuer::system_clock()).err())
        .unwrap()
        .unwrap();
    assert!(
        e.to_string().contains("JWTKIT_ISSUER_TEST_UNSET is not set"),
        "{e}"
    );
}

#[tokio::test]
async fn an_issuer_with_a_path_serves_under_it_and_rfc8414_metadata_at_the_root() {
    let t = T::with_config(&format!(
        "issuer = \"http://127.0.0.1:9400/realms/dev\"\n{CONFIG}"
    ));
    let d = t.get("/realms/dev/.well-known/openid-configuration").await.json();
    assert_eq!(d["issuer"], "http://127.0.0.1:9400/realms/dev");
    assert_eq!(d["token_endpoint"], "http://127.0.0.1:9400/realms/dev/token");
    let m = t
        .get("/.well-known/oauth-authorization-server/realms/dev")
        .await
        .json();
    assert_eq!(m, d);
    assert_eq!(t.get("/realms/dev/jwks").await.status, StatusCode::OK);
}

#[tokio::test]
async fn the_banner_says_it_is_for_development() {
    let t = T::new();
    let b = t.issuer.banner();
    assert!(b.starts_with("jwtkit issuer: FOR DEVELOPMENT AND TESTS ONLY"));
    assert!(b.contains("backend (confidential), web (public)"));
    assert!(!b.contains("backend-secret"));
}

#[test]
fn a_state_file_in_use_is_refused_with_a_reason() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("issuer.db");
    let _first = jwtkit_issuer::store::Store::open(&path).unwrap();
    let e = jwtkit_issuer::store::Store::open(&path)
        .err()
        .expect("a second open fails")
        .to_string();
    assert!(e.contains("is another issuer using it?"), "{e}");
    std::fs::write(dir.path().join("junk.db"), b"not a database at all, just text").unwrap();
    assert!(jwtkit_issuer::store::Store::open(&dir.path().join("junk.db")).is_err());
}
