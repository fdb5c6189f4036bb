//! What an issuer template costs at verification: one HS256 token verified with an exact
//! issuer, and the same claims (plus `tid`) verified through an issuer template with a
//! one-tenant allowlist. Run: `cargo bench -p jwtkit --bench issuer_template`; compare the two
//! in one run (the ratio, not the absolute times).

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use jwtkit::jwt::IssuerTemplate;
use jwtkit::{JwkSet, JwsAlg, Key, Validation};

const TID: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";

fn bench(c: &mut Criterion) {
    let secret = b"0123456789abcdef0123456789abcdef";
    let key = Key::hmac(secret.to_vec());
    let keys = JwkSet::from_keys(vec![Key::hmac(secret.to_vec())]);
    let sign = |iss: &str| {
        let claims = format!(
            r#"{{"iss":"{iss}","tid":"{TID}","aud":"api://orders","sub":"alice","exp":4102444800,"iat":1700000000,"scp":"orders.read","oid":"00000000-0000-0000-0000-00000000a11c"}}"#
        );
        jwtkit::jws::Signer::new(&key, JwsAlg::HS256)
            .unwrap()
            .build()
            .unwrap()
            .sign(claims.as_bytes())
            .unwrap()
    };
    let iss = format!("https://login.microsoftonline.com/{TID}/v2.0");
    let token = sign(&iss);
    let exact = Validation::builder(JwsAlg::HS256)
        .issuer(iss.clone())
        .audience("api://orders")
        .build()
        .unwrap();
    let template = IssuerTemplate::with_tenants(
        "https://login.microsoftonline.com/{tid}/v2.0",
        "guid",
        vec![TID.into()],
    )
    .unwrap();
    let templated = Validation::builder(JwsAlg::HS256)
        .issuer_template(template)
        .audience("api://orders")
        .build()
        .unwrap();
    let mut g = c.benchmark_group("verify HS256");
    g.bench_function("iss exact", |b| {
        b.iter(|| jwtkit::verify(black_box(&token), &keys, &exact).unwrap())
    });
    g.bench_function("iss template", |b| {
        b.iter(|| jwtkit::verify(black_box(&token), &keys, &templated).unwrap())
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
