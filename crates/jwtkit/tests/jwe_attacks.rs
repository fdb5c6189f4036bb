//! Attacks on JWE decryption and the round-trip matrix: every key management algorithm × every
//! content encryption algorithm, compact and JSON, through the public API. Each attack asserts
//! the exact error kind (and, for `decrypt_failed`, the one fixed message).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use std::time::Instant;

use jwtkit::jwe::{self, DecryptOptions, Encrypter};
use jwtkit::jwk::KeySpec;
use jwtkit::{
    AlgorithmSet, EcCurve, EncAlg, ErrorKind, JwkSet, JwsAlg, Key, KeyMgmtAlg, OkpCurve, Validation,
};
use serde_json::Value;

fn b64(b: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(b)
}

fn unb64(s: &str) -> Vec<u8> {
    URL_SAFE_NO_PAD.decode(s).unwrap()
}

fn opts(alg: KeyMgmtAlg, enc: EncAlg) -> DecryptOptions {
    DecryptOptions::new(alg, enc)
}

fn set(k: Key) -> JwkSet {
    JwkSet::from_keys(vec![k])
}

/// Replace the protected header of a compact JWE (the other segments unchanged).
fn with_header(token: &str, f: impl FnOnce(&mut serde_json::Map<String, Value>)) -> String {
    let parts: Vec<&str> = token.split('.').collect();
    let mut h: serde_json::Map<String, Value> = serde_json::from_slice(&unb64(parts[0])).unwrap();
    f(&mut h);
    let mut out = vec![b64(serde_json::to_string(&h).unwrap().as_bytes())];
    out.extend(parts[1..].iter().map(|s| s.to_string()));
    out.join(".")
}

fn replace_segment(token: &str, i: usize, value: &str) -> String {
    let mut parts: Vec<String> = token.split('.').map(String::from).collect();
    parts[i] = value.to_string();
    parts.join(".")
}

fn assert_decrypt_failed(r: Result<jwe::Decrypted, jwtkit::Error>, what: &str) {
    let e = r.expect_err(what);
    assert_eq!(e.kind(), ErrorKind::DecryptFailed, "{what}: {e}");
    assert_eq!(
        e.message(),
        "decryption failed",
        "{what}: the message must not say why"
    );
}

fn key_for(alg: KeyMgmtAlg, enc: EncAlg, rsa: &Key) -> (Key, Key) {
    match alg {
        KeyMgmtAlg::RSA_OAEP | KeyMgmtAlg::RSA_OAEP_256 => (
            rsa.to_public().unwrap(),
            Key::from_pkcs8(&rsa.private_key_der().unwrap()).unwrap(),
        ),
        a if a.is_ecdh() => {
            let k = Key::generate(KeySpec::Ec(EcCurve::P256)).unwrap();
            (k.to_public().unwrap(), k)
        }
        KeyMgmtAlg::Dir => {
            let s = vec![3u8; enc.key_len()];
            (Key::hmac(s.clone()), Key::hmac(s))
        }
        a if a.is_pbes2() => (
            Key::hmac(b"correct horse".to_vec()),
            Key::hmac(b"correct horse".to_vec()),
        ),
        a => {
            let s = vec![5u8; a.wrap_key_len().unwrap()];
            (Key::hmac(s.clone()), Key::hmac(s))
        }
    }
}

#[test]
fn every_alg_and_enc_round_trips_compact_and_json() {
    let rsa = Key::generate(KeySpec::Rsa(2048)).unwrap();
    let mut n = 0;
    for alg in AlgorithmSet::<KeyMgmtAlg>::all().iter() {
        for enc in EncAlg::ALL {
            let (public, private) = key_for(alg, enc, &rsa);
            let token = Encrypter::new(&public, alg, enc)
                .unwrap()
                .pbes2_count(1000)
                .encrypt(b"payload")
                .unwrap();
            let d = opts(alg, enc).decrypt(&token, &set(private)).unwrap();
            assert_eq!(d.plaintext, b"payload", "{alg} {enc}");
            assert_eq!((d.alg, d.enc), (alg, enc));
            let (public, private) = key_for(alg, enc, &rsa);
            let json = Encrypter::with_enc(enc)
                .recipient(&public, alg)
                .unwrap()
                .aad(b"aad")
                .pbes2_count(1000)
                .encrypt_json(b"json payload", true)
                .unwrap();
            let d = opts(alg, enc).decrypt(&json, &set(private)).unwrap();
            assert_eq!(d.plaintext, b"json payload", "{alg} {enc} flattened");
            assert_eq!(d.aad.as_deref(), Some(&b"aad"[..]));
            n += 2;
        }
    }
    assert_eq!(n, 16 * 6 * 2);
}

#[test]
fn ecdh_on_every_curve() {
    for spec in [
        KeySpec::Ec(EcCurve::P256),
        KeySpec::Ec(EcCurve::P384),
        KeySpec::Ec(EcCurve::P521),
        KeySpec::Okp(OkpCurve::X25519),
    ] {
        let k = Key::generate(spec).unwrap();
        for alg in [
            KeyMgmtAlg::ECDH_ES,
            KeyMgmtAlg::ECDH_ES_A128KW,
            KeyMgmtAlg::ECDH_ES_A192KW,
            KeyMgmtAlg::ECDH_ES_A256KW,
        ] {
            let token = Encrypter::new(&k.to_public().unwrap(), alg, EncAlg::A256GCM)
                .unwrap()
                .agreement_info(Some(b"Alice"), Some(b"Bob"))
                .encrypt(b"x")
                .unwrap();
            let d = opts(alg, EncAlg::A256GCM)
                .decrypt(
                    &token,
                    &JwkSet::from_keys(vec![Key::from_pkcs8(&k.private_key_der().unwrap()).unwrap()]),
                )
                .unwrap();
            assert_eq!(d.plaintext, b"x");
            assert_eq!(d.header.get("apu").and_then(Value::as_str), Some("QWxpY2U"));
        }
    }
}

#[test]
fn multiple_recipients_and_unprotected_headers() {
    let a = Key::hmac(vec![1u8; 16]).with_kid("a");
    let b = Key::generate(KeySpec::Ec(EcCurve::P384)).unwrap().with_kid("b");
    let c = Key::hmac(b"pass phrase".to_vec()).with_kid("c");
    let json = Encrypter::with_enc(EncAlg::A128CBC_HS256)
        .recipient(&a, KeyMgmtAlg::A128KW)
        .unwrap()
        .recipient(&b.to_public().unwrap(), KeyMgmtAlg::ECDH_ES_A256KW)
        .unwrap()
        .recipient(&c, KeyMgmtAlg::PBES2_HS256_A128KW)
        .unwrap()
        .unprotected_param("jku", "https://example.com/keys".into())
        .deflate(true)
        .encrypt_json(b"to three recipients to three recipients", false)
        .unwrap();
    let all = DecryptOptions::new(AlgorithmSet::<KeyMgmtAlg>::all(), AlgorithmSet::<EncAlg>::all());
    for (key, index) in [(a, 0), (b, 1), (c, 2)] {
        let d = all.decrypt(&json, &set(key)).unwrap();
        assert_eq!(d.plaintext, b"to three recipients to three recipients");
        assert_eq!(d.recipient_index, index);
        assert_eq!(
            d.header.get("jku").and_then(Value::as_str),
            Some("https://example.com/keys")
        );
        assert_eq!(d.header.zip(), Some("DEF"));
    }
    // dir cannot share a CEK with other recipients.
    let k = Key::hmac(vec![0u8; 32]);
    let e = Encrypter::with_enc(EncAlg::A256GCM)
        .recipient(&k, KeyMgmtAlg::Dir)
        .unwrap()
        .recipient(&Key::hmac(vec![0u8; 16]), KeyMgmtAlg::A128KW)
        .unwrap()
        .encrypt_json(b"x", false)
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidConfig);
}

#[test]
fn pbes2_count_above_the_limit_is_rejected_before_any_work() {
    let k = Key::hmac(b"password".to_vec());
    let token = Encrypter::new(&k, KeyMgmtAlg::PBES2_HS512_A256KW, EncAlg::A256GCM)
        .unwrap()
        .encrypt(b"x")
        .unwrap();
    let hostile = with_header(&token, |h| {
        h.insert("p2c".into(), 10_000_000.into());
    });
    let start = Instant::now();
    let e = opts(KeyMgmtAlg::PBES2_HS512_A256KW, EncAlg::A256GCM)
        .decrypt(&hostile, &set(k))
        .unwrap_err();
    let took = start.elapsed();
    assert_eq!(e.kind(), ErrorKind::ResourceLimit);
    assert_eq!(e.to_json()["limit"]["what"], "p2c");
    assert_eq!(e.to_json()["limit"]["actual"], 10_000_000);
    println!("p2c 10,000,000 rejected in {took:?}");
    // Deriving with 10M iterations takes seconds; being far below that shows no PBKDF2 ran.
    assert!(took.as_millis() < 1000, "{took:?}");
}

#[test]
fn deflate_bomb_hits_the_inflate_bound() {
    let k = Key::hmac(vec![9u8; 16]);
    // 16 MiB of zeros deflates to about 16 KiB: 1000× ratio.
    let bomb = vec![0u8; 16 * 1024 * 1024];
    let token = Encrypter::new(&k, KeyMgmtAlg::Dir, EncAlg::A128GCM)
        .unwrap()
        .deflate(true)
        .encrypt(&bomb)
        .unwrap();
    assert!(token.len() < 64 * 1024, "{}", token.len());
    let start = Instant::now();
    let e = opts(KeyMgmtAlg::Dir, EncAlg::A128GCM)
        .decrypt(&token, &set(Key::hmac(vec![9u8; 16])))
        .unwrap_err();
    println!("DEF bomb rejected in {:?}: {}", start.elapsed(), e.message());
    assert_eq!(e.kind(), ErrorKind::ResourceLimit);
    let j = e.to_json();
    assert!(j["limit"]["limit"].as_u64().unwrap() <= 256 * 1024, "{j}");
    // Under the byte limit but above the ratio: rejected too.
    let token = Encrypter::new(&k, KeyMgmtAlg::Dir, EncAlg::A128GCM)
        .unwrap()
        .deflate(true)
        .encrypt(&vec![b'a'; 200 * 1024])
        .unwrap();
    let e = opts(KeyMgmtAlg::Dir, EncAlg::A128GCM)
        .decrypt(&token, &set(Key::hmac(vec![9u8; 16])))
        .unwrap_err();
    assert_eq!(e.to_json()["limit"]["what"], "inflate_ratio");
    // A normal compressed payload inflates.
    let token = Encrypter::new(&k, KeyMgmtAlg::Dir, EncAlg::A128GCM)
        .unwrap()
        .deflate(true)
        .encrypt(b"{\"sub\":\"1\"}")
        .unwrap();
    assert_eq!(
        opts(KeyMgmtAlg::Dir, EncAlg::A128GCM)
            .decrypt(&token, &set(k))
            .unwrap()
            .plaintext,
        b"{\"sub\":\"1\"}"
    );
}

#[test]
fn ephemeral_keys_off_the_curve_or_on_another_curve_are_rejected() {
    let k = Key::generate(KeySpec::Ec(EcCurve::P256)).unwrap();
    let token = Encrypter::new(&k, KeyMgmtAlg::ECDH_ES, EncAlg::A128GCM)
        .unwrap()
        .encrypt(b"x")
        .unwrap();
    let o = opts(KeyMgmtAlg::ECDH_ES, EncAlg::A128GCM);
    let keys = set(Key::from_pkcs8(&k.private_key_der().unwrap()).unwrap());
    assert!(o.decrypt(&token, &keys).is_ok());
    // y + 1: not on the curve (invalid-curve attack).
    let off = with_header(&token, |h| {
        let epk = h["epk"].as_object_mut().unwrap();
        let mut y = unb64(epk["y"].as_str().unwrap());
        *y.last_mut().unwrap() ^= 1;
        epk.insert("y".into(), b64(&y).into());
    });
    assert_decrypt_failed(o.decrypt(&off, &keys), "point off the curve");
    // A valid P-384 point presented as the epk of a P-256 recipient.
    let other = Key::generate(KeySpec::Ec(EcCurve::P384)).unwrap();
    let jwk = other.to_jwk(false);
    let wrong = with_header(&token, |h| {
        h.insert(
            "epk".into(),
            serde_json::json!({"kty":"EC","crv":"P-384","x":jwk["x"],"y":jwk["y"]}),
        );
    });
    assert_decrypt_failed(o.decrypt(&wrong, &keys), "epk on another curve");
    // The identity / all-zero X25519 point (low order): the shared secret would be zero.
    let x = Key::generate(KeySpec::Okp(OkpCurve::X25519)).unwrap();
    let token = Encrypter::new(&x, KeyMgmtAlg::ECDH_ES, EncAlg::A128GCM)
        .unwrap()
        .encrypt(b"x")
        .unwrap();
    let zero = with_header(&token, |h| {
        h.insert(
            "epk".into(),
            serde_json::json!({"kty":"OKP","crv":"X25519","x":b64(&[0u8; 32])}),
        );
    });
    assert_decrypt_failed(o.decrypt(&zero, &set(x)), "low-order X25519 point");
}

#[test]
fn tampering_gives_one_identical_decrypt_failed() {
    for (alg, enc) in [
        (KeyMgmtAlg::A128KW, EncAlg::A128CBC_HS256),
        (KeyMgmtAlg::A256GCMKW, EncAlg::A256GCM),
        (KeyMgmtAlg::Dir, EncAlg::A256CBC_HS512),
    ] {
        let len = alg.wrap_key_len().unwrap_or(enc.key_len());
        let k = Key::hmac(vec![7u8; len]);
        let keys = set(Key::hmac(vec![7u8; len]));
        let o = opts(alg, enc);
        let token = Encrypter::new(&k, alg, enc)
            .unwrap()
            .encrypt(b"the plaintext, long enough for two blocks")
            .unwrap();
        let other = Encrypter::new(&k, alg, enc)
            .unwrap()
            .encrypt(b"another plaintext of another length")
            .unwrap();
        assert!(o.decrypt(&token, &keys).is_ok());
        let seg: Vec<&str> = token.split('.').collect();
        let other_seg: Vec<&str> = other.split('.').collect();
        let tag = unb64(seg[4]);
        assert_decrypt_failed(
            o.decrypt(&replace_segment(&token, 4, &b64(&tag[..tag.len() - 1])), &keys),
            "truncated tag",
        );
        assert_decrypt_failed(o.decrypt(&replace_segment(&token, 4, ""), &keys), "empty tag");
        assert_decrypt_failed(
            o.decrypt(&replace_segment(&token, 3, other_seg[3]), &keys),
            "swapped ciphertext",
        );
        let mut ct = unb64(seg[3]);
        *ct.last_mut().unwrap() ^= 1; // the CBC padding byte: a padding oracle would tell
        assert_decrypt_failed(
            o.decrypt(&replace_segment(&token, 3, &b64(&ct)), &keys),
            "flipped last byte",
        );
        assert_decrypt_failed(
            o.decrypt(&replace_segment(&token, 2, &b64(&[0u8; 7])), &keys),
            "short iv",
        );
        if alg != KeyMgmtAlg::Dir {
            let mut ek = unb64(seg[1]);
            ek[0] ^= 1;
            assert_decrypt_failed(
                o.decrypt(&replace_segment(&token, 1, &b64(&ek)), &keys),
                "bad wrapped key",
            );
        } else {
            assert_decrypt_failed(
                o.decrypt(&replace_segment(&token, 1, "AAAA"), &keys),
                "dir with an encrypted key",
            );
        }
        let wrong = set(Key::hmac(vec![8u8; len]));
        assert_decrypt_failed(o.decrypt(&token, &wrong), "wrong key");
    }
    // RSA-OAEP with another RSA key.
    let a = Key::generate(KeySpec::Rsa(2048)).unwrap();
    let b = Key::generate(KeySpec::Rsa(2048)).unwrap();
    let token = Encrypter::new(&a, KeyMgmtAlg::RSA_OAEP_256, EncAlg::A256GCM)
        .unwrap()
        .encrypt(b"x")
        .unwrap();
    assert_decrypt_failed(
        opts(KeyMgmtAlg::RSA_OAEP_256, EncAlg::A256GCM).decrypt(&token, &set(b)),
        "wrong RSA key",
    );
}

fn rfc7516_a2() -> (String, Key) {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors/rfc7516/jwe.json");
    let cases: Vec<Value> = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    let c = cases
        .iter()
        .find(|c| c["id"] == "rfc7516-a2-rsa1_5-a128cbc-hs256")
        .unwrap();
    (
        c["token"].as_str().unwrap().to_string(),
        Key::from_jwk(c["key"]["jwk"].as_object().unwrap()).unwrap(),
    )
}

#[test]
fn rsa1_5_is_refused_by_default() {
    let (token, key) = rfc7516_a2();
    let keys = set(key);
    // No allowlist from the caller: the allowlist comes from the key, RSA1_5 is refused.
    let e = (DecryptOptions::from_keys(&keys, AlgorithmSet::<EncAlg>::all()))
        .decrypt(&token, &keys)
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::UnsupportedAlg);
    assert!(e.message().contains("Bleichenbacher"), "{}", e.message());
    // Listed without the insecure option: still refused.
    let e = opts(KeyMgmtAlg::RSA1_5, EncAlg::A128CBC_HS256)
        .decrypt(&token, &keys)
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::UnsupportedAlg);
    // Not listed: not allowed.
    let e = opts(KeyMgmtAlg::RSA_OAEP_256, EncAlg::A128CBC_HS256)
        .decrypt(&token, &keys)
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::AlgNotAllowed);
    // Explicit insecure opt-in: decrypts (RFC 7516 A.2).
    let mut o = opts(KeyMgmtAlg::RSA1_5, EncAlg::A128CBC_HS256);
    o.insecure_allow_rsa1_5 = true;
    assert_eq!(
        o.decrypt(&token, &keys).unwrap().plaintext,
        b"Live long and prosper."
    );
    // A corrupted RSA1_5 encrypted key yields the same decrypt_failed as a bad tag (§11.5).
    let mut ek = unb64(token.split('.').nth(1).unwrap());
    ek[10] ^= 0xff;
    assert_decrypt_failed(
        o.decrypt(&replace_segment(&token, 1, &b64(&ek)), &keys),
        "RSA1_5 bad padding",
    );
    // jwtkit never produces RSA1_5.
    let k = Key::generate(KeySpec::Rsa(2048)).unwrap();
    assert_eq!(
        Encrypter::new(&k, KeyMgmtAlg::RSA1_5, EncAlg::A128GCM)
            .err()
            .unwrap()
            .kind(),
        ErrorKind::UnsupportedAlg
    );
}

#[test]
fn header_and_allowlist_errors_are_precise() {
    let k = Key::hmac(vec![1u8; 16]);
    let token = Encrypter::new(&k, KeyMgmtAlg::A128KW, EncAlg::A128GCM)
        .unwrap()
        .encrypt(b"x")
        .unwrap();
    let keys = set(Key::hmac(vec![1u8; 16]));
    let kind = |t: &str, o: &DecryptOptions| o.decrypt(t, &keys).unwrap_err().kind();
    let o = opts(KeyMgmtAlg::A128KW, EncAlg::A128GCM);
    assert_eq!(
        kind(&token, &opts(KeyMgmtAlg::A256KW, EncAlg::A128GCM)),
        ErrorKind::AlgNotAllowed
    );
    assert_eq!(
        kind(&token, &opts(KeyMgmtAlg::A128KW, EncAlg::A256GCM)),
        ErrorKind::AlgNotAllowed
    );
    assert_eq!(
        kind(
            &with_header(&token, |h| {
                h.insert("enc".into(), "A128CBC".into());
            }),
            &o
        ),
        ErrorKind::UnsupportedAlg
    );
    assert_eq!(
        kind(
            &with_header(&token, |h| {
                h.insert("alg".into(), "none".into());
            }),
            &o
        ),
        ErrorKind::UnsupportedAlg
    );
    assert_eq!(
        kind(
            &with_header(&token, |h| {
                h.insert("zip".into(), "GZIP".into());
            }),
            &o
        ),
        ErrorKind::UnsupportedAlg
    );
    assert_eq!(
        kind(
            &with_header(&token, |h| {
                h.remove("enc");
            }),
            &o
        ),
        ErrorKind::Malformed
    );
    assert_eq!(
        kind(
            &with_header(&token, |h| {
                h.insert("crit".into(), serde_json::json!(["x"]));
                h.insert("x".into(), 1.into());
            }),
            &o
        ),
        ErrorKind::UnsupportedCrit
    );
    assert_eq!(kind(&token.replacen('.', "..", 1), &o), ErrorKind::Malformed);
    assert_eq!(kind(&format!("{token}="), &o), ErrorKind::BadBase64);
    assert_eq!(
        kind(
            &with_header(&token, |h| {
                h.insert("kid".into(), "nope".into());
            }),
            &DecryptOptions::new(KeyMgmtAlg::A128KW, EncAlg::A128GCM)
        ),
        ErrorKind::DecryptFailed
    );
    let kid_keys = set(Key::hmac(vec![1u8; 16]).with_kid("k1"));
    assert_eq!(
        o.decrypt(
            &with_header(&token, |h| {
                h.insert("kid".into(), "nope".into());
            }),
            &kid_keys
        )
        .unwrap_err()
        .kind(),
        ErrorKind::KeyNotFound
    );
    // An RSA key for A128KW: key_mismatch, before any cryptography.
    let rsa = set(Key::generate(KeySpec::Rsa(2048)).unwrap());
    assert_eq!(
        o.decrypt(&token, &rsa).unwrap_err().kind(),
        ErrorKind::KeyMismatch
    );
    // Empty allowlists are a caller error.
    assert_eq!(
        kind(
            &token,
            &DecryptOptions::new(AlgorithmSet::<KeyMgmtAlg>::empty(), EncAlg::A128GCM)
        ),
        ErrorKind::InvalidConfig
    );
    // Too many recipients: rejected before any is processed.
    let r = serde_json::json!({"header":{"alg":"A128KW"},"encrypted_key":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"});
    let doc = serde_json::json!({"protected": b64(br#"{"enc":"A128GCM"}"#), "recipients": vec![r; 17], "iv":"AAAAAAAAAAAAAAAA", "ciphertext":"AA", "tag":"AAAAAAAAAAAAAAAAAAAAAA"});
    assert_eq!(kind(&doc.to_string(), &o), ErrorKind::ResourceLimit);
    // The same member in protected and unprotected headers: malformed (RFC 7516 §7.2.1).
    let doc = serde_json::json!({"protected": b64(br#"{"enc":"A128GCM","alg":"A128KW"}"#), "unprotected": {"alg":"A128KW"}, "encrypted_key":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "iv":"AAAAAAAAAAAAAAAA", "ciphertext":"AA", "tag":"AAAAAAAAAAAAAAAAAAAAAA"});
    assert_eq!(kind(&doc.to_string(), &o), ErrorKind::Malformed);
}

#[test]
fn nested_jwt_uses_three_allowlists() {
    let sig = Key::generate(KeySpec::Ec(EcCurve::P256)).unwrap();
    let inner = jwtkit::jws::Signer::new(&sig, JwsAlg::ES256)
        .unwrap()
        .typ("JWT")
        .build()
        .unwrap()
        .sign(br#"{"iss":"https://issuer.example","exp":4102444800}"#)
        .unwrap();
    let rsa = Key::generate(KeySpec::Rsa(2048)).unwrap();
    let token = Encrypter::new(
        &rsa.to_public().unwrap(),
        KeyMgmtAlg::RSA_OAEP_256,
        EncAlg::A256GCM,
    )
    .unwrap()
    .cty("JWT")
    .encrypt(inner.as_bytes())
    .unwrap();
    let dk = set(rsa);
    let vk = set(sig.to_public().unwrap());
    let d = opts(KeyMgmtAlg::RSA_OAEP_256, EncAlg::A256GCM);
    let v = Validation::builder(JwsAlg::ES256)
        .issuer("https://issuer.example")
        .build()
        .unwrap();
    let n = jwtkit::jwt::decrypt_then_verify(&token, &dk, &d, &vk, &v).unwrap();
    assert_eq!(
        n.claims.get("iss").and_then(Value::as_str),
        Some("https://issuer.example")
    );
    assert_eq!(n.inner.as_ref().map(|i| i.alg), Some(JwsAlg::ES256));
    assert_eq!(n.jwe.alg, KeyMgmtAlg::RSA_OAEP_256);
    // Signature allowlist without ES256.
    let rs = Validation::builder(JwsAlg::RS256).build().unwrap();
    assert_eq!(
        jwtkit::jwt::decrypt_then_verify(&token, &dk, &d, &vk, &rs)
            .unwrap_err()
            .kind(),
        ErrorKind::AlgNotAllowed
    );
    // Content encryption allowlist without A256GCM.
    let d2 = opts(KeyMgmtAlg::RSA_OAEP_256, EncAlg::A128GCM);
    assert_eq!(
        jwtkit::jwt::decrypt_then_verify(&token, &dk, &d2, &vk, &v)
            .unwrap_err()
            .kind(),
        ErrorKind::AlgNotAllowed
    );
    // Wrong issuer in the nested claims.
    let other = Validation::builder(JwsAlg::ES256)
        .issuer("https://other.example")
        .build()
        .unwrap();
    assert_eq!(
        jwtkit::jwt::decrypt_then_verify(&token, &dk, &d, &vk, &other)
            .unwrap_err()
            .kind(),
        ErrorKind::BadIssuer
    );
    // An encrypted but unsigned claims set is refused unless allowed.
    let rsa2 = Key::generate(KeySpec::Rsa(2048)).unwrap();
    let unsigned = Encrypter::new(&rsa2, KeyMgmtAlg::RSA_OAEP_256, EncAlg::A256GCM)
        .unwrap()
        .encrypt(br#"{"sub":"forged"}"#)
        .unwrap();
    let dk2 = set(rsa2);
    assert_eq!(
        jwtkit::jwt::decrypt_then_verify(&unsigned, &dk2, &d, &vk, &v)
            .unwrap_err()
            .kind(),
        ErrorKind::BadSignature
    );
    let mut allow = d.clone();
    allow.allow_unsigned_claims = true;
    let plain = Validation::builder(JwsAlg::ES256).build().unwrap();
    let n = jwtkit::jwt::decrypt_then_verify(&unsigned, &dk2, &allow, &vk, &plain).unwrap();
    assert!(n.inner.is_none());
    assert_eq!(n.claims.get("sub").and_then(Value::as_str), Some("forged"));
}
