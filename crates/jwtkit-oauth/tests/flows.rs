//! The client's flow logic against an in-process mock authorization server (axum on a
//! loopback port): what is sent (forms, client authentication) and how every error path of
//! the RFCs is reported. Interop with a real provider is in scripts/test-oauth.sh.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use jwtkit_oauth::{
    AuthorizationRequest, Client, ClientAuth, ErrorKind, Http, LoopbackListener, Metadata, PollEvent, Secret,
    TokenExchange, discover,
};
use jwtkit_remote::FetchPolicy;
use serde_json::{Value, json};

/// Requests the mock received: (path, Authorization header, form pairs).
type Log = Arc<Mutex<Vec<(String, Option<String>, Vec<(String, String)>)>>>;

async fn serve(app: Router) -> String {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(l, app).await.unwrap() });
    format!("http://{addr}")
}

fn json_resp(status: u16, v: Value) -> Response {
    (StatusCode::from_u16(status).unwrap(), axum::Json(v)).into_response()
}

fn record(log: &Log, path: &str, h: &HeaderMap, body: &str) -> Vec<(String, String)> {
    let form: Vec<(String, String)> = url::form_urlencoded::parse(body.as_bytes())
        .into_owned()
        .collect();
    let auth = h
        .get(header::AUTHORIZATION)
        .map(|v| v.to_str().unwrap().to_string());
    log.lock().unwrap().push((path.to_string(), auth, form.clone()));
    form
}

fn metadata(base: &str) -> Metadata {
    let mut m = Metadata::manual(base);
    m.token_endpoint = Some(format!("{base}/token"));
    m.device_authorization_endpoint = Some(format!("{base}/device"));
    m.introspection_endpoint = Some(format!("{base}/introspect"));
    m.revocation_endpoint = Some(format!("{base}/revoke"));
    m.userinfo_endpoint = Some(format!("{base}/userinfo"));
    m
}

fn client(base: &str, auth: ClientAuth, policy: &FetchPolicy) -> Client {
    Client::new(Http::new(policy).unwrap(), metadata(base), "cli", auth)
}

/// A token endpoint that answers `answer(form)` and logs each request.
async fn token_server(
    answer: impl Fn(&[(String, String)]) -> Response + Send + Sync + 'static,
) -> (String, Log) {
    let log: Log = Arc::default();
    let l2 = log.clone();
    let answer = Arc::new(answer);
    let app = Router::new().route(
        "/token",
        post(move |h: HeaderMap, body: String| {
            let (log, answer) = (l2.clone(), answer.clone());
            async move { answer(&record(&log, "/token", &h, &body)) }
        }),
    );
    (serve(app).await, log)
}

fn field<'a>(form: &'a [(String, String)], k: &str) -> Option<&'a str> {
    form.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str())
}

#[tokio::test]
async fn discovery_falls_back_to_rfc8414_and_requires_the_exact_issuer() {
    let base = Arc::new(Mutex::new(String::new()));
    let b2 = base.clone();
    let app = Router::new()
        .route(
            "/.well-known/openid-configuration",
            get(|| async { StatusCode::NOT_FOUND }),
        )
        .route(
            "/.well-known/oauth-authorization-server",
            get(move || {
                let b = b2.lock().unwrap().clone();
                async move { json_resp(200, json!({"issuer": b, "token_endpoint": format!("{b}/token")})) }
            }),
        );
    let url = serve(app).await;
    *base.lock().unwrap() = url.clone();
    let http = Http::new(&FetchPolicy::default()).unwrap();
    let m = discover(&http, &url).await.unwrap();
    assert_eq!(m.kind, jwtkit_remote::DiscoveryKind::OAuthAuthorizationServer);
    assert_eq!(m.token_endpoint.as_deref(), Some(format!("{url}/token").as_str()));
    assert_eq!(
        m.source_url,
        format!("{url}/.well-known/oauth-authorization-server")
    );
    let e = m.endpoint("device_authorization_endpoint").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidConfig);
    // The same server asked for as "{url}/": the document says "{url}", a mix-up.
    let e = discover(&http, &format!("{url}/")).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::BadResponse);
    assert!(e.message().contains("is for issuer"), "{}", e.message());
}

#[tokio::test]
async fn discovered_plain_http_endpoint_on_a_remote_host_is_refused() {
    let base = Arc::new(Mutex::new(String::new()));
    let b2 = base.clone();
    let app = Router::new().route(
        "/.well-known/openid-configuration",
        get(move || {
            let b = b2.lock().unwrap().clone();
            async move {
                json_resp(
                    200,
                    json!({"issuer": b, "token_endpoint": "http://auth.example.com/token"}),
                )
            }
        }),
    );
    let url = serve(app).await;
    *base.lock().unwrap() = url.clone();
    let http = Http::new(&FetchPolicy::default()).unwrap();
    let e = discover(&http, &url).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidConfig);
    assert!(e.message().starts_with("token_endpoint: "), "{}", e.message());
}

#[tokio::test]
async fn token_endpoint_error_keeps_rfc6749_members() {
    let (url, _) = token_server(|_| {
        json_resp(400, json!({"error": "invalid_grant", "error_description": "code expired", "error_uri": "https://x/e"}))
    })
    .await;
    let c = client(&url, ClientAuth::None, &FetchPolicy::default());
    let e = c
        .refresh(&Secret::new("rt-secret-value"), None)
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::OAuth);
    let o = e.oauth_error().unwrap();
    assert_eq!(o.error, "invalid_grant");
    assert_eq!(o.description.as_deref(), Some("code expired"));
    assert_eq!(o.uri.as_deref(), Some("https://x/e"));
    assert_eq!(o.status, Some(400));
    assert_eq!(e.to_json()["error"], "invalid_grant");
    assert!(!e.message().contains("rt-secret-value"));
}

#[tokio::test]
async fn non_oauth_error_status_and_non_json_success_are_bad_responses() {
    let (url, _) = token_server(|_| (StatusCode::BAD_GATEWAY, "<html>upstream</html>").into_response()).await;
    let c = client(&url, ClientAuth::None, &FetchPolicy::default());
    let e = c.client_credentials(None, &[]).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::BadResponse);
    assert!(e.message().contains("HTTP 502"), "{}", e.message());
    let (url, _) = token_server(|_| (StatusCode::OK, "not json").into_response()).await;
    let c = client(&url, ClientAuth::None, &FetchPolicy::default());
    assert_eq!(
        c.client_credentials(None, &[]).await.unwrap_err().kind(),
        ErrorKind::BadResponse
    );
}

#[tokio::test]
async fn oversized_response_is_cut_at_the_limit() {
    let (url, _) = token_server(|_| (StatusCode::OK, "x".repeat(10_000)).into_response()).await;
    let policy = FetchPolicy {
        max_bytes: 4096,
        ..FetchPolicy::default()
    };
    let e = client(&url, ClientAuth::None, &policy)
        .client_credentials(None, &[])
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::ResourceLimit);
    assert!(e.message().contains("4096 bytes"), "{}", e.message());
}

#[tokio::test]
async fn slow_token_endpoint_times_out() {
    let app = Router::new().route(
        "/token",
        post(|| async {
            tokio::time::sleep(Duration::from_secs(5)).await;
            "late"
        }),
    );
    let url = serve(app).await;
    let policy = FetchPolicy {
        total_timeout: Duration::from_millis(300),
        ..FetchPolicy::default()
    };
    let t0 = Instant::now();
    let e = client(&url, ClientAuth::None, &policy)
        .client_credentials(None, &[])
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Transport);
    assert!(e.message().contains("timed out"), "{}", e.message());
    assert!(t0.elapsed() < Duration::from_secs(3));
}

#[tokio::test]
async fn client_secret_basic_and_post_are_sent_as_rfc6749_says() {
    let ok = |_: &[(String, String)]| json_resp(200, json!({"access_token": "at", "token_type": "Bearer"}));
    let (url, log) = token_server(ok).await;
    let pol = FetchPolicy::default();
    client(&url, ClientAuth::SecretBasic(Secret::new("s:%")), &pol)
        .client_credentials(Some("a b"), &[("resource".into(), "urn:x".into())])
        .await
        .unwrap();
    client(&url, ClientAuth::SecretPost(Secret::new("p")), &pol)
        .client_credentials(None, &[])
        .await
        .unwrap();
    let log = log.lock().unwrap();
    let (_, auth, form) = &log[0];
    // base64("cli:s%3A%25")
    assert_eq!(auth.as_deref(), Some("Basic Y2xpOnMlM0ElMjU="));
    assert_eq!(field(form, "grant_type"), Some("client_credentials"));
    assert_eq!(field(form, "scope"), Some("a b"));
    assert_eq!(field(form, "resource"), Some("urn:x"));
    assert_eq!(field(form, "client_secret"), None);
    let (_, auth, form) = &log[1];
    assert_eq!(auth, &None);
    assert_eq!(field(form, "client_id"), Some("cli"));
    assert_eq!(field(form, "client_secret"), Some("p"));
}

#[tokio::test]
async fn code_exchange_sends_the_pkce_verifier_and_redirect_uri() {
    let ok = |_: &[(String, String)]| {
        json_resp(
            200,
            json!({"access_token": "at", "token_type": "Bearer", "refresh_token": "rt"}),
        )
    };
    let (url, log) = token_server(ok).await;
    let c = client(&url, ClientAuth::None, &FetchPolicy::default());
    let req = AuthorizationRequest::new(
        &format!("{url}/auth"),
        "cli",
        "http://127.0.0.1:9/callback",
        None,
        &[],
    )
    .unwrap();
    let t = c.exchange_code(&req, &Secret::new("the-code")).await.unwrap();
    assert_eq!(t.refresh_token.unwrap().expose(), "rt");
    let log = log.lock().unwrap();
    let form = &log[0].2;
    assert_eq!(field(form, "grant_type"), Some("authorization_code"));
    assert_eq!(field(form, "code"), Some("the-code"));
    assert_eq!(field(form, "redirect_uri"), Some("http://127.0.0.1:9/callback"));
    assert_eq!(field(form, "code_verifier"), Some(req.pkce.verifier.expose()));
    assert_eq!(field(form, "client_id"), Some("cli"));
}

#[tokio::test]
async fn jwt_bearer_and_token_exchange_forms() {
    let ok = |_: &[(String, String)]| {
        json_resp(
            200,
            json!({"access_token": "at", "token_type": "N_A", "issued_token_type": "urn:ietf:params:oauth:token-type:access_token"}),
        )
    };
    let (url, log) = token_server(ok).await;
    let c = client(&url, ClientAuth::None, &FetchPolicy::default());
    c.jwt_bearer("a.b.c", Some("read")).await.unwrap();
    let x = TokenExchange {
        subject_token: Some(Secret::new("subj")),
        audience: vec!["api-1".into(), "api-2".into()],
        requested_token_type: Some("urn:ietf:params:oauth:token-type:jwt".into()),
        ..TokenExchange::default()
    };
    let t = c.token_exchange(&x).await.unwrap();
    assert_eq!(
        t.issued_token_type.as_deref(),
        Some("urn:ietf:params:oauth:token-type:access_token")
    );
    let e = c.token_exchange(&TokenExchange::default()).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidConfig);
    let log = log.lock().unwrap();
    let f = &log[0].2;
    assert_eq!(
        field(f, "grant_type"),
        Some("urn:ietf:params:oauth:grant-type:jwt-bearer")
    );
    assert_eq!(field(f, "assertion"), Some("a.b.c"));
    let f = &log[1].2;
    assert_eq!(
        field(f, "grant_type"),
        Some("urn:ietf:params:oauth:grant-type:token-exchange")
    );
    assert_eq!(field(f, "subject_token"), Some("subj"));
    assert_eq!(
        field(f, "subject_token_type"),
        Some("urn:ietf:params:oauth:token-type:access_token")
    );
    let auds: Vec<&str> = f
        .iter()
        .filter(|(k, _)| k == "audience")
        .map(|(_, v)| v.as_str())
        .collect();
    assert_eq!(auds, ["api-1", "api-2"]);
    assert_eq!(field(f, "actor_token"), None);
    assert_eq!(log.len(), 2, "an exchange without a subject token sends nothing");
}

/// A device endpoint (interval 1 s) and a token endpoint answering `answers` in turn.
async fn device_server(answers: Vec<Value>) -> (String, Arc<Mutex<Vec<Instant>>>) {
    let times: Arc<Mutex<Vec<Instant>>> = Arc::default();
    let t2 = times.clone();
    let answers = Arc::new(Mutex::new(answers.into_iter()));
    let app = Router::new()
        .route(
            "/device",
            post(|| async {
                json_resp(200, json!({"device_code": "dc", "user_code": "ABCD-EFGH", "verification_uri": "https://x/device", "expires_in": 30, "interval": 1}))
            }),
        )
        .route(
            "/token",
            post(move |body: String| {
                let (times, answers) = (t2.clone(), answers.clone());
                async move {
                    assert!(body.contains("device_code=dc"), "{body}");
                    times.lock().unwrap().push(Instant::now());
                    let a = answers.lock().unwrap().next().unwrap();
                    let status = if a.get("error").is_some() { 400 } else { 200 };
                    json_resp(status, a)
                }
            }),
        );
    (serve(app).await, times)
}

#[tokio::test]
async fn device_polling_waits_on_pending_and_slows_down_by_five_seconds() {
    let (url, times) = device_server(vec![
        json!({"error": "authorization_pending"}),
        json!({"error": "slow_down"}),
        json!({"access_token": "at", "token_type": "Bearer"}),
    ])
    .await;
    let c = client(&url, ClientAuth::None, &FetchPolicy::default());
    let d = c.device_authorization(Some("openid"), &[]).await.unwrap();
    assert_eq!(
        (d.user_code.as_str(), d.interval, d.expires_in),
        ("ABCD-EFGH", 1, 30)
    );
    let mut events = Vec::new();
    let t = c.poll_device(&d, |e| events.push(e)).await.unwrap();
    assert_eq!(t.access_token.expose(), "at");
    assert_eq!(events, [PollEvent::Pending, PollEvent::SlowDown(6)]);
    let times = times.lock().unwrap();
    let gap = times[2] - times[1];
    assert!(
        gap >= Duration::from_secs(6),
        "slow_down: the next poll came after {gap:?}"
    );
    assert!(times[1] - times[0] >= Duration::from_secs(1));
}

#[tokio::test]
async fn device_polling_stops_on_expired_token_and_access_denied() {
    for code in ["expired_token", "access_denied"] {
        let (url, _) = device_server(vec![
            json!({"error": "authorization_pending"}),
            json!({"error": code}),
        ])
        .await;
        let c = client(&url, ClientAuth::None, &FetchPolicy::default());
        let d = c.device_authorization(None, &[]).await.unwrap();
        let e = c.poll_device(&d, |_| {}).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::OAuth);
        assert_eq!(e.oauth_error().unwrap().error, code);
    }
}

#[tokio::test]
async fn device_verification_uri_must_be_a_web_url() {
    let app = Router::new().route(
        "/device",
        post(|| async {
            json_resp(
                200,
                json!({"device_code": "dc", "user_code": "U", "verification_uri": "javascript:alert(1)", "expires_in": 30}),
            )
        }),
    );
    let url = serve(app).await;
    let e = client(&url, ClientAuth::None, &FetchPolicy::default())
        .device_authorization(None, &[])
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::BadResponse);
    assert!(e.message().contains("verification_uri"), "{}", e.message());
}

#[tokio::test]
async fn userinfo_error_comes_from_www_authenticate() {
    let app = Router::new().route(
        "/userinfo",
        get(|h: HeaderMap| async move {
            assert_eq!(h.get(header::AUTHORIZATION).unwrap(), "Bearer at-1");
            (
                StatusCode::UNAUTHORIZED,
                [(
                    header::WWW_AUTHENTICATE,
                    r#"Bearer error="invalid_token", error_description="revoked""#,
                )],
            )
        }),
    );
    let url = serve(app).await;
    let e = client(&url, ClientAuth::None, &FetchPolicy::default())
        .userinfo(&Secret::new("at-1"))
        .await
        .unwrap_err();
    let o = e.oauth_error().unwrap();
    assert_eq!(
        (o.error.as_str(), o.description.as_deref(), o.status),
        ("invalid_token", Some("revoked"), Some(401))
    );
}

#[tokio::test]
async fn introspection_requires_a_boolean_active() {
    let app = Router::new().route(
        "/introspect",
        post(|| async { json_resp(200, json!({"active": "true"})) }),
    );
    let url = serve(app).await;
    let e = client(&url, ClientAuth::None, &FetchPolicy::default())
        .introspect(&Secret::new("t"), None)
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::BadResponse);
}

async fn hit(url: &str) -> (u16, String) {
    let r = reqwest::get(url).await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

#[tokio::test]
async fn loopback_listener_checks_state_and_iss_and_reports_errors() {
    let cases: [(&str, Result<&str, ErrorKind>, u16); 5] = [
        ("code=c1&state=s1&iss=https%3A%2F%2Fas", Ok("c1"), 200),
        ("code=c1&state=forged", Err(ErrorKind::StateMismatch), 400),
        ("code=c1", Err(ErrorKind::StateMismatch), 400),
        (
            "code=c1&state=s1&iss=https%3A%2F%2Fevil",
            Err(ErrorKind::BadResponse),
            400,
        ),
        (
            "error=access_denied&error_description=%3Cb%3Eno%3C%2Fb%3E&state=s1",
            Err(ErrorKind::OAuth),
            200,
        ),
    ];
    for (query, want, status) in cases {
        let l = LoopbackListener::bind(0).await.unwrap();
        let uri = l.redirect_uri();
        assert!(uri.starts_with("http://127.0.0.1:") && uri.ends_with("/callback"));
        let waiting =
            tokio::spawn(async move { l.wait("s1", Some("https://as"), Duration::from_secs(5)).await });
        let (s404, _) = hit(&uri.replace("/callback", "/favicon.ico")).await;
        assert_eq!(s404, 404);
        let (s, page) = hit(&format!("{uri}?{query}")).await;
        assert_eq!(s, status, "{query}");
        assert!(
            !page.contains("<b>no"),
            "HTML from the redirect is escaped: {page}"
        );
        match (waiting.await.unwrap(), want) {
            (Ok(code), Ok(c)) => {
                assert_eq!(code.expose(), c);
                assert!(page.contains("You can close this tab"));
            }
            (Err(e), Err(k)) => assert_eq!(e.kind(), k, "{query}: {e}"),
            (got, want) => panic!("{query}: got {got:?}, want {want:?}"),
        }
    }
}

#[tokio::test]
async fn loopback_listener_times_out() {
    let l = LoopbackListener::bind(0).await.unwrap();
    let e = l.wait("s", None, Duration::from_millis(200)).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::TimedOut);
}
