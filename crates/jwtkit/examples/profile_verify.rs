//! A profiling driver: `jwtkit::verify` of one token, N times, for instruction counts that do
//! not depend on machine load (the criterion benchmark measures time):
//!
//! ```sh
//! cargo build --profile bench -p jwtkit --example profile_verify
//! valgrind --tool=callgrind --toggle-collect='jwtkit::jwt::verify' \
//!     target/release/examples/profile_verify HS256 10000
//! ```
//! (The `bench` profile is the release build with symbols and line tables kept: the `release`
//! profile strips them, and callgrind could then not name `jwtkit::jwt::verify`.)
//! Instructions per verification = collected Ir / N. The token is the benchmark's: header
//! `{"alg","kid","typ"}`, 10 claims, validated for iss, aud, exp, nbf, iat. A third argument
//! `typed` verifies with `jwtkit::verify_as`, reading the claims into the benchmark's 10-claim
//! struct (collect `profile_verify::verify_typed` for both).

use jwtkit::jwk::KeySpec;
use jwtkit::jws::Signer;
use jwtkit::{JwkSet, JwsAlg, Key, Validation};

fn main() {
    let mut args = std::env::args().skip(1);
    let alg: JwsAlg = args
        .next()
        .as_deref()
        .unwrap_or("HS256")
        .parse()
        .expect("an algorithm name");
    let n: usize = args.next().map_or(10_000, |s| s.parse().expect("a count"));
    let key = Key::generate(KeySpec::for_alg(alg)).unwrap().with_kid("bench");
    let claims = br#"{"iss":"https://auth.example.com/","sub":"user-4f1c2a9e","aud":"orders-api","exp":4102444800,"nbf":1700000000,"iat":1700000000,"jti":"8c1f7e2a-3b5d-4e6f-9a0b-1c2d3e4f5a6b","scope":"orders:read orders:write","email":"jane.doe@example.com","email_verified":true}"#;
    let token = Signer::new(&key, alg)
        .unwrap()
        .typ("JWT")
        .build()
        .unwrap()
        .sign(claims)
        .unwrap();
    let public = key
        .to_public()
        .unwrap_or_else(|| Key::hmac(key.secret_bytes().unwrap().to_vec()).with_kid("bench"));
    let keys = JwkSet::from_keys(vec![public]);
    let validation = Validation::builder(alg)
        .issuer("https://auth.example.com/")
        .audience("orders-api")
        .require("exp")
        .build()
        .unwrap();
    let typed = args.next().as_deref() == Some("typed");
    let mut ok = 0;
    for _ in 0..n {
        ok += usize::from(if typed {
            verify_typed(&token, &keys, &validation).is_some()
        } else {
            jwtkit::verify(std::hint::black_box(&token), &keys, &validation).is_ok()
        });
    }
    assert_eq!(ok, n);
}

/// The benchmark's 10-claim struct.
#[derive(serde::Deserialize)]
#[allow(dead_code)]
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

#[inline(never)]
fn verify_typed(token: &str, keys: &JwkSet, validation: &Validation) -> Option<BenchClaims> {
    let v = jwtkit::verify_as(std::hint::black_box(token), keys, validation).ok()?;
    Some(v.claims)
}
