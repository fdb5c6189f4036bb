//! The gateway in front of a real upstream on 127.0.0.1: forwarding, RFC 6750 answers,
//! claims to headers, spoofing, routing, upgrades, h2c, rate limits, reload, key rotation.

mod common;

use std::time::Duration;

use common::*;
use jwtkit::JwsAlg;
use serde_json::json;

fn orders_config() -> String {
    base_config(EMBEDDED)
        + r#"
[[routes]]
name = "orders"
path_prefix = "/orders"
upstream = "{UPSTREAM}"
auth = { providers = ["main"], scopes = ["orders:read"] }
claims_to_headers = { sub = "X-User-Id", roles = "X-User-Roles", "org.id" = "X-Org-Id" }
strip_authorization = true

[[routes]]
name = "orders-json"
path_prefix = "/orders/json"
upstream = "{UPSTREAM}"
auth = { providers = ["main"] }
claims_to_headers = { roles = "X-User-Roles" }
array_claims = "json"

[[routes]]
name = "public"
path_prefix = "/"
upstream = "{UPSTREAM}"
auth = "none"

[[routes]]
name = "maybe"
path_prefix = "/maybe"
upstream = "{UPSTREAM}"
auth = { providers = ["main"], allow_missing = true }
claims_to_headers = { sub = "X-User-Id" }

[[routes]]
name = "limited"
path_prefix = "/limited"
upstream = "{UPSTREAM}"
auth = { providers = ["main"] }
rate_limit = { per_second = 0.01, burst = 3 }
anonymous_rate_limit = { per_second = 0.01, burst = 2 }

[[routes]]
name = "admin-only"
path_prefix = "/admin-area"
upstream = "{UPSTREAM}"
auth = { providers = ["main"], roles = { claim = "realm_access.roles", any_of = ["admin"] } }
"#
}

#[tokio::test]
async fn accepted_token_forwards_claims_and_strips_spoofed_headers() {
    let up = Upstream::start().await;
    let k = Signing::new(JwsAlg::ES256, "k1");
    let s = setup(&orders_config(), &up.url(), &[&k]);
    let gw = start(&s).await;
    let token = k.sign(&claims(
        "alice",
        json!({"scope": "orders:read orders:write", "roles": ["reader", "writer"], "org": {"id": 42}}),
    ));
    let r = get(
        &format!("http://{}/orders/17?x=1", gw.addr()),
        &[
            ("authorization", &format!("Bearer {token}")),
            ("x-user-id", "mallory"),
            ("X-Org-Id", "1"),
            ("connection", "x-secret"),
            ("x-secret", "hop"),
            ("host", "api.example"),
        ],
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.header("x-upstream"), Some("yes"));
    let echo = r.json();
    assert_eq!(echo["path"], "/orders/17");
    assert_eq!(echo["query"], "x=1");
    assert_eq!(
        r.seen("x-user-id"),
        Some(vec!["alice".to_string()]),
        "spoofed X-User-Id must be replaced"
    );
    assert_eq!(r.seen("x-user-roles"), Some(vec!["reader,writer".to_string()]));
    assert_eq!(r.seen("x-org-id"), Some(vec!["42".to_string()]));
    assert_eq!(r.seen("authorization"), None, "strip_authorization");
    assert_eq!(
        r.seen("x-secret"),
        None,
        "headers named in Connection are hop-by-hop"
    );
    assert_eq!(r.seen("x-forwarded-for"), Some(vec!["127.0.0.1".to_string()]));
    assert_eq!(r.seen("x-forwarded-proto"), Some(vec!["http".to_string()]));
    assert_eq!(r.seen("x-forwarded-host"), Some(vec!["api.example".to_string()]));
    assert_eq!(
        r.seen("host"),
        Some(vec!["api.example".to_string()]),
        "Host kept by default"
    );
    assert_eq!(
        r.seen("forwarded"),
        Some(vec!["for=127.0.0.1;proto=http;host=\"api.example\"".to_string()])
    );

    // Without a token the spoofed header never reaches the upstream either.
    let r = get(
        &format!("http://{}/maybe/x", gw.addr()),
        &[("x-user-id", "mallory")],
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.seen("x-user-id"), None);
    // The same token on the optional route sets it.
    let r = bearer_get(&format!("http://{}/maybe/x", gw.addr()), &token).await;
    assert_eq!(r.seen("x-user-id"), Some(vec!["alice".to_string()]));
    gw.shutdown().await;
}

#[tokio::test]
async fn rfc6750_responses_are_exact() {
    let up = Upstream::start().await;
    let k = Signing::new(JwsAlg::ES256, "k1");
    let other = Signing::new(JwsAlg::ES256, "k1");
    let s = setup(&orders_config(), &up.url(), &[&k]);
    let gw = start(&s).await;
    let url = format!("http://{}/orders/1", gw.addr());

    let r = get(&url, &[]).await;
    assert_eq!(r.status, 401);
    assert_eq!(
        r.header("www-authenticate").unwrap(),
        challenge(gw.addr(), "/orders", r#"Bearer realm="jwtkit""#)
    );
    assert_eq!(
        r.json(),
        json!({"error": "unauthorized", "error_description": "a bearer token is required"})
    );
    assert_eq!(r.header("content-type"), Some("application/json"));

    let cases = [
        (
            k.sign(&claims("a", json!({"scope": "orders:read", "exp": now() - 600}))),
            "token expired",
        ),
        (
            k.sign(&claims("a", json!({"scope": "orders:read", "aud": "billing"}))),
            "audience not accepted",
        ),
        (
            k.sign(&claims(
                "a",
                json!({"scope": "orders:read", "iss": "https://evil.test/"}),
            )),
            "issuer not accepted",
        ),
        (
            other.sign(&claims("a", json!({"scope": "orders:read"}))),
            "signature does not verify",
        ),
        ("not.a.token".to_string(), "token malformed"),
    ];
    for (token, description) in cases {
        let r = bearer_get(&url, &token).await;
        assert_eq!(r.status, 401, "{description}");
        assert_eq!(
            r.header("www-authenticate").unwrap(),
            challenge(
                gw.addr(),
                "/orders",
                &format!(
                    r#"Bearer realm="jwtkit", error="invalid_token", error_description="{description}""#
                )
            )
        );
        assert_eq!(
            r.json(),
            json!({"error": "invalid_token", "error_description": description})
        );
    }

    let r = bearer_get(&url, &k.sign(&claims("a", json!({"scope": "profile"})))).await;
    assert_eq!(r.status, 403);
    assert_eq!(
        r.header("www-authenticate").unwrap(),
        challenge(
            gw.addr(),
            "/orders",
            r#"Bearer realm="jwtkit", error="insufficient_scope", error_description="missing scope orders:read", scope="orders:read""#
        )
    );
    assert_eq!(r.json()["error"], "insufficient_scope");
    // `scp` array counts as scopes.
    let r = bearer_get(&url, &k.sign(&claims("a", json!({"scp": ["orders:read"]})))).await;
    assert_eq!(r.status, 200);

    // Roles at a nested path.
    let area = format!("http://{}/admin-area/x", gw.addr());
    let r = bearer_get(
        &area,
        &k.sign(&claims("a", json!({"realm_access": {"roles": ["user"]}}))),
    )
    .await;
    assert_eq!(r.status, 403);
    let r = bearer_get(
        &area,
        &k.sign(&claims(
            "a",
            json!({"realm_access": {"roles": ["user", "admin"]}}),
        )),
    )
    .await;
    assert_eq!(r.status, 200);
    gw.shutdown().await;
}

#[tokio::test]
async fn array_claims_are_checked_before_joining() {
    let up = Upstream::start().await;
    let k = Signing::new(JwsAlg::EdDSA, "ed");
    let s = setup(&orders_config(), &up.url(), &[&k]);
    let gw = start(&s).await;
    let bad = k.sign(&claims(
        "a",
        json!({"scope": "orders:read", "roles": ["a,admin", "b"]}),
    ));
    let r = bearer_get(&format!("http://{}/orders/1", gw.addr()), &bad).await;
    assert_eq!(r.status, 401);
    assert_eq!(r.json()["error_description"], "claim cannot be forwarded");
    let r = bearer_get(&format!("http://{}/orders/json/1", gw.addr()), &bad).await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.seen("x-user-roles"),
        Some(vec![r#"["a,admin","b"]"#.to_string()])
    );
    gw.shutdown().await;
}

#[tokio::test]
async fn rate_limits_per_subject_and_per_ip() {
    let up = Upstream::start().await;
    let k = Signing::new(JwsAlg::ES256, "k1");
    let s = setup(&orders_config(), &up.url(), &[&k]);
    let gw = start(&s).await;
    let url = format!("http://{}/limited/x", gw.addr());
    let alice = k.sign(&claims("alice", json!({})));
    let alice2 = k.sign(&claims("alice", json!({})));
    let bob = k.sign(&claims("bob", json!({})));
    let mut statuses = vec![];
    for t in [&alice, &alice2, &alice, &alice2] {
        statuses.push(bearer_get(&url, t).await.status);
    }
    assert_eq!(
        statuses,
        [200, 200, 200, 429],
        "burst 3 shared by every token of sub alice"
    );
    let r = bearer_get(&url, &alice).await;
    assert_eq!(r.status, 429);
    let retry: u64 = r.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=100).contains(&retry), "{retry}");
    assert_eq!(r.json()["error"], "rate_limited");
    assert_eq!(bearer_get(&url, &bob).await.status, 200, "bob has his own bucket");
    // A sub spelled like the client-IP key does not share the bucket of tokens without sub.
    let spoof = k.sign(&claims("ip:127.0.0.1", json!({})));
    for _ in 0..3 {
        assert_eq!(bearer_get(&url, &spoof).await.status, 200);
    }
    assert_eq!(bearer_get(&url, &spoof).await.status, 429);
    let mut no_sub = claims("x", json!({}));
    no_sub.as_object_mut().unwrap().remove("sub");
    let no_sub = k.sign(&no_sub);
    assert_eq!(
        bearer_get(&url, &no_sub).await.status,
        200,
        "tokens without sub count against the client IP, in their own bucket"
    );
    // Anonymous traffic is not allowed on this route: 401, not 429.
    assert_eq!(get(&url, &[]).await.status, 401);
    gw.shutdown().await;
}

#[tokio::test]
async fn routes_websocket_and_h2c() {
    let up = Upstream::start().await;
    let k = Signing::new(JwsAlg::ES256, "k1");
    let config = orders_config()
        + r#"
[[routes]]
name = "h2"
path_prefix = "/h2"
upstream = "{UPSTREAM}"
upstream_protocol = "h2c"
host_header = "upstream"
strip_prefix = true
auth = "none"
"#;
    let s = setup(&config, &up.url(), &[&k]);
    let gw = start(&s).await;
    // h2c upstream, prefix stripped, Host rewritten.
    let r = get(&format!("http://{}/h2/inner?q=1", gw.addr()), &[]).await;
    assert_eq!(r.status, 200);
    let e = r.json();
    assert_eq!(e["version"], "HTTP/2.0");
    assert_eq!(e["path"], "/inner");
    // HTTP/2 carries the host as :authority, which the echo server sees as the URI; the
    // explicit Host header is not duplicated.
    // Unknown path on a catch-all route goes to the public route.
    let r = get(&format!("http://{}/elsewhere", gw.addr()), &[]).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["path"], "/elsewhere");

    // An HTTP/2 (h2c) client: its :authority becomes X-Forwarded-Host, the scheme stays http.
    {
        use http_body_util::BodyExt;
        let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
            .http2_only(true)
            .build_http::<http_body_util::Empty<bytes::Bytes>>();
        let resp = client
            .get(format!("http://{}/public/h2", gw.addr()).parse().unwrap())
            .await
            .unwrap();
        assert_eq!(resp.version(), hyper::Version::HTTP_2);
        assert_eq!(resp.status(), 200);
        let echo: serde_json::Value =
            serde_json::from_slice(&resp.into_body().collect().await.unwrap().to_bytes()).unwrap();
        assert_eq!(echo["version"], "HTTP/1.1");
        assert_eq!(echo["headers"]["x-forwarded-host"][0], gw.addr().to_string());
        assert_eq!(echo["headers"]["x-forwarded-proto"][0], "http");
        assert_eq!(echo["headers"]["host"][0], gw.addr().to_string());
    }

    // WebSocket-style upgrade through the gateway: 101, then bytes echo both ways.
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut sock = tokio::net::TcpStream::connect(gw.addr()).await.unwrap();
    sock.write_all(b"GET /chat HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n")
        .await
        .unwrap();
    let mut buf = vec![0u8; 1024];
    let n = tokio::time::timeout(Duration::from_secs(5), sock.read(&mut buf))
        .await
        .unwrap()
        .unwrap();
    let head = String::from_utf8_lossy(&buf[..n]).to_string();
    assert!(head.starts_with("HTTP/1.1 101"), "{head}");
    assert!(head.to_ascii_lowercase().contains("upgrade: echo"), "{head}");
    sock.write_all(b"ping-through-gateway").await.unwrap();
    let mut got = Vec::new();
    while got.len() < 20 {
        let n = tokio::time::timeout(Duration::from_secs(5), sock.read(&mut buf))
            .await
            .unwrap()
            .unwrap();
        assert!(n > 0);
        got.extend_from_slice(&buf[..n]);
    }
    assert_eq!(got, b"ping-through-gateway");
    gw.shutdown().await;
}

#[tokio::test]
async fn hot_reload_rejects_broken_config_and_applies_good_one() {
    let up = Upstream::start().await;
    let k = Signing::new(JwsAlg::ES256, "k1");
    let s = setup(&orders_config(), &up.url(), &[&k]);
    let gw = start(&s).await;
    let base = format!("http://{}", gw.addr());
    let token = k.sign(&claims("a", json!({"scope": "orders:read"})));
    assert_eq!(bearer_get(&format!("{base}/orders/1"), &token).await.status, 200);
    let generation = gw.shared().state.load().generation;

    // A broken config (unknown key) is rejected: same generation, still serving.
    let good = std::fs::read_to_string(&s.config_path).unwrap();
    std::fs::write(&s.config_path, good.replace("audiences =", "audience =")).unwrap();
    let err = gw.shared().reload().await.unwrap_err();
    assert!(format!("{err:#}").contains("unknown field `audience`"), "{err:#}");
    assert_eq!(gw.shared().state.load().generation, generation);
    assert_eq!(bearer_get(&format!("{base}/orders/1"), &token).await.status, 200);

    // A good change is picked up by the file watcher: orders now needs another scope.
    std::fs::write(
        &s.config_path,
        good.replace("scopes = [\"orders:read\"]", "scopes = [\"orders:admin\"]"),
    )
    .unwrap();
    let applied = eventually(10, || async {
        bearer_get(&format!("{base}/orders/1"), &token).await.status == 403
    })
    .await;
    assert!(applied, "watcher did not reload");
    assert!(gw.shared().state.load().generation > generation);
    gw.shutdown().await;
}

#[tokio::test]
async fn key_rotation_during_traffic_has_no_5xx() {
    let up = Upstream::start().await;
    let old = Signing::new(JwsAlg::ES256, "old");
    let new = Signing::new(JwsAlg::RS256, "new");
    let s = setup(&orders_config(), &up.url(), &[&old]);
    let gw = start(&s).await;
    let url = format!("http://{}/orders/1", gw.addr());
    let old_token = old.sign(&claims("a", json!({"scope": "orders:read"})));
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
    tokio::time::sleep(Duration::from_millis(300)).await;
    // Rotate: publish old + new, then sign with the new key.
    write_jwks(&s.jwks_path, &[&old, &new]);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let new_token = new.sign(&claims("b", json!({"scope": "orders:read"})));
    let ok = eventually(5, || async { bearer_get(&url, &new_token).await.status == 200 }).await;
    assert!(ok, "new key not accepted after refetch");
    // Retire the old key: its cached tokens are dropped once the key leaves.
    write_jwks(&s.jwks_path, &[&new]);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let fresh_new = new.sign(&claims("c", json!({"scope": "orders:read", "kid_probe": 1})));
    let retired = eventually(5, || async {
        // An unknown-kid token triggers the reload; then the old token is no longer served.
        let _ = bearer_get(
            &url,
            &Signing::new(JwsAlg::ES256, "probe").sign(&claims("p", json!({}))),
        )
        .await;
        bearer_get(&url, &old_token).await.status == 401
    })
    .await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let statuses = traffic.await.unwrap();
    assert!(retired, "old key's cached tokens still served");
    assert_eq!(bearer_get(&url, &fresh_new).await.status, 200);
    assert!(statuses.keys().all(|s| *s < 500), "{statuses:?}");
    assert!(statuses.get(&200).copied().unwrap_or(0) > 0, "{statuses:?}");
    gw.shutdown().await;
}

#[tokio::test]
async fn keys_unavailable_at_start_then_recover() {
    let up = Upstream::start().await;
    let k = Signing::new(JwsAlg::ES256, "k1");
    let s = setup(&orders_config(), &up.url(), &[&k]);
    std::fs::remove_file(&s.jwks_path).unwrap();
    let gw = start(&s).await;
    let token = k.sign(&claims("a", json!({"scope": "orders:read"})));
    let url = format!("http://{}/orders/1", gw.addr());
    let r = bearer_get(&url, &token).await;
    assert_eq!(r.status, 503);
    assert_eq!(r.header("retry-after"), Some("1"));
    assert_eq!(r.json()["error"], "temporarily_unavailable");
    let ready = get(&format!("http://{}/readyz", gw.admin_addr()), &[]).await;
    assert_eq!(ready.status, 503);
    assert_eq!(ready.json()["providers"]["main"]["ready"], false);
    write_jwks(&s.jwks_path, &[&k]);
    assert!(
        eventually(10, || async {
            get(&format!("http://{}/readyz", gw.admin_addr()), &[])
                .await
                .status
                == 200
        })
        .await
    );
    assert_eq!(bearer_get(&url, &token).await.status, 200);
    gw.shutdown().await;
}

#[tokio::test]
async fn explain_uses_the_live_pipeline() {
    let up = Upstream::start().await;
    let k = Signing::new(JwsAlg::ES256, "k1");
    let s = setup(&orders_config(), &up.url(), &[&k]);
    let expired = k.sign(&claims("a", json!({"scope": "orders:read", "exp": now() - 7200})));
    let report = jwtkit_gateway::explain::explain(&s.config_path, "/orders/1", &expired, None)
        .await
        .unwrap();
    assert!(!report.accepted);
    assert_eq!(report.status, Some(401));
    assert_eq!(
        report.www_authenticate.as_deref(),
        Some(r#"Bearer realm="jwtkit", error="invalid_token", error_description="token expired""#)
    );
    let j = report.to_json();
    let checks = j["checks"].as_array().unwrap();
    let find = |name: &str| checks.iter().find(|c| c["check"] == name).unwrap().clone();
    assert_eq!(find("signature")["outcome"], "pass");
    assert_eq!(find("exp")["outcome"], "fail");
    assert!(
        find("exp")["detail"].as_str().unwrap().contains("expired 2h"),
        "{}",
        find("exp")
    );
    assert_eq!(find("aud")["outcome"], "skip");
    assert_eq!(j["verify_error"]["kind"], "expired");
    let text = report.render_text();
    assert!(text.starts_with("decision: REJECT /orders/1 with 401"), "{text}");

    let good = k.sign(&claims("a", json!({"scope": "orders:read"})));
    let report = jwtkit_gateway::explain::explain(&s.config_path, "/orders/1", &good, None)
        .await
        .unwrap();
    assert!(report.accepted, "{}", report.render_text());
    assert_eq!(report.upstream.as_deref(), Some(up.url().as_str()));
    let j = report.to_json();
    assert!(
        j["checks"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["check"] == "scopes" && c["outcome"] == "pass")
    );
    assert!(
        j["checks"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["check"] == "revocation")
    );

    let wrong = Signing::new(JwsAlg::ES256, "k1").sign(&claims("a", json!({"scope": "orders:read"})));
    let report = jwtkit_gateway::explain::explain(&s.config_path, "/orders/1", &wrong, None)
        .await
        .unwrap();
    assert_eq!(report.to_json()["verify_error"]["kind"], "bad_signature");
    assert_eq!(report.status, Some(401));
}

#[tokio::test]
async fn metrics_and_health() {
    let up = Upstream::start().await;
    let k = Signing::new(JwsAlg::ES256, "k1");
    let s = setup(&orders_config(), &up.url(), &[&k]);
    let gw = start(&s).await;
    let token = k.sign(&claims("metrics-user", json!({"scope": "orders:read"})));
    for _ in 0..3 {
        assert_eq!(
            bearer_get(&format!("http://{}/orders/1", gw.addr()), &token)
                .await
                .status,
            200
        );
    }
    let expired = k.sign(&claims("a", json!({"exp": now() - 600})));
    assert_eq!(
        bearer_get(&format!("http://{}/orders/1", gw.addr()), &expired)
            .await
            .status,
        401
    );
    let admin = gw.admin_addr();
    assert_eq!(get(&format!("http://{admin}/healthz"), &[]).await.status, 200);
    let ready = get(&format!("http://{admin}/readyz"), &[]).await;
    assert_eq!(ready.status, 200, "{:?}", ready.body);
    assert_eq!(ready.json()["store"]["kind"], "embedded");
    let m = String::from_utf8(get(&format!("http://{admin}/metrics"), &[]).await.body.to_vec()).unwrap();
    for needle in [
        "jwtkit_gateway_requests_total{route=\"orders\",outcome=\"forwarded\"}",
        "jwtkit_gateway_rejections_total{reason=\"expired\",issuer=\"https://issuer.test/\"}",
        "jwtkit_gateway_verify_seconds_bucket",
        "jwtkit_gateway_token_cache_hits_total",
        "jwtkit_gateway_token_cache_hit_ratio",
        "jwtkit_gateway_jwks_fetches_total{provider=\"main\"}",
        "jwtkit_gateway_jwks_key_set_age_seconds{provider=\"main\"}",
        "jwtkit_gateway_store_up{store=\"embedded\"}",
    ] {
        assert!(m.contains(needle), "missing {needle} in\n{m}");
    }
    gw.shutdown().await;
}

#[tokio::test]
async fn upstream_failures_and_graceful_shutdown() {
    let up = Upstream::start().await;
    let k = Signing::new(JwsAlg::ES256, "k1");
    let dead = format!("http://127.0.0.1:{}", free_port());
    let config = orders_config()
        + &format!(
            r#"
[[routes]]
name = "dead"
path_prefix = "/dead"
upstream = "{dead}"
auth = "none"

[[routes]]
name = "slow"
path_prefix = "/slow"
upstream = "{{UPSTREAM}}"
auth = "none"
timeout = "300ms"
"#
        );
    let s = setup(&config, &up.url(), &[&k]);
    let gw = start(&s).await;
    let r = get(&format!("http://{}/dead/x", gw.addr()), &[]).await;
    assert_eq!((r.status, r.json()["error"].as_str()), (502, Some("bad_gateway")));
    let r = get(&format!("http://{}/slow/x?delay_ms=2000", gw.addr()), &[]).await;
    assert_eq!(
        (r.status, r.json()["error"].as_str()),
        (504, Some("gateway_timeout"))
    );

    // An in-flight request finishes while the gateway shuts down; new connections are refused.
    let addr = gw.addr();
    let inflight = tokio::spawn(async move { get(&format!("http://{addr}/public?delay_ms=700"), &[]).await });
    tokio::time::sleep(Duration::from_millis(200)).await;
    let shutdown = tokio::spawn(gw.shutdown());
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_err(),
        "listener still accepting"
    );
    let r = inflight.await.unwrap();
    assert_eq!(r.status, 200, "in-flight request must complete");
    assert_eq!(r.json()["path"], "/public");
    shutdown.await.unwrap();
}

/// h2c smuggling: an `Upgrade: h2c` forwarded to an upstream that accepts it would turn the
/// connection into a tunnel of HTTP/2 requests the gateway never sees (any path, no token).
/// RFC 9113 §3.1 deprecates the h2c upgrade; it is not forwarded, nor `HTTP2-Settings`.
#[tokio::test]
async fn h2c_upgrade_is_not_forwarded() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let up = Upstream::start().await;
    let k = Signing::new(JwsAlg::ES256, "k1");
    let s = setup(&orders_config(), &up.url(), &[&k]);
    let gw = start(&s).await;
    for connection in ["Upgrade, HTTP2-Settings", "Upgrade", "upgrade"] {
        for upgrade in ["h2c", "H2C", "websocket, h2c"] {
            let mut sock = tokio::net::TcpStream::connect(gw.addr()).await.unwrap();
            let req = format!(
                "GET /public/x HTTP/1.1\r\nHost: x\r\nConnection: {connection}\r\nUpgrade: {upgrade}\r\n\
                 HTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n"
            );
            sock.write_all(req.as_bytes()).await.unwrap();
            let mut buf = vec![0u8; 4096];
            let n = tokio::time::timeout(Duration::from_secs(5), sock.read(&mut buf))
                .await
                .unwrap()
                .unwrap();
            let text = String::from_utf8_lossy(&buf[..n]).to_string();
            assert!(
                text.starts_with("HTTP/1.1 200"),
                "{connection} / {upgrade}: {text}"
            );
            let body = text.split("\r\n\r\n").nth(1).unwrap_or("");
            let echo: serde_json::Value = serde_json::from_str(body).unwrap();
            assert_eq!(echo["path"], "/public/x");
            assert!(
                echo["headers"].get("upgrade").is_none(),
                "{connection} / {upgrade}: {echo}"
            );
            assert!(echo["headers"].get("http2-settings").is_none(), "{echo}");
        }
    }
    gw.shutdown().await;
}
