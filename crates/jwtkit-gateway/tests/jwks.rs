//! Keys from a real JWKS server on 127.0.0.1 through the core's `KeyCache`: rotation during
//! traffic (one coalesced refetch, no 5xx, retired keys' cached tokens dropped) and a key
//! server that is down when the gateway starts.

mod common;

use std::time::Duration;

use common::*;
use jwtkit::JwsAlg;
use serde_json::json;

const ROUTES: &str = r#"
[[routes]]
name = "orders"
path_prefix = "/orders"
upstream = "{UPSTREAM}"
auth = { providers = ["main"], scopes = ["orders:read"] }
claims_to_headers = { sub = "X-User-Id" }
"#;

#[tokio::test]
async fn jwks_rotation_during_traffic_one_refetch_no_5xx() {
    let up = Upstream::start().await;
    let old = Signing::new(JwsAlg::ES256, "old");
    let new = Signing::new(JwsAlg::RS256, "new");
    let mut jwks = JwksServer::new(&[&old]);
    jwks.start().await;
    let s = setup(&(jwks_config(EMBEDDED, &jwks.url()) + ROUTES), &up.url(), &[]);
    let gw = start(&s).await;
    let url = format!("http://{}/orders/1", gw.addr());
    let old_token = old.sign(&claims("a", json!({"scope": "orders:read"})));
    assert_eq!(bearer_get(&url, &old_token).await.status, 200);
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let traffic = {
        let (url, t, stop) = (url.clone(), old_token.clone(), stop.clone());
        tokio::spawn(async move {
            let mut statuses = std::collections::BTreeMap::new();
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                *statuses.entry(bearer_get(&url, &t).await.status).or_insert(0) += 1;
            }
            statuses
        })
    };
    tokio::time::sleep(Duration::from_millis(1200)).await; // past the 1 s refetch cooldown

    // Rotate: the issuer publishes the new key and signs with it. 20 concurrent requests with
    // the new kid cause exactly one refetch, and all are accepted.
    jwks.set_keys(&[&old, &new]);
    let before = jwks.fetch_count();
    let new_token = new.sign(&claims("b", json!({"scope": "orders:read"})));
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let (url, t) = (url.clone(), new_token.clone());
            tokio::spawn(async move { bearer_get(&url, &t).await.status })
        })
        .collect();
    for t in tasks {
        assert_eq!(t.await.unwrap(), 200);
    }
    assert_eq!(
        jwks.fetch_count() - before,
        1,
        "unknown kid must cause exactly one coalesced refetch"
    );

    // Retire the old key: once the set no longer has it, its cached tokens are not served.
    jwks.set_keys(&[&new]);
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let probe = Signing::new(JwsAlg::ES256, "probe").sign(&claims("p", json!({})));
    assert_eq!(
        bearer_get(&url, &probe).await.status,
        401,
        "unknown kid after the refetch"
    );
    let r = bearer_get(&url, &old_token).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let statuses = traffic.await.unwrap();
    assert_eq!(
        r.status, 401,
        "a token of a retired key must not come from the cache"
    );
    assert_eq!(r.json()["error_description"], "signing key not found");
    assert_eq!(bearer_get(&url, &new_token).await.status, 200);
    assert!(statuses.keys().all(|s| *s < 500), "{statuses:?}");
    assert!(statuses.get(&200).copied().unwrap_or(0) > 0, "{statuses:?}");
    gw.shutdown().await;
}

#[tokio::test]
async fn jwks_server_down_at_start_then_recovers() {
    let up = Upstream::start().await;
    let k = Signing::new(JwsAlg::ES256, "k1");
    let mut jwks = JwksServer::new(&[&k]);
    let s = setup(&(jwks_config(EMBEDDED, &jwks.url()) + ROUTES), &up.url(), &[]);
    let gw = start(&s).await;
    let token = k.sign(&claims("a", json!({"scope": "orders:read"})));
    let url = format!("http://{}/orders/1", gw.addr());
    let r = bearer_get(&url, &token).await;
    assert_eq!(r.status, 503);
    assert_eq!(r.header("retry-after"), Some("1"));
    assert_eq!(r.header("www-authenticate"), None);
    assert_eq!(r.json()["error"], "temporarily_unavailable");
    let ready = get(&format!("http://{}/readyz", gw.admin_addr()), &[]).await;
    assert_eq!(ready.status, 503);
    assert_eq!(ready.json()["providers"]["main"]["ready"], false);
    assert!(
        ready.json()["providers"]["main"]["last_error"].is_string(),
        "{}",
        ready.json()
    );
    jwks.start().await;
    let admin = gw.admin_addr();
    assert!(
        eventually(15, || async {
            get(&format!("http://{admin}/readyz"), &[]).await.status == 200
        })
        .await
    );
    assert_eq!(bearer_get(&url, &token).await.status, 200);
    let m = String::from_utf8(get(&format!("http://{admin}/metrics"), &[]).await.body.to_vec()).unwrap();
    assert!(
        m.contains("jwtkit_gateway_jwks_fetch_failures_total{provider=\"main\"}"),
        "{m}"
    );
    gw.shutdown().await;
}

#[tokio::test]
async fn one_fetch_per_issuer_across_providers_routes_and_workers() {
    let up = Upstream::start().await;
    let k = Signing::new(JwsAlg::ES256, "k1");
    let mut jwks = JwksServer::new(&[&k]);
    jwks.start().await;
    let extra = format!(
        r#"
[[providers]]
name = "same-issuer-other-audience"
issuer = "https://issuer.test/"
audiences = ["billing-api"]
jwks_uri = "{url}"
algorithms = ["ES256", "RS256", "EdDSA"]
fetch = {{ refetch_cooldown = "1s" }}

[[routes]]
name = "billing"
path_prefix = "/billing"
upstream = "{{UPSTREAM}}"
auth = {{ providers = ["same-issuer-other-audience"] }}

[[routes]]
name = "orders-too"
path_prefix = "/orders2"
upstream = "{{UPSTREAM}}"
auth = {{ providers = ["main"] }}
"#,
        url = jwks.url()
    );
    let config =
        jwks_config(EMBEDDED, &jwks.url()).replace("[server]", "[server]\nworkers = 2") + ROUTES + &extra;
    let s = setup(&config, &up.url(), &[]);
    let gw = start(&s).await;
    let orders = k.sign(&claims("a", json!({"scope": "orders:read"})));
    let billing = k.sign(&claims("b", json!({"aud": "billing-api"})));
    for i in 0..20 {
        let (path, t) = match i % 3 {
            0 => ("/orders/1", &orders),
            1 => ("/orders2/1", &orders),
            _ => ("/billing/1", &billing),
        };
        assert_eq!(
            bearer_get(&format!("http://{}{path}", gw.addr()), t).await.status,
            200,
            "{path}"
        );
    }
    assert_eq!(
        jwks.fetch_count(),
        1,
        "two providers, three routes, two workers: one fetch"
    );
    gw.shutdown().await;
}

/// `discovery = true`: the issuer's OpenID configuration names the JWK Set; a token whose `iss`
/// is the issuer verifies, one signed by the same key for another issuer does not.
#[tokio::test]
async fn keys_through_openid_discovery() {
    use http_body_util::Full;
    let up = Upstream::start().await;
    let k = Signing::new(JwsAlg::ES256, "k1");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let issuer = format!("http://{}", listener.local_addr().unwrap());
    let jwks = serde_json::to_vec(&jwtkit::JwkSet::from_keys(vec![k.public()]).to_json(false)).unwrap();
    let discovery = json!({"issuer": issuer, "jwks_uri": format!("{issuer}/keys")}).to_string();
    let paths = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let seen = paths.clone();
    let server = tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let (jwks, discovery, seen) = (jwks.clone(), discovery.clone(), seen.clone());
            tokio::spawn(async move {
                let svc = hyper::service::service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                    let path = req.uri().path().to_string();
                    seen.lock().unwrap().push(path.clone());
                    let body = match path.as_str() {
                        "/.well-known/openid-configuration" => discovery.clone().into_bytes(),
                        "/keys" => jwks.clone(),
                        _ => b"{}".to_vec(),
                    };
                    async move {
                        Ok::<_, hyper::Error>(
                            hyper::Response::builder()
                                .header("content-type", "application/json")
                                .body(Full::new(bytes::Bytes::from(body)))
                                .unwrap(),
                        )
                    }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(stream), svc)
                    .await;
            });
        }
    });
    let config = base_config(EMBEDDED)
        .replace(
            "issuer = \"https://issuer.test/\"",
            &format!("issuer = \"{issuer}\""),
        )
        .replace("keys = \"{JWKS}\"", "discovery = true")
        + ROUTES;
    let s = setup(&config, &up.url(), &[]);
    let gw = start(&s).await;
    let url = format!("http://{}/orders/1", gw.addr());
    let good = k.sign(&claims("a", json!({"iss": issuer, "scope": "orders:read"})));
    let r = bearer_get(&url, &good).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.seen("x-user-id"), Some(vec!["a".to_string()]));
    let other = k.sign(&claims("a", json!({"scope": "orders:read"})));
    let r = bearer_get(&url, &other).await;
    assert_eq!(
        (r.status, r.json()["error_description"].as_str()),
        (401, Some("issuer not accepted"))
    );
    assert_eq!(
        *paths.lock().unwrap(),
        ["/.well-known/openid-configuration", "/keys"],
        "discovery, then the JWK Set, once"
    );
    gw.shutdown().await;
    server.abort();
}

/// A JWK Set with ML-DSA (`AKP`, RFC 9964) and secp256k1 keys next to RSA: each token is
/// verified by its own key and allowlist, an ML-DSA-87 token (4627-byte signature) fits the
/// default 16 KiB token limit, and an algorithm outside the provider's allowlist is refused.
#[tokio::test]
async fn jwks_with_ml_dsa_and_es256k_keys() {
    let up = Upstream::start().await;
    let signers = [
        Signing::new(JwsAlg::ML_DSA_44, "pq-44"),
        Signing::new(JwsAlg::ML_DSA_65, "pq-65"),
        Signing::new(JwsAlg::ML_DSA_87, "pq-87"),
        Signing::new(JwsAlg::ES256K, "k1"),
        Signing::new(JwsAlg::RS256, "rsa"),
    ];
    let config = (base_config(EMBEDDED) + ROUTES).replace(
        r#"algorithms = ["ES256", "RS256", "EdDSA"]"#,
        r#"algorithms = ["ML-DSA-65", "ML-DSA-87", "ES256K", "RS256"]"#,
    );
    let s = setup(&config, &up.url(), &signers.iter().collect::<Vec<_>>());
    let jwks: serde_json::Value = serde_json::from_slice(&std::fs::read(&s.jwks_path).unwrap()).unwrap();
    assert_eq!(jwks["keys"][2]["kty"], "AKP");
    assert_eq!(jwks["keys"][2]["alg"], "ML-DSA-87");
    assert!(jwks["keys"][2].get("priv").is_none());
    let gw = start(&s).await;
    let url = format!("http://{}/orders/1", gw.addr());
    for signer in &signers[1..] {
        let token = signer.sign(&claims(signer.alg.as_str(), json!({"scope": "orders:read"})));
        if signer.alg == JwsAlg::ML_DSA_87 {
            assert!((6_000..16 * 1024).contains(&token.len()), "{}", token.len());
        }
        let r = bearer_get(&url, &token).await;
        assert_eq!(r.status, 200, "{}", signer.alg);
        assert_eq!(r.seen("x-user-id"), Some(vec![signer.alg.as_str().to_string()]));
    }
    // ML-DSA-44 has a key in the set but is not in the provider's allowlist.
    let t44 = signers[0].sign(&claims("pq", json!({"scope": "orders:read"})));
    assert_eq!(bearer_get(&url, &t44).await.status, 401);
    gw.shutdown().await;
}
