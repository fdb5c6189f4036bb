//! Token kinds in `jwtkit verify` and `decode`: the token type (human and `--json`),
//! `--profile at+jwt` / `--typ` refusing an ID token with a reason that says so, and `verify` of a
//! DPoP proof against the request (`--htm`, `--htu`, `--access-token`/`--ath`, `--dpop-nonce`).

mod common;

use common::{Env, SECRET, b64u};
use serde_json::Value;

const NOW: &str = "2026-11-29T17:00:00Z";

fn secret() -> String {
    format!("b64url:{}", b64u(SECRET.as_bytes()))
}

fn id_token(env: &Env) -> String {
    env.hs256(&[
        "--exp",
        "+1h",
        "--claims",
        r#"{"iss":"https://op.example","aud":"app","sub":"u","nonce":"n-1","at_hash":"x"}"#,
    ])
}

#[test]
fn decode_and_verify_say_what_the_token_is() {
    let env = Env::new();
    let id = id_token(&env);
    let at = env.hs256(&[
        "--typ",
        "at+jwt",
        "--exp",
        "+1h",
        "--claims",
        r#"{"scope":"read","aud":"api"}"#,
    ]);
    let d = env.run(&["decode", &id, "--now", NOW, "--no-color"]).code(0);
    assert!(
        d.stdout
            .contains("Type  OpenID Connect ID token (by its claims: nonce, at_hash)\n"),
        "{}",
        d.stdout
    );
    let j = env.run(&["decode", &at, "--json", "--now", NOW]).code(0).json();
    assert_eq!(
        j["token_type"],
        serde_json::json!({"kind": "access_token", "name": "OAuth 2.0 access token (RFC 9068)", "declared": true, "reason": "typ at+jwt"})
    );
    let s = secret();
    let v = env
        .run(&[
            "verify", &at, "--secret", &s, "--aud", "api", "--now", NOW, "--json",
        ])
        .code(0)
        .json();
    assert_eq!(v["token_type"]["kind"], "access_token");
    assert_eq!(v["token_type"]["confusion"], Value::Null);
}

#[test]
fn profile_at_jwt_refuses_an_id_token_and_says_why() {
    let env = Env::new();
    let id = id_token(&env);
    let s = secret();
    for flags in [["--profile", "at+jwt"], ["--typ", "at+jwt"]] {
        let mut args = vec![
            "verify",
            id.as_str(),
            "--secret",
            &s,
            "--aud",
            "app",
            "--now",
            NOW,
        ];
        args.extend_from_slice(&flags);
        let r = env.run(&[args.as_slice(), &["--no-color"]].concat()).code(1);
        assert!(
            r.stdout.contains(
                "Claims     ✗ bad_type: header typ is \"JWT\", expected \"at+jwt\": this is an OpenID Connect ID token \
                 (by its claims: nonce, at_hash), where an OAuth 2.0 access token (RFC 9068) is expected"
            ),
            "{flags:?}: {}",
            r.stdout
        );
        let j = env.run(&[args.as_slice(), &["--json"]].concat()).code(1).json();
        assert_eq!(j["error"]["kind"], "bad_type");
        assert_eq!(j["error"]["expected"], serde_json::json!(["at+jwt"]));
        assert_eq!(j["token_type"]["kind"], "id_token");
        assert!(
            j["token_type"]["confusion"]
                .as_str()
                .unwrap()
                .starts_with("this is an OpenID Connect ID token")
        );
    }
    // An RFC 9068 access token passes the profile, `application/at+jwt` too.
    for typ in ["at+jwt", "application/at+jwt"] {
        let at = env.hs256(&[
            "--typ",
            typ,
            "--exp",
            "+1h",
            "--claims",
            r#"{"scope":"read","aud":"api"}"#,
        ]);
        env.run(&[
            "verify",
            &at,
            "--secret",
            &s,
            "--aud",
            "api",
            "--now",
            NOW,
            "--profile",
            "at+jwt",
        ])
        .code(0);
    }
    // The profile and --typ cannot both be given; an unknown profile is a usage error.
    env.run(&[
        "verify",
        &id,
        "--secret",
        &s,
        "--profile",
        "at+jwt",
        "--typ",
        "JWT",
    ])
    .code(2);
    env.run(&["verify", &id, "--secret", &s, "--profile", "id-token"])
        .code(2);
}

fn proof(env: &Env, extra: &[&str]) -> String {
    let mut args = vec![
        "dpop",
        "--key",
        "client.jwk",
        "--method",
        "POST",
        "--url",
        "https://api.example/orders?page=2",
        "--now",
        "1700000000",
    ];
    args.extend_from_slice(extra);
    env.run(&args).code(0).stdout.trim().to_string()
}

#[test]
fn verify_checks_a_dpop_proof_against_the_request() {
    let env = Env::new();
    env.run(&[
        "keygen",
        "--alg",
        "ES256",
        "--out",
        "client.jwk",
        "--public-out",
        "client.pub.jwk",
    ])
    .code(0);
    let jkt = env
        .run(&["jwk", "thumbprint", "client.pub.jwk"])
        .code(0)
        .stdout
        .trim()
        .to_string();
    let p = proof(&env, &["--access-token", "AT-1", "--nonce", "n-7"]);
    let at = "1700000010";
    let base = [
        "verify",
        p.as_str(),
        "--now",
        at,
        "--htm",
        "POST",
        "--htu",
        "https://api.example/orders",
    ];
    let ok = |extra: &[&str]| {
        env.run(&[base.as_slice(), extra, &["--json"]].concat())
            .code(0)
            .json()
    };
    let j = ok(&["--access-token", "AT-1", "--dpop-nonce", "n-7"]);
    assert_eq!(j["valid"], true);
    assert_eq!(j["alg"], "ES256");
    assert_eq!(j["dpop"]["jkt"], jkt.as_str());
    assert_eq!(j["dpop"]["htu"], "https://api.example/orders");
    assert_eq!(j["dpop"]["iat"], 1_700_000_000);
    assert_eq!(j["token_type"]["kind"], "dpop_proof");
    let findings: Vec<&str> = j["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap())
        .collect();
    assert!(
        !findings.contains(&"no_exp"),
        "a proof has no exp by design: {findings:?}"
    );
    // The hash itself instead of the token; the access token from a file.
    ok(&["--ath", &jwtkit::dpop::NewProof::access_token_hash("AT-1")]);
    env.write("at.txt", "AT-1\n");
    ok(&["--access-token", "@at.txt"]);
    let human = env
        .run(&[base.as_slice(), &["--access-token", "AT-1", "--no-color"]].concat())
        .code(0);
    assert!(
        human
            .stdout
            .contains("DPoP proof  ✓ verified (ES256 with its jwk thumbprint"),
        "{}",
        human.stdout
    );
    assert!(
        human.stdout.contains(&format!("jkt         {jkt} ")),
        "{}",
        human.stdout
    );
    // What the gateway refuses, with the same kinds.
    let refused = |args: &[&str], kind: &str, exit: i32| {
        let j = env.run(&[args, &["--json"]].concat()).code(exit).json();
        assert_eq!(j["error"]["kind"], kind, "{args:?}");
    };
    let with = |htm: &'static str, htu: &'static str, extra: &'static [&'static str]| {
        let mut v = vec!["verify", p.as_str(), "--now", at, "--htm", htm, "--htu", htu];
        v.extend_from_slice(extra);
        v
    };
    refused(
        &with("GET", "https://api.example/orders", &["--access-token", "AT-1"]),
        "bad_dpop_proof",
        1,
    );
    refused(
        &with("POST", "https://api.example/other", &["--access-token", "AT-1"]),
        "bad_dpop_proof",
        1,
    );
    refused(
        &with("POST", "https://api.example/orders", &["--access-token", "AT-2"]),
        "bad_dpop_proof",
        1,
    );
    refused(
        &with("POST", "https://api.example/orders", &["--dpop-nonce", "n-8"]),
        "dpop_nonce_required",
        1,
    );
    let stale = [
        "verify",
        p.as_str(),
        "--now",
        "1700000400",
        "--htm",
        "POST",
        "--htu",
        "https://api.example/orders",
    ];
    refused(&stale, "bad_dpop_proof", 1);
    // A proof is checked against a request, and carries its own key.
    let r = env.run(&["verify", &p, "--now", at]).code(2);
    assert!(
        r.stderr.contains("this token is a DPoP proof (typ dpop+jwt)"),
        "{}",
        r.stderr
    );
    let r = env
        .run(&[base.as_slice(), &["--key", "client.pub.jwk"]].concat())
        .code(2);
    assert!(
        r.stderr
            .contains("verified with the public key in its own jwk header"),
        "{}",
        r.stderr
    );
    // An access token is not a proof.
    let at_token = env.hs256(&["--typ", "at+jwt", "--claims", r#"{"scope":"read"}"#]);
    let j = env
        .run(&[
            "verify",
            &at_token,
            "--now",
            at,
            "--htm",
            "POST",
            "--htu",
            "https://api.example/orders",
            "--json",
        ])
        .code(1)
        .json();
    assert_eq!(j["error"]["kind"], "bad_dpop_proof");
    assert_eq!(
        j["error"]["message"],
        "typ must be \"dpop+jwt\", found \"at+jwt\""
    );
}

#[test]
fn a_jwe_is_said_to_be_one_with_the_kind_of_jwt_it_holds() {
    let env = Env::new();
    env.run(&[
        "keygen",
        "--alg",
        "RSA-OAEP-256",
        "--out",
        "rsa.jwk",
        "--public-out",
        "rsa.pub.jwk",
    ])
    .code(0);
    env.run(&["keygen", "--alg", "ES256", "--out", "es.jwk"]).code(0);
    let jwt = env.sign(
        &["--alg", "ES256", "--key", "es.jwk"],
        &[
            "--typ",
            "at+jwt",
            "--exp",
            "+1h",
            "--claims",
            r#"{"scope":"read","aud":"api"}"#,
        ],
    );
    let jwe = env
        .stdin(&["encrypt", "--key", "rsa.pub.jwk", "--cty", "JWT"], &jwt)
        .code(0);
    let jwe = jwe.stdout.trim().to_string();
    let d = env.run(&["decode", &jwe, "--json"]).code(0).json();
    assert_eq!(d["token_type"]["kind"], "jwe");
    let v = env
        .run(&[
            "verify", &jwe, "--key", "rsa.jwk", "--key", "es.jwk", "--aud", "api", "--now", NOW, "--json",
        ])
        .code(0)
        .json();
    assert_eq!(v["token_type"]["kind"], "jwe");
    assert_eq!(v["token_type"]["nested"]["kind"], "access_token");
    let h = env
        .run(&[
            "verify",
            &jwe,
            "--key",
            "rsa.jwk",
            "--key",
            "es.jwk",
            "--aud",
            "api",
            "--now",
            NOW,
            "--no-color",
        ])
        .code(0);
    assert!(
        h.stdout
            .starts_with("Type       JWE (RFC 7516), encrypted (five segments, cty JWT: a signed JWT inside); inside: OAuth 2.0 access token (RFC 9068) (typ at+jwt)\n"),
        "{}",
        h.stdout
    );
}
