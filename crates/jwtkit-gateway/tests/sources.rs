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

const TOKEN_SOURCES: &str = r#"
[[providers]]
name = "everywhere"
issuer = "https://issuer.test/"
audiences = ["orders-api"]
keys = "{JWKS}"
algorithms = ["ES256"]
token_from = ["header:Authorization", "query:access_token", "header:X-Token", "cookie:at"]

[[routes]]
name = "stripped"
path_prefix = "/stripped"
upstream = "{UPSTREAM}"
auth = { providers = ["everywhere"] }
strip_authorization = true

[[routes]]
name = "kept"
path_prefix = "/kept"
upstream = "{UPSTREAM}"
auth = { providers = ["everywhere"] }
"#;

/// The token never reaches the upstream in a URL (the query parameter is removed on every
/// route); `strip_authorization` also removes the token's other headers and cookie. A token
/// sent twice, or both in `Authorization` and the query, is `400 invalid_request` (RFC 6750
/// §2, §3.1): the gateway and the upstream could otherwise read different tokens.
#[tokio::test]
async fn token_never_forwarded_in_the_url_and_stripped_everywhere() {
    let up = Upstream::start().await;
    let k = Signing::new(JwsAlg::ES256, "k1");
    let s = setup(&(base_config(EMBEDDED) + TOKEN_SOURCES), &up.url(), &[&k]);
    let gw = start(&s).await;
    let t = k.sign(&claims("a", json!({})));
    let base = format!("http://{}", gw.addr());

    let r = get(&format!("{base}/stripped/x?a=1&access_token={t}&b=2"), &[]).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.json()["query"], "a=1&b=2");
    assert_eq!(r.header("cache-control"), Some("private"), "RFC 6750 §2.3");
    let r = bearer_get(&format!("{base}/stripped/x"), &t).await;
    assert_eq!(r.header("cache-control"), None, "only for tokens in the URL");
    let r = get(&format!("{base}/kept/x?access_token={t}"), &[]).await;
    assert_eq!((r.status, r.json()["query"].clone()), (200, json!(null)));
    // A percent-encoded spelling of the parameter name is removed too.
    let r = get(
        &format!("{base}/kept/x?access_token={t}&access%5Ftoken=forged&c=3"),
        &[],
    )
    .await;
    assert_eq!((r.status, r.json()["query"].clone()), (200, json!("c=3")));
    // Spellings an upstream may read as the same parameter: `;` as a separator (Python before
    // 3.9.2, Go before 1.17, old Rack) and another letter case (ASP.NET's query collection).
    for (query, kept) in [
        ("a=1;access_token=forged&b=2", "a=1&b=2"),
        ("a=1&ACCESS_TOKEN=forged;c=3", "a=1&c=3"),
        ("Access_Token=forged", ""),
        ("q=x;y&access_tokens=1", "q=x;y&access_tokens=1"),
    ] {
        let r = get(
            &format!("{base}/kept/x?{query}"),
            &[("authorization", &format!("Bearer {t}"))],
        )
        .await;
        let expected = if kept.is_empty() { json!(null) } else { json!(kept) };
        assert_eq!((r.status, r.json()["query"].clone()), (200, expected), "{query}");
    }

    // Header and cookie sources: removed with strip_authorization, kept without.
    let cookie = format!("theme=dark; at={t}; lang=en");
    let r = get(&format!("{base}/stripped/x"), &[("cookie", &cookie)]).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.seen("cookie"), Some(vec!["theme=dark; lang=en".to_string()]));
    let r = get(&format!("{base}/stripped/x"), &[("x-token", &t)]).await;
    assert_eq!((r.status, r.seen("x-token")), (200, None));
    let r = get(&format!("{base}/kept/x"), &[("cookie", &cookie), ("x-token", &t)]).await;
    assert_eq!(r.seen("cookie"), Some(vec![cookie.clone()]));
    assert_eq!(r.seen("x-token"), Some(vec![t.clone()]));

    // Sent twice, or by two methods: 400 invalid_request, nothing forwarded.
    let bearer = format!("Bearer {t}");
    type Case<'a> = (String, Vec<(&'a str, &'a str)>, &'a str);
    let cases: Vec<Case> = vec![
        (
            format!("{base}/kept/x?access_token={t}&access_token={t}"),
            vec![],
            "token parameter repeated",
        ),
        (
            format!("{base}/kept/x?access_token={t}"),
            vec![("authorization", bearer.as_str())],
            "token in both the authorization header and the query",
        ),
        (
            format!("{base}/kept/x"),
            vec![
                ("authorization", bearer.as_str()),
                ("authorization", "Bearer forged"),
            ],
            "authorization header repeated",
        ),
        (
            format!("{base}/kept/x"),
            vec![("x-token", t.as_str()), ("x-token", "forged")],
            "token header repeated",
        ),
    ];
    for (url, headers, why) in cases {
        let r = get(&url, &headers).await;
        assert_eq!(r.status, 400, "{why}");
        let prefix = format!("/{}", url.trim_start_matches(&base).split('/').nth(1).unwrap());
        assert_eq!(
            r.header("www-authenticate").unwrap(),
            challenge(
                gw.addr(),
                &prefix,
                &format!(r#"Bearer realm="jwtkit", error="invalid_request", error_description="{why}""#)
            )
        );
        assert_eq!(r.json()["error"], "invalid_request");
        assert_eq!(r.header("x-upstream"), None);
    }
    // A Bearer header with a cookie of the same token name stays fine (cookies are not an
    // RFC 6750 method; the header comes first).
    let r = get(
        &format!("{base}/kept/x"),
        &[("authorization", &bearer), ("cookie", "at=stale")],
    )
    .await;
    assert_eq!(r.status, 200);
    gw.shutdown().await;
}
