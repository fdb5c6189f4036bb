//! `jwtkit dpop` makes DPoP proofs (RFC 9449) that the library's proof check accepts for the
//! request they name, and only for it.

mod common;

use common::Env;
use jwtkit::dpop::{self, DpopOptions, DpopRequest};

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
    let v = dpop::verify_proof(proof, &req, &DpopOptions::new(1_700_000_000)).unwrap();
    assert_eq!(v.jkt, j["jkt"].as_str().unwrap());
    let other = DpopRequest { method: "GET", ..req };
    assert_eq!(
        dpop::verify_proof(proof, &other, &DpopOptions::new(1_700_000_000))
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
