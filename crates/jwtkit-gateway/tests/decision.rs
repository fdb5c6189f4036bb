//! The decision service against the proxy mode, in process: forward-auth (the headers nginx,
//! Traefik and Caddy send), Envoy ext_authz over HTTP and over gRPC (a tonic client built from
//! the same vendored protos), the decision cache with a revocation arriving after a cached
//! allow, RFC 9728 metadata and `resource_metadata` in challenges, and the WebSocket
//! subprotocol token source. Real proxies in front: scripts/test-decision.sh.

mod common;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::*;
use jwtkit::JwsAlg;
use jwtkit_gateway::decision::ext_authz::pb::envoy::config::core::v3 as core;
use jwtkit_gateway::decision::ext_authz::pb::envoy::service::auth::v3 as auth;
use serde_json::json;

const CONFIG: &str = r#"
[decision]
listen = "127.0.0.1:0"
grpc_listen = "127.0.0.1:0"

[[routes]]
name = "orders"
path_prefix = "/orders"
upstream = "{UPSTREAM}"
auth = { providers = ["main"], scopes = ["orders:read"] }
claims_to_headers = { sub = "X-User-Id", tenant = "X-Tenant" }

[[routes]]
name = "ws"
path_prefix = "/ws"
upstream = "{UPSTREAM}"
resource = "https://api.example.com/ws"
auth = { providers = ["main"] }
claims_to_headers = { sub = "X-User-Id" }
strip_authorization = true
"#;

const WS_PROVIDER: &str = r#"token_from = ["header:Authorization", "websocket"]"#;

fn config() -> String {
    base_config(EMBEDDED).replace("fetch = {", &format!("{WS_PROVIDER}\nfetch = {{")) + CONFIG
}

struct Tokens {
    valid: String,
    expired: String,
    no_scope: String,
    revoked: String,
}

fn tokens(k: &Signing) -> Tokens {
    let scoped = |sub: &str, extra: serde_json::Value| {
        let mut c = claims(sub, json!({"scope": "orders:read", "tenant": "acme"}));
        for (n, v) in extra.as_object().unwrap() {
            c[n] = v.clone();
        }
        k.sign(&c)
    };
    Tokens {
        valid: scoped("alice", json!({})),
        expired: scoped("alice", json!({"iat": now() - 7200, "exp": now() - 3600})),
        no_scope: k.sign(&claims("alice", json!({"scope": "billing:read"}))),
        revoked: scoped("mallory", json!({"jti": format!("revoked-{}", rand_suffix())})),
    }
}

async fn forward_auth(
    gw: &jwtkit_gateway::Gateway,
    uri: &str,
    token: Option<&str>,
    extra: &[(&str, &str)],
) -> Resp {
    let bearer = token.map(|t| format!("Bearer {t}"));
    let mut h: Vec<(&str, &str)> = vec![
        ("x-forwarded-method", "GET"),
        ("x-forwarded-uri", uri),
        ("x-forwarded-host", "api.example.com"),
        ("x-forwarded-proto", "https"),
        ("x-forwarded-for", "203.0.113.7"),
    ];
    if let Some(b) = &bearer {
        h.push(("authorization", b));
    }
    h.extend_from_slice(extra);
    get(
        &format!("http://{}/forward-auth", gw.decision_addr().unwrap()),
        &h,
    )
    .await
}

async fn cache_hits(gw: &jwtkit_gateway::Gateway) -> u64 {
    let m = get(&format!("http://{}/metrics", gw.admin_addr()), &[]).await;
    String::from_utf8_lossy(&m.body)
        .lines()
        .find_map(|l| l.strip_prefix("jwtkit_gateway_decision_cache_hits_total "))
        .map_or(0, |v| v.trim().parse().unwrap())
}

#[tokio::test]
async fn forward_auth_answers_as_the_proxy_does_and_revocation_beats_the_cache() {
    let up = Upstream::start().await;
    let k = Signing::new(JwsAlg::ES256, "k1");
    let s = setup(&config(), &up.url(), &[&k]);
    let gw = start(&s).await;
    let t = tokens(&k);
    let proxy = format!("http://{}/orders/42", gw.addr());

    // Valid: 200 with the verified claims as headers; the proxy forwards with the same values.
    let d = forward_auth(&gw, "/orders/42?x=1", Some(&t.valid), &[]).await;
    assert_eq!(
        (d.status, d.header("x-user-id"), d.header("x-tenant")),
        (200, Some("alice"), Some("acme"))
    );
    assert_eq!(d.body.len(), 0);
    let p = bearer_get(&proxy, &t.valid).await;
    assert_eq!(
        (p.status, p.seen("x-user-id")),
        (200, Some(vec!["alice".to_string()]))
    );

    // Expired, missing scope: the proxy's status and challenge, plus the RFC 9728 URL.
    let meta = r#", resource_metadata="https://api.example.com/.well-known/oauth-protected-resource/orders""#;
    let d = forward_auth(&gw, "/orders/42", Some(&t.expired), &[]).await;
    let p = bearer_get(&proxy, &t.expired).await;
    assert_eq!(d.status, 401);
    assert_eq!(
        d.header("www-authenticate").unwrap(),
        format!(r#"Bearer realm="jwtkit", error="invalid_token", error_description="token expired"{meta}"#)
    );
    assert_eq!(p.status, 401);
    let proxy_meta = format!(
        r#", resource_metadata="http://{}/.well-known/oauth-protected-resource/orders""#,
        gw.addr()
    );
    assert_eq!(
        p.header("www-authenticate").unwrap(),
        format!(
            r#"Bearer realm="jwtkit", error="invalid_token", error_description="token expired"{proxy_meta}"#
        )
    );
    assert_eq!(d.json()["error"], "invalid_token");
    let d = forward_auth(&gw, "/orders/42", Some(&t.no_scope), &[]).await;
    assert_eq!(d.status, 403);
    assert_eq!(
        d.header("www-authenticate").unwrap(),
        format!(
            r#"Bearer realm="jwtkit", error="insufficient_scope", error_description="missing scope orders:read", scope="orders:read"{meta}"#
        )
    );
    assert_eq!(bearer_get(&proxy, &t.no_scope).await.status, 403);
    let d = forward_auth(&gw, "/orders/42", None, &[]).await;
    assert_eq!(
        (d.status, d.header("www-authenticate").unwrap()),
        (401, format!(r#"Bearer realm="jwtkit"{meta}"#).as_str())
    );

    // Revoked after a cached allow: the next decision is a 401 at once.
    let d = forward_auth(&gw, "/orders/1", Some(&t.revoked), &[]).await;
    assert_eq!(d.status, 200);
    let hits_before = cache_hits(&gw).await;
    let d = forward_auth(&gw, "/orders/2", Some(&t.revoked), &[]).await;
    assert_eq!(d.status, 200);
    assert_eq!(
        cache_hits(&gw).await,
        hits_before + 1,
        "second decision from the decision cache"
    );
    let r = admin(&gw, "POST", "/admin/revocations", r#"{"sub":"mallory"}"#).await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    let d = forward_auth(&gw, "/orders/3", Some(&t.revoked), &[]).await;
    assert_eq!(d.status, 401);
    assert!(
        d.header("www-authenticate")
            .unwrap()
            .contains(r#"error_description="token revoked""#)
    );
    assert_eq!(bearer_get(&proxy, &t.revoked).await.status, 401);

    // The facts decide the route: another URI is another route (no scope needed there), no
    // URI is a 400, and a fact header is never read as a token.
    let d = forward_auth(&gw, "/ws/chat", Some(&t.no_scope), &[]).await;
    assert_eq!(
        (
            d.status,
            d.header(jwtkit_gateway::decision::forward_auth::HEADERS_TO_REMOVE)
        ),
        // The /ws route sets X-User-Id; every other identity spelling, and the token header.
        (200, Some("x_user_id,x-tenant,x_tenant,authorization"))
    );
    let r = get(
        &format!("http://{}/forward-auth", gw.decision_addr().unwrap()),
        &[("authorization", &format!("Bearer {}", t.valid))],
    )
    .await;
    assert_eq!(r.status, 400);
    assert!(
        r.json()["error_description"]
            .as_str()
            .unwrap()
            .contains("X-Forwarded-Uri")
    );
    let d = forward_auth(&gw, "/nowhere", Some(&t.valid), &[]).await;
    assert_eq!(d.status, 404);

    // A client's own identity header never comes back as verified: only claims do, and the
    // claim headers a token lacks are listed for removal.
    let no_tenant = k.sign(&claims("bob", json!({"scope": "orders:read"})));
    let d = forward_auth(
        &gw,
        "/orders/5",
        Some(&no_tenant),
        &[("x-tenant", "evil"), ("x-user-id", "root")],
    )
    .await;
    assert_eq!(
        (d.status, d.header("x-user-id"), d.header("x-tenant")),
        (200, Some("bob"), None)
    );
    assert_eq!(
        d.header("x-envoy-auth-headers-to-remove"),
        Some("x_user_id,x-tenant,x_tenant")
    );

    // Envoy HTTP ext_authz: the path after /ext-authz, the request's own method and headers.
    let r = bearer_get(
        &format!("http://{}/ext-authz/orders/42", gw.decision_addr().unwrap()),
        &t.valid,
    )
    .await;
    assert_eq!((r.status, r.header("x-user-id")), (200, Some("alice")));
    gw.shutdown().await;
}

#[tokio::test]
async fn envoy_ext_authz_grpc_check_allows_with_headers_and_denies_with_the_challenge() {
    let up = Upstream::start().await;
    let k = Signing::new(JwsAlg::ES256, "k1");
    let s = setup(&config(), &up.url(), &[&k]);
    let gw = start(&s).await;
    let t = tokens(&k);
    let endpoint = format!("http://{}", gw.decision_grpc_addr().unwrap());
    let channel = tonic::transport::Endpoint::from_shared(endpoint)
        .unwrap()
        .connect()
        .await
        .unwrap();
    let mut client = auth::authorization_client::AuthorizationClient::new(channel);
    let check = |token: &str, path: &str| {
        let mut headers = std::collections::HashMap::new();
        headers.insert("authorization".to_string(), format!("Bearer {token}"));
        headers.insert("x-user-id".to_string(), "forged".to_string());
        auth::CheckRequest {
            attributes: Some(auth::AttributeContext {
                request: Some(auth::attribute_context::Request {
                    http: Some(auth::attribute_context::HttpRequest {
                        method: "GET".into(),
                        path: path.into(),
                        host: "api.example.com".into(),
                        scheme: "https".into(),
                        headers,
                        ..Default::default()
                    }),
                    ..Default::default()
                }),
                ..Default::default()
            }),
        }
    };
    let header = |hs: &[core::HeaderValueOption], name: &str| {
        hs.iter()
            .filter_map(|h| h.header.as_ref())
            .find(|h| h.key == name)
            .map(|h| h.value.clone())
    };
    use auth::check_response::HttpResponse;

    let r = client
        .check(check(&t.valid, "/orders/42"))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(r.status.unwrap().code, 0);
    let Some(HttpResponse::OkResponse(ok)) = r.http_response else {
        panic!("no ok_response")
    };
    assert_eq!(header(&ok.headers, "x-user-id").as_deref(), Some("alice"));
    assert_eq!(header(&ok.headers, "x-tenant").as_deref(), Some("acme"));
    let overwrite = core::header_value_option::HeaderAppendAction::OverwriteIfExistsOrAdd as i32;
    assert!(ok.headers.iter().all(|h| h.append_action == overwrite));

    let r = client
        .check(check(&t.expired, "/orders/42"))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(r.status.unwrap().code, 16, "UNAUTHENTICATED");
    let Some(HttpResponse::DeniedResponse(d)) = r.http_response else {
        panic!("no denied_response")
    };
    assert_eq!(d.status.unwrap().code, 401);
    assert_eq!(
        header(&d.headers, "www-authenticate").unwrap(),
        r#"Bearer realm="jwtkit", error="invalid_token", error_description="token expired", resource_metadata="https://api.example.com/.well-known/oauth-protected-resource/orders""#
    );
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&d.body).unwrap()["error"],
        "invalid_token"
    );

    let r = client
        .check(check(&t.no_scope, "/orders/42"))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(r.status.unwrap().code, 7, "PERMISSION_DENIED");
    let Some(HttpResponse::DeniedResponse(d)) = r.http_response else {
        panic!("no denied_response")
    };
    assert_eq!(d.status.unwrap().code, 403);
    assert!(
        header(&d.headers, "www-authenticate")
            .unwrap()
            .contains(r#"scope="orders:read""#)
    );

    // The WebSocket subprotocol token, on the route whose provider takes it.
    let ws = format!(
        "{}{}, chat.v1",
        jwtkit_gateway::provider::WEBSOCKET_BEARER_PREFIX,
        URL_SAFE_NO_PAD.encode(&t.valid)
    );
    let mut req = check("", "/ws/room");
    let http = req
        .attributes
        .as_mut()
        .unwrap()
        .request
        .as_mut()
        .unwrap()
        .http
        .as_mut()
        .unwrap();
    http.headers.remove("authorization");
    http.headers.insert("upgrade".into(), "websocket".into());
    http.headers.insert("sec-websocket-protocol".into(), ws);
    let r = client.check(req).await.unwrap().into_inner();
    let Some(HttpResponse::OkResponse(ok)) = r.http_response else {
        panic!("websocket token refused")
    };
    assert_eq!(header(&ok.headers, "x-user-id").as_deref(), Some("alice"));
    gw.shutdown().await;
}

#[tokio::test]
async fn protected_resource_metadata_and_websocket_token_in_proxy_mode() {
    let up = Upstream::start().await;
    let k = Signing::new(JwsAlg::ES256, "k1");
    let s = setup(&config(), &up.url(), &[&k]);
    let gw = start(&s).await;
    let t = tokens(&k);

    let r = get(
        &format!("http://{}/.well-known/oauth-protected-resource/orders", gw.addr()),
        &[],
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.json(),
        json!({
            "resource": format!("http://{}/orders", gw.addr()),
            "authorization_servers": ["https://issuer.test/"],
            "scopes_supported": ["orders:read"],
            "bearer_methods_supported": ["header"],
        })
    );
    // A configured resource is published at its own path.
    let r = get(
        &format!("http://{}/.well-known/oauth-protected-resource/ws", gw.addr()),
        &[],
    )
    .await;
    assert_eq!(r.json()["resource"], "https://api.example.com/ws");
    let r = get(
        &format!("http://{}/.well-known/oauth-protected-resource/none", gw.addr()),
        &[],
    )
    .await;
    assert_eq!(r.status, 404);
    // The decision listener serves the same documents (the proxy routes the path to it).
    let r = get(
        &format!(
            "http://{}/.well-known/oauth-protected-resource/orders",
            gw.decision_addr().unwrap()
        ),
        &[
            ("x-forwarded-host", "api.example.com"),
            ("x-forwarded-proto", "https"),
        ],
    )
    .await;
    assert_eq!(r.json()["resource"], "https://api.example.com/orders");

    // WebSocket: the token in the subprotocol opens the upgrade; a bad entry is a 400; without
    // another subprotocol it is refused as kube-apiserver does.
    let ws_url = format!("http://{}/ws/room", gw.addr());
    let entry = format!(
        "{}{}",
        jwtkit_gateway::provider::WEBSOCKET_BEARER_PREFIX,
        URL_SAFE_NO_PAD.encode(&t.valid)
    );
    let upgrade = |proto: String| {
        let url = ws_url.clone();
        async move {
            get(
                &url,
                &[
                    ("connection", "upgrade"),
                    ("upgrade", "websocket"),
                    ("sec-websocket-protocol", &proto),
                ],
            )
            .await
        }
    };
    assert_eq!(upgrade(format!("{entry}, chat.v1")).await.status, 101);
    assert_eq!(upgrade("chat.v1".into()).await.status, 401);
    let r = upgrade(format!(
        "{}!!, chat.v1",
        jwtkit_gateway::provider::WEBSOCKET_BEARER_PREFIX
    ))
    .await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.json()["error_description"],
        "bearer subprotocol is not base64url"
    );
    let r = upgrade(entry.clone()).await;
    assert_eq!(
        (r.status, r.json()["error_description"].as_str()),
        (400, Some("bearer subprotocol without another subprotocol"))
    );
    gw.shutdown().await;
}

/// A cached decision stands for the token's verification only: a DPoP-bound token still needs
/// a fresh proof of its key on every request — a replayed proof, no proof, or the token sent as
/// Bearer is refused even while the decision for it is cached (a stolen bound token is useless).
#[tokio::test]
async fn a_cached_decision_still_needs_each_requests_dpop_proof() {
    let up = Upstream::start().await;
    let k = Signing::new(JwsAlg::ES256, "k1");
    let config = base_config(EMBEDDED).replace("fetch = {", "dpop = { algorithms = [\"ES256\"] }\nfetch = {")
        + r#"
[decision]
listen = "127.0.0.1:0"

[[routes]]
name = "dpop"
path_prefix = "/dpop"
upstream = "{UPSTREAM}"
external_origin = "https://api.example.com"
auth = { providers = ["main"] }
claims_to_headers = { sub = "X-User-Id" }
"#;
    let s = setup(&config, &up.url(), &[&k]);
    let gw = start(&s).await;
    let client = jwtkit::Key::generate(jwtkit::jwk::KeySpec::for_alg(JwsAlg::ES256)).unwrap();
    let jkt = client.to_public().unwrap().thumbprint().to_string();
    let t = k.sign(&claims("alice", json!({"cnf": {"jkt": jkt}})));
    let proof = || {
        let p = jwtkit::dpop::NewProof {
            method: "GET",
            url: "https://api.example.com/dpop/1",
            access_token: Some(&t),
            nonce: None,
            iat: now(),
        };
        p.sign(&client, JwsAlg::ES256).unwrap()
    };
    let dpop_scheme = format!("DPoP {t}");
    let ask = |proof: Option<String>, scheme: &str| {
        let mut h = vec![("authorization".to_string(), scheme.to_string())];
        if let Some(p) = proof {
            h.push(("dpop".to_string(), p));
        }
        let gw = &gw;
        async move {
            let h: Vec<(&str, &str)> = h.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
            forward_auth(gw, "/dpop/1", None, &h).await
        }
    };
    let first = proof();
    let r = ask(Some(first.clone()), &dpop_scheme).await;
    assert_eq!((r.status, r.header("x-user-id")), (200, Some("alice")));
    let hits = cache_hits(&gw).await;

    let r = ask(Some(first), &dpop_scheme).await;
    assert_eq!(
        (r.status, r.json()["error"].as_str()),
        (401, Some("invalid_dpop_proof")),
        "replayed proof"
    );
    let r = ask(None, &dpop_scheme).await;
    assert_eq!(
        (r.status, r.json()["error"].as_str()),
        (401, Some("invalid_dpop_proof")),
        "no proof"
    );
    let r = ask(None, &format!("Bearer {t}")).await;
    assert_eq!(
        (r.status, r.json()["error"].as_str()),
        (401, Some("invalid_token")),
        "bound token as Bearer"
    );
    let r = ask(Some(proof()), &dpop_scheme).await;
    assert_eq!(
        (r.status, r.header("x-user-id")),
        (200, Some("alice")),
        "fresh proof"
    );
    assert!(
        cache_hits(&gw).await > hits,
        "the later decisions went through the decision cache"
    );
}

/// Decision answers name every identity header of the configuration for removal, in both
/// spellings, on every route — an `auth = "none"` route too — as the proxy mode strips them.
#[tokio::test]
async fn decisions_remove_every_identity_header_spelling_on_every_route() {
    let up = Upstream::start().await;
    let k = Signing::new(JwsAlg::ES256, "k1");
    let config = config()
        + r#"
[[routes]]
name = "public"
path_prefix = "/public"
upstream = "{UPSTREAM}"
auth = "none"
"#;
    let s = setup(&config, &up.url(), &[&k]);
    let gw = start(&s).await;
    let d = forward_auth(&gw, "/public/x", None, &[("x_user_id", "admin")]).await;
    assert_eq!(d.status, 200);
    let remove: Vec<&str> = d
        .header("x-envoy-auth-headers-to-remove")
        .unwrap()
        .split(',')
        .map(str::trim)
        .collect();
    for name in ["x-user-id", "x_user_id", "x-tenant", "x_tenant"] {
        assert!(remove.contains(&name), "{name} not in {remove:?}");
    }
    assert_eq!(d.header("x-user-id"), None);
    assert_eq!(d.header("x_user_id"), None);
    // On a protected route the verified value is set, and only the other spelling removed.
    let t = tokens(&k);
    let d = forward_auth(&gw, "/orders/1", Some(&t.valid), &[("x_user_id", "admin")]).await;
    assert_eq!((d.status, d.header("x-user-id")), (200, Some("alice")));
    let remove: Vec<&str> = d
        .header("x-envoy-auth-headers-to-remove")
        .unwrap()
        .split(',')
        .map(str::trim)
        .collect();
    assert!(
        remove.contains(&"x_user_id") && !remove.contains(&"x-user-id"),
        "{remove:?}"
    );
}
