//! `POST /api/decode` and `POST /api/findings`: what a token says, without trusting it.
//!
//! The token is found in the pasted text by [`jwtkit::diagnose::Extracted::from_paste`] (its notes say what was
//! stripped), decoded by [`jwtkit::dangerous::Unverified::decode`] (every strictness problem
//! listed, the offending segment named by [`jwtkit::Detail::Segment`]), its times checked by
//! [`jwtkit::Validation::validate`] with the audience ignored, and linted by
//! [`jwtkit::diagnose::Finding::for_token`].

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use std::sync::Arc;

use axum::extract::State as AxState;
use axum::response::Response;
use serde::Deserialize;
use serde_json::{Value, json};

use jwtkit::dangerous::{Form, Payload, Unverified};
use jwtkit::jws::Header;
use jwtkit::jwt::NumericDate;
use jwtkit::sd_jwt::SdJwt;
use jwtkit::{AlgorithmSet, Claims, Detail, JwsAlg, Validation};
use serde_json::Map;

use super::{Body, KeyInput, findings_json, leeway_from, now_from, ok};
use crate::State;

#[derive(Debug, Deserialize)]
pub(crate) struct DecodeRequest {
    token: String,
    #[serde(default)]
    now: Option<String>,
    #[serde(default)]
    leeway: Option<String>,
}

const JWS_NAMES: [&str; 3] = ["header", "payload", "signature"];
const JWE_NAMES: [&str; 5] = ["header", "encrypted_key", "iv", "ciphertext", "tag"];

fn form_name(f: Form) -> &'static str {
    match f {
        Form::JwsCompact => "jws_compact",
        Form::JweCompact => "jwe_compact",
        Form::Json => "json",
        Form::Unknown => "unknown",
    }
}

fn segment_index(e: &jwtkit::Error) -> Option<usize> {
    match e.detail() {
        Some(Detail::Segment { index, .. }) => Some(*index),
        _ => None,
    }
}

fn pretty(obj: &Map<String, Value>) -> String {
    serde_json::to_string_pretty(obj).unwrap_or_default()
}

fn segments(u: &Unverified) -> Vec<Value> {
    let names: &[&str] = if u.form == Form::JweCompact {
        &JWE_NAMES
    } else {
        &JWS_NAMES
    };
    u.segments
        .iter()
        .enumerate()
        .take(16)
        .map(|(i, text)| {
            let errors: Vec<Value> = u
                .errors
                .iter()
                .filter(|e| segment_index(e) == Some(i))
                .map(jwtkit::Error::to_json)
                .collect();
            json!({
                "index": i,
                "name": names.get(i).copied().unwrap_or("extra"),
                "length": text.len(),
                "ok": errors.is_empty() && names.get(i).is_some(),
                "errors": errors,
            })
        })
        .collect()
}

fn payload_json(u: &Unverified) -> Value {
    match &u.payload {
        Payload::Claims(c) => json!({"type": "claims", "json": pretty(c)}),
        Payload::Bytes(b) => match std::str::from_utf8(b) {
            Ok(text) => json!({"type": "bytes", "length": b.len(), "text": text}),
            Err(_) => json!({"type": "bytes", "length": b.len(), "base64url": URL_SAFE_NO_PAD.encode(b)}),
        },
        Payload::Encrypted => json!({"type": "encrypted"}),
        Payload::Missing => json!({"type": "missing"}),
    }
}

/// The time claims shown with dates, and the verdict of [`Validation::validate`] on them. No
/// header check is configured, so a header that cannot be read (its error is listed apart) is
/// replaced by a minimal one: the verdict stays about the time claims.
fn times(
    header: Option<&Map<String, Value>>,
    claims: &Map<String, Value>,
    now: i64,
    leeway: std::time::Duration,
) -> (Value, Value) {
    let verdict = Validation::builder(AlgorithmSet::<JwsAlg>::all())
        .ignore_audience(true)
        .leeway(leeway)
        .now(now)
        .build()
        .and_then(|v| {
            let minimal = || {
                let mut o = Map::new();
                o.insert("alg".into(), Value::from("HS256"));
                Header::from_object(o)
            };
            let h = header
                .and_then(|h| Header::from_object(h.clone()).ok())
                .map_or_else(minimal, Ok)?;
            v.validate(&h, &Claims::new(claims.clone()))
        });
    let failed_claim = match &verdict {
        Err(e) => match e.detail() {
            Some(Detail::Time { claim, .. }) => Some(claim.to_string()),
            Some(Detail::Mismatch { claim, .. }) => Some(claim.clone()),
            _ => None,
        },
        Ok(()) => None,
    };
    let mut list = Vec::new();
    for name in ["iat", "nbf", "exp", "auth_time"] {
        let Some(v) = claims.get(name) else { continue };
        let status = match (&verdict, failed_claim.as_deref() == Some(name)) {
            (Err(e), true) => e.kind().as_str(),
            _ => "ok",
        };
        match v.as_f64().filter(|f| f.is_finite()) {
            Some(t) => list.push(json!({
                "claim": name,
                "value": v,
                "utc": NumericDate(t).to_string(),
                "relative": NumericDate(t).relative_to(now),
                "past": t <= now as f64,
                "status": status,
            })),
            None => list.push(json!({
                "claim": name,
                "value": v,
                "status": "malformed",
                "message": format!("{name} must be a NumericDate (a number of seconds), found {}", jwtkit::json::type_name(v)),
            })),
        }
    }
    let status = match verdict {
        Ok(()) => json!({"kind": "valid", "message": "the time claims are valid now"}),
        Err(e) => e.to_json(),
    };
    (Value::Array(list), status)
}

/// The decoded view of a token, for the page.
/// An SD-JWT (RFC 9901) is decoded as its Issuer-signed JWT, with the Disclosures applied to
/// the payload shown and listed in `sd_jwt`.
pub(crate) fn decode_view(text: &str, now: i64, leeway: std::time::Duration, st: &State) -> Value {
    let extracted = jwtkit::diagnose::Extracted::from_paste(text);
    let sd = SdJwt::looks_like(&extracted.token).then(|| SdJwt::parse(&extracted.token, &st.limits));
    let issuer_jwt = match &sd {
        Some(Ok(sd)) => sd.issuer_jwt.as_str(),
        _ => extracted.token.as_str(),
    };
    let mut u = Unverified::decode(issuer_jwt, &st.limits);
    let kind = jwtkit::jwt::Classification::of_unverified(&u);
    let sd_view = match &sd {
        Some(Ok(sd)) => {
            let (claims, view) = super::sd_jwt::decode_view(sd, &u, &st.limits);
            if let Some(c) = claims {
                u.payload = Payload::Claims(c);
            }
            view
        }
        Some(Err(e)) => json!({"disclosures": [], "error": e.to_json()}),
        None => Value::Null,
    };
    let (times, status) = match u.claims() {
        Some(c) => times(u.header.as_ref(), c, now, leeway),
        None => (json!([]), Value::Null),
    };
    let findings = match &u.header {
        Some(h) => jwtkit::diagnose::Finding::for_token(h, u.claims(), now),
        None => Vec::new(),
    };
    let errors: Vec<Value> = u.errors.iter().map(jwtkit::Error::to_json).collect();
    json!({
        "token": extracted.token,
        "input_notes": extracted.notes,
        "form": if sd.is_some() { "sd_jwt" } else { form_name(u.form) },
        "token_type": kind.as_ref().map(jwtkit::jwt::Classification::to_json),
        "sd_jwt": sd_view,
        "segments": segments(&u),
        "header": u.header,
        "header_json": u.header.as_ref().map(pretty),
        "alg": u.alg(),
        "payload": payload_json(&u),
        "signature": u.signature.as_ref().map(|s| json!({"length": s.len()})),
        "errors": errors,
        "error": errors.first(),
        "notes": u.notes,
        "times": times,
        "status": status,
        "now": now,
        "now_utc": NumericDate(now as f64).to_string(),
        "leeway": leeway.as_secs(),
        "findings": findings_json(findings),
    })
}

pub(crate) async fn handler(AxState(st): AxState<Arc<State>>, Body(req): Body<DecodeRequest>) -> Response {
    let now = match now_from(req.now.as_deref()) {
        Ok(n) => n,
        Err(e) => return ok(json!({"input_error": {"field": "now", "error": e.to_json()}})),
    };
    let leeway = match leeway_from(req.leeway.as_deref()) {
        Ok(l) => l,
        Err(e) => return ok(json!({"input_error": {"field": "leeway", "error": e.to_json()}})),
    };
    ok(decode_view(&req.token, now, leeway, &st))
}

#[derive(Debug, Deserialize)]
pub(crate) struct FindingsRequest {
    token: String,
    #[serde(default)]
    key: Option<KeyInput>,
    #[serde(default)]
    now: Option<String>,
}

pub(crate) async fn findings(AxState(st): AxState<Arc<State>>, Body(req): Body<FindingsRequest>) -> Response {
    let now = match now_from(req.now.as_deref()) {
        Ok(n) => n,
        Err(e) => return ok(json!({"input_error": {"field": "now", "error": e.to_json()}})),
    };
    let extracted = jwtkit::diagnose::Extracted::from_paste(&req.token);
    let u = Unverified::decode(issuer_jwt(&extracted.token), &st.limits);
    let mut all = match &u.header {
        Some(h) => jwtkit::diagnose::Finding::for_token(h, u.claims(), now),
        None => Vec::new(),
    };
    let alg = u.alg().and_then(|a| a.parse::<JwsAlg>().ok());
    let mut key_error = Value::Null;
    let loaded = match &req.key {
        Some(k) => {
            let kid = u
                .header
                .as_ref()
                .and_then(|h| h.get("kid"))
                .and_then(|k| k.as_str());
            Some(k.load(&st, kid).await)
        }
        None => None,
    };
    match loaded {
        Some(Ok(loaded)) => {
            for k in loaded.set.keys().iter().take(16) {
                for f in jwtkit::diagnose::Finding::for_key(k, alg) {
                    if !all.iter().any(|g| g.id == f.id && g.message == f.message) {
                        all.push(f);
                    }
                }
            }
        }
        Some(Err(e)) => key_error = e.to_json(),
        None => {}
    }
    ok(json!({"findings": findings_json(all), "key_error": key_error}))
}

/// The JWT to read the header and claims of: an SD-JWT's Issuer-signed JWT (the part before
/// the first `~`), else the token itself.
pub(crate) fn issuer_jwt(token: &str) -> &str {
    match token.split_once('~') {
        Some((jwt, _)) if SdJwt::looks_like(token) => jwt,
        _ => token,
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct CrackRequest {
    token: String,
}

/// `POST /api/crack`: whether the token's HMAC secret is one of the well-known weak secrets
/// ([`jwtkit::diagnose::Finding::cracked_secret`]). The answer is the finding only: the page never shows a
/// secret it did not get from the user, even one from a public list.
pub(crate) async fn crack(AxState(st): AxState<Arc<State>>, Body(req): Body<CrackRequest>) -> Response {
    let extracted = jwtkit::diagnose::Extracted::from_paste(&req.token);
    let token = issuer_jwt(&extracted.token);
    let hmac = Unverified::decode(token, &st.limits)
        .alg()
        .and_then(|a| a.parse::<JwsAlg>().ok())
        .is_some_and(|a| a.is_hmac());
    let finding = jwtkit::diagnose::Finding::cracked_secret(token, &st.limits);
    ok(json!({
        "hmac": hmac,
        "cracked": finding.is_some(),
        "finding": finding.as_ref().map(jwtkit::diagnose::Finding::to_json),
        "message": match (&finding, hmac) {
            (Some(_), _) => "cracked: the secret is in the list of well-known weak secrets; anyone can forge tokens with it",
            (None, true) => "not cracked: the secret is none of the well-known weak secrets (a strong secret cannot be told apart from one this list does not hold)",
            (None, false) => "only an HMAC-signed token (HS256/384/512) has a secret to crack",
        },
    }))
}
