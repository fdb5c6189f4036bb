//! Known attacks on JWT verifiers, and one vector per step of
//! [the order of checks](jwtkit::Check#validation-order), as data in `tests/attacks/*.json`.
//!
//! The tokens are made by `scripts/gen_attacks.py` (Python `cryptography`, independent of
//! jwtkit, byte-for-byte reproducible: `python3 scripts/gen_attacks.py --check`). Each case names
//! the exact error kind verification must report (`expected_error`, or `null` for a token that
//! must verify), and optionally members the error's JSON must carry (`detail`). The allowlist
//! comes from `options.algorithms`, else from the key (as the CLI does), never from the token.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use std::collections::BTreeMap;
use std::time::Duration;

use jwtkit::jws::JwsOptions;
use jwtkit::{AlgorithmSet, Error, ErrorKind, JwkSet, JwsAlg, Key, Limits, Validation};
use serde_json::Value;

mod common;
use common::jws_verify;

struct Case {
    file: String,
    v: Value,
}

fn cases() -> Vec<Case> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/attacks");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let mut out = Vec::new();
    for f in files
        .into_iter()
        .filter(|f| f.extension().is_some_and(|e| e == "json"))
    {
        let doc: Value = serde_json::from_slice(&std::fs::read(&f).unwrap()).unwrap();
        for v in doc.as_array().unwrap() {
            out.push(Case {
                file: f.file_name().unwrap().to_string_lossy().into_owned(),
                v: v.clone(),
            });
        }
    }
    assert!(
        out.len() >= 140,
        "only {} attack vectors found in {dir}",
        out.len()
    );
    out
}

fn keys_of(case: &Value) -> JwkSet {
    let k = &case["key"];
    if let Some(s) = k.get("secret_utf8").and_then(Value::as_str) {
        return JwkSet::from_keys(vec![Key::hmac(s.as_bytes().to_vec())]);
    }
    if let Some(pem) = k.get("pem").and_then(Value::as_str) {
        return jwtkit::JwkSet::load(pem.as_bytes(), &Limits::default())
            .unwrap()
            .0;
    }
    if let Some(jwks) = k.get("jwks") {
        return JwkSet::parse(jwks.to_string().as_bytes(), &Limits::default()).unwrap();
    }
    JwkSet::from_keys(vec![Key::from_jwk(k["jwk"].as_object().unwrap()).unwrap()])
}

/// `options.algorithms`, else what the keys allow (like `jwtkit verify` without `--alg`).
fn allowlist(case: &Value, keys: &JwkSet) -> AlgorithmSet<JwsAlg> {
    match case["options"]["algorithms"].as_array() {
        Some(a) => a
            .iter()
            .map(|v| v.as_str().unwrap().parse::<JwsAlg>().unwrap())
            .collect(),
        None => keys
            .keys()
            .iter()
            .map(Key::algorithms)
            .fold(AlgorithmSet::<JwsAlg>::empty(), |acc, s| {
                s.iter().fold(acc, AlgorithmSet::<JwsAlg>::with)
            }),
    }
}

/// The token: literal, or built (`prefix` + `fill`… + `suffix`, exactly `total_bytes` long, with
/// a correct HMAC over the first two segments when `hmac` is set).
pub fn token_of(case: &Value) -> String {
    if let Some(t) = case.get("token").and_then(Value::as_str) {
        return t.to_string();
    }
    let b = &case["token_build"];
    let prefix = b["prefix"].as_str().unwrap();
    let fill = b["fill"].as_str().unwrap();
    let suffix = b["suffix"].as_str().unwrap();
    let total = b["total_bytes"].as_u64().unwrap() as usize;
    let token = match b.get("hmac").and_then(Value::as_str) {
        None => format!(
            "{prefix}{}{suffix}",
            fill.repeat(total - prefix.len() - suffix.len())
        ),
        Some(alg) => {
            let alg: JwsAlg = alg.parse().unwrap();
            let sig_len = URL_SAFE_NO_PAD.encode(vec![0u8; alg.hash_len()]).len();
            let input = format!("{prefix}{}", fill.repeat(total - prefix.len() - 1 - sig_len));
            // The MAC straight from aws-lc-rs: the vector's token is built independently of the
            // signer under test.
            let hmac_alg = match alg {
                JwsAlg::HS256 => aws_lc_rs::hmac::HMAC_SHA256,
                JwsAlg::HS384 => aws_lc_rs::hmac::HMAC_SHA384,
                JwsAlg::HS512 => aws_lc_rs::hmac::HMAC_SHA512,
                other => panic!("{other}: built tokens are HMAC-signed"),
            };
            let secret = case["key"]["secret_utf8"].as_str().unwrap().as_bytes();
            let sig = aws_lc_rs::hmac::sign(&aws_lc_rs::hmac::Key::new(hmac_alg, secret), input.as_bytes());
            format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig))
        }
    };
    assert_eq!(
        token.len(),
        total,
        "{}: built token has the wrong size",
        case["id"]
    );
    token
}

fn validation(case: &Value, algs: AlgorithmSet<JwsAlg>) -> Validation {
    let o = &case["options"];
    let mut b = Validation::builder(algs)
        .now(o["now"].as_i64().unwrap())
        .leeway(Duration::from_secs(o["leeway"].as_u64().unwrap()));
    if let Some(iss) = o.get("iss").and_then(Value::as_str) {
        b = b.issuer(iss);
    }
    if let Some(aud) = o.get("aud").and_then(Value::as_str) {
        b = b.audience(aud);
    }
    if let Some(sub) = o.get("sub").and_then(Value::as_str) {
        b = b.subject(sub);
    }
    if let Some(typ) = o.get("typ").and_then(Value::as_str) {
        b = b.typ(typ);
    }
    if let Some(secs) = o.get("max_age").and_then(Value::as_u64) {
        b = b.max_age(Duration::from_secs(secs));
    }
    for c in o
        .get("required_claims")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        b = b.require(c.as_str().unwrap());
    }
    b.build().unwrap()
}

/// Run a case: the claims (JWT) or the payload as a string (JWS), or the error.
fn run(case: &Value) -> Result<Value, Error> {
    let keys = keys_of(case);
    let algs = allowlist(case, &keys);
    let token = token_of(case);
    match case["op"].as_str().unwrap() {
        "verify_jws" => {
            let mut opts = JwsOptions::new(algs);
            if let Some(c) = case["options"].get("crit_supported").and_then(Value::as_array) {
                opts.crit = c.iter().map(|v| v.as_str().unwrap().to_string()).collect();
            }
            let v = jws_verify(&token, &keys, &opts)?;
            Ok(Value::from(v.payload.len()))
        }
        "verify_jwt" => {
            let v = jwtkit::verify(&token, &keys, &validation(case, algs))?;
            Ok(Value::Object(v.claims.into_object()))
        }
        other => panic!("unknown op {other}"),
    }
}

/// Every member of `want` is in `got` with the same value (objects compared recursively).
fn contains(got: &Value, want: &Value) -> bool {
    match (got, want) {
        (Value::Object(g), Value::Object(w)) => w
            .iter()
            .all(|(k, wv)| g.get(k).is_some_and(|gv| contains(gv, wv))),
        (Value::Number(g), Value::Number(w)) => g.as_f64() == w.as_f64(),
        _ => got == want,
    }
}

#[test]
fn attack_vectors() {
    let mut failures = Vec::new();
    let mut by_kind: BTreeMap<String, usize> = BTreeMap::new();
    let all = cases();
    for Case { file, v: case } in &all {
        let id = case["id"].as_str().unwrap();
        println!("checking {file}: {id} ({})", case["source"].as_str().unwrap());
        let got = run(case);
        let want = case["expected_error"].as_str();
        let problem = match (&got, want) {
            (Ok(claims), None) => case
                .get("expected_claims")
                .filter(|w| !contains(claims, w))
                .map(|w| format!("claims {claims} do not contain {w}")),
            (Ok(_), Some(kind)) => Some(format!("accepted; expected {kind}")),
            (Err(e), None) => Some(format!("rejected with {e}; expected to verify")),
            (Err(e), Some(kind)) if e.kind().as_str() != kind => Some(format!("got {e}; expected {kind}")),
            (Err(e), Some(_)) => case
                .get("detail")
                .filter(|d| !contains(&e.to_json(), d))
                .map(|d| format!("error {} lacks {d}", e.to_json())),
        };
        *by_kind.entry(want.unwrap_or("valid").to_string()).or_default() += 1;
        if let Some(p) = problem {
            failures.push(format!("{file}: {id}: {p}"));
        }
    }
    println!("{} vectors by expected outcome: {by_kind:?}", all.len());
    assert!(
        failures.is_empty(),
        "{} of {} attack vectors failed:\n{}",
        failures.len(),
        all.len(),
        failures.join("\n")
    );
}

/// The steps and kinds of the table in `Check`'s documentation (`src/check.rs`) (`| 4 | step text | `kind`, `kind` |`).
fn manual_steps() -> BTreeMap<u64, Vec<String>> {
    let text = include_str!("../src/check.rs");
    let mut steps = BTreeMap::new();
    for line in text.lines() {
        let cells: Vec<&str> = line.trim_start_matches("///").split('|').map(str::trim).collect();
        let [_, n, _, kinds, _] = cells.as_slice() else {
            continue;
        };
        let Ok(n) = n.parse::<u64>() else { continue };
        let kinds = kinds
            .split(',')
            .map(|k| k.trim().trim_matches('`').to_string())
            .collect();
        steps.insert(n, kinds);
    }
    steps
}

/// Every step of the documented order has a vector that fails exactly there, with one of the
/// kinds the manual lists for that step; and the vectors of one step are not accepted.
#[test]
fn one_vector_per_validation_step() {
    let steps = manual_steps();
    assert_eq!(
        steps.keys().copied().collect::<Vec<_>>(),
        (1..=19).collect::<Vec<_>>(),
        "manual table changed"
    );
    let order: Vec<Value> = cases()
        .into_iter()
        .filter(|c| c.v["category"] == "validation_order")
        .map(|c| c.v)
        .collect();
    for (n, kinds) in &steps {
        let here: Vec<&Value> = order.iter().filter(|c| c["step"].as_u64() == Some(*n)).collect();
        assert!(!here.is_empty(), "no vector fails at step {n}");
        for c in here {
            let want = c["expected_error"].as_str().unwrap();
            assert!(
                kinds.iter().any(|k| k == want),
                "step {n} lists {kinds:?}, vector {} expects {want}",
                c["id"]
            );
            let e = run(c).unwrap_err();
            assert_eq!(e.kind().as_str(), want, "{}", c["id"]);
            // The error names the step it failed at: the check order is written once.
            assert_eq!(
                e.check().step(),
                Some(*n as usize),
                "{}: {e} at {}",
                c["id"],
                e.check()
            );
            assert_eq!(
                jwtkit::Check::JWS_ORDER[*n as usize - 1],
                e.check(),
                "{}",
                c["id"]
            );
        }
    }
}

/// The 1 MiB token is refused by the size check before any splitting, base64 or JSON work: the
/// limit detail reports the whole length, and the unverified decoder does not even split it.
#[test]
fn one_mib_token_rejected_before_parsing() {
    let case = cases()
        .into_iter()
        .find(|c| c.v["id"] == "token-1mib-junk")
        .unwrap()
        .v;
    let token = token_of(&case);
    assert_eq!(token.len(), 1 << 20);
    let keys = keys_of(&case);
    let e = jwtkit::verify(&token, &keys, &validation(&case, JwsAlg::HS256.into())).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::ResourceLimit);
    assert_eq!(
        e.detail(),
        Some(&jwtkit::Detail::Limit {
            what: "token_bytes",
            limit: 262_144,
            actual: 1 << 20
        })
    );
    assert_eq!(e.message(), "token bytes is 1048576, above the limit of 262144");
    // Junk that would be `malformed` (2 segments) and `bad_base64` ('!', '*') if parsed.
    let small = format!("!!!.{}", "*".repeat(100));
    assert_eq!(
        jwtkit::verify(&small, &keys, &validation(&case, JwsAlg::HS256.into()))
            .unwrap_err()
            .kind(),
        ErrorKind::Malformed
    );
    let u = jwtkit::dangerous::Unverified::decode(&token, &Limits::default());
    assert_eq!(u.errors.len(), 1);
    assert_eq!(u.errors[0].kind(), ErrorKind::ResourceLimit);
    assert!(
        u.segments.is_empty() && u.header.is_none(),
        "the decoder split or parsed a 1 MiB token"
    );
    // Same through the diagnosis entry point: bounded, no hint derived from the content.
    let d =
        jwtkit::diagnose::Diagnosis::explain(&token, &keys, &validation(&case, JwsAlg::HS256.into()), &[]);
    assert!(d.attempts.is_empty(), "{d:?}");
}

/// A larger configured limit lets the validly signed 1 MiB token through: the size check is the
/// only thing that stopped it.
#[test]
fn one_mib_token_accepted_under_a_larger_limit() {
    let case = cases()
        .into_iter()
        .find(|c| c.v["id"] == "token-1mib-validly-signed")
        .unwrap()
        .v;
    let token = token_of(&case);
    let keys = keys_of(&case);
    let mut opts = JwsOptions::new(JwsAlg::HS256);
    assert_eq!(
        jws_verify(&token, &keys, &opts).unwrap_err().kind(),
        ErrorKind::ResourceLimit
    );
    opts.limits = Limits {
        max_token_bytes: 2 << 20,
        ..Limits::default()
    };
    let v = jws_verify(&token, &keys, &opts).unwrap();
    assert!(v.payload.len() > 700_000 && v.payload.iter().all(|&b| b == 0));
}

/// The diagnosis recognises the algorithm-confusion attack in the vectors (HS256 MACed with the
/// RSA public key PEM), while verification refuses it.
#[test]
fn alg_confusion_is_named_by_the_diagnosis() {
    let case = cases()
        .into_iter()
        .find(|c| c.v["id"] == "hs256-with-rsa-public-pem-hs-allowed")
        .unwrap()
        .v;
    let keys = keys_of(&case);
    let token = token_of(&case);
    let v = validation(&case, allowlist(&case, &keys));
    assert_eq!(
        jwtkit::verify(&token, &keys, &v).unwrap_err().kind(),
        ErrorKind::KeyMismatch
    );
    let d = jwtkit::diagnose::Diagnosis::explain(&token, &keys, &v, &[]);
    let ids: Vec<&str> = d.hints.iter().map(|h| h.id).collect();
    assert_eq!(ids, ["public_key_as_hmac_secret"]);
    assert!(
        d.hints[0]
            .message
            .starts_with("ATTACK: this HS256 token is MACed with the PEM text"),
        "{}",
        d.hints[0].message
    );
}

/// A DER-encoded (otherwise correct) ECDSA signature is rejected, and the diagnosis says why.
#[test]
fn ecdsa_der_signature_is_named_by_the_diagnosis() {
    let case = cases()
        .into_iter()
        .find(|c| c.v["id"] == "es256-der-signature")
        .unwrap()
        .v;
    let keys = keys_of(&case);
    let token = token_of(&case);
    let v = validation(&case, allowlist(&case, &keys));
    assert_eq!(
        jwtkit::verify(&token, &keys, &v).unwrap_err().kind(),
        ErrorKind::BadSignature
    );
    let d = jwtkit::diagnose::Diagnosis::explain(&token, &keys, &v, &[]);
    assert_eq!(
        d.hints.iter().map(|h| h.id).collect::<Vec<_>>(),
        ["ecdsa_der_signature"]
    );
}

/// Re-encoded tokens (padding, standard alphabet) are rejected, and the diagnosis restores them.
#[test]
fn reencoded_token_is_named_by_the_diagnosis() {
    for id in [
        "standard-base64-padded-signature",
        "padded-header",
        "standard-alphabet-payload",
    ] {
        let case = cases().into_iter().find(|c| c.v["id"] == id).unwrap().v;
        let keys = keys_of(&case);
        let token = token_of(&case);
        let v = validation(&case, allowlist(&case, &keys));
        assert_eq!(
            jwtkit::verify(&token, &keys, &v).unwrap_err().kind(),
            ErrorKind::BadBase64,
            "{id}"
        );
        let d = jwtkit::diagnose::Diagnosis::explain(&token, &keys, &v, &[]);
        assert_eq!(
            d.hints.iter().map(|h| h.id).collect::<Vec<_>>(),
            ["token_reencoded"],
            "{id}"
        );
    }
}

/// Regression: PEM output used `\r\n` line endings (the `pem` crate default), so the diagnosis
/// never matched an HS256 token MACed with an OpenSSL-style (`\n`) public key PEM, and
/// `jwtkit keygen --format pem` wrote CRLF files.
#[test]
fn pem_output_uses_lf_line_endings() {
    let key = Key::generate(jwtkit::jwk::KeySpec::Ec(jwtkit::EcCurve::P256)).unwrap();
    let public = key.public_key_pem().unwrap();
    let private = key.private_key_pem().unwrap();
    assert!(
        public.starts_with("-----BEGIN PUBLIC KEY-----\n") && !public.contains('\r'),
        "{public:?}"
    );
    assert!(private.starts_with("-----BEGIN PRIVATE KEY-----\n") && !private.contains('\r'));
}

/// Regression: a JSON depth error in a segment lost its `Detail::Limit` (replaced by the segment).
#[test]
fn depth_limit_detail_survives_segment_context() {
    let case = cases()
        .into_iter()
        .find(|c| c.v["id"] == "header-depth-bomb")
        .unwrap()
        .v;
    let e = run(&case).unwrap_err();
    assert_eq!(
        e.detail(),
        Some(&jwtkit::Detail::Limit {
            what: "json_depth",
            limit: 64,
            actual: 65
        })
    );
    assert!(e.message().starts_with("header segment: "), "{}", e.message());
}
