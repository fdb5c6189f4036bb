//! Times, secrets and keys at their edges, each test named after what it checks: relative
//! times written as signed numbers, impossible dates, RSA-PSS keys, secret-length findings naming
//! a non-HMAC algorithm, keygen overwriting its own private key, `gateway explain` paths without
//! a leading '/', environment variables holding non-UTF-8 secrets.

mod common;

use common::*;
use serde_json::Value;

/// `sign --exp +3600` made `exp: 3600` (1970): the token was expired when it was made.
#[test]
fn sign_exp_with_a_sign_and_seconds_is_relative() {
    let env = Env::new();
    let secret = format!("b64url:{}", b64u(SECRET.as_bytes()));
    let r = env
        .run(&[
            "sign",
            "--alg",
            "HS256",
            "--secret",
            &secret,
            "--now",
            "1700000000",
            "--exp",
            "+3600",
            "--nbf=-60",
            "--json",
        ])
        .code(0);
    let j = r.json();
    assert_eq!(j["claims"]["exp"], 1_700_003_600);
    assert_eq!(j["claims"]["nbf"], 1_699_999_940);
}

/// `--now 2026-02-30` was taken as 2026-03-02.
#[test]
fn impossible_dates_are_usage_errors() {
    let env = Env::new();
    let t = env.hs256(&["--sub", "x"]);
    let r = env.run(&["decode", &t, "--now", "2026-02-30"]).code(2);
    assert!(r.stderr.contains("invalid time \"2026-02-30\""), "{}", r.stderr);
}

fn pss_fixture(name: &str) -> String {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../jwtkit/tests/fixtures/keys")
        .join(name);
    std::fs::read_to_string(p).unwrap()
}

/// A private key from `openssl genpkey -algorithm RSA-PSS` failed with "invalid RSA private
/// key: WrongAlgorithm".
#[test]
fn rsa_pss_private_keys_sign() {
    let env = Env::new();
    env.write("pss.pem", pss_fixture("rsa-pss.pem"));
    env.write("pss.pub.pem", pss_fixture("rsa-pss.pub.pem"));
    let t = env.sign(&["--key", "pss.pem"], &["--alg", "PS256", "--sub", "pss"]);
    let r = env
        .run(&["verify", &t, "--key", "pss.pub.pem", "--now", NOW, "--json"])
        .code(0);
    assert_eq!(r.json()["claims"]["sub"], "pss");
}

/// A secret given for an RS256 token was said to be too short for "RS256".
#[test]
fn short_secret_finding_names_an_hmac_algorithm() {
    let env = Env::new();
    let t = env.sign(&["--key", "rs256.jwk"], &["--alg", "RS256"]);
    let r = env
        .run(&[
            "verify",
            &t,
            "--secret",
            "0123456789abcdef",
            "--now",
            NOW,
            "--json",
        ])
        .code(1);
    let j = r.json();
    let f = j["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == "short_hmac_secret")
        .unwrap()
        .clone();
    assert_eq!(
        f["message"],
        "the HMAC secret is 16 bytes; HS256 needs at least 32 (RFC 7518 §3.2), short secrets can be brute-forced offline"
    );
}

/// `keygen --out k.jwk --public-out k.jwk` wrote the private key, then replaced it with the
/// public key while saying it wrote both.
#[test]
fn keygen_refuses_one_file_for_both_keys() {
    let env = Env::new();
    let r = env
        .run(&[
            "keygen",
            "--alg",
            "ES256",
            "--out",
            "k.jwk",
            "--public-out",
            "./k.jwk",
        ])
        .code(2);
    assert!(
        r.stderr.contains("--out and --public-out name the same file"),
        "{}",
        r.stderr
    );
    assert!(!env.path("k.jwk").exists());
    env.write("existing.jwk", "old");
    env.run(&[
        "keygen",
        "--alg",
        "ES256",
        "--out",
        "existing.jwk",
        "--public-out",
        "existing.jwk",
    ])
    .code(2);
    assert_eq!(env.read("existing.jwk"), "old");
    env.run(&[
        "keygen",
        "--alg",
        "ES256",
        "--out",
        "a.jwk",
        "--public-out",
        "b.jwk",
    ])
    .code(0);
    let private: Value = serde_json::from_str(&env.read("a.jwk")).unwrap();
    assert!(private["d"].is_string());
}

/// `gateway explain --route orders` (no leading '/') answered "no route for path " (empty).
#[test]
fn gateway_explain_route_needs_a_leading_slash() {
    let env = Env::new();
    env.write(
        "gw.toml",
        "[server]\nlisten = \"127.0.0.1:0\"\n\n[[providers]]\nname = \"p\"\nissuer = \"https://i/\"\n\
         audiences = [\"a\"]\nkeys = \"es256.pub.jwk\"\nalgorithms = [\"ES256\"]\n\n[[routes]]\n\
         path_prefix = \"/orders\"\nupstream = \"http://127.0.0.1:9\"\nauth = { providers = [\"p\"] }\n",
    );
    let t = env.hs256(&["--sub", "x"]);
    let r = env
        .run(&[
            "gateway", "explain", "--config", "gw.toml", "--route", "orders", &t,
        ])
        .code(2);
    assert!(
        r.stderr
            .contains("--route \"orders\": a request path starts with '/' (e.g. /orders)"),
        "{}",
        r.stderr
    );
    env.run(&[
        "gateway", "explain", "--config", "gw.toml", "--route", "/orders", &t,
    ])
    .code(1);
}

/// `--secret env:VAR` with a non-UTF-8 value said the variable "is not set".
#[cfg(unix)]
#[test]
fn secret_from_env_may_be_any_bytes() {
    use std::os::unix::ffi::OsStrExt as _;
    let env = Env::new();
    let secret: Vec<u8> = (0u8..40).map(|i| 0x80 | i).collect();
    let t = env.sign(
        &["--secret", &format!("b64url:{}", b64u(&secret))],
        &["--alg", "HS256", "--sub", "bytes"],
    );
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_jwtkit"))
        .args(["verify", &t, "--secret", "env:JWT_BYTES", "--now", NOW, "--json"])
        .env("JWT_BYTES", std::ffi::OsStr::from_bytes(&secret))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let j: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(j["claims"]["sub"], "bytes");
}

/// `jwk convert secret.jwk --to jwk` ("default: public only") printed the HMAC secret's `k`.
#[test]
fn jwk_convert_prints_a_secret_only_with_private() {
    let env = Env::new();
    let k = b64u(SECRET.as_bytes());
    env.write("hs.jwk", format!(r#"{{"kty":"oct","k":"{k}","kid":"hs"}}"#));
    let r = env.run(&["jwk", "convert", "hs.jwk", "--to", "jwk"]).code(2);
    assert!(!r.stdout.contains(&k) && !r.stderr.contains(&k), "{r:?}");
    assert!(
        r.stderr
            .contains("an HMAC secret has no public part: add --private to print the secret"),
        "{}",
        r.stderr
    );
    let r = env
        .run(&["jwk", "convert", "hs.jwk", "--to", "pem", "--private"])
        .code(2);
    assert!(
        r.stderr.contains("an HMAC secret has no PEM form: use --to jwk"),
        "{}",
        r.stderr
    );
    let r = env
        .run(&["jwk", "convert", "hs.jwk", "--to", "jwk", "--private"])
        .code(0);
    assert_eq!(r.json()["k"], k.as_str());
}

/// `encrypt --help` and `decrypt --help` described `--secret` as an "HMAC secret" only, while
/// it is the symmetric key or PBES2 password of a JWE there.
#[test]
fn secret_help_names_the_jwe_uses() {
    let env = Env::new();
    for cmd in ["encrypt", "decrypt"] {
        let r = env.run(&[cmd, "--help"]).code(0);
        assert!(r.stdout.contains("PBES2 password"), "{cmd}: {}", r.stdout);
    }
}

/// `verify --json` printed the full RFC 7638 thumbprint of an HMAC secret or PBES2 password: an
/// unsalted SHA-256 of the secret, which lets anyone who sees the output test guesses offline.
#[test]
fn no_hash_of_a_secret_in_output() {
    let env = Env::new();
    let t = env.hs256(&["--sub", "x"]);
    let secret = format!("b64url:{}", b64u(SECRET.as_bytes()));
    let ok = env.run(&["verify", &t, "--secret", &secret, "--json"]).code(0);
    let j = ok.json();
    assert_eq!(j["key"]["thumbprint"], Value::Null, "{j}");
    let thumbprint = jwtkit::Key::hmac(SECRET.as_bytes().to_vec())
        .thumbprint()
        .to_string();
    assert!(!ok.stdout.contains(&thumbprint), "{}", ok.stdout);
    let bad = env
        .run(&[
            "verify",
            &t,
            "--secret",
            "wrong-secret-wrong-secret-wrong-secret",
            "--json",
        ])
        .code(1);
    let j = bad.json();
    let attempts = j["diagnosis"]["attempts"].as_array().expect("attempts").clone();
    assert!(!attempts.is_empty(), "{j}");
    for a in &attempts {
        assert_eq!(a["thumbprint"], Value::Null, "{a}");
        assert!(a["key"].as_str().unwrap().starts_with("secret of "), "{a}");
    }
    let human = env
        .run(&["verify", &t, "--secret", &secret, "--no-color"])
        .code(0);
    assert!(
        human.stdout.contains("(HS256 with secret of "),
        "{}",
        human.stdout
    );
}

/// `sign --claim exp=soon` wrote a string `exp`, which every verifier rejects.
#[test]
fn sign_refuses_time_claims_that_are_not_numbers() {
    let env = Env::new();
    let secret = format!("b64url:{}", b64u(SECRET.as_bytes()));
    for (flag, value) in [
        ("--claim", "exp=soon"),
        ("--claim", "nbf=\"1700000000\""),
        ("--claims", r#"{"iat":"now"}"#),
    ] {
        let r = env
            .run(&["sign", "--alg", "HS256", "--secret", &secret, flag, value])
            .code(2);
        assert!(
            r.stderr.contains("must be a NumericDate"),
            "{value}: {}",
            r.stderr
        );
        assert!(r.stdout.is_empty(), "{value}: no token printed: {}", r.stdout);
    }
    let ok = env
        .run(&[
            "sign",
            "--alg",
            "HS256",
            "--secret",
            &secret,
            "--claim",
            "exp=4102444800",
            "--json",
        ])
        .code(0);
    assert_eq!(ok.json()["claims"]["exp"], 4_102_444_800u64);
}

/// `decrypt` with the recipient's public key exited 1 (an invalid token) instead of 3 (a key
/// problem of the caller).
#[test]
fn decrypt_with_a_public_key_is_a_key_error() {
    let env = Env::new();
    env.run(&[
        "keygen",
        "--alg",
        "RSA-OAEP-256",
        "--out",
        "k.jwk",
        "--public-out",
        "k.pub.jwk",
    ])
    .code(0);
    let jwe = env
        .run(&[
            "encrypt",
            "hello",
            "--key",
            "k.pub.jwk",
            "--alg",
            "RSA-OAEP-256",
            "--enc",
            "A128GCM",
        ])
        .code(0)
        .stdout
        .trim()
        .to_string();
    let r = env
        .run(&["decrypt", &jwe, "--key", "k.pub.jwk", "--json"])
        .code(3);
    let j = r.json();
    assert_eq!(j["error"]["kind"], "key_mismatch", "{j}");
    assert_eq!(j["error"]["fault"], "caller", "{j}");
    assert!(
        j["error"]["message"]
            .as_str()
            .unwrap()
            .contains("needs the recipient's private key"),
        "{j}"
    );
    let ok = env.run(&["decrypt", &jwe, "--key", "k.jwk"]).code(0);
    assert_eq!(ok.stdout.trim(), "hello");
}

/// `decode` of a JWE said "signature NOT verified" (there is no signature to see; nothing was decrypted).
#[test]
fn decode_of_a_jwe_says_not_decrypted() {
    let env = Env::new();
    let jwe = env
        .run(&[
            "encrypt",
            "hello",
            "--secret",
            "b64url:AAAAAAAAAAAAAAAAAAAAAA",
            "--alg",
            "dir",
            "--enc",
            "A128GCM",
        ])
        .code(0)
        .stdout
        .trim()
        .to_string();
    let r = env.run(&["decode", &jwe, "--no-color"]).code(0);
    assert!(
        r.stdout.starts_with("JWE compact — NOT decrypted or verified"),
        "{}",
        r.stdout
    );
    assert!(!r.stdout.contains("signature NOT verified"), "{}", r.stdout);
    let j = env.run(&["decode", &jwe, "--json"]).code(0).json();
    assert_eq!(j["verified"], false);
    assert!(
        j["note"]
            .as_str()
            .unwrap()
            .starts_with("NOT decrypted or verified"),
        "{j}"
    );
}

/// `verify --alg RSA-OAEP` on a signed token listed only JWS algorithms, without saying why.
#[test]
fn jwe_alg_for_a_signed_token_is_explained() {
    let env = Env::new();
    let t = env.hs256(&["--sub", "x"]);
    let secret = format!("b64url:{}", b64u(SECRET.as_bytes()));
    let r = env
        .run(&["verify", &t, "--secret", &secret, "--alg", "RSA-OAEP"])
        .code(2);
    assert!(
        r.stderr
            .contains("it is a JWE key management algorithm, and this token is signed, not encrypted"),
        "{}",
        r.stderr
    );
}

/// `--secret-prompt` without a terminal failed with "No such device or address" (exit 3).
#[test]
fn secret_prompt_without_a_terminal_says_what_to_use() {
    // setsid: a new session without a controlling terminal, as in CI or cron.
    let out = std::process::Command::new("setsid")
        .arg(env!("CARGO_BIN_EXE_jwtkit"))
        .args(["sign", "--alg", "HS256", "--secret-prompt"])
        .stdin(std::process::Stdio::null())
        .output()
        .expect("setsid (util-linux) runs");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--secret-prompt needs a terminal; without one use --secret env:VAR"),
        "{err}"
    );
}

// Issue 14: the CLI's rough edges found while installing it as a new user would.

/// `jwks show` exited 0 whatever it found, while `lint` exits 1 on a high finding.
#[test]
fn jwks_show_reports_high_findings_and_fails_on_them_when_asked() {
    let env = Env::new();
    let public: Value = serde_json::from_str(&env.read("es256.pub.jwk")).unwrap();
    let private: Value = serde_json::from_str(&env.read("es256.jwk")).unwrap();
    env.write("public.jwks", serde_json::json!({"keys": [public]}).to_string());
    env.write("leaked.jwks", serde_json::json!({"keys": [private]}).to_string());

    let r = env
        .run(&["jwks", "show", "public.jwks", "--json", "--fail-on-high"])
        .code(0);
    assert_eq!(r.json()["high"], false);
    // An inspection: a set that reads exits 0 whatever it holds, the finding says what is wrong.
    let r = env.run(&["jwks", "show", "leaked.jwks", "--json"]).code(0);
    let v = r.json();
    assert_eq!(v["high"], true);
    assert_eq!(v["findings"][0]["id"], "private_key_in_set");
    assert_eq!(v["findings"][0]["severity"], "high");
    let r = env
        .run(&["jwks", "show", "leaked.jwks", "--no-color", "--fail-on-high"])
        .code(1);
    assert!(r.stdout.contains("[high] private_key_in_set:"), "{}", r.stdout);
    let help = env.run(&["jwks", "show", "--help"]).code(0).stdout;
    assert!(help.contains("--fail-on-high"), "{help}");
}

/// `--secret` had one help on every command: "HMAC secret (for a JWE: …PBES2 password)", on
/// `sign` and `lint` too, which never touch a JWE, and "HMAC" on `encrypt`, which is no HMAC.
#[test]
fn issue_14_secret_help_speaks_of_the_command_it_is_on() {
    let env = Env::new();
    let secret_help = |cmd: &str| -> String {
        let help = env.run(&[cmd, "--help"]).code(0).stdout;
        let start = help
            .find("--secret <S>")
            .unwrap_or_else(|| panic!("{cmd}: {help}"));
        let rest = &help[start..];
        let end = rest.find("--secret-prompt").unwrap();
        rest[..end].split_whitespace().collect::<Vec<_>>().join(" ")
    };
    let forms = "`text`, `@path` (file bytes as is), `env:VAR`, `b64:…`, `b64url:…`, or `-`";
    let sign = secret_help("sign");
    assert!(
        sign.starts_with("--secret <S> HMAC secret to sign with (HS256/384/512): "),
        "{sign}"
    );
    let lint = secret_help("lint");
    assert!(
        lint.starts_with("--secret <S> HMAC secret of an HS* token, checked"),
        "{lint}"
    );
    for (cmd, h) in [("sign", &sign), ("lint", &lint)] {
        assert!(!h.contains("JWE") && !h.contains("PBES2"), "{cmd}: {h}");
    }
    for cmd in ["encrypt", "decrypt"] {
        let h = secret_help(cmd);
        assert!(
            h.starts_with(&format!(
                "--secret <S> The symmetric key of dir/A*KW/A*GCMKW, or the PBES2 password, to {cmd} with: "
            )),
            "{h}"
        );
        assert!(!h.contains("HMAC"), "{cmd}: {h}");
    }
    let verify = secret_help("verify");
    assert!(
        verify.contains("HMAC secret (HS256/384/512); for a JWE,"),
        "{verify}"
    );
    for h in [sign, lint, verify] {
        assert!(h.contains(forms), "{h}");
    }
}

/// The diagnosis listed `tried kid "es-1" with ES256: verified` under INVALID (the algorithm
/// was not allowed), and said nothing when no usual mistake matched.
#[test]
fn issue_14_diagnosis_says_why_a_key_that_verifies_still_failed() {
    let env = Env::new();
    let token = env.sign(&["--alg", "ES256", "--key", "es256.jwk"], &["--sub", "a"]);
    let r = env
        .run(&[
            "verify",
            &token,
            "--key",
            "es256.pub.jwk",
            "--alg",
            "ES384",
            "--now",
            NOW,
        ])
        .code(1);
    let diagnosis: Vec<&str> = r
        .stdout
        .split("Diagnosis\n")
        .nth(1)
        .unwrap()
        .lines()
        .take(2)
        .collect();
    assert_eq!(
        diagnosis,
        [
            "  tried kid \"es-1\" with ES256: the signature verifies, but the token was still rejected: alg_not_allowed: alg ES256 is not in the allowed algorithms (ES384)",
            "  [alg_not_allowed] the token uses ES256, which is not in the allowed algorithms (ES384)",
        ]
    );
    assert!(
        !r.stdout.lines().any(|l| l.ends_with(": verified")),
        "{}",
        r.stdout
    );
}

#[test]
fn issue_14_diagnosis_says_when_none_of_the_usual_mistakes_matched() {
    let env = Env::new();
    let token = env.sign(&["--alg", "RS256", "--key", "rs256.jwk"], &["--sub", "a"]);
    // Another valid RS256 signature: the same header and key, other claims.
    let other = env.sign(&["--alg", "RS256", "--key", "rs256.jwk"], &["--sub", "b"]);
    let forged = format!(
        "{}.{}",
        token.rsplit_once('.').unwrap().0,
        other.rsplit_once('.').unwrap().1
    );
    let r = env
        .run(&["verify", &forged, "--key", "rs256.pub.jwk", "--now", NOW])
        .code(1);
    let diagnosis: Vec<&str> = r
        .stdout
        .split("Diagnosis\n")
        .nth(1)
        .unwrap()
        .lines()
        .take(3)
        .collect();
    assert_eq!(
        diagnosis,
        [
            "  tried kid \"rs-1\" with RS256: bad_signature",
            "  none of the usual mistakes matched",
            "",
        ]
    );
}

/// `jwtkit --help` said tokens come from the argument or stdin, not that `@FILE` works.
#[test]
fn issue_14_top_level_help_names_file_and_stdin_inputs() {
    let env = Env::new();
    let help = env.run(&["--help"]).code(0).stdout;
    let help = help.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        help.contains("Tokens are read from the argument, from a file (`@FILE`, or the path of an existing file), or from standard input when the argument is absent or `-`"),
        "{help}"
    );
    assert!(
        help.contains("Secrets take `@FILE`, `env:VAR` or `-` (stdin) too"),
        "{help}"
    );
}
