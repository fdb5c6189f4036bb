//! Full JWT verification (signature + claims) and signing, for HS256, RS256, PS256, ES256, ES384
//! and EdDSA, measured in one run against two references:
//!
//! - `bare`: the aws-lc-rs operation alone with a key parsed once (`hmac::verify` with a built
//!   `hmac::Key`, `ParsedPublicKey::verify_sig`, `RsaKeyPair::sign`, ...) over the same JWS
//!   Signing Input and signature bytes: the floor any JOSE layer over aws-lc-rs pays;
//! - `jwtkit-typed` ("verify + typed claims"): `jwtkit::verify_as` into the same 10-claim struct
//!   `jsonwebtoken` deserializes, read in the claims set's checking pass — the like-for-like
//!   comparison; `jwtkit-claims_as` is `jwtkit::verify` then `Verified::claims_as` (two passes),
//!   `jwtkit-claims` verification then the claims map;
//! - `jsonwebtoken`: the `jsonwebtoken` crate (12, `aws_lc_rs` backend) verifying the same
//!   token with the same checks (exp, nbf, iss, aud) into a typed claims struct.
//!
//! Benchmark ids are `verify/<alg>/<impl>` and `sign/<alg>/<impl>`; `scripts/bench-table.py`
//! turns `target/criterion/**/new/estimates.json` into the ratio table of the README.
//!
//! Run: `cargo bench -p jwtkit --bench jws` (add `-- verify/HS256` to filter). A benchmark,
//! not a test: it asserts that every implementation accepts the token, never a timing.
//!
//! Clock: the benchmark thread's **CPU time** (`CLOCK_THREAD_CPUTIME_ID`) by default, so time
//! the thread spends descheduled on a shared machine is not counted; set
//! `JWTKIT_BENCH_CLOCK=wall` for criterion's usual wall-clock time. All three implementations
//! of an operation are measured with the same clock in the same run.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use std::hint::black_box;
use std::time::{Duration, Instant};

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{self, EcdsaKeyPair, Ed25519KeyPair, ParsedPublicKey, RsaKeyPair};
use aws_lc_rs::{hmac, rand::SecureRandom};
use cpu_time::ThreadTime;
use criterion::measurement::{Measurement, ValueFormatter};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use jwtkit::jwk::KeySpec;
use jwtkit::jws::Signer;
use jwtkit::{JwkSet, JwsAlg, Key, Validation};
use serde::{Deserialize, Serialize};

const ISSUER: &str = "https://auth.example.com/";
const AUDIENCE: &str = "orders-api";

/// A realistic access token: the seven registered claims plus three private ones.
#[derive(Serialize, Deserialize)]
struct BenchClaims {
    iss: String,
    sub: String,
    aud: String,
    exp: u64,
    nbf: u64,
    iat: u64,
    jti: String,
    scope: String,
    email: String,
    email_verified: bool,
}

fn claims() -> BenchClaims {
    BenchClaims {
        iss: ISSUER.into(),
        sub: "user-4f1c2a9e".into(),
        aud: AUDIENCE.into(),
        exp: 4_102_444_800,
        nbf: 1_700_000_000,
        iat: 1_700_000_000,
        jti: "8c1f7e2a-3b5d-4e6f-9a0b-1c2d3e4f5a6b".into(),
        scope: "orders:read orders:write".into(),
        email: "jane.doe@example.com".into(),
        email_verified: true,
    }
}

/// The bare aws-lc-rs operations for one algorithm, keys parsed once.
#[allow(clippy::large_enum_variant)]
enum Bare {
    Hmac(hmac::Key),
    Rsa(ParsedPublicKey, RsaKeyPair, &'static dyn signature::RsaEncoding),
    Ecdsa(ParsedPublicKey, EcdsaKeyPair),
    Ed25519(ParsedPublicKey, Ed25519KeyPair),
}

impl Bare {
    fn new(alg: JwsAlg, key: &Key) -> Bare {
        let pkcs8 = || key.private_key_der().expect("private key");
        let spki = || key.public_key_der().expect("public key");
        match alg {
            JwsAlg::HS256 => Bare::Hmac(hmac::Key::new(hmac::HMAC_SHA256, key.secret_bytes().unwrap())),
            JwsAlg::RS256 | JwsAlg::PS256 => {
                let (params, enc): (
                    &'static signature::RsaParameters,
                    &'static dyn signature::RsaEncoding,
                ) = if alg == JwsAlg::RS256 {
                    (
                        &signature::RSA_PKCS1_2048_8192_SHA256,
                        &signature::RSA_PKCS1_SHA256,
                    )
                } else {
                    (&signature::RSA_PSS_2048_8192_SHA256, &signature::RSA_PSS_SHA256)
                };
                Bare::Rsa(
                    ParsedPublicKey::new(params, spki()).unwrap(),
                    RsaKeyPair::from_pkcs8(&pkcs8()).unwrap(),
                    enc,
                )
            }
            JwsAlg::ES256 | JwsAlg::ES384 => {
                let (v, s) = if alg == JwsAlg::ES256 {
                    (
                        &signature::ECDSA_P256_SHA256_FIXED,
                        &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
                    )
                } else {
                    (
                        &signature::ECDSA_P384_SHA384_FIXED,
                        &signature::ECDSA_P384_SHA384_FIXED_SIGNING,
                    )
                };
                Bare::Ecdsa(
                    ParsedPublicKey::new(v, spki()).unwrap(),
                    EcdsaKeyPair::from_pkcs8(s, &pkcs8()).unwrap(),
                )
            }
            JwsAlg::EdDSA => Bare::Ed25519(
                ParsedPublicKey::new(&signature::ED25519, spki()).unwrap(),
                Ed25519KeyPair::from_pkcs8(&pkcs8()).unwrap(),
            ),
            other => unreachable!("{other} is not benchmarked"),
        }
    }

    fn verify(&self, msg: &[u8], sig: &[u8]) -> bool {
        match self {
            Bare::Hmac(k) => hmac::verify(k, msg, sig).is_ok(),
            Bare::Rsa(p, ..) | Bare::Ecdsa(p, _) | Bare::Ed25519(p, _) => p.verify_sig(msg, sig).is_ok(),
        }
    }

    fn sign(&self, rng: &dyn SecureRandom, msg: &[u8], out: &mut [u8]) -> usize {
        match self {
            Bare::Hmac(k) => {
                let tag = hmac::sign(k, msg);
                out[..tag.as_ref().len()].copy_from_slice(tag.as_ref());
                tag.as_ref().len()
            }
            Bare::Rsa(_, pair, enc) => {
                let n = pair.public_modulus_len();
                pair.sign(*enc, rng, msg, &mut out[..n]).unwrap();
                n
            }
            Bare::Ecdsa(_, pair) => {
                let s = pair.sign(rng, msg).unwrap();
                out[..s.as_ref().len()].copy_from_slice(s.as_ref());
                s.as_ref().len()
            }
            Bare::Ed25519(_, pair) => {
                let s = pair.sign(msg);
                out[..s.as_ref().len()].copy_from_slice(s.as_ref());
                s.as_ref().len()
            }
        }
    }
}

fn jsonwebtoken_alg(alg: JwsAlg) -> jsonwebtoken::Algorithm {
    use jsonwebtoken::Algorithm as A;
    match alg {
        JwsAlg::HS256 => A::HS256,
        JwsAlg::RS256 => A::RS256,
        JwsAlg::PS256 => A::PS256,
        JwsAlg::ES256 => A::ES256,
        JwsAlg::ES384 => A::ES384,
        JwsAlg::EdDSA => A::EdDSA,
        other => unreachable!("{other} is not benchmarked"),
    }
}

/// Everything one algorithm needs, built before measuring.
struct Fixture {
    alg: JwsAlg,
    key: Key,
    keys: JwkSet,
    validation: Validation,
    claims_object: serde_json::Map<String, serde_json::Value>,
    token: String,
    signing_input: Vec<u8>,
    signature: Vec<u8>,
    bare: Bare,
    jwt_header: jsonwebtoken::Header,
    jwt_encoding: jsonwebtoken::EncodingKey,
    jwt_decoding: jsonwebtoken::DecodingKey,
    jwt_validation: jsonwebtoken::Validation,
}

fn fixture(alg: JwsAlg) -> Fixture {
    let kid = format!("bench-{}", alg.as_str().to_ascii_lowercase());
    let key = Key::generate(KeySpec::for_alg(alg))
        .unwrap()
        .with_kid(kid.clone());
    let claims_object: serde_json::Map<String, serde_json::Value> =
        serde_json::from_value(serde_json::to_value(claims()).unwrap()).unwrap();
    let token = Signer::new(&key, alg)
        .unwrap()
        .typ("JWT")
        .build()
        .unwrap()
        .sign_claims(&claims_object)
        .unwrap();
    let (signing_input, sig_b64) = token.rsplit_once('.').unwrap();
    let signature = URL_SAFE_NO_PAD.decode(sig_b64).unwrap();

    // The verifier holds the public key only (the secret for HS256), as a JWK Set would give it.
    let public = key
        .to_public()
        .unwrap_or_else(|| Key::hmac(key.secret_bytes().unwrap().to_vec()).with_kid(kid.clone()));
    let keys = JwkSet::from_keys(vec![public]);
    let validation = Validation::builder(alg)
        .issuer(ISSUER)
        .audience(AUDIENCE)
        .require("exp")
        .build()
        .unwrap();

    let mut jwt_header = jsonwebtoken::Header::new(jsonwebtoken_alg(alg));
    jwt_header.kid = Some(kid);
    let (jwt_encoding, jwt_decoding) = match alg {
        JwsAlg::HS256 => {
            let s = key.secret_bytes().unwrap();
            (
                jsonwebtoken::EncodingKey::from_secret(s).unwrap(),
                jsonwebtoken::DecodingKey::from_secret(s).unwrap(),
            )
        }
        _ => {
            let pem = key.private_key_pem().unwrap();
            let encoding = match alg {
                JwsAlg::RS256 | JwsAlg::PS256 => jsonwebtoken::EncodingKey::from_rsa_pem(pem.as_bytes()),
                JwsAlg::EdDSA => jsonwebtoken::EncodingKey::from_ed_pem(pem.as_bytes()),
                _ => jsonwebtoken::EncodingKey::from_ec_pem(pem.as_bytes()),
            }
            .unwrap();
            // The public key as a JWK, the way a verifier gets it from a JWKS endpoint.
            let jwk: jsonwebtoken::jwk::Jwk =
                serde_json::from_value(serde_json::Value::Object(key.to_jwk(false))).unwrap();
            (encoding, jsonwebtoken::DecodingKey::from_jwk(&jwk).unwrap())
        }
    };
    let mut jwt_validation = jsonwebtoken::Validation::new(jsonwebtoken_alg(alg));
    jwt_validation.set_issuer(&[ISSUER]);
    jwt_validation.set_audience(&[AUDIENCE]);
    jwt_validation.validate_nbf = true;

    let f = Fixture {
        alg,
        bare: Bare::new(alg, &key),
        key,
        keys,
        validation,
        claims_object,
        signing_input: signing_input.as_bytes().to_vec(),
        signature,
        token,
        jwt_header,
        jwt_encoding,
        jwt_decoding,
        jwt_validation,
    };
    // Every implementation must accept the token it is timed on.
    let v = jwtkit::verify(&f.token, &f.keys, &f.validation).unwrap();
    assert_eq!(v.claims.as_object().len(), 10);
    let typed: BenchClaims = v.claims_as().unwrap();
    assert_eq!((typed.sub.as_str(), typed.exp), ("user-4f1c2a9e", 4_102_444_800));
    let typed = jwtkit::verify_as::<BenchClaims>(&f.token, &f.keys, &f.validation).unwrap();
    assert_eq!(
        (typed.claims.jti.as_str(), typed.claims.nbf),
        ("8c1f7e2a-3b5d-4e6f-9a0b-1c2d3e4f5a6b", 1_700_000_000)
    );
    let d = jsonwebtoken::decode::<BenchClaims>(&f.token, &f.jwt_decoding, &f.jwt_validation).unwrap();
    assert_eq!(d.claims.sub, "user-4f1c2a9e");
    assert!(f.bare.verify(&f.signing_input, &f.signature));
    let theirs = jsonwebtoken::encode(&f.jwt_header, &claims(), &f.jwt_encoding).unwrap();
    jsonwebtoken::decode::<BenchClaims>(&theirs, &f.jwt_decoding, &f.jwt_validation).unwrap();
    f
}

const ALGS: [JwsAlg; 6] = [
    JwsAlg::HS256,
    JwsAlg::RS256,
    JwsAlg::PS256,
    JwsAlg::ES256,
    JwsAlg::ES384,
    JwsAlg::EdDSA,
];

fn verify(c: &mut Criterion<Clock>) {
    for alg in ALGS {
        let f = fixture(alg);
        let mut g = c.benchmark_group(format!("verify/{alg}"));
        g.bench_function("jwtkit", |b| {
            b.iter(|| jwtkit::verify(black_box(&f.token), &f.keys, &f.validation).unwrap())
        });
        // The same, then the claims map built (jwtkit builds it on first use; jsonwebtoken
        // always deserializes every claim).
        g.bench_function("jwtkit-claims", |b| {
            b.iter(|| {
                let v = jwtkit::verify(black_box(&f.token), &f.keys, &f.validation).unwrap();
                assert_eq!(v.claims.as_object().len(), 10);
                v
            })
        });
        // The 10-claim struct read after verification, in a second pass (`Verified::claims_as`).
        g.bench_function("jwtkit-claims_as", |b| {
            b.iter(|| {
                let v = jwtkit::verify(black_box(&f.token), &f.keys, &f.validation).unwrap();
                v.claims_as::<BenchClaims>().unwrap()
            })
        });
        // The rows the targets compare are measured next to each other (bare, then jwtkit-typed,
        // then jsonwebtoken): on a shared machine whose speed drifts during a run, rows measured
        // minutes apart move apart.
        g.bench_function("bare", |b| {
            b.iter(|| {
                assert!(
                    f.bare
                        .verify(black_box(&f.signing_input), black_box(&f.signature))
                )
            })
        });
        // "verify + typed claims": verification with the same 10-claim struct jsonwebtoken
        // deserializes read in the claims set's checking pass (`jwtkit::verify_as`).
        g.bench_function("jwtkit-typed", |b| {
            b.iter(|| jwtkit::verify_as::<BenchClaims>(black_box(&f.token), &f.keys, &f.validation).unwrap())
        });
        g.bench_function("jsonwebtoken", |b| {
            b.iter(|| {
                jsonwebtoken::decode::<BenchClaims>(black_box(&f.token), &f.jwt_decoding, &f.jwt_validation)
                    .unwrap()
            })
        });
        g.finish();
    }
}

fn sign(c: &mut Criterion<Clock>) {
    let rng = SystemRandom::new();
    for alg in ALGS {
        let f = fixture(alg);
        assert_eq!(f.alg, alg);
        let signer = Signer::new(&f.key, alg).unwrap().typ("JWT").build().unwrap();
        let theirs = claims();
        let mut out = vec![0u8; 1024];
        let mut g = c.benchmark_group(format!("sign/{alg}"));
        g.bench_function("jwtkit", |b| {
            b.iter(|| signer.sign_claims(black_box(&f.claims_object)).unwrap())
        });
        g.bench_function("jsonwebtoken", |b| {
            b.iter(|| jsonwebtoken::encode(&f.jwt_header, black_box(&theirs), &f.jwt_encoding).unwrap())
        });
        g.bench_function("bare", |b| {
            b.iter(|| f.bare.sign(&rng, black_box(&f.signing_input), &mut out))
        });
        g.finish();
    }
}

/// Thread CPU time (default) or wall time, as nanoseconds; see the module docs.
struct Clock {
    cpu: bool,
}

impl Measurement for Clock {
    type Intermediate = (Instant, ThreadTime);
    type Value = Duration;

    fn start(&self) -> Self::Intermediate {
        (Instant::now(), ThreadTime::now())
    }
    fn end(&self, (wall, cpu): Self::Intermediate) -> Duration {
        if self.cpu { cpu.elapsed() } else { wall.elapsed() }
    }
    fn add(&self, a: &Duration, b: &Duration) -> Duration {
        *a + *b
    }
    fn zero(&self) -> Duration {
        Duration::ZERO
    }
    fn to_f64(&self, value: &Duration) -> f64 {
        value.as_nanos() as f64
    }
    fn formatter(&self) -> &dyn ValueFormatter {
        &Nanoseconds
    }
}

/// Formats nanosecond values in ns/µs/ms like criterion's wall-time formatter.
struct Nanoseconds;

impl ValueFormatter for Nanoseconds {
    fn scale_values(&self, typical: f64, values: &mut [f64]) -> &'static str {
        let (factor, unit) = match typical {
            t if t < 1e3 => (1.0, "ns"),
            t if t < 1e6 => (1e-3, "µs"),
            t if t < 1e9 => (1e-6, "ms"),
            _ => (1e-9, "s"),
        };
        values.iter_mut().for_each(|v| *v *= factor);
        unit
    }
    fn scale_throughputs(&self, _: f64, throughput: &Throughput, values: &mut [f64]) -> &'static str {
        let n = match throughput {
            Throughput::Elements(n) | Throughput::Bytes(n) | Throughput::BytesDecimal(n) => *n as f64,
            _ => 1.0,
        };
        values.iter_mut().for_each(|v| *v = n * 1e9 / *v);
        "elem/s"
    }
    fn scale_for_machines(&self, _: &mut [f64]) -> &'static str {
        "ns"
    }
}

fn config() -> Criterion<Clock> {
    let cpu = std::env::var("JWTKIT_BENCH_CLOCK").map_or(true, |c| c != "wall");
    Criterion::default()
        .with_measurement(Clock { cpu })
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .sample_size(50)
        .configure_from_args()
}

criterion_group! {
    name = benches;
    config = config();
    targets = verify, sign
}
criterion_main!(benches);
