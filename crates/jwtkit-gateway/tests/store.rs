//! Stores with real components: the embedded redb file across `kill -9`, and a real
//! `redis-server` shared by two gateway instances, stopped and restarted mid-test.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::*;
use jwtkit::JwsAlg;
use serde_json::json;

fn routes() -> &'static str {
    r#"
[[routes]]
name = "orders"
path_prefix = "/orders"
upstream = "{UPSTREAM}"
auth = { providers = ["main"] }

[[routes]]
name = "limited"
path_prefix = "/limited"
upstream = "{UPSTREAM}"
auth = { providers = ["main"] }
rate_limit = { per_second = 0.01, burst = 3 }

[[routes]]
name = "open-on-error"
path_prefix = "/lenient"
upstream = "{UPSTREAM}"
auth = { providers = ["main"] }
on_store_error = "fail_open"
"#
}

/// Runs only as a child process (`JWTKIT_GW_CHILD` set): a gateway that serves until killed.
/// Ignored in normal runs; `spawn_child` runs it with `--ignored`.
#[test]
#[ignore = "helper: the gateway child process of embedded_revocation_survives_kill_9"]
fn child_gateway_process() {
    let Ok(config) = std::env::var("JWTKIT_GW_CHILD") else {
        return;
    };
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let path = Path::new(&config).to_path_buf();
        let c = jwtkit_gateway::config::Config::load(&path).unwrap();
        let gw = jwtkit_gateway::Gateway::start(c, Some(path.clone()))
            .await
            .unwrap();
        std::fs::write(
            path.with_extension("addr"),
            format!("{} {}", gw.addr(), gw.admin_addr()),
        )
        .unwrap();
        std::future::pending::<()>().await;
    });
}

#[allow(clippy::zombie_processes)] // returned to the caller, which kills and waits for it
fn spawn_child(config: &Path) -> (std::process::Child, String, String) {
    let addr_file = config.with_extension("addr");
    let _ = std::fs::remove_file(&addr_file);
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "child_gateway_process",
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("JWTKIT_GW_CHILD", config)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        if let Ok(s) = std::fs::read_to_string(&addr_file)
            && let Some((a, b)) = s.split_once(' ')
        {
            return (child, a.to_string(), b.to_string());
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("child gateway did not start");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

async fn admin_at(admin: &str, method: &str, pq: &str, body: &str) -> Resp {
    request(
        method,
        &format!("http://{admin}{pq}"),
        &[("authorization", &format!("Bearer {ADMIN_TOKEN}"))],
        body,
    )
    .await
}

#[tokio::test]
async fn embedded_revocation_survives_kill_9() {
    let up = Upstream::start().await;
    let k = Signing::new(JwsAlg::ES256, "k1");
    let s = setup(&(base_config(EMBEDDED) + routes()), &up.url(), &[&k]);
    let token = k.sign(&claims("alice", json!({"jti": "revoke-me"})));
    let other = k.sign(&claims("alice", json!({"jti": "keep-me"})));
    let (mut child, addr, admin) = spawn_child(&s.config_path);
    assert_eq!(
        bearer_get(&format!("http://{addr}/orders/1"), &token)
            .await
            .status,
        200
    );
    let r = admin_at(
        &admin,
        "POST",
        "/admin/revocations",
        &json!({"jti": "revoke-me", "exp": now() + 3600}).to_string(),
    )
    .await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    // kill -9 right after the 2xx.
    child.kill().unwrap();
    child.wait().unwrap();
    let (mut child, addr, admin) = spawn_child(&s.config_path);
    let r = bearer_get(&format!("http://{addr}/orders/1"), &token).await;
    assert_eq!(r.status, 401);
    assert_eq!(
        r.header("www-authenticate").unwrap(),
        challenge(
            &addr,
            "/orders",
            r#"Bearer realm="jwtkit", error="invalid_token", error_description="token revoked""#
        )
    );
    assert_eq!(
        bearer_get(&format!("http://{addr}/orders/1"), &other)
            .await
            .status,
        200
    );
    let list = admin_at(&admin, "GET", "/admin/revocations", "").await.json();
    assert_eq!(list["items"][0]["jti"], "revoke-me");
    child.kill().unwrap();
    child.wait().unwrap();
}

#[tokio::test]
async fn admin_api_auth_list_pagination_delete_embedded() {
    let up = Upstream::start().await;
    let k = Signing::new(JwsAlg::ES256, "k1");
    let s = setup(&(base_config(EMBEDDED) + routes()), &up.url(), &[&k]);
    let gw = start(&s).await;
    admin_api_contract(&gw, &k).await;
    gw.shutdown().await;
}

/// Revocation and rate limits read `sub` and `jti` as strings (RFC 7519 §4.1.2, §4.1.7): a
/// token whose `sub` or `jti` is another JSON type would escape a revocation of that user or
/// token while the upstream still gets the user (`["alice"]` forwarded as `alice`). Such a
/// token is `401 invalid_token`.
#[tokio::test]
async fn sub_and_jti_must_be_strings_so_revocations_apply() {
    let up = Upstream::start().await;
    let k = Signing::new(JwsAlg::ES256, "k1");
    let config = base_config(EMBEDDED)
        + r#"
[[routes]]
name = "orders"
path_prefix = "/orders"
upstream = "{UPSTREAM}"
auth = { providers = ["main"] }
claims_to_headers = { sub = "X-User-Id" }
"#;
    let s = setup(&config, &up.url(), &[&k]);
    let gw = start(&s).await;
    let url = format!("http://{}/orders/1", gw.addr());
    let r = admin(&gw, "POST", "/admin/revocations", r#"{"sub":"alice"}"#).await;
    assert_eq!(r.status, 201);
    let r = admin(
        &gw,
        "POST",
        "/admin/revocations",
        &json!({"jti": "77", "exp": now() + 600}).to_string(),
    )
    .await;
    assert_eq!(r.status, 201);
    let cases = [
        claims("-", json!({"sub": ["alice"]})),
        claims("-", json!({"sub": {"id": "alice"}})),
        claims("bob", json!({"jti": 77})),
        claims("bob", json!({"jti": ["77"]})),
    ];
    for c in cases {
        let r = bearer_get(&url, &k.sign(&c)).await;
        assert_eq!(r.status, 401, "{c}: {:?}", r.body);
        assert_eq!(r.header("x-upstream"), None);
        assert_eq!(
            r.header("www-authenticate").unwrap(),
            challenge(
                gw.addr(),
                "/orders",
                r#"Bearer realm="jwtkit", error="invalid_token", error_description="token malformed""#
            )
        );
    }
    // The string forms: revoked; another user passes. (iat before the cut-off: a token
    // signed in the next second would rightly pass.)
    assert_eq!(
        bearer_get(&url, &k.sign(&claims("alice", json!({"iat": now() - 60}))))
            .await
            .status,
        401
    );
    assert_eq!(
        bearer_get(&url, &k.sign(&claims("bob", json!({"jti": "77"}))))
            .await
            .status,
        401
    );
    let r = bearer_get(&url, &k.sign(&claims("bob", json!({"jti": "78"})))).await;
    assert_eq!(
        (r.status, r.seen("x-user-id")),
        (200, Some(vec!["bob".to_string()]))
    );
    gw.shutdown().await;
}

async fn admin_api_contract(gw: &jwtkit_gateway::Gateway, k: &Signing) {
    let base = format!("http://{}/admin/revocations", gw.admin_addr());
    assert_eq!(get(&base, &[]).await.status, 401);
    let r = get(&base, &[("authorization", "Bearer wrong-token-of-same-length!")]).await;
    assert_eq!(r.status, 401);
    assert_eq!(
        r.header("www-authenticate"),
        Some(r#"Bearer realm="jwtkit-admin""#)
    );
    let bad = admin(gw, "POST", "/admin/revocations", r#"{"jti":"x"}"#).await;
    assert_eq!(bad.status, 400);
    assert!(
        bad.json()["error_description"]
            .as_str()
            .unwrap()
            .contains("needs exp")
    );
    // A duplicate member is refused, not read as its last value (which one was revoked?).
    let dup = admin(
        gw,
        "POST",
        "/admin/revocations",
        &format!(r#"{{"jti":"a","jti":"b","exp":{}}}"#, now() + 600),
    )
    .await;
    assert_eq!(dup.status, 400);
    assert!(
        dup.json()["error_description"]
            .as_str()
            .unwrap()
            .starts_with("body is not strict JSON: duplicate_member"),
        "{:?}",
        dup.body
    );
    for i in 0..5 {
        let r = admin(
            gw,
            "POST",
            "/admin/revocations",
            &json!({"jti": format!("j{i}"), "exp": now() + 600}).to_string(),
        )
        .await;
        assert_eq!(r.status, 201);
    }
    let mut seen = vec![];
    let mut cursor: Option<String> = None;
    loop {
        let q = match &cursor {
            Some(c) => format!("/admin/revocations?limit=2&cursor={c}"),
            None => "/admin/revocations?limit=2".into(),
        };
        let page = admin(gw, "GET", &q, "").await.json();
        let items = page["items"].as_array().unwrap();
        assert!(items.len() <= 2);
        seen.extend(items.iter().map(|i| i["jti"].as_str().unwrap().to_string()));
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    seen.retain(|j| j.len() == 2 && j.starts_with('j'));
    seen.sort();
    assert_eq!(seen, ["j0", "j1", "j2", "j3", "j4"]);
    assert_eq!(
        admin(gw, "DELETE", "/admin/revocations?jti=j2", "").await.status,
        204
    );
    assert_eq!(
        admin(gw, "DELETE", "/admin/revocations?jti=j2", "").await.status,
        404
    );
    // Ambiguous or invalid parameters are refused, not guessed: a repeated jti (only one was
    // deleted), a limit that is not 1..=1000 (it silently became 100).
    for q in [
        "DELETE /admin/revocations?jti=j3&jti=j4",
        "GET /admin/revocations?limit=-1",
        "GET /admin/revocations?limit=0",
        "GET /admin/revocations?limit=abc",
        "GET /admin/revocations?limit=2&limit=3",
    ] {
        let (method, pq) = q.split_once(' ').unwrap();
        let r = admin(gw, method, pq, "").await;
        assert_eq!(r.status, 400, "{q}: {:?}", r.body);
        assert_eq!(r.json()["error"], "invalid_request", "{q}");
    }
    assert_eq!(
        admin(gw, "DELETE", "/admin/revocations?jti=j3", "").await.status,
        204,
        "j3 is still there"
    );

    // Revoke every token of a user issued up to now; a later token is fine.
    let url = format!("http://{}/orders/1", gw.addr());
    let t_old = k.sign(&claims("bob", json!({"iat": now() - 10})));
    assert_eq!(bearer_get(&url, &t_old).await.status, 200);
    let r = admin(
        gw,
        "POST",
        "/admin/revocations",
        &json!({"sub": "bob", "issued_before": now() - 5}).to_string(),
    )
    .await;
    assert_eq!(r.status, 201);
    assert_eq!(
        bearer_get(&url, &t_old).await.status,
        401,
        "cached token must be dropped on revocation"
    );
    let t_new = k.sign(&claims("bob", json!({"iat": now()})));
    assert_eq!(bearer_get(&url, &t_new).await.status, 200);
    let no_iat =
        k.sign(&json!({"iss": "https://issuer.test/", "aud": "orders-api", "sub": "bob", "exp": now() + 60}));
    assert_eq!(
        bearer_get(&url, &no_iat).await.status,
        401,
        "no iat under a sub revocation: revoked"
    );
}

fn redis_store(url: &str) -> String {
    format!(
        "[store]\nkind = \"redis\"\nurl = \"{url}\"\nprefix = \"t{}:\"\ntimeout = \"300ms\"",
        rand_suffix()
    )
}

#[tokio::test]
async fn redis_two_instances_share_revocations_and_rate_limits() {
    let redis = Redis::start();
    let up = Upstream::start().await;
    let k = Signing::new(JwsAlg::ES256, "k1");
    let s = setup(
        &(base_config(&redis_store(&redis.url())) + routes()),
        &up.url(),
        &[&k],
    );
    let a = start(&s).await;
    let b = start(&s).await;
    let token = k.sign(&claims("carol", json!({"jti": "shared-jti"})));
    for gw in [&a, &b] {
        assert_eq!(
            bearer_get(&format!("http://{}/orders/1", gw.addr()), &token)
                .await
                .status,
            200
        );
    }
    let r = admin(
        &a,
        "POST",
        "/admin/revocations",
        &json!({"jti": "shared-jti", "exp": now() + 600}).to_string(),
    )
    .await;
    assert_eq!(r.status, 201);
    // B has the token cached, but the revocation check runs on every request.
    let r = bearer_get(&format!("http://{}/orders/1", b.addr()), &token).await;
    assert_eq!(r.status, 401);
    assert_eq!(r.json()["error_description"], "token revoked");

    // One bucket of burst 3 for dave across both instances.
    let dave = k.sign(&claims("dave", json!({})));
    let mut statuses = vec![];
    for gw in [&a, &b, &a, &b] {
        statuses.push(
            bearer_get(&format!("http://{}/limited/x", gw.addr()), &dave)
                .await
                .status,
        );
    }
    assert_eq!(statuses, [200, 200, 200, 429]);
    let r = bearer_get(&format!("http://{}/limited/x", a.addr()), &dave).await;
    assert_eq!(r.status, 429);
    assert!(r.header("retry-after").unwrap().parse::<u64>().unwrap() >= 1);

    admin_api_contract(&b, &k).await;
    let listed = admin(&a, "GET", "/admin/revocations?limit=100", "").await.json();
    assert!(
        listed["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["jti"] == "shared-jti")
    );
    a.shutdown().await;
    b.shutdown().await;
}

#[tokio::test]
async fn redis_down_fails_closed_then_recovers_without_restart() {
    let mut redis = Redis::start();
    let up = Upstream::start().await;
    let k = Signing::new(JwsAlg::ES256, "k1");
    let s = setup(
        &(base_config(&redis_store(&redis.url())) + routes()),
        &up.url(),
        &[&k],
    );
    let gw = start(&s).await;
    let token = k.sign(&claims("erin", json!({})));
    let url = format!("http://{}/orders/1", gw.addr());
    let ready = format!("http://{}/readyz", gw.admin_addr());
    assert!(eventually(5, || async { get(&ready, &[]).await.status == 200 }).await);
    assert_eq!(bearer_get(&url, &token).await.status, 200);

    redis.stop();
    // The pub/sub connection's end is seen within milliseconds, and at the latest when the
    // copy cannot be confirmed for store.revocation_max_staleness (1 s).
    assert!(
        eventually(2, || async { bearer_get(&url, &token).await.status == 503 }).await,
        "fail closed"
    );
    let r = bearer_get(&url, &token).await;
    assert_eq!(r.status, 503, "fail closed");
    assert_eq!(
        r.json()["error_description"],
        "the revocation store is unavailable"
    );
    assert_eq!(r.header("retry-after"), Some("1"));
    let lenient = bearer_get(&format!("http://{}/lenient/x", gw.addr()), &token).await;
    assert_eq!(lenient.status, 200, "on_store_error = fail_open");
    let rz = get(&ready, &[]).await;
    assert_eq!(rz.status, 503);
    assert_eq!(rz.json()["store"]["ok"], false);
    let m = String::from_utf8(
        get(&format!("http://{}/metrics", gw.admin_addr()), &[])
            .await
            .body
            .to_vec(),
    )
    .unwrap();
    assert!(
        m.contains("jwtkit_gateway_store_errors_total{store=\"redis\"}"),
        "{m}"
    );

    redis.restart();
    assert!(
        eventually(15, || async { bearer_get(&url, &token).await.status == 200 }).await,
        "no recovery"
    );
    assert!(eventually(5, || async { get(&ready, &[]).await.status == 200 }).await);
    gw.shutdown().await;
}
