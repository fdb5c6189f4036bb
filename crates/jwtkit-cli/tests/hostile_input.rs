//! Hostile and mistyped input as a new user meets it, each test named after what it checks: terminal escapes from
//! tokens and key sets, documented values starting with '-', exit codes of `sign`/`encrypt`,
//! flags `keygen` ignored, private keys written into existing readable files, mistyped token
//! file names.

mod common;

use common::*;
use serde_json::{Value, json};

/// ESC (CSI, OSC title and clipboard), a C1 CSI (U+009B) and a right-to-left override.
const HOSTILE: &str = "\u{1b}]52;c;cHduZWQ=\u{7}\u{1b}[2J\u{9b}31m\u{202e}exe.txt";

fn raw_controls(text: &str) -> Vec<char> {
    text.chars()
        .filter(|&c| {
            (c.is_control() && c != '\n' && c != '\t')
                || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
        })
        .collect()
}

fn hostile_token() -> String {
    let header = json!({"alg": HOSTILE, "kid": HOSTILE, "typ": HOSTILE});
    let claims = json!({"iss": HOSTILE, "sub": HOSTILE, HOSTILE: "key too"});
    format!("{}.{}.c2ln", b64u(header.to_string()), b64u(claims.to_string()))
}

/// `decode` printed a token's `alg` raw in its Signature line, and C1 / bidirectional controls in
/// claims reached the terminal everywhere (serde_json escapes only C0).
#[test]
fn terminal_escapes_from_a_token_never_reach_the_terminal() {
    let env = Env::new();
    let t = hostile_token();
    for args in [
        vec!["decode", t.as_str(), "--no-color"],
        vec!["lint", t.as_str()],
        vec!["verify", t.as_str(), "--secret", SECRET, "--alg", "HS256"],
        vec!["verify", t.as_str(), "--key", "es256.pub.jwk"],
    ] {
        let r = env.run(&args);
        assert!(r.code == 1 || r.code == 0, "{args:?}: {r:?}");
        assert_eq!(
            raw_controls(&r.stdout),
            Vec::<char>::new(),
            "{args:?} stdout:\n{}",
            r.stdout
        );
        assert_eq!(
            raw_controls(&r.stderr),
            Vec::<char>::new(),
            "{args:?} stderr:\n{}",
            r.stderr
        );
    }
    let human = env.run(&["decode", &t, "--no-color"]).code(1);
    assert!(
        human
            .stdout
            .contains(r#""sub": "\u001b]52;c;cHduZWQ=\u0007\u001b[2J\u009b31m\u202eexe.txt""#),
        "{}",
        human.stdout
    );
    assert!(
        human
            .stdout
            .contains(r"bytes (\u{1b}]52;c;cHduZWQ=\u{7}\u{1b}[2J\u{9b}31m\u{202e}exe.txt)"),
        "{}",
        human.stdout
    );
    // --json: the same values after parsing, and none of the characters raw in the text.
    let r = env.run(&["decode", &t, "--json"]).code(1);
    assert_eq!(raw_controls(&r.stdout), Vec::<char>::new(), "{}", r.stdout);
    let j = r.json();
    assert_eq!(j["header"]["alg"], HOSTILE);
    assert_eq!(j["claims"]["sub"], HOSTILE);
    assert_eq!(j["claims"][HOSTILE], "key too");
}

/// `jwtkit jwks show` printed `kid`, `kty` and `alg` of a (possibly fetched) JWK Set raw.
#[test]
fn terminal_escapes_from_a_jwk_set_never_reach_the_terminal() {
    let env = Env::new();
    let mut public: Value = serde_json::from_str(&env.read("es256.pub.jwk")).unwrap();
    public["kid"] = json!(HOSTILE);
    let set = json!({"keys": [public, {"kty": HOSTILE, "kid": "x"}, {"kty": "EC", "alg": HOSTILE}]});
    env.write("evil.jwks", set.to_string());
    let r = env.run(&["jwks", "show", "evil.jwks"]).code(0);
    assert_eq!(raw_controls(&r.stdout), Vec::<char>::new(), "{}", r.stdout);
    assert!(r.stdout.contains(r"\u{1b}]52;c;cHduZWQ=\u{7}"), "{}", r.stdout);
    let r = env.run(&["jwk", "thumbprint", "evil.jwks"]);
    assert_eq!(raw_controls(&r.stdout), Vec::<char>::new(), "{}", r.stdout);
    assert_eq!(raw_controls(&r.stderr), Vec::<char>::new(), "{}", r.stderr);
    let r = env.run(&["jwk", "public", "evil.jwks"]).code(0);
    assert_eq!(raw_controls(&r.stdout), Vec::<char>::new(), "{}", r.stdout);
    assert_eq!(r.json()["kid"], HOSTILE);
}

/// README: "`--now` takes … `+1h`/`-30m`", but clap refused `--now -30m` (and `--nbf -5m`,
/// `--kid -…`, which thumbprint kids start with one time in 64).
#[test]
fn values_starting_with_a_dash_are_accepted() {
    let env = Env::new();
    let t = env.hs256(&["--sub", "x", "--nbf", "-5m", "--exp", "+1h", "--kid", "-k1"]);
    let j = env.run(&["decode", &t, "--json"]).code(0).json();
    assert_eq!(j["header"]["kid"], "-k1");
    // env.hs256 signs at 2026-11-29T17:00:00Z.
    assert_eq!(j["claims"]["nbf"].as_i64(), Some(1_795_971_600 - 300));
    assert_eq!(j["claims"]["exp"].as_i64(), Some(1_795_971_600 + 3600));
    // Relative to the system clock: valid or not depending on the day, but never a usage error.
    let secret = format!("b64url:{}", b64u(SECRET.as_bytes()));
    let r = env.run(&["verify", &t, "--secret", &secret, "--now", "-30m", "--json"]);
    assert!(r.code == 0 || r.code == 1, "{r:?}");
    assert_eq!(r.json()["alg"], "HS256");
    env.run(&["decode", &t, "--now", "-1d"]).code(0);
    // A secret starting with '-' still needs '=' (else `--secret --json` would be a secret):
    // the hint says so instead of clap's `-- -abc`.
    let r = env.run(&["verify", &t, "--secret", "-abc"]).code(2);
    assert!(
        r.stderr
            .contains("a value that starts with '-' is joined to its option with '=': --secret=VALUE"),
        "{}",
        r.stderr
    );
}

/// `sign` with a public key and `encrypt` to a key of the wrong type exited 1 ("token
/// invalid") although no token was given; `--header alg=none` was silently dropped.
#[test]
fn sign_and_encrypt_key_errors_exit_3_and_flag_headers_are_refused() {
    let env = Env::new();
    let r = env
        .run(&["sign", "--alg", "RS256", "--key", "rs256.pub.jwk", "--json"])
        .code(3);
    let j = r.json();
    assert_eq!(j["error"]["kind"], "key_mismatch");
    assert_eq!(j["error"]["fault"], "caller");
    env.run(&["sign", "--alg", "ES256", "--key", "rs256.jwk"]).code(3);
    env.run(&["encrypt", "hi", "--key", "es256.pub.jwk", "--alg", "RSA-OAEP-256"])
        .code(3);
    let r = env
        .run(&[
            "sign",
            "--alg",
            "ES256",
            "--key",
            "es256.jwk",
            "--header",
            "alg=none",
        ])
        .code(2);
    assert!(
        r.stderr.contains("the alg header is set with --alg"),
        "{}",
        r.stderr
    );
    assert_eq!(r.stdout, "");
    let r = env
        .run(&[
            "encrypt",
            "hi",
            "--key",
            "rs256.pub.jwk",
            "--header",
            "enc=A128GCM",
        ])
        .code(2);
    assert!(
        r.stderr.contains("the enc header is set with --enc"),
        "{}",
        r.stderr
    );
}

/// `keygen --alg ES256 --crv P-384` printed a P-256 key; `--bits 1024` was a "key or config"
/// error (3); `--alg HS256 --out k --public-out p` wrote the secret then failed; a private key
/// written over an existing 0644 file stayed world-readable.
#[test]
fn keygen_refuses_ignored_flags_and_writes_private_keys_0600() {
    let env = Env::new();
    let r = env.run(&["keygen", "--alg", "ES256", "--crv", "P-384"]).code(2);
    assert!(r.stderr.contains("applies to ECDH-ES keys only"), "{}", r.stderr);
    assert_eq!(r.stdout, "");
    env.run(&["keygen", "--alg", "ES256", "--enc", "A128GCM"]).code(2);
    env.run(&["keygen", "--alg", "RS256", "--bits", "1024"]).code(2);
    env.run(&[
        "keygen",
        "--alg",
        "HS256",
        "--out",
        "s.jwk",
        "--public-out",
        "p.jwk",
    ])
    .code(2);
    assert!(!env.path("s.jwk").exists());
    let r = env.run(&["keygen", "--alg", "ECDH-ES", "--crv", "P-384"]).code(0);
    assert_eq!(serde_json::from_str::<Value>(&r.stdout).unwrap()["crv"], "P-384");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        env.write("existing.jwk", "");
        std::fs::set_permissions(env.path("existing.jwk"), std::fs::Permissions::from_mode(0o644)).unwrap();
        env.run(&[
            "keygen",
            "--alg",
            "ES256",
            "--out",
            "existing.jwk",
            "--public-out",
            "pub.jwk",
        ])
        .code(0);
        let mode = |n: &str| std::fs::metadata(env.path(n)).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode("existing.jwk"), 0o600);
        assert_eq!(mode("pub.jwk") & 0o600, 0o600);
        assert!(env.read("existing.jwk").contains("\"d\""));
    }
}

/// `jwtkit decode tokn.jwt` (a typo) decoded the file name as a token without a word; a
/// directory was read as token text.
#[test]
fn mistyped_token_file_names_are_said() {
    let env = Env::new();
    let r = env.run(&["decode", "tokn.jwt"]).code(1);
    assert!(
        r.stderr
            .contains("note: there is no file tokn.jwt: the argument itself is read as the token"),
        "{}",
        r.stderr
    );
    std::fs::create_dir(env.path("dir")).unwrap();
    let r = env.run(&["decode", "dir"]).code(3);
    assert!(r.stderr.contains("dir is a directory"), "{}", r.stderr);
    let t = env.hs256(&["--sub", "x"]);
    let r = env.run(&["decode", &t]).code(0);
    assert!(!r.stderr.contains("there is no file"), "{}", r.stderr);
}

/// A general JWS JSON whose second signature verified showed the first signature's header
/// (another algorithm and kid) under "Header".
#[test]
fn general_json_shows_the_header_of_the_signature_that_verified() {
    let env = Env::new();
    let claims = ["--claims", r#"{"sub":"x"}"#, "--no-iat"];
    let rs = env.sign(&["--alg", "RS256", "--key", "rs256.jwk"], &claims);
    let es = env.sign(&["--alg", "ES256", "--key", "es256.jwk"], &claims);
    let part = |t: &str, i: usize| t.split('.').nth(i).unwrap().to_string();
    assert_eq!(part(&rs, 1), part(&es, 1));
    let general = json!({"payload": part(&rs, 1), "signatures": [
        {"protected": part(&rs, 0), "signature": part(&rs, 2)},
        {"protected": part(&es, 0), "signature": part(&es, 2)},
    ]});
    env.write("general.json", general.to_string());
    let r = env
        .run(&["verify", "@general.json", "--key", "es256.pub.jwk"])
        .code(0);
    let header = r
        .stdout
        .split("Header\n")
        .nth(1)
        .unwrap()
        .split("\n\n")
        .next()
        .unwrap();
    assert!(header.contains("\"alg\": \"ES256\""), "{}", r.stdout);
    assert!(!header.contains("RS256"), "{}", r.stdout);
    let j = env
        .run(&["verify", "@general.json", "--key", "es256.pub.jwk", "--json"])
        .code(0)
        .json();
    assert_eq!(j["header"]["alg"], "ES256");
}

/// A key file over the size or depth limits exited 1 ("token invalid") with `fault: token`.
#[test]
fn oversized_or_too_deep_key_files_exit_3() {
    let env = Env::new();
    let t = env.hs256(&["--sub", "x"]);
    let keys: Vec<Value> = (0..40_000)
        .map(|i| json!({"kty": "oct", "k": "AAAA", "kid": i.to_string()}))
        .collect();
    env.write("many.jwks", json!({ "keys": keys }).to_string());
    env.write(
        "deep.jwks",
        format!("{{\"keys\":{}{}}}", "[".repeat(1000), "]".repeat(1000)),
    );
    for file in ["many.jwks", "deep.jwks"] {
        let r = env.run(&["verify", &t, "--key", file, "--json"]).code(3);
        let j = r.json();
        assert_eq!(j["error"]["kind"], "resource_limit", "{file}");
        assert_eq!(j["error"]["fault"], "caller", "{file}");
        env.run(&["jwk", "thumbprint", file]).code(3);
    }
}

/// `echo $TOKEN | jwtkit verify --secret -` verified with an empty secret (stdin was already
/// consumed by the token), ending in a puzzling bad_signature.
#[test]
fn stdin_is_read_once() {
    let env = Env::new();
    let t = env.hs256(&["--sub", "x"]);
    let r = env.stdin(&["verify", "--secret", "-"], &t).code(2);
    assert!(
        r.stderr
            .contains("stdin was already read for the token; give the secret another way"),
        "{}",
        r.stderr
    );
    let r = env.stdin(&["verify", "-", "--key", "-"], &t).code(2);
    assert!(r.stderr.contains("give the key another way"), "{}", r.stderr);
    // One use of stdin is fine.
    env.stdin(&["verify", &t, "--secret", "-", "--now", NOW], SECRET)
        .code(0);
}

/// Verifying with only a decryption key said "pass --alg", which cannot help; `encrypt --p2c
/// 20000` made a token `jwtkit decrypt` refuses, without a word.
#[test]
fn decryption_only_keys_and_pbes2_counts_are_explained() {
    let env = Env::new();
    let t = env.sign(&["--alg", "ES256", "--key", "es256.jwk"], &["--sub", "x"]);
    let r = env.run(&[
        "keygen",
        "--alg",
        "RSA-OAEP-256",
        "--kid",
        "enc",
        "--out",
        "enc.jwk",
    ]);
    r.code(0);
    let r = env.run(&["verify", &t, "--key", "enc.jwk"]).code(3);
    assert!(
        r.stderr
            .contains("none of the keys can verify a signature: kid \"enc\" (an RSA key)"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("give the signer's key"), "{}", r.stderr);
    let pbes2 = [
        "--secret",
        "correct horse battery staple",
        "--alg",
        "PBES2-HS256+A128KW",
    ];
    let mut args = vec!["encrypt", "hi", "--p2c", "20000"];
    args.extend_from_slice(&pbes2);
    let r = env.run(&args).code(0);
    assert!(
        r.stderr.contains("warning: p2c 20000 is above 10000"),
        "{}",
        r.stderr
    );
    let jwe = r.stdout.trim().to_string();
    let r = env
        .run(&[
            "decrypt",
            &jwe,
            "--secret",
            "correct horse battery staple",
            "--json",
        ])
        .code(1);
    assert_eq!(r.json()["error"]["kind"], "resource_limit");
    let mut args = vec!["encrypt", "hi", "--p2c", "10"];
    args.extend_from_slice(&pbes2);
    assert!(env.run(&args).code(0).stderr.contains("below 1000"));
    let mut args = vec!["encrypt", "hi"];
    args.extend_from_slice(&pbes2);
    assert_eq!(env.run(&args).code(0).stderr, "");
}
