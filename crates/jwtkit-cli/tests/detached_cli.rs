//! `jwtkit verify --payload` (detached content, RFC 7515 Appendix F / RFC 7797 §5.2) and
//! `jwtkit sign --detached`, with the RFC 7520 §4.5 and RFC 7797 §4.2 values.

mod common;

use common::{Env, NOW, SECRET, b64u};

const RFC7520_SECRET: &str = "b64url:hJtXIZ2uSN5kbQfbtTNWbpdmhkV8FJG-Onbc6mxCcYg";
const RFC7520_PAYLOAD: &str = "It\u{2019}s a dangerous business, Frodo, going out your door. You step onto the road, and if you don't keep your feet, there\u{2019}s no knowing where you might be swept off to.";
const RFC7520_COMPACT: &str = "eyJhbGciOiJIUzI1NiIsImtpZCI6IjAxOGMwYWU1LTRkOWItNDcxYi1iZmQ2LWVlZjMxNGJjNzAzNyJ9..s0h6KThzkfBBBkLspW1h84VsJZFTsPPqMDA7g1Md7p0";
const RFC7520_GENERAL: &str = r#"{"signatures":[{"protected":"eyJhbGciOiJIUzI1NiIsImtpZCI6IjAxOGMwYWU1LTRkOWItNDcxYi1iZmQ2LWVlZjMxNGJjNzAzNyJ9","signature":"s0h6KThzkfBBBkLspW1h84VsJZFTsPPqMDA7g1Md7p0"}]}"#;

fn verify_rfc7520(env: &Env, token: &str, extra: &[&str]) -> common::Run {
    let mut args = vec![
        "verify",
        token,
        "--secret",
        RFC7520_SECRET,
        "--alg",
        "HS256",
        "--jws",
    ];
    args.extend_from_slice(extra);
    env.run(&args)
}

#[test]
fn rfc7520_compact_with_a_payload_file() {
    let env = Env::new();
    env.write("frodo.txt", RFC7520_PAYLOAD);
    let r = verify_rfc7520(&env, RFC7520_COMPACT, &["--payload", "@frodo.txt", "--json"]).code(0);
    let v = r.json();
    assert_eq!(v["valid"], true);
    assert_eq!(v["alg"], "HS256");
    assert_eq!(v["payload"]["utf8"], RFC7520_PAYLOAD);
    assert_eq!(v["payload"]["b64u"], b64u(RFC7520_PAYLOAD));
    assert_eq!(
        v["detached_payload"],
        serde_json::json!({"supplied": true, "bytes": 167, "from": "the file frodo.txt"})
    );
    // The "payload is empty" note is no news once the content is supplied.
    assert_eq!(v["warnings"], serde_json::json!([]));

    let human = verify_rfc7520(&env, RFC7520_COMPACT, &["--payload", "@frodo.txt", "--no-color"]).code(0);
    assert!(
        human.stdout.starts_with(
            "Signature  ✓ verified (HS256 with secret of 32 bytes)\n\
             Payload    detached, supplied with --payload: 167 bytes from the file frodo.txt\n\
             Claims     not checked (--jws)\nVALID\n"
        ),
        "{}",
        human.stdout
    );
}

#[test]
fn rfc7520_general_json_with_the_payload_on_stdin() {
    let env = Env::new();
    let r = env
        .stdin(
            &[
                "verify",
                RFC7520_GENERAL,
                "--secret",
                RFC7520_SECRET,
                "--jws",
                "--payload",
                "-",
                "--json",
            ],
            RFC7520_PAYLOAD,
        )
        .code(0);
    let v = r.json();
    assert_eq!(v["valid"], true);
    assert_eq!(v["payload"]["b64u"], b64u(RFC7520_PAYLOAD));
    assert_eq!(v["detached_payload"]["from"], "stdin");
    // Without the content: malformed, saying the content is detached.
    let r = env
        .run(&[
            "verify",
            RFC7520_GENERAL,
            "--secret",
            RFC7520_SECRET,
            "--jws",
            "--json",
        ])
        .code(1);
    let v = r.json();
    assert_eq!(v["error"]["kind"], "malformed");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("its content is detached (RFC 7515 Appendix F)"),
        "{v}"
    );
    assert!(v.get("detached_payload").is_none());
}

#[test]
fn tampered_content_is_a_bad_signature() {
    let env = Env::new();
    let tampered = RFC7520_PAYLOAD.replace("Frodo", "Frodi");
    let r = verify_rfc7520(&env, RFC7520_COMPACT, &["--payload", &tampered, "--json"]).code(1);
    let v = r.json();
    assert_eq!(v["valid"], false);
    assert_eq!(v["error"]["kind"], "bad_signature");
    assert_eq!(v["detached_payload"]["from"], "the argument");
    assert_eq!(v["diagnosis"]["attempts"][0]["outcome"], "bad_signature");
    assert_eq!(v["diagnosis"]["hints"], serde_json::json!([]));
    // A trailing newline is part of the content (nothing is stripped).
    env.write("frodo-nl.txt", format!("{RFC7520_PAYLOAD}\n"));
    let r = verify_rfc7520(&env, RFC7520_COMPACT, &["--payload", "@frodo-nl.txt", "--json"]).code(1);
    assert_eq!(r.json()["error"]["kind"], "bad_signature");
}

#[test]
fn without_the_content_the_diagnosis_says_detached() {
    let env = Env::new();
    let r = verify_rfc7520(&env, RFC7520_COMPACT, &["--json"]).code(1);
    let v = r.json();
    assert_eq!(v["error"]["kind"], "bad_signature");
    assert_eq!(v["diagnosis"]["hints"][0]["id"], "detached_payload");
    let human = verify_rfc7520(&env, RFC7520_COMPACT, &["--no-color"]).code(1);
    assert!(
        human.stdout.contains(
            "[detached_payload] the payload is empty: if this JWS has detached content (RFC 7515 Appendix F), supply the content to verify it (CLI: --payload @FILE; library: jwt::Input::detached)"
        ),
        "{}",
        human.stdout
    );
}

#[test]
fn content_for_a_token_with_a_payload_is_rejected() {
    let env = Env::new();
    let token = env.hs256(&["--sub", "alice", "--exp", "2026-11-29T23:00:00Z"]);
    let secret = format!("b64url:{}", b64u(SECRET.as_bytes()));
    let r = env
        .run(&[
            "verify",
            &token,
            "--secret",
            &secret,
            "--now",
            NOW,
            "--payload",
            "x",
            "--json",
        ])
        .code(1);
    let v = r.json();
    assert_eq!(v["valid"], false);
    assert_eq!(v["error"]["kind"], "malformed");
    assert!(
        v["error"]["message"].as_str().unwrap().starts_with(
            "payload segment: detached content was supplied, but the token carries its own payload ("
        ),
        "{v}"
    );
}

#[test]
fn sign_detached_then_verify_with_the_claims_file() {
    let env = Env::new();
    let token = env.hs256(&[
        "--sub",
        "alice",
        "--exp",
        "2026-11-29T23:00:00Z",
        "--detached",
        "claims.json",
    ]);
    assert_eq!(token.split('.').nth(1), Some(""), "{token}");
    assert_eq!(
        env.read("claims.json"),
        r#"{"sub":"alice","iat":1795971600,"exp":1795993200}"#
    );
    let secret = format!("b64url:{}", b64u(SECRET.as_bytes()));
    let r = env
        .run(&[
            "verify",
            &token,
            "--secret",
            &secret,
            "--now",
            NOW,
            "--payload",
            "@claims.json",
            "--json",
        ])
        .code(0);
    let v = r.json();
    assert_eq!(v["valid"], true);
    assert_eq!(v["claims"]["sub"], "alice");
    assert_eq!(v["detached_payload"]["bytes"], 49);
    // The claims are validated: after exp + leeway, expired.
    let r = env
        .run(&[
            "verify",
            &token,
            "--secret",
            &secret,
            "--now",
            "2026-11-30T00:00:00Z",
            "--payload",
            "@claims.json",
            "--json",
        ])
        .code(1);
    let v = r.json();
    assert_eq!(v["error"]["kind"], "expired");
    assert_eq!(v["unverified"]["claims"]["sub"], "alice");
    // Human output shows the detached claims.
    let human = env
        .run(&[
            "verify",
            &token,
            "--secret",
            &secret,
            "--now",
            NOW,
            "--payload",
            "@claims.json",
            "--no-color",
        ])
        .code(0);
    assert!(
        human.stdout.contains("\nPayload\n  {\n    \"sub\": \"alice\","),
        "{}",
        human.stdout
    );
}

#[test]
fn rfc7797_unencoded_detached_payload() {
    let env = Env::new();
    let token = "eyJhbGciOiJIUzI1NiIsImI2NCI6ZmFsc2UsImNyaXQiOlsiYjY0Il19..A5dxf2s96_n5FLueVuW1Z_vh161FwXZC4YLPff6dmDY";
    let secret =
        "b64url:AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow";
    let args = |p| {
        vec![
            "verify",
            token,
            "--secret",
            secret,
            "--alg",
            "HS256",
            "--jws",
            "--payload",
            p,
            "--json",
        ]
    };
    let v = env.run(&args("$.02")).code(0).json();
    assert_eq!(v["payload"]["utf8"], "$.02");
    assert_eq!(v["header"]["b64"], false);
    let v = env.run(&args("$.03")).code(1).json();
    assert_eq!(v["error"]["kind"], "bad_signature");
}

#[test]
fn usage_errors_and_help() {
    let env = Env::new();
    // stdin cannot hold both the token and the payload.
    let r = env
        .stdin(
            &["verify", "--secret", RFC7520_SECRET, "--jws", "--payload", "-"],
            RFC7520_COMPACT,
        )
        .code(2);
    assert!(
        r.stderr.contains("stdin was already read for the token"),
        "{}",
        r.stderr
    );
    let r = env.run(&[
        "verify",
        RFC7520_COMPACT,
        "--secret",
        RFC7520_SECRET,
        "--payload",
        "@missing.txt",
    ]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(r.stderr.contains("cannot open missing.txt"), "{}", r.stderr);
    let help = env.run(&["verify", "--help"]).code(0);
    assert!(
        help.stdout.contains("--payload <@FILE|-|TEXT>"),
        "{}",
        help.stdout
    );
    let help = env.run(&["sign", "--help"]).code(0);
    assert!(help.stdout.contains("--detached <FILE>"), "{}", help.stdout);
}
