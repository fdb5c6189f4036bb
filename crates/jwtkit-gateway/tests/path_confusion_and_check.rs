//! Request paths that must not reach a protected route through an open
//! one (dot segments, escapes, doubled slashes), the HTTP version of forwarded answers, and
//! configurations `--check` accepted although they cannot work.

mod common;

use common::*;
use jwtkit::JwsAlg;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn config() -> String {
    base_config(EMBEDDED)
        + r#"
[[routes]]
name = "orders"
path_prefix = "/orders"
upstream = "{UPSTREAM}"
auth = { providers = ["main"] }

[[routes]]
name = "public"
path_prefix = "/public"
upstream = "{UPSTREAM}"
auth = "none"

[[routes]]
name = "stripped"
path_prefix = "/s"
upstream = "{UPSTREAM}/base"
strip_prefix = true
auth = "none"
"#
}

/// `GET /public/../orders/1` matched the open `/public` route and reached the upstream as is,
/// where any server that removes dot segments serves the protected `/orders/1`.
#[tokio::test]
async fn dot_segment_paths_cannot_reach_a_protected_route_through_an_open_one() {
    let up = Upstream::start().await;
    let k = Signing::new(JwsAlg::ES256, "k1");
    let s = setup(&config(), &up.url(), &[&k]);
    let gw = start(&s).await;
    for path in [
        "/public/../orders/1",
        "/public/./../orders/1",
        "/public/%2e%2e/orders/1",
        "/public/%2E%2e/orders/1",
        "/public/..%2forders/1",
        "/public/..%5Corders/1",
        "/public/..;/orders/1",
        "/s/../orders/1",
    ] {
        let r = get(&format!("http://{}{path}", gw.addr()), &[]).await;
        assert_eq!(r.status, 400, "{path}: {:?}", r.body);
        assert_eq!(r.header("x-upstream"), None, "{path} reached the upstream");
        assert_eq!(r.json()["error"], "bad_request", "{path}");
        assert_eq!(r.json()["error_description"], "path has a dot segment (. or ..)");
        assert_eq!(r.header("www-authenticate"), None, "{path}");
    }
    // Spellings of the protected prefix route to it (and need a token) instead of to another route.
    for path in ["//orders/1", "/%6Frders/1", "/%6f%72ders/1", "///orders//1"] {
        let r = get(&format!("http://{}{path}", gw.addr()), &[]).await;
        assert_eq!(r.status, 401, "{path}: {:?}", r.body);
        assert_eq!(r.header("x-upstream"), None, "{path}");
    }
    // With a token, the upstream receives the normalized path it was routed on.
    let token = k.sign(&claims("alice", json!({})));
    let r = bearer_get(&format!("http://{}//%6Frders//%31?x=%2e%2e", gw.addr()), &token).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.json()["path"], "/orders/1");
    assert_eq!(r.json()["query"], "x=%2e%2e");
    // Normal paths, reserved escapes and dots inside names are forwarded untouched.
    let r = get(
        &format!(
            "http://{}/public/projects/group%2Fproject/v1..2/.well-known",
            gw.addr()
        ),
        &[],
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.json()["path"],
        "/public/projects/group%2Fproject/v1..2/.well-known"
    );
    let r = get(&format!("http://{}/s/x", gw.addr()), &[]).await;
    assert_eq!(r.json()["path"], "/base/x");
    // explain follows the same path rules.
    let report = jwtkit_gateway::explain::explain(&s.config_path, "/public/../orders/1", "", None)
        .await
        .unwrap();
    assert_eq!(report.status, Some(400));
    gw.shutdown().await;
}

/// An HTTP/1.0 upstream (Python's `http.server`, the demo's) made the gateway answer its
/// HTTP/1.1 clients with `HTTP/1.0` and close every connection.
#[tokio::test]
async fn http10_upstream_answer_keeps_the_clients_http11_connection() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let upstream = format!("http://{}", listener.local_addr().unwrap());
    let server = tokio::spawn(async move {
        loop {
            let Ok((mut c, _)) = listener.accept().await else {
                continue;
            };
            tokio::spawn(async move {
                let mut buf = vec![0u8; 8192];
                let _ = c.read(&mut buf).await;
                let _ = c
                    .write_all(b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok")
                    .await;
            });
        }
    });
    let k = Signing::new(JwsAlg::ES256, "k1");
    let s = setup(&config(), &upstream, &[&k]);
    let gw = start(&s).await;
    let mut conn = tokio::net::TcpStream::connect(gw.addr()).await.unwrap();
    for _ in 0..2 {
        conn.write_all(b"GET /public/x HTTP/1.1\r\nHost: a\r\n\r\n")
            .await
            .unwrap();
        let mut got = Vec::new();
        let mut buf = [0u8; 4096];
        while !got.ends_with(b"ok") {
            let n = conn.read(&mut buf).await.unwrap();
            assert!(
                n > 0,
                "the gateway closed the connection: {}",
                String::from_utf8_lossy(&got)
            );
            got.extend_from_slice(&buf[..n]);
        }
        let text = String::from_utf8_lossy(&got).to_ascii_lowercase();
        assert!(text.starts_with("http/1.1 200 ok\r\n"), "{text}");
        assert!(!text.contains("connection: close"), "{text}");
    }
    gw.shutdown().await;
    server.abort();
}

/// `--check` said "ok" for a provider whose key file cannot verify any of its algorithms (every
/// token rejected), for `listen` = `admin_listen` (the start then fails to bind), and for an
/// empty `issuer`.
#[test]
fn check_rejects_configurations_that_cannot_work() {
    let k = Signing::new(JwsAlg::ES256, "k1");
    let routes = r#"
[[routes]]
path_prefix = "/orders"
upstream = "http://127.0.0.1:1"
auth = { providers = ["main"] }
"#;
    let ok = setup(&(base_config(EMBEDDED) + routes), "http://127.0.0.1:1", &[&k]);
    jwtkit_gateway::check(&ok.config_path).unwrap();
    let cases = [
        (
            r#"algorithms = ["ES256", "RS256", "EdDSA"]"#,
            r#"algorithms = ["HS256", "RS256"]"#,
            "no key in",
        ),
        (
            r#"issuer = "https://issuer.test/""#,
            r#"issuer = """#,
            "issuer and audiences",
        ),
        (
            r#"audiences = ["orders-api"]"#,
            r#"audiences = ["orders-api", ""]"#,
            "issuer and audiences",
        ),
    ];
    for (from, to, expected) in cases {
        let text = std::fs::read_to_string(&ok.config_path).unwrap();
        assert!(text.contains(from), "{from}");
        let bad = ok.dir.path().join("bad.toml");
        std::fs::write(&bad, text.replace(from, to)).unwrap();
        let err = format!("{:#}", jwtkit_gateway::check(&bad).unwrap_err());
        assert!(err.contains(expected), "{to}: {err}");
    }
    let text = std::fs::read_to_string(&ok.config_path).unwrap().replace(
        r#"admin_listen = "127.0.0.1:0""#,
        r#"admin_listen = "127.0.0.1:18999""#,
    );
    let text = text.replace(r#"listen = "127.0.0.1:0""#, r#"listen = "127.0.0.1:18999""#);
    let bad = ok.dir.path().join("same.toml");
    std::fs::write(&bad, text).unwrap();
    let err = format!("{:#}", jwtkit_gateway::check(&bad).unwrap_err());
    assert!(
        err.contains("server.listen and server.admin_listen are the same address"),
        "{err}"
    );
    let err = format!(
        "{:#}",
        jwtkit_gateway::check(&ok.dir.path().join("bad.toml")).unwrap_err()
    );
    assert!(err.contains("issuer and audiences"), "{err}");
    // The key-file message names the file, the algorithms and what the file holds.
    let text = std::fs::read_to_string(&ok.config_path).unwrap().replace(
        r#"algorithms = ["ES256", "RS256", "EdDSA"]"#,
        r#"algorithms = ["HS256"]"#,
    );
    std::fs::write(&bad, text).unwrap();
    let err = format!("{:#}", jwtkit_gateway::check(&bad).unwrap_err());
    assert!(
        err.contains("can verify HS256 (it holds: an EC key on P-256)"),
        "{err}"
    );
}

/// Requests whose `Host` is missing (HTTP/1.1), repeated, invalid or contradicts the target were
/// routed on whichever value came first (RFC 9112 §3.2 asks for a 400), and a non-ASCII
/// `Authorization` header counted as no token.
#[tokio::test]
async fn ambiguous_host_and_unreadable_authorization_are_400() {
    let up = Upstream::start().await;
    let k = Signing::new(JwsAlg::ES256, "k1");
    let s = setup(&config(), &up.url(), &[&k]);
    let gw = start(&s).await;
    async fn raw(addr: std::net::SocketAddr, request: &[u8]) -> String {
        let mut conn = tokio::net::TcpStream::connect(addr).await.unwrap();
        conn.write_all(request).await.unwrap();
        let mut got = Vec::new();
        let mut buf = [0u8; 4096];
        while !String::from_utf8_lossy(&got).contains("\r\n\r\n") {
            let n = conn.read(&mut buf).await.unwrap();
            if n == 0 {
                break;
            }
            got.extend_from_slice(&buf[..n]);
        }
        // The body follows the head; read what has arrived.
        if let Ok(Ok(n)) =
            tokio::time::timeout(std::time::Duration::from_millis(200), conn.read(&mut buf)).await
        {
            got.extend_from_slice(&buf[..n]);
        }
        String::from_utf8_lossy(&got).into_owned()
    }
    let cases: [(&[u8], &str); 6] = [
        (
            b"GET /public/x HTTP/1.1\r\n\r\n",
            "an HTTP/1.1 request needs a Host header",
        ),
        (
            b"GET /public/x HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
            "more than one Host header",
        ),
        (
            b"GET /public/x HTTP/1.1\r\nHost: a b\r\n\r\n",
            "the Host header is not a valid host[:port]",
        ),
        (
            b"GET /public/x HTTP/1.1\r\nHost: user@a\r\n\r\n",
            "the Host header is not a valid host[:port]",
        ),
        (
            b"GET http://a/public/x HTTP/1.1\r\nHost: b\r\n\r\n",
            "the Host header differs from the request target's authority",
        ),
        (
            b"GET /orders/1 HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer \xc3\xa9t\xc3\xa9\r\n\r\n",
            "authorization header is not visible ASCII",
        ),
    ];
    for (request, why) in cases {
        let text = raw(gw.addr(), request).await;
        assert!(text.starts_with("HTTP/1.1 400 "), "{why}: {text}");
        assert!(text.contains(why), "{why}: {text}");
        assert!(
            !text.to_ascii_lowercase().contains("x-upstream"),
            "{why} reached the upstream"
        );
    }
    // A transfer coding other than chunked would reach the upstream still encoded: 501.
    let text = raw(
        gw.addr(),
        b"POST /public/x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
    )
    .await;
    assert!(text.starts_with("HTTP/1.1 501 "), "{text}");
    assert!(
        text.contains("only the chunked transfer coding is supported"),
        "{text}"
    );
    assert!(!text.to_ascii_lowercase().contains("x-upstream"), "{text}");
    let text = raw(
        gw.addr(),
        b"POST /public/x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n",
    )
    .await;
    assert!(text.contains(" 200 OK\r\n"), "{text}");
    // The ordinary forms still work: Host, a matching absolute-form target, HTTP/1.0 without Host.
    for request in [
        &b"GET /public/x HTTP/1.1\r\nHost: a\r\n\r\n"[..],
        b"GET http://a/public/x HTTP/1.1\r\nHost: A\r\n\r\n",
        b"GET /public/x HTTP/1.0\r\n\r\n",
    ] {
        let text = raw(gw.addr(), request).await;
        assert!(
            text.contains(" 200 OK\r\n"),
            "{}: {text}",
            String::from_utf8_lossy(request)
        );
    }
    gw.shutdown().await;
}
