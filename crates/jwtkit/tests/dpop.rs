//! DPoP proofs (RFC 9449): the RFC's own proof as a vector, made-and-checked round trips, and
//! every check of §4.3 with its exact kind.

use jwtkit::dpop::{self, DpopProofCheck, NewProof, VerifiedProof};
use jwtkit::jwk::KeySpec;
use jwtkit::jws::Signer;
use jwtkit::jwt::Claims;
use jwtkit::{JwsAlg, Key};
use serde_json::json;

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

/// RFC 9449 §4.1, Figure 3 (ES256), and the thumbprint of its key (§6.1's `cnf.jkt`).
const RFC9449_PROOF: &str = "eyJ0eXAiOiJkcG9wK2p3dCIsImFsZyI6IkVTMjU2IiwiandrIjp7Imt0eSI6IkVDIiwieCI6Imw4dEZyaHgtMzR0VjNoUklDUkRZOXpDa0RscEJoRjQyVVFVZldWQVdCRnMiLCJ5IjoiOVZFNGpmX09rX282NHpiVFRsY3VOSmFqSG10NnY5VERWclUwQ2R2R1JEQSIsImNydiI6IlAtMjU2In19.eyJqdGkiOiItQndDM0VTYzZhY2MybFRjIiwiaHRtIjoiUE9TVCIsImh0dSI6Imh0dHBzOi8vc2VydmVyLmV4YW1wbGUuY29tL3Rva2VuIiwiaWF0IjoxNTYyMjYyNjE2fQ.2-GxA6T8lP4vfrg8v-FdWP0A0zdrj8igiMLvqRMUvwnQg4PtFLbdLXiOSsX0x7NVY-FNyJK70nfbV37xRZT3Lg";
const RFC9449_JKT: &str = "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I";
const RFC9449_IAT: i64 = 1_562_262_616;

fn req<'a>(method: &'a str, url: &'a str) -> DpopRequest<'a> {
    DpopRequest {
        method,
        url,
        access_token: None,
        nonce: None,
    }
}

fn kind(e: jwtkit::Error) -> &'static str {
    e.kind().as_str()
}

#[test]
fn rfc9449_section_4_1_proof_verifies_and_binds_by_its_thumbprint() {
    let v = verify_proof(
        RFC9449_PROOF,
        &req("POST", "https://server.example.com/token"),
        &DpopOptions::new(RFC9449_IAT + 10),
    )
    .unwrap();
    assert_eq!(v.jkt, RFC9449_JKT);
    assert_eq!(v.jti, "-BwC3ESc6acc2lTc");
    assert_eq!(v.iat, RFC9449_IAT);
    assert_eq!(v.alg, JwsAlg::ES256);
    let bound = Claims::new(json!({"cnf": {"jkt": RFC9449_JKT}}).as_object().unwrap().clone());
    v.check_binding(&bound).unwrap();
    let other = Claims::new(json!({"cnf": {"jkt": "another"}}).as_object().unwrap().clone());
    assert_eq!(kind(v.check_binding(&other).unwrap_err()), "bad_token_binding");
    let bearer = Claims::new(json!({"sub": "a"}).as_object().unwrap().clone());
    assert_eq!(kind(v.check_binding(&bearer).unwrap_err()), "bad_token_binding");
    // The same URL in another spelling (case of scheme and host, default port, query).
    for url in [
        "HTTPS://Server.Example.COM:443/token",
        "https://server.example.com/x/../token",
        "https://server.example.com/./token",
        "https://server.example.com/token?x=1#f",
        "https://server.example.com/%74oken",
    ] {
        verify_proof(RFC9449_PROOF, &req("POST", url), &DpopOptions::new(RFC9449_IAT)).unwrap();
    }
    for (r, why) in [
        (req("GET", "https://server.example.com/token"), "htm"),
        (
            req("post", "https://server.example.com/token"),
            "htm is case-sensitive",
        ),
        (req("POST", "https://server.example.com/token2"), "htu path"),
        (req("POST", "http://server.example.com/token"), "htu scheme"),
        (req("POST", "https://server.example.com:8443/token"), "htu port"),
    ] {
        let e = verify_proof(RFC9449_PROOF, &r, &DpopOptions::new(RFC9449_IAT)).unwrap_err();
        assert_eq!(kind(e), "bad_dpop_proof", "{why}");
    }
    for (now, why) in [
        (RFC9449_IAT + 301 + 5, "stale iat"),
        (RFC9449_IAT - 6, "iat in the future"),
    ] {
        let e = verify_proof(
            RFC9449_PROOF,
            &req("POST", "https://server.example.com/token"),
            &DpopOptions::new(now),
        )
        .unwrap_err();
        assert_eq!(kind(e), "bad_dpop_proof", "{why}");
    }
}

#[test]
fn proofs_made_and_checked_with_access_token_hash_and_nonce() {
    for alg in [JwsAlg::ES256, JwsAlg::EdDSA, JwsAlg::PS256] {
        let key = Key::generate(KeySpec::for_alg(alg)).unwrap();
        let token = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhIn0.sig";
        let p = NewProof {
            method: "GET",
            url: "https://api.example/orders/1?page=2",
            access_token: Some(token),
            nonce: Some("n-1"),
            iat: 1_700_000_000,
        };
        let proof = p.sign(&key, alg).unwrap();
        let r = DpopRequest {
            method: "GET",
            url: "https://api.example/orders/1",
            access_token: Some(token),
            nonce: Some("n-1"),
        };
        let opts = DpopOptions::new(1_700_000_000);
        let v = verify_proof(&proof, &r, &opts).unwrap();
        assert_eq!(v.jkt, key.to_public().unwrap().thumbprint(), "{alg}");
        assert_eq!(
            v.claims.get("htu").unwrap(),
            "https://api.example/orders/1",
            "no query in htu"
        );
        assert_eq!(
            v.claims.get("ath").unwrap(),
            &json!(dpop::NewProof::access_token_hash(token))
        );
        // Another access token, no access token hash, another nonce, no nonce.
        let e = verify_proof(
            &proof,
            &DpopRequest {
                access_token: Some("other"),
                ..r
            },
            &opts,
        )
        .unwrap_err();
        assert_eq!(kind(e), "bad_dpop_proof", "{alg}: ath");
        let e = verify_proof(
            &proof,
            &DpopRequest {
                nonce: Some("n-2"),
                ..r
            },
            &opts,
        )
        .unwrap_err();
        assert_eq!(kind(e), "dpop_nonce_required", "{alg}: nonce");
        let no_ath = NewProof {
            access_token: None,
            ..p
        }
        .sign(&key, alg)
        .unwrap();
        let e = verify_proof(&no_ath, &r, &opts).unwrap_err();
        assert_eq!(
            kind(e),
            "bad_dpop_proof",
            "{alg}: a proof without ath for a token"
        );
        // The caller's allowlist decides.
        let only_es384 = DpopOptions {
            algorithms: JwsAlg::ES384.into(),
            ..DpopOptions::new(1_700_000_000)
        };
        assert_eq!(
            kind(verify_proof(&proof, &r, &only_es384).unwrap_err()),
            "alg_not_allowed",
            "{alg}"
        );
    }
}

/// Proofs that are not what they claim: another `typ`, an HMAC "proof", a private key in the
/// header, no `jwk`, a signature by another key, missing claims.
#[test]
fn hostile_proofs_have_exact_kinds() {
    let key = Key::generate(KeySpec::for_alg(JwsAlg::ES256)).unwrap();
    let public = key.to_public().unwrap().to_jwk(false);
    let claims = json!({"jti": "j", "htm": "GET", "htu": "https://a.example/", "iat": 1_700_000_000});
    let sign =
        |key: &Key, alg: JwsAlg, typ: &str, jwk: Option<serde_json::Value>, claims: &serde_json::Value| {
            let mut s = Signer::new(key, alg).unwrap().typ(typ);
            if let Some(j) = jwk {
                s = s.param("jwk", j);
            }
            s.build().unwrap().sign(claims.to_string().as_bytes()).unwrap()
        };
    let r = req("GET", "https://a.example/");
    let opts = DpopOptions::new(1_700_000_000);
    let check = |proof: &str| verify_proof(proof, &r, &opts).map(|_| ()).map_err(kind);
    assert_eq!(
        check(&sign(
            &key,
            JwsAlg::ES256,
            "dpop+jwt",
            Some(public.clone().into()),
            &claims
        )),
        Ok(())
    );
    assert_eq!(
        check(&sign(
            &key,
            JwsAlg::ES256,
            "JWT",
            Some(public.clone().into()),
            &claims
        )),
        Err("bad_dpop_proof")
    );
    assert_eq!(
        check(&sign(&key, JwsAlg::ES256, "dpop+jwt", None, &claims)),
        Err("bad_dpop_proof")
    );
    let private = key.to_jwk(true);
    assert_eq!(
        check(&sign(
            &key,
            JwsAlg::ES256,
            "dpop+jwt",
            Some(private.into()),
            &claims
        )),
        Err("bad_dpop_proof")
    );
    let mallory = Key::generate(KeySpec::for_alg(JwsAlg::ES256)).unwrap();
    assert_eq!(
        check(&sign(
            &mallory,
            JwsAlg::ES256,
            "dpop+jwt",
            Some(public.clone().into()),
            &claims
        )),
        Err("bad_signature")
    );
    let secret = Key::hmac(b"0123456789abcdef0123456789abcdef".to_vec());
    let oct = json!({"kty": "oct", "k": "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY"});
    assert_eq!(
        check(&sign(&secret, JwsAlg::HS256, "dpop+jwt", Some(oct), &claims)),
        Err("bad_dpop_proof")
    );
    for missing in ["jti", "htm", "htu", "iat"] {
        let mut c = claims.clone();
        c.as_object_mut().unwrap().remove(missing);
        assert_eq!(
            check(&sign(
                &key,
                JwsAlg::ES256,
                "dpop+jwt",
                Some(public.clone().into()),
                &c
            )),
            Err("bad_dpop_proof"),
            "{missing}"
        );
    }
    assert_eq!(check("not.a.proof"), Err("bad_base64"));
    // typ compares as a media type: case-insensitive, application/ optional (RFC 7515 §4.1.9).
    assert_eq!(
        check(&sign(
            &key,
            JwsAlg::ES256,
            "application/DPoP+JWT",
            Some(public.clone().into()),
            &claims
        )),
        Ok(())
    );
}
