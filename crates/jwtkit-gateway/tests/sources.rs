//! Token sources in order (Bearer header, another header, cookie, query parameter), several
//! providers on one route chosen by `iss`, CORS preflight pass-through, anonymous rate limits
//! per client IP, and request bodies streamed to the upstream.

mod common;

use common::*;
use jwtkit::JwsAlg;
use serde_json::json;

const CONFIG: &str = r#"
[[providers]]
name = "second"
issuer = "https://second.test/"
audiences = ["orders-api"]
keys = "{JWKS}"
algorithms = ["ES256"]
token_from = ["header:X-Access-Token", "cookie:access_token", "query:access_token"]

[[routes]]
name = "multi"
path_prefix = "/multi"
upstream = "{UPSTREAM}"
auth = { providers = ["main", "second"] }
claims_to_headers = { iss = "X-Issuer" }
cors_preflight = true

[[routes]]
name = "anon"
path_prefix = "/anon"
upstream = "{UPSTREAM}"
auth = { providers = ["main"], allow_missing = true }
anonymous_rate_limit = { per_second = 0.01, burst = 2 }
"#;

#[tokio::test]
async fn token_sources_providers_preflight_anonymous_limits_bodies() {
    let up = Upstream::start().await;
    let k = Signing::new(JwsAlg::ES256, "k1");
    let s = setup(&(base_config(EMBEDDED) + CONFIG), &up.url(), &[&k]);
    let gw = start(&s).await;
    let url = format!("http://{}/multi/x", gw.addr());
    let main = k.sign(&claims("a", json!({})));
    let second = k.sign(&claims("b", json!({"iss": "https://second.test/"})));
    let stranger = k.sign(&claims("c", json!({"iss": "https://other.test/"})));

    // Bearer (main's source), then the second provider's header, cookie and query parameter.
    let r = bearer_get(&url, &main).await;
    assert_eq!(
        (r.status, r.seen("x-issuer")),
        (200, Some(vec!["https://issuer.test/".to_string()]))
    );
    let r = get(&url, &[("x-access-token", &second)]).await;
    assert_eq!(
        (r.status, r.seen("x-issuer")),
        (200, Some(vec!["https://second.test/".to_string()]))
    );
    let r = get(&url, &[("cookie", &format!("theme=dark; access_token={second}"))]).await;
    assert_eq!(r.status, 200);
    let r = get(&format!("{url}?access_token={second}&x=1"), &[]).await;
    assert_eq!(r.status, 200);
    // Sources are tried in order: a Bearer header wins over the cookie.
    let r = get(
        &url,
        &[
            ("authorization", &format!("Bearer {main}")),
            ("cookie", "access_token=garbage"),
        ],
    )
    .await;
    assert_eq!(r.seen("x-issuer"), Some(vec!["https://issuer.test/".to_string()]));
    // An issuer no provider of the route has.
    let r = bearer_get(&url, &stranger).await;
    assert_eq!(r.status, 401);
    assert_eq!(r.json()["error_description"], "issuer not accepted");
    // `Authorization: Basic` is not a bearer token.
    assert_eq!(
        get(&url, &[("authorization", "Basic dXNlcjpwYXNz")]).await.status,
        401
    );

    // CORS preflight passes without a token; a plain OPTIONS does not.
    let pre = request(
        "OPTIONS",
        &url,
        &[
            ("origin", "https://app.example"),
            ("access-control-request-method", "POST"),
        ],
        "",
    )
    .await;
    assert_eq!(
        (pre.status, pre.json()["method"].as_str()),
        (200, Some("OPTIONS"))
    );
    assert_eq!(request("OPTIONS", &url, &[], "").await.status, 401);

    // Anonymous requests share a bucket per client IP; tokens are not limited by it.
    let anon = format!("http://{}/anon/x", gw.addr());
    let statuses: Vec<u16> = {
        let mut v = vec![];
        for _ in 0..3 {
            v.push(get(&anon, &[]).await.status);
        }
        v
    };
    assert_eq!(statuses, [200, 200, 429]);
    assert_eq!(bearer_get(&anon, &main).await.status, 200);

    // A 2 MiB body is streamed through to the upstream.
    let body = "x".repeat(2 * 1024 * 1024);
    let r = request(
        "POST",
        &url,
        &[("authorization", &format!("Bearer {main}"))],
        &body,
    )
    .await;
    assert_eq!(
        (r.status, r.json()["body_len"].as_u64()),
        (200, Some(2 * 1024 * 1024))
    );
    gw.shutdown().await;
}
