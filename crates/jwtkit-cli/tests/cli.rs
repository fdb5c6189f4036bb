//! The `jwtkit` binary as a user runs it: exact stdout, stderr and exit codes, golden files for
//! human output (`--now`, `--no-color`), one JSON object for `--json`.
//!
//! Refresh the golden files after an intended change with `UPDATE_GOLDEN=1 cargo test -p
//! jwtkit-cli --test cli` and review the diff.

mod common;

use common::{Env, NOW, SECRET, b64u, golden};
use serde_json::{Value, json};

fn secret_arg() -> String {
    format!("b64url:{}", b64u(SECRET.as_bytes()))
}

/// The token of the golden files: HS256, iat 17:00, exp 18:00 (2026-11-29 UTC).
fn expired_token(env: &Env) -> String {
    env.hs256(&[
        "--iss",
        "https://issuer.example",
        "--sub",
        "alice",
        "--exp",
        "2026-11-29T18:00:00Z",
    ])
}

// ---- decode -----------------------------------------------------------------------------------

#[test]
fn decode_human_golden() {
    let env = Env::new();
    let t = expired_token(&env);
    let r = env.run(&["decode", &t, "--now", NOW, "--no-color"]);
    golden("decode_expired.txt", &r);
    let r = r.code(0);
    assert!(
        r.stdout
            .contains("  exp       2026-11-29 18:00:00 UTC (expired 3h 12m ago)\n"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("  iat       2026-11-29 17:00:00 UTC (4h 12m ago)\n")
    );
}

#[test]
fn decode_always_says_not_verified() {
    let env = Env::new();
    let t = expired_token(&env);
    let human = env.run(&["decode", &t, "--now", NOW, "--no-color"]);
    assert!(
        human.stdout.starts_with(
            "JWS compact — signature NOT verified: decode shows what the token claims, not that it is valid (use jwtkit verify)\n"
        ),
        "{}",
        human.stdout
    );
    let j = env.run(&["decode", &t, "--json", "--now", NOW]).code(0).json();
    assert_eq!(j["verified"], false);
    assert_eq!(
        j["note"],
        "signature NOT verified: decode shows what the token claims, not that it is valid (use jwtkit verify)"
    );
    assert_eq!(j["claims"]["sub"], "alice");
    // Even for a broken token.
    let broken = env
        .run(&["decode", "eyJhbGciOiJub25lIn0.e30=.", "--json"])
        .code(1)
        .json();
    assert_eq!(broken["verified"], false);
    assert_eq!(broken["error"]["kind"], "bad_base64");
}

#[test]
fn decode_token_without_signature() {
    let env = Env::new();
    let t = expired_token(&env);
    let (hp, _) = t.rsplit_once('.').unwrap();
    let r = env.run(&["decode", hp, "--now", NOW, "--no-color"]);
    golden("decode_no_signature.txt", &r);
    r.code(1);
    let j = env.run(&["decode", hp, "--json", "--now", NOW]).code(1).json();
    assert_eq!(j["header"], json!({"alg": "HS256", "typ": "JWT"}));
    assert_eq!(j["claims"]["iss"], "https://issuer.example");
    assert_eq!(j["error"]["kind"], "malformed");
    assert_eq!(
        j["warnings"],
        json!(["the signature segment is missing; showing header and payload"])
    );
    // With the trailing dot: empty signature, structurally fine.
    let j = env
        .run(&["decode", &format!("{hp}."), "--json", "--now", NOW])
        .code(0)
        .json();
    assert_eq!(j["signature_b64u"], "");
    assert_eq!(j["warnings"], json!(["the signature segment is empty"]));
}

/// Big integers, `3.0`, exponents, escapes and member order are shown exactly as in the token.
#[test]
fn json_is_shown_losslessly() {
    let env = Env::new();
    let claims = r#"{"z":1,"big":123456789012345678901234567890,"f":3.0,"neg":-0.5,"e":1E+3,"a":"é\u0001","m":{"b":2,"a":1}}"#;
    let t = format!("{}.{}.c2ln", b64u(r#"{"typ":"JWT","alg":"HS256"}"#), b64u(claims));
    let r = env.run(&["decode", &t, "--json"]).code(0);
    assert!(
        r.stdout.contains(
            "  \"claims\": {\n    \"z\": 1,\n    \"big\": 123456789012345678901234567890,\n    \"f\": 3.0,\n    \"neg\": -0.5,\n"
        ),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("\"header\": {\n    \"typ\": \"JWT\",\n    \"alg\": \"HS256\"\n  }"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("\"m\": {\n      \"b\": 2,\n      \"a\": 1\n    }"),
        "{}",
        r.stdout
    );
    let human = env.run(&["decode", &t, "--no-color"]).code(0);
    assert!(
        human
            .stdout
            .contains("    \"big\": 123456789012345678901234567890,\n    \"f\": 3.0,\n"),
        "{}",
        human.stdout
    );
    assert!(
        human.stdout.contains("    \"a\": \"é\\u0001\",\n"),
        "control characters stay escaped: {}",
        human.stdout
    );
    // Through sign and verify too: claims from stdin keep their numbers and order.
    let signed = env.stdin(
        &[
            "sign",
            "--alg",
            "HS256",
            "--secret",
            &secret_arg(),
            "--claims",
            "-",
            "--no-iat",
        ],
        claims,
    );
    let token = signed.code(0).stdout.trim().to_string();
    let v = env
        .run(&["verify", &token, "--secret", &secret_arg(), "--json"])
        .code(0);
    assert!(
        v.stdout
            .contains("\"big\": 123456789012345678901234567890,\n    \"f\": 3.0,"),
        "{}",
        v.stdout
    );
}

// ---- pasted text and stdin ----------------------------------------------------------------------

#[test]
fn token_found_in_pasted_text_with_a_note() {
    let env = Env::new();
    let t = expired_token(&env);
    let wrapped = format!("{}\n{}\n{}", &t[..40], &t[40..80], &t[80..]);
    let cases: [(String, &str); 6] = [
        (
            format!("Authorization: Bearer {t}\n"),
            "note: stripped the \"Authorization: Bearer \" prefix\n",
        ),
        (format!("Bearer {t}"), "note: stripped the \"Bearer \" prefix\n"),
        (
            format!("curl -sS -H 'Authorization: Bearer {t}' https://api.example.com/orders\n"),
            "note: found the token inside the pasted text (67 other characters ignored)\n",
        ),
        (format!("\"{t}\""), "note: stripped surrounding \" quotes\n"),
        (format!("'{t}'\n"), "note: stripped surrounding ' quotes\n"),
        (
            wrapped,
            "note: removed 2 whitespace characters or line breaks inside the token\n",
        ),
    ];
    for (input, note) in cases {
        let r = env.stdin(&["decode", "--now", NOW, "--no-color"], &input).code(0);
        assert_eq!(r.stderr, note, "input {input:?}");
        assert!(r.stdout.contains("\"sub\": \"alice\""));
        let v = env.stdin(
            &[
                "verify",
                "--secret",
                &secret_arg(),
                "--now",
                "2026-11-29T17:30:00Z",
                "--json",
            ],
            &input,
        );
        let j = v.code(0).json();
        assert_eq!(j["valid"], true);
        assert_eq!(
            j["warnings"],
            json!([note.trim_start_matches("note: ").trim_end()]),
            "input {input:?}"
        );
    }
}

/// stdin is read whole: a 200 KiB token in 4 KiB lines verifies.
#[test]
fn stdin_is_read_whole() {
    let env = Env::new();
    env.write("big.json", json!({"filler": "x".repeat(150_000)}).to_string());
    let t = env.hs256(&["--claims", "@big.json", "--exp", "+1h"]);
    assert!(t.len() > 200_000);
    let lines: Vec<&str> = t
        .as_bytes()
        .chunks(4096)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    let r = env.stdin(
        &[
            "verify",
            "--secret",
            &secret_arg(),
            "--now",
            "2026-11-29T17:30:00Z",
            "--json",
        ],
        lines.join("\n"),
    );
    let j = r.code(0).json();
    assert_eq!(j["valid"], true);
    assert_eq!(j["claims"]["filler"].as_str().unwrap().len(), 150_000);
    // `-` means stdin too.
    let r = env.stdin(&["decode", "-", "--json"], &t).code(0);
    assert_eq!(r.json()["claims"]["filler"].as_str().unwrap().len(), 150_000);
}

// ---- secrets ------------------------------------------------------------------------------------

#[test]
fn secret_from_env_file_stdin_b64_and_text() {
    let env = Env::new();
    let t = expired_token(&env);
    let now = ["--now", "2026-11-29T17:30:00Z", "--json"];
    let check = |r: common::Run, how: &str| {
        let j = r.code(0).json();
        assert_eq!(j["valid"], true, "{how}: {j}");
    };
    check(
        env.run_with(
            &[&["verify", &t, "--secret", "env:JWT_SECRET"][..], &now].concat(),
            None,
            &[("JWT_SECRET", SECRET)],
        ),
        "env:",
    );
    env.write("secret.txt", SECRET);
    check(
        env.run(&[&["verify", &t, "--secret", "@secret.txt"][..], &now].concat()),
        "@file",
    );
    check(
        env.stdin(
            &[&["verify", &t, "--secret", "-"][..], &now].concat(),
            format!("{SECRET}\n"),
        ),
        "stdin",
    );
    use base64::Engine as _;
    let std_b64 = base64::engine::general_purpose::STANDARD.encode(SECRET);
    check(
        env.run(&[&["verify", &t, "--secret", &format!("b64:{std_b64}")][..], &now].concat()),
        "b64:",
    );
    check(
        env.run(&[&["verify", &t, "--secret", &secret_arg()][..], &now].concat()),
        "b64url:",
    );
    check(
        env.run(&[&["verify", &t, "--secret", SECRET][..], &now].concat()),
        "text",
    );
    // A missing variable is a usage error naming it.
    let r = env.run(&["verify", &t, "--secret", "env:NOPE_NOT_SET"]).code(2);
    assert_eq!(
        r.stderr,
        "jwtkit: usage: environment variable NOPE_NOT_SET is not set (from --secret env:NOPE_NOT_SET)\n"
    );
}

/// `--secret-prompt`, and the automatic prompt for an HMAC token on a terminal, read the
/// secret from the terminal (run under `script`, which gives the binary a pseudo-terminal).
#[test]
fn secret_from_a_prompt() {
    let env = Env::new();
    let t = expired_token(&env);
    let bin = env!("CARGO_BIN_EXE_jwtkit");
    for flags in ["--secret-prompt --json", "--json"] {
        let cmd = format!("{bin} verify {t} --now 2026-11-29T17:30:00Z {flags}");
        let out = std::process::Command::new("script")
            .args(["-qec", &cmd, "/dev/null"])
            .current_dir(env.dir.path())
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .and_then(|mut c| {
                use std::io::Write as _;
                std::thread::sleep(std::time::Duration::from_millis(300));
                c.stdin
                    .take()
                    .unwrap()
                    .write_all(format!("{SECRET}\n").as_bytes())?;
                c.wait_with_output()
            })
            .expect("`script` (util-linux) is needed for the prompt test");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            text.contains("HMAC secret for HS256 (input hidden): "),
            "{flags}: {text}"
        );
        assert!(text.contains("\"valid\": true"), "{flags}: {text}");
        assert_eq!(out.status.code(), Some(0), "{flags}: {text}");
    }
}

// ---- keys ---------------------------------------------------------------------------------------

/// Key files are recognised by content: misleading extensions change nothing.
#[test]
fn key_files_by_content_not_extension() {
    let env = Env::new();
    let t = env.sign(
        &["--alg", "RS256", "--key", "rs256.jwk"],
        &["--sub", "alice", "--exp", "+1h"],
    );
    let pem = env.read("rs256.pub.pem");
    let jwk = env.read("rs256.pub.jwk");
    env.write("public.json", &pem); // PEM named .json
    env.write("public.pem", &jwk); // JWK named .pem
    env.write("set.der", format!("{{\"keys\":[{jwk}]}}")); // JWK Set named .der
    let der = {
        use base64::Engine as _;
        let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
        base64::engine::general_purpose::STANDARD.decode(body).unwrap()
    };
    env.write("public.txt", &der); // DER named .txt
    env.write("noext", &pem);
    for (file, format) in [
        ("public.json", "PEM (PUBLIC KEY)"),
        ("public.pem", "JWK"),
        ("set.der", "JWK Set"),
        ("public.txt", "DER (SubjectPublicKeyInfo)"),
        ("noext", "PEM (PUBLIC KEY)"),
    ] {
        let r = env
            .run(&[
                "verify",
                &t,
                "--key",
                file,
                "--now",
                "2026-11-29T17:30:00Z",
                "--no-color",
            ])
            .code(0);
        assert!(
            r.stderr.contains(&format!("key: {file}: {format}, 1 key\n")),
            "{file}: {}",
            r.stderr
        );
        assert!(r.stdout.contains("VALID"));
    }
    // Not a key at all: exit 3 with a hint.
    env.write("notakey.pem", "hello");
    let r = env.run(&["verify", &t, "--key", "notakey.pem"]).code(3);
    assert!(
        r.stderr
            .starts_with("jwtkit: bad_key: notakey.pem: not a key: expected PEM"),
        "{}",
        r.stderr
    );
}

fn openssl(env: &Env, args: &[&str]) -> Vec<u8> {
    let out = std::process::Command::new("openssl")
        .args(args)
        .current_dir(env.dir.path())
        .output()
        .expect("the openssl CLI is needed (apt-get install openssl)");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// OpenSSL's traditional formats: SEC1 (`openssl ecparam -genkey`, with its EC PARAMETERS
/// block) and PKCS#1 (`openssl genrsa -traditional`, `-RSAPublicKey_out`), made at test time.
#[test]
fn openssl_sec1_and_pkcs1_keys() {
    let env = Env::new();
    for (curve, alg) in [
        ("prime256v1", "ES256"),
        ("secp384r1", "ES384"),
        ("secp521r1", "ES512"),
    ] {
        openssl(&env, &["ecparam", "-genkey", "-name", curve, "-out", "ec.key"]);
        assert!(env.read("ec.key").contains("-----BEGIN EC PARAMETERS-----\n"));
        assert!(env.read("ec.key").contains("-----BEGIN EC PRIVATE KEY-----\n"));
        openssl(&env, &["ec", "-in", "ec.key", "-pubout", "-out", "ec.pub"]);
        let t = env.sign(&["--alg", alg, "--key", "ec.key"], &["--sub", curve]);
        let r = env
            .run(&["verify", &t, "--key", "ec.pub", "--json"])
            .code(0)
            .json();
        assert_eq!(r["claims"]["sub"], curve);
        assert_eq!(r["alg"], alg);
    }
    openssl(&env, &["genrsa", "-traditional", "-out", "rsa.key", "2048"]);
    assert!(
        env.read("rsa.key")
            .starts_with("-----BEGIN RSA PRIVATE KEY-----\n")
    );
    openssl(
        &env,
        &["rsa", "-in", "rsa.key", "-RSAPublicKey_out", "-out", "rsa.pub"],
    );
    assert!(
        env.read("rsa.pub")
            .starts_with("-----BEGIN RSA PUBLIC KEY-----\n")
    );
    let t = env.sign(&["--alg", "PS256", "--key", "rsa.key"], &["--sub", "pkcs1"]);
    let r = env
        .run(&["verify", &t, "--key", "rsa.pub", "--json"])
        .code(0)
        .json();
    assert_eq!(r["claims"]["sub"], "pkcs1");
    // A token signed by OpenSSL itself (RS256 = PKCS#1 v1.5 over SHA-256) verifies too.
    let input = format!("{}.{}", b64u(r#"{"alg":"RS256"}"#), b64u(r#"{"sub":"openssl"}"#));
    env.write("input.txt", &input);
    let sig = openssl(&env, &["dgst", "-sha256", "-sign", "rsa.key", "input.txt"]);
    let r = env
        .run(&[
            "verify",
            &format!("{input}.{}", b64u(sig)),
            "--key",
            "rsa.pub",
            "--json",
        ])
        .code(0)
        .json();
    assert_eq!(r["claims"], json!({"sub": "openssl"}));
}

/// A JWK Set with a key of unknown `kty`, one of unknown `alg` (Ed448) and an AKP key of the wrong
/// length still works for its other keys;
/// one allowlist mixes RSA, EC and EdDSA.
#[test]
fn jwks_with_unknown_members_and_mixed_families() {
    let env = Env::new();
    let tokens = [
        (
            "RS256",
            env.sign(&["--alg", "RS256", "--key", "rs256.jwk"], &["--sub", "r"]),
        ),
        (
            "ES256",
            env.sign(&["--alg", "ES256", "--key", "es256.jwk"], &["--sub", "e"]),
        ),
        (
            "EdDSA",
            env.sign(&["--alg", "EdDSA", "--key", "ed25519.jwk"], &["--sub", "d"]),
        ),
    ];
    for (alg, t) in &tokens {
        // Allowlist from the keys, and the same allowlist given explicitly.
        for extra in [
            &[][..],
            &["--alg", "RS256", "--alg", "ES256", "--alg", "EdDSA"][..],
        ] {
            let r = env.run(&[&["verify", t, "--key", "mixed.jwks", "--json"][..], extra].concat());
            let j = r.code(0).json();
            assert_eq!(j["alg"], *alg);
            assert_eq!(j["valid"], true);
        }
    }
    let r = env
        .run(&["verify", &tokens[0].1, "--key", "mixed.jwks", "--no-color"])
        .code(0);
    assert_eq!(
        r.stderr,
        "key: mixed.jwks: JWK Set, 3 keys (3 ignored: #0 ML-DSA-44 public key \"pub\" must be 1312 bytes, found 3; \
         #2 kty \"HSS-LMS\" is not supported (oct, RSA, EC, OKP, AKP); #5 alg \"Ed448\" is not supported)\n"
    );
    // An HS256 token against that allowlist.
    let hs = env.hs256(&["--kid", "rs-1"]);
    let j = env
        .run(&["verify", &hs, "--key", "mixed.jwks", "--json"])
        .code(1)
        .json();
    assert_eq!(j["error"]["kind"], "alg_not_allowed");
    assert_eq!(j["error"]["expected"], json!(["RS256", "ES256", "EdDSA"]));
}

// ---- verify output and exit codes -----------------------------------------------------------------

#[test]
fn verify_human_goldens() {
    let env = Env::new();
    let t = expired_token(&env);
    let expired = env.run(&[
        "verify",
        &t,
        "--secret",
        &secret_arg(),
        "--now",
        NOW,
        "--no-color",
    ]);
    golden("verify_expired.txt", &expired);
    expired.code(1);
    let valid = env.run(&[
        "verify",
        &t,
        "--secret",
        &secret_arg(),
        "--now",
        "2026-11-29T17:30:00Z",
        "--no-color",
    ]);
    golden("verify_valid.txt", &valid);
    valid.code(0);
    let ed = env.sign(
        &["--alg", "EdDSA", "--key", "ed25519.jwk"],
        &["--sub", "alice", "--kid", "ed-9"],
    );
    let wrong_kid = env.run(&["verify", &ed, "--key", "mixed.jwks", "--now", NOW, "--no-color"]);
    golden("verify_kid_not_in_set.txt", &wrong_kid);
    wrong_kid.code(1);
}

#[test]
fn exit_codes() {
    let env = Env::new();
    let t = expired_token(&env);
    let s = secret_arg();
    env.run(&["verify", &t, "--secret", &s, "--now", "2026-11-29T17:30:00Z"])
        .code(0);
    env.run(&["verify", &t, "--secret", &s, "--now", NOW]).code(1); // expired
    env.run(&[
        "verify",
        &t,
        "--secret",
        "wrong-secret-wrong-secret-wrong-secret!",
        "--now",
        NOW,
    ])
    .code(1);
    env.run(&["decode", "not a token"]).code(1);
    let r = env.run(&["verify", &t, "--bogus-flag"]).code(2);
    assert!(
        r.stderr
            .starts_with("error: unexpected argument '--bogus-flag' found"),
        "{}",
        r.stderr
    );
    let r = env.run(&["verify", &t]).code(2);
    assert_eq!(
        r.stderr,
        "jwtkit: usage: no key: give --secret S, --secret-prompt, --key FILE (PEM, DER, JWK or JWK Set), --jwks or --issuer\n"
    );
    env.run(&["verify", &t, "--now", "yesterday-ish", "--secret", &s])
        .code(2);
    let r = env.run(&["verify", &t, "--key", "missing.pem"]).code(3);
    assert!(
        r.stderr.starts_with("jwtkit: cannot open missing.pem: "),
        "{}",
        r.stderr
    );
    env.write("bad.jwk", r#"{"kty":"EC","crv":"P-256","x":"AAAA","y":"AAAA"}"#);
    env.run(&["verify", &t, "--key", "bad.jwk"]).code(3);
    env.run(&["--version"]).code(0);
    env.run(&["verify", "--help"]).code(0);
}

/// `--json` prints exactly one object, on success and on every kind of failure.
#[test]
fn json_output_is_one_object() {
    let env = Env::new();
    let t = expired_token(&env);
    let s = secret_arg();
    let ok = env
        .run(&[
            "verify",
            &t,
            "--secret",
            &s,
            "--now",
            "2026-11-29T17:30:00Z",
            "--json",
        ])
        .code(0)
        .json();
    assert_eq!(ok["valid"], true);
    assert_eq!(
        ok["claims"],
        json!({"iat": 1795971600, "iss": "https://issuer.example", "sub": "alice", "exp": 1795975200})
    );
    let exp = env
        .run(&["verify", &t, "--secret", &s, "--now", NOW, "--json"])
        .code(1)
        .json();
    assert_eq!(exp["valid"], false);
    assert_eq!(
        exp["error"],
        json!({"kind": "expired", "message": "token expired 3h 12m ago (exp 1795975200 = 2026-11-29 18:00:00 UTC, now 1795986720, leeway 60s)",
               "fault": "token", "claim": "exp", "value": 1795975200, "now": 1795986720, "leeway": 60})
    );
    let key_err = env
        .run(&["verify", &t, "--key", "missing.pem", "--json"])
        .code(3)
        .json();
    assert_eq!(key_err["valid"], false);
    assert_eq!(key_err["error"]["kind"], "io");
    let usage = env.run(&["verify", &t, "--json"]).code(2).json();
    assert_eq!(usage["error"]["kind"], "usage");
    let sign = env
        .run(&[
            "sign", "--alg", "HS256", "--secret", &s, "--json", "--now", "0", "--sub", "x",
        ])
        .code(0)
        .json();
    assert_eq!(sign["claims"], json!({"sub": "x", "iat": 0}));
    assert_eq!(sign["header"], json!({"alg": "HS256", "typ": "JWT"}));
    let lint = env.run(&["lint", &t, "--json", "--now", NOW]).code(0).json();
    assert!(lint["findings"].is_array());
    let dec = env.run(&["decode", "a.b", "--json"]).code(1).json();
    assert_eq!(dec["error"]["kind"], "malformed");
    assert_eq!(dec["errors"][1]["kind"], "bad_base64");
}

#[test]
fn lint_exits_1_on_a_high_finding() {
    let env = Env::new();
    let none = format!("{}.{}.", b64u(r#"{"alg":"none"}"#), b64u(r#"{"sub":"admin"}"#));
    let j = env.run(&["lint", &none, "--json", "--now", NOW]).code(1).json();
    assert_eq!(j["high"], true);
    assert!(
        j["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["severity"] == "high"),
        "{j}"
    );
    // A token MACed with a well-known secret is cracked from the bundled list.
    let weak = env.sign(
        &[],
        &[
            "--alg",
            "HS256",
            "--secret",
            "secret",
            "--insecure-allow-weak-key",
            "--exp",
            "+1h",
        ],
    );
    let j = env
        .run(&["lint", &weak, "--json", "--now", "2026-11-29T17:30:00Z"])
        .code(1)
        .json();
    assert_eq!(j["findings"][0]["id"], "weak_hmac_secret");
    // Named without being printed: its first characters, length and line in the list.
    assert_eq!(
        j["findings"][0]["message"],
        "the token is signed with a well-known secret (6 bytes, line 57 of the bundled list): anyone can forge tokens for this issuer"
    );
    // Given to verify, the same secret is reported the same way.
    let v = env.run(&[
        "verify",
        &weak,
        "--secret",
        "secret",
        "--json",
        "--now",
        "2026-11-29T17:30:00Z",
    ]);
    let messages: Vec<String> = v.json()["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["message"].as_str().unwrap().to_string())
        .collect();
    assert!(
        messages
            .iter()
            .any(|m| m.contains("(6 bytes, line 57 of the bundled list)") && !m.contains("\"se")),
        "{messages:?}"
    );
    assert!(!v.stdout.contains("\\\"secret\\\""), "{}", v.stdout);
}

#[test]
fn keygen_writes_lf_pem_with_private_mode() {
    let env = Env::new();
    let r = env
        .run(&[
            "keygen",
            "--alg",
            "ES384",
            "--format",
            "pem",
            "--out",
            "k.pem",
            "--public-out",
            "k.pub.pem",
        ])
        .code(0);
    assert!(
        r.stderr.starts_with("wrote the private key to k.pem (kid "),
        "{}",
        r.stderr
    );
    let private = std::fs::read(env.path("k.pem")).unwrap();
    assert!(private.starts_with(b"-----BEGIN PRIVATE KEY-----\n") && !private.contains(&b'\r'));
    assert!(env.read("k.pub.pem").starts_with("-----BEGIN PUBLIC KEY-----\n"));
    use std::os::unix::fs::PermissionsExt as _;
    assert_eq!(
        std::fs::metadata(env.path("k.pem")).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let t = env.sign(&["--alg", "ES384", "--key", "k.pem"], &[]);
    env.run(&["verify", &t, "--key", "k.pub.pem"]).code(0);
    // RFC 7638 §3.1 thumbprint.
    env.write(
        "rfc7638.jwk",
        r#"{"kty":"RSA","n":"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw","e":"AQAB","alg":"RS256","kid":"2011-04-29"}"#,
    );
    let r = env.run(&["jwk", "thumbprint", "rfc7638.jwk"]).code(0);
    assert_eq!(r.stdout, "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs\n");
}

#[test]
fn help_is_reachable_for_every_command() {
    let env = Env::new();
    for c in ["decode", "verify", "sign", "keygen", "jwk", "lint"] {
        let r = env.run(&[c, "--help"]).code(0);
        assert!(r.stdout.contains("Usage: jwtkit "), "{c}: {}", r.stdout);
        assert!(r.stderr.is_empty());
    }
    let r = env.run(&[]).code(2);
    assert!(
        r.stderr.contains("Usage: jwtkit [OPTIONS] <COMMAND>"),
        "{}",
        r.stderr
    );
    let _ = Value::Null;
}
