//! What sender constraints cost per request at the gateway: `pipeline::decide` (every phase but
//! forwarding) for a cached bearer token, against the same with a DPoP-bound token and a fresh
//! proof per request (core proof check, binding, `jti` recorded in the embedded store), and with
//! the server nonce as well. Read the ratios of one run (`cargo bench -p jwtkit-gateway --bench bind`).

#![recursion_limit = "256"]

use std::net::SocketAddr;
use std::sync::Arc;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use jwtkit::dpop::NewProof;
use jwtkit::jwk::KeySpec;
use jwtkit::{JwkSet, JwsAlg, Key};
use jwtkit_gateway::Shared;
use jwtkit_gateway::config::Config;
use jwtkit_gateway::pipeline::{Ctx, Flow, decide};
use jwtkit_gateway::response::Rejection;
use serde_json::json;

const CONFIG: &str = r#"
[server]
listen = "127.0.0.1:0"
admin_listen = "127.0.0.1:0"

[store]
kind = "embedded"
path = "{DB}"

[[providers]]
name = "main"
issuer = "https://issuer.test/"
audiences = ["api"]
keys = "{JWKS}"
algorithms = ["ES256"]

[[providers]]
name = "nonce"
issuer = "https://issuer.test/"
audiences = ["api"]
keys = "{JWKS}"
algorithms = ["ES256"]
dpop = { algorithms = ["ES256"], nonce = true, nonce_secret = "bench-nonce-secret-0123456789abcdef" }

[[routes]]
path_prefix = "/orders"
upstream = "http://127.0.0.1:9"
auth = { providers = ["main"] }

[[routes]]
path_prefix = "/nonce"
upstream = "http://127.0.0.1:9"
auth = { providers = ["nonce"] }
"#;

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn parts(path: &str, auth: &str, proof: Option<&str>) -> http::request::Parts {
    let mut b = http::Request::get(path)
        .header("host", "gw.test")
        .header("authorization", auth);
    if let Some(p) = proof {
        b = b.header("dpop", p);
    }
    b.body(()).unwrap().into_parts().0
}

async fn run(shared: &Shared, mut p: http::request::Parts) -> Flow {
    let mut ctx = Ctx::new(shared.state.load_full(), SocketAddr::from(([127, 0, 0, 1], 1)));
    decide(shared, &mut ctx, &mut p).await
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let issuer = Key::generate(KeySpec::for_alg(JwsAlg::ES256))
        .unwrap()
        .with_kid("k1");
    let jwks = dir.path().join("jwks.json");
    let set = JwkSet::from_keys(vec![issuer.to_public().unwrap()]);
    std::fs::write(&jwks, serde_json::to_vec(&set.to_json(false)).unwrap()).unwrap();
    let text = CONFIG
        .replace("{DB}", &dir.path().join("gw.db").display().to_string())
        .replace("{JWKS}", &jwks.display().to_string());
    let config = Config::parse(&text).unwrap();
    let store = jwtkit_gateway::store::Store::open(&config.store).unwrap();
    let shared = Arc::new(Shared::new(config, None, Some(store)).unwrap());
    rt.block_on(shared.refresh_keys());

    let client = Key::generate(KeySpec::for_alg(JwsAlg::ES256)).unwrap();
    let jkt = client.to_public().unwrap().thumbprint().to_string();
    let sign = |cnf: Option<&str>| {
        let mut claims =
            json!({"iss": "https://issuer.test/", "aud": "api", "sub": "alice", "exp": now() + 3600});
        if let Some(j) = cnf {
            claims["cnf"] = json!({"jkt": j});
        }
        jwtkit::jws::Signer::new(&issuer, JwsAlg::ES256)
            .unwrap()
            .build()
            .unwrap()
            .sign_claims(claims.as_object().unwrap())
            .unwrap()
    };
    let bearer = format!("Bearer {}", sign(None));
    let bound_token = sign(Some(&jkt));
    let bound = format!("DPoP {bound_token}");
    let proof = |url: &str, nonce: Option<&str>| {
        let p = NewProof {
            method: "GET",
            url,
            access_token: Some(&bound_token),
            nonce,
            iat: now(),
        };
        p.sign(&client, JwsAlg::ES256).unwrap()
    };
    let nonce = match rt.block_on(run(
        &shared,
        parts("/nonce/1", &bound, Some(&proof("http://gw.test/nonce/1", None))),
    )) {
        Flow::Respond(Rejection::Dpop { nonce: Some(n), .. }) => n,
        other => panic!("expected use_dpop_nonce, got {other:?}"),
    };
    let ok = |f: Flow| assert!(matches!(f, Flow::Continue), "{f:?}");

    let mut g = c.benchmark_group("decide");
    g.bench_function("bearer token, cached", |b| {
        b.iter_batched(
            || parts("/orders/1", &bearer, None),
            |p| ok(rt.block_on(run(&shared, p))),
            BatchSize::SmallInput,
        )
    });
    g.bench_function("DPoP-bound token, cached, fresh proof", |b| {
        b.iter_batched(
            || parts("/orders/1", &bound, Some(&proof("http://gw.test/orders/1", None))),
            |p| ok(rt.block_on(run(&shared, p))),
            BatchSize::SmallInput,
        )
    });
    g.bench_function("DPoP-bound token, cached, fresh proof with nonce", |b| {
        b.iter_batched(
            || {
                parts(
                    "/nonce/1",
                    &bound,
                    Some(&proof("http://gw.test/nonce/1", Some(&nonce))),
                )
            },
            |p| ok(rt.block_on(run(&shared, p))),
            BatchSize::SmallInput,
        )
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
