//! `POST /api/encode` (sign the page's header and payload with [`jwtkit::jws::Signer`]) and
//! `POST /api/keygen` (a new key from [`jwtkit::Key::generate`] with
//! [`jwtkit::jwk::KeySpec::for_alg`]).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use std::sync::Arc;

use axum::extract::State as AxState;
use axum::response::Response;
use serde::Deserialize;
use serde_json::{Value, json};

use jwtkit::jwk::KeySpec;
use jwtkit::jws::Signer;
use jwtkit::{Error, ErrorKind, JwsAlg, Key, KeyOp};

use super::{Body, KeyInput, findings_json, now_from, ok};
use crate::State;

#[derive(Debug, Deserialize)]
pub(crate) struct EncodeRequest {
    header: String,
    payload: String,
    alg: String,
    key: KeyInput,
    #[serde(default)]
    allow_weak_key: bool,
}

fn failed(field: &str, e: &Error) -> Response {
    ok(json!({"token": null, "error": {"field": field, "error": e.to_json()}}))
}

fn pretty(v: &serde_json::Map<String, Value>) -> String {
    serde_json::to_string_pretty(v).unwrap_or_default()
}

/// The public half of a signing key, to verify what it signs.
fn public_of(key: &Key) -> Value {
    match key.to_public() {
        Some(p) => json!({"pem": p.public_key_pem(), "jwk": pretty(&p.to_jwk(false))}),
        None => Value::Null,
    }
}

pub(crate) async fn encode(AxState(st): AxState<Arc<State>>, Body(req): Body<EncodeRequest>) -> Response {
    let alg = match req.alg.parse::<JwsAlg>() {
        Ok(a) => a,
        Err(e) => return failed("alg", &e),
    };
    let header = match jwtkit::json::parse_object(req.header.as_bytes(), &st.limits) {
        Ok(h) => h,
        Err(e) => return failed("header", &e),
    };
    if let Some(found) = header.get("alg")
        && found.as_str() != Some(alg.as_str())
    {
        let e = Error::new(
            ErrorKind::Malformed,
            format!("the header's alg is {found}, but the selected algorithm is {alg}; pick one"),
        );
        return failed("header", &e);
    }
    let payload = match jwtkit::json::parse_object(req.payload.as_bytes(), &st.limits) {
        Ok(p) => p,
        Err(e) => return failed("payload", &e),
    };
    if matches!(req.key, KeyInput::Url { .. }) {
        let e = Error::new(
            ErrorKind::KeyMismatch,
            "a JWKS or issuer URL gives public keys; signing needs a secret or a private key",
        );
        return failed("key", &e);
    }
    let loaded = match req.key.load(&st, None).await {
        Ok(l) => l,
        Err(e) => return failed("key", &e),
    };
    let keys = loaded.set.keys();
    let Some(key) = keys
        .iter()
        .find(|k| k.check_use(alg, KeyOp::Sign).is_ok())
        .or(keys.first())
    else {
        return failed("key", &Error::new(ErrorKind::BadKey, "no usable key found"));
    };
    let mut signer = match Signer::new(key, alg) {
        Ok(s) => s,
        Err(e) => return failed("key", &e),
    };
    for (name, value) in &header {
        signer = match (name.as_str(), value.as_str()) {
            ("alg", _) => signer,
            ("typ", Some(t)) => signer.typ(t),
            _ => signer.param(name, value.clone()),
        };
    }
    let signer = match signer.allow_weak_key(req.allow_weak_key).build() {
        Ok(s) => s,
        Err(e) if e.kind() == ErrorKind::BadKey => return failed("key", &e),
        Err(e) => return failed("header", &e),
    };
    let token = match signer.sign_claims(&payload) {
        Ok(t) => t,
        Err(e) => return failed("payload", &e),
    };
    let now = now_from(None).unwrap_or(0);
    let mut findings = jwtkit::diagnose::Finding::for_token(signer.header(), Some(&payload), now);
    findings.extend(jwtkit::diagnose::Finding::for_key(key, Some(alg)));
    ok(json!({
        "token": token,
        "alg": alg,
        "header": signer.header(),
        "key": super::keys::describe(key),
        "public_key": public_of(key),
        "findings": findings_json(findings),
        "error": null,
    }))
}

#[derive(Debug, Deserialize)]
pub(crate) struct KeygenRequest {
    alg: String,
}

pub(crate) async fn keygen(Body(req): Body<KeygenRequest>) -> Response {
    let alg = match req.alg.parse::<JwsAlg>() {
        Ok(a) => a,
        Err(e) => return ok(json!({"error": e.to_json()})),
    };
    // RSA generation takes up to a second: keep it off the async workers.
    let generated = tokio::task::spawn_blocking(move || Key::generate(KeySpec::for_alg(alg))).await;
    let key = match generated {
        Ok(Ok(k)) => k,
        Ok(Err(e)) => return ok(json!({"error": e.to_json()})),
        Err(_) => {
            return ok(json!({"error": Error::new(ErrorKind::BadKey, "key generation failed").to_json()}));
        }
    };
    let kid = key.thumbprint().to_string();
    let key = key.with_kid(kid.clone());
    match key.secret_bytes() {
        Some(secret) => ok(json!({
            "alg": alg,
            "kind": "secret",
            "kid": kid,
            "secret_base64url": URL_SAFE_NO_PAD.encode(secret),
            "private_jwk": pretty(&key.to_jwk(true)),
            "error": null,
        })),
        None => ok(json!({
            "alg": alg,
            "kind": "keypair",
            "kid": kid,
            "private_pem": key.private_key_pem().map(|p| p.to_string()),
            "private_jwk": pretty(&key.to_jwk(true)),
            "public_pem": key.public_key_pem(),
            "public_jwk": pretty(&key.to_jwk(false)),
            "error": null,
        })),
    }
}
