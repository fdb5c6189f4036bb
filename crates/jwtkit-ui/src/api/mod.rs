//! The page's JSON API. Every endpoint is a thin adapter over the jwtkit core library; errors
//! are [`jwtkit::Error::to_json`] objects (`{"kind","message","fault",...}`).
//!
//! | endpoint | body | answer |
//! |---|---|---|
//! | `GET /api/info` | – | version, whether URL fetching is built in, the server's clock |
//! | `POST /api/decode` | `{token, now?, leeway?}` | segments, header, payload, times, status, errors, findings, `token_type`; for an SD-JWT `form: "sd_jwt"`, the payload with the Disclosures applied and `sd_jwt` (each Disclosure's pointer, name, value, salt, digest; the Key Binding JWT) |
//! | `POST /api/verify` | `{token, key, algorithms?, issuer?, audience?, subject?, typ?, leeway?, now?, kb_audience?, kb_nonce?}` | signature and claim results, diagnosis, key findings, `token_type` (with `confusion` when `typ` names another kind), for an SD-JWT `sd_jwt` (the Disclosures that matched, the Key Binding JWT; required when `kb_audience` and `kb_nonce` are given), an equivalent `jwtkit verify` command |
//! | `POST /api/verify` (a JWE, compact or JSON) | the above, plus `decryption_key?`, `encryptions?`; `algorithms` may name JWE key management algorithms | `jwe` (decryption result and JWE header), then the nested JWT's signature and claims |
//! | `POST /api/encode` | `{header, payload, alg, key, allow_weak_key?}` | the signed token, findings, the public key to verify it |
//! | `POST /api/keygen` | `{alg}` | a new key for `alg` (PEM and JWK, or a base64url secret) |
//! | `POST /api/findings` | `{token, key?, now?}` | token and key findings, most severe first |
//! | `POST /api/crack` | `{token}` | whether an HMAC token's secret is a well-known weak one: the `weak_hmac_secret` finding, never the secret |
//! | `POST /api/oauth/start`, `/api/oauth/status` | see [`oauth`] | "Get a token": OAuth flows run by this server |
//!
//! `key` is `{"type":"secret","value":"…","base64":false}`, `{"type":"key","value":"PEM, JWK
//! or JWK Set"}` or `{"type":"url","value":"https://…","kind":"jwks"|"issuer"}`.
//!
//! Domain failures (an invalid token, a wrong key) are answers, not HTTP errors: they come back
//! with status 200 inside the result. Requests the API cannot read get 400 (415, 413) with
//! `{"error":{"kind":"bad_request","message"}}`.

mod command;
mod decode;
mod encode;
mod jwe;
mod keys;
pub mod oauth;
mod sd_jwt;
mod verify;

use std::sync::Arc;

use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Value, json};

use crate::State;

pub(crate) use keys::KeyInput;

/// Routes under `/api`.
pub(crate) fn routes(state: Arc<State>) -> Router {
    Router::new()
        .route("/info", get(info))
        .route("/decode", post(decode::handler))
        .route("/verify", post(verify::handler))
        .route("/encode", post(encode::encode))
        .route("/keygen", post(encode::keygen))
        .route("/findings", post(decode::findings))
        .route("/crack", post(decode::crack))
        .with_state(state)
        .merge(oauth::routes())
}

/// `Json<T>` whose rejection is a JSON error body.
pub(crate) struct Body<T>(pub(crate) T);

impl<S, T> FromRequest<S> for Body<T>
where
    Json<T>: FromRequest<S, Rejection = axum::extract::rejection::JsonRejection>,
    S: Send + Sync,
{
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(v)) => Ok(Body(v)),
            Err(rejection) => {
                let status = rejection.status();
                let body = json!({"error": {"kind": "bad_request", "message": rejection.body_text()}});
                Err((status, Json(body)).into_response())
            }
        }
    }
}

/// A 200 JSON answer.
pub(crate) fn ok(v: Value) -> Response {
    (StatusCode::OK, Json(v)).into_response()
}

/// Now, seconds since the epoch: the system clock, or `text` parsed by
/// [`jwtkit::jwt::NumericDate::parse`] (`1700000000`, `2026-11-29T18:00:00Z`, `+1h`).
pub(crate) fn now_from(text: Option<&str>) -> jwtkit::Result<i64> {
    use jwtkit::jwt::NumericDate;
    let system = NumericDate::now();
    match text.map(str::trim).filter(|t| !t.is_empty()) {
        Some(t) => NumericDate::parse(t, system),
        None => Ok(system),
    }
}

/// A leeway in seconds from text (`60`, `60s`, `2m`); default 60 s.
pub(crate) fn leeway_from(text: Option<&str>) -> jwtkit::Result<std::time::Duration> {
    match text.map(str::trim).filter(|t| !t.is_empty()) {
        Some(t) => jwtkit::jwt::NumericDate::parse_duration(t),
        None => Ok(std::time::Duration::from_secs(60)),
    }
}

/// Findings as JSON, most severe first.
pub(crate) fn findings_json(mut f: Vec<jwtkit::diagnose::Finding>) -> Value {
    f.sort_by_key(|x| std::cmp::Reverse(x.severity));
    Value::Array(f.iter().map(jwtkit::diagnose::Finding::to_json).collect())
}

async fn info() -> Response {
    ok(json!({
        "name": "jwtkit ui",
        "version": env!("CARGO_PKG_VERSION"),
        "remote": keys::REMOTE,
        "now": now_from(None).unwrap_or(0),
        "algorithms": jwtkit::JwsAlg::ALL.iter().map(|a| a.as_str()).collect::<Vec<_>>(),
    }))
}
