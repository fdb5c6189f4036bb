//! JWE decryption of a 1 KiB payload, compact serialization, against the bare aws-lc-rs
//! operations the same decryption needs (the reference, measured in the same run):
//!
//! - `decrypt/RSA-OAEP-256+A256GCM` vs `bare/RSA-OAEP-256+A256GCM` (OAEP decrypt of the CEK
//!   with a parsed key + AES-256-GCM open);
//! - `decrypt/ECDH-ES+A128GCM` vs `bare/ECDH-ES+A128GCM` (P-256 agreement + Concat KDF +
//!   AES-128-GCM open);
//! - `decrypt/dir+A128CBC-HS256` vs `bare/dir+A128CBC-HS256` (HMAC-SHA-256 + AES-128-CBC).
//!
//! jwtkit's figure includes parsing, strict JSON, header and allowlist checks, key selection
//! and base64url; run with `cargo bench -p jwtkit --bench decrypt`.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use std::hint::black_box;

use aws_lc_rs::aead::{AES_128_GCM, AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
use aws_lc_rs::agreement::{self, PrivateKey, UnparsedPublicKey};
use aws_lc_rs::cipher::{AES_128, DecryptionContext, PaddedBlockDecryptingKey, UnboundCipherKey};
use aws_lc_rs::iv::FixedLength;
use aws_lc_rs::rsa::{OAEP_SHA256_MGF1SHA256, OaepPrivateDecryptingKey, PrivateDecryptingKey};
use aws_lc_rs::{hmac, kdf};
use criterion::{Criterion, criterion_group, criterion_main};
use jwtkit::jwe::{DecryptOptions, Encrypter};
use jwtkit::jwk::KeySpec;
use jwtkit::{EcCurve, EncAlg, JwkSet, Key, KeyMgmtAlg};

fn payload() -> Vec<u8> {
    (0..1024u32).map(|i| b'a' + (i % 26) as u8).collect()
}

fn seg(token: &str, i: usize) -> Vec<u8> {
    URL_SAFE_NO_PAD.decode(token.split('.').nth(i).unwrap()).unwrap()
}

fn bench(c: &mut Criterion) {
    let p = payload();

    // RSA-OAEP-256 + A256GCM
    let rsa = Key::generate(KeySpec::Rsa(2048)).unwrap();
    let pkcs8 = rsa.private_key_der().unwrap();
    let token = Encrypter::new(&rsa, KeyMgmtAlg::RSA_OAEP_256, EncAlg::A256GCM)
        .unwrap()
        .encrypt(&p)
        .unwrap();
    let keys = JwkSet::from_keys(vec![rsa]);
    let opts = DecryptOptions::new(KeyMgmtAlg::RSA_OAEP_256, EncAlg::A256GCM);
    assert_eq!(opts.decrypt(&token, &keys).unwrap().plaintext, p);
    c.bench_function("decrypt/RSA-OAEP-256+A256GCM", |b| {
        b.iter(|| opts.decrypt(black_box(&token), &keys).unwrap())
    });
    let oaep = OaepPrivateDecryptingKey::new(PrivateDecryptingKey::from_pkcs8(&pkcs8).unwrap()).unwrap();
    let (ek, iv, ct, tag) = (seg(&token, 1), seg(&token, 2), seg(&token, 3), seg(&token, 4));
    let aad = token.split('.').next().unwrap().as_bytes().to_vec();
    c.bench_function("bare/RSA-OAEP-256+A256GCM", |b| {
        b.iter(|| {
            let mut cek = [0u8; 256];
            let cek = oaep
                .decrypt(&OAEP_SHA256_MGF1SHA256, black_box(&ek), &mut cek, None)
                .unwrap();
            let k = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, cek).unwrap());
            let mut buf = [&ct[..], &tag[..]].concat();
            let n = Nonce::try_assume_unique_for_key(&iv).unwrap();
            k.open_in_place(n, Aad::from(&aad), &mut buf).unwrap().len()
        })
    });

    // ECDH-ES + A128GCM (P-256)
    let ec = Key::generate(KeySpec::Ec(EcCurve::P256)).unwrap();
    let d = URL_SAFE_NO_PAD
        .decode(ec.to_jwk(true)["d"].as_str().unwrap())
        .unwrap();
    let token = Encrypter::new(&ec, KeyMgmtAlg::ECDH_ES, EncAlg::A128GCM)
        .unwrap()
        .encrypt(&p)
        .unwrap();
    let keys = JwkSet::from_keys(vec![ec]);
    let opts = DecryptOptions::new(KeyMgmtAlg::ECDH_ES, EncAlg::A128GCM);
    assert_eq!(opts.decrypt(&token, &keys).unwrap().plaintext, p);
    c.bench_function("decrypt/ECDH-ES+A128GCM", |b| {
        b.iter(|| opts.decrypt(black_box(&token), &keys).unwrap())
    });
    let header: serde_json::Value = serde_json::from_slice(&seg(&token, 0)).unwrap();
    let x = URL_SAFE_NO_PAD
        .decode(header["epk"]["x"].as_str().unwrap())
        .unwrap();
    let y = URL_SAFE_NO_PAD
        .decode(header["epk"]["y"].as_str().unwrap())
        .unwrap();
    let point = [&[4u8][..], &x, &y].concat();
    let sk = PrivateKey::from_private_key(&agreement::ECDH_P256, &d).unwrap();
    let (iv, ct, tag) = (seg(&token, 2), seg(&token, 3), seg(&token, 4));
    let aad = token.split('.').next().unwrap().as_bytes().to_vec();
    let mut info = Vec::new();
    for part in [&b"A128GCM"[..], b"", b""] {
        info.extend_from_slice(&(part.len() as u32).to_be_bytes());
        info.extend_from_slice(part);
    }
    info.extend_from_slice(&128u32.to_be_bytes());
    let sskdf = kdf::get_sskdf_digest_algorithm(kdf::SskdfDigestAlgorithmId::Sha256).unwrap();
    c.bench_function("bare/ECDH-ES+A128GCM", |b| {
        b.iter(|| {
            let mut cek = [0u8; 16];
            agreement::agree(
                &sk,
                UnparsedPublicKey::new(&agreement::ECDH_P256, black_box(&point)),
                (),
                |z| kdf::sskdf_digest(sskdf, z, &info, &mut cek).map_err(|_| ()),
            )
            .unwrap();
            let k = LessSafeKey::new(UnboundKey::new(&AES_128_GCM, &cek).unwrap());
            let mut buf = [&ct[..], &tag[..]].concat();
            let n = Nonce::try_assume_unique_for_key(&iv).unwrap();
            k.open_in_place(n, Aad::from(&aad), &mut buf).unwrap().len()
        })
    });

    // dir + A128CBC-HS256
    let secret = vec![0x5au8; 32];
    let token = Encrypter::new(&Key::hmac(secret.clone()), KeyMgmtAlg::Dir, EncAlg::A128CBC_HS256)
        .unwrap()
        .encrypt(&p)
        .unwrap();
    let keys = JwkSet::from_keys(vec![Key::hmac(secret.clone())]);
    let opts = DecryptOptions::new(KeyMgmtAlg::Dir, EncAlg::A128CBC_HS256);
    assert_eq!(opts.decrypt(&token, &keys).unwrap().plaintext, p);
    c.bench_function("decrypt/dir+A128CBC-HS256", |b| {
        b.iter(|| opts.decrypt(black_box(&token), &keys).unwrap())
    });
    let (iv, ct, tag) = (seg(&token, 2), seg(&token, 3), seg(&token, 4));
    let aad = token.split('.').next().unwrap().as_bytes().to_vec();
    c.bench_function("bare/dir+A128CBC-HS256", |b| {
        b.iter(|| {
            // The MAC and encryption keys come from the CEK, so both are set up per token.
            let mac_key = hmac::Key::new(hmac::HMAC_SHA256, &secret[..16]);
            let mut ctx = hmac::Context::with_key(&mac_key);
            ctx.update(&aad);
            ctx.update(&iv);
            ctx.update(black_box(&ct));
            ctx.update(&((aad.len() as u64) * 8).to_be_bytes());
            let t = ctx.sign();
            assert!(aws_lc_rs::constant_time::verify_slices_are_equal(&t.as_ref()[..16], &tag).is_ok());
            let k =
                PaddedBlockDecryptingKey::cbc_pkcs7(UnboundCipherKey::new(&AES_128, &secret[16..]).unwrap())
                    .unwrap();
            let mut buf = ct.clone();
            let iv16: [u8; 16] = iv.as_slice().try_into().unwrap();
            k.decrypt(&mut buf, DecryptionContext::Iv128(FixedLength::from(iv16)))
                .unwrap()
                .len()
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
