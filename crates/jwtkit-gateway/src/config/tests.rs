//! Unit tests of the gateway configuration (kept apart so config.rs stays readable).
use super::*;

const MINIMAL: &str = r#"
[server]
listen = "127.0.0.1:8080"

[[providers]]
name = "main"
issuer = "https://auth.example.com/"
audiences = ["orders-api"]
keys = "jwks.json"
algorithms = ["RS256", "ES256"]
leeway = "30s"
token_from = ["header:Authorization", "cookie:access_token"]

[[routes]]
path_prefix = "/orders"
upstream = "http://127.0.0.1:9000"
auth = { providers = ["main"], scopes = ["orders:read"] }
claims_to_headers = { sub = "X-User-Id", roles = "X-User-Roles" }
rate_limit = { key = "sub", per_second = 100, burst = 200 }

[[routes]]
path_prefix = "/public"
upstream = "http://127.0.0.1:9000"
auth = "none"
"#;

/// The error of building the gateway's state from `text` (the checks that need more than
/// TOML types run once, as the state is built).
fn build_error(text: &str) -> String {
    let built = Config::parse(text)
        .and_then(|c| crate::state::State::build(c, &crate::provider::KeyRegistry::default(), 1));
    match built {
        Ok(_) => panic!("the config was accepted"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn product_shape_parses() {
    let c = Config::parse(MINIMAL).unwrap();
    assert_eq!(c.providers[0].leeway.0, Duration::from_secs(30));
    assert_eq!(c.store.kind, StoreKind::Embedded);
    assert_eq!(c.server.admin_listen, "127.0.0.1:8081");
    assert!(matches!(&c.routes[0].auth, AuthConfig::Jwt(a) if a.scopes == ["orders:read"]));
    assert_eq!(c.routes[1].auth, AuthConfig::None);
    assert_eq!(c.routes[0].rate_limit.as_ref().unwrap().burst, 200);
}

#[test]
fn unknown_keys_are_errors() {
    let bad = MINIMAL.replace("audiences =", "audience =");
    let e = Config::parse(&bad).unwrap_err().to_string();
    assert!(e.contains("unknown field `audience`"), "{e}");
    let bad = MINIMAL.replace("scopes = [\"orders:read\"]", "scope = [\"orders:read\"]");
    let e = Config::parse(&bad).unwrap_err().to_string();
    assert!(e.contains("unknown field `scope`"), "{e}");
    let bad = MINIMAL.replace("[server]\n", "[server]\nlisten_tls = 1\n");
    assert!(Config::parse(&bad).is_err());
}

#[test]
fn cross_checks() {
    let e = build_error(&MINIMAL.replace("providers = [\"main\"]", "providers = [\"other\"]"));
    assert!(e.contains("unknown provider \"other\""), "{e}");
    let e = build_error(&MINIMAL.replace("\"RS256\", \"ES256\"", "\"none\""));
    assert!(e.contains("none"), "{e}");
    let e = build_error(&MINIMAL.replace("X-User-Id", "Authorization"));
    assert!(e.contains("Authorization"), "{e}");
    let e = Config::parse(&MINIMAL.replace("auth = \"none\"", "auth = \"nobody\""))
        .unwrap_err()
        .to_string();
    assert!(e.contains("nobody"), "{e}");
    assert_eq!(parse_duration("250ms").unwrap(), Duration::from_millis(250));
}

#[test]
fn relative_paths_resolved_against_the_config_file() {
    let dir = tempfile::tempdir().unwrap();
    let text = MINIMAL.replace(
        "token_from = [",
        "decryption_key = \"@keys/enc.pem\"\nkey_management_algorithms = [\"A256KW\"]\ncontent_encryption_algorithms = [\"A256GCM\"]\ntoken_from = [",
    );
    let path = dir.path().join("gw.toml");
    std::fs::write(&path, text).unwrap();
    let c = Config::load(&path).unwrap();
    assert_eq!(
        c.providers[0].decryption_key.as_deref(),
        Some(format!("@{}", dir.path().join("keys/enc.pem").display()).as_str())
    );
    std::fs::write(
        &path,
        MINIMAL.replace(
            "[server]\n",
            "[server]\nadmin_token = \"@admin.txt\"\nupstream_ca_file = \"ca.pem\"\n",
        ),
    )
    .unwrap();
    let c = Config::load(&path).unwrap();
    assert_eq!(
        c.server.admin_token,
        Some(format!("@{}", dir.path().join("admin.txt").display()))
    );
    assert_eq!(c.server.upstream_ca_file, Some(dir.path().join("ca.pem")));
    assert_eq!(c.providers[0].keys, Some(dir.path().join("jwks.json")));
    assert_eq!(
        c.store.path,
        Some(dir.path().join("jwtkit-gateway.db")),
        "the default too"
    );
}

#[test]
fn identity_header_spellings_and_underscore_policy() {
    let e = build_error(&MINIMAL.replace("X-User-Id", "X_User_Id"));
    assert!(e.contains("\"X_User_Id\" contains \"_\""), "{e}");
    assert_eq!(
        Config::parse(MINIMAL).unwrap().server.headers_with_underscores,
        crate::identity_headers::UnderscoreAction::Drop
    );
    for (v, want) in [
        ("drop", crate::identity_headers::UnderscoreAction::Drop),
        ("reject", crate::identity_headers::UnderscoreAction::Reject),
        ("keep", crate::identity_headers::UnderscoreAction::Keep),
    ] {
        let c = Config::parse(&MINIMAL.replace(
            "[server]\n",
            &format!("[server]\nheaders_with_underscores = \"{v}\"\n"),
        ))
        .unwrap();
        assert_eq!(c.server.headers_with_underscores, want);
    }
    let e = Config::parse(&MINIMAL.replace("[server]\n", "[server]\nheaders_with_underscores = \"allow\"\n"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("drop") && e.contains("keep"), "{e}");
}

#[test]
fn sender_constraint_and_token_profile_settings_are_checked() {
    let provider = |extra: &str| MINIMAL.replace("leeway = \"30s\"", &format!("leeway = \"30s\"\n{extra}"));
    for (extra, expect) in [
        (
            "require_dpop = true\nrequire_certificate_binding = true",
            "one confirmation method",
        ),
        ("dpop = { algorithms = [\"HS256\"] }", "symmetric"),
        ("dpop = { algorithms = [] }", "dpop.algorithms is empty"),
        (
            "dpop = { nonce = true, nonce_secret = \"short\" }",
            "at least 32 bytes",
        ),
        (
            "typ = \"at+jwt\"\ntoken_profile = \"rfc9068\"",
            "list every accepted typ in accepted_typ",
        ),
        ("accepted_typ = [\"at+jwt\\\"\"]", "without quotes"),
    ] {
        let e = build_error(&provider(extra));
        assert!(e.contains(expect), "{extra}: {e}");
    }
    let e = Config::parse(&provider("token_profile = \"rfc9999\""))
        .unwrap_err()
        .to_string();
    assert!(e.contains("rfc9999"), "{e}");
    let route = MINIMAL.replace(
        "auth = \"none\"",
        "auth = \"none\"\nexternal_origin = \"https://api.example.com/base\"",
    );
    assert!(build_error(&route).contains("must be an origin"));
    let header = MINIMAL.replace(
        "listen = \"127.0.0.1:8080\"",
        "listen = \"127.0.0.1:8080\"\nclient_cert_header = { name = \"X-Client-Cert\", trusted_proxies = [] }",
    );
    assert!(build_error(&header).contains("trusted_proxies is empty"));
}
