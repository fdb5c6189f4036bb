//! A configured issuer, a movable clock and request helpers.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use base64::Engine;
use http_body_util::BodyExt;
use jwtkit::jws::{Input, JwsOptions};
use jwtkit::{AlgorithmSet, JwkSet, JwsAlg, Limits};
use jwtkit_issuer::config::Config;
use jwtkit_issuer::{Issuer, router};
use serde_json::Map;
use serde_json::Value;
use tower::ServiceExt;

pub const ISS: &str = "http://127.0.0.1:9400";
pub const REDIRECT: &str = "http://127.0.0.1:8000/cb";
pub const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
/// BASE64URL(SHA256(VERIFIER)): RFC 7636 Appendix B.
pub const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
pub const START: u64 = 1_800_000_000;

pub const CONFIG: &str = r#"
[tokens]
access_token_ttl = "30s"
id_token_ttl = "30s"
code_ttl = "60s"
refresh_token_ttl = "1h"
refresh_family_ttl = "2h"
max_request_bytes = 2048

[keys]
rotation_period = "10m"
publish_ahead = "1m"

[[clients]]
client_id = "web"
redirect_uris = ["http://127.0.0.1:8000/cb", "http://127.0.0.1:8000/other"]
scopes = ["openid", "profile", "email", "orders:read"]
audience = ["orders-api"]

[[clients]]
client_id = "backend"
client_secret = "backend-secret"
grant_types = ["client_credentials", "authorization_code", "refresh_token"]
redirect_uris = ["http://127.0.0.1:8000/cb"]
scopes = ["openid", "profile", "orders:read", "orders:write"]

[[users]]
sub = "alice"
claims = { name = "Alice Example", email = "alice@example.com", email_verified = true, roles = ["admin"] }

[[users]]
sub = "bob"
claims = { name = "Bob Example", roles = ["viewer"] }
"#;

pub struct T {
    pub issuer: Arc<Issuer>,
    pub app: Router,
    pub clock: Arc<AtomicU64>,
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|_| panic!("not JSON: {}", self.text()))
    }
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
    /// The query parameters of the `Location` redirect.
    pub fn location_params(&self) -> Vec<(String, String)> {
        let loc = self.header("location").expect("a Location header");
        url::Url::parse(loc).unwrap().query_pairs().into_owned().collect()
    }
    pub fn location_param(&self, name: &str) -> Option<String> {
        self.location_params()
            .into_iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v)
    }
    /// `error` of an OAuth JSON error body.
    pub fn error(&self) -> String {
        self.json()["error"].as_str().unwrap_or_default().to_string()
    }
}

impl T {
    pub fn new() -> T {
        T::with_config(CONFIG)
    }

    pub fn with_config(text: &str) -> T {
        T::from_config(Config::from_toml(text).expect("config"))
    }

    pub fn from_config(config: Config) -> T {
        let clock = Arc::new(AtomicU64::new(START));
        let c = clock.clone();
        let issuer = Arc::new(
            Issuer::new(config, ISS, Arc::new(move || c.load(Ordering::SeqCst)))
                .expect("issuer")
                .quiet(),
        );
        T {
            app: router(issuer.clone()),
            issuer,
            clock,
        }
    }

    pub fn advance(&self, secs: u64) {
        self.clock.fetch_add(secs, Ordering::SeqCst);
    }

    pub fn now(&self) -> u64 {
        self.clock.load(Ordering::SeqCst)
    }

    pub async fn send(&self, req: Request<Body>) -> Reply {
        let r = self.app.clone().oneshot(req).await.unwrap();
        let status = r.status();
        let headers = r.headers().clone();
        let body = r.into_body().collect().await.unwrap().to_bytes().to_vec();
        Reply {
            status,
            headers,
            body,
        }
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.send(Request::get(path).body(Body::empty()).unwrap()).await
    }

    pub async fn get_bearer(&self, path: &str, token: &str) -> Reply {
        let r = Request::get(path)
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .body(Body::empty())
            .unwrap();
        self.send(r).await
    }

    /// POST a form, with Basic credentials when `basic` is given.
    pub async fn post(&self, path: &str, form: &[(&str, &str)], basic: Option<(&str, &str)>) -> Reply {
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form)
            .finish();
        self.post_raw(path, body.into_bytes(), basic).await
    }

    pub async fn post_raw(&self, path: &str, body: Vec<u8>, basic: Option<(&str, &str)>) -> Reply {
        let mut r = Request::builder()
            .method(Method::POST)
            .uri(path)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        if let Some((id, secret)) = basic {
            let b = base64::engine::general_purpose::STANDARD.encode(format!("{id}:{secret}"));
            r = r.header(header::AUTHORIZATION, format!("Basic {b}"));
        }
        self.send(r.body(Body::from(body)).unwrap()).await
    }

    /// GET /authorize with these parameters.
    pub async fn authorize(&self, params: &[(&str, &str)]) -> Reply {
        let q = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(params)
            .finish();
        self.get(&format!("/authorize?{q}")).await
    }

    /// The login page's pending request id.
    pub fn request_id(page: &Reply) -> String {
        let html = page.text();
        let at = html.find("name=\"request\" value=\"").expect("a login form");
        let rest = &html[at + 22..];
        rest[..rest.find('"').unwrap()].to_string()
    }

    /// A standard code request for `client` up to the login page.
    pub async fn login_page(&self, client: &str, scope: &str, state: Option<&str>) -> Reply {
        let mut p = vec![
            ("response_type", "code"),
            ("client_id", client),
            ("redirect_uri", REDIRECT),
            ("scope", scope),
            ("code_challenge", CHALLENGE),
            ("code_challenge_method", "S256"),
            ("nonce", "n-0S6_WzA2Mj"),
        ];
        if let Some(s) = state {
            p.push(("state", s));
        }
        let r = self.authorize(&p).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        r
    }

    /// Approve the login page as `sub` with claim changes; returns the redirect.
    pub async fn approve(&self, page: &Reply, sub: &str, claims: &str) -> Reply {
        let id = T::request_id(page);
        self.post(
            "/authorize/login",
            &[
                ("request", &id),
                ("sub", sub),
                ("claims", claims),
                ("action", "approve"),
            ],
            None,
        )
        .await
    }

    /// A fresh code for `client` as alice with scope `openid profile email orders:read`.
    pub async fn code(&self, client: &str) -> String {
        let page = self
            .login_page(client, "openid profile orders:read", Some("xyz"))
            .await;
        let r = self.approve(&page, "alice", "{}").await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        r.location_param("code").expect("a code")
    }

    /// Redeem a code as the public client `web`.
    pub async fn redeem(&self, code: &str, verifier: &str) -> Reply {
        self.post(
            "/token",
            &[
                ("grant_type", "authorization_code"),
                ("client_id", "web"),
                ("code", code),
                ("redirect_uri", REDIRECT),
                ("code_verifier", verifier),
            ],
            None,
        )
        .await
    }

    /// Tokens for `web` as alice: the token response.
    pub async fn tokens(&self) -> Value {
        let code = self.code("web").await;
        let r = self.redeem(&code, VERIFIER).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        r.json()
    }

    pub async fn refresh(&self, refresh_token: &str) -> Reply {
        self.post(
            "/token",
            &[
                ("grant_type", "refresh_token"),
                ("client_id", "web"),
                ("refresh_token", refresh_token),
            ],
            None,
        )
        .await
    }

    pub async fn introspect(&self, token: &str) -> Value {
        let r = self
            .post(
                "/introspect",
                &[("token", token)],
                Some(("backend", "backend-secret")),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        r.json()
    }

    pub async fn jwks(&self) -> JwkSet {
        let r = self.get("/jwks").await;
        assert_eq!(r.status, StatusCode::OK);
        JwkSet::parse(&r.body, &Limits::default()).expect("a JWK Set")
    }
}

/// A JSON object (header or claims).
type JsonObject = Map<String, Value>;

/// Verify a token against a JWK Set with the core (signature only) and return (header, claims).
pub fn verify(token: &str, keys: &JwkSet) -> Result<(JsonObject, JsonObject), jwtkit::Error> {
    let algs = AlgorithmSet::<JwsAlg>::empty()
        .with(JwsAlg::ES256)
        .with(JwsAlg::RS256);
    let input = Input::new(token).json_serialization().signature_only();
    let v = jwtkit::jwt::verify_local(input, keys, &JwsOptions::new(algs).into()).into_jws()?;
    let claims = jwtkit::json::parse_object(&v.payload, &Limits::default())?;
    Ok((v.header.as_object().clone(), claims))
}
