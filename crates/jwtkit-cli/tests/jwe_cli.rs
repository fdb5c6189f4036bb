//! `jwtkit encrypt`, `decrypt`, and `verify`/`decode` on JWE and JSON serializations, through
//! the built binary in a temporary directory: exact exit codes, JSON output values and errors.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

struct Dir(PathBuf);

impl Dir {
    fn new(name: &str) -> Dir {
        let p = std::env::temp_dir().join(format!("jwtkit-jwe-cli-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        Dir(p)
    }
    fn path(&self, f: &str) -> String {
        self.0.join(f).to_str().unwrap().to_string()
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn run(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_jwtkit"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write as _;
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

fn ok(args: &[&str], stdin: &str) -> String {
    let o = run(args, stdin);
    assert!(
        o.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap()
}

fn json(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&o.stdout)))
}

#[test]
fn nested_jwt_encrypt_then_verify() {
    let d = Dir::new("nested");
    let (rsa, rsa_pub, ed) = (d.path("rsa.json"), d.path("rsa.pub.json"), d.path("ed.json"));
    ok(
        &[
            "keygen",
            "--alg",
            "RSA-OAEP-256",
            "--out",
            &rsa,
            "--public-out",
            &rsa_pub,
        ],
        "",
    );
    ok(&["keygen", "--alg", "EdDSA", "--out", &ed], "");
    let jwt = ok(
        &[
            "sign",
            "--alg",
            "EdDSA",
            "--key",
            &ed,
            "--sub",
            "alice",
            "--iss",
            "https://issuer.example",
            "--exp",
            "+1h",
        ],
        "",
    );
    let jwe = ok(&["encrypt", "--key", &rsa_pub], &jwt);
    assert_eq!(jwe.trim().split('.').count(), 5);

    let o = run(
        &[
            "verify",
            "--json",
            "--key",
            &rsa,
            "--key",
            &ed,
            "--iss",
            "https://issuer.example",
        ],
        &jwe,
    );
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stdout));
    let v = json(&o);
    assert_eq!(v["valid"], true);
    assert_eq!(v["alg"], "EdDSA");
    assert_eq!(v["claims"]["sub"], "alice");
    assert_eq!(v["jwe"]["alg"], "RSA-OAEP-256");
    assert_eq!(v["jwe"]["enc"], "A256GCM");
    assert_eq!(v["jwe"]["header"]["cty"], "JWT");

    // Three allowlists: the JWE's enc, the key management alg and the nested JWS alg.
    let o = run(
        &[
            "verify", "--json", "--key", &rsa, "--key", &ed, "--enc", "A128GCM",
        ],
        &jwe,
    );
    assert_eq!(
        (o.status.code(), json(&o)["error"]["kind"].clone()),
        (Some(1), "alg_not_allowed".into())
    );
    let o = run(
        &[
            "verify", "--json", "--key", &rsa, "--key", &ed, "--alg", "RSA-OAEP", "--alg", "EdDSA",
        ],
        &jwe,
    );
    assert_eq!(
        (o.status.code(), json(&o)["error"]["kind"].clone()),
        (Some(1), "alg_not_allowed".into())
    );
    let o = run(
        &[
            "verify",
            "--json",
            "--key",
            &rsa,
            "--key",
            &ed,
            "--alg",
            "RSA-OAEP-256",
            "--alg",
            "ES256",
        ],
        &jwe,
    );
    let v = json(&o);
    assert_eq!(
        (o.status.code(), v["error"]["kind"].clone()),
        (Some(1), "alg_not_allowed".into())
    );
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("nested JWT: "),
        "{v}"
    );
    let o = run(
        &[
            "verify",
            "--json",
            "--key",
            &rsa,
            "--key",
            &ed,
            "--iss",
            "https://other.example",
        ],
        &jwe,
    );
    assert_eq!(json(&o)["error"]["kind"], "bad_issuer");

    // decrypt alone prints the nested JWT and says it is not verified.
    let o = run(&["decrypt", "--key", &rsa], &jwe);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&o.stdout).trim(), jwt.trim());
    assert!(String::from_utf8_lossy(&o.stderr).contains("NOT verified"));
    let v = json(&run(&["decrypt", "--json", "--key", &rsa], &jwe));
    assert_eq!(v["nested"]["claims"]["sub"], "alice");
    assert_eq!(v["nested"]["header"]["alg"], "EdDSA");

    // decode shows the JWE Protected Header and says the content is encrypted.
    let v = json(&run(&["decode", "--json"], &jwe));
    assert_eq!(v["form"], "JWE compact");
    assert_eq!(v["header"]["alg"], "RSA-OAEP-256");
    assert_eq!(v["payload"], "encrypted");
}

#[test]
fn symmetric_algorithms_and_json_serializations() {
    let d = Dir::new("sym");
    let secret = "b64url:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8";
    let t = ok(&["encrypt", "--alg", "dir", "--secret", secret, "hello"], "");
    let v = json(&run(
        &[
            "decrypt", "--json", "--secret", secret, "--alg", "dir", "--enc", "A256GCM",
        ],
        &t,
    ));
    assert_eq!(v["payload"]["utf8"], "hello");
    assert_eq!(v["jwe"]["enc"], "A256GCM"); // chosen from the 32-byte key

    let t = ok(
        &[
            "encrypt",
            "--alg",
            "PBES2-HS256+A128KW",
            "--secret",
            "pass phrase",
            "--p2c",
            "1000",
            "--zip",
        ],
        "{\"a\":1}",
    );
    let v = json(&run(&["decrypt", "--json", "--secret", "pass phrase"], &t));
    assert_eq!(v["claims"]["a"], 1);
    assert_eq!(v["header"]["zip"], "DEF");
    assert_eq!(v["header"]["p2c"], 1000);

    // General JSON, two recipients; each decrypts.
    let (kw, ec) = (d.path("kw.json"), d.path("ec.json"));
    ok(&["keygen", "--alg", "A256KW", "--out", &kw], "");
    ok(
        &[
            "keygen",
            "--alg",
            "ECDH-ES+A128KW",
            "--crv",
            "X25519",
            "--out",
            &ec,
        ],
        "",
    );
    let j = ok(
        &[
            "encrypt",
            "--key",
            &kw,
            "--key",
            &ec,
            "--serialization",
            "json",
            "--aad",
            "ctx",
        ],
        "both",
    );
    let doc: Value = serde_json::from_str(&j).unwrap();
    assert_eq!(doc["recipients"].as_array().unwrap().len(), 2);
    assert_eq!(
        json(&run(&["decrypt", "--json", "--key", &kw], &j))["jwe"]["recipient"],
        0
    );
    let v = json(&run(&["decrypt", "--json", "--key", &ec], &j));
    assert_eq!(
        (v["jwe"]["recipient"].clone(), v["payload"]["utf8"].clone()),
        (1.into(), "both".into())
    );
    let v = json(&run(&["decode", "--json"], &j));
    assert_eq!(v["form"], "JSON serialization");
    assert_eq!(v["header"]["alg"], "A256KW");
    assert!(v["warnings"].to_string().contains("2 recipients"), "{v}");

    // Several keys in compact form is a usage error (exit 2); a JWS alg for decrypt too.
    assert_eq!(
        run(&["encrypt", "--key", &kw, "--key", &ec, "x"], "")
            .status
            .code(),
        Some(2)
    );
    assert_eq!(
        run(&["decrypt", "--key", &kw, "--alg", "HS256"], &t)
            .status
            .code(),
        Some(2)
    );
    // Wrong key: decrypt_failed, exit 1, one fixed message.
    let other = d.path("other.json");
    ok(&["keygen", "--alg", "A256KW", "--out", &other], "");
    let t = ok(&["encrypt", "--key", &kw, "x"], "");
    let o = run(&["decrypt", "--json", "--key", &other], &t);
    // The other key has another kid: key_not_found; without kids the unwrap fails.
    assert_eq!(json(&o)["error"]["kind"], "key_not_found");
    let bare = ok(&["jwk", "convert", &other, "--to", "jwk", "--private"], "");
    let bare_path = d.path("bare.json");
    let mut jwk: Value = serde_json::from_str(&bare).unwrap();
    jwk.as_object_mut().unwrap().remove("kid");
    std::fs::write(&bare_path, jwk.to_string()).unwrap();
    let o = run(&["decrypt", "--json", "--key", &bare_path, "--alg", "A256KW"], &t);
    let v = json(&o);
    assert_eq!(
        (o.status.code(), v["error"]["kind"].clone()),
        (Some(1), "decrypt_failed".into()),
        "{v}"
    );
    assert_eq!(v["error"]["message"], "decryption failed");
}

#[test]
fn rsa1_5_needs_the_insecure_option() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../jwtkit/tests/vectors/rfc7516/jwe.json");
    let cases: Vec<Value> = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    let c = cases
        .iter()
        .find(|c| c["id"] == "rfc7516-a2-rsa1_5-a128cbc-hs256")
        .unwrap();
    let d = Dir::new("rsa15");
    let key = d.path("k.pem");
    std::fs::write(&key, c["key"]["pem"].as_str().unwrap()).unwrap();
    let token = c["token"].as_str().unwrap();
    let o = run(&["decrypt", "--json", "--key", &key], token);
    assert_eq!(
        (o.status.code(), json(&o)["error"]["kind"].clone()),
        (Some(1), "unsupported_alg".into())
    );
    let o = run(&["decrypt", "--json", "--key", &key, "--alg", "RSA-OAEP"], token);
    assert_eq!(json(&o)["error"]["kind"], "alg_not_allowed");
    let o = run(
        &["decrypt", "--json", "--key", &key, "--insecure-allow-rsa1_5"],
        token,
    );
    let v = json(&o);
    assert_eq!(
        (o.status.code(), v["payload"]["utf8"].clone()),
        (Some(0), "Live long and prosper.".into())
    );
    assert!(v["warnings"].to_string().contains("Bleichenbacher"), "{v}");
}

#[test]
fn decrypt_to_a_pipe_writes_the_exact_plaintext() {
    // README: "use `--out FILE` or a pipe for the exact bytes": no newline is added on a pipe.
    let secret = "b64url:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8";
    for plaintext in ["abc", "abc\n", "a\u{1b}[0m"] {
        let t = ok(&["encrypt", "--alg", "dir", "--secret", secret, "-"], plaintext);
        let o = run(&["decrypt", "--secret", secret, "--alg", "dir"], &t);
        assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
        assert_eq!(o.stdout, plaintext.as_bytes());
    }
}

#[test]
fn verify_reports_findings_of_a_jwe_and_its_nested_jwt() {
    // README: "`decode`, `verify` and `lint` report security findings" — for a JWE too: the JWE
    // header's, the nested JWT's (its claims are readable once decrypted) and its signing key's.
    let d = Dir::new("findings");
    let (kw, ed) = (d.path("kw.json"), d.path("ed.json"));
    ok(&["keygen", "--alg", "A256KW", "--out", &kw], "");
    ok(&["keygen", "--alg", "EdDSA", "--out", &ed], "");
    let jwt = ok(
        &[
            "sign",
            "--alg",
            "EdDSA",
            "--key",
            &ed,
            "--exp",
            "+100d",
            "--claim",
            "email=a@b.example",
        ],
        "",
    );
    let jwe = ok(&["encrypt", "--key", &kw, "--zip"], &jwt);
    let o = run(
        &["verify", "--json", "--key", &kw, "--key", &ed, "--ignore-aud"],
        &jwe,
    );
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stdout));
    let v = json(&o);
    let ids: Vec<&str> = v["findings"]
        .as_array()
        .unwrap_or_else(|| panic!("no findings array: {v}"))
        .iter()
        .map(|f| f["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        ["long_lifetime", "jwe_compression", "eddsa_deprecated"],
        "{v}"
    );
    let text = ok(&["verify", "--key", &kw, "--key", &ed, "--ignore-aud"], &jwe);
    assert!(text.contains("\nFindings\n  [medium] long_lifetime: "), "{text}");
}
