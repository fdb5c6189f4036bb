//! Keys that cannot be what they claim to be: public-key text used as an HMAC secret, empty HMAC
//! keys, Ed25519 public keys of small order, RSA under 2048 bits. Each test is named after the
//! public report of the class.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jwtkit::jwk::KeySpec;
use jwtkit::jws::Signer;
use jwtkit::{JwkSet, JwsAlg, Key, Limits, Validation};
use serde_json::json;

fn hs256(key: &Key) -> Validation {
    let _ = key;
    Validation::builder(JwsAlg::HS256).build().unwrap()
}

/// A token MACed with `secret` as HS256 key (made with the explicit opt-in, as an attacker would).
fn maced_with(secret: &[u8]) -> String {
    let key = Key::hmac(secret.to_vec()).allow_public_key_secret();
    Signer::new(&key, JwsAlg::HS256)
        .unwrap()
        .build()
        .unwrap()
        .sign(br#"{"sub":"admin"}"#)
        .unwrap()
}

/// The SSH wire blobs of an RSA and an Ed25519 public key (the base64 field of an OpenSSH line).
const RSA_BLOB: &str = "AAAAB3NzaC1yc2EAAAADAQABAAAAgQDHS67I4xklkcqwaw";
const ED25519_BLOB: &str = "AAAAC3NzaC1lZDI1NTE5AAAAIGV4YW1wbGUta2V5LWJ5dGVzLTMyLWxvbmctdGV4dA";

fn utf16le(s: &str) -> Vec<u8> {
    [0xff, 0xfe]
        .into_iter()
        .chain(s.encode_utf16().flat_map(u16::to_le_bytes))
        .collect()
}

fn kind(e: jwtkit::Error) -> &'static str {
    e.kind().as_str()
}

/// CVE-2024-33663 (python-jose: OpenSSH ECDSA keys), CVE-2022-29217 (PyJWT: `ssh-ed25519`
/// lines), CVE-2016-10555 (PEM): a verifier handed a public key's text as an HMAC secret
/// accepts tokens anyone can MAC. Every text form of a public key is refused as a secret.
#[test]
fn cve_2024_33663_public_key_text_is_never_an_hmac_secret() {
    let ec = Key::generate(KeySpec::for_alg(JwsAlg::ES256)).unwrap();
    let pem = ec.public_key_pem().unwrap();
    let der = ec.public_key_der().unwrap();
    let jwk = serde_json::to_vec(&ec.to_public().unwrap().to_jwk(false)).unwrap();
    let jwk_text = jwk.clone();
    let jwks = serde_json::to_vec(&json!({"keys": [ec.to_public().unwrap().to_jwk(false)]})).unwrap();
    let forms: Vec<(&str, Vec<u8>)> = vec![
        ("PEM", pem.clone().into_bytes()),
        ("PEM after blank lines", format!("\n\n{pem}").into_bytes()),
        ("DER", der),
        ("JWK", jwk),
        ("JWK Set", jwks),
        (
            "OpenSSH ECDSA",
            b"ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBPv user@host".to_vec(),
        ),
        (
            "OpenSSH Ed25519",
            format!("ssh-ed25519 {ED25519_BLOB} user@host").into_bytes(),
        ),
        (
            "OpenSSH RSA",
            format!("ssh-rsa {RSA_BLOB} user@host").into_bytes(),
        ),
        ("OpenSSH with a tab", format!("ssh-rsa\t{RSA_BLOB}").into_bytes()),
        (
            "authorized_keys options",
            format!("from=\"10.0.0.1\",no-pty ssh-ed25519 {ED25519_BLOB} x").into_bytes(),
        ),
        (
            "OpenSSH certificate",
            format!("ssh-ed25519-cert-v01@openssh.com {ED25519_BLOB} x").into_bytes(),
        ),
        (
            "RFC 4716 SSH2 block",
            format!("---- BEGIN SSH2 PUBLIC KEY ----\n{RSA_BLOB}\n---- END SSH2 PUBLIC KEY ----\n")
                .into_bytes(),
        ),
        (
            "PEM after a UTF-8 BOM",
            [&[0xef, 0xbb, 0xbf][..], pem.as_bytes()].concat(),
        ),
        (
            "PEM after openssl -text output",
            format!("Public-Key: (256 bit)\npub:\n    04:aa\n{pem}").into_bytes(),
        ),
        ("PEM after a no-break space", format!("\u{a0}{pem}").into_bytes()),
        ("PEM in UTF-16LE (PowerShell)", utf16le(&pem)),
        (
            "bare base64 SPKI (Keycloak)",
            URL_SAFE_NO_PAD
                .encode(ec.public_key_der().unwrap())
                .replace('-', "+")
                .replace('_', "/")
                .into_bytes(),
        ),
        (
            "PEM body without armour",
            pem.lines()
                .filter(|l| !l.starts_with("-----"))
                .collect::<Vec<_>>()
                .join("\n")
                .into_bytes(),
        ),
        (
            "DER with a trailing newline",
            [ec.public_key_der().unwrap(), b"\n".to_vec()].concat(),
        ),
        (
            "JWK after a BOM",
            [&[0xef, 0xbb, 0xbf][..], &jwk_text[..]].concat(),
        ),
        ("JWK in an array", [&b"["[..], &jwk_text[..], b"]"].concat()),
        (
            "JWK with a duplicate member",
            [&b"{\"kty\":\"EC\","[..], &jwk_text[1..]].concat(),
        ),
        ("jwk member", [&b"{\"jwk\":"[..], &jwk_text[..], b"}"].concat()),
    ];
    for (form, text) in forms {
        let token = maced_with(&text);
        let key = Key::hmac(text.clone());
        let e = jwtkit::verify(&token, &JwkSet::from_keys(vec![key]), &hs256(&ec)).unwrap_err();
        assert_eq!(kind(e.clone()), "key_mismatch", "{form}: {e}");
        assert!(e.message().contains("algorithm-confusion"), "{form}: {e}");
        let signing = Key::hmac(text.clone());
        assert_eq!(
            kind(
                Signer::new(&signing, JwsAlg::HS256)
                    .unwrap()
                    .build()
                    .unwrap()
                    .sign(b"{}")
                    .unwrap_err()
            ),
            "key_mismatch",
            "{form}: signing with it is refused too"
        );
        // The explicit opt-in, for the rare system that really MACs with such text.
        let allowed = Key::hmac(text).allow_public_key_secret();
        assert!(
            jwtkit::verify(&token, &JwkSet::from_keys(vec![allowed]), &hs256(&ec)).is_ok(),
            "{form}"
        );
    }
    // Ordinary secrets, including ones that look a little like key text, are secrets.
    for secret in [
        &b"0123456789abcdef0123456789abcdef"[..],
        b"{not a jwk at all, just a secret}",
        &[0x30; 32],
        b"sk-3f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a",
        b"ssh-rsa is my favourite secret phrase, long enough",
        b"c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldC1zZWNyZXQ",
    ] {
        let token = maced_with(secret);
        jwtkit::verify(
            &token,
            &JwkSet::from_keys(vec![Key::hmac(secret.to_vec())]),
            &hs256(&Key::hmac(vec![1])),
        )
        .unwrap();
    }
}

/// An empty HMAC key (`"k": ""`, an empty file or variable) MACs with a key anyone knows.
#[test]
fn empty_hmac_key_never_verifies() {
    let tag = aws_lc_rs::hmac::sign(
        &aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, b""),
        b"e30.e30",
    );
    let token = format!("e30.e30.{}", URL_SAFE_NO_PAD.encode(tag.as_ref()));
    let token = token.replacen("e30", &URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256"}"#), 1);
    let e = jwtkit::verify(
        &token,
        &JwkSet::from_keys(vec![Key::hmac(Vec::new())]),
        &hs256(&Key::hmac(vec![1])),
    )
    .unwrap_err();
    assert_eq!(kind(e), "key_mismatch");
    let e = Key::from_jwk(json!({"kty": "oct", "k": ""}).as_object().unwrap()).unwrap_err();
    assert_eq!(kind(e.clone()), "bad_key", "{e}");
    let e = JwkSet::parse(
        br#"{"keys":[{"kty":"oct","k":"","kid":"a"}]}"#,
        &Limits::default(),
    );
    assert!(
        e.map_or(true, |s| s.keys().is_empty()),
        "an empty oct key is not usable from a set"
    );
}

/// Ed25519 public keys of small order (the identity, points of order 2, 4 and 8, and their
/// non-canonical encodings; libsodium's blocklist): signatures under them prove nothing.
#[test]
fn ed25519_public_keys_of_small_order_are_refused() {
    let small: [&str; 7] = [
        "0000000000000000000000000000000000000000000000000000000000000000",
        "0100000000000000000000000000000000000000000000000000000000000000",
        "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
        "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
        "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    ];
    let hex = |s: &str| {
        (0..32)
            .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap())
            .collect::<Vec<u8>>()
    };
    for h in small {
        for sign in [false, true] {
            let mut x = hex(h);
            if sign {
                x[31] |= 0x80;
            }
            let jwk = json!({"kty": "OKP", "crv": "Ed25519", "x": URL_SAFE_NO_PAD.encode(&x)});
            let e = Key::from_jwk(jwk.as_object().unwrap()).unwrap_err();
            assert_eq!(kind(e.clone()), "bad_key", "{h} sign={sign}: {e}");
        }
    }
    // A real key loads.
    let k = Key::generate(KeySpec::for_alg(JwsAlg::EdDSA)).unwrap();
    Key::from_jwk(&k.to_public().unwrap().to_jwk(false)).unwrap();
}

/// RFC 7518 §3.3 requires 2048-bit RSA keys; 1024-bit keys are factorable by a determined
/// attacker. Verification needs an explicit opt-in.
#[test]
fn rsa_under_2048_bits_verifies_only_with_an_opt_in() {
    let limits = Limits::default();
    // aws-lc-rs cannot load a 1024-bit private key, so the token was made once with Python
    // `cryptography` (RS256 over {"sub":"a"}).
    let token = include_str!("fixtures/keys/rsa1024.rs256.jwt").trim();
    let (public, _) = jwtkit::JwkSet::load(include_bytes!("fixtures/keys/rsa1024.pub.pem"), &limits).unwrap();
    let v = Validation::builder(JwsAlg::RS256).build().unwrap();
    let e = jwtkit::verify(token, &public, &v).unwrap_err();
    assert_eq!(kind(e.clone()), "bad_key", "{e}");
    assert!(
        e.message().contains("1024 bits") && e.message().contains("--insecure-allow-weak-key"),
        "{e}"
    );
    let allowed = JwkSet::from_keys(public.into_keys().into_iter().map(Key::allow_weak_rsa).collect());
    let ok = jwtkit::verify(token, &allowed, &v).unwrap();
    assert_eq!(ok.claims.get("sub").unwrap(), "a");
}

/// RFC 9864: `Ed25519` is the fully-specified name of EdDSA with Ed25519; `EdDSA` stays accepted
/// with a deprecation finding, and a key whose JWK says one does not verify the other.
#[test]
fn rfc9864_ed25519_is_an_algorithm_and_eddsa_is_deprecated() {
    let key = Key::generate(KeySpec::for_alg(JwsAlg::Ed25519)).unwrap();
    let public = key.to_public().unwrap();
    for alg in [JwsAlg::Ed25519, JwsAlg::EdDSA] {
        let token = Signer::new(&key, alg)
            .unwrap()
            .build()
            .unwrap()
            .sign(br#"{"sub":"a"}"#)
            .unwrap();
        let v = Validation::builder(alg).build().unwrap();
        let ok = jwtkit::verify(&token, &JwkSet::from_keys(vec![key.to_public().unwrap()]), &v).unwrap();
        assert_eq!(ok.alg, alg);
        let header = jwtkit::dangerous::Unverified::decode(&token, &Limits::default())
            .header
            .unwrap();
        let ids: Vec<&str> = jwtkit::diagnose::Finding::for_token(&header, None, 0)
            .iter()
            .map(|f| f.id)
            .collect();
        assert_eq!(
            ids.contains(&"eddsa_deprecated"),
            alg == JwsAlg::EdDSA,
            "{alg}: {ids:?}"
        );
    }
    assert_eq!("Ed25519".parse::<JwsAlg>().unwrap(), JwsAlg::Ed25519);
    // A JWK that names Ed25519 does not verify EdDSA tokens (the key decides, not the token).
    let mut jwk = public.to_jwk(false);
    jwk.insert("alg".into(), "Ed25519".into());
    let pinned = Key::from_jwk(&jwk).unwrap();
    assert_eq!(pinned.algorithms().iter().collect::<Vec<_>>(), [JwsAlg::Ed25519]);
    let eddsa = Signer::new(&key, JwsAlg::EdDSA)
        .unwrap()
        .build()
        .unwrap()
        .sign(b"{}")
        .unwrap();
    let set = JwkSet::from_keys(vec![pinned]);
    let e = jwtkit::verify(
        &eddsa,
        &set,
        &Validation::builder(set.algorithms()).build().unwrap(),
    )
    .unwrap_err();
    assert_eq!(kind(e), "alg_not_allowed");
}
