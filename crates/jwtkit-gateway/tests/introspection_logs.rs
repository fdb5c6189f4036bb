//! Logs of introspection: a failed call (the endpoint refuses the gateway's credentials) and
//! an inactive token are logged naming the token by its short SHA-256 only; neither the token
//! nor the client secret appears. (Its own test binary: the subscriber is thread-local and
//! tracing caches per-callsite interest process-wide.)

mod common;

use common::*;
use jwtkit::JwsAlg;

const TOKEN: &str = "opaque-LOGCHECK-9f3kq0zXv7TqYw2s";
const SECRET: &str = "the-right-secret-4c1d";
const WRONG: &str = "a-wrong-secret-77ab";

#[derive(Clone, Default)]
struct Buf(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Buf {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// An endpoint that accepts `gw` with [`SECRET`] (HTTP Basic) and calls every token inactive.
async fn endpoint() -> u16 {
    use base64::Engine as _;
    let want = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("gw:{SECRET}"))
    );
    let app = axum::Router::new().route(
        "/introspect",
        axum::routing::post(move |h: axum::http::HeaderMap| async move {
            let ok = h.get("authorization").and_then(|v| v.to_str().ok()) == Some(want.as_str());
            if ok {
                (axum::http::StatusCode::OK, r#"{"active":false}"#)
            } else {
                (
                    axum::http::StatusCode::UNAUTHORIZED,
                    r#"{"error":"invalid_client"}"#,
                )
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    port
}

fn config(port: u16, secret: &str) -> String {
    base_config(EMBEDDED)
        + &format!(
            r#"introspection = {{ url = "http://127.0.0.1:{port}/introspect", client_id = "gw", client_secret = "{secret}" }}

[log]
format = "json"

[[routes]]
path_prefix = "/orders"
upstream = "{{UPSTREAM}}"
auth = {{ providers = ["main"] }}
"#
        )
}

#[test]
fn introspection_logs_name_tokens_by_hash_and_never_show_secrets() {
    let k = Signing::new(JwsAlg::ES256, "k1");
    let buf = Buf::default();
    let writer = buf.clone();
    let subscriber = tracing_subscriber::fmt()
        .json()
        .flatten_event(true)
        .with_writer(move || writer.clone())
        .finish();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let statuses = tracing::subscriber::with_default(subscriber, || {
        rt.block_on(async {
            let port = endpoint().await;
            let mut out = Vec::new();
            for secret in [WRONG, SECRET] {
                let s = setup(&config(port, secret), "http://127.0.0.1:9", &[&k]);
                let r = jwtkit_gateway::explain::explain(&s.config_path, "/orders/1", TOKEN, None)
                    .await
                    .unwrap();
                out.push(r.status);
            }
            out
        })
    });
    assert_eq!(statuses, [Some(503), Some(401)]);
    let logs = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
    let id = jwtkit_gateway::token_cache::short_id(&jwtkit_gateway::token_cache::hash_token(TOKEN));
    let line = |msg: &str| -> serde_json::Value {
        let l = logs
            .lines()
            .find(|l| l.contains(msg))
            .unwrap_or_else(|| panic!("no {msg:?} line: {logs}"));
        serde_json::from_str(l).unwrap()
    };
    let failed = line("token introspection failed");
    assert_eq!(failed["token"], id.as_str());
    assert_eq!(failed["kind"], "oauth_error", "{failed}");
    assert!(
        failed["reason"].as_str().unwrap().contains("invalid_client"),
        "{failed}"
    );
    let rejected = line("token rejected");
    assert_eq!(rejected["token"], id.as_str());
    assert_eq!(rejected["kind"], "inactive");
    assert_eq!(rejected["check"], "introspect");
    for secret in [TOKEN, "LOGCHECK", SECRET, WRONG] {
        assert!(!logs.contains(secret), "{secret:?} leaked into the logs: {logs}");
    }
}
