//! `jwtkit sign --sd` issues SD-JWTs (RFC 9901) and `jwtkit sd present` makes presentations
//! with a Key Binding JWT; both checked by the library's verifier.

mod common;

use common::Env;
use jwtkit::sd_jwt::{self, KeyBinding};
use jwtkit::{JwsAlg, Limits, Validation};
use serde_json::{Value, json};

fn keys(env: &Env) {
    env.run(&[
        "keygen",
        "--alg",
        "ES256",
        "--kid",
        "iss-1",
        "--out",
        "issuer.jwk",
        "--public-out",
        "issuer.pub.jwk",
    ])
    .code(0);
    env.run(&[
        "keygen",
        "--alg",
        "EdDSA",
        "--out",
        "holder.jwk",
        "--public-out",
        "holder.pub.jwk",
    ])
    .code(0);
    let holder: Value = serde_json::from_str(&env.read("holder.pub.jwk")).unwrap();
    let claims = json!({
        "sub": "alice",
        "email": "alice@example.com",
        "address": {"street_address": "1 Main St", "locality": "Springfield"},
        "nationalities": ["FR", "DE"],
        "cnf": {"jwk": holder},
    });
    env.write("claims.json", claims.to_string());
}

/// The library's one pipeline with a validation that expects an SD-JWT: the processed claims
/// and what the SD-JWT stages found.
fn verify(env: &Env, text: &str, kb: &KeyBinding) -> Result<Verified, jwtkit::Error> {
    let (set, _) = jwtkit::JwkSet::load(env.read("issuer.pub.jwk").as_bytes(), &Limits::default()).unwrap();
    let v = Validation::builder(JwsAlg::ES256).sd_jwt(kb.clone()).build()?;
    let out = jwtkit::jwt::verify_local(text, &set, &v);
    match out.error {
        Some(e) => Err(e),
        None => Ok(Verified {
            header: out.header.unwrap(),
            claims: out.claims.unwrap(),
            sd: out.sd_jwt.unwrap(),
        }),
    }
}

#[derive(Debug)]
struct Verified {
    header: jwtkit::jws::Header,
    claims: jwtkit::Claims,
    sd: sd_jwt::Disclosed,
}

#[test]
fn sign_sd_issues_and_sd_present_reveals_a_subset_with_key_binding() {
    let env = Env::new();
    keys(&env);
    let r = env
        .run(&[
            "sign",
            "--alg",
            "ES256",
            "--key",
            "issuer.jwk",
            "--typ",
            "dc+sd-jwt",
            "--iss",
            "https://issuer.example",
            "--exp",
            "+1h",
            "--claims",
            "@claims.json",
            "--sd",
            "email",
            "--sd",
            "/address",
            "--sd",
            "/address/street_address",
            "--sd",
            "/nationalities/0",
            "--sd-decoys",
            "2",
        ])
        .code(0);
    let issued = r.stdout.trim().to_string();
    assert!(issued.ends_with('~'), "{issued}");
    let all = verify(&env, &issued, &KeyBinding::optional()).unwrap();
    assert_eq!(all.sd.disclosures.len(), 4);
    assert_eq!(all.claims.get("email").unwrap(), "alice@example.com");
    assert_eq!(all.header.typ(), Some("dc+sd-jwt"));
    assert_eq!(all.sd.undisclosed, 2 * 2);
    env.write("issued.txt", &issued);

    let r = env
        .run(&[
            "sd",
            "present",
            "@issued.txt",
            "--disclose",
            "/address/street_address",
            "--holder-key",
            "holder.jwk",
            "--aud",
            "https://rp.example",
            "--nonce",
            "n-42",
            "--json",
        ])
        .code(0);
    let out = r.json();
    assert_eq!(out["key_binding"], true);
    let names: Vec<&str> = out["disclosures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["name"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 2);
    assert!(
        names.contains(&"address") && names.contains(&"street_address"),
        "{names:?}"
    );
    let shown = out["presentation"].as_str().unwrap();
    let v = verify(&env, shown, &KeyBinding::required("https://rp.example", "n-42")).unwrap();
    assert_eq!(v.claims.get_path("address.street_address").unwrap(), "1 Main St");
    assert!(v.claims.get("email").is_none());
    assert_eq!(v.claims.get("nationalities").unwrap(), &json!(["DE"]));
    assert_eq!(v.sd.key_binding.unwrap().alg, JwsAlg::EdDSA);
    let e = verify(&env, shown, &KeyBinding::required("https://rp.example", "other")).unwrap_err();
    assert_eq!(e.kind().as_str(), "bad_key_binding");
}

#[test]
fn sd_mistakes_are_usage_errors_that_name_the_fix() {
    let env = Env::new();
    keys(&env);
    let base = [
        "sign",
        "--alg",
        "ES256",
        "--key",
        "issuer.jwk",
        "--claims",
        "@claims.json",
    ];
    let with = |extra: &[&str]| {
        let mut a: Vec<&str> = base.to_vec();
        a.extend_from_slice(extra);
        env.run(&a)
    };
    let r = with(&["--sd", "exp", "--exp", "+1h"]).code(2);
    assert!(r.stderr.contains("verifiers need it"), "{}", r.stderr);
    let r = with(&["--sd", "/phone"]).code(2);
    assert!(r.stderr.contains("/phone: no such claim"), "{}", r.stderr);
    let r = with(&["--sd", "email", "--sd-alg", "md5"]).code(2);
    assert!(r.stderr.contains("sha-256"), "{}", r.stderr);
    let issued = with(&["--sd", "email"]).code(0).stdout.trim().to_string();
    env.write("issued.txt", &issued);
    let r = env
        .run(&["sd", "present", "@issued.txt", "--disclose", "sub"])
        .code(2);
    assert!(r.stderr.contains("disclosable: /email"), "{}", r.stderr);
    let r = env
        .run(&["sd", "present", "@issued.txt", "--holder-key", "holder.jwk"])
        .code(2);
    assert!(r.stderr.contains("--aud"), "{}", r.stderr);
    // Revealing nothing keeps only the Issuer-signed JWT.
    let r = env.run(&["sd", "present", "@issued.txt"]).code(0);
    assert_eq!(r.stdout.trim().matches('~').count(), 1);
}

#[test]
fn verify_and_decode_read_sd_jwts() {
    let env = Env::new();
    keys(&env);
    let issued = env
        .run(&[
            "sign",
            "--alg",
            "ES256",
            "--key",
            "issuer.jwk",
            "--iss",
            "https://issuer.example",
            "--claims",
            "@claims.json",
            "--sd",
            "email",
            "--sd",
            "/address/street_address",
        ])
        .code(0)
        .stdout
        .trim()
        .to_string();
    env.write("issued.txt", &issued);
    let shown = env
        .run(&[
            "sd",
            "present",
            "@issued.txt",
            "--disclose",
            "email",
            "--holder-key",
            "holder.jwk",
            "--aud",
            "https://rp.example",
            "--nonce",
            "n-9",
        ])
        .code(0)
        .stdout
        .trim()
        .to_string();
    env.write("shown.txt", &shown);
    let base = ["verify", "@shown.txt", "--key", "issuer.pub.jwk", "--json"];
    let with = |extra: &[&str], code: i32| {
        let mut a = base.to_vec();
        a.extend_from_slice(extra);
        env.run(&a).code(code).json()
    };
    let j = with(&["--kb-aud", "https://rp.example", "--kb-nonce", "n-9"], 0);
    assert_eq!(j["valid"], true);
    assert_eq!(j["claims"]["email"], "alice@example.com");
    assert!(j["claims"]["address"].get("street_address").is_none());
    assert_eq!(j["sd_jwt"]["disclosures"][0]["pointer"], "/email");
    assert_eq!(j["sd_jwt"]["key_binding"]["alg"], "EdDSA");
    let j = with(&["--kb-aud", "https://rp.example", "--kb-nonce", "other"], 1);
    assert_eq!(j["error"]["kind"], "bad_key_binding");
    // Without --kb-*, the Key Binding JWT is still checked, but not required.
    assert_eq!(with(&[], 0)["valid"], true);
    // A Disclosure the token does not refer to, and an unsigned Key Binding JWT: never VALID.
    let (jwt, _) = shown.split_once('~').unwrap();
    let forged = format!("{jwt}~WyJ4IiwiYWRtaW4iLHRydWVd~eyJhbGciOiJub25lIn0.eyJ4IjoxfQ.AAAA");
    env.write("forged.txt", &forged);
    let r = env
        .run(&["verify", "@forged.txt", "--key", "issuer.pub.jwk", "--json"])
        .code(1)
        .json();
    assert_eq!(r["valid"], false);
    assert_eq!(r["error"]["kind"], "bad_disclosure");
    // decode shows the Disclosures next to the claims they reveal.
    let d = env.run(&["decode", "@shown.txt", "--json"]).code(0).json();
    assert_eq!(d["form"], "SD-JWT");
    assert_eq!(d["sd_jwt"]["disclosures"][0]["pointer"], "/email");
    assert_eq!(d["sd_jwt"]["key_binding_jwt"]["header"]["typ"], "kb+jwt");
    assert_eq!(d["claims"]["email"], "alice@example.com");
}
