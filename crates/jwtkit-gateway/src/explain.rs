//! `jwtkit gateway explain --config FILE --route PATH TOKEN`: what the gateway would do with a
//! token on a path, and every check on the way.
//!
//! It builds the same [`crate::Shared`] state as a live gateway and runs
//! [`crate::pipeline::decide`] with tracing on — the code path of live traffic — then lists
//! the core's fixed validation order ([`jwtkit::manual::validation_order`]) with each check
//! passed, failed or not reached — for an encrypted token (JWE) first the decryption checks
//! (`jwtkit::manual::jwe_decryption_order`), then the nested JWT — and, when a signature fails, the local diagnosis
//! ([`jwtkit::diagnose`]; never sent to clients by the live gateway). Explain does not take
//! rate-limit tokens; it reads revocations when the store can be opened (an embedded store
//! held by a running gateway cannot, and the step says so).

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use jwtkit::{Detail, ErrorKind};
use serde_json::{Value, json};

use crate::Shared;
use crate::config::{Config, StoreKind};
use crate::pipeline::{Ctx, Flow, Outcome, Step};
use crate::provider::TokenSource;
use crate::response;
use crate::route::Auth;
use crate::store::Store;

/// The verification checks in the core's order, each with the kinds that fail there.
const VERIFY_ORDER: &[(&str, &[ErrorKind])] = &[
    ("size", &[ErrorKind::ResourceLimit]),
    ("structure (3 segments)", &[ErrorKind::Malformed]),
    ("base64url", &[ErrorKind::BadBase64]),
    ("JSON header", &[ErrorKind::BadJson, ErrorKind::DuplicateMember]),
    ("crit", &[ErrorKind::UnsupportedCrit]),
    (
        "algorithm allowlist",
        &[
            ErrorKind::AlgNone,
            ErrorKind::AlgNotAllowed,
            ErrorKind::UnsupportedAlg,
        ],
    ),
    (
        "key selection",
        &[
            ErrorKind::KeyNotFound,
            ErrorKind::KeyMismatch,
            ErrorKind::KeyFetchFailed,
            ErrorKind::BadKey,
        ],
    ),
    ("signature", &[ErrorKind::BadSignature]),
    ("claim types", &[]),
    ("required claims", &[ErrorKind::MissingClaim]),
    ("exp", &[ErrorKind::Expired]),
    ("nbf", &[ErrorKind::NotYetValid]),
    ("iat", &[ErrorKind::IssuedInFuture]),
    ("max age", &[ErrorKind::TooOld]),
    ("iss", &[ErrorKind::BadIssuer]),
    ("aud", &[ErrorKind::BadAudience]),
    ("sub", &[ErrorKind::BadSubject]),
    ("typ", &[ErrorKind::BadType]),
];

/// The decryption checks of an encrypted token (`jwtkit::manual::jwe_decryption_order`
/// J1–J11), each with the kinds that fail there; the nested JWT then goes through
/// [`VERIFY_ORDER`].
const DECRYPT_ORDER: &[(&str, &[ErrorKind])] = &[
    ("JWE size", &[ErrorKind::ResourceLimit]),
    ("JWE structure", &[ErrorKind::Malformed]),
    ("JWE base64url", &[ErrorKind::BadBase64]),
    (
        "JWE header",
        &[
            ErrorKind::BadJson,
            ErrorKind::DuplicateMember,
            ErrorKind::UnsupportedCrit,
        ],
    ),
    (
        "alg / enc allowlists",
        &[ErrorKind::UnsupportedAlg, ErrorKind::AlgNotAllowed],
    ),
    (
        "decryption key",
        &[ErrorKind::KeyNotFound, ErrorKind::KeyMismatch],
    ),
    ("decryption", &[ErrorKind::DecryptFailed]),
];

/// What explain found.
pub struct Report {
    /// The path asked about.
    pub path: String,
    /// `forward` or `reject`.
    pub accepted: bool,
    /// HTTP status the client would get from the gateway (None: the upstream answers).
    pub status: Option<u16>,
    /// `WWW-Authenticate` the client would get.
    pub www_authenticate: Option<String>,
    /// Body `error` / `error_description`.
    pub error: Option<(String, String)>,
    /// The upstream it would go to.
    pub upstream: Option<String>,
    /// Every check.
    pub steps: Vec<Step>,
    /// The verification error in full (kind, message, detail).
    pub verify_error: Option<Value>,
    /// Local diagnosis hints (signature failures).
    pub hints: Vec<(String, String)>,
}

/// Run explain.
///
/// # Errors
/// An invalid config.
pub async fn explain(
    config_path: &Path,
    path: &str,
    token: &str,
    host: Option<&str>,
) -> anyhow::Result<Report> {
    let mut config = Config::load(config_path)?;
    // No listener here: the TLS key need not be readable by whoever runs explain.
    config.server.tls = None;
    let store = match config.store.kind {
        StoreKind::Embedded if !config.store.path.as_ref().is_some_and(|p| p.exists()) => None,
        _ => Store::open(&config.store).ok(),
    };
    let shared = Shared::new(config, Some(config_path.to_path_buf()), store)?;
    shared.refresh_keys().await;
    explain_with(&shared, path, token, host).await
}

/// Explain against an existing shared state (tests, embedding).
///
/// # Errors
/// A path that is not a valid request target.
pub async fn explain_with(
    shared: &Shared,
    path: &str,
    token: &str,
    host: Option<&str>,
) -> anyhow::Result<Report> {
    let state = shared.state.load_full();
    let route_path = path.split('?').next().unwrap_or(path);
    let normal = crate::path::normalize(route_path).ok().flatten();
    let route = state
        .routes
        .find(host, normal.as_deref().unwrap_or(route_path))
        .cloned();
    let source = match route.as_ref().map(|r| &r.auth) {
        Some(Auth::Jwt { sources, .. }) => sources.first().cloned().unwrap_or(TokenSource::Bearer),
        _ => TokenSource::Bearer,
    };
    let mut uri = path.to_string();
    let mut b = http::Request::builder();
    match host {
        Some(h) => b = b.header(http::header::HOST, h),
        // No host given: simulate a request without one, which only HTTP/1.0 may send (an
        // HTTP/1.1 request without Host is a 400); only routes without `host` match.
        None => b = b.version(http::Version::HTTP_10),
    }
    if !token.is_empty() {
        match &source {
            TokenSource::Bearer => b = b.header(http::header::AUTHORIZATION, format!("Bearer {token}")),
            TokenSource::Header(n) => b = b.header(n, token),
            TokenSource::Cookie(n) => b = b.header(http::header::COOKIE, format!("{n}={token}")),
            TokenSource::Query(n) => {
                uri = format!("{uri}{}{n}={token}", if uri.contains('?') { '&' } else { '?' })
            }
        }
    }
    let (mut parts, ()) = b.uri(uri).body(())?.into_parts();
    let realm = state.config.server.realm.clone();
    let mut ctx = Ctx::new(state, SocketAddr::from(([127, 0, 0, 1], 0)));
    ctx.trace = Some(Vec::new());
    let flow = crate::pipeline::decide(shared, &mut ctx, &mut parts).await;
    let mut steps = ctx.trace.take().unwrap_or_default();
    let mut hints = Vec::new();
    // Expand the decryption of a JWE into its fixed order of checks.
    if let Some(pos) = steps
        .iter()
        .position(|s| s.phase == "authenticate" && s.check == "decrypt")
    {
        let failed = (steps[pos].outcome == Outcome::Fail)
            .then_some(ctx.error.as_ref())
            .flatten();
        let fail_at = failed.map(failing_decrypt_check);
        let pass_detail = std::mem::take(&mut steps[pos].detail);
        let detail: Vec<Step> = DECRYPT_ORDER
            .iter()
            .enumerate()
            .map(|(i, (name, _))| {
                let (outcome, detail) = match (fail_at, failed) {
                    (Some(f), Some(e)) if i == f => (Outcome::Fail, e.to_string()),
                    (Some(f), _) if i > f => (Outcome::Skip, "not reached".into()),
                    (None, _) if i == DECRYPT_ORDER.len() - 1 => (Outcome::Pass, pass_detail.clone()),
                    _ => (Outcome::Pass, String::new()),
                };
                Step {
                    phase: "decrypt",
                    check: (*name).to_string(),
                    outcome,
                    detail,
                }
            })
            .collect();
        steps.splice(pos..=pos, detail);
    }
    // Expand the single core call into its fixed order of checks.
    if let Some(pos) = steps
        .iter()
        .position(|s| s.phase == "authenticate" && s.check == "verify")
    {
        let failed = ctx
            .error
            .as_ref()
            .filter(|e| e.kind() != ErrorKind::Revoked && steps[pos].outcome == Outcome::Fail);
        if failed.is_some() || steps[pos].outcome == Outcome::Pass {
            let fail_at = failed.map(failing_check);
            let mut detail = Vec::new();
            for (i, (name, _)) in VERIFY_ORDER.iter().enumerate() {
                let outcome = match fail_at {
                    Some(f) if i == f => Outcome::Fail,
                    Some(f) if i > f => Outcome::Skip,
                    _ => Outcome::Pass,
                };
                let d = match (&outcome, failed) {
                    (Outcome::Fail, Some(e)) => e.to_string(),
                    (Outcome::Skip, _) => "not reached".into(),
                    _ => String::new(),
                };
                detail.push(Step {
                    phase: "verify",
                    check: (*name).to_string(),
                    outcome,
                    detail: d,
                });
            }
            steps.splice(pos..pos, detail);
        }
        if let (Some(e), Some(p)) = (failed, ctx.provider.as_ref().or_else(|| route_provider(&ctx)))
            && matches!(
                e.kind(),
                ErrorKind::BadSignature | ErrorKind::KeyNotFound | ErrorKind::KeyMismatch
            )
            && let Some(keys) = p.keys.current()
        {
            // For a JWE, the signature that failed is the nested JWT's.
            let signed = ctx.nested.as_deref().unwrap_or(token);
            let d = jwtkit::diagnose::explain(signed, &keys, &p.validation, &[]);
            hints = d
                .hints
                .into_iter()
                .map(|h| (h.id.to_string(), h.message))
                .collect();
        }
    }
    let upstream = ctx.route.as_ref().map(|r| {
        format!(
            "{}://{}{}",
            r.upstream.scheme, r.upstream.authority, r.upstream.base_path
        )
    });
    let (accepted, status, www, error) = match &flow {
        Flow::Continue => (true, None, None, None),
        Flow::Respond(r) => {
            let p = response::parts(r, &realm);
            (
                false,
                Some(p.status.as_u16()),
                p.www_authenticate,
                Some((p.error.to_string(), p.description)),
            )
        }
    };
    Ok(Report {
        path: path.to_string(),
        accepted,
        status,
        www_authenticate: www,
        error,
        upstream,
        steps,
        verify_error: ctx.error.as_ref().map(|e| e.to_json()),
        hints,
    })
}

fn route_provider(ctx: &Ctx) -> Option<&Arc<crate::provider::Provider>> {
    match &ctx.route.as_ref()?.auth {
        Auth::Jwt { providers, .. } => providers.first(),
        Auth::None => None,
    }
}

fn failing_decrypt_check(e: &jwtkit::Error) -> usize {
    let last = DECRYPT_ORDER.len() - 1;
    match (e.kind(), e.detail()) {
        // Past the size check, a limit is the inflated plaintext (zip) or the JSON depth.
        (ErrorKind::ResourceLimit, Some(Detail::Limit { what, .. })) if *what == "json_depth" => 3,
        (ErrorKind::ResourceLimit, Some(Detail::Limit { what, .. })) if *what != "token_bytes" => last,
        (kind, _) => DECRYPT_ORDER
            .iter()
            .position(|(_, kinds)| kinds.contains(&kind))
            .unwrap_or(1),
    }
}

fn failing_check(e: &jwtkit::Error) -> usize {
    let claim_type = e.kind() == ErrorKind::Malformed
        && (matches!(e.detail(), Some(Detail::Mismatch { .. })) || e.message().starts_with("claim "));
    if claim_type {
        return 8;
    }
    VERIFY_ORDER
        .iter()
        .position(|(_, kinds)| kinds.contains(&e.kind()))
        .unwrap_or(1)
}

impl Report {
    /// The report as JSON.
    pub fn to_json(&self) -> Value {
        json!({
            "path": self.path,
            "decision": if self.accepted { "forward" } else { "reject" },
            "status": self.status,
            "www_authenticate": self.www_authenticate,
            "error": self.error.as_ref().map(|(e, d)| json!({"error": e, "error_description": d})),
            "upstream": self.upstream,
            "checks": self.steps.iter().map(|s| json!({
                "phase": s.phase, "check": s.check,
                "outcome": match s.outcome { Outcome::Pass => "pass", Outcome::Fail => "fail", Outcome::Skip => "skip" },
                "detail": s.detail,
            })).collect::<Vec<_>>(),
            "verify_error": self.verify_error,
            "hints": self.hints.iter().map(|(id, m)| json!({"id": id, "message": m})).collect::<Vec<_>>(),
        })
    }

    /// Human-readable text.
    pub fn render_text(&self) -> String {
        let mut out = String::new();
        match (self.accepted, &self.error) {
            (true, _) => out.push_str(&format!(
                "decision: FORWARD {} → {}\n",
                self.path,
                self.upstream.as_deref().unwrap_or("-")
            )),
            (false, Some((e, d))) => out.push_str(&format!(
                "decision: REJECT {} with {} ({e}: {d})\n",
                self.path,
                self.status.unwrap_or(0)
            )),
            (false, None) => out.push_str("decision: REJECT\n"),
        }
        if let Some(w) = &self.www_authenticate {
            out.push_str(&format!("WWW-Authenticate: {w}\n"));
        }
        out.push_str("checks:\n");
        for s in &self.steps {
            let mark = match s.outcome {
                Outcome::Pass => "pass",
                Outcome::Fail => "FAIL",
                Outcome::Skip => "skip",
            };
            out.push_str(&format!(
                "  [{mark}] {:<12} {:<22} {}\n",
                s.phase, s.check, s.detail
            ));
        }
        for (id, m) in &self.hints {
            out.push_str(&format!("hint ({id}): {m}\n"));
        }
        out
    }
}
