//! ES256K (RFC 8812) and ML-DSA (RFC 9964) through the CLI: keygen in JWK and PEM, sign, verify
//! with the public key in every form, `jwk thumbprint`, JWK Sets with AKP keys, OpenSSL's
//! secp256k1 keys, the RFC's ML-DSA-44 example token, and Ed448 refused with its reason.

mod common;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::Env;
use serde_json::Value;

const DRAFT: &str = include_str!("../../../scripts/interop/draft_ml_dsa_44.json");

fn keygen(env: &Env, alg: &str, format: &str, out: &str, public: &str) {
    env.run(&[
        "keygen",
        "--alg",
        alg,
        "--format",
        format,
        "--out",
        out,
        "--public-out",
        public,
    ])
    .code(0);
}

#[test]
fn ml_dsa_keygen_sign_verify_thumbprint_for_every_parameter_set() {
    let env = Env::new();
    for (alg, pub_len, sig_len) in [
        ("ML-DSA-44", 1312, 2420),
        ("ML-DSA-65", 1952, 3309),
        ("ML-DSA-87", 2592, 4627),
    ] {
        keygen(&env, alg, "jwk", "k.jwk", "k.pub.jwk");
        let private: Value = serde_json::from_str(&env.read("k.jwk")).unwrap();
        let public: Value = serde_json::from_str(&env.read("k.pub.jwk")).unwrap();
        assert_eq!(private["kty"], "AKP");
        assert_eq!(private["alg"], alg);
        assert_eq!(
            URL_SAFE_NO_PAD
                .decode(private["priv"].as_str().unwrap())
                .unwrap()
                .len(),
            32
        );
        assert_eq!(
            URL_SAFE_NO_PAD
                .decode(public["pub"].as_str().unwrap())
                .unwrap()
                .len(),
            pub_len
        );
        assert!(public.get("priv").is_none(), "{public}");
        // The kid is the RFC 9964 thumbprint (alg, kty, pub), for the private and public JWK.
        let kid = public["kid"].as_str().unwrap().to_string();
        for f in ["k.jwk", "k.pub.jwk"] {
            let r = env.run(&["jwk", "thumbprint", f]).code(0);
            assert_eq!(r.stdout, format!("{kid}\n"));
        }
        let t = env.sign(&["--alg", alg, "--key", "k.jwk"], &["--sub", "pq"]);
        let sig = t.rsplit('.').next().unwrap();
        assert_eq!(URL_SAFE_NO_PAD.decode(sig).unwrap().len(), sig_len);
        let j = env
            .run(&["verify", &t, "--key", "k.pub.jwk", "--json"])
            .code(0)
            .json();
        assert_eq!(
            (j["valid"].clone(), j["alg"].clone()),
            (Value::Bool(true), Value::from(alg))
        );
        assert_eq!(j["claims"]["sub"], "pq");
        // The same key pair as PEM (SPKI / seed-form PKCS#8).
        let pem = env
            .run(&["jwk", "convert", "k.pub.jwk", "--to", "pem"])
            .code(0)
            .stdout;
        env.write("k.pub.pem", &pem);
        assert!(env.read("k.pub.pem").starts_with("-----BEGIN PUBLIC KEY-----\n"));
        env.run(&["verify", &t, "--key", "k.pub.pem"]).code(0);
        // A JWK Set holding it next to an EC key.
        env.write(
            "set.jwks",
            serde_json::json!({"keys": [
                {"kty":"EC","crv":"P-256","x":"PQpaEhIpcovNaj6nqiMXf5M11YVLY-SiOJDK5Dc6Y0A","y":"OEv3ieUFVQT8fNGwCqzNqeSpnPiAXhp4ZpMkVHWpxgw","kid":"es-1"},
                public
            ]})
            .to_string(),
        );
        let j = env
            .run(&["verify", &t, "--key", "set.jwks", "--json"])
            .code(0)
            .json();
        assert_eq!(j["valid"], true);
    }
}

#[test]
fn ml_dsa_pem_keygen_signs_and_wrong_parameter_set_is_key_mismatch() {
    let env = Env::new();
    keygen(&env, "ML-DSA-65", "pem", "k.pem", "k.pub.pem");
    assert!(env.read("k.pem").starts_with("-----BEGIN PRIVATE KEY-----\n"));
    let t = env.sign(&["--alg", "ML-DSA-65", "--key", "k.pem"], &[]);
    env.run(&["verify", &t, "--key", "k.pub.pem"]).code(0);
    keygen(&env, "ML-DSA-44", "jwk", "o.jwk", "o.pub.jwk");
    let j = env
        .run(&["verify", &t, "--key", "o.pub.jwk", "--alg", "ML-DSA-65", "--json"])
        .code(1)
        .json();
    assert_eq!(j["error"]["kind"], "key_mismatch", "{j}");
    // Signing ML-DSA-87 with an ML-DSA-65 key is refused before any signature is made.
    let r = env.run(&["sign", "--alg", "ML-DSA-87", "--key", "k.pem"]);
    assert_ne!(r.code, 0);
    assert!(r.stderr.contains("ML-DSA-87"), "{}", r.stderr);
}

#[test]
fn rfc9964_example_token_verifies_and_its_key_thumbprint_is_its_kid() {
    let env = Env::new();
    let d: Value = serde_json::from_str(DRAFT).unwrap();
    let jwk = serde_json::json!({"kty":"AKP","alg":"ML-DSA-44","pub":d["pub"]});
    env.write("draft.jwk", jwk.to_string());
    let r = env.run(&["jwk", "thumbprint", "draft.jwk"]).code(0);
    assert_eq!(r.stdout, format!("{}\n", d["kid"].as_str().unwrap()));
    let j = env
        .run(&[
            "verify",
            "--jws",
            d["jws"].as_str().unwrap(),
            "--key",
            "draft.jwk",
            "--json",
        ])
        .code(0)
        .json();
    assert_eq!(j["valid"], true, "{j}");
    assert_eq!(j["alg"], "ML-DSA-44");
    // An AKP key without its (required) alg is refused with the reason.
    env.write(
        "noalg.jwk",
        serde_json::json!({"kty":"AKP","pub":d["pub"]}).to_string(),
    );
    let r = env.run(&["jwk", "thumbprint", "noalg.jwk"]);
    assert_ne!(r.code, 0);
    assert!(r.stderr.contains("AKP JWK is missing \"alg\""), "{}", r.stderr);
}

#[test]
fn es256k_keygen_sign_verify_jwk_and_pem() {
    let env = Env::new();
    keygen(&env, "ES256K", "jwk", "k.jwk", "k.pub.jwk");
    let public: Value = serde_json::from_str(&env.read("k.pub.jwk")).unwrap();
    assert_eq!(
        (public["kty"].as_str(), public["crv"].as_str()),
        (Some("EC"), Some("secp256k1"))
    );
    let t = env.sign(&["--alg", "ES256K", "--key", "k.jwk"], &["--sub", "k1"]);
    let j = env
        .run(&["verify", &t, "--key", "k.pub.jwk", "--json"])
        .code(0)
        .json();
    assert_eq!(
        (j["alg"].as_str(), j["claims"]["sub"].as_str()),
        (Some("ES256K"), Some("k1"))
    );
    let pem = env
        .run(&["jwk", "convert", "k.pub.jwk", "--to", "pem"])
        .code(0)
        .stdout;
    env.write("k.pub.pem", &pem);
    env.run(&["verify", &t, "--key", "k.pub.pem"]).code(0);
    // An ES256 allowlist refuses it; a P-256 key is the wrong curve.
    let j = env
        .run(&["verify", &t, "--key", "k.pub.jwk", "--alg", "ES256", "--json"])
        .code(1)
        .json();
    assert_eq!(j["error"]["kind"], "alg_not_allowed");
    keygen(&env, "ES256", "jwk", "p.jwk", "p.pub.jwk");
    let j = env
        .run(&["verify", &t, "--key", "p.pub.jwk", "--alg", "ES256K", "--json"])
        .code(1)
        .json();
    assert_eq!(j["error"]["kind"], "key_not_found", "{j}");
    assert_eq!(
        j["diagnosis"]["attempts"][0]["outcome"],
        "skipped: an EC key on P-256 cannot verify ES256K"
    );
}

#[test]
fn es256k_with_openssl_sec1_and_pkcs8_keys() {
    let env = Env::new();
    let run = |args: &[&str]| {
        let out = std::process::Command::new("openssl")
            .args(args)
            .current_dir(env.path(""))
            .output()
            .expect("openssl");
        assert!(
            out.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    run(&[
        "ecparam",
        "-name",
        "secp256k1",
        "-genkey",
        "-noout",
        "-out",
        "sec1.pem",
    ]);
    run(&["pkcs8", "-topk8", "-nocrypt", "-in", "sec1.pem", "-out", "p8.pem"]);
    run(&["ec", "-in", "sec1.pem", "-pubout", "-out", "pub.pem"]);
    for key in ["sec1.pem", "p8.pem"] {
        let t = env.sign(&["--alg", "ES256K", "--key", key], &[]);
        let j = env
            .run(&["verify", &t, "--key", "pub.pem", "--json"])
            .code(0)
            .json();
        assert_eq!(j["alg"], "ES256K");
    }
}

#[test]
fn ed448_is_refused_with_the_reason() {
    let env = Env::new();
    let r = env.run(&["keygen", "--alg", "Ed448"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("aws-lc-rs, which has no Ed448"), "{}", r.stderr);
    let out = std::process::Command::new("openssl")
        .args(["genpkey", "-algorithm", "ed448", "-out", "ed448.pem"])
        .current_dir(env.path(""))
        .output()
        .expect("openssl");
    assert!(out.status.success());
    let header = common::b64u(r#"{"alg":"Ed448"}"#);
    let token = format!("{header}.{}.{}", common::b64u("{}"), common::b64u([0u8; 114]));
    let j = env
        .run(&["verify", &token, "--key", "ed448.pem", "--json"])
        .json();
    let msg = j["error"]["message"].as_str().unwrap_or_default().to_string();
    assert!(msg.contains("no Ed448"), "{j}");
}
