//! Multi-tenant issuers (issuer templates): an Entra-shaped common JWK Set served by a real
//! JWKS server on 127.0.0.1, tokens from two tenants signed with its keys, the tenant checks
//! of the core's `iss` step as the gateway answers them, `$tenant` in `claims_to_headers`,
//! `tenants = "any"`, and the config errors of a template.

mod common;

use common::*;
use jwtkit::JwsAlg;
use serde_json::{Value, json};

/// Contoso (allowed) and Fabrikam (not allowed): Entra tenant ids are GUIDs.
const CONTOSO: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";
const FABRIKAM: &str = "9188040d-6c67-4c5b-b112-36a304b66dad";
const AUD: &str = "api://orders";

fn entra_iss(tid: &str) -> String {
    format!("https://login.microsoftonline.com/{tid}/v2.0")
}

/// An Entra v2.0 access token's claims for `tid` (iss from the same tenant unless `iss` given).
fn entra_claims(tid: Option<&str>, iss: Option<&str>, extra: Value) -> Value {
    let mut c = json!({
        "aud": AUD,
        "iss": iss.map_or_else(|| entra_iss(tid.unwrap_or(CONTOSO)), str::to_owned),
        "iat": now(),
        "nbf": now(),
        "exp": now() + 3600,
        "oid": "00000000-0000-0000-0000-00000000a11c",
        "sub": "alice-in-tenant",
        "scp": "orders.read",
        "ver": "2.0",
    });
    if let Some(t) = tid {
        c["tid"] = json!(t);
    }
    for (k, v) in extra.as_object().unwrap() {
        c[k] = v.clone();
    }
    c
}

fn config(jwks_url: &str, tenants: &str) -> String {
    format!(
        r#"
[server]
listen = "127.0.0.1:0"
admin_listen = "127.0.0.1:0"
admin_token = "{{ADMIN_TOKEN}}"
request_timeout = "5s"
shutdown_grace = "2s"

{EMBEDDED}

[[providers]]
name = "entra"
issuer = "https://login.microsoftonline.com/{{tid}}/v2.0"
tenants = {tenants}
audiences = ["{AUD}"]
jwks_uri = "{jwks_url}"
algorithms = ["RS256"]
leeway = "5s"

[[providers]]
name = "main"
issuer = "https://issuer.test/"
audiences = ["orders-api"]
keys = "{{JWKS}}"
algorithms = ["ES256"]

[[routes]]
name = "orders"
path_prefix = "/orders"
upstream = "{{UPSTREAM}}"
auth = {{ providers = ["entra", "main"] }}
claims_to_headers = {{ "$tenant" = "X-Tenant-Id", oid = "X-User-Oid", sub = "X-User-Id" }}

[[routes]]
name = "per-tenant"
path_prefix = "/limited"
upstream = "{{UPSTREAM}}"
auth = {{ providers = ["entra"] }}
rate_limit = {{ key = "$tenant", per_second = 0.01, burst = 1 }}
"#
    )
}

struct World {
    _up: Upstream,
    _jwks: JwksServer,
    entra: Signing,
    main: Signing,
    s: Setup,
    gw: jwtkit_gateway::Gateway,
}

async fn world(tenants: &str) -> World {
    let up = Upstream::start().await;
    // Entra publishes one JWK Set for every tenant (the "common" keys), RS256 with a kid.
    let entra = Signing::new(JwsAlg::RS256, "nOo3ZDrODXEK1jKWhXslHR_KXEg");
    let main = Signing::new(JwsAlg::ES256, "main");
    let mut jwks = JwksServer::new(&[&entra]);
    jwks.start().await;
    let s = setup(&config(&jwks.url(), tenants), &up.url(), &[&main]);
    let gw = start(&s).await;
    World {
        _up: up,
        _jwks: jwks,
        entra,
        main,
        s,
        gw,
    }
}

impl World {
    fn url(&self) -> String {
        format!("http://{}/orders/1", self.gw.addr())
    }

    async fn explain_error(&self, token: &str) -> String {
        let r = jwtkit_gateway::explain::explain(&self.s.config_path, "/orders/1", token, None)
            .await
            .unwrap();
        r.verify_error
            .map(|e| e["message"].as_str().unwrap().to_string())
            .unwrap_or_default()
    }
}

#[tokio::test]
async fn allowed_tenant_passes_with_its_tenant_header() {
    let w = world(&format!("[\"{CONTOSO}\"]")).await;
    let token = w.entra.sign(&entra_claims(Some(CONTOSO), None, json!({})));
    let r = bearer_get(&w.url(), &token).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.seen("x-tenant-id"), Some(vec![CONTOSO.to_string()]));
    assert_eq!(
        r.seen("x-user-oid"),
        Some(vec!["00000000-0000-0000-0000-00000000a11c".to_string()])
    );
    // A client cannot send its own tenant header: it is removed, then set from the finding.
    let r = get(
        &w.url(),
        &[
            ("authorization", &format!("Bearer {token}")),
            ("x-tenant-id", FABRIKAM),
        ],
    )
    .await;
    assert_eq!(r.seen("x-tenant-id"), Some(vec![CONTOSO.to_string()]));
    // The same tenant in upper case (iss and tid agreeing) is the same tenant downstream.
    let upper = CONTOSO.to_ascii_uppercase();
    let token = w.entra.sign(&entra_claims(Some(&upper), None, json!({})));
    let r = bearer_get(&w.url(), &token).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.seen("x-tenant-id"), Some(vec![CONTOSO.to_string()]));
    // The other provider of the route is still chosen by its exact issuer, and has no tenant:
    // a "$tenant" claim in its token does not pose as one.
    let plain = w.main.sign(&claims("bob", json!({"$tenant": FABRIKAM})));
    let r = bearer_get(&w.url(), &plain).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.seen("x-tenant-id"), None);
    assert_eq!(r.seen("x-user-id"), Some(vec!["bob".to_string()]));
}

#[tokio::test]
async fn other_tenant_is_refused_with_a_reason_naming_it() {
    let w = world(&format!("[\"{CONTOSO}\"]")).await;
    let token = w.entra.sign(&entra_claims(Some(FABRIKAM), None, json!({})));
    let r = bearer_get(&w.url(), &token).await;
    assert_eq!(r.status, 401);
    assert_eq!(
        r.challenge_without_metadata("/orders"),
        Some("Bearer realm=\"jwtkit\", error=\"invalid_token\", error_description=\"issuer not accepted\"")
    );
    let why = w.explain_error(&token).await;
    assert!(
        why.starts_with(&format!("tenant \"{FABRIKAM}\" is not an allowed tenant")),
        "{why}"
    );
}

#[tokio::test]
async fn missing_or_malformed_tid_and_a_mismatched_iss_are_refused() {
    let w = world(&format!("[\"{CONTOSO}\"]")).await;
    let cases = [
        // tid absent: the template cannot be filled.
        (
            entra_claims(None, Some(&entra_iss(CONTOSO)), json!({})),
            "required claim missing",
            "claim tid is required by the issuer template",
        ),
        // tid with a '/': not a tenant id, even though iss is built from it consistently.
        (
            entra_claims(
                Some("x/../72f988bf"),
                Some(&entra_iss("x/../72f988bf")),
                json!({}),
            ),
            "issuer not accepted",
            "claim tid \"x/../72f988bf\" is not a tenant id",
        ),
        // tid of the allowed tenant, iss of another one: they must agree.
        (
            entra_claims(Some(CONTOSO), Some(&entra_iss(FABRIKAM)), json!({})),
            "issuer not accepted",
            "is not the issuer of tenant",
        ),
        // tid not a string.
        (
            entra_claims(None, None, json!({"tid": 42})),
            "token malformed",
            "claim tid must be a string",
        ),
    ];
    for (c, public, reason) in cases {
        let token = w.entra.sign(&c);
        let r = bearer_get(&w.url(), &token).await;
        assert_eq!(r.status, 401, "{c}");
        assert_eq!(r.json()["error_description"], public, "{c}");
        let why = w.explain_error(&token).await;
        assert!(why.contains(reason), "{c}: {why}");
    }
}

#[tokio::test]
async fn any_tenant_when_said_explicitly() {
    let w = world("\"any\"").await;
    for tid in [CONTOSO, FABRIKAM] {
        let token = w.entra.sign(&entra_claims(Some(tid), None, json!({})));
        let r = bearer_get(&w.url(), &token).await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        assert_eq!(r.seen("x-tenant-id"), Some(vec![tid.to_string()]));
    }
    // Still a GUID: "common" or "organizations" (Entra's multi-tenant endpoint names) are not
    // tenants.
    let token = w.entra.sign(&entra_claims(Some("common"), None, json!({})));
    assert_eq!(bearer_get(&w.url(), &token).await.status, 401);
}

#[tokio::test]
async fn template_config_errors_name_the_fix() {
    let err = |tenants_line: &str, extra: &str| {
        let text = format!(
            "[server]\nlisten = \"127.0.0.1:0\"\n[[providers]]\nname = \"entra\"\nissuer = \"https://login.microsoftonline.com/{{tid}}/v2.0\"\n{tenants_line}\njwks_uri = \"https://login.microsoftonline.com/common/discovery/v2.0/keys\"\nalgorithms = [\"RS256\"]\n{extra}\n"
        );
        let c = jwtkit_gateway::config::Config::parse(&text).unwrap();
        let registry = jwtkit_gateway::provider::KeyRegistry::default();
        jwtkit_gateway::state::State::build(c, &registry, 0)
            .err()
            .map(|e| format!("{e:#}"))
            .unwrap_or_default()
    };
    let e = err("", "");
    assert!(
        e.contains("list the accepted tenants in tenants = [") && e.contains("tenants = \"any\""),
        "{e}"
    );
    let e = err("tenants = \"all\"", "");
    assert!(e.contains("give a list of tenants or the word \"any\""), "{e}");
    let e = err("tenants = []", "");
    assert!(e.contains("the tenant allowlist is empty"), "{e}");
    let e = err("tenants = [\"contoso\"]", "");
    assert!(e.contains("allowed tenant \"contoso\" is not a GUID"), "{e}");
    let e = err("tenants = [\"contoso\"]", "tenant_format = \"name\"");
    assert!(!e.contains("tenant"), "a name-format tenant is accepted: {e}");
}

#[tokio::test]
async fn rate_limit_by_tenant_counts_every_user_of_the_tenant() {
    let w = world("\"any\"").await;
    let url = format!("http://{}/limited/x", w.gw.addr());
    let alice = w
        .entra
        .sign(&entra_claims(Some(CONTOSO), None, json!({"sub": "alice"})));
    let bob = w
        .entra
        .sign(&entra_claims(Some(CONTOSO), None, json!({"sub": "bob"})));
    let other = w
        .entra
        .sign(&entra_claims(Some(FABRIKAM), None, json!({"sub": "alice"})));
    assert_eq!(bearer_get(&url, &alice).await.status, 200);
    // Another user of the same tenant shares the tenant's bucket; another tenant has its own.
    assert_eq!(bearer_get(&url, &bob).await.status, 429);
    assert_eq!(bearer_get(&url, &other).await.status, 200);
}

#[tokio::test]
async fn tenant_source_without_a_template_is_a_config_error() {
    let text = "[server]\nlisten = \"127.0.0.1:0\"\n[[providers]]\nname = \"p\"\nissuer = \"https://as.example/\"\njwks_uri = \"https://as.example/jwks\"\nalgorithms = [\"RS256\"]\n[[routes]]\npath_prefix = \"/\"\nupstream = \"http://127.0.0.1:9\"\nauth = { providers = [\"p\"] }\nclaims_to_headers = { \"$tenant\" = \"X-Tenant-Id\" }\n";
    let c = jwtkit_gateway::config::Config::parse(text).unwrap();
    let registry = jwtkit_gateway::provider::KeyRegistry::default();
    let e = format!(
        "{:#}",
        jwtkit_gateway::state::State::build(c, &registry, 0)
            .err()
            .unwrap()
    );
    assert!(
        e.contains(
            "\"$tenant\" is the tenant of an issuer template, and none of the route's providers has one"
        ),
        "{e}"
    );
}
