//! Key and token generator for `bench/gateway.sh`: writes `jwks.json` and `tokens.txt` (one
//! token per line) for one algorithm.
//!
//! `cargo run --release -p jwtkit-gateway --example bench_tokens -- ALG COUNT OUT_DIR`

use jwtkit::jws::Signer;
use jwtkit::{JwkSet, JwsAlg, Key};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let [_, alg, count, out] = args.as_slice() else {
        return Err("usage: bench_tokens ALG COUNT OUT_DIR".into());
    };
    let alg: JwsAlg = alg.parse()?;
    let count: usize = count.parse()?;
    let out = std::path::Path::new(out);
    std::fs::create_dir_all(out)?;
    let key = Key::generate(jwtkit::jwk::KeySpec::for_alg(alg))?.with_kid(format!("bench-{alg}"));
    let signer = Signer::new(&key, alg)?.typ("JWT").build()?;
    let public = JwkSet::from_keys(vec![key.to_public().ok_or("no public key")?]);
    std::fs::write(out.join("jwks.json"), serde_json::to_vec(&public.to_json(false))?)?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_secs();
    let mut tokens = String::new();
    for i in 0..count {
        let claims = serde_json::json!({
            "iss": "https://bench.issuer/", "aud": "bench-api", "sub": format!("user-{i}"),
            "iat": now, "exp": now + 7200, "jti": format!("bench-{i}"), "scope": "bench:read",
        });
        tokens.push_str(&signer.sign_claims(claims.as_object().ok_or("claims")?)?);
        tokens.push('\n');
    }
    std::fs::write(out.join("tokens.txt"), tokens)?;
    Ok(())
}
