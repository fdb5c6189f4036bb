//! Drives the JWE and JSON-serialization vectors in `tests/vectors/` (RFC 7516 A.1–A.5,
//! RFC 7520 §4–§5, RFC 7515 A.6–A.7, RFC 7519 A.1–A.2, RFC 7797 §4.2, RFC 8037) through the
//! library, asserting the exact plaintext, payload, claims or error kind of each case.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jwtkit::EncAlg;
use std::path::Path;
use std::time::Duration;

use jwtkit::jwe::DecryptOptions;
use jwtkit::jws::JwsOptions;
use jwtkit::{AlgorithmSet, ErrorKind, JwkSet, JwsAlg, Key, KeyMgmtAlg, Validation};
use serde_json::Value;

mod common;
use common::{jws_verify, jws_verify_detached};

fn key_of(case: &Value) -> Key {
    let k = &case["key"];
    if let Some(p) = k["password_utf8"].as_str() {
        return Key::hmac(p.as_bytes().to_vec());
    }
    if let Some(jwk) = k["jwk"].as_object() {
        return Key::from_jwk(jwk).unwrap_or_else(|e| panic!("{}: key: {e}", case["id"]));
    }
    let hex = k["secret_hex"].as_str().expect("a key");
    Key::hmac(
        (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
            .collect::<Vec<_>>(),
    )
}

struct Opts {
    jws: AlgorithmSet<JwsAlg>,
    kw: AlgorithmSet<KeyMgmtAlg>,
    enc: AlgorithmSet<EncAlg>,
    rsa1_5: bool,
}

fn options(case: &Value) -> Opts {
    let o = &case["options"];
    let mut r = Opts {
        jws: AlgorithmSet::<JwsAlg>::empty(),
        kw: AlgorithmSet::<KeyMgmtAlg>::empty(),
        enc: AlgorithmSet::<EncAlg>::empty(),
        rsa1_5: false,
    };
    for a in o["algorithms"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
    {
        if let Ok(j) = a.parse::<JwsAlg>() {
            r.jws = r.jws.with(j);
        } else {
            let k: KeyMgmtAlg = a.parse().unwrap();
            // Naming RSA1_5 explicitly is the opt-in (as the CLI's `--alg RSA1_5` does).
            r.rsa1_5 |= k == KeyMgmtAlg::RSA1_5;
            r.kw = r.kw.with(k);
        }
    }
    for e in o["encryptions"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
    {
        r.enc = r.enc.with(e.parse().unwrap());
    }
    r
}

fn decrypt_options(o: &Opts) -> DecryptOptions {
    let mut d = DecryptOptions::new(o.kw, o.enc);
    d.insecure_allow_rsa1_5 = o.rsa1_5;
    d.allow_unsigned_claims = true;
    d
}

enum Outcome {
    Payload(Vec<u8>),
    Claims(jwtkit::Claims),
}

fn run(case: &Value) -> Result<Outcome, jwtkit::Error> {
    let token = case["token"].as_str().unwrap();
    let keys = JwkSet::from_keys(vec![key_of(case)]);
    let o = options(case);
    let now = case["options"]["now"].as_i64().unwrap_or(1_700_000_000);
    match case["op"].as_str().unwrap() {
        "decrypt_jwe" => decrypt_options(&o)
            .decrypt(token, &keys)
            .map(|d| Outcome::Payload(d.plaintext)),
        "decrypt_jwt" => {
            let v = Validation::builder(if o.jws.is_empty() {
                AlgorithmSet::<JwsAlg>::all()
            } else {
                o.jws
            })
            .now(now)
            .leeway(Duration::ZERO)
            .build()?;
            jwtkit::jwt::decrypt_then_verify(token, &keys, &decrypt_options(&o), &keys, &v)
                .map(|n| Outcome::Claims(n.claims))
                .map_err(jwtkit::Error::from)
        }
        "verify_jws" => {
            let mut opts = JwsOptions::new(o.jws);
            if let Some(c) = case["options"]["crit_supported"].as_array() {
                opts.crit = c.iter().filter_map(Value::as_str).map(String::from).collect();
            }
            // RFC 7515 Appendix F / RFC 7520 §4.5: the content travels separately.
            match case["options"]["detached_payload_b64u"].as_str() {
                Some(d) => {
                    let content = URL_SAFE_NO_PAD.decode(d).unwrap();
                    jws_verify_detached(token, &content, &keys, &opts)
                }
                None => jws_verify(token, &keys, &opts),
            }
            .map(|v| Outcome::Payload(v.payload))
        }
        op => panic!("unexpected op {op}"),
    }
}

fn same(expected: &str, got: ErrorKind) -> bool {
    let g = got.as_str();
    g == expected
        || matches!(
            (expected, g),
            ("key_mismatch", "key_not_found")
                | ("malformed", "bad_json" | "bad_base64")
                | ("bad_json" | "bad_base64", "malformed")
        )
}

#[test]
fn every_vector_file() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .flat_map(|d| std::fs::read_dir(d.unwrap().path()).into_iter().flatten())
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    let (mut passed, mut skipped, mut failures) = (0, 0, Vec::new());
    for f in &files {
        let cases: Vec<Value> = serde_json::from_slice(&std::fs::read(f).unwrap()).unwrap();
        for case in cases {
            let id = case["id"].as_str().unwrap().to_string();
            if case["options"]["allow_unsecured"] == true {
                skipped += 1;
                continue;
            }
            let exp = &case["expected"];
            let acceptable: Vec<&str> = exp["acceptable_errors"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            let ok = match (exp["outcome"].as_str(), run(&case)) {
                (Some("valid"), Ok(Outcome::Payload(p))) => match exp["payload_b64u"].as_str() {
                    Some(b) => URL_SAFE_NO_PAD.encode(&p) == b,
                    None => true,
                },
                (Some("valid"), Ok(Outcome::Claims(c))) => exp["claims"]
                    .as_object()
                    .is_some_and(|want| want.iter().all(|(k, v)| c.get(k) == Some(v))),
                (Some("valid"), Err(e)) => acceptable.iter().any(|a| same(a, e.kind())),
                (Some("invalid"), Err(e)) => {
                    same(exp["error"].as_str().unwrap(), e.kind())
                        || acceptable.iter().any(|a| same(a, e.kind()))
                }
                _ => false,
            };
            println!(
                "{} {id} ({})",
                if ok { "ok  " } else { "FAIL" },
                case["source"].as_str().unwrap_or("")
            );
            if ok {
                passed += 1;
            } else {
                failures.push(format!("{id}: {:?}", run(&case).err()));
            }
        }
    }
    println!(
        "jwe vectors: {passed} passed, {} failed, {skipped} skipped",
        failures.len()
    );
    assert!(failures.is_empty(), "{failures:#?}");
    assert!(passed >= 70, "only {passed} vectors ran");
}
