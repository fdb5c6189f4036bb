//! The gateway with `jwtkit issuer` (crate `jwtkit-issuer`, served on 127.0.0.1) as its identity
//! provider, keys by OpenID Connect discovery: a user's login token is forwarded with its claims as
//! headers; an ID token, a token for another audience and a token without the route's scope are
//! refused. Key rotation under traffic is in scripts/test-issuer.sh (real processes, real time).

mod common;

use std::sync::Arc;

use common::*;

const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
const REDIRECT: &str = "http%3A%2F%2F127.0.0.1%3A8000%2Fcb";

const ISSUER: &str = r#"
[[clients]]
client_id = "web"
redirect_uris = ["http://127.0.0.1:8000/cb"]
scopes = ["openid", "profile", "orders:read"]
audience = ["orders-api"]

[[clients]]
client_id = "billing"
client_secret = "billing-secret"
scopes = ["orders:read"]
audience = ["billing-api"]

[[clients]]
client_id = "reporter"
client_secret = "reporter-secret"
scopes = ["reports:read"]
audience = ["orders-api"]

[[users]]
sub = "alice"
claims = { name = "Alice", roles = ["admin", "auditor"] }
"#;

async fn start_issuer() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let config = jwtkit_issuer::config::Config::from_toml(ISSUER).unwrap();
    let issuer = jwtkit_issuer::Issuer::new(config, &url, jwtkit_issuer::system_clock())
        .unwrap()
        .quiet();
    let router = jwtkit_issuer::router(Arc::new(issuer));
    tokio::spawn(async move { axum::serve(listener, router).await });
    url
}

const FORM: (&str, &str) = ("content-type", "application/x-www-form-urlencoded");

/// alice logs in on the issuer's login page as `web`; returns the token response.
async fn login(iss: &str) -> serde_json::Value {
    let page = get(
        &format!(
            "{iss}/authorize?response_type=code&client_id=web&redirect_uri={REDIRECT}&scope=openid%20orders:read\
             &state=s1&code_challenge={CHALLENGE}&code_challenge_method=S256"
        ),
        &[],
    )
    .await;
    assert_eq!(page.status, 200);
    let html = String::from_utf8(page.body.to_vec()).unwrap();
    let at = html.find("name=\"request\" value=\"").unwrap() + 22;
    let id = &html[at..at + html[at..].find('"').unwrap()];
    let r = request(
        "POST",
        &format!("{iss}/authorize/login"),
        &[FORM],
        &format!("request={id}&sub=alice&action=approve"),
    )
    .await;
    assert_eq!(r.status, 303);
    let location = r.header("location").unwrap();
    let code = location.split("code=").nth(1).unwrap().split('&').next().unwrap();
    let r = request(
        "POST",
        &format!("{iss}/token"),
        &[FORM],
        &format!(
            "grant_type=authorization_code&client_id=web&code={code}&redirect_uri={REDIRECT}&code_verifier={VERIFIER}"
        ),
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    r.json()
}

async fn client_token(iss: &str, basic: &str) -> String {
    use base64::Engine;
    let auth = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(basic)
    );
    let r = request(
        "POST",
        &format!("{iss}/token"),
        &[FORM, ("authorization", &auth)],
        "grant_type=client_credentials",
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    r.json()["access_token"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn gateway_verifies_jwtkit_issuer_tokens_by_discovery() {
    let iss = start_issuer().await;
    let up = Upstream::start().await;
    let body = format!(
        r#"
[server]
listen = "127.0.0.1:0"
admin_listen = "127.0.0.1:0"

{EMBEDDED}

[[providers]]
name = "dev-issuer"
issuer = "{iss}"
discovery = true
audiences = ["orders-api"]
typ = "at+jwt"
algorithms = ["ES256"]

[[routes]]
name = "orders"
path_prefix = "/orders"
upstream = "{{UPSTREAM}}"
auth = {{ providers = ["dev-issuer"], scopes = ["orders:read"] }}
claims_to_headers = {{ sub = "X-User-Id", roles = "X-User-Roles", client_id = "X-Client-Id" }}
"#
    );
    let s = setup(&body, &up.url(), &[]);
    let gw = start(&s).await;
    let url = format!("http://{}/orders/1", gw.addr());

    let tokens = login(&iss).await;
    let r = bearer_get(&url, tokens["access_token"].as_str().unwrap()).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.seen("x-user-id"), Some(vec!["alice".to_string()]));
    assert_eq!(r.seen("x-user-roles"), Some(vec!["admin,auditor".to_string()]));
    assert_eq!(r.seen("x-client-id"), Some(vec!["web".to_string()]));

    // The ID token is signed by the same key but is not an access token (typ JWT, aud web).
    let r = bearer_get(&url, tokens["id_token"].as_str().unwrap()).await;
    assert_eq!(r.status, 401);
    // Another audience; the right audience without the route's scope.
    let billing = client_token(&iss, "billing:billing-secret").await;
    assert_eq!(bearer_get(&url, &billing).await.status, 401);
    let reporter = client_token(&iss, "reporter:reporter-secret").await;
    assert_eq!(bearer_get(&url, &reporter).await.status, 403);
}
