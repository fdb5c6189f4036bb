//! Provider and server options not exercised elsewhere, against a real upstream:
//! `max_token_bytes`, `required_claims`, `typ`, `max_token_age` (also on cached tokens) and
//! `trust_forwarded`.

mod common;

use std::time::Duration;

use common::*;
use jwtkit::JwsAlg;
use serde_json::json;

const CONFIG: &str = r#"
[server]
listen = "127.0.0.1:0"
admin_listen = "127.0.0.1:0"
max_token_bytes = 1024
trust_forwarded = true

[store]
kind = "embedded"
path = "{DB}"

[[providers]]
name = "strict"
issuer = "https://issuer.test/"
audiences = ["orders-api"]
keys = "{JWKS}"
algorithms = ["ES256"]
leeway = "0s"
typ = "JWT"
required_claims = ["tenant"]
max_token_age = "2s"

[[routes]]
name = "api"
path_prefix = "/api"
upstream = "{UPSTREAM}"
auth = { providers = ["strict"] }
claims_to_headers = { tenant = "X-Tenant" }
"#;

#[tokio::test]
async fn size_required_claims_max_age_and_forwarded_chain() {
    let up = Upstream::start().await;
    let k = Signing::new(JwsAlg::ES256, "k1");
    let s = setup(CONFIG, &up.url(), &[&k]);
    let gw = start(&s).await;
    let url = format!("http://{}/api/x", gw.addr());
    let describe = |r: &Resp| {
        (
            r.status,
            r.json()["error_description"].as_str().map(str::to_owned),
        )
    };

    let big = k.sign(&claims("a", json!({"tenant": "t1", "pad": "x".repeat(1200)})));
    assert_eq!(
        describe(&bearer_get(&url, &big).await),
        (401, Some("token too large".into()))
    );
    let no_tenant = k.sign(&claims("a", json!({})));
    assert_eq!(
        describe(&bearer_get(&url, &no_tenant).await),
        (401, Some("required claim missing".into()))
    );

    // Accepted (the upstream sees the client's X-Forwarded-For with the client appended), then
    // served from the cache while younger than max_token_age, then too old: the cache never
    // extends a token's age limit.
    let iat = now();
    let token = k.sign(&claims("a", json!({"tenant": "t1", "iat": iat})));
    let r = get(
        &url,
        &[
            ("authorization", &format!("Bearer {token}")),
            ("x-forwarded-for", "203.0.113.7"),
        ],
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.seen("x-tenant"), Some(vec!["t1".to_string()]));
    assert_eq!(
        r.seen("x-forwarded-for"),
        Some(vec!["203.0.113.7, 127.0.0.1".to_string()]),
        "trust_forwarded appends"
    );
    assert_eq!(bearer_get(&url, &token).await.status, 200);
    assert_eq!(gw.shared().cache.counts().0, 1, "one hit");
    while now() <= iat + 2 {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        describe(&bearer_get(&url, &token).await),
        (401, Some("token too old".into()))
    );
    gw.shutdown().await;
}
