//! The attack vectors of the core (`crates/jwtkit/tests/attacks/*.json`) through `jwtkit verify
//! --json`, and each diagnosis hint as the CLI reports it (`diagnosis.hints[].id`).

mod common;

use common::{Env, b64u};
use serde_json::{Value, json};

fn attack_cases() -> Vec<Value> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../jwtkit/tests/attacks");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files
        .iter()
        .filter(|f| f.extension().is_some_and(|e| e == "json"))
        .flat_map(|f| serde_json::from_slice::<Vec<Value>>(&std::fs::read(f).unwrap()).unwrap())
        .collect()
}

/// Same construction as the core driver (`token_build`: prefix, fill, suffix, exact size, and
/// an HMAC over the first two segments when asked).
fn token_of(case: &Value) -> String {
    if let Some(t) = case["token"].as_str() {
        return t.to_string();
    }
    let b = &case["token_build"];
    let (prefix, fill, suffix) = (
        b["prefix"].as_str().unwrap(),
        b["fill"].as_str().unwrap(),
        b["suffix"].as_str().unwrap(),
    );
    let total = b["total_bytes"].as_u64().unwrap() as usize;
    match b["hmac"].as_str() {
        None => format!(
            "{prefix}{}{suffix}",
            fill.repeat(total - prefix.len() - suffix.len())
        ),
        Some(alg) => {
            assert_eq!(alg, "HS256");
            let input = format!("{prefix}{}", fill.repeat(total - prefix.len() - 1 - 43));
            let secret = case["key"]["secret_utf8"].as_str().unwrap().as_bytes();
            let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, secret);
            let sig = aws_lc_rs::hmac::sign(&key, input.as_bytes());
            format!("{input}.{}", b64u(sig))
        }
    }
}

fn argv(env: &Env, case: &Value) -> Vec<String> {
    let mut a: Vec<String> = vec!["verify".into(), "--json".into()];
    let k = &case["key"];
    if let Some(s) = k["secret_utf8"].as_str() {
        a.extend(["--secret".into(), format!("b64url:{}", b64u(s))]);
    } else if let Some(p) = k["pem"].as_str() {
        a.extend(["--key".into(), env.write("key.pem", p)]);
    } else if let Some(j) = k.get("jwk") {
        a.extend(["--key".into(), env.write("key.jwk", j.to_string())]);
    } else {
        a.extend(["--key".into(), env.write("key.jwks", k["jwks"].to_string())]);
    }
    let o = &case["options"];
    a.extend([
        "--now".into(),
        o["now"].to_string(),
        "--leeway".into(),
        format!("{}s", o["leeway"]),
    ]);
    for alg in o["algorithms"].as_array().into_iter().flatten() {
        a.extend(["--alg".into(), alg.as_str().unwrap().into()]);
    }
    for (opt, flag) in [
        ("iss", "--iss"),
        ("aud", "--aud"),
        ("sub", "--sub"),
        ("typ", "--typ"),
    ] {
        if let Some(v) = o[opt].as_str() {
            a.extend([flag.into(), v.into()]);
        }
    }
    for c in o["required_claims"].as_array().into_iter().flatten() {
        a.extend(["--require".into(), c.as_str().unwrap().into()]);
    }
    if let Some(m) = o["max_age"].as_u64() {
        a.extend(["--max-age".into(), format!("{m}s")]);
    }
    if case["op"] == "verify_jws" {
        a.push("--jws".into());
    }
    a
}

/// Where the CLI deliberately differs from the library: it finds the token in pasted text
/// first (PRODUCT.md), so whitespace inside a token is removed with a note, and an empty input
/// is a usage error. Each entry: (id, expected exit code, expected kind or None for valid,
/// expected warning).
const CLI_DIFFERS: &[(&str, i32, Option<&str>, Option<&str>)] = &[
    (
        "whitespace-in-signature",
        0,
        None,
        Some("removed 1 whitespace character or line break inside the token"),
    ),
    (
        "space-in-payload",
        0,
        None,
        Some("removed 1 whitespace character or line break inside the token"),
    ),
    ("segments-empty-token", 2, Some("usage"), None),
];

#[test]
fn attack_vectors_through_the_cli() {
    let env = Env::new();
    let mut failures = Vec::new();
    let cases = attack_cases();
    assert!(cases.len() >= 140);
    for case in &cases {
        let id = case["id"].as_str().unwrap();
        let args = argv(&env, case);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let r = env.stdin(&args, token_of(case));
        let (code, kind, warning) = match CLI_DIFFERS.iter().find(|d| d.0 == id) {
            Some(&(_, code, kind, warning)) => (code, kind, warning),
            None => {
                let kind = case["expected_error"].as_str();
                let code = match kind {
                    None => 0,
                    Some(k) if k.parse::<jwtkit::ErrorKind>().unwrap().fault() == jwtkit::Fault::Token => 1,
                    Some(_) => 3,
                };
                (code, kind, None)
            }
        };
        let j: Value = serde_json::from_str(&r.stdout).unwrap_or(Value::Null);
        let got_kind = j["error"]["kind"].as_str();
        let ok = r.code == code
            && got_kind == kind
            && (kind.is_some() || j["valid"] == true)
            && warning.is_none_or(|w| j["warnings"].as_array().is_some_and(|a| a.iter().any(|x| x == w)));
        println!("{id}: exit {} {}", r.code, got_kind.unwrap_or("valid"));
        if !ok {
            failures.push(format!(
                "{id}: exit {} kind {got_kind:?}, expected exit {code} kind {kind:?}; stderr {}",
                r.code,
                r.stderr.trim()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} vectors differ through the CLI:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

// ---- diagnosis hints ------------------------------------------------------------------------------

fn hints(j: &Value) -> Vec<String> {
    j["diagnosis"]["hints"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["id"].as_str().unwrap().to_string())
        .collect()
}

fn hint_message<'a>(j: &'a Value, id: &str) -> &'a str {
    j["diagnosis"]["hints"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["id"] == id)
        .unwrap()["message"]
        .as_str()
        .unwrap()
}

/// The secret typed as text, but the token was signed with its base64-decoded bytes (and the
/// reverse).
#[test]
fn hint_secret_text_vs_base64() {
    let env = Env::new();
    let text = "c2VjcmV0LWtleS1tYXRlcmlhbC1vZi0zMi1ieXRlcy0hIQ"; // base64url of 34 bytes
    let signed_decoded = env.sign(&[], &["--alg", "HS256", "--secret", &format!("b64url:{text}")]);
    let j = env
        .run(&["verify", &signed_decoded, "--secret", text, "--json"])
        .code(1)
        .json();
    assert_eq!(j["error"]["kind"], "bad_signature");
    assert_eq!(hints(&j), ["secret_is_base64"]);
    assert_eq!(
        hint_message(&j, "secret_is_base64"),
        "the secret was given as text, but the token was signed with its base64-decoded bytes: use --secret b64:<the same text>"
    );
    let signed_text = env.sign(&[], &["--alg", "HS256", "--secret", text]);
    let j = env
        .run(&[
            "verify",
            &signed_text,
            "--secret",
            &format!("b64url:{text}"),
            "--json",
        ])
        .code(1)
        .json();
    assert_eq!(hints(&j), ["secret_is_text"]);
}

/// A secret file with a trailing newline, where the token was signed without it.
#[test]
fn hint_secret_whitespace() {
    let env = Env::new();
    let t = env.sign(&[], &["--alg", "HS256", "--secret", common::SECRET]);
    env.write("secret.txt", format!("{}\n", common::SECRET));
    let j = env
        .run(&["verify", &t, "--secret", "@secret.txt", "--json"])
        .code(1)
        .json();
    assert_eq!(hints(&j), ["secret_whitespace"]);
}

/// HS256 MACed with the RSA public key PEM (jwtkit's and OpenSSL's own PEM text): refused, and
/// named as the algorithm-confusion attack.
#[test]
fn hint_public_key_as_hmac_secret() {
    let env = Env::new();
    for pem in ["rs256.pub.pem", "openssl.pub.pem"] {
        if pem.starts_with("openssl") {
            let out = std::process::Command::new("openssl")
                .args(["rsa", "-in", "/dev/stdin", "-pubout", "-out", pem])
                .current_dir(env.dir.path())
                .stdin(std::process::Stdio::piped())
                .spawn()
                .and_then(|mut c| {
                    use std::io::Write as _;
                    let private = env
                        .run(&["jwk", "convert", "rs256.jwk", "--to", "pem", "--private"])
                        .code(0)
                        .stdout;
                    c.stdin.take().unwrap().write_all(private.as_bytes())?;
                    c.wait()
                })
                .expect("openssl CLI");
            assert!(out.success());
        }
        let t = env.sign(
            &[],
            &[
                "--alg",
                "HS256",
                "--secret",
                &format!("@{pem}"),
                "--insecure-allow-public-key-secret",
                "--sub",
                "admin",
            ],
        );
        let j = env.run(&["verify", &t, "--key", pem, "--json"]).code(1).json();
        assert_eq!(j["error"]["kind"], "alg_not_allowed", "{pem}");
        assert_eq!(
            hints(&j),
            ["alg_not_allowed", "public_key_as_hmac_secret"],
            "{pem}"
        );
        assert!(
            hint_message(&j, "public_key_as_hmac_secret")
                .starts_with("ATTACK: this HS256 token is MACed with the PEM text")
        );
        // Even when the caller carelessly allows HS256: the key's family refuses.
        let j = env
            .run(&[
                "verify", &t, "--key", pem, "--alg", "RS256", "--alg", "HS256", "--json",
            ])
            .code(1)
            .json();
        assert_eq!(j["error"]["kind"], "key_mismatch");
        assert_eq!(hints(&j), ["public_key_as_hmac_secret"]);
    }
}

/// An ES256 signature made by `openssl dgst` (ASN.1 DER) instead of raw r‖s.
#[test]
fn hint_ecdsa_der_signature() {
    let env = Env::new();
    let pem = env
        .run(&["jwk", "convert", "es256.jwk", "--to", "pem", "--private"])
        .code(0)
        .stdout;
    env.write("es.key", pem);
    let input = format!(
        "{}.{}",
        b64u(r#"{"alg":"ES256","kid":"es-1"}"#),
        b64u(r#"{"sub":"der"}"#)
    );
    env.write("input.txt", &input);
    let out = std::process::Command::new("openssl")
        .args(["dgst", "-sha256", "-sign", "es.key", "input.txt"])
        .current_dir(env.dir.path())
        .output()
        .expect("openssl CLI");
    assert!(out.status.success());
    assert_eq!(out.stdout[0], 0x30, "openssl writes DER");
    let j = env
        .run(&[
            "verify",
            &format!("{input}.{}", b64u(&out.stdout)),
            "--key",
            "es256.pub.jwk",
            "--json",
        ])
        .code(1)
        .json();
    assert_eq!(j["error"]["kind"], "bad_signature");
    assert_eq!(hints(&j), ["ecdsa_der_signature"]);
}

/// `kid` not in the set (the kids present are listed), and the right key under the wrong kid.
#[test]
fn hint_kid_not_in_set_and_wrong_kid() {
    let env = Env::new();
    let t = env.sign(&["--alg", "ES256", "--key", "es256.jwk"], &["--kid", "es-9"]);
    let j = env
        .run(&["verify", &t, "--key", "mixed.jwks", "--json"])
        .code(1)
        .json();
    assert_eq!(j["error"]["kind"], "key_not_found");
    assert_eq!(j["error"]["available"], json!(["rs-1", "es-1", "ed-1"]));
    assert_eq!(hints(&j), ["wrong_kid", "kid_not_in_set"]);
    assert!(hint_message(&j, "kid_not_in_set").contains("(kids present: rs-1, es-1, ed-1)"));
    // Two EC keys; the token names es-2 but was signed by es-1.
    env.run(&[
        "keygen",
        "--alg",
        "ES256",
        "--kid",
        "es-2",
        "--out",
        "es2.jwk",
        "--public-out",
        "es2.pub.jwk",
    ])
    .code(0);
    let set = json!({"keys": [
        serde_json::from_str::<Value>(&env.read("es256.pub.jwk")).unwrap(),
        serde_json::from_str::<Value>(&env.read("es2.pub.jwk")).unwrap(),
    ]});
    env.write("two.jwks", set.to_string());
    let t = env.sign(&["--alg", "ES256", "--key", "es256.jwk"], &["--kid", "es-2"]);
    let j = env
        .run(&["verify", &t, "--key", "two.jwks", "--json"])
        .code(1)
        .json();
    assert_eq!(j["error"]["kind"], "bad_signature");
    assert_eq!(hints(&j), ["wrong_kid"]);
    assert!(
        hint_message(&j, "wrong_kid")
            .starts_with("the signature verifies with kid \"es-1\", but the token names kid \"es-2\"")
    );
    let attempts: Vec<&str> = j["diagnosis"]["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(
        attempts,
        ["verified (but its kid differs from the token's)", "bad_signature"]
    );
}

/// Re-encoded tokens (padding, standard alphabet) and whitespace: the CLI removes whitespace
/// before verifying (with a note), so `whitespace_in_token` shows as a warning, not a hint.
#[test]
fn hint_token_reencoded_and_whitespace() {
    let env = Env::new();
    let t = env.sign(&["--alg", "EdDSA", "--key", "ed25519.jwk"], &["--sub", "alice"]);
    let (hp, sig) = t.rsplit_once('.').unwrap();
    let padded = format!(
        "{hp}.{}",
        sig.replace('-', "+").replace('_', "/") + &"=".repeat((4 - sig.len() % 4) % 4)
    );
    assert_ne!(padded, t);
    let j = env
        .run(&["verify", &padded, "--key", "ed25519.pub.jwk", "--json"])
        .code(1)
        .json();
    assert_eq!(j["error"]["kind"], "bad_base64");
    assert_eq!(hints(&j), ["token_reencoded"]);
    let spaced = format!("{} {}", &t[..30], &t[30..]);
    let j = env
        .run(&["verify", &spaced, "--key", "ed25519.pub.jwk", "--json"])
        .code(0)
        .json();
    assert_eq!(j["valid"], true);
    assert_eq!(
        j["warnings"],
        json!(["removed 1 whitespace character or line break inside the token"])
    );
}

/// A signature valid under another algorithm of the key's family than the header says.
#[test]
fn hint_alg_mislabelled() {
    let env = Env::new();
    let pem = env
        .run(&["jwk", "convert", "rs256.jwk", "--to", "pem", "--private"])
        .code(0)
        .stdout;
    env.write("rsa.key", pem);
    let input = format!("{}.{}", b64u(r#"{"alg":"RS384"}"#), b64u(r#"{"sub":"x"}"#));
    env.write("input.txt", &input);
    let out = std::process::Command::new("openssl")
        .args(["dgst", "-sha256", "-sign", "rsa.key", "input.txt"])
        .current_dir(env.dir.path())
        .output()
        .expect("openssl CLI");
    let j = env
        .run(&[
            "verify",
            &format!("{input}.{}", b64u(&out.stdout)),
            "--key",
            "rs256.pub.pem",
            "--json",
        ])
        .code(1)
        .json();
    assert_eq!(j["error"]["kind"], "bad_signature");
    assert_eq!(hints(&j), ["alg_mislabelled"]);
}

/// Regression: `sign --kid` with a single key failed with "cannot sign …: no key given".
#[test]
fn sign_kid_sets_the_header_and_chooses_among_keys() {
    let env = Env::new();
    let t = env.sign(&["--alg", "EdDSA", "--key", "ed25519.jwk"], &["--kid", "other"]);
    let j = env.run(&["decode", &t, "--json"]).code(0).json();
    assert_eq!(j["header"]["kid"], "other");
    env.run(&["keygen", "--alg", "ES256", "--kid", "es-2", "--out", "es2.jwk"])
        .code(0);
    let two = ["sign", "--alg", "ES256", "--key", "es256.jwk", "--key", "es2.jwk"];
    let r = env.run(&two).code(2);
    assert_eq!(
        r.stderr,
        "jwtkit: usage: several keys can sign: choose one with --kid\n"
    );
    let t = env.run(&[&two[..], &["--kid", "es-2"]].concat()).code(0).stdout;
    env.run(&["verify", t.trim(), "--key", "es2.jwk"]).code(0);
    let r = env.run(&[&two[..], &["--kid", "es-3"]].concat()).code(2);
    assert_eq!(
        r.stderr,
        "jwtkit: usage: no key with kid \"es-3\" among the 2 keys that can sign ES256\n"
    );
}
