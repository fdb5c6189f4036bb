//! Logs: a rejection is logged as one JSON object naming the token by its short SHA-256 and
//! giving the full reason; the token never appears. (Its own test binary: the subscriber is
//! thread-local and tracing caches per-callsite interest process-wide.)

mod common;

use common::*;
use jwtkit::JwsAlg;
use serde_json::json;

const CONFIG: &str = r#"
[[providers]]
name = "second"
issuer = "https://second.test/"
audiences = ["orders-api"]
keys = "{JWKS}"
algorithms = ["ES256"]
token_from = ["header:X-Access-Token", "cookie:access_token", "query:access_token"]
decryption_key = "enc.pem"
key_management_algorithms = ["ECDH-ES+A256KW"]
content_encryption_algorithms = ["A256GCM"]

[[routes]]
name = "multi"
path_prefix = "/multi"
upstream = "{UPSTREAM}"
auth = { providers = ["main", "second"] }
claims_to_headers = { iss = "X-Issuer" }
cors_preflight = true

[[routes]]
name = "anon"
path_prefix = "/anon"
upstream = "{UPSTREAM}"
auth = { providers = ["main"], allow_missing = true }
anonymous_rate_limit = { per_second = 0.01, burst = 2 }
"#;

#[derive(Clone, Default)]
struct Buf(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Buf {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The JSON log line of a rejection names the token by its short SHA-256 and gives the full
/// reason; neither the token nor any of its segments appears.
#[test]
fn json_logs_name_tokens_by_hash_only() {
    let k = Signing::new(JwsAlg::ES256, "k1");
    let s = setup(&(base_config(EMBEDDED) + CONFIG), "http://127.0.0.1:9", &[&k]);
    let token = k.sign(&claims("log-user", json!({"exp": now() - 3600})));
    // Encrypted tokens for the second provider: one to another key, one whose nested JWT expired.
    let new_key = |kid: &str| {
        jwtkit::Key::generate(jwtkit::jwk::KeySpec::Ec(jwtkit::EcCurve::P256))
            .unwrap()
            .with_kid(kid)
    };
    let (enc, stranger) = (new_key("enc"), new_key("stranger"));
    std::fs::write(
        s.dir.path().join("enc.pem"),
        enc.private_key_pem().unwrap().as_bytes(),
    )
    .unwrap();
    let seal = |to: &jwtkit::Key, jwt: &str| {
        jwtkit::jwe::Encrypter::new(
            &to.to_public().unwrap(),
            jwtkit::KeyMgmtAlg::ECDH_ES_A256KW,
            jwtkit::EncAlg::A256GCM,
        )
        .unwrap()
        .cty("JWT")
        .encrypt(jwt.as_bytes())
        .unwrap()
    };
    let nested = k.sign(&claims(
        "log-user",
        json!({"iss": "https://second.test/", "exp": now() - 3600}),
    ));
    let undecryptable = seal(&stranger, &nested);
    let expired_inside = seal(&enc, &nested);
    let buf = Buf::default();
    let writer = buf.clone();
    let subscriber = tracing_subscriber::fmt()
        .json()
        .flatten_event(true)
        .with_writer(move || writer.clone())
        .finish();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    tracing::subscriber::with_default(subscriber, || {
        rt.block_on(async {
            let report = jwtkit_gateway::explain::explain(&s.config_path, "/multi/x", &token, None)
                .await
                .unwrap();
            assert_eq!(report.status, Some(401));
            for t in [&undecryptable, &expired_inside] {
                let report = jwtkit_gateway::explain::explain(&s.config_path, "/multi/x", t, None)
                    .await
                    .unwrap();
                assert_eq!(report.status, Some(401));
            }
        })
    });
    let logs = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
    let line = logs
        .lines()
        .find(|l| l.contains("token rejected"))
        .unwrap_or_else(|| panic!("no rejection logged: {logs}"));
    let v: serde_json::Value = serde_json::from_str(line).unwrap();
    let id = jwtkit_gateway::token_cache::short_id(&jwtkit_gateway::token_cache::hash_token(&token));
    assert_eq!(v["token"], id.as_str());
    assert_eq!(v["kind"], "expired");
    assert_eq!(v["issuer"], "https://issuer.test/");
    assert!(
        v["reason"].as_str().unwrap().starts_with("token expired 1h"),
        "{line}"
    );
    for segment in token.split('.') {
        assert!(!logs.contains(segment), "a token segment leaked into the logs");
    }

    // Encrypted tokens: named by the hash of the compact JWE, with the stage that failed; no
    // segment of the JWE or of its nested JWT is logged.
    let lines: Vec<serde_json::Value> = logs
        .lines()
        .filter(|l| l.contains("token rejected"))
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let of = |t: &str| {
        let id = jwtkit_gateway::token_cache::short_id(&jwtkit_gateway::token_cache::hash_token(t));
        lines
            .iter()
            .find(|l| l["token"] == id.as_str())
            .unwrap_or_else(|| panic!("no line for {id}: {logs}"))
            .clone()
    };
    let v = of(&undecryptable);
    assert_eq!(
        (&v["kind"], &v["check"], &v["encrypted"]),
        (&json!("decrypt_failed"), &json!("decrypt"), &json!(true))
    );
    let v = of(&expired_inside);
    assert_eq!(
        (&v["kind"], &v["check"], &v["issuer"]),
        (
            &json!("expired"),
            &json!("verify"),
            &json!("https://second.test/")
        )
    );
    for t in [&undecryptable, &expired_inside, &nested] {
        for segment in t.split('.').filter(|s| s.len() > 8) {
            assert!(
                !logs.contains(segment),
                "a JWE or nested JWT segment leaked into the logs"
            );
        }
    }
}
