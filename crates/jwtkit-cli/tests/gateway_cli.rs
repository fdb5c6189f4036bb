//! `jwtkit gateway --check` and `jwtkit gateway explain` as a user runs them: exit codes, the
//! decision and the checks (the gateway itself is tested in crates/jwtkit-gateway/tests).

mod common;

use common::Env;

const CONFIG: &str = r#"
[server]
listen = "127.0.0.1:0"
admin_listen = "127.0.0.1:0"

[store]
path = "gw.db"

[[providers]]
name = "main"
issuer = "https://issuer.example/"
audiences = ["orders-api"]
keys = "pub.jwk"
algorithms = ["ES256"]

[[routes]]
path_prefix = "/orders"
upstream = "http://127.0.0.1:9"
auth = { providers = ["main"], scopes = ["orders:read"] }
"#;

fn setup() -> Env {
    let env = Env::new();
    env.run(&[
        "keygen",
        "--alg",
        "ES256",
        "--kid",
        "k1",
        "--out",
        "key.jwk",
        "--public-out",
        "pub.jwk",
    ])
    .code(0);
    env.write("gateway.toml", CONFIG);
    env
}

fn sign(env: &Env, extra: &[&str]) -> String {
    let mut args = vec![
        "sign",
        "--alg",
        "ES256",
        "--key",
        "key.jwk",
        "--iss",
        "https://issuer.example/",
        "--aud",
        "orders-api",
        "--sub",
        "alice",
    ];
    args.extend_from_slice(extra);
    env.run(&args).code(0).stdout.trim().to_string()
}

#[test]
fn check_accepts_a_valid_config_and_names_problems() {
    let env = setup();
    let r = env
        .run(&["gateway", "--config", "gateway.toml", "--check"])
        .code(0);
    assert!(r.stdout.starts_with("gateway.toml: ok\n"), "{}", r.stdout);
    assert!(
        r.stdout
            .contains("provider main: issuer https://issuer.example/, algorithms ES256, keys 1 key(s)"),
        "{}",
        r.stdout
    );
    env.write("bad.toml", CONFIG.replace("audiences =", "audience ="));
    let r = env.run(&["gateway", "--config", "bad.toml", "--check"]).code(3);
    assert!(r.stderr.contains("unknown field `audience`"), "{}", r.stderr);
    env.write("bad2.toml", CONFIG.replace("pub.jwk", "missing.jwk"));
    let r = env.run(&["gateway", "--config", "bad2.toml", "--check"]).code(3);
    assert!(r.stderr.contains("missing.jwk"), "{}", r.stderr);
    env.run(&["gateway", "--check"]).code(2);
}

#[test]
fn explain_reports_the_decision_and_checks() {
    let env = setup();
    let good = sign(&env, &["--exp", "+1h", "--claim", "scope=orders:read"]);
    let r = env
        .run(&[
            "gateway",
            "explain",
            "--config",
            "gateway.toml",
            "--route",
            "/orders/7",
            "--json",
            &good,
        ])
        .code(0);
    let j = r.json();
    assert_eq!(j["decision"], "forward");
    assert_eq!(j["upstream"], "http://127.0.0.1:9");

    let expired = sign(&env, &["--exp=-2h", "--claim", "scope=orders:read"]);
    let r = env
        .run(&[
            "gateway",
            "explain",
            "--config",
            "gateway.toml",
            "--route",
            "/orders/7",
            "--no-color",
            &expired,
        ])
        .code(1);
    assert!(
        r.stdout
            .starts_with("decision: REJECT /orders/7 with 401 (invalid_token: token expired)\n"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("WWW-Authenticate: Bearer realm=\"jwtkit\", error=\"invalid_token\", error_description=\"token expired\""), "{}", r.stdout);
    assert!(r.stdout.contains("[FAIL] verify       exp"), "{}", r.stdout);

    let no_scope = sign(&env, &["--exp", "+1h"]);
    let j = env
        .run(&[
            "gateway",
            "explain",
            "--config",
            "gateway.toml",
            "--route",
            "/orders/7",
            "--json",
            &no_scope,
        ])
        .code(1)
        .json();
    assert_eq!(j["status"], 403);
    assert_eq!(j["error"]["error"], "insufficient_scope");
}

/// An encrypted token: `--check` names the decryption setup, `explain` shows the decryption
/// checks before the nested JWT's, and a config listing RSA1_5 is refused (exit 3).
#[test]
fn explain_and_check_with_a_decryption_key() {
    let env = setup();
    env.run(&[
        "keygen",
        "--alg",
        "ECDH-ES+A256KW",
        "--kid",
        "enc-1",
        "--out",
        "enc.jwk",
        "--public-out",
        "enc.pub.jwk",
    ])
    .code(0);
    let jwe_config = CONFIG.replace(
        "algorithms = [\"ES256\"]",
        "algorithms = [\"ES256\"]\ndecryption_key = \"@enc.jwk\"\nkey_management_algorithms = [\"ECDH-ES+A256KW\"]\ncontent_encryption_algorithms = [\"A256GCM\"]\nrequire_encryption = true",
    );
    env.write("jwe.toml", &jwe_config);
    let r = env.run(&["gateway", "--config", "jwe.toml", "--check"]).code(0);
    assert!(
        r.stdout
            .contains("decrypts JWE: alg [ECDH-ES+A256KW], enc [A256GCM], 1 key(s) from")
            && r.stdout.contains("enc.jwk, encryption required"),
        "{}",
        r.stdout
    );
    let jwt = sign(&env, &["--exp", "+1h", "--claim", "scope=orders:read"]);
    let jwe = env
        .run(&[
            "encrypt",
            "--key",
            "enc.pub.jwk",
            "--alg",
            "ECDH-ES+A256KW",
            "--enc",
            "A256GCM",
            &jwt,
        ])
        .code(0)
        .stdout
        .trim()
        .to_string();
    let r = env
        .run(&[
            "gateway",
            "explain",
            "--config",
            "jwe.toml",
            "--route",
            "/orders/7",
            "--no-color",
            &jwe,
        ])
        .code(0);
    assert!(
        r.stdout.starts_with("decision: FORWARD /orders/7"),
        "{}",
        r.stdout
    );
    let decryption = r.stdout.find("[pass] decrypt      decryption").expect(&r.stdout);
    let nested = r.stdout.find("[pass] authenticate nested JWT").expect(&r.stdout);
    let signature = r.stdout.find("[pass] verify       signature").expect(&r.stdout);
    assert!(decryption < nested && nested < signature, "{}", r.stdout);
    assert!(
        r.stdout
            .contains("alg ECDH-ES+A256KW, enc A256GCM with kid \"enc-1\""),
        "{}",
        r.stdout
    );
    // The plain JWS is refused by require_encryption.
    let r = env
        .run(&[
            "gateway",
            "explain",
            "--config",
            "jwe.toml",
            "--route",
            "/orders/7",
            "--no-color",
            &jwt,
        ])
        .code(1);
    assert!(
        r.stdout.contains("(invalid_token: token must be encrypted)"),
        "{}",
        r.stdout
    );
    env.write(
        "rsa15.toml",
        jwe_config.replace("[\"ECDH-ES+A256KW\"]", "[\"RSA1_5\"]"),
    );
    let r = env.run(&["gateway", "--config", "rsa15.toml", "--check"]).code(3);
    assert!(
        r.stderr.contains("RSA1_5 is never accepted by the gateway"),
        "{}",
        r.stderr
    );
}
