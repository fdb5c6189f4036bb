//! `https://` upstreams through rustls: HTTP/2 chosen by ALPN, HTTP/1.1 when configured, and a
//! certificate from a CA the gateway does not trust refused with 502.

mod common;

use common::*;
use jwtkit::JwsAlg;
use serde_json::json;

#[tokio::test]
async fn tls_upstreams_with_alpn_and_ca_file() {
    jwtkit_gateway::init_logging(&jwtkit_gateway::config::LogConfig::default());
    let certs = tempfile::tempdir().unwrap();
    let (ca, cert, key) = certificates(certs.path());
    let up = Upstream::start_tls(&cert, &key).await;
    let k = Signing::new(JwsAlg::ES256, "k1");
    let url = format!("https://127.0.0.1:{}", up.addr.port());
    let routes = r#"
[[routes]]
name = "tls-auto"
path_prefix = "/auto"
upstream = "{UPSTREAM}"
auth = { providers = ["main"] }
claims_to_headers = { sub = "X-User-Id" }

[[routes]]
name = "tls-h1"
path_prefix = "/h1"
upstream = "{UPSTREAM}"
upstream_protocol = "http1"
auth = "none"
"#;
    let trusted = base_config(EMBEDDED).replace(
        "request_timeout = \"5s\"",
        &format!(
            "request_timeout = \"5s\"\nupstream_ca_file = \"{}\"",
            ca.display()
        ),
    ) + routes;
    let s = setup(&trusted, &url, &[&k]);
    let gw = start(&s).await;
    let token = k.sign(&claims("tls-user", json!({})));
    let r = bearer_get(&format!("http://{}/auto/x", gw.addr()), &token).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.json()["version"], "HTTP/2.0", "ALPN h2");
    assert_eq!(r.seen("x-user-id"), Some(vec!["tls-user".to_string()]));
    let r = get(&format!("http://{}/h1/x", gw.addr()), &[]).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["version"], "HTTP/1.1");
    gw.shutdown().await;

    // Without the CA file the self-signed upstream is not trusted.
    let s = setup(&(base_config(EMBEDDED) + routes), &url, &[&k]);
    let gw = start(&s).await;
    let r = get(&format!("http://{}/h1/x", gw.addr()), &[]).await;
    assert_eq!(r.status, 502);
    gw.shutdown().await;
}
