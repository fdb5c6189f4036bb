//! `jwtkit verify --issuer/--jwks` and `jwtkit jwks show` against a real HTTP server on
//! 127.0.0.1 started by the test; the built binary runs with its own XDG cache directory.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use jwtkit::{JwsAlg, Key};
use serde_json::{Value, json};

type Routes = Arc<Mutex<HashMap<String, (u16, String)>>>;
type Hits = Arc<Mutex<HashMap<String, usize>>>;

struct Server {
    base: String,
    routes: Routes,
    hits: Hits,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn handler(State((routes, hits)): State<(Routes, Hits)>, uri: Uri) -> Response {
    *hits.lock().unwrap().entry(uri.path().to_string()).or_default() += 1;
    match routes.lock().unwrap().get(uri.path()).cloned() {
        Some((status, body)) => (
            StatusCode::from_u16(status).unwrap(),
            [("content-type", "application/json")],
            body,
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

impl Server {
    async fn start() -> Server {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (routes, hits) = (Routes::default(), Hits::default());
        let app = Router::new()
            .fallback(handler)
            .with_state((routes.clone(), hits.clone()));
        let task = tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Server {
            base,
            routes,
            hits,
            task,
        }
    }
    fn set(&self, path: &str, status: u16, body: String) {
        self.routes.lock().unwrap().insert(path.into(), (status, body));
    }
    fn hits(&self, path: &str) -> usize {
        self.hits.lock().unwrap().get(path).copied().unwrap_or(0)
    }
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../jwtkit-remote/tests/fixtures/providers")
}

fn private_key(kid: &str) -> Key {
    let pem = std::fs::read_to_string(fixtures().join(format!("private/{kid}.pem"))).unwrap();
    Key::from_pem(&pem).unwrap().with_kid(kid)
}

fn sign(kid: &str, alg: JwsAlg, claims: Value) -> String {
    let key = private_key(kid);
    jwtkit::jws::Signer::new(&key, alg)
        .unwrap()
        .build()
        .unwrap()
        .sign_claims(claims.as_object().unwrap())
        .unwrap()
}

/// Serve Okta-shaped discovery + JWK Set (plus `extra` keys in the set); returns (issuer, jwks path).
fn serve_okta(srv: &Server, extra: &[&str]) -> (String, String) {
    let disc = std::fs::read_to_string(fixtures().join("okta.discovery.json"))
        .unwrap()
        .replace("{{BASE}}", &srv.base);
    let mut jwks: Value =
        serde_json::from_str(&std::fs::read_to_string(fixtures().join("okta.jwks.json")).unwrap()).unwrap();
    for kid in extra {
        jwks["keys"]
            .as_array_mut()
            .unwrap()
            .push(Value::Object(private_key(kid).to_public().unwrap().to_jwk(false)));
    }
    srv.set("/oauth2/default/.well-known/openid-configuration", 200, disc);
    srv.set("/oauth2/default/v1/keys", 200, jwks.to_string());
    (
        format!("{}/oauth2/default", srv.base),
        "/oauth2/default/v1/keys".into(),
    )
}

fn jwtkit(cache: &Path, args: &[&str]) -> (i32, Value, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_jwtkit"))
        .args(args)
        .env("XDG_CACHE_HOME", cache)
        .env_remove("HTTP_PROXY")
        .env_remove("http_proxy")
        .env_remove("ALL_PROXY")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let json = serde_json::from_str(&stdout).unwrap_or(Value::Null);
    (
        out.status.code().unwrap(),
        json,
        format!("{stdout}{}", String::from_utf8_lossy(&out.stderr)),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_against_a_local_discovery_url_in_one_command() {
    let srv = Server::start().await;
    let (issuer, jwks_path) = serve_okta(&srv, &["kc-es256"]);
    let cache = tempfile::tempdir().unwrap();
    let token = sign(
        "okta-2024",
        JwsAlg::RS256,
        json!({"iss": issuer, "sub": "00u1", "aud": "api", "exp": 4102444800u64}),
    );

    let (code, v, all) = jwtkit(
        cache.path(),
        &["verify", &token, "--issuer", &issuer, "--aud", "api", "--json"],
    );
    assert_eq!(code, 0, "{all}");
    assert_eq!(v["valid"], true);
    assert_eq!(v["claims"]["sub"], "00u1");
    assert_eq!(v["key"]["kid"], "okta-2024");
    assert_eq!(
        (
            srv.hits("/oauth2/default/.well-known/openid-configuration"),
            srv.hits(&jwks_path)
        ),
        (1, 1)
    );
    let cached: Vec<_> = std::fs::read_dir(cache.path().join("jwtkit")).unwrap().collect();
    assert_eq!(
        cached.len(),
        2,
        "discovery document and JWK Set are kept with their expiry"
    );

    // Second run: from the cache, no request; human output says so.
    let (code, _, all) = jwtkit(
        cache.path(),
        &[
            "verify",
            &token,
            "--issuer",
            &issuer,
            "--aud",
            "api",
            "--no-color",
        ],
    );
    assert_eq!(code, 0, "{all}");
    assert!(all.contains("from the cache") && all.contains("VALID"), "{all}");
    assert_eq!(srv.hits(&jwks_path), 1);
    // --no-cache fetches again.
    let (code, _, _) = jwtkit(
        cache.path(),
        &[
            "verify",
            &token,
            "--issuer",
            &issuer,
            "--aud",
            "api",
            "--no-cache",
        ],
    );
    assert_eq!(code, 0);
    assert_eq!(srv.hits(&jwks_path), 2);

    // The provider only announces RS256: an ES256 token is refused unless --alg says otherwise.
    let es = sign(
        "kc-es256",
        JwsAlg::ES256,
        json!({"iss": issuer, "aud": "api", "exp": 4102444800u64}),
    );
    let (code, v, all) = jwtkit(
        cache.path(),
        &["verify", &es, "--issuer", &issuer, "--aud", "api", "--json"],
    );
    assert_eq!(
        (code, v["error"]["kind"].as_str()),
        (1, Some("alg_not_allowed")),
        "{all}"
    );
    let (code, _, all) = jwtkit(
        cache.path(),
        &[
            "verify", &es, "--issuer", &issuer, "--aud", "api", "--alg", "ES256",
        ],
    );
    assert_eq!(code, 0, "{all}");

    // The token's iss must be the issuer.
    let other = sign(
        "okta-2024",
        JwsAlg::RS256,
        json!({"iss": "https://evil.example", "aud": "api", "exp": 4102444800u64}),
    );
    let (code, v, _) = jwtkit(
        cache.path(),
        &["verify", &other, "--issuer", &issuer, "--aud", "api", "--json"],
    );
    assert_eq!((code, v["error"]["kind"].as_str()), (1, Some("bad_issuer")));

    // Unknown kid: one refetch (the stored copy is older than... the cooldown is not over: none).
    let unknown = sign(
        "google-1",
        JwsAlg::RS256,
        json!({"iss": issuer, "aud": "api", "exp": 4102444800u64}),
    );
    let (code, v, _) = jwtkit(
        cache.path(),
        &["verify", &unknown, "--issuer", &issuer, "--aud", "api", "--json"],
    );
    assert_eq!((code, v["error"]["kind"].as_str()), (1, Some("key_not_found")));
    assert!(
        v["error"]["message"].as_str().unwrap().contains("okta-2024"),
        "{v}"
    );
    assert_eq!(
        srv.hits(&jwks_path),
        2,
        "within the 30 s cooldown of the stored copy: no refetch"
    );

    // The issuer goes down: --offline still verifies from the cache; without it, the cache is fresh.
    srv.set(&jwks_path, 503, "down".into());
    let (code, _, all) = jwtkit(
        cache.path(),
        &["verify", &token, "--issuer", &issuer, "--aud", "api", "--offline"],
    );
    assert_eq!(code, 0, "{all}");
    let (code, v, _) = jwtkit(
        cache.path(),
        &[
            "verify",
            &token,
            "--issuer",
            &issuer,
            "--aud",
            "api",
            "--no-cache",
            "--json",
        ],
    );
    assert_eq!(
        (code, v["error"]["kind"].as_str()),
        (4, Some("key_fetch_failed")),
        "network error: exit 4"
    );
    let empty = tempfile::tempdir().unwrap();
    let (code, v, _) = jwtkit(
        empty.path(),
        &[
            "verify",
            &token,
            "--issuer",
            &issuer,
            "--aud",
            "api",
            "--offline",
            "--json",
        ],
    );
    assert_eq!((code, v["error"]["kind"].as_str()), (4, Some("key_fetch_failed")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jwks_url_and_transport_errors() {
    let srv = Server::start().await;
    let (_, jwks_path) = serve_okta(&srv, &[]);
    let cache = tempfile::tempdir().unwrap();
    let token = sign(
        "okta-2024",
        JwsAlg::RS256,
        json!({"sub": "1", "exp": 4102444800u64}),
    );
    let url = format!("{}{jwks_path}", srv.base);
    let (code, v, all) = jwtkit(cache.path(), &["verify", &token, "--jwks", &url, "--json"]);
    assert_eq!(code, 0, "{all}");
    assert_eq!(v["valid"], true);
    // The same set from a file.
    let file = cache.path().join("set.json");
    std::fs::write(&file, std::fs::read(fixtures().join("okta.jwks.json")).unwrap()).unwrap();
    let (code, _, all) = jwtkit(
        cache.path(),
        &["verify", &token, "--jwks", file.to_str().unwrap()],
    );
    assert_eq!(code, 0, "{all}");
    // Nothing listening: network error, exit 4.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let (code, v, _) = jwtkit(
        cache.path(),
        &[
            "verify",
            &token,
            "--jwks",
            &format!("http://127.0.0.1:{port}/k"),
            "--json",
        ],
    );
    assert_eq!((code, v["error"]["kind"].as_str()), (4, Some("key_fetch_failed")));
    // Plain http off the machine is refused before any connection: config error, exit 3.
    let (code, v, _) = jwtkit(
        cache.path(),
        &[
            "verify",
            &token,
            "--jwks",
            "http://keys.example.invalid/k",
            "--json",
        ],
    );
    assert_eq!((code, v["error"]["kind"].as_str()), (3, Some("invalid_config")));
    // Both kinds of key source: usage error.
    let (code, _, _) = jwtkit(cache.path(), &["verify", &token, "--jwks", &url, "--secret", "x"]);
    assert_eq!(code, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jwks_show_lists_keys_and_findings() {
    let cache = tempfile::tempdir().unwrap();
    let bad = fixtures().join("bad.jwks.json");
    let (code, v, all) = jwtkit(
        cache.path(),
        &[
            "jwks",
            "show",
            bad.to_str().unwrap(),
            "--json",
            "--now",
            "2024-06-01",
        ],
    );
    // Three of its findings are high (a private key, a 1024-bit RSA key, alg RS256 on an EC key):
    // reported (and "high"), exit 0 (it reads as a JWK Set; --fail-on-high makes it 1).
    assert_eq!(code, 0, "an inspection of a set that reads: {all}");
    assert_eq!(v["high"], true);
    let ids: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap())
        .collect();
    for want in [
        "private_key_in_set",
        "weak_rsa_key",
        "alg_kty_mismatch",
        "duplicate_kid",
        "missing_kid",
        "expired_certificate",
    ] {
        assert!(ids.contains(&want), "{want} missing from {ids:?}");
    }
    assert_eq!(v["keys"].as_array().unwrap().len(), 7);
    assert_eq!(v["keys"][0]["kid"], "dup");
    assert_eq!(v["keys"][0]["size"], "2048 bits");
    assert_eq!(v["keys"][1]["size"], "P-256");

    let srv = Server::start().await;
    let (_, jwks_path) = serve_okta(&srv, &["kc-es256"]);
    let url = format!("{}{jwks_path}", srv.base);
    let (code, _, all) = jwtkit(cache.path(), &["jwks", "show", &url, "--no-color"]);
    assert_eq!(code, 0, "{all}");
    let thumb = private_key("okta-2024").thumbprint().to_string();
    assert!(
        all.contains("okta-2024") && all.contains(&thumb) && all.contains("RS256"),
        "{all}"
    );
    assert!(all.contains("kc-es256") && all.contains("P-256"), "{all}");
    srv.set(&jwks_path, 200, "not json".into());
    let (code, v, _) = jwtkit(cache.path(), &["jwks", "show", &url, "--json"]);
    assert_eq!((code, v["error"]["kind"].as_str()), (1, Some("bad_json")));
}

/// `--allow-key-url`: a token's `jku` is fetched only when it names exactly an allowed URL.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jku_is_fetched_only_with_allow_key_url() {
    let srv = Server::start().await;
    let (_, jwks_path) = serve_okta(&srv, &["kc-es256"]);
    let url = format!("{}{jwks_path}", srv.base);
    let cache = tempfile::tempdir().unwrap();
    let signed = |kid: &str, alg: JwsAlg, jku: &str| {
        jwtkit::jws::Signer::new(&private_key(kid), alg)
            .unwrap()
            .param("jku", json!(jku))
            .build()
            .unwrap()
            .sign_claims(json!({"sub": "1", "exp": 4102444800u64}).as_object().unwrap())
            .unwrap()
    };
    let token = signed("kc-es256", JwsAlg::ES256, &url);
    // Not allowed: never fetched, and there is no key.
    let (code, _, all) = jwtkit(cache.path(), &["verify", &token]);
    assert_eq!(code, 2, "{all}");
    assert!(
        all.contains(&format!("--allow-key-url {url:?} trusts it")),
        "{all}"
    );
    let other = format!("{}/other/keys", srv.base);
    let (code, _, all) = jwtkit(cache.path(), &["verify", &token, "--allow-key-url", &other]);
    assert_eq!(code, 2, "{all}");
    assert_eq!(
        srv.hits(&jwks_path),
        0,
        "a jku that is not allowed is never fetched"
    );
    // Allowed exactly: fetched once, verified; the output names the source.
    let (code, v, all) = jwtkit(
        cache.path(),
        &[
            "verify",
            &token,
            "--allow-key-url",
            &other,
            "--allow-key-url",
            &url,
            "--json",
        ],
    );
    assert_eq!(code, 0, "{all}");
    assert_eq!(v["valid"], true, "{all}");
    assert_eq!(v["key"]["kid"], "kc-es256");
    assert_eq!(srv.hits(&jwks_path), 1);
    // A token naming an allowed set, with a kid of the set, signed by another key: exit 1.
    let forged = {
        let k = Key::generate(jwtkit::jwk::KeySpec::for_alg(JwsAlg::ES256))
            .unwrap()
            .with_kid("kc-es256");
        jwtkit::jws::Signer::new(&k, JwsAlg::ES256)
            .unwrap()
            .param("jku", json!(url))
            .build()
            .unwrap()
            .sign_claims(json!({"sub": "1", "exp": 4102444800u64}).as_object().unwrap())
            .unwrap()
    };
    let (code, v, all) = jwtkit(
        cache.path(),
        &["verify", &forged, "--allow-key-url", &url, "--json"],
    );
    assert_eq!(code, 1, "{all}");
    assert_eq!(v["error"]["kind"], "bad_signature", "{all}");
    // A prefix or a variant of the allowed URL is not the allowed URL.
    let variant = signed("kc-es256", JwsAlg::ES256, &format!("{url}?x"));
    let (code, _, all) = jwtkit(cache.path(), &["verify", &variant, "--allow-key-url", &url]);
    assert_eq!(code, 2, "{all}");
    assert_eq!(srv.hits(&format!("{jwks_path}?x")), 0);
}
