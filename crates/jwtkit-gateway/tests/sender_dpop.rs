//! DPoP (RFC 9449) at the gateway, with proofs made by an independent client: PyJWT and
//! cryptography (scripts/interop/dpop_client.py, which also computes the RFC 7638 thumbprint
//! and `ath` itself). The access tokens are signed by the jwtkit core as the issuer would.
//!
//! These tests need the interop venv and are `#[ignore]`d in the plain `cargo test` run;
//! scripts/test-sender.sh installs PyJWT and runs them (`JWTKIT_INTEROP_PYTHON` may name
//! another interpreter with PyJWT and cryptography).

mod common;

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use common::*;
use jwtkit::JwsAlg;
use serde_json::{Value, json};

const NEEDS: &str = "needs PyJWT (scripts/test-sender.sh installs it and runs these)";

/// The PyJWT DPoP client, one JSON line in, one out.
struct PyClient {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl PyClient {
    fn start() -> PyClient {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
        let python = std::env::var("JWTKIT_INTEROP_PYTHON")
            .unwrap_or_else(|_| format!("{root}/scripts/interop/.venv/bin/python"));
        let mut child = Command::new(&python)
            .arg(format!("{root}/scripts/interop/dpop_client.py"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("{python}: {e}; run scripts/test-sender.sh, which installs PyJWT"));
        let stdin = child.stdin.take().unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        PyClient { child, stdin, stdout }
    }

    fn call(&mut self, req: Value) -> Value {
        writeln!(self.stdin, "{req}").unwrap();
        self.stdin.flush().unwrap();
        let mut line = String::new();
        self.stdout.read_line(&mut line).unwrap();
        serde_json::from_str(&line).unwrap_or_else(|_| panic!("dpop_client.py answered {line:?}"))
    }

    /// A new key pair; its RFC 7638 thumbprint as computed by the Python side.
    fn key(&mut self, name: &str, alg: &str) -> String {
        self.call(json!({"op": "key", "name": name, "alg": alg}))["jkt"]
            .as_str()
            .unwrap()
            .to_string()
    }

    fn proof(&mut self, p: Value) -> String {
        let mut req = json!({"op": "proof", "iat": now()});
        for (k, v) in p.as_object().unwrap() {
            req[k] = v.clone();
        }
        self.call(req)["proof"].as_str().unwrap().to_string()
    }
}

impl Drop for PyClient {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

const ROUTES: &str = r#"
[[routes]]
path_prefix = "/orders"
upstream = "{UPSTREAM}"
auth = { providers = ["main"] }
claims_to_headers = { sub = "X-User-Id", "cnf.jkt" = "X-Dpop-Jkt" }
"#;

/// An access token for `sub`, bound to `jkt` when given.
fn token(issuer: &Signing, sub: &str, jkt: Option<&str>) -> String {
    let extra = match jkt {
        Some(j) => json!({"cnf": {"jkt": j}, "scope": "orders"}),
        None => json!({"scope": "orders"}),
    };
    issuer.sign(&claims(sub, extra))
}

fn dpop_get_headers<'a>(token: &'a str, proof: &'a str) -> Vec<(&'static str, String)> {
    vec![
        ("authorization", format!("DPoP {token}")),
        ("dpop", proof.to_string()),
    ]
}

async fn send(url: &str, method: &str, headers: &[(&'static str, String)]) -> Resp {
    let h: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
    request(method, url, &h, "").await
}

const ALGS: &str = "ES256 ES384 EdDSA PS256 RS256";

fn challenge(error: &str, description: &str) -> String {
    format!("DPoP realm=\"jwtkit\", algs=\"{ALGS}\", error=\"{error}\", error_description=\"{description}\"")
}

#[tokio::test]
#[ignore = "needs PyJWT (scripts/test-sender.sh installs it and runs these)"]
async fn pyjwt_proofs_are_checked_for_method_url_age_ath_and_key() {
    let _ = NEEDS;
    let up = Upstream::start().await;
    let issuer = Signing::new(JwsAlg::ES256, "k1");
    let s = setup(&(base_config(EMBEDDED) + ROUTES), &up.url(), &[&issuer]);
    let gw = start(&s).await;
    let mut py = PyClient::start();
    let url = format!("http://{}/orders/42?page=2", gw.addr());
    let htu = format!("http://{}/orders/42", gw.addr());

    // Valid, with an ES256 and an Ed25519 client key.
    for alg in ["ES256", "EdDSA"] {
        let jkt = py.key(alg, alg);
        let t = token(&issuer, "alice", Some(&jkt));
        let proof = py.proof(json!({"key": alg, "htm": "GET", "htu": htu, "token": t}));
        let r = send(&url, "GET", &dpop_get_headers(&t, &proof)).await;
        assert_eq!(r.status, 200, "{alg}: {:?}", r.body);
        assert_eq!(r.seen("x-user-id"), Some(vec!["alice".to_string()]));
        assert_eq!(r.seen("x-dpop-jkt"), Some(vec![jkt.clone()]), "{alg}");
        assert_eq!(r.seen("authorization"), Some(vec![format!("DPoP {t}")]));
        assert_eq!(r.header("dpop-nonce"), None, "no nonce unless configured");
    }

    let jkt = py.key("a", "ES256");
    let t = token(&issuer, "alice", Some(&jkt));
    let bad_proof = challenge("invalid_dpop_proof", "DPoP proof not accepted");
    let cases: Vec<(&str, &str, Value)> = vec![
        (
            "wrong htm",
            "GET",
            json!({"key": "a", "htm": "POST", "htu": htu, "token": t}),
        ),
        (
            "wrong htu",
            "GET",
            json!({"key": "a", "htm": "GET", "htu": format!("http://{}/orders/43", gw.addr()), "token": t}),
        ),
        (
            "stale iat",
            "GET",
            json!({"key": "a", "htm": "GET", "htu": htu, "token": t, "iat": now() - 600}),
        ),
        (
            "wrong ath",
            "GET",
            json!({"key": "a", "htm": "GET", "htu": htu, "token": "another token"}),
        ),
        ("no ath", "GET", json!({"key": "a", "htm": "GET", "htu": htu})),
        (
            "typ JWT",
            "GET",
            json!({"key": "a", "htm": "GET", "htu": htu, "token": t, "typ": "JWT"}),
        ),
    ];
    for (name, method, p) in cases {
        let proof = py.proof(p);
        let r = send(&url, method, &dpop_get_headers(&t, &proof)).await;
        assert_eq!(r.status, 401, "{name}");
        assert_eq!(
            r.challenge_without_metadata("/orders"),
            Some(bad_proof.as_str()),
            "{name}"
        );
        assert_eq!(r.json()["error"], "invalid_dpop_proof", "{name}");
        assert_eq!(
            r.header("x-upstream"),
            None,
            "{name}: the upstream must not be reached"
        );
    }

    // No proof header at all, and two of them.
    let r = send(&url, "GET", &[("authorization", format!("DPoP {t}"))]).await;
    assert_eq!(
        (r.status, r.challenge_without_metadata("/orders")),
        (401, Some(bad_proof.as_str()))
    );
    let p1 = py.proof(json!({"key": "a", "htm": "GET", "htu": htu, "token": t}));
    let mut two = dpop_get_headers(&t, &p1);
    two.push(("dpop", p1.clone()));
    let r = send(&url, "GET", &two).await;
    assert_eq!(
        (r.status, r.challenge_without_metadata("/orders")),
        (401, Some(bad_proof.as_str()))
    );

    // Bound to another key: the proof is valid, the binding is not.
    let other = py.key("b", "ES256");
    let t_other = token(&issuer, "alice", Some(&other));
    let proof = py.proof(json!({"key": "a", "htm": "GET", "htu": htu, "token": t_other}));
    let r = send(&url, "GET", &dpop_get_headers(&t_other, &proof)).await;
    assert_eq!(r.status, 401);
    assert_eq!(
        r.challenge_without_metadata("/orders"),
        Some(challenge("invalid_token", "token binding does not match").as_str())
    );

    // A DPoP-bound token sent as Bearer (RFC 9449 §7.1), with or without a proof.
    let r = bearer_get(&url, &t).await;
    assert_eq!(r.status, 401);
    assert_eq!(
        r.challenge_without_metadata("/orders"),
        Some(challenge("invalid_token", "token binding does not match").as_str())
    );
    let proof = py.proof(json!({"key": "a", "htm": "GET", "htu": htu, "token": t}));
    let r = send(
        &url,
        "GET",
        &[("authorization", format!("Bearer {t}")), ("dpop", proof)],
    )
    .await;
    assert_eq!(r.status, 401);
    assert_eq!(r.header("x-upstream"), None);

    // A plain bearer token still works on a provider that does not require DPoP; a plain
    // token sent with the DPoP scheme is refused (not bound).
    let plain = token(&issuer, "bob", None);
    assert_eq!(bearer_get(&url, &plain).await.status, 200);
    let proof = py.proof(json!({"key": "a", "htm": "GET", "htu": htu, "token": plain}));
    let r = send(&url, "GET", &dpop_get_headers(&plain, &proof)).await;
    assert_eq!(r.status, 401);
    assert_eq!(
        r.challenge_without_metadata("/orders"),
        Some(challenge("invalid_token", "token binding does not match").as_str())
    );

    // The same proof twice on one instance: the second is a replay.
    let proof = py.proof(json!({"key": "a", "htm": "GET", "htu": htu, "token": t}));
    assert_eq!(send(&url, "GET", &dpop_get_headers(&t, &proof)).await.status, 200);
    let r = send(&url, "GET", &dpop_get_headers(&t, &proof)).await;
    assert_eq!(
        (r.status, r.challenge_without_metadata("/orders")),
        (401, Some(bad_proof.as_str()))
    );
    gw.shutdown().await;
}

#[tokio::test]
#[ignore = "needs PyJWT (scripts/test-sender.sh installs it and runs these)"]
async fn a_proof_replayed_at_a_second_instance_sharing_redis_is_refused() {
    let redis = Redis::start();
    let up = Upstream::start().await;
    let issuer = Signing::new(JwsAlg::ES256, "k1");
    let store = format!(
        "[store]\nkind = \"redis\"\nurl = \"{}\"\nprefix = \"d{}:\"\ntimeout = \"300ms\"",
        redis.url(),
        rand_suffix()
    );
    // Both instances are addressed as https://api.example.test (the proof's htu).
    let routes = ROUTES.replace(
        "auth = {",
        "external_origin = \"https://api.example.test\"\nauth = {",
    );
    let a_setup = setup(&(base_config(&store) + &routes), &up.url(), &[&issuer]);
    let b_setup = setup(&(base_config(&store) + &routes), &up.url(), &[&issuer]);
    let (a, b) = (start(&a_setup).await, start(&b_setup).await);
    let mut py = PyClient::start();
    let jkt = py.key("a", "ES256");
    let t = token(&issuer, "alice", Some(&jkt));
    let htu = "https://api.example.test/orders/1";
    let proof = py.proof(json!({"key": "a", "htm": "GET", "htu": htu, "token": t}));
    let r = send(
        &format!("http://{}/orders/1", a.addr()),
        "GET",
        &dpop_get_headers(&t, &proof),
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let r = send(
        &format!("http://{}/orders/1", b.addr()),
        "GET",
        &dpop_get_headers(&t, &proof),
    )
    .await;
    assert_eq!(r.status, 401);
    assert_eq!(
        r.challenge_without_metadata("/orders"),
        Some(challenge("invalid_dpop_proof", "DPoP proof not accepted").as_str())
    );
    // A fresh proof is fine at B.
    let proof = py.proof(json!({"key": "a", "htm": "GET", "htu": htu, "token": t}));
    let r = send(
        &format!("http://{}/orders/1", b.addr()),
        "GET",
        &dpop_get_headers(&t, &proof),
    )
    .await;
    assert_eq!(r.status, 200);

    // Redis down: the replay cache fails closed like revocation (503), never accepting blind.
    drop(redis);
    let proof = py.proof(json!({"key": "a", "htm": "GET", "htu": htu, "token": t}));
    let r = send(
        &format!("http://{}/orders/1", a.addr()),
        "GET",
        &dpop_get_headers(&t, &proof),
    )
    .await;
    assert_eq!(r.status, 503, "{:?}", r.body);
    assert_eq!(r.header("retry-after"), Some("1"));
    a.shutdown().await;
    b.shutdown().await;
}

#[tokio::test]
#[ignore = "needs PyJWT (scripts/test-sender.sh installs it and runs these)"]
async fn the_server_nonce_is_asked_for_then_accepted_and_renewed() {
    let up = Upstream::start().await;
    let issuer = Signing::new(JwsAlg::ES256, "k1");
    let provider = "fetch = { refetch_cooldown = \"1s\" }\nrequire_dpop = true\ndpop = { algorithms = [\"ES256\"], nonce = true, nonce_secret = \"0123456789abcdef0123456789abcdef\" }";
    let config = base_config(EMBEDDED).replace("fetch = { refetch_cooldown = \"1s\" }", provider) + ROUTES;
    let s = setup(&config, &up.url(), &[&issuer]);
    let gw = start(&s).await;
    let mut py = PyClient::start();
    let jkt = py.key("a", "ES256");
    let t = token(&issuer, "alice", Some(&jkt));
    let url = format!("http://{}/orders/7", gw.addr());
    let proof = py.proof(json!({"key": "a", "htm": "GET", "htu": url, "token": t}));
    let r = send(&url, "GET", &dpop_get_headers(&t, &proof)).await;
    assert_eq!(r.status, 401);
    assert_eq!(
        r.challenge_without_metadata("/orders"),
        Some(
            "DPoP realm=\"jwtkit\", algs=\"ES256\", error=\"use_dpop_nonce\", error_description=\"DPoP proof needs the server nonce\""
        )
    );
    let nonce = r
        .header("dpop-nonce")
        .expect("DPoP-Nonce with use_dpop_nonce")
        .to_string();
    assert_eq!(r.json()["error"], "use_dpop_nonce");

    let proof = py.proof(json!({"key": "a", "htm": "GET", "htu": url, "token": t, "nonce": nonce}));
    let r = send(&url, "GET", &dpop_get_headers(&t, &proof)).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert!(r.header("dpop-nonce").is_some(), "a fresh nonce on success");

    // A made-up nonce is asked again.
    let proof = py.proof(json!({"key": "a", "htm": "GET", "htu": url, "token": t, "nonce": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}));
    let r = send(&url, "GET", &dpop_get_headers(&t, &proof)).await;
    assert_eq!(
        (r.status, r.json()["error"].as_str()),
        (401, Some("use_dpop_nonce"))
    );

    // require_dpop: no token gets the DPoP challenge; a plain bearer token (no cnf.jkt) is
    // refused with it.
    let r = get(&url, &[]).await;
    assert_eq!(
        (r.status, r.challenge_without_metadata("/orders")),
        (401, Some("DPoP realm=\"jwtkit\", algs=\"ES256\""))
    );
    let r = bearer_get(&url, &token(&issuer, "bob", None)).await;
    assert_eq!(r.status, 401);
    assert_eq!(
        r.challenge_without_metadata("/orders"),
        Some(
            "DPoP realm=\"jwtkit\", algs=\"ES256\", error=\"invalid_token\", error_description=\"token binding does not match\""
        )
    );
    gw.shutdown().await;
}
