//! A real HTTP server on 127.0.0.1 for the remote-keys tests: routes set per test, every
//! request counted per path, optional delays; plus signing helpers over the fixture keys.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use jwtkit::{JwsAlg, Key};
use serde_json::{Value, json};

#[derive(Clone, Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub body: Vec<u8>,
    pub delay: Duration,
}

impl Reply {
    pub fn json(body: impl Into<Vec<u8>>) -> Reply {
        Reply {
            status: 200,
            headers: vec![("content-type", "application/json".into())],
            body: body.into(),
            delay: Duration::ZERO,
        }
    }
    pub fn status(status: u16) -> Reply {
        Reply {
            status,
            headers: vec![],
            body: b"error".to_vec(),
            delay: Duration::ZERO,
        }
    }
    pub fn redirect(to: &str) -> Reply {
        Reply {
            status: 302,
            headers: vec![("location", to.to_string())],
            body: vec![],
            delay: Duration::ZERO,
        }
    }
    pub fn cache_control(mut self, v: &str) -> Reply {
        self.headers.push(("cache-control", v.to_string()));
        self
    }
    pub fn delay(mut self, d: Duration) -> Reply {
        self.delay = d;
        self
    }
}

#[derive(Clone, Default)]
struct Shared {
    routes: Arc<Mutex<HashMap<String, Reply>>>,
    hits: Arc<Mutex<HashMap<String, usize>>>,
}

pub struct TestServer {
    pub base: String,
    shared: Shared,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn handler(State(s): State<Shared>, uri: Uri) -> Response {
    let path = uri.path().to_string();
    *s.hits.lock().unwrap().entry(path.clone()).or_default() += 1;
    let reply = s.routes.lock().unwrap().get(&path).cloned();
    let Some(r) = reply else {
        return (StatusCode::NOT_FOUND, "not found").into_response();
    };
    if !r.delay.is_zero() {
        tokio::time::sleep(r.delay).await;
    }
    let mut resp = Response::builder().status(r.status);
    for (k, v) in &r.headers {
        resp = resp.header(*k, v);
    }
    resp.body(Body::from(r.body)).unwrap()
}

impl TestServer {
    pub async fn start() -> TestServer {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let shared = Shared::default();
        let app = Router::new().fallback(handler).with_state(shared.clone());
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        TestServer { base, shared, task }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn set(&self, path: &str, reply: Reply) {
        self.shared.routes.lock().unwrap().insert(path.to_string(), reply);
    }

    pub fn hits(&self, path: &str) -> usize {
        self.shared.hits.lock().unwrap().get(path).copied().unwrap_or(0)
    }

    pub fn total_hits(&self) -> usize {
        self.shared.hits.lock().unwrap().values().sum()
    }
}

pub fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/providers")
}

/// A fixture document with `{{BASE}}` replaced by the server's origin.
pub fn fixture(name: &str, base: &str) -> String {
    std::fs::read_to_string(fixtures().join(name))
        .unwrap()
        .replace("{{BASE}}", base)
}

/// The private key of a fixture `kid`.
pub fn private_key(kid: &str) -> Key {
    let pem = std::fs::read_to_string(fixtures().join("private").join(format!("{kid}.pem"))).unwrap();
    Key::from_pem(&pem).unwrap().with_kid(kid)
}

/// A JWK Set holding the public halves of fixture keys.
pub fn jwks_of(kids: &[&str]) -> String {
    let keys: Vec<Value> = kids
        .iter()
        .map(|k| Value::Object(private_key(k).to_public().unwrap().to_jwk(false)))
        .collect();
    json!({ "keys": keys }).to_string()
}

/// A JWT signed by fixture key `kid` with `alg`, valid until 2100, audience "api".
pub fn token(kid: &str, alg: JwsAlg, iss: &str) -> String {
    token_with(
        kid,
        alg,
        json!({"iss": iss, "sub": format!("user-of-{kid}"), "aud": "api", "exp": 4102444800u64}),
        &[],
    )
}

pub fn token_with(kid: &str, alg: JwsAlg, claims: Value, header: &[(&str, Value)]) -> String {
    let key = private_key(kid);
    let mut s = jwtkit::jws::Signer::new(&key, alg).unwrap().typ("JWT");
    for (k, v) in header {
        s = s.param(k, v.clone());
    }
    s.build()
        .unwrap()
        .sign_claims(claims.as_object().unwrap())
        .unwrap()
}
