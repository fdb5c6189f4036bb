//! TLS on the gateway's own listener (`server.tls`): HTTPS with HTTP/1.1 and HTTP/2 chosen by
//! ALPN, `X-Forwarded-Proto: https` upstream, plain HTTP refused with 400, silent and stalled
//! clients cut at the handshake timeout without blocking others, certificate reload, `--check`.
//! Certificates are made with `openssl` at test time.

mod common;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use common::*;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioExecutor;
use jwtkit::JwsAlg;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, ServerName};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const ROUTES: &str = r#"
[[routes]]
path_prefix = "/orders"
upstream = "{UPSTREAM}"
auth = { providers = ["main"] }
claims_to_headers = { sub = "X-User-Id" }
"#;

/// The usual test config with `server.tls` (files relative to the config) and one worker, so
/// that every connection goes through the same accept loop.
fn tls_config(extra: &str) -> String {
    base_config(EMBEDDED).replace(
        "shutdown_grace = \"2s\"",
        &format!(
            "shutdown_grace = \"2s\"\nworkers = 1\ntls = {{ cert = \"cert.pem\", key = \"key.pem\"{extra} }}"
        ),
    ) + ROUTES
}

fn roots(cas: &[&Path]) -> rustls::RootCertStore {
    let mut roots = rustls::RootCertStore::empty();
    for ca in cas {
        for c in CertificateDer::pem_file_iter(ca).unwrap() {
            roots.add(c.unwrap()).unwrap();
        }
    }
    roots
}

fn client_tls(cas: &[&Path]) -> rustls::ClientConfig {
    rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::aws_lc_rs::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots(cas))
        .with_no_client_auth()
}

/// GET over HTTPS trusting `ca`; `h2` offers only `h2` by ALPN (and speaks only HTTP/2), else
/// only `http/1.1`. Returns the response and the HTTP version it came in.
async fn https_get(ca: &Path, url: &str, token: &str, h2: bool) -> (Resp, http::Version) {
    let b = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(client_tls(&[ca]))
        .https_only();
    let connector = if h2 {
        b.enable_http2().build()
    } else {
        b.enable_http1().build()
    };
    let client = hyper_util::client::legacy::Client::builder(TokioExecutor::new())
        .http2_only(h2)
        .build::<_, Full<Bytes>>(connector);
    let req = http::Request::get(url)
        .header("authorization", format!("Bearer {token}"))
        .body(Full::new(Bytes::new()))
        .unwrap();
    let resp = tokio::time::timeout(Duration::from_secs(20), client.request(req))
        .await
        .expect("request timed out")
        .expect("request failed");
    let version = resp.version();
    let (status, headers) = (resp.status().as_u16(), resp.headers().clone());
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    (
        Resp {
            status,
            headers,
            body,
        },
        version,
    )
}

/// The certificate the listener presents to a new connection (DER of the leaf).
async fn presented_certificate(addr: std::net::SocketAddr, cas: &[&Path]) -> Vec<u8> {
    let connector = tokio_rustls::TlsConnector::from(Arc::new(client_tls(cas)));
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let name = ServerName::try_from("127.0.0.1").unwrap();
    let tls = connector.connect(name, tcp).await.unwrap();
    tls.get_ref().1.peer_certificates().unwrap()[0].to_vec()
}

fn leaf_der(cert: &Path) -> Vec<u8> {
    CertificateDer::pem_file_iter(cert)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .to_vec()
}

async fn metric(gw: &jwtkit_gateway::Gateway, line_start: &str) -> Option<f64> {
    let m = get(&format!("http://{}/metrics", gw.admin_addr()), &[]).await;
    String::from_utf8_lossy(&m.body)
        .lines()
        .find(|l| l.starts_with(line_start))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

#[tokio::test]
async fn https_listener_http1_and_h2_forwarded_proto_and_plain_http_refused() {
    jwtkit_gateway::init_logging(&jwtkit_gateway::config::LogConfig::default());
    let up = Upstream::start().await;
    let k = Signing::new(JwsAlg::ES256, "k1");
    let s = setup(&tls_config(""), &up.url(), &[&k]);
    let (ca, _, _) = certificates(s.dir.path());
    let gw = start(&s).await;
    let token = k.sign(&claims("tls-client", json!({})));
    let url = format!("https://127.0.0.1:{}/orders/1", gw.addr().port());

    // HTTP/1.1 over TLS: forwarded with the claims, and the upstream learns the client used https.
    let (r, version) = https_get(&ca, &url, &token, false).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(version, http::Version::HTTP_11);
    assert_eq!(r.seen("x-forwarded-proto"), Some(vec!["https".to_string()]));
    let fwd = r.seen("forwarded").unwrap();
    assert_eq!(fwd.len(), 1);
    assert!(fwd[0].starts_with("for=127.0.0.1;proto=https;host="), "{fwd:?}");
    assert_eq!(r.seen("x-user-id"), Some(vec!["tls-client".to_string()]));

    // HTTP/2 chosen by ALPN (`h2`), same answer.
    let (r, version) = https_get(&ca, &url, &token, true).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(version, http::Version::HTTP_2);
    assert_eq!(r.json()["path"], "/orders/1");
    assert_eq!(r.seen("x-forwarded-proto"), Some(vec!["https".to_string()]));

    // An HTTP/1.1 upgrade (WebSocket-style) over TLS: 101, then bytes echo both ways.
    let mut cfg = client_tls(&[&ca]);
    cfg.alpn_protocols = vec![b"http/1.1".to_vec()];
    let tcp = tokio::net::TcpStream::connect(gw.addr()).await.unwrap();
    let mut sock = tokio_rustls::TlsConnector::from(Arc::new(cfg))
        .connect(ServerName::try_from("127.0.0.1").unwrap(), tcp)
        .await
        .unwrap();
    let head = format!(
        "GET /orders/ws HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n"
    );
    sock.write_all(head.as_bytes()).await.unwrap();
    let mut buf = vec![0u8; 1024];
    let n = tokio::time::timeout(Duration::from_secs(5), sock.read(&mut buf))
        .await
        .unwrap()
        .unwrap();
    let head = String::from_utf8_lossy(&buf[..n]).to_string();
    assert!(head.starts_with("HTTP/1.1 101"), "{head}");
    sock.write_all(b"ping-over-tls").await.unwrap();
    let mut got = Vec::new();
    while got.len() < 13 {
        let n = tokio::time::timeout(Duration::from_secs(5), sock.read(&mut buf))
            .await
            .unwrap()
            .unwrap();
        assert!(n > 0);
        got.extend_from_slice(&buf[..n]);
    }
    assert_eq!(got, b"ping-over-tls");
    drop(sock);

    // A token failure over TLS is the usual RFC 6750 answer.
    let (r, _) = https_get(&ca, &url, "not-a-token", true).await;
    assert_eq!(r.status, 401);
    assert!(r.header("www-authenticate").unwrap().contains("invalid_token"));

    // Plain HTTP to the TLS port: a 400 that says why, and the connection is closed.
    let r = bearer_get(&format!("http://{}/orders/1", gw.addr()), &token).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["error"], "bad_request");
    assert_eq!(
        r.json()["error_description"],
        "plain HTTP request sent to the HTTPS port; use https://"
    );
    assert_eq!(r.header("connection"), Some("close"));
    assert!(
        metric(
            &gw,
            "jwtkit_gateway_tls_handshake_failures_total{reason=\"plain_http\"}"
        )
        .await
        .unwrap()
            >= 1.0
    );

    // A client that does not trust the certificate aborts the handshake: counted, nothing served.
    let other = tempfile::tempdir().unwrap();
    let (other_ca, _, _) = certificates(other.path());
    let connector = tokio_rustls::TlsConnector::from(Arc::new(client_tls(&[&other_ca])));
    let tcp = tokio::net::TcpStream::connect(gw.addr()).await.unwrap();
    let err = connector
        .connect(ServerName::try_from("127.0.0.1").unwrap(), tcp)
        .await
        .unwrap_err();
    // (Both test CAs have the same name: the client finds the wrong issuer's signature bad.)
    assert!(err.to_string().contains("invalid peer certificate"), "{err}");
    let counted = eventually(5, || async {
        metric(
            &gw,
            "jwtkit_gateway_tls_handshake_failures_total{reason=\"alert_received\"}",
        )
        .await
        .is_some_and(|n| n >= 1.0)
    })
    .await;
    assert!(counted, "handshake aborted by the client is counted");
    gw.shutdown().await;
}

#[tokio::test]
async fn silent_and_stalled_clients_do_not_block_others_and_are_cut_at_the_timeout() {
    let up = Upstream::start().await;
    let k = Signing::new(JwsAlg::ES256, "k1");
    let s = setup(&tls_config(", handshake_timeout = \"3s\""), &up.url(), &[&k]);
    let (ca, _, _) = certificates(s.dir.path());
    let gw = start(&s).await;
    let token = k.sign(&claims("patient", json!({})));
    let url = format!("https://127.0.0.1:{}/orders/1", gw.addr().port());
    let before = metric(
        &gw,
        "jwtkit_gateway_tls_handshake_failures_total{reason=\"timeout\"}",
    )
    .await
    .unwrap_or(0.0);

    // One client connects and sends nothing, another sends the first bytes of a TLS record and
    // stalls. The only worker keeps accepting and serving.
    let mut silent = tokio::net::TcpStream::connect(gw.addr()).await.unwrap();
    let mut stalled = tokio::net::TcpStream::connect(gw.addr()).await.unwrap();
    stalled.write_all(&[0x16, 0x03, 0x01]).await.unwrap();
    let started = std::time::Instant::now();
    for h2 in [false, true] {
        let (r, _) = https_get(&ca, &url, &token, h2).await;
        assert_eq!(r.status, 200);
    }
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "served while the others are still inside their handshake timeout (a blocked accept loop \
         would have waited for it)"
    );

    // Both are closed by the gateway once the handshake timeout passes.
    for conn in [&mut silent, &mut stalled] {
        let mut buf = [0u8; 64];
        let n = tokio::time::timeout(Duration::from_secs(10), conn.read(&mut buf))
            .await
            .expect("the gateway closes a connection that does not complete the handshake")
            .unwrap_or(0);
        assert_eq!(n, 0, "closed without an answer");
    }
    let counted = eventually(5, || async {
        metric(
            &gw,
            "jwtkit_gateway_tls_handshake_failures_total{reason=\"timeout\"}",
        )
        .await
        .is_some_and(|n| n >= before + 2.0)
    })
    .await;
    assert!(counted, "both timeouts counted");
    gw.shutdown().await;
}

#[tokio::test]
async fn reload_picks_up_a_new_certificate_and_rejects_a_mismatched_key() {
    let up = Upstream::start().await;
    let k = Signing::new(JwsAlg::ES256, "k1");
    let s = setup(&tls_config(""), &up.url(), &[&k]);
    let dir = s.dir.path();
    let (ca1, cert1, _) = certificates(dir);
    let first = leaf_der(&cert1);
    let gw = start(&s).await;
    assert_eq!(presented_certificate(gw.addr(), &[&ca1]).await, first);

    // A renewed certificate (another CA and key) replaces the files; a reload serves it to new
    // connections without a restart.
    let renewed = tempfile::tempdir().unwrap();
    let (ca2, cert2, key2) = certificates(renewed.path());
    std::fs::copy(&cert2, dir.join("cert.pem")).unwrap();
    std::fs::copy(&key2, dir.join("key.pem")).unwrap();
    gw.shared().reload().await.unwrap();
    let second = leaf_der(&cert2);
    assert_ne!(first, second);
    assert_eq!(presented_certificate(gw.addr(), &[&ca1, &ca2]).await, second);
    let token = k.sign(&claims("after-reload", json!({})));
    let url = format!("https://127.0.0.1:{}/orders/1", gw.addr().port());
    let (r, _) = https_get(&ca2, &url, &token, true).await;
    assert_eq!(r.status, 200);

    // A key that does not match the certificate rejects the reload; the last good one serves.
    std::fs::copy(renewed.path().join("ca.key"), dir.join("key.pem")).unwrap();
    let err = format!("{:#}", gw.shared().reload().await.unwrap_err());
    assert!(err.contains("does not match the certificate"), "{err}");
    assert_eq!(presented_certificate(gw.addr(), &[&ca1, &ca2]).await, second);

    // Removing `tls` needs a restart: the listener keeps speaking TLS with its last certificate.
    let text = std::fs::read_to_string(&s.config_path).unwrap();
    let plain = text.replace("tls = { cert = \"cert.pem\", key = \"key.pem\" }", "");
    assert_ne!(text, plain);
    std::fs::write(&s.config_path, plain).unwrap();
    gw.shared().reload().await.unwrap();
    let (r, _) = https_get(&ca2, &url, &token, false).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.seen("x-forwarded-proto"), Some(vec!["https".to_string()]));
    gw.shutdown().await;
}

#[test]
fn check_loads_the_certificate_and_rejects_a_mismatched_key_or_missing_file() {
    let k = Signing::new(JwsAlg::ES256, "k1");
    let s = setup(&tls_config(""), "http://127.0.0.1:1", &[&k]);
    let dir = s.dir.path();
    certificates(dir);
    let lines = jwtkit_gateway::check(&s.config_path).unwrap();
    let cert = dir.join("cert.pem");
    assert_eq!(
        lines.last().unwrap(),
        &format!(
            "listener 127.0.0.1:0: TLS 1.2 and 1.3 with 1 certificate(s) from {}, ALPN h2 and http/1.1, handshake timeout 10s",
            cert.display()
        )
    );
    let text = std::fs::read_to_string(&s.config_path).unwrap();
    let with = |from: &str, to: &str| {
        assert!(text.contains(from), "{from}");
        let bad = dir.join("bad.toml");
        std::fs::write(&bad, text.replace(from, to)).unwrap();
        format!("{:#}", jwtkit_gateway::check(&bad).unwrap_err())
    };
    let key = dir.join("ca.key");
    assert_eq!(
        with("key = \"key.pem\"", "key = \"ca.key\""),
        format!(
            "server.tls.key {} does not match the certificate in {} (the first certificate of the chain must be the one issued for this key)",
            key.display(),
            cert.display()
        )
    );
    let missing = dir.join("missing.pem");
    assert_eq!(
        with("cert = \"cert.pem\"", "cert = \"missing.pem\""),
        format!(
            "server.tls.cert: reading {}: No such file or directory (os error 2)",
            missing.display()
        )
    );
    let err = with("key = \"key.pem\"", "key = \"cert.pem\"");
    assert!(err.contains("no private key in the file"), "{err}");
    let err = with("cert = \"cert.pem\"", "cert = \"key.pem\"");
    assert!(err.contains("no PEM certificate"), "{err}");
    let err = with("key = \"key.pem\"", "key = \"key.pem\", min_version = \"1.1\"");
    assert!(err.contains("unknown variant `1.1`"), "{err}");
    let err = with("key = \"key.pem\"", "key = \"key.pem\", ciphers = []");
    assert!(err.contains("unknown field `ciphers`"), "{err}");
}
