//! `jwtkit dpop` makes DPoP proofs (RFC 9449) that the library's proof check accepts for the
//! request they name, and only for it.

mod common;

use common::Env;
use jwtkit::JwsAlg;
use jwtkit::dpop::{DpopProofCheck, VerifiedProof};

/// The request a proof must match (shorthand for a [`DpopProofCheck`]).
#[derive(Clone, Copy)]
struct DpopRequest<'a> {
    method: &'a str,
    url: &'a str,
    access_token: Option<&'a str>,
    nonce: Option<&'a str>,
}

/// The verifier's allowlist and clock.
struct DpopOptions {
    algorithms: jwtkit::AlgorithmSet<JwsAlg>,
    now: i64,
}

impl DpopOptions {
    fn new(now: i64) -> DpopOptions {
        DpopOptions {
            algorithms: jwtkit::AlgorithmSet::<JwsAlg>::all(),
            now,
        }
    }
}

/// The one pipeline (`jwt::verify_local`) with a validation that expects a DPoP proof for `r`.
fn verify_proof(proof: &str, r: &DpopRequest<'_>, o: &DpopOptions) -> Result<VerifiedProof, jwtkit::Error> {
    let mut check = DpopProofCheck::new(r.method, r.url);
    if let Some(t) = r.access_token {
        check = check.access_token(t);
    }
    if let Some(n) = r.nonce {
        check = check.nonce(n);
    }
    let v = jwtkit::Validation::builder(o.algorithms)
        .now(o.now)
        .dpop_proof(check)
        .build()?;
    let none = jwtkit::JwkSet::default();
    let out = jwtkit::jwt::verify_local(proof, &none, &v);
    match out.error {
        Some(e) => Err(e),
        None => Ok(out.dpop.expect("a verified proof")),
    }
}

#[test]
fn dpop_makes_a_proof_for_one_request() {
    let env = Env::new();
    env.run(&["keygen", "--alg", "ES256", "--out", "client.jwk"])
        .code(0);
    let r = env
        .run(&[
            "dpop",
            "--key",
            "client.jwk",
            "--method",
            "POST",
            "--url",
            "https://api.example/orders?page=2",
            "--access-token",
            "tok.en.value",
            "--nonce",
            "n-7",
            "--now",
            "1700000000",
            "--json",
        ])
        .code(0);
    let j = r.json();
    assert_eq!(j["claims"]["htm"], "POST");
    assert_eq!(j["claims"]["htu"], "https://api.example/orders");
    assert_eq!(j["claims"]["iat"], 1_700_000_000);
    assert_eq!(j["claims"]["nonce"], "n-7");
    assert_eq!(j["header"]["typ"], "dpop+jwt");
    assert!(
        j["header"]["jwk"].get("d").is_none(),
        "only the public key travels"
    );
    let proof = j["proof"].as_str().unwrap();
    let req = DpopRequest {
        method: "POST",
        url: "https://api.example/orders",
        access_token: Some("tok.en.value"),
        nonce: Some("n-7"),
    };
    let v = verify_proof(proof, &req, &DpopOptions::new(1_700_000_000)).unwrap();
    assert_eq!(v.jkt, j["jkt"].as_str().unwrap());
    let other = DpopRequest { method: "GET", ..req };
    assert_eq!(
        verify_proof(proof, &other, &DpopOptions::new(1_700_000_000))
            .unwrap_err()
            .kind()
            .as_str(),
        "bad_dpop_proof"
    );
    // Mistakes are usage errors.
    env.run(&["dpop", "--key", "client.jwk", "--url", "/relative"])
        .code(2);
    env.run(&["keygen", "--alg", "HS256", "--out", "secret.jwk"])
        .code(0);
    env.run(&["dpop", "--key", "secret.jwk", "--url", "https://a.example/"])
        .code(3);
}
