//! Certificate-bound access tokens (RFC 8705 §3) and token profiles (RFC 9068 `typ`) at the
//! gateway. Client certificates and their `x5t#S256` are made by `openssl` (the thumbprint with
//! `openssl x509 -outform DER | openssl dgst -sha256`), presented over the gateway's TLS
//! listener (client certificates verified against a CA) or in a trusted proxy's header.

mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use bytes::Bytes;
use common::*;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioExecutor;
use jwtkit::JwsAlg;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use serde_json::json;

const ROUTES: &str = r#"
[[routes]]
path_prefix = "/orders"
upstream = "{UPSTREAM}"
auth = { providers = ["main"] }
claims_to_headers = { sub = "X-User-Id" }
"#;

fn openssl(args: &[&str]) {
    let out = std::process::Command::new("openssl")
        .args(args)
        .output()
        .expect("openssl must be installed");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A client certificate `name` signed by the test CA in `dir` (from [`certificates`]):
/// (cert.pem, key.pem, x5t#S256 computed by openssl).
fn client_cert(dir: &Path, name: &str) -> (PathBuf, PathBuf, String) {
    let p = |s: &str| dir.join(format!("{name}{s}")).display().to_string();
    std::fs::write(
        dir.join("client.cnf"),
        "basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n",
    )
    .unwrap();
    let (ca, ca_key, ext) = (
        dir.join("ca.pem").display().to_string(),
        dir.join("ca.key").display().to_string(),
        dir.join("client.cnf").display().to_string(),
    );
    openssl(&[
        "req",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-subj",
        &format!("/CN={name}"),
        "-keyout",
        &p(".key"),
        "-out",
        &p(".csr"),
    ]);
    openssl(&[
        "x509",
        "-req",
        "-in",
        &p(".csr"),
        "-CA",
        &ca,
        "-CAkey",
        &ca_key,
        "-CAcreateserial",
        "-days",
        "1",
        "-extfile",
        &ext,
        "-out",
        &p(".pem"),
    ]);
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!(
            "openssl x509 -in '{}' -outform DER | openssl dgst -sha256 -binary",
            p(".pem")
        ))
        .output()
        .unwrap();
    assert!(out.status.success() && out.stdout.len() == 32);
    let x5t = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&out.stdout);
    (p(".pem").into(), p(".key").into(), x5t)
}

/// GET over HTTPS trusting `ca`, presenting `client` (cert, key) when given.
async fn https_get(ca: &Path, client: Option<(&Path, &Path)>, url: &str, token: &str) -> Resp {
    let mut roots = rustls::RootCertStore::empty();
    for c in CertificateDer::pem_file_iter(ca).unwrap() {
        roots.add(c.unwrap()).unwrap();
    }
    let b =
        rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::aws_lc_rs::default_provider()))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots);
    let tls = match client {
        Some((cert, key)) => {
            let chain = CertificateDer::pem_file_iter(cert)
                .unwrap()
                .map(|c| c.unwrap())
                .collect();
            b.with_client_auth_cert(chain, PrivateKeyDer::from_pem_file(key).unwrap())
                .unwrap()
        }
        None => b.with_no_client_auth(),
    };
    let connector = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(tls)
        .https_only()
        .enable_http1()
        .build();
    let client =
        hyper_util::client::legacy::Client::builder(TokioExecutor::new()).build::<_, Full<Bytes>>(connector);
    let req = http::Request::get(url)
        .header("authorization", format!("Bearer {token}"))
        .body(Full::new(Bytes::new()))
        .unwrap();
    let resp = tokio::time::timeout(Duration::from_secs(20), client.request(req))
        .await
        .expect("request timed out")
        .expect("request failed");
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    Resp {
        status,
        headers,
        body,
    }
}

fn bound_token(issuer: &Signing, sub: &str, x5t: &str) -> String {
    issuer.sign(&claims(sub, json!({"cnf": {"x5t#S256": x5t}})))
}

const BINDING_FAILED: &str =
    "Bearer realm=\"jwtkit\", error=\"invalid_token\", error_description=\"token binding does not match\"";

#[tokio::test]
async fn certificate_bound_tokens_over_the_tls_listener_need_their_client_certificate() {
    let up = Upstream::start().await;
    let issuer = Signing::new(JwsAlg::ES256, "k1");
    let config = base_config(EMBEDDED).replace(
        "shutdown_grace = \"2s\"",
        "shutdown_grace = \"2s\"\nworkers = 1\ntls = { cert = \"cert.pem\", key = \"key.pem\", client_ca = \"ca.pem\" }",
    ) + ROUTES;
    let s = setup(&config, &up.url(), &[&issuer]);
    let (ca, _, _) = certificates(s.dir.path());
    let (cert_a, key_a, x5t_a) = client_cert(s.dir.path(), "alice");
    let (cert_b, key_b, _) = client_cert(s.dir.path(), "mallory");
    let gw = start(&s).await;
    let url = format!("https://127.0.0.1:{}/orders/1", gw.addr().port());
    let t = bound_token(&issuer, "alice", &x5t_a);

    let r = https_get(&ca, Some((&cert_a, &key_a)), &url, &t).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.seen("x-user-id"), Some(vec!["alice".to_string()]));

    let r = https_get(&ca, Some((&cert_b, &key_b)), &url, &t).await;
    assert_eq!(
        (r.status, r.challenge_without_metadata("/orders")),
        (401, Some(BINDING_FAILED))
    );
    assert_eq!(r.header("x-upstream"), None);
    assert_eq!(r.json()["error_description"], "token binding does not match");

    let r = https_get(&ca, None, &url, &t).await;
    assert_eq!(
        (r.status, r.challenge_without_metadata("/orders")),
        (401, Some(BINDING_FAILED))
    );

    // client_auth is optional: an unbound token needs no certificate.
    let plain = issuer.sign(&claims("bob", json!({})));
    assert_eq!(https_get(&ca, None, &url, &plain).await.status, 200);
    gw.shutdown().await;
}

#[tokio::test]
async fn a_required_client_certificate_is_enforced_at_the_handshake() {
    let up = Upstream::start().await;
    let issuer = Signing::new(JwsAlg::ES256, "k1");
    let config = base_config(EMBEDDED).replace(
        "shutdown_grace = \"2s\"",
        "shutdown_grace = \"2s\"\nworkers = 1\ntls = { cert = \"cert.pem\", key = \"key.pem\", client_ca = \"ca.pem\", client_auth = \"required\" }",
    ) + ROUTES;
    let s = setup(&config, &up.url(), &[&issuer]);
    let (ca, _, _) = certificates(s.dir.path());
    let (cert_a, key_a, _) = client_cert(s.dir.path(), "alice");
    let gw = start(&s).await;
    let url = format!("https://127.0.0.1:{}/orders/1", gw.addr().port());
    let plain = issuer.sign(&claims("bob", json!({})));
    assert_eq!(
        https_get(&ca, Some((&cert_a, &key_a)), &url, &plain).await.status,
        200
    );
    // Without a certificate the handshake (or the first read after it, in TLS 1.3) fails.
    let mut roots = rustls::RootCertStore::empty();
    for c in CertificateDer::pem_file_iter(&ca).unwrap() {
        roots.add(c.unwrap()).unwrap();
    }
    let tls =
        rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::aws_lc_rs::default_provider()))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
    let connector = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(tls)
        .https_only()
        .enable_http1()
        .build();
    let client =
        hyper_util::client::legacy::Client::builder(TokioExecutor::new()).build::<_, Full<Bytes>>(connector);
    let req = http::Request::get(&url).body(Full::new(Bytes::new())).unwrap();
    let r = tokio::time::timeout(Duration::from_secs(20), client.request(req))
        .await
        .unwrap();
    assert!(
        r.is_err(),
        "a client without a certificate got an answer: {:?}",
        r.map(|r| r.status())
    );
    gw.shutdown().await;
}

fn escaped_pem(path: &Path) -> String {
    let pem = std::fs::read_to_string(path).unwrap();
    pem.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn proxy_config(trusted: &str, format: &str, extra_provider: &str) -> String {
    base_config(EMBEDDED)
        .replace(
            "shutdown_grace = \"2s\"",
            &format!(
                "shutdown_grace = \"2s\"\nclient_cert_header = {{ name = \"X-Client-Cert\", format = \"{format}\", trusted_proxies = [{trusted}] }}"
            ),
        )
        .replace("leeway = \"5s\"", &format!("leeway = \"5s\"\n{extra_provider}"))
        + ROUTES
}

#[tokio::test]
async fn a_trusted_proxy_header_carries_the_certificate_and_never_reaches_the_upstream() {
    let up = Upstream::start().await;
    let issuer = Signing::new(JwsAlg::ES256, "k1");
    let s = setup(&proxy_config("\"127.0.0.1\"", "pem", ""), &up.url(), &[&issuer]);
    let (_, _, _) = certificates(s.dir.path());
    let (cert_a, _, x5t_a) = client_cert(s.dir.path(), "alice");
    let (cert_b, _, _) = client_cert(s.dir.path(), "mallory");
    let gw = start(&s).await;
    let url = format!("http://{}/orders/1", gw.addr());
    let t = bound_token(&issuer, "alice", &x5t_a);
    let auth = format!("Bearer {t}");

    // nginx's $ssl_client_escaped_cert: URL-encoded PEM.
    let r = get(
        &url,
        &[("authorization", &auth), ("x-client-cert", &escaped_pem(&cert_a))],
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.seen("x-client-cert"), None, "the certificate header is removed");
    assert_eq!(r.seen("x-user-id"), Some(vec!["alice".to_string()]));

    let r = get(
        &url,
        &[("authorization", &auth), ("x-client-cert", &escaped_pem(&cert_b))],
    )
    .await;
    assert_eq!(
        (r.status, r.challenge_without_metadata("/orders")),
        (401, Some(BINDING_FAILED))
    );
    let r = get(&url, &[("authorization", &auth)]).await;
    assert_eq!(
        (r.status, r.challenge_without_metadata("/orders")),
        (401, Some(BINDING_FAILED))
    );
    let r = get(&url, &[("authorization", &auth), ("x-client-cert", "garbage")]).await;
    assert_eq!(
        (r.status, r.challenge_without_metadata("/orders")),
        (401, Some(BINDING_FAILED))
    );

    // An unbound token: the header is still removed before the upstream.
    let plain = issuer.sign(&claims("bob", json!({})));
    let r = get(
        &url,
        &[
            ("authorization", &format!("Bearer {plain}")),
            ("x-client-cert", &escaped_pem(&cert_b)),
        ],
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.seen("x-client-cert"), None);
    gw.shutdown().await;
}

#[tokio::test]
async fn a_certificate_header_from_an_untrusted_peer_is_ignored() {
    let up = Upstream::start().await;
    let issuer = Signing::new(JwsAlg::ES256, "k1");
    let s = setup(
        &proxy_config(
            "\"10.0.0.0/8\"",
            "der_base64",
            "require_certificate_binding = true",
        ),
        &up.url(),
        &[&issuer],
    );
    let (_, _, _) = certificates(s.dir.path());
    let (cert_a, _, x5t_a) = client_cert(s.dir.path(), "alice");
    let gw = start(&s).await;
    let url = format!("http://{}/orders/1", gw.addr());
    let t = bound_token(&issuer, "alice", &x5t_a);
    // Traefik's form: the base64 DER body without PEM lines.
    let pem = std::fs::read_to_string(&cert_a).unwrap();
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    let r = get(
        &url,
        &[
            ("authorization", &format!("Bearer {t}")),
            ("x-client-cert", &body),
        ],
    )
    .await;
    assert_eq!(
        (r.status, r.challenge_without_metadata("/orders")),
        (401, Some(BINDING_FAILED))
    );
    // require_certificate_binding: an unbound token is refused.
    let plain = issuer.sign(&claims("bob", json!({})));
    let r = bearer_get(&url, &plain).await;
    assert_eq!(
        (r.status, r.challenge_without_metadata("/orders")),
        (401, Some(BINDING_FAILED))
    );
    gw.shutdown().await;

    // The same header from a trusted peer (127.0.0.1) is accepted.
    let s = setup(
        &proxy_config("\"127.0.0.0/8\"", "der_base64", ""),
        &up.url(),
        &[&issuer],
    );
    let gw = start(&s).await;
    let url = format!("http://{}/orders/1", gw.addr());
    let r = get(
        &url,
        &[
            ("authorization", &format!("Bearer {t}")),
            ("x-client-cert", &body),
        ],
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    gw.shutdown().await;
}

fn sign_typ(issuer: &Signing, typ: &str, claims: &serde_json::Value) -> String {
    jwtkit::jws::Signer::new(&issuer.key, issuer.alg)
        .unwrap()
        .typ(typ)
        .build()
        .unwrap()
        .sign_claims(claims.as_object().unwrap())
        .unwrap()
}

#[tokio::test]
async fn an_id_token_at_an_rfc9068_provider_is_refused_as_an_id_token() {
    let up = Upstream::start().await;
    let issuer = Signing::new(JwsAlg::ES256, "k1");
    let config = base_config(EMBEDDED)
        .replace("leeway = \"5s\"", "leeway = \"5s\"\ntoken_profile = \"rfc9068\"")
        + ROUTES;
    let s = setup(&config, &up.url(), &[&issuer]);
    let gw = start(&s).await;
    let url = format!("http://{}/orders/1", gw.addr());
    let access = claims("alice", json!({"scope": "orders", "client_id": "app"}));
    for typ in ["at+jwt", "application/at+jwt", "AT+JWT"] {
        let r = bearer_get(&url, &sign_typ(&issuer, typ, &access)).await;
        assert_eq!(r.status, 200, "{typ}: {:?}", r.body);
        assert_eq!(r.seen("x-user-id"), Some(vec!["alice".to_string()]));
    }
    let id_token = claims(
        "alice",
        json!({"nonce": "n-0S6_WzA2Mj", "at_hash": "77QmUPtjPfzWtF2AnpK9RQ", "auth_time": now()}),
    );
    let r = bearer_get(&url, &issuer.sign(&id_token)).await;
    assert_eq!(r.status, 401);
    assert_eq!(
        r.challenge_without_metadata("/orders"),
        Some(
            "Bearer realm=\"jwtkit\", error=\"invalid_token\", error_description=\"token type not accepted: OpenID Connect ID token, expected typ at+jwt\""
        )
    );
    assert_eq!(r.header("x-upstream"), None);
    // An access token without typ at+jwt is refused too, named by its claims.
    let r = bearer_get(&url, &issuer.sign(&access)).await;
    assert_eq!(r.status, 401);
    assert_eq!(
        r.json()["error_description"],
        "token type not accepted: OAuth 2.0 access token (RFC 9068), expected typ at+jwt"
    );
    gw.shutdown().await;
}
