//! Remote keys against a real HTTP server on 127.0.0.1 (no outside network): provider-shaped
//! discovery and JWK Sets, rotation, single flight, cooldown, stale window, timeouts, limits,
//! transport rules, `jku` allowlist, registry, persistent store.

mod server;

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use jwtkit::{Detail, ErrorKind, JwsAlg, Validation};
use jwtkit_remote::{DirStore, FetchPolicy, KeyCache, KeyCacheRegistry, KeyLocation};
use serde_json::json;
use server::{Reply, TestServer, fixture, jwks_of, token, token_with};

/// Verification through the core's one pipeline with the cache as the key source, as the
/// gateway does (compact tokens).
trait VerifyWith {
    fn verify(
        &self,
        token: &str,
        validation: &Validation,
    ) -> impl Future<Output = Result<jwtkit::Verified, jwtkit::Error>> + Send;
}

impl VerifyWith for KeyCache {
    async fn verify(&self, token: &str, validation: &Validation) -> Result<jwtkit::Verified, jwtkit::Error> {
        jwtkit::jwt::verify_with(jwtkit::jwt::Input::new(token).compact_only(), self, validation)
            .await
            .into_result()
    }
}

fn validation() -> Validation {
    Validation::builder([JwsAlg::RS256, JwsAlg::ES256])
        .audience("api")
        .build()
        .unwrap()
}

/// A policy for tests: short cooldown so that rotation can be exercised without long waits.
fn policy() -> FetchPolicy {
    FetchPolicy {
        refetch_cooldown: Duration::from_millis(300),
        ..FetchPolicy::default()
    }
}

fn available(e: &jwtkit::Error) -> Vec<String> {
    match e.detail() {
        Some(Detail::Keys { available, .. }) => available.clone(),
        other => panic!("expected Detail::Keys, got {other:?}"),
    }
}

/// Serve a provider's fixtures: discovery at `{issuer}/.well-known/openid-configuration`, the
/// JWK Set at the path of its `jwks_uri`. Returns (issuer, discovery path, jwks path).
fn serve_provider(srv: &TestServer, name: &str) -> (String, String, String) {
    let disc = fixture(&format!("{name}.discovery.json"), &srv.base);
    let v: serde_json::Value = serde_json::from_str(&disc).unwrap();
    let issuer = v["issuer"].as_str().unwrap().to_string();
    let jwks_path = v["jwks_uri"]
        .as_str()
        .unwrap()
        .strip_prefix(&srv.base)
        .unwrap()
        .to_string();
    let disc_path = format!(
        "{}/.well-known/openid-configuration",
        issuer.trim_end_matches('/')
    )
    .strip_prefix(&srv.base)
    .unwrap()
    .to_string();
    srv.set(&disc_path, Reply::json(disc));
    srv.set(
        &jwks_path,
        Reply::json(fixture(&format!("{name}.jwks.json"), &srv.base))
            .cache_control("public, max-age=15, stale-while-revalidate=15, stale-if-error=86400"),
    );
    (issuer, disc_path, jwks_path)
}

#[tokio::test]
async fn provider_shaped_discovery_and_jwks_verify() {
    let cases: &[(&str, &[(&str, JwsAlg)])] = &[
        (
            "auth0",
            &[("auth0-current", JwsAlg::RS256), ("auth0-next", JwsAlg::RS256)],
        ),
        ("okta", &[("okta-2024", JwsAlg::RS256)]),
        (
            "keycloak",
            &[("kc-rs256", JwsAlg::RS256), ("kc-es256", JwsAlg::ES256)],
        ),
        ("entra", &[("entra-a", JwsAlg::RS256), ("entra-b", JwsAlg::RS256)]),
        (
            "google",
            &[("google-1", JwsAlg::RS256), ("google-2", JwsAlg::RS256)],
        ),
        (
            "cognito",
            &[("cognito-id", JwsAlg::RS256), ("cognito-access", JwsAlg::RS256)],
        ),
    ];
    for (name, keys) in cases {
        let srv = TestServer::start().await;
        let (issuer, disc_path, jwks_path) = serve_provider(&srv, name);
        let cache = KeyCache::new(
            KeyLocation::Discovery {
                issuer: issuer.clone(),
            },
            policy(),
        )
        .unwrap();
        for (kid, alg) in *keys {
            let v = cache
                .verify(&token(kid, *alg, &issuer), &validation())
                .await
                .unwrap_or_else(|e| panic!("{name} {kid}: {e}"));
            assert_eq!(
                v.claims.get("sub").and_then(|s| s.as_str()),
                Some(format!("user-of-{kid}").as_str())
            );
            assert_eq!(v.alg, *alg);
            assert_eq!(v.header.kid(), Some(*kid));
        }
        assert_eq!(
            (srv.hits(&disc_path), srv.hits(&jwks_path)),
            (1, 1),
            "{name}: one discovery and one JWKS fetch"
        );
        let doc = cache.discovery().unwrap();
        assert_eq!(doc.issuer, issuer);
        assert_eq!(doc.jwks_uri, srv.url(&jwks_path));
        let st = cache.status();
        assert!(st.ready && !st.stale, "{name}: {st:?}");
        assert_eq!(st.generation, 1);
        // max-age=15 is clamped up to the 60 s minimum TTL.
        let ttl = st
            .expires_at
            .unwrap()
            .duration_since(st.fetched_at.unwrap())
            .unwrap();
        assert_eq!(ttl, Duration::from_secs(60), "{name}");
    }
}

#[tokio::test]
async fn keycloak_encryption_key_is_not_used_for_signatures_and_algs_come_from_discovery() {
    let srv = TestServer::start().await;
    let (issuer, _, _) = serve_provider(&srv, "keycloak");
    let cache = KeyCache::new(
        KeyLocation::Discovery {
            issuer: issuer.clone(),
        },
        policy(),
    )
    .unwrap();
    let e = cache
        .verify(&token("kc-enc", JwsAlg::RS256, &issuer), &validation())
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::KeyMismatch, "{e}");
    let algs = cache.discovery().unwrap().algorithms();
    assert!(algs.contains(JwsAlg::PS384) && algs.contains(JwsAlg::EdDSA) && algs.contains(JwsAlg::HS256));
    assert_eq!(algs.len(), 13);
}

#[tokio::test]
async fn issuer_must_match_the_discovery_document_and_the_token() {
    let srv = TestServer::start().await;
    let (issuer, _, _) = serve_provider(&srv, "okta");
    // Configured with a trailing '/': the same well-known URL, but not the same issuer.
    let cache = KeyCache::new(
        KeyLocation::Discovery {
            issuer: format!("{issuer}/"),
        },
        policy(),
    )
    .unwrap();
    let e = cache
        .verify(&token("okta-2024", JwsAlg::RS256, &issuer), &validation())
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidConfig, "{e}");
    assert!(e.message().contains("not the configured"), "{e}");

    let cache = KeyCache::new(
        KeyLocation::Discovery {
            issuer: issuer.clone(),
        },
        policy(),
    )
    .unwrap();
    let e = cache
        .verify(
            &token("okta-2024", JwsAlg::RS256, "https://evil.example/"),
            &validation(),
        )
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::BadIssuer, "{e}");
    let no_iss = token_with(
        "okta-2024",
        JwsAlg::RS256,
        json!({"aud": "api", "exp": 4102444800u64}),
        &[],
    );
    assert_eq!(
        cache.verify(&no_iss, &validation()).await.unwrap_err().kind(),
        ErrorKind::MissingClaim
    );
}

#[tokio::test]
async fn rfc8414_metadata_is_the_fallback() {
    let srv = TestServer::start().await;
    let issuer = srv.url("/tenant1");
    srv.set(
        "/.well-known/oauth-authorization-server/tenant1",
        Reply::json(json!({"issuer": issuer, "jwks_uri": srv.url("/tenant1/jwks")}).to_string()),
    );
    srv.set("/tenant1/jwks", Reply::json(jwks_of(&["google-1"])));
    let cache = KeyCache::new(
        KeyLocation::Discovery {
            issuer: issuer.clone(),
        },
        policy(),
    )
    .unwrap();
    let v = cache
        .verify(&token("google-1", JwsAlg::RS256, &issuer), &validation())
        .await
        .unwrap();
    assert_eq!(v.header.kid(), Some("google-1"));
    assert_eq!(srv.hits("/tenant1/.well-known/openid-configuration"), 1);
    assert_eq!(srv.hits("/.well-known/oauth-authorization-server/tenant1"), 1);
    assert_eq!(
        cache.discovery().unwrap().kind,
        jwtkit_remote::DiscoveryKind::OAuthAuthorizationServer
    );
}

#[tokio::test]
async fn rotation_from_a_to_b_needs_exactly_one_refetch() {
    let srv = TestServer::start().await;
    srv.set("/jwks", Reply::json(jwks_of(&["google-1"])));
    let cache = KeyCache::new(KeyLocation::JwksUrl(srv.url("/jwks")), policy()).unwrap();
    let (a, b) = (
        token("google-1", JwsAlg::RS256, "x"),
        token("google-2", JwsAlg::RS256, "x"),
    );
    cache.verify(&a, &validation()).await.unwrap();
    assert_eq!(srv.hits("/jwks"), 1);
    srv.set("/jwks", Reply::json(jwks_of(&["google-2"])));
    tokio::time::sleep(Duration::from_millis(350)).await; // past the 300 ms cooldown
    cache.verify(&b, &validation()).await.unwrap();
    assert_eq!(srv.hits("/jwks"), 2, "B verifies after exactly one refetch");
    assert_eq!(cache.status().generation, 2);
    // A was removed: key_not_found naming the kids present, without a new fetch (cooldown).
    let e = cache.verify(&a, &validation()).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::KeyNotFound, "{e}");
    assert_eq!(available(&e), ["google-2"]);
    assert!(e.message().contains("google-2"), "{e}");
    assert_eq!(srv.hits("/jwks"), 2);
    // B keeps verifying from memory.
    cache.verify(&b, &validation()).await.unwrap();
    assert_eq!(srv.hits("/jwks"), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thousand_concurrent_unknown_kids_cause_one_fetch() {
    let srv = TestServer::start().await;
    srv.set(
        "/jwks",
        Reply::json(jwks_of(&["google-1"])).delay(Duration::from_millis(100)),
    );
    // A 1 s cooldown: callers that run after the refetch completed must not refetch again,
    // even on a slow CI machine.
    let p = FetchPolicy {
        refetch_cooldown: Duration::from_secs(1),
        ..FetchPolicy::default()
    };
    let cache = KeyCache::new(KeyLocation::JwksUrl(srv.url("/jwks")), p).unwrap();
    // Cold start: 1,000 concurrent callers, one fetch.
    let tasks: Vec<_> = (0..1000)
        .map(|_| {
            let c = cache.clone();
            tokio::spawn(async move { c.keys().await.map(|k| k.keys().len()) })
        })
        .collect();
    for t in tasks {
        assert_eq!(t.await.unwrap().unwrap(), 1);
    }
    assert_eq!(srv.hits("/jwks"), 1);

    // Rotation: 1,000 concurrent verifications of a token whose kid is new: one refetch.
    srv.set(
        "/jwks",
        Reply::json(jwks_of(&["google-1", "google-2"])).delay(Duration::from_millis(100)),
    );
    tokio::time::sleep(Duration::from_millis(1050)).await;
    let b = Arc::new(token("google-2", JwsAlg::RS256, "x"));
    let tasks: Vec<_> = (0..1000)
        .map(|_| {
            let (c, b) = (cache.clone(), b.clone());
            tokio::spawn(async move { c.verify(&b, &validation()).await.map(|v| v.alg) })
        })
        .collect();
    for t in tasks {
        assert_eq!(t.await.unwrap().unwrap(), JwsAlg::RS256);
    }
    assert_eq!(
        srv.hits("/jwks"),
        2,
        "1,000 concurrent verifications with a new kid: exactly one fetch"
    );

    // A kid the issuer does not have: still one fetch, and every caller gets key_not_found.
    tokio::time::sleep(Duration::from_millis(1050)).await;
    let bogus = Arc::new(token_with(
        "google-1",
        JwsAlg::RS256,
        json!({"aud": "api"}),
        &[("kid", json!("no-such-kid"))],
    ));
    let tasks: Vec<_> = (0..1000)
        .map(|_| {
            let (c, t) = (cache.clone(), bogus.clone());
            tokio::spawn(async move { c.verify(&t, &validation()).await.unwrap_err() })
        })
        .collect();
    for t in tasks {
        let e = t.await.unwrap();
        assert_eq!(e.kind(), ErrorKind::KeyNotFound);
        assert_eq!(available(&e), ["google-1", "google-2"]);
    }
    assert_eq!(srv.hits("/jwks"), 3);
    assert_eq!(cache.status().fetch_count, 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_kid_flood_is_bounded_by_the_cooldown() {
    let srv = TestServer::start().await;
    srv.set("/jwks", Reply::json(jwks_of(&["google-1"])));
    let cooldown = Duration::from_millis(200);
    let p = FetchPolicy {
        refetch_cooldown: cooldown,
        ..FetchPolicy::default()
    };
    let cache = KeyCache::new(KeyLocation::JwksUrl(srv.url("/jwks")), p).unwrap();
    cache.keys().await.unwrap();
    let start = Instant::now();
    let mut sent = 0u64;
    while start.elapsed() < Duration::from_millis(1500) {
        let tasks: Vec<_> = (0..50)
            .map(|i| {
                let t = token_with(
                    "google-1",
                    JwsAlg::RS256,
                    json!({"aud": "api"}),
                    &[("kid", json!(format!("random-{sent}-{i}")))],
                );
                let c = cache.clone();
                tokio::spawn(async move { c.verify(&t, &validation()).await.unwrap_err().kind() })
            })
            .collect();
        for t in tasks {
            assert_eq!(t.await.unwrap(), ErrorKind::KeyNotFound);
        }
        sent += 50;
    }
    let elapsed = start.elapsed();
    let fetches = srv.hits("/jwks");
    let bound = 1 + (elapsed.as_millis() / cooldown.as_millis()) as usize + 1;
    eprintln!(
        "random-kid flood: {sent} tokens over {elapsed:?}, {fetches} fetches (cooldown {cooldown:?}, bound {bound})"
    );
    assert!(fetches >= 2, "the flood did trigger rotation refetches");
    assert!(fetches <= bound, "{fetches} fetches > {bound}");
}

#[tokio::test]
async fn failing_issuer_serves_stale_keys_until_the_window_ends() {
    let srv = TestServer::start().await;
    srv.set(
        "/jwks",
        Reply::json(jwks_of(&["google-1"])).cache_control("no-store"),
    );
    let p = FetchPolicy {
        min_ttl: Duration::from_millis(200),
        stale_window: Duration::from_millis(1200),
        refetch_cooldown: Duration::from_millis(100),
        ..FetchPolicy::default()
    };
    let cache = KeyCache::new(KeyLocation::JwksUrl(srv.url("/jwks")), p).unwrap();
    let a = token("google-1", JwsAlg::RS256, "x");
    cache.verify(&a, &validation()).await.unwrap();
    srv.set("/jwks", Reply::status(503));
    tokio::time::sleep(Duration::from_millis(300)).await; // expired, inside the stale window
    cache.verify(&a, &validation()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await; // let the background refetch fail
    let st = cache.status();
    assert!(st.ready && st.stale, "{st:?}");
    assert!(st.failure_count >= 1, "{st:?}");
    assert!(
        st.last_error.as_ref().unwrap().message().contains("HTTP 503"),
        "{st:?}"
    );
    cache.verify(&a, &validation()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(1200)).await; // past the stale window
    let e = cache.verify(&a, &validation()).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::KeyFetchFailed, "{e}");
    assert!(e.message().contains("stale window"), "{e}");
    assert!(!cache.status().ready);
    // The issuer comes back: keys again (after the backoff of at most 1 s).
    srv.set("/jwks", Reply::json(jwks_of(&["google-1"])));
    tokio::time::sleep(Duration::from_millis(1500)).await; // past the 1 s backoff
    cache.verify(&a, &validation()).await.unwrap();
    assert!(cache.status().ready);
}

#[tokio::test]
async fn unreachable_and_slow_issuers_fail_within_the_timeouts() {
    // Nothing listens on this port.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let cache = KeyCache::new(
        KeyLocation::JwksUrl(format!("http://127.0.0.1:{port}/jwks")),
        policy(),
    )
    .unwrap();
    let e = cache.keys().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::KeyFetchFailed, "{e}");
    // The HTTP client's own error is kept as the source (the message already names it).
    let source = std::error::Error::source(&e).expect("the connection error is the source");
    assert!(source.is::<reqwest::Error>(), "{source:?}");
    // During the backoff, the error comes back without a new attempt.
    assert_eq!(cache.keys().await.unwrap_err().kind(), ErrorKind::KeyFetchFailed);
    assert_eq!(cache.status().fetch_count, 1);

    let srv = TestServer::start().await;
    srv.set(
        "/slow",
        Reply::json(jwks_of(&["google-1"])).delay(Duration::from_secs(20)),
    );
    let p = FetchPolicy {
        read_timeout: Duration::from_millis(300),
        total_timeout: Duration::from_millis(800),
        ..policy()
    };
    let cache = KeyCache::new(KeyLocation::JwksUrl(srv.url("/slow")), p).unwrap();
    let start = Instant::now();
    let e = cache.keys().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::KeyFetchFailed, "{e}");
    assert!(e.message().contains("timed out"), "{e}");
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "bounded by the timeouts: {:?}",
        start.elapsed()
    );
}

#[tokio::test]
async fn oversized_or_invalid_documents() {
    let srv = TestServer::start().await;
    let small = FetchPolicy {
        max_bytes: 1500,
        max_keys: 2,
        ..policy()
    };
    let big = jwks_of(&[
        "google-1",
        "google-2",
        "cognito-id",
        "cognito-access",
        "okta-2024",
    ]);
    assert!(
        big.len() > 1500,
        "the oversized case really is over the limit: {}",
        big.len()
    );
    let cases = [
        ("/big", Reply::json(big.clone()), ErrorKind::ResourceLimit),
        (
            "/many",
            Reply::json(jwks_of(&["kc-es256", "kc-es256", "kc-es256"])),
            ErrorKind::ResourceLimit,
        ),
        (
            "/garbage",
            Reply::json("<html>not json</html>"),
            ErrorKind::BadJson,
        ),
        (
            "/dup",
            Reply::json(r#"{"keys":[],"keys":[]}"#),
            ErrorKind::DuplicateMember,
        ),
        ("/notaset", Reply::json(r#"{"keys":5}"#), ErrorKind::Malformed),
        ("/404", Reply::status(404), ErrorKind::KeyFetchFailed),
    ];
    for (path, reply, kind) in cases {
        srv.set(path, reply);
        let cache = KeyCache::new(KeyLocation::JwksUrl(srv.url(path)), small.clone()).unwrap();
        let e = cache.keys().await.unwrap_err();
        assert_eq!(e.kind(), kind, "{path}: {e}");
        assert!(e.message().contains(path), "{path}: the URL is named: {e}");
    }
}

#[tokio::test]
async fn transport_rules_http_and_redirects() {
    let e = KeyCache::new(
        KeyLocation::JwksUrl("http://keys.example.com/jwks".into()),
        FetchPolicy::default(),
    )
    .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidConfig);
    let e = KeyCache::new(
        KeyLocation::Discovery {
            issuer: "http://auth.example.com".into(),
        },
        FetchPolicy::default(),
    )
    .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidConfig);
    let insecure = FetchPolicy {
        allow_insecure_http: true,
        ..FetchPolicy::default()
    };
    assert!(
        KeyCache::new(
            KeyLocation::JwksUrl("http://keys.example.com/jwks".into()),
            insecure
        )
        .is_ok()
    );

    let srv = TestServer::start().await;
    srv.set("/jwks", Reply::json(jwks_of(&["google-1"])));
    srv.set("/r1", Reply::redirect("/r2"));
    srv.set("/r2", Reply::redirect("/jwks"));
    let cache = KeyCache::new(KeyLocation::JwksUrl(srv.url("/r1")), policy()).unwrap();
    assert_eq!(cache.keys().await.unwrap().keys().len(), 1);
    let one = FetchPolicy {
        max_redirects: 1,
        ..policy()
    };
    let cache = KeyCache::new(KeyLocation::JwksUrl(srv.url("/r1")), one).unwrap();
    let e = cache.keys().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::KeyFetchFailed);
    assert!(e.message().contains("redirects"), "{e}");
    // A redirect to plain http off the machine is refused before it is followed.
    srv.set("/away", Reply::redirect("http://keys.example.invalid/jwks"));
    let cache = KeyCache::new(KeyLocation::JwksUrl(srv.url("/away")), policy()).unwrap();
    let e = cache.keys().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::KeyFetchFailed);
    assert!(e.message().contains("redirect refused"), "{e}");
    // A discovery document pointing at plain http off the machine.
    let issuer = srv.url("/idp");
    srv.set(
        "/idp/.well-known/openid-configuration",
        Reply::json(json!({"issuer": issuer, "jwks_uri": "http://keys.example.invalid/jwks"}).to_string()),
    );
    let cache = KeyCache::new(KeyLocation::Discovery { issuer }, policy()).unwrap();
    assert_eq!(cache.keys().await.unwrap_err().kind(), ErrorKind::InvalidConfig);
}

#[tokio::test]
async fn jku_is_fetched_only_when_allowlisted() {
    let srv = TestServer::start().await;
    let attacker = TestServer::start().await;
    srv.set("/jwks", Reply::json(jwks_of(&["google-1"])));
    attacker.set("/evil.json", Reply::json(jwks_of(&["google-2"])));
    let evil_url = attacker.url("/evil.json");
    let t = token_with(
        "google-2",
        JwsAlg::RS256,
        json!({"aud": "api"}),
        &[("jku", json!(evil_url))],
    );
    let cache = KeyCache::new(KeyLocation::JwksUrl(srv.url("/jwks")), policy()).unwrap();
    let e = cache.verify(&t, &validation()).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::KeyNotFound, "{e}");
    assert_eq!(
        attacker.total_hits(),
        0,
        "a jku that is not allowlisted is never fetched"
    );

    let allow = FetchPolicy {
        allowed_key_urls: vec![evil_url.clone()],
        ..policy()
    };
    let cache = KeyCache::new(KeyLocation::JwksUrl(srv.url("/jwks")), allow).unwrap();
    cache.verify(&t, &validation()).await.unwrap();
    assert_eq!(attacker.hits("/evil.json"), 1);
    // Exact match only: a different query string is not allowed.
    let t2 = token_with(
        "google-2",
        JwsAlg::RS256,
        json!({"aud": "api"}),
        &[("jku", json!(format!("{evil_url}?x")))],
    );
    assert_eq!(
        cache.verify(&t2, &validation()).await.unwrap_err().kind(),
        ErrorKind::KeyNotFound
    );
    assert_eq!(attacker.total_hits(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registry_shares_one_cache_per_source() {
    let srv = TestServer::start().await;
    srv.set("/jwks", Reply::json(jwks_of(&["google-1"])));
    let reg = KeyCacheRegistry::new();
    let a = reg
        .get_or_create(KeyLocation::JwksUrl(srv.url("/jwks")), policy())
        .unwrap();
    let b = reg
        .get_or_create(KeyLocation::JwksUrl(srv.url("/jwks")), policy())
        .unwrap();
    assert!(Arc::ptr_eq(&a, &b));
    let t = Arc::new(token("google-1", JwsAlg::RS256, "x"));
    let tasks: Vec<_> = (0..100)
        .map(|i| {
            let (c, t) = (if i % 2 == 0 { a.clone() } else { b.clone() }, t.clone());
            tokio::spawn(async move { c.verify(&t, &validation()).await.is_ok() })
        })
        .collect();
    for t in tasks {
        assert!(t.await.unwrap());
    }
    assert_eq!(srv.hits("/jwks"), 1);
    let other = reg
        .get_or_create(KeyLocation::JwksUrl(srv.url("/jwks")), FetchPolicy::default())
        .unwrap();
    assert!(!Arc::ptr_eq(&a, &other), "another policy gets its own cache");
    drop((a, b, other));
    assert_eq!(reg.prune(), 2);
    assert!(reg.is_empty());
}

#[tokio::test]
async fn refresher_renews_keys_before_they_expire() {
    let srv = TestServer::start().await;
    srv.set(
        "/jwks",
        Reply::json(jwks_of(&["google-1"])).cache_control("max-age=0"),
    );
    let p = FetchPolicy {
        min_ttl: Duration::from_millis(500),
        ..policy()
    };
    let cache = KeyCache::new(KeyLocation::JwksUrl(srv.url("/jwks")), p).unwrap();
    let handle = cache.spawn_refresher();
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(srv.hits("/jwks"), 1, "the refresher fetched at once");
    assert_eq!(cache.status().generation, 1);
    srv.set(
        "/jwks",
        Reply::json(jwks_of(&["google-2"])).cache_control("max-age=0"),
    );
    for _ in 0..12 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert!(!cache.status().stale, "refreshed before expiry");
    }
    // Fetches at 0, 400, 800 and 1200 ms (80% of each 500 ms TTL).
    let hits = srv.hits("/jwks");
    assert!(
        (3..=5).contains(&hits),
        "refetched at 80% of each 500 ms TTL: {hits}"
    );
    assert_eq!(
        cache.status().generation,
        2,
        "the new set was picked up without any verification"
    );
    assert_eq!(cache.current().unwrap().keys()[0].kid(), Some("google-2"));
    handle.abort();
}

#[tokio::test]
async fn store_keeps_documents_and_offline_uses_them() {
    let dir = tempfile::tempdir().unwrap();
    let srv = TestServer::start().await;
    let (issuer, disc_path, jwks_path) = serve_provider(&srv, "auth0");
    let store = Arc::new(DirStore::new(dir.path(), 256 * 1024));
    let src = KeyLocation::Discovery {
        issuer: issuer.clone(),
    };
    let t = token("auth0-current", JwsAlg::RS256, &issuer);
    let c1 = KeyCache::with_store(src.clone(), policy(), store.clone()).unwrap();
    c1.verify(&t, &validation()).await.unwrap();
    assert_eq!(srv.total_hits(), 2);
    // A new process within the TTL: no request.
    let c2 = KeyCache::with_store(src.clone(), policy(), store.clone()).unwrap();
    c2.verify(&t, &validation()).await.unwrap();
    assert_eq!((srv.hits(&disc_path), srv.hits(&jwks_path)), (1, 1));
    assert_eq!(c2.status().fetch_count, 0);
    // Offline, the issuer gone: from the store.
    srv.set(&jwks_path, Reply::status(500));
    let offline = FetchPolicy {
        offline: true,
        ..policy()
    };
    let c3 = KeyCache::with_store(src.clone(), offline.clone(), store.clone()).unwrap();
    c3.verify(&t, &validation()).await.unwrap();
    // A rotated kid: refetched (the stored copy is older than the cooldown), but not offline.
    tokio::time::sleep(Duration::from_millis(350)).await;
    let t_new = token_with(
        "google-1",
        JwsAlg::RS256,
        json!({"iss": issuer, "aud": "api"}),
        &[],
    );
    let e = c3.verify(&t_new, &validation()).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::KeyNotFound, "{e}");
    assert_eq!(srv.hits(&jwks_path), 1);
    let c4 = KeyCache::with_store(src, policy(), store.clone()).unwrap();
    assert_eq!(
        c4.verify(&t_new, &validation()).await.unwrap_err().kind(),
        ErrorKind::KeyNotFound
    );
    assert_eq!(
        srv.hits(&jwks_path),
        2,
        "one rotation refetch, answered 500, stored keys kept"
    );
    // Offline with an empty store.
    let empty = Arc::new(DirStore::new(dir.path().join("empty"), 1024));
    let c5 = KeyCache::with_store(KeyLocation::JwksUrl(srv.url(&jwks_path)), offline, empty).unwrap();
    let e = c5.keys().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::KeyFetchFailed);
    assert!(e.message().contains("offline"), "{e}");
}

#[tokio::test]
async fn file_source_reads_any_key_document() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("keys.json");
    std::fs::write(&path, jwks_of(&["google-1", "kc-es256"])).unwrap();
    let cache = KeyCache::new(KeyLocation::File(path.clone()), policy()).unwrap();
    cache
        .verify(&token("kc-es256", JwsAlg::ES256, "x"), &validation())
        .await
        .unwrap();
    let missing = KeyCache::new(KeyLocation::File(dir.path().join("nope.json")), policy()).unwrap();
    assert_eq!(
        missing.keys().await.unwrap_err().kind(),
        ErrorKind::KeyFetchFailed
    );
}
