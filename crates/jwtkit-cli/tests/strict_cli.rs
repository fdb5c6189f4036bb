//! `jwtkit verify --strict` (issue 12 item 4): the input must be exactly a token, byte for byte.
//! Without it a repaired token is still VALID, and the verdict line and `--json` say what was
//! removed (kind, byte offset, byte count; never the bytes).

mod common;

use common::{Env, NOW, SECRET, b64u, golden};
use serde_json::json;

fn secret() -> String {
    format!("b64url:{}", b64u(SECRET.as_bytes()))
}

fn verify(env: &Env, token: &str, extra: &[&str]) -> common::Run {
    let secret = secret();
    let mut args = vec![
        "verify",
        token,
        "--secret",
        secret.as_str(),
        "--now",
        NOW,
        "--no-color",
    ];
    args.extend_from_slice(extra);
    env.run(&args)
}

#[test]
fn strict_refuses_a_bearer_prefix_naming_the_byte_offset() {
    let env = Env::new();
    let t = env.hs256(&["--sub", "42", "--exp", "2026-12-31T00:00:00Z"]);
    let pasted = format!("Bearer {t}");
    let r = verify(&env, &pasted, &["--strict", "--json"]).code(1);
    let v = r.json();
    assert_eq!(v["valid"], false);
    assert_eq!(v["error"]["kind"], "malformed");
    let message = v["error"]["message"].as_str().unwrap();
    assert!(
        message
            .contains("byte 0 starts an Authorization/Bearer prefix (7 bytes a lenient reader would remove)"),
        "{message}"
    );
    assert!(
        !r.stdout.contains(&t) && !r.stderr.contains(&t),
        "the token is never echoed"
    );
    // Text output: the same error, exit 1.
    let r = verify(&env, &pasted, &["--strict"]).code(1);
    assert!(
        r.stderr
            .contains("malformed: the input is not exactly a token: byte 0"),
        "{}",
        r.stderr
    );
    // Quotes, a wrapped line, a trailing space: each refused at its own offset.
    for (input, needle) in [
        (format!("'{t}'"), "byte 0 starts quotes"),
        (
            format!("{}\n{}", &t[..40], &t[40..]),
            "byte 40 starts whitespace inside the token",
        ),
        (
            format!("{t} "),
            &*format!("byte {} starts whitespace around the token", t.len()),
        ),
    ] {
        let r = verify(&env, &input, &["--strict", "--json"]).code(1);
        let m = r.json()["error"]["message"].as_str().unwrap().to_string();
        assert!(m.contains(needle), "{needle}: {m}");
    }
    // Exactly the token: VALID; from stdin with its final line ending too.
    verify(&env, &t, &["--strict"]).code(0);
    let secret = secret();
    let r = env
        .stdin(
            &[
                "verify",
                "-",
                "--secret",
                &secret,
                "--now",
                NOW,
                "--strict",
                "--no-color",
            ],
            format!("{t}\n"),
        )
        .code(0);
    assert!(r.stdout.contains("\nVALID\n"), "{}", r.stdout);
}

#[test]
fn strict_keeps_a_jwt_compact() {
    let env = Env::new();
    let t = env.hs256(&["--sub", "42", "--exp", "2026-12-31T00:00:00Z"]);
    let (rest, sig) = t.rsplit_once('.').unwrap();
    let (h, p) = rest.split_once('.').unwrap();
    let flattened = json!({"protected": h, "payload": p, "signature": sig}).to_string();
    verify(&env, &flattened, &[]).code(0);
    let r = verify(&env, &flattened, &["--strict", "--json"]).code(1);
    let v = r.json();
    assert_eq!(v["error"]["kind"], "malformed");
    assert!(
        v["error"]["message"].as_str().unwrap().contains("RFC 7519 §7.2"),
        "{v}"
    );
}

#[test]
fn repaired_token_is_valid_and_the_verdict_says_what_was_removed() {
    let env = Env::new();
    let t = env.hs256(&["--sub", "42", "--exp", "2026-12-31T00:00:00Z"]);
    let pasted = format!("Authorization: Bearer {}\n{}", &t[..50], &t[50..]);
    let r = verify(&env, &pasted, &["--json"]).code(0);
    let v = r.json();
    assert_eq!(v["valid"], true);
    assert_eq!(
        v["repaired"],
        json!([
            {"kind": "prefix", "offset": 0, "bytes": 22},
            {"kind": "inner_whitespace", "offset": 72, "bytes": 1}
        ])
    );
    // No repair, no "repaired" member.
    assert!(
        verify(&env, &t, &["--json"])
            .code(0)
            .json()
            .get("repaired")
            .is_none()
    );
    let r = verify(&env, &pasted, &[]).code(0);
    golden("verify_repaired.txt", &r);
    assert!(r.stdout.contains(
        "VALID after removing an Authorization/Bearer prefix and whitespace inside the token: a strict verifier rejects the token as sent (--strict)"
    ));
}

#[test]
fn a_repaired_jwe_is_valid_with_the_same_verdict_and_strict_refuses_it() {
    let env = Env::new();
    // An encrypted, unsigned claims set (verify names only the key management algorithm).
    let key32 = "b64url:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8";
    let claims = r#"{"sub":"42","exp":1798675200}"#;
    let jwe = env
        .stdin(&["encrypt", "--alg", "dir", "--secret", key32, "-"], claims)
        .code(0)
        .stdout
        .trim()
        .to_string();
    assert_eq!(jwe.split('.').count(), 5);
    let pasted = format!("\"{jwe}\"");
    let args = |extra: &[&str]| {
        let mut a = vec![
            "verify",
            pasted.as_str(),
            "--secret",
            key32,
            "--alg",
            "dir",
            "--now",
            NOW,
            "--no-color",
        ];
        a.extend_from_slice(extra);
        a.iter().map(|s| s.to_string()).collect::<Vec<_>>()
    };
    let run = |extra: &[&str]| {
        let a = args(extra);
        env.run(&a.iter().map(String::as_str).collect::<Vec<_>>())
    };
    let r = run(&[]).code(0);
    assert!(
        r.stdout
            .contains("VALID after removing quotes: a strict verifier rejects the token as sent"),
        "{}",
        r.stdout
    );
    let v = run(&["--json"]).code(0).json();
    assert_eq!(
        v["repaired"],
        json!([{"kind": "quote", "offset": 0, "bytes": 1}, {"kind": "quote", "offset": jwe.len() + 1, "bytes": 1}])
    );
    let v = run(&["--json", "--strict"]).code(1).json();
    assert_eq!(v["error"]["kind"], "malformed");
}
