//! No hash of a secret is printed unless asked for: an HMAC secret's RFC 7638 thumbprint is an
//! unsalted SHA-256 of the secret (offline guessing), so `jwk thumbprint` withholds it and
//! `keygen` names symmetric keys with a random kid.

mod common;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::Env;

#[test]
fn keygen_gives_symmetric_keys_a_random_kid_not_the_secret_hash() {
    let env = Env::new();
    for alg in ["HS256", "A256KW", "dir"] {
        let a = env.run(&["keygen", "--alg", alg]).code(0).json();
        let b = env.run(&["keygen", "--alg", alg]).code(0).json();
        let kid = a["kid"].as_str().unwrap();
        assert_eq!(URL_SAFE_NO_PAD.decode(kid).unwrap().len(), 16, "{alg}: {kid}");
        assert_ne!(kid, b["kid"].as_str().unwrap());
        let key = jwtkit::Key::from_jwk(a.as_object().unwrap()).unwrap();
        assert_ne!(
            kid,
            key.thumbprint(),
            "{alg}: the kid must not be the secret's hash"
        );
    }
    // Asymmetric keys keep the RFC 7638 thumbprint as kid.
    let k = env.run(&["keygen", "--alg", "ES256"]).code(0).json();
    let key = jwtkit::Key::from_jwk(k.as_object().unwrap()).unwrap();
    assert_eq!(k["kid"].as_str().unwrap(), key.thumbprint());
}

#[test]
fn jwk_thumbprint_of_a_secret_is_withheld_without_the_insecure_flag() {
    let env = Env::new();
    let secret = env.run(&["keygen", "--alg", "HS256"]).code(0).stdout;
    env.write("secret.jwk", &secret);
    let key = jwtkit::Key::from_jwk(
        serde_json::from_str::<serde_json::Value>(&secret)
            .unwrap()
            .as_object()
            .unwrap(),
    )
    .unwrap();
    // Parsed fine (exit 0), but the hash is withheld.
    let r = env.run(&["jwk", "thumbprint", "secret.jwk"]).code(0);
    assert!(
        r.stdout.contains("withheld") && r.stdout.contains("--insecure-show-secret-hash"),
        "{}",
        r.stdout
    );
    assert!(!r.stdout.contains(key.thumbprint()) && !r.stderr.contains(key.thumbprint()));
    let j = env
        .run(&["jwk", "thumbprint", "secret.jwk", "--json"])
        .code(0)
        .json();
    assert_eq!(j["keys"][0]["thumbprint"], serde_json::Value::Null);
    assert!(!j.to_string().contains(key.thumbprint()));
    let r = env
        .run(&["jwk", "thumbprint", "secret.jwk", "--insecure-show-secret-hash"])
        .code(0);
    assert_eq!(r.stdout.trim(), key.thumbprint());
    // Public keys are unaffected.
    env.run(&["keygen", "--alg", "ES256", "--out", "ec.jwk"]).code(0);
    env.run(&["jwk", "thumbprint", "ec.jwk"]).code(0);
}
