//! `POST /api/verify`: one core call ([`jwtkit::jwt::verify_local`] with the page's
//! [`Validation`]) whose outcome says whether the signature verified and whether the claims
//! passed, and when the signature fails the library's diagnosis ([`jwtkit::diagnose::Diagnosis::explain`]).
//! An SD-JWT goes through the same call, with a validation that expects one: its Disclosures
//! and Key Binding JWT are stages of the same outcome.
//!
//! The algorithm allowlist is the page's explicit choice, or else the key's own algorithms
//! ([`jwtkit::JwkSet::algorithms`]): never the token's `alg`. Without an expected audience, `aud`
//! is not checked (an inspection tool), and the answer says so.

use std::sync::Arc;

use axum::extract::State as AxState;
use axum::response::Response;
use serde::Deserialize;
use serde_json::{Value, json};

use jwtkit::jwt::{Outcome, ValidationBuilder};
use jwtkit::sd_jwt::{KeyBinding, SdJwt};
use jwtkit::{AlgorithmSet, Error, ErrorKind, JwsAlg, Validation};

use super::keys::{Loaded, UrlKind, summary};
use super::{Body, KeyInput, findings_json, leeway_from, now_from, ok};
use crate::State;

/// Audiences as one string (comma or whitespace separated) or a list.
#[derive(Clone, Debug, Deserialize)]
#[serde(untagged)]
pub(crate) enum List {
    One(String),
    Many(Vec<String>),
}

impl List {
    pub(crate) fn items(&self) -> Vec<String> {
        let split = |s: &str| -> Vec<String> {
            s.split([',', ' ', '\n', '\t'])
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect()
        };
        match self {
            List::One(s) => split(s),
            List::Many(v) => v.iter().flat_map(|s| split(s)).collect(),
        }
    }
}

#[derive(Clone, Debug, Deserialize)]
pub(crate) struct VerifyRequest {
    pub(crate) token: String,
    pub(crate) key: KeyInput,
    #[serde(default)]
    pub(crate) algorithms: Option<List>,
    #[serde(default)]
    pub(crate) issuer: Option<String>,
    #[serde(default)]
    pub(crate) audience: Option<List>,
    #[serde(default)]
    pub(crate) subject: Option<String>,
    #[serde(default)]
    pub(crate) typ: Option<String>,
    #[serde(default)]
    pub(crate) leeway: Option<String>,
    #[serde(default)]
    pub(crate) now: Option<String>,
    /// JWE: the key that decrypts, when it is not `key` (which then verifies the nested JWT).
    #[serde(default)]
    pub(crate) decryption_key: Option<KeyInput>,
    /// JWE: allowed content encryption algorithms (default all).
    #[serde(default)]
    pub(crate) encryptions: Option<List>,
    /// Strict (`verify --strict`): the pasted text must be exactly a token, byte for byte; any
    /// repair the paste helper would make is `malformed`, naming the byte offset. Default off.
    #[serde(default)]
    pub(crate) strict: bool,
    /// SD-JWT: the Key Binding JWT's expected `aud` (with `kb_nonce`: a Key Binding JWT is
    /// then required, RFC 9901 §7.3).
    #[serde(default)]
    pub(crate) kb_audience: Option<String>,
    /// SD-JWT: the Key Binding JWT's expected `nonce`.
    #[serde(default)]
    pub(crate) kb_nonce: Option<String>,
}

fn non_empty(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

fn input_error(field: &str, e: &Error) -> Response {
    ok(json!({"valid": false, "input_error": {"field": field, "error": e.to_json()}}))
}

/// The allowlist: the page's explicit list, else the union of the keys' algorithms.
fn allowlist(req: &VerifyRequest, loaded: &Loaded) -> jwtkit::Result<(AlgorithmSet<JwsAlg>, &'static str)> {
    let explicit = req.algorithms.as_ref().map(List::items).unwrap_or_default();
    if !explicit.is_empty() {
        let mut set = AlgorithmSet::<JwsAlg>::empty();
        for a in &explicit {
            set = set.with(a.parse::<JwsAlg>()?);
        }
        return Ok((set, "caller"));
    }
    Ok((loaded.set.algorithms(), "key"))
}

pub(crate) fn validation(
    req: &VerifyRequest,
    algs: AlgorithmSet<JwsAlg>,
    st: &State,
) -> Result<Validation, (&'static str, Error)> {
    builder(req, algs, st)?.build().map_err(|e| ("algorithms", e))
}

/// The page's checks as a [`ValidationBuilder`], for [`validation`] or an SD-JWT's.
fn builder(
    req: &VerifyRequest,
    algs: AlgorithmSet<JwsAlg>,
    st: &State,
) -> Result<ValidationBuilder, (&'static str, Error)> {
    let leeway = leeway_from(req.leeway.as_deref()).map_err(|e| ("leeway", e))?;
    let now = now_from(req.now.as_deref()).map_err(|e| ("now", e))?;
    let mut b = Validation::builder(algs)
        .leeway(leeway)
        .now(now)
        .limits(st.limits);
    if let Some(iss) = non_empty(&req.issuer) {
        b = b.issuer(iss);
    } else if let KeyInput::Url {
        value,
        kind: UrlKind::Issuer,
    } = &req.key
    {
        // Keys found through an issuer's discovery document verify that issuer's tokens only.
        b = b.issuer(value.trim());
    }
    let auds = req.audience.as_ref().map(List::items).unwrap_or_default();
    if auds.is_empty() {
        b = b.ignore_audience(true);
    }
    for a in auds {
        b = b.audience(a);
    }
    if let Some(sub) = non_empty(&req.subject) {
        b = b.subject(sub);
    }
    if let Some(typ) = non_empty(&req.typ) {
        b = b.typ(typ);
    }
    Ok(b)
}

/// The Key Binding JWT an SD-JWT must carry: required for `kb_audience` and `kb_nonce`, else
/// checked when present.
fn key_binding(req: &VerifyRequest) -> KeyBinding {
    match (non_empty(&req.kb_audience), non_empty(&req.kb_nonce)) {
        (Some(aud), Some(nonce)) => KeyBinding::required(aud, nonce),
        _ => KeyBinding::optional(),
    }
}

pub(crate) async fn handler(AxState(st): AxState<Arc<State>>, Body(req): Body<VerifyRequest>) -> Response {
    let extracted = jwtkit::diagnose::Extracted::from_paste(&req.token);
    // Strict: the core's rule, checked before anything else looks at the token.
    let not_exact = req.strict.then(|| extracted.require_exact().err()).flatten();
    let token = extracted.token.as_str();
    // An SD-JWT's key is found by its Issuer-signed JWT's header.
    let unverified = jwtkit::dangerous::Unverified::decode(super::decode::issuer_jwt(token), &st.limits);
    if not_exact.is_none() && matches!(unverified.payload, jwtkit::dangerous::Payload::Encrypted) {
        return super::jwe::verify(&st, &req, token, &extracted.notes).await;
    }
    let is_sd_jwt = SdJwt::looks_like(token);
    let kid = unverified
        .header
        .as_ref()
        .and_then(|h| h.get("kid"))
        .and_then(|k| k.as_str());
    let loaded = match req.key.load(&st, kid).await {
        Ok(l) => l,
        Err(e) => return input_error("key", &e),
    };
    let (algs, algs_from) = match allowlist(&req, &loaded) {
        Ok(a) => a,
        Err(e) => return input_error("algorithms", &e),
    };
    let built = builder(&req, algs, &st).and_then(|b| {
        let b = if is_sd_jwt { b.sd_jwt(key_binding(&req)) } else { b };
        b.build().map_err(|e| ("algorithms", e))
    });
    let validation = match built {
        Ok(v) => v,
        Err((field, e)) => return input_error(field, &e),
    };
    let keys = &loaded.set;
    let token_alg = unverified.alg().and_then(|a| a.parse::<JwsAlg>().ok());

    // One core call: signature, then claims, in the core's order; the outcome keeps them apart.
    // The page reads any JWS pasted into it; strict keeps a JWT compact (RFC 7519 §7.2).
    let input = if req.strict {
        jwtkit::jwt::Input::new(token)
    } else {
        jwtkit::jwt::Input::new(token).json_serialization()
    };
    let outcome = jwtkit::jwt::verify_local(input, keys, &validation);
    let (signature, claims, diagnosis) = match &not_exact {
        Some(e) => {
            let signature = json!({"verified": false, "result": "not_verified", "error": e.to_json()});
            (signature, Value::Null, Value::Null)
        }
        None => stages(&outcome, &validation, token, &loaded),
    };
    let verified = signature.get("verified") == Some(&Value::Bool(true));
    let valid = verified && claims.get("valid") == Some(&Value::Bool(true));
    let mut findings = Vec::new();
    for k in keys.keys().iter().take(16) {
        findings.extend(jwtkit::diagnose::Finding::for_key(k, token_alg));
    }
    let found = match (&outcome.header, &outcome.claims) {
        (Some(h), Some(c)) if outcome.signature_verified() => Some(jwtkit::jwt::Classification::of(h, c)),
        _ => jwtkit::jwt::Classification::of_unverified(&unverified),
    };
    let token_type = found.map(|f| f.to_json_against(non_empty(&req.typ)));
    let sd_jwt = is_sd_jwt.then(|| super::sd_jwt::verify_view(&outcome));
    let command = super::command::verify(token, &req, &loaded, algs_from == "caller");
    ok(json!({
        "token": token,
        "input_notes": extracted.notes,
        "repaired": extracted.repairs.iter().map(jwtkit::diagnose::Repair::to_json).collect::<Vec<_>>(),
        "repaired_summary": extracted.repair_summary(),
        "key": summary(&loaded),
        "algorithms": algs.iter().map(|a| a.as_str()).collect::<Vec<_>>(),
        "algorithms_from": algs_from,
        "now": validation.now(),
        "signature": signature,
        "claims": claims,
        "valid": valid,
        "token_type": token_type,
        "sd_jwt": sd_jwt,
        "diagnosis": diagnosis,
        "findings": findings_json(findings),
        "command": command.join(" "),
        "command_multiline": command.join(" \\\n  "),
    }))
}

/// The signature stage and the claims stage of the outcome, as the page shows them; when the
/// signature did not verify, the library's diagnosis of why.
fn stages(
    outcome: &Outcome<'_>,
    validation: &Validation,
    token: &str,
    loaded: &Loaded,
) -> (Value, Value, Value) {
    match (&outcome.error, outcome.alg) {
        (error, Some(alg)) if outcome.signature_verified() => {
            let key = outcome.key().map(jwtkit::Key::label);
            let signature = json!({"verified": true, "alg": alg, "key": key});
            let mut notes = Vec::new();
            if validation.audiences().is_empty() {
                notes.push("aud not checked: no expected audience given");
            }
            let claims = json!({
                "valid": error.is_none(),
                "error": error.as_ref().map(Error::to_json),
                "failed_at": error.as_ref().map(|e| e.check().name()),
                "notes": notes,
            });
            (signature, claims, Value::Null)
        }
        (error, _) => {
            let e = error.clone().unwrap_or_else(Error::bad_signature);
            let d = jwtkit::diagnose::Diagnosis::explain(
                super::decode::issuer_jwt(token),
                &loaded.set,
                validation,
                loaded.secret.as_slice(),
            );
            let headline = match e.kind() {
                ErrorKind::BadSignature => "invalid_signature",
                _ => "not_verified",
            };
            let signature = json!({"verified": false, "result": headline, "error": e.to_json()});
            (signature, Value::Null, d.to_json())
        }
    }
}
