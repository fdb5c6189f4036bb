//! The HTTP rules of the debugger, driven in-process through the router (no sockets): the Host
//! check (DNS rebinding), the Origin check (CSRF), security headers, body limits, bad requests.

mod common;

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use serde_json::{Value, json};

use common::*;

// ------------------------------------------------------------------ Host, Origin, headers

async fn get(path: &str, host: Option<&str>) -> (StatusCode, HeaderMap, Vec<u8>) {
    let mut b = Request::get(path);
    if let Some(h) = host {
        b = b.header(header::HOST, h);
    }
    send(b.body(Body::empty()).unwrap()).await
}

#[tokio::test]
async fn host_must_be_loopback_and_port() {
    for host in ["127.0.0.1:7800", "localhost:7800", "[::1]:7800", "LOCALHOST:7800"] {
        let (status, headers, body) = get("/", Some(host)).await;
        assert_eq!(status, StatusCode::OK, "{host}");
        assert_eq!(headers[header::CONTENT_TYPE], "text/html; charset=utf-8");
        assert!(
            String::from_utf8(body)
                .unwrap()
                .contains("<title>jwtkit debugger</title>")
        );
    }
    for host in [
        "evil.example",
        "evil.example:7800",
        "127.0.0.1:7801",
        "127.0.0.1",
        "localhost.evil.example:7800",
    ] {
        let (status, headers, body) = get("/", Some(host)).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{host}");
        let v: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["error"]["kind"], "forbidden");
        assert_eq!(
            headers[header::CONTENT_SECURITY_POLICY],
            jwtkit_ui::guard::CONTENT_SECURITY_POLICY
        );
    }
    let (status, ..) = get("/", None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // API POSTs with a foreign Host are refused before the Origin check.
    let req = Request::post("/api/decode")
        .header(header::HOST, "evil.example")
        .header(header::ORIGIN, "http://evil.example")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(json!({"token": A1_TOKEN}).to_string()))
        .unwrap();
    assert_eq!(send(req).await.0, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn api_posts_need_the_pages_origin() {
    let body = json!({"token": A1_TOKEN}).to_string();
    let attempt = |origin: Option<&str>, site: Option<&str>, ctype: &str| {
        let mut b = Request::post("/api/decode")
            .header(header::HOST, HOST)
            .header(header::CONTENT_TYPE, ctype);
        if let Some(o) = origin {
            b = b.header(header::ORIGIN, o);
        }
        if let Some(s) = site {
            b = b.header("sec-fetch-site", s);
        }
        b.body(Body::from(body.clone())).unwrap()
    };
    let json_ct = "application/json";
    assert_eq!(send(attempt(None, None, json_ct)).await.0, StatusCode::FORBIDDEN);
    assert_eq!(
        send(attempt(Some("http://evil.example"), None, json_ct)).await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        send(attempt(Some("null"), None, json_ct)).await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        send(attempt(Some("http://127.0.0.1:7801"), None, json_ct))
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        send(attempt(Some("https://127.0.0.1:7800"), None, json_ct))
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    let (status, _, b) = send(attempt(Some(ORIGIN), Some("cross-site"), json_ct)).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{}", String::from_utf8_lossy(&b));
    // A form post (text/plain) is not JSON: refused even from the right origin.
    assert_eq!(
        send(attempt(Some(ORIGIN), None, "text/plain")).await.0,
        StatusCode::UNSUPPORTED_MEDIA_TYPE
    );
    assert_eq!(
        send(attempt(Some(ORIGIN), Some("same-origin"), json_ct)).await.0,
        StatusCode::OK
    );
    // The page's origin is the Host it was loaded from: localhost's page may not post to 127.0.0.1.
    assert_eq!(
        send(attempt(Some("http://localhost:7800"), None, json_ct))
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    let from_localhost = Request::post("/api/decode")
        .header(header::HOST, "localhost:7800")
        .header(header::ORIGIN, "http://localhost:7800")
        .header(header::CONTENT_TYPE, json_ct)
        .body(Body::from(body.clone()))
        .unwrap();
    assert_eq!(send(from_localhost).await.0, StatusCode::OK);
    // GET /api/info needs no Origin.
    let (status, headers, body) = get("/api/info", Some(HOST)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CACHE_CONTROL], "no-store");
    let info: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(info["remote"], true);
}

#[tokio::test]
async fn security_headers_on_every_response() {
    for path in [
        "/",
        "/app.js",
        "/style.css",
        "/favicon.png",
        "/api/info",
        "/missing",
    ] {
        let (status, h, _) = get(path, Some(HOST)).await;
        assert_eq!(status, if path == "/missing" { 404 } else { 200 }, "{path}");
        assert_eq!(
            h[header::CONTENT_SECURITY_POLICY],
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; \
             base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
            "{path}"
        );
        assert_eq!(h[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
        assert_eq!(h[header::REFERRER_POLICY], "no-referrer");
        assert_eq!(h[header::X_FRAME_OPTIONS], "DENY");
        assert_eq!(h[header::CACHE_CONTROL], "no-store");
    }
    let (_, h, body) = get("/app.js", Some(HOST)).await;
    assert_eq!(h[header::CONTENT_TYPE], "text/javascript; charset=utf-8");
    assert!(!body.is_empty());
    let (_, h, body) = get("/favicon.png", Some(HOST)).await;
    assert_eq!(h[header::CONTENT_TYPE], "image/png");
    assert!(body.starts_with(b"\x89PNG"));
}

#[tokio::test]
async fn bad_requests_get_json_errors() {
    let req = api_request("decode", &Value::Null)
        .body(Body::from("{not json"))
        .unwrap();
    let (status, _, body) = send(req).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["error"]["kind"], "bad_request");
    let req = api_request("verify", &Value::Null)
        .body(Body::from(json!({"token": "x"}).to_string()))
        .unwrap();
    let (status, _, _) = send(req).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    // Bodies above the limit are refused unread.
    let huge = json!({"token": "a".repeat(jwtkit_ui::MAX_BODY_BYTES + 1)}).to_string();
    let req = api_request("decode", &Value::Null)
        .body(Body::from(huge))
        .unwrap();
    assert_eq!(send(req).await.0, StatusCode::PAYLOAD_TOO_LARGE);
    // A token above the core library's 256 KiB limit is a resource_limit answer.
    let big = format!("eyJhbGciOiJIUzI1NiJ9.{}.sig", "A".repeat(300 * 1024));
    let d = post("decode", json!({"token": big})).await;
    assert_eq!(d["error"]["kind"], "resource_limit");
    // GET on a POST endpoint.
    let (status, ..) = get("/api/decode", Some(HOST)).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
}
