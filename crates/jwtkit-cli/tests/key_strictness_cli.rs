//! The CLI side of key strictness: empty secrets are usage errors, public-key text is refused as
//! an HMAC secret unless `--insecure-allow-public-key-secret`, RSA under 2048 bits verifies only
//! with `--insecure-allow-weak-key`.

mod common;

use common::Env;

#[test]
fn rsa_1024_verifies_only_with_insecure_allow_weak_key() {
    let env = Env::new();
    env.write(
        "weak.pub.pem",
        include_str!("../../jwtkit/tests/fixtures/keys/rsa1024.pub.pem"),
    );
    let token = include_str!("../../jwtkit/tests/fixtures/keys/rsa1024.rs256.jwt").trim();
    let j = env
        .run(&["verify", token, "--key", "weak.pub.pem", "--json"])
        .code(3)
        .json();
    assert_eq!(j["error"]["kind"], "bad_key");
    let j = env
        .run(&[
            "verify",
            token,
            "--key",
            "weak.pub.pem",
            "--insecure-allow-weak-key",
            "--json",
        ])
        .code(0)
        .json();
    assert_eq!(j["valid"], true);
    assert_eq!(j["claims"]["sub"], "a");
}

#[test]
fn empty_secrets_are_usage_errors() {
    let env = Env::new();
    env.write("empty", "");
    let token = env.sign(
        &[],
        &["--alg", "HS256", "--secret", "0123456789abcdef0123456789abcdef"],
    );
    for args in [
        vec!["--secret", "@empty"],
        vec!["--secret", "env:JWTKIT_TEST_EMPTY"],
        vec!["--secret="],
    ] {
        let mut a = vec!["verify", token.as_str()];
        a.extend_from_slice(&args);
        let r = env.run_with(&a, None, &[("JWTKIT_TEST_EMPTY", "")]).code(2);
        assert!(r.stderr.contains("is empty"), "{args:?}: {}", r.stderr);
    }
}

#[test]
fn public_key_text_as_secret_needs_the_insecure_flag() {
    let env = Env::new();
    let r = env
        .run(&[
            "sign",
            "--alg",
            "HS256",
            "--secret",
            "@rs256.pub.pem",
            "--sub",
            "x",
            "--json",
        ])
        .code(3);
    assert_eq!(r.json()["error"]["kind"], "key_mismatch");
    let token = env.sign(
        &[],
        &[
            "--alg",
            "HS256",
            "--secret",
            "@rs256.pub.pem",
            "--insecure-allow-public-key-secret",
            "--sub",
            "x",
        ],
    );
    let j = env
        .run(&["verify", &token, "--secret", "@rs256.pub.pem", "--json"])
        .code(1)
        .json();
    assert_eq!(j["error"]["kind"], "key_mismatch");
    env.run(&[
        "verify",
        &token,
        "--secret",
        "@rs256.pub.pem",
        "--insecure-allow-public-key-secret",
    ])
    .code(0);
}
