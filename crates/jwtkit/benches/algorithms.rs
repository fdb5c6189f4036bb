//! The algorithms added after RFC 7518 next to ES256: full JWT verification with jwtkit
//! (`verify/<alg>/jwtkit`: structure, header, key, signature, claims) against the bare aws-lc-rs
//! signature check over the same JWS Signing Input with a key parsed once (`verify/<alg>/bare`),
//! for ES256, ES256K, Ed25519 and ML-DSA-44/65/87, in one run.
//!
//! Run: `cargo bench -p jwtkit --bench algorithms`. A benchmark, not a test: it asserts that
//! both sides accept the token, never a timing. Wall-clock time (criterion's default).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use std::hint::black_box;
use std::time::Duration;

use aws_lc_rs::signature::{self, ParsedPublicKey};
use criterion::{Criterion, criterion_group, criterion_main};
use jwtkit::jwk::KeySpec;
use jwtkit::jws::Signer;
use jwtkit::{EcCurve, JwkSet, JwsAlg, Key, MlDsa, OkpCurve, Validation};

fn bench(c: &mut Criterion) {
    let claims = serde_json::json!({
        "iss": "https://auth.example.com/", "sub": "user-4f1c2a9e", "aud": "orders-api",
        "exp": 4_102_444_800u64, "nbf": 1_700_000_000u64, "iat": 1_700_000_000u64,
        "jti": "b7c1d2", "scope": "orders:read", "email": "ada@example.com", "email_verified": true
    });
    let cases: [(JwsAlg, KeySpec, &'static dyn signature::VerificationAlgorithm); 6] = [
        (
            JwsAlg::ES256,
            KeySpec::Ec(EcCurve::P256),
            &signature::ECDSA_P256_SHA256_FIXED,
        ),
        (
            JwsAlg::ES256K,
            KeySpec::Ec(EcCurve::Secp256k1),
            &signature::ECDSA_P256K1_SHA256_FIXED,
        ),
        (
            JwsAlg::Ed25519,
            KeySpec::Okp(OkpCurve::Ed25519),
            &signature::ED25519,
        ),
        (
            JwsAlg::ML_DSA_44,
            KeySpec::Akp(MlDsa::MlDsa44),
            &signature::ML_DSA_44,
        ),
        (
            JwsAlg::ML_DSA_65,
            KeySpec::Akp(MlDsa::MlDsa65),
            &signature::ML_DSA_65,
        ),
        (
            JwsAlg::ML_DSA_87,
            KeySpec::Akp(MlDsa::MlDsa87),
            &signature::ML_DSA_87,
        ),
    ];
    for (alg, spec, bare_alg) in cases {
        let key = Key::generate(spec).unwrap();
        let token = Signer::new(&key, alg)
            .unwrap()
            .build()
            .unwrap()
            .sign_claims(claims.as_object().unwrap())
            .unwrap();
        let public = key.to_public().unwrap();
        // The bare check: the raw public key (the SPKI's BIT STRING content) parsed once.
        let spki = public.public_key_der().unwrap();
        let raw = match alg {
            JwsAlg::ML_DSA_44 | JwsAlg::ML_DSA_65 | JwsAlg::ML_DSA_87 => spki.clone(),
            _ => {
                let jwk = public.to_jwk(false);
                match (jwk.get("x"), jwk.get("y")) {
                    (Some(x), Some(y)) => [
                        vec![4u8],
                        URL_SAFE_NO_PAD.decode(x.as_str().unwrap()).unwrap(),
                        URL_SAFE_NO_PAD.decode(y.as_str().unwrap()).unwrap(),
                    ]
                    .concat(),
                    (Some(x), None) => URL_SAFE_NO_PAD.decode(x.as_str().unwrap()).unwrap(),
                    _ => unreachable!(),
                }
            }
        };
        let parsed = ParsedPublicKey::new(bare_alg, &raw).unwrap();
        let (input, sig) = token.rsplit_once('.').unwrap();
        let sig = URL_SAFE_NO_PAD.decode(sig).unwrap();
        parsed.verify_sig(input.as_bytes(), &sig).unwrap();
        let keys = JwkSet::from_keys(vec![public]);
        let validation = Validation::builder(alg)
            .issuer("https://auth.example.com/")
            .audience("orders-api")
            .build()
            .unwrap();
        jwtkit::verify(&token, &keys, &validation).unwrap();
        c.bench_function(&format!("verify/{alg}/jwtkit"), |b| {
            b.iter(|| jwtkit::verify(black_box(&token), &keys, &validation).unwrap())
        });
        c.bench_function(&format!("verify/{alg}/bare"), |b| {
            b.iter(|| {
                parsed
                    .verify_sig(black_box(input.as_bytes()), black_box(&sig))
                    .unwrap()
            })
        });
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(2));
    targets = bench
}
criterion_main!(benches);
