//! A client-chosen identity never reaches the upstream: every header any route writes from
//! claims, in any letter case and with `_` for `-` (CGI, WSGI, PHP and Rack read `X_User_Id`
//! as `X-User-Id`), is removed on every route kind (`auth = "none"`, `allow_missing` with and
//! without a token, protected); header names with `_` are dropped by default, refused or kept
//! on request.

mod common;

use common::*;
use jwtkit::JwsAlg;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Two upstream-sharing routes that write claims, and one public route on the same upstream.
fn config(underscores: Option<&str>) -> String {
    let mut c = base_config(EMBEDDED)
        + r#"
[[routes]]
name = "orders"
path_prefix = "/orders"
upstream = "{UPSTREAM}"
auth = { providers = ["main"] }
claims_to_headers = { sub = "X-User-Id", "org.id" = "X-Org-Id" }

[[routes]]
name = "maybe"
path_prefix = "/maybe"
upstream = "{UPSTREAM}"
auth = { providers = ["main"], allow_missing = true }
claims_to_headers = { roles = "X-User-Roles" }

[[routes]]
name = "public-h2"
path_prefix = "/h2"
upstream = "{UPSTREAM}"
upstream_protocol = "h2c"
auth = "none"

[[routes]]
name = "public"
path_prefix = "/"
upstream = "{UPSTREAM}"
auth = "none"
"#;
    if let Some(u) = underscores {
        c = c.replacen(
            "[server]\n",
            &format!("[server]\nheaders_with_underscores = \"{u}\"\n"),
            1,
        );
    }
    c
}

/// Spellings of every identity header the config writes, and of the forwarding headers.
const SPOOFS: &[&str] = &[
    "x-user-id",
    "X-USER-ID",
    "X_User_Id",
    "x_user-id",
    "x-user_id",
    "X-Org-Id",
    "x_org_id",
    "X-User-Roles",
    "X_USER_ROLES",
    "X_Forwarded_For",
    "x_forwarded_proto",
    "X_Forwarded_Host",
];

/// The header names the upstream saw, folded as CGI reads them.
fn folded_seen(r: &Resp) -> Vec<(String, Vec<String>)> {
    let j = r.json();
    let mut out = Vec::new();
    for (name, values) in j["headers"].as_object().expect("upstream echo") {
        let folded = name.to_ascii_lowercase().replace('_', "-");
        let values = values
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_string())
            .collect();
        out.push((folded, values));
    }
    out
}

/// The values the upstream saw under any spelling of `name`.
fn any_spelling(r: &Resp, name: &str) -> Vec<String> {
    folded_seen(r)
        .into_iter()
        .filter(|(n, _)| n == name)
        .flat_map(|(_, v)| v)
        .collect()
}

fn spoof_headers<'a>(token: Option<&'a str>, auth: &'a mut String) -> Vec<(&'a str, &'a str)> {
    let mut h: Vec<(&str, &str)> = SPOOFS.iter().map(|n| (*n, "mallory")).collect();
    if let Some(t) = token {
        *auth = format!("Bearer {t}");
        h.push(("authorization", auth.as_str()));
    }
    h
}

/// (path, token, the headers the gateway itself writes there)
type Case<'a> = (&'a str, Option<&'a str>, &'a [(&'a str, &'a str)]);

#[tokio::test]
async fn no_spelling_of_an_identity_header_reaches_the_upstream_on_any_route() {
    let up = Upstream::start().await;
    let k = Signing::new(JwsAlg::ES256, "k1");
    let token = k.sign(&claims("alice", json!({"org": {"id": 42}, "roles": ["reader"]})));
    for underscores in [None, Some("keep")] {
        let s = setup(&config(underscores), &up.url(), &[&k]);
        let gw = start(&s).await;
        let cases: [Case; 4] = [
            ("/public/x", None, &[]),
            ("/maybe/x", None, &[]),
            ("/maybe/x", Some(&token), &[("x-user-roles", "reader")]),
            (
                "/orders/x",
                Some(&token),
                &[("x-user-id", "alice"), ("x-org-id", "42")],
            ),
        ];
        for (path, tok, written) in cases {
            let mut auth = String::new();
            let r = get(
                &format!("http://{}{path}", gw.addr()),
                &spoof_headers(tok, &mut auth),
            )
            .await;
            assert_eq!(r.status, 200, "{underscores:?} {path} {:?}", r.body);
            for name in ["x-user-id", "x-org-id", "x-user-roles"] {
                let want: Vec<String> = written
                    .iter()
                    .filter(|(n, _)| *n == name)
                    .map(|(_, v)| v.to_string())
                    .collect();
                assert_eq!(
                    any_spelling(&r, name),
                    want,
                    "{underscores:?} {path} token={}: {name} as the upstream reads it",
                    tok.is_some()
                );
            }
            assert_eq!(any_spelling(&r, "x-forwarded-for"), ["127.0.0.1"], "{path}");
            assert_eq!(any_spelling(&r, "x-forwarded-proto"), ["http"], "{path}");
            assert!(
                folded_seen(&r)
                    .iter()
                    .all(|(_, v)| !v.iter().any(|x| x == "mallory")),
                "{underscores:?} {path}: a spoofed value reached the upstream: {:?}",
                folded_seen(&r)
            );
        }
        gw.shutdown().await;
    }
}

#[tokio::test]
async fn underscore_header_names_dropped_by_default_kept_or_refused_on_request() {
    let up = Upstream::start().await;
    let k = Signing::new(JwsAlg::ES256, "k1");
    let headers = [("My_Trace", "t1"), ("x-plain", "p1")];

    let s = setup(&config(None), &up.url(), &[&k]);
    let gw = start(&s).await;
    let r = get(&format!("http://{}/public/x", gw.addr()), &headers).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.seen("my_trace"), None, "dropped by default");
    assert_eq!(r.seen("x-plain"), Some(vec!["p1".to_string()]));
    gw.shutdown().await;

    let s = setup(&config(Some("keep")), &up.url(), &[&k]);
    let gw = start(&s).await;
    let r = get(&format!("http://{}/public/x", gw.addr()), &headers).await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.seen("my_trace"),
        Some(vec!["t1".to_string()]),
        "kept on request"
    );
    gw.shutdown().await;

    let s = setup(&config(Some("reject")), &up.url(), &[&k]);
    let gw = start(&s).await;
    let r = get(&format!("http://{}/public/x", gw.addr()), &headers).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.header("x-upstream"), None, "never forwarded");
    assert_eq!(r.json()["error"], "bad_request");
    let r = get(&format!("http://{}/public/x", gw.addr()), &[("x-plain", "p1")]).await;
    assert_eq!(r.status, 200);
    gw.shutdown().await;
}

/// Request trailers reach an HTTP/2 upstream, and some frameworks merge them into the headers:
/// identity spellings are removed from them as well; other trailers pass.
#[tokio::test]
async fn identity_spellings_are_removed_from_request_trailers() {
    let up = Upstream::start().await;
    let k = Signing::new(JwsAlg::ES256, "k1");
    let s = setup(&config(None), &up.url(), &[&k]);
    let gw = start(&s).await;
    let mut conn = tokio::net::TcpStream::connect(gw.addr()).await.unwrap();
    conn.write_all(
        b"POST /h2/x HTTP/1.1\r\nHost: a.test\r\nTransfer-Encoding: chunked\r\nTrailer: X-User-Id, X-Org-Id, X-Checksum\r\nConnection: close\r\n\r\n\
          5\r\nhello\r\n0\r\nX-User-Id: mallory\r\nx-org-id: 1\r\nX-Checksum: abc\r\n\r\n",
    )
    .await
    .unwrap();
    let mut got = Vec::new();
    tokio::time::timeout(std::time::Duration::from_secs(10), conn.read_to_end(&mut got))
        .await
        .unwrap()
        .unwrap();
    let text = String::from_utf8_lossy(&got);
    assert!(text.starts_with("HTTP/1.1 200"), "{text}");
    let body = text.split("\r\n\r\n").nth(1).unwrap();
    let start = body.find('{').unwrap();
    let end = body.rfind('}').unwrap();
    let echo: serde_json::Value = serde_json::from_str(&body[start..=end]).unwrap();
    assert_eq!(echo["version"], "HTTP/2.0");
    assert_eq!(echo["body_len"], 5);
    assert_eq!(echo["trailers"], json!({"x-checksum": "abc"}), "{echo}");
    gw.shutdown().await;
}
