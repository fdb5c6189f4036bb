//! Encrypted tokens (a JWE holding a signed JWT) through the gateway, with real components: a
//! JWKS server on 127.0.0.1 for the signing keys, decryption keys in files, a real upstream.
//! Decryption, the nested JWT's signature path (unknown-`kid` refetch included), claims to
//! headers, the verified-token cache (hits, `exp` re-check, revocation), the fixed
//! `decrypt_failed` answer, `require_encryption`, several providers on one route, `explain`.

mod common;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use std::time::Duration;

use common::*;
use jwtkit::jwe::Encrypter;
use jwtkit::jwk::KeySpec;
use jwtkit::{EcCurve, EncAlg, JwsAlg, Key, KeyMgmtAlg, OkpCurve};
use serde_json::json;

/// A recipient key of the gateway: the private half goes into the config, senders encrypt to
/// the public half.
struct Recipient {
    key: Key,
}

impl Recipient {
    fn new(spec: KeySpec, kid: &str) -> Recipient {
        Recipient {
            key: Key::generate(spec).unwrap().with_kid(kid),
        }
    }

    fn write_pem(&self, path: &std::path::Path) {
        std::fs::write(path, self.key.private_key_pem().unwrap().as_bytes()).unwrap();
    }

    fn write_jwk(&self, path: &std::path::Path) {
        std::fs::write(path, serde_json::to_vec(&self.key.to_jwk(true)).unwrap()).unwrap();
    }

    /// Encrypt a nested JWT to this key (`cty: JWT`).
    fn seal(&self, jwt: &str, alg: KeyMgmtAlg) -> String {
        let public = self.key.to_public().unwrap();
        Encrypter::new(&public, alg, EncAlg::A256GCM)
            .unwrap()
            .cty("JWT")
            .encrypt(jwt.as_bytes())
            .unwrap()
    }
}

const ECDH: KeyMgmtAlg = KeyMgmtAlg::ECDH_ES_A256KW;

/// `main` (JWKS URL) decrypts with `enc.pem`; `strict` requires encryption (same key, given as
/// `@file` relative to the config); `other` has its own issuer and X25519 key; `plainjws` has no
/// decryption key.
fn config(jwks_url: &str) -> String {
    jwks_config(EMBEDDED, jwks_url)
        + &format!(
            r#"decryption_key = "enc.pem"
key_management_algorithms = ["ECDH-ES+A256KW", "ECDH-ES+A128KW"]
content_encryption_algorithms = ["A256GCM"]

[[providers]]
name = "strict"
issuer = "https://issuer.test/"
audiences = ["orders-api"]
jwks_uri = "{jwks_url}"
algorithms = ["ES256", "RS256"]
fetch = {{ refetch_cooldown = "1s" }}
decryption_key = "@enc.pem"
key_management_algorithms = ["ECDH-ES+A256KW"]
content_encryption_algorithms = ["A256GCM"]
require_encryption = true

[[providers]]
name = "other"
issuer = "https://other.test/"
audiences = ["orders-api"]
jwks_uri = "{jwks_url}"
algorithms = ["ES256", "RS256"]
fetch = {{ refetch_cooldown = "1s" }}
decryption_key = "other.jwk"
key_management_algorithms = ["ECDH-ES+A256KW"]
content_encryption_algorithms = ["A256GCM", "A128CBC-HS256"]

[[providers]]
name = "plainjws"
issuer = "https://issuer.test/"
audiences = ["orders-api"]
jwks_uri = "{jwks_url}"
algorithms = ["ES256", "RS256"]

[[routes]]
name = "orders"
path_prefix = "/orders"
upstream = "{{UPSTREAM}}"
auth = {{ providers = ["main"] }}
claims_to_headers = {{ sub = "X-User-Id", "org.id" = "X-Org-Id" }}
strip_authorization = true

[[routes]]
name = "strict"
path_prefix = "/strict"
upstream = "{{UPSTREAM}}"
auth = {{ providers = ["strict"] }}

[[routes]]
name = "multi"
path_prefix = "/multi"
upstream = "{{UPSTREAM}}"
auth = {{ providers = ["main", "other"] }}
claims_to_headers = {{ iss = "X-Issuer" }}

[[routes]]
name = "plain"
path_prefix = "/plain"
upstream = "{{UPSTREAM}}"
auth = {{ providers = ["plainjws"] }}
"#
        )
}

struct World {
    _up: Upstream,
    jwks: JwksServer,
    signer: Signing,
    enc: Recipient,
    other: Recipient,
    setup: Setup,
}

async fn world() -> World {
    let up = Upstream::start().await;
    let signer = Signing::new(JwsAlg::ES256, "sig-1");
    let mut jwks = JwksServer::new(&[&signer]);
    jwks.start().await;
    let setup = common::setup(&config(&jwks.url()), &up.url(), &[]);
    let enc = Recipient::new(KeySpec::Ec(EcCurve::P256), "enc-1");
    enc.write_pem(&setup.dir.path().join("enc.pem"));
    let other = Recipient::new(KeySpec::Okp(OkpCurve::X25519), "other-enc");
    other.write_jwk(&setup.dir.path().join("other.jwk"));
    World {
        _up: up,
        jwks,
        signer,
        enc,
        other,
        setup,
    }
}

fn cache_counts(gw: &jwtkit_gateway::Gateway) -> (u64, u64) {
    gw.shared().cache.counts()
}

#[tokio::test]
async fn jwe_accepted_claims_forwarded_cached_and_revoked() {
    let w = world().await;
    let gw = start(&w.setup).await;
    let url = format!("http://{}/orders/1", gw.addr());
    let c = claims("alice", json!({"org": {"id": 7}}));
    let jti = c["jti"].as_str().unwrap().to_string();
    let token = w.enc.seal(&w.signer.sign(&c), ECDH);
    assert_eq!(token.split('.').count(), 5);

    let r = bearer_get(&url, &token).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.seen("x-user-id"), Some(vec!["alice".to_string()]));
    assert_eq!(r.seen("x-org-id"), Some(vec!["7".to_string()]));
    assert_eq!(r.seen("authorization"), None, "strip_authorization");
    assert_eq!(cache_counts(&gw), (0, 1), "first sight: a miss");

    // The second request is served from the cache (keyed by the compact JWE's hash).
    assert_eq!(bearer_get(&url, &token).await.status, 200);
    assert_eq!(cache_counts(&gw), (1, 1));

    // Revocation by jti drops the cached entry and rejects the token.
    let entries = gw.shared().cache.len();
    let rev = admin(
        &gw,
        "POST",
        "/admin/revocations",
        &json!({"jti": jti, "exp": now() + 3600}).to_string(),
    )
    .await;
    assert_eq!(rev.status, 201, "{:?}", rev.body);
    assert_eq!(
        gw.shared().cache.len(),
        entries - 1,
        "revocation drops the JWE's entry"
    );
    let r = bearer_get(&url, &token).await;
    assert_eq!(r.status, 401);
    assert_eq!(r.json()["error_description"], "token revoked");

    // The cache never serves past exp: a JWE whose nested JWT expires in 2 s is a hit before,
    // a miss after (then verified in full: accepted within the provider's 5 s leeway).
    let exp = now() + 2;
    let short = w
        .enc
        .seal(&w.signer.sign(&claims("bob", json!({"exp": exp}))), ECDH);
    assert_eq!(bearer_get(&url, &short).await.status, 200);
    let (hits, misses) = cache_counts(&gw);
    assert_eq!(bearer_get(&url, &short).await.status, 200);
    assert_eq!(cache_counts(&gw), (hits + 1, misses), "a hit before exp");
    while now() < exp {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(bearer_get(&url, &short).await.status, 200, "within leeway");
    assert_eq!(
        cache_counts(&gw),
        (hits + 1, misses + 1),
        "at exp: verified again"
    );
    gw.shutdown().await;
}

#[tokio::test]
async fn undecryptable_tokens_get_one_fixed_answer() {
    let w = world().await;
    let gw = start(&w.setup).await;
    let url = format!("http://{}/orders/1", gw.addr());
    let jwt = w.signer.sign(&claims("alice", json!({})));
    let expected_www = challenge(
        gw.addr(),
        "/orders",
        r#"Bearer realm="jwtkit", error="invalid_token", error_description="decryption failed""#,
    );

    // Encrypted to another key, to the right key with an alg not in the allowlist, or with a
    // modified ciphertext: the same status, header and body, whatever the cause.
    let stranger = Recipient::new(KeySpec::Ec(EcCurve::P256), "enc-1");
    let wrong_key = stranger.seal(&jwt, ECDH);
    let not_allowed = w.enc.seal(&jwt, KeyMgmtAlg::ECDH_ES);
    let mut parts: Vec<String> = w.enc.seal(&jwt, ECDH).split('.').map(str::to_owned).collect();
    parts[3] = {
        let mut ct = URL_SAFE_NO_PAD.decode(&parts[3]).unwrap();
        ct[0] ^= 1;
        URL_SAFE_NO_PAD.encode(&ct)
    };
    let tampered = parts.join(".");
    let mut bodies = Vec::new();
    for token in [&wrong_key, &not_allowed, &tampered] {
        let r = bearer_get(&url, token).await;
        assert_eq!(r.status, 401);
        assert_eq!(r.header("www-authenticate"), Some(expected_www.as_str()));
        assert_eq!(r.header("x-upstream"), None);
        bodies.push(r.body.clone());
    }
    assert_eq!(
        r#"{"error":"invalid_token","error_description":"decryption failed"}"#,
        std::str::from_utf8(&bodies[0]).unwrap()
    );
    assert!(bodies.iter().all(|b| *b == bodies[0]), "no oracle: {bodies:?}");

    // Encrypted claims without a signature are refused: anyone can encrypt to a public key.
    let unsigned = Encrypter::new(&w.enc.key.to_public().unwrap(), ECDH, EncAlg::A256GCM)
        .unwrap()
        .encrypt(claims("mallory", json!({})).to_string().as_bytes())
        .unwrap();
    let r = bearer_get(&url, &unsigned).await;
    assert_eq!(
        (r.status, r.json()["error_description"].as_str()),
        (401, Some("signature does not verify"))
    );

    // A JWE JSON serialization is not a bearer token.
    let json_jwe = Encrypter::with_enc(EncAlg::A256GCM)
        .recipient(&w.enc.key.to_public().unwrap(), ECDH)
        .unwrap()
        .encrypt_json(jwt.as_bytes(), true)
        .unwrap();
    let r = get(
        &url,
        &[
            ("x-ignored", "1"),
            ("authorization", &format!("Bearer {json_jwe}")),
        ],
    )
    .await;
    assert_eq!(
        (r.status, r.json()["error"].as_str()),
        (401, Some("invalid_token"))
    );

    // require_encryption: the plain JWS is refused where the JWE passes; elsewhere it passes.
    let strict = format!("http://{}/strict/1", gw.addr());
    let r = bearer_get(&strict, &jwt).await;
    assert_eq!(r.status, 401);
    assert_eq!(
        r.header("www-authenticate").unwrap(),
        challenge(
            gw.addr(),
            "/strict",
            r#"Bearer realm="jwtkit", error="invalid_token", error_description="token must be encrypted""#
        )
    );
    assert_eq!(bearer_get(&strict, &w.enc.seal(&jwt, ECDH)).await.status, 200);
    assert_eq!(
        bearer_get(&url, &jwt).await.status,
        200,
        "main still accepts plain JWS"
    );

    // A provider without decryption_key does not take JWE at all.
    let r = bearer_get(&format!("http://{}/plain/1", gw.addr()), &w.enc.seal(&jwt, ECDH)).await;
    assert_eq!(
        (r.status, r.json()["error_description"].as_str()),
        (401, Some("token malformed"))
    );

    let m = String::from_utf8(
        get(&format!("http://{}/metrics", gw.admin_addr()), &[])
            .await
            .body
            .to_vec(),
    )
    .unwrap();
    for reason in ["decrypt_failed", "encryption_required"] {
        let line =
            format!(r#"jwtkit_gateway_rejections_total{{reason="{reason}",issuer="https://issuer.test/"}}"#);
        assert!(m.contains(&line), "{line} in {m}");
    }
    gw.shutdown().await;
}

#[tokio::test]
async fn unknown_kid_inside_a_jwe_causes_one_coalesced_refetch() {
    let w = world().await;
    let gw = start(&w.setup).await;
    let url = format!("http://{}/orders/1", gw.addr());
    let first = w.enc.seal(&w.signer.sign(&claims("a", json!({}))), ECDH);
    assert_eq!(bearer_get(&url, &first).await.status, 200);
    tokio::time::sleep(Duration::from_millis(1200)).await; // past the 1 s refetch cooldown

    // The issuer rotates: the nested JWT is signed with a key the gateway has not fetched.
    let rotated = Signing::new(JwsAlg::RS256, "sig-2");
    w.jwks.set_keys(&[&w.signer, &rotated]);
    let before = w.jwks.fetch_count();
    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let url = url.clone();
            let t = w
                .enc
                .seal(&rotated.sign(&claims(&format!("u{i}"), json!({}))), ECDH);
            tokio::spawn(async move { bearer_get(&url, &t).await.status })
        })
        .collect();
    for t in tasks {
        assert_eq!(t.await.unwrap(), 200);
    }
    assert_eq!(
        w.jwks.fetch_count() - before,
        1,
        "20 JWEs with an unknown nested kid: one refetch"
    );
    // A nested kid the issuer never published: key_not_found after the (throttled) refetch.
    let stranger = Signing::new(JwsAlg::ES256, "nobody");
    let r = bearer_get(&url, &w.enc.seal(&stranger.sign(&claims("x", json!({}))), ECDH)).await;
    assert_eq!(
        (r.status, r.json()["error_description"].as_str()),
        (401, Some("signing key not found"))
    );
    gw.shutdown().await;
}

#[tokio::test]
async fn several_providers_on_a_route_chosen_by_decryption_key_then_iss() {
    let w = world().await;
    let gw = start(&w.setup).await;
    let url = format!("http://{}/multi/1", gw.addr());
    let to_other = w.other.seal(
        &w.signer.sign(&claims("o", json!({"iss": "https://other.test/"}))),
        ECDH,
    );
    let r = bearer_get(&url, &to_other).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.seen("x-issuer"), Some(vec!["https://other.test/".to_string()]));
    let (hits, _) = cache_counts(&gw);
    assert_eq!(bearer_get(&url, &to_other).await.status, 200);
    assert_eq!(cache_counts(&gw).0, hits + 1, "second request from the cache");

    let to_main = w.enc.seal(&w.signer.sign(&claims("m", json!({}))), ECDH);
    let r = bearer_get(&url, &to_main).await;
    assert_eq!(r.seen("x-issuer"), Some(vec!["https://issuer.test/".to_string()]));

    // Encrypted to main's key but claiming other's issuer: main decrypts, so main verifies.
    let crossed = w.enc.seal(
        &w.signer.sign(&claims("x", json!({"iss": "https://other.test/"}))),
        ECDH,
    );
    let r = bearer_get(&url, &crossed).await;
    assert_eq!(
        (r.status, r.json()["error_description"].as_str()),
        (401, Some("issuer not accepted"))
    );
    gw.shutdown().await;
}

/// The decryption key is read again on reload: tokens for the new key pass, tokens (cached
/// ones included) for the old key stop; a reload whose key cannot be read keeps the old config.
#[tokio::test]
async fn decryption_key_replaced_on_reload() {
    let w = world().await;
    let gw = start(&w.setup).await;
    let url = format!("http://{}/orders/1", gw.addr());
    let jwt = w.signer.sign(&claims("a", json!({})));
    let old_token = w.enc.seal(&jwt, ECDH);
    assert_eq!(bearer_get(&url, &old_token).await.status, 200);
    assert_eq!(bearer_get(&url, &old_token).await.status, 200);
    assert_eq!(cache_counts(&gw).0, 1, "cached");

    let pem = w.setup.dir.path().join("enc.pem");
    let next = Recipient::new(KeySpec::Ec(EcCurve::P256), "enc-2");
    next.write_pem(&pem);
    gw.shared().reload().await.unwrap();
    let r = bearer_get(&url, &old_token).await;
    assert_eq!(
        (r.status, r.json()["error_description"].as_str()),
        (401, Some("decryption failed")),
        "the old key's token is not served from the cache either"
    );
    let new_token = next.seal(&jwt, ECDH);
    assert_eq!(bearer_get(&url, &new_token).await.status, 200);

    std::fs::remove_file(&pem).unwrap();
    let e = gw.shared().reload().await.unwrap_err();
    assert!(format!("{e:#}").contains("enc.pem"), "{e:#}");
    assert_eq!(
        bearer_get(&url, &new_token).await.status,
        200,
        "old config still serving"
    );
    gw.shutdown().await;
}

#[tokio::test]
async fn explain_shows_the_decryption_steps() {
    let w = world().await;
    let path = &w.setup.config_path;
    let expired = w
        .enc
        .seal(&w.signer.sign(&claims("a", json!({"exp": now() - 7200}))), ECDH);
    let report = jwtkit_gateway::explain::explain(path, "/orders/1", &expired, None)
        .await
        .unwrap();
    assert_eq!(report.status, Some(401));
    let j = report.to_json();
    let checks = j["checks"].as_array().unwrap().clone();
    let find = |name: &str| {
        checks
            .iter()
            .find(|c| c["check"] == name)
            .unwrap_or_else(|| panic!("no check {name}: {j}"))
            .clone()
    };
    assert_eq!(find("JWE structure")["outcome"], "pass");
    assert_eq!(find("decryption")["outcome"], "pass");
    let d = find("decryption")["detail"].as_str().unwrap().to_string();
    assert!(
        d.contains("alg ECDH-ES+A256KW, enc A256GCM with thumbprint "),
        "{d}"
    );
    assert!(d.contains("enc.pem"), "{d}");
    assert_eq!(find("nested JWT")["outcome"], "pass");
    assert_eq!(find("signature")["outcome"], "pass");
    assert_eq!(find("exp")["outcome"], "fail");
    let names: Vec<&str> = checks.iter().map(|c| c["check"].as_str().unwrap()).collect();
    let at = |n: &str| names.iter().position(|x| *x == n).unwrap();
    assert!(
        at("decryption") < at("nested JWT") && at("nested JWT") < at("signature"),
        "{names:?}"
    );
    assert!(
        report.render_text().contains("decryption"),
        "{}",
        report.render_text()
    );

    // Another recipient's JWE fails at the decryption step, and nothing after it is checked.
    let stranger = Recipient::new(KeySpec::Ec(EcCurve::P256), "enc-1");
    let token = stranger.seal(&w.signer.sign(&claims("a", json!({}))), ECDH);
    let report = jwtkit_gateway::explain::explain(path, "/orders/1", &token, None)
        .await
        .unwrap();
    let j = report.to_json();
    assert_eq!(j["error"]["error_description"], "decryption failed");
    assert_eq!(j["verify_error"]["kind"], "decrypt_failed");
    let checks = j["checks"].as_array().unwrap();
    let outcome = |name: &str| {
        checks
            .iter()
            .find(|c| c["check"] == name)
            .map(|c| c["outcome"].clone())
    };
    assert_eq!(outcome("alg / enc allowlists"), Some(json!("pass")));
    assert_eq!(outcome("decryption"), Some(json!("fail")));
    assert_eq!(outcome("signature"), None);

    // An alg outside the allowlist: the log and explain say which; the client does not.
    let token = w
        .enc
        .seal(&w.signer.sign(&claims("a", json!({}))), KeyMgmtAlg::ECDH_ES);
    let report = jwtkit_gateway::explain::explain(path, "/orders/1", &token, None)
        .await
        .unwrap();
    let j = report.to_json();
    assert_eq!(j["verify_error"]["kind"], "alg_not_allowed");
    assert_eq!(j["error"]["error_description"], "decryption failed");
    let checks = j["checks"].as_array().unwrap();
    let outcome = |name: &str| {
        checks
            .iter()
            .find(|c| c["check"] == name)
            .map(|c| c["outcome"].clone())
    };
    assert_eq!(outcome("alg / enc allowlists"), Some(json!("fail")));
    assert_eq!(outcome("decryption"), Some(json!("skip")));

    // A plain JWS on a provider that requires encryption.
    let report =
        jwtkit_gateway::explain::explain(path, "/strict/1", &w.signer.sign(&claims("a", json!({}))), None)
            .await
            .unwrap();
    assert_eq!(
        report.error.as_ref().map(|e| e.1.as_str()),
        Some("token must be encrypted")
    );
    assert!(
        report
            .steps
            .iter()
            .any(|s| s.check == "encryption" && s.detail.contains("require_encryption"))
    );
}

#[test]
fn check_lists_decryption_and_rejects_bad_keys() {
    let dir = tempfile::tempdir().unwrap();
    let jwks = dir.path().join("jwks.json");
    write_jwks(&jwks, &[&Signing::new(JwsAlg::ES256, "s")]);
    let enc = Recipient::new(KeySpec::Ec(EcCurve::P384), "e");
    enc.write_jwk(&dir.path().join("enc.jwk"));
    let base = base_config(EMBEDDED).replace("{JWKS}", &jwks.display().to_string());
    let write = |extra: &str| {
        let p = dir.path().join("gateway.toml");
        std::fs::write(
            &p,
            fill(&format!("{base}{extra}"), "http://127.0.0.1:9", dir.path(), &jwks),
        )
        .unwrap();
        p
    };
    let ok = write(
        "decryption_key = \"enc.jwk\"\nkey_management_algorithms = [\"ECDH-ES+A192KW\"]\ncontent_encryption_algorithms = [\"A192GCM\"]\n",
    );
    let lines = jwtkit_gateway::check(&ok).unwrap();
    assert!(
        lines[0].contains(r#"decrypts JWE: alg [ECDH-ES+A192KW], enc [A192GCM], 1 key(s) from"#),
        "{lines:?}"
    );
    // An algorithm the key cannot serve, a public key, an unreadable file.
    let e = jwtkit_gateway::check(&write(
        "decryption_key = \"enc.jwk\"\nkey_management_algorithms = [\"RSA-OAEP-256\"]\ncontent_encryption_algorithms = [\"A256GCM\"]\n",
    ))
    .unwrap_err();
    assert!(
        format!("{e:#}").contains("holds no private key for RSA-OAEP-256"),
        "{e:#}"
    );
    std::fs::write(
        dir.path().join("pub.jwk"),
        serde_json::to_vec(&enc.key.to_public().unwrap().to_jwk(false)).unwrap(),
    )
    .unwrap();
    let e = jwtkit_gateway::check(&write(
        "decryption_key = \"pub.jwk\"\nkey_management_algorithms = [\"ECDH-ES+A192KW\"]\ncontent_encryption_algorithms = [\"A256GCM\"]\n",
    ))
    .unwrap_err();
    assert!(format!("{e:#}").contains("holds no private key"), "{e:#}");
    let e = jwtkit_gateway::check(&write(
        "decryption_key = \"missing.pem\"\nkey_management_algorithms = [\"ECDH-ES\"]\ncontent_encryption_algorithms = [\"A256GCM\"]\n",
    ))
    .unwrap_err();
    assert!(format!("{e:#}").contains("missing.pem"), "{e:#}");
}
