//! `jwtkit verify --iss-template`: a multi-tenant issuer checked by the core's `iss` step with
//! the token's own `tid` — an allowed tenant, another tenant, `--any-tenant`, and the usage
//! error without a tenant policy.

mod common;

use common::Env;

const A: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";
const B: &str = "9188040d-6c67-4c5b-b112-36a304b66dad";
const TEMPLATE: &str = "https://login.microsoftonline.com/{tid}/v2.0";

fn token(env: &Env, tid: &str) -> String {
    let iss = format!("https://login.microsoftonline.com/{tid}/v2.0");
    let tid = format!("tid={tid}");
    let r = env
        .run(&[
            "sign",
            "--alg",
            "RS256",
            "--key",
            "entra.jwk",
            "--iss",
            &iss,
            "--claim",
            &tid,
            "--claim",
            "aud=api://orders",
            "--claim",
            "exp=4102444800",
        ])
        .code(0);
    r.stdout.trim().to_string()
}

#[test]
fn verify_checks_the_tenant_of_an_issuer_template() {
    let env = Env::new();
    env.run(&[
        "keygen",
        "--alg",
        "RS256",
        "--out",
        "entra.jwk",
        "--public-out",
        "entra.pub.jwk",
    ])
    .code(0);
    let verify = |t: &str, policy: &[&str]| {
        let mut args = vec![
            "verify",
            "--key",
            "entra.pub.jwk",
            "--aud",
            "api://orders",
            "--iss-template",
            TEMPLATE,
            "--json",
        ];
        args.extend_from_slice(policy);
        args.push(t);
        env.run(&args)
    };
    let a = token(&env, A);
    let b = token(&env, B);
    verify(&a, &["--tenant", A]).code(0);
    let r = verify(&b, &["--tenant", A]).code(1);
    let j = r.json();
    assert_eq!(j["error"]["kind"], "bad_issuer", "{j}");
    assert!(
        j["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with(&format!("tenant \"{B}\" is not an allowed tenant")),
        "{j}"
    );
    verify(&b, &["--any-tenant"]).code(0);
    let j = verify(&b, &[]).code(2).json();
    assert_eq!(j["error"]["kind"], "usage");
    assert_eq!(
        j["error"]["message"],
        "--iss-template needs the allowed tenants: --tenant ID (repeatable) or --any-tenant"
    );
}
