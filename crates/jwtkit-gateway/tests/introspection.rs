//! RFC 7662 introspection of opaque tokens against a real introspection endpoint served by
//! the test (axum on 127.0.0.1) that checks the gateway's client authentication: active and
//! inactive tokens, the cache (one call per token), scopes, `claims_to_headers` and
//! revocation on introspected claims, `client_secret_post`, wrong credentials, an endpoint that
//! is down, hangs past the timeout or answers too much (503, fail closed), concurrent requests
//! sharing one call, and JWTs on the same route still verified locally.

mod common;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::http::{HeaderMap, StatusCode};
use base64::Engine as _;
use common::*;
use jwtkit::JwsAlg;
use serde_json::{Value, json};

const CLIENT_ID: &str = "orders-gateway";
const CLIENT_SECRET: &str = "s3cret:with/reserved chars";

/// The authorization server's view of its tokens, and the calls it got.
#[derive(Clone, Default)]
struct As {
    tokens: Arc<std::sync::Mutex<HashMap<String, Value>>>,
    calls: Arc<AtomicU64>,
    /// "basic" or "post": how the client must authenticate.
    method: &'static str,
}

impl As {
    fn calls(&self) -> u64 {
        self.calls.load(Ordering::SeqCst)
    }

    fn add(&self, token: &str, answer: Value) {
        self.tokens.lock().unwrap().insert(token.into(), answer);
    }
}

fn form(body: &str) -> HashMap<String, String> {
    let dec = |s: &str| {
        let s = s.replace('+', " ");
        let mut out = Vec::new();
        let b = s.as_bytes();
        let mut i = 0;
        while i < b.len() {
            if b[i] == b'%' && i + 2 < b.len() {
                out.push(u8::from_str_radix(&s[i + 1..i + 3], 16).unwrap());
                i += 3;
            } else {
                out.push(b[i]);
                i += 1;
            }
        }
        String::from_utf8(out).unwrap()
    };
    body.split('&')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (dec(k), dec(v)))
        .collect()
}

/// RFC 6749 §2.3.1: Basic with the form-urlencoded id and secret.
fn basic_ok(headers: &HeaderMap) -> bool {
    let Some(v) = headers.get("authorization").and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let Some(b64) = v.strip_prefix("Basic ") else {
        return false;
    };
    let raw = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .unwrap_or_default();
    let text = String::from_utf8(raw).unwrap_or_default();
    let Some((id, secret)) = text.split_once(':') else {
        return false;
    };
    let f = form(&format!("i={id}&s={secret}"));
    f["i"] == CLIENT_ID && f["s"] == CLIENT_SECRET
}

async fn introspect(
    axum::extract::State(a): axum::extract::State<As>,
    headers: HeaderMap,
    body: String,
) -> (StatusCode, axum::Json<Value>) {
    a.calls.fetch_add(1, Ordering::SeqCst);
    let f = form(&body);
    let authed = match a.method {
        "basic" => basic_ok(&headers),
        _ => {
            !headers.contains_key("authorization")
                && f.get("client_id").map(String::as_str) == Some(CLIENT_ID)
                && f.get("client_secret").map(String::as_str) == Some(CLIENT_SECRET)
        }
    };
    if !authed {
        return (
            StatusCode::UNAUTHORIZED,
            axum::Json(json!({"error": "invalid_client"})),
        );
    }
    assert_eq!(f.get("token_type_hint").map(String::as_str), Some("access_token"));
    if f.get("token").is_some_and(|t| t.starts_with("slow-")) {
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    }
    if f.get("token").is_some_and(|t| t.starts_with("hang-")) {
        // Longer than the gateway's timeout = "2s".
        tokio::time::sleep(std::time::Duration::from_secs(4)).await;
    }
    let answer = f
        .get("token")
        .and_then(|t| a.tokens.lock().unwrap().get(t).cloned())
        .unwrap_or(json!({"active": false}));
    (StatusCode::OK, axum::Json(answer))
}

async fn serve(a: As) -> (u16, tokio::task::JoinHandle<()>) {
    let app = axum::Router::new()
        .route("/introspect", axum::routing::post(introspect))
        .with_state(a);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    (
        port,
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() }),
    )
}

fn config(port: u16, auth: &str, secret: &str) -> String {
    base_config(EMBEDDED)
        + &format!(
            r#"introspection = {{ url = "http://127.0.0.1:{port}/introspect", client_id = "{CLIENT_ID}", client_secret = "{secret}", auth = "{auth}", max_cache = "5m", timeout = "2s" }}

[[routes]]
name = "orders"
path_prefix = "/orders"
upstream = "{{UPSTREAM}}"
auth = {{ providers = ["main"], scopes = ["orders:read"] }}
claims_to_headers = {{ sub = "X-User-Id", client_id = "X-Client-Id" }}
"#
        )
}

fn active(sub: &str, scope: &str) -> Value {
    json!({
        "active": true,
        "scope": scope,
        "client_id": "mobile-app",
        "sub": sub,
        "iss": "https://issuer.test/",
        "aud": "orders-api",
        "exp": now() + 3600,
        "iat": now(),
        "jti": format!("jti-{sub}-{}", rand_suffix()),
        "token_type": "Bearer",
    })
}

async fn gateway(port: u16, auth: &str, secret: &str) -> (Upstream, Setup, jwtkit_gateway::Gateway) {
    let up = Upstream::start().await;
    let s = setup(
        &config(port, auth, secret),
        &up.url(),
        &[&Signing::new(JwsAlg::ES256, "k")],
    );
    let gw = start(&s).await;
    (up, s, gw)
}

#[tokio::test]
async fn active_opaque_token_is_forwarded_with_its_claims_and_cached() {
    let a = As {
        method: "basic",
        ..As::default()
    };
    let (port, _srv) = serve(a.clone()).await;
    let (_up, _s, gw) = gateway(port, "client_secret_basic", CLIENT_SECRET).await;
    let url = format!("http://{}/orders/1", gw.addr());
    a.add("2YotnFZFEjr1zCsicMWpAA", active("alice", "orders:read profile"));

    let r = bearer_get(&url, "2YotnFZFEjr1zCsicMWpAA").await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.seen("x-user-id"), Some(vec!["alice".to_string()]));
    assert_eq!(r.seen("x-client-id"), Some(vec!["mobile-app".to_string()]));
    assert_eq!(a.calls(), 1);
    // Served from the cache: the endpoint is not asked again.
    for _ in 0..3 {
        assert_eq!(bearer_get(&url, "2YotnFZFEjr1zCsicMWpAA").await.status, 200);
    }
    assert_eq!(a.calls(), 1, "an active answer is reused until max_cache/exp");

    // 20 concurrent requests with a new token (the endpoint takes 300 ms): one call, shared.
    a.add("slow-burst-token", active("bursty", "orders:read"));
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let url = url.clone();
            tokio::spawn(async move { bearer_get(&url, "slow-burst-token").await.status })
        })
        .collect();
    for t in tasks {
        assert_eq!(t.await.unwrap(), 200);
    }
    assert_eq!(
        a.calls(),
        2,
        "concurrent requests with one token share one introspection call"
    );

    let m = String::from_utf8(
        get(&format!("http://{}/metrics", gw.admin_addr()), &[])
            .await
            .body
            .to_vec(),
    )
    .unwrap();
    assert!(
        m.lines()
            .any(|l| l.starts_with("jwtkit_gateway_introspection_requests_total")
                && l.contains("result=\"active\"")),
        "{m}"
    );
}

#[tokio::test]
async fn inactive_missing_scope_expired_and_revoked_are_refused() {
    let a = As {
        method: "basic",
        ..As::default()
    };
    let (port, _srv) = serve(a.clone()).await;
    let (_up, _s, gw) = gateway(port, "client_secret_basic", CLIENT_SECRET).await;
    let url = format!("http://{}/orders/1", gw.addr());

    // Unknown to the authorization server: active false.
    let r = bearer_get(&url, "never-issued-token").await;
    assert_eq!(r.status, 401);
    assert_eq!(
        r.challenge_without_metadata("/orders"),
        Some("Bearer realm=\"jwtkit\", error=\"invalid_token\", error_description=\"token not active\"")
    );
    // Inactive answers are not cached: a token the server starts accepting works at once.
    a.add("never-issued-token", active("late", "orders:read"));
    assert_eq!(bearer_get(&url, "never-issued-token").await.status, 200);

    // Scopes come from the answer's scope.
    a.add("profile-only", active("bob", "profile"));
    let r = bearer_get(&url, "profile-only").await;
    assert_eq!(r.status, 403);
    assert_eq!(r.json()["error"], "insufficient_scope");

    // The server says active, but exp has passed: the core's exp check applies.
    let mut stale = active("carol", "orders:read");
    stale["exp"] = json!(now() - 600);
    a.add("stale", stale);
    let r = bearer_get(&url, "stale").await;
    assert_eq!(r.status, 401);
    assert_eq!(r.json()["error_description"], "token expired");

    // The answer names another audience.
    let mut other = active("dave", "orders:read");
    other["aud"] = json!("billing-api");
    a.add("other-aud", other);
    assert_eq!(
        bearer_get(&url, "other-aud").await.json()["error_description"],
        "audience not accepted"
    );

    // Revocation by sub applies to introspected claims, cached or not.
    a.add("erin-token", active("erin", "orders:read"));
    assert_eq!(bearer_get(&url, "erin-token").await.status, 200);
    let rev = admin(
        &gw,
        "POST",
        "/admin/revocations",
        &json!({"sub": "erin", "exp": now() + 3600}).to_string(),
    )
    .await;
    assert_eq!(rev.status, 201, "{:?}", rev.body);
    let r = bearer_get(&url, "erin-token").await;
    assert_eq!(r.status, 401);
    assert_eq!(r.json()["error_description"], "token revoked");

    // A JWT on the same route is verified locally, never introspected.
    let calls = a.calls();
    let r = bearer_get(&url, "a.b.c").await;
    assert_eq!(r.status, 401);
    assert_eq!(a.calls(), calls);
}

#[tokio::test]
async fn client_secret_post_is_sent_in_the_body() {
    let a = As {
        method: "post",
        ..As::default()
    };
    let (port, _srv) = serve(a.clone()).await;
    let (_up, _s, gw) = gateway(port, "client_secret_post", CLIENT_SECRET).await;
    a.add("posted", active("frank", "orders:read"));
    let r = bearer_get(&format!("http://{}/orders/1", gw.addr()), "posted").await;
    assert_eq!(r.status, 200, "{:?}", r.body);
}

#[tokio::test]
async fn wrong_credentials_and_a_down_endpoint_fail_closed_with_503() {
    let a = As {
        method: "basic",
        ..As::default()
    };
    let (port, _srv) = serve(a.clone()).await;
    a.add("good", active("gina", "orders:read"));
    let (_up, s, gw) = gateway(port, "client_secret_basic", "not-the-secret").await;
    let url = format!("http://{}/orders/1", gw.addr());
    let r = bearer_get(&url, "good").await;
    assert_eq!(r.status, 503);
    assert_eq!(r.header("retry-after"), Some("1"));
    assert_eq!(r.json()["error"], "temporarily_unavailable");
    let report = jwtkit_gateway::explain::explain(&s.config_path, "/orders/1", "good", None)
        .await
        .unwrap();
    let step = report
        .steps
        .iter()
        .find(|st| st.check == "introspect")
        .expect("an introspect step");
    assert!(step.detail.contains("invalid_client"), "{}", step.detail);
    gw.shutdown().await;

    // Nothing listens on this port.
    let down = free_port();
    let (_up, _s, gw) = gateway(down, "client_secret_basic", CLIENT_SECRET).await;
    let r = bearer_get(&format!("http://{}/orders/1", gw.addr()), "good").await;
    assert_eq!(r.status, 503);
    assert_eq!(
        r.json()["error_description"],
        "the token introspection endpoint is unavailable"
    );
}

#[tokio::test]
async fn introspection_config_is_checked_at_load() {
    let build = |intro: &str| {
        let text = format!(
            "[server]\nlisten = \"127.0.0.1:0\"\n[[providers]]\nname = \"p\"\nissuer = \"https://as.example/\"\njwks_uri = \"https://as.example/jwks\"\nalgorithms = [\"RS256\"]\nintrospection = {{ {intro} }}\n"
        );
        let c = match jwtkit_gateway::config::Config::parse(&text) {
            Ok(c) => c,
            Err(e) => return format!("{e:#}"),
        };
        let registry = jwtkit_gateway::provider::KeyRegistry::default();
        jwtkit_gateway::state::State::build(c, &registry, 0)
            .err()
            .map(|e| format!("{e:#}"))
            .unwrap_or_default()
    };
    let e = build(r#"url = "http://as.example/introspect", client_id = "c", client_secret = "s""#);
    assert!(e.contains("introspection.url"), "{e}");
    let e = build(
        r#"url = "https://as.example/introspect", client_id = "c", client_secret = "env:JWTKIT_TEST_UNSET_SECRET_VAR""#,
    );
    assert!(e.contains("JWTKIT_TEST_UNSET_SECRET_VAR is not set"), "{e}");
    let e = build(
        r#"url = "https://as.example/introspect", client_id = "c", client_secret = "s", auth = "private_key_jwt""#,
    );
    assert!(e.contains("unknown variant `private_key_jwt`"), "{e}");
    let e = build(r#"url = "https://as.example/introspect", client_id = "c", client_secret = "s""#);
    assert_eq!(e, "");
}

#[tokio::test]
async fn a_hanging_endpoint_and_an_oversized_answer_fail_closed_with_503() {
    let a = As {
        method: "basic",
        ..As::default()
    };
    let (port, _srv) = serve(a.clone()).await;
    let (_up, _s, gw) = gateway(port, "client_secret_basic", CLIENT_SECRET).await;
    let url = format!("http://{}/orders/1", gw.addr());
    a.add("hang-token", active("hal", "orders:read"));
    let r = bearer_get(&url, "hang-token").await;
    assert_eq!(r.status, 503, "the 2 s timeout answers before the endpoint does");
    assert_eq!(r.json()["error"], "temporarily_unavailable");
    // An answer above max_response_bytes (65,536 by default) is not read whole.
    let mut huge = active("hugo", "orders:read");
    huge["padding"] = json!("x".repeat(70_000));
    a.add("huge-token", huge);
    assert_eq!(bearer_get(&url, "huge-token").await.status, 503);
    // The gateway keeps serving tokens the endpoint answers in time.
    a.add("fine-token", active("fiona", "orders:read"));
    assert_eq!(bearer_get(&url, "fine-token").await.status, 200);
}
