//! `jwtkit gateway explain --config FILE --route PATH TOKEN`: what the gateway would do with a
//! token on a path, and every check on the way.
//!
//! It builds the same [`crate::Shared`] state as a live gateway and runs
//! [`crate::pipeline::decide`] with tracing on — the code path of live traffic — then lists
//! the core's fixed validation order ([`jwtkit::Check::JWS_ORDER`]) with each check passed,
//! failed (the step the core's error names, [`jwtkit::Error::check`]) or not reached — for an
//! encrypted token (JWE) first the decryption checks ([`jwtkit::Check::JWE_ORDER`]), then the
//! nested JWT — and, when a signature fails, the local diagnosis
//! ([`jwtkit::diagnose`]; never sent to clients by the live gateway). Explain does not take
//! rate-limit tokens; it reads revocations when the store can be opened (an embedded store
//! held by a running gateway cannot, and the step says so).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use jwtkit::{Check, ErrorKind};
use serde_json::{Value, json};

use crate::Shared;
use crate::config::{Config, StoreKind};
use crate::pipeline::{Ctx, Flow, Outcome, Step};
use crate::provider::TokenSource;
use crate::response;
use crate::route::Auth;
use crate::store::Store;

/// The rows of a verification: the core's order ([`Check::JWS_ORDER`]); the claims-set
/// parse (step 9) is shown only when it is the step that failed.
fn verify_rows(failed: Option<Check>) -> Vec<Check> {
    Check::JWS_ORDER
        .into_iter()
        .filter(|c| *c != Check::ClaimsSet || failed == Some(Check::ClaimsSet))
        .collect()
}

/// The row where an error failed; a check outside `rows` (the caller's configuration, a key
/// the operator gave) is shown at the closest row: key selection for keys, else structure.
fn failed_row(rows: &[Check], e: &jwtkit::Error) -> usize {
    let check = match e.check() {
        Check::KeyInput => Check::Key,
        c => c,
    };
    rows.iter().position(|c| *c == check).unwrap_or(1)
}

/// Expand one recorded step into the rows of a core order: passed up to the failed one,
/// failed there, skipped after.
fn expand(
    phase: &'static str,
    rows: &[Check],
    failed: Option<&jwtkit::Error>,
    pass_detail: String,
) -> Vec<Step> {
    let fail_at = failed.map(|e| failed_row(rows, e));
    let last = rows.len().saturating_sub(1);
    rows.iter()
        .enumerate()
        .map(|(i, check)| {
            let (outcome, detail) = match (fail_at, failed) {
                (Some(f), Some(e)) if i == f => (Outcome::Fail, e.to_string()),
                (Some(f), _) if i > f => (Outcome::Skip, "not reached".into()),
                (None, _) if i == last => (Outcome::Pass, pass_detail.clone()),
                _ => (Outcome::Pass, String::new()),
            };
            Step {
                phase,
                check: check.name().to_string(),
                outcome,
                detail,
            }
        })
        .collect()
}

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
    let mut parts = simulated_request(path, token, host, &source)?;
    let realm = state.config.server.realm.clone();
    let mut ctx = Ctx::new(state, SocketAddr::from(([127, 0, 0, 1], 0)));
    ctx.trace = Some(Vec::new());
    let flow = crate::pipeline::decide(shared, &mut ctx, &mut parts).await;
    let mut steps = ctx.trace.take().unwrap_or_default();
    let hints = expand_core_steps(&mut steps, &ctx, token);
    let upstream = ctx.route.as_ref().map(|r| {
        format!(
            "{}://{}{}",
            r.upstream.scheme, r.upstream.authority, r.upstream.base_path
        )
    });
    let (accepted, status, www, error) = answer(&flow, &ctx, &parts, &realm);
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

/// The request live traffic would be: `host` (none: an HTTP/1.0 request, which may omit it;
/// only routes without `host` match) and the token where the route's first source reads it.
fn simulated_request(
    path: &str,
    token: &str,
    host: Option<&str>,
    source: &TokenSource,
) -> anyhow::Result<http::request::Parts> {
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
            TokenSource::WebSocketProtocol => {
                b = b.header(http::header::UPGRADE, "websocket").header(
                    http::header::SEC_WEBSOCKET_PROTOCOL,
                    format!(
                        "{}{}, v1",
                        crate::provider::WEBSOCKET_BEARER_PREFIX,
                        URL_SAFE_NO_PAD.encode(token)
                    ),
                )
            }
        }
    }
    Ok(b.uri(uri).body(())?.into_parts().0)
}

/// Expand the pipeline's single decrypt and verify rows into the core's order of checks
/// ([`Check::JWE_ORDER`], [`verify_rows`]); for a signature or key failure, the core's
/// diagnosis hints (`(id, message)`).
fn expand_core_steps(steps: &mut Vec<Step>, ctx: &Ctx, token: &str) -> Vec<(String, String)> {
    let mut hints = Vec::new();
    // Expand the decryption of a JWE into the core's order of checks.
    if let Some(pos) = steps
        .iter()
        .position(|s| s.phase == "authenticate" && s.check == "decrypt")
    {
        let failed = (steps[pos].outcome == Outcome::Fail)
            .then_some(ctx.error.as_ref())
            .flatten();
        let pass_detail = std::mem::take(&mut steps[pos].detail);
        let rows = expand("decrypt", &Check::JWE_ORDER, failed, pass_detail);
        steps.splice(pos..=pos, rows);
    }
    // Expand the single core call into the core's order of checks.
    if let Some(pos) = steps
        .iter()
        .position(|s| s.phase == "authenticate" && s.check == "verify")
    {
        let failed = ctx
            .error
            .as_ref()
            .filter(|e| e.kind() != ErrorKind::Revoked && steps[pos].outcome == Outcome::Fail);
        if failed.is_some() || steps[pos].outcome == Outcome::Pass {
            let rows = verify_rows(failed.map(jwtkit::Error::check));
            steps.splice(pos..pos, expand("verify", &rows, failed, String::new()));
        }
        if let (Some(e), Some(p)) = (failed, ctx.provider.as_ref().or_else(|| route_provider(ctx)))
            && matches!(
                e.kind(),
                ErrorKind::BadSignature | ErrorKind::KeyNotFound | ErrorKind::KeyMismatch
            )
            && let Some(keys) = p.keys.current()
        {
            // For a JWE, the signature that failed is the nested JWT's.
            let signed = ctx.nested.as_deref().unwrap_or(token);
            let d = jwtkit::diagnose::Diagnosis::explain(signed, &keys, &p.validation, &[]);
            hints = d
                .hints
                .into_iter()
                .map(|h| (h.id.to_string(), h.message))
                .collect();
        }
    }
    hints
}

/// Accepted, or the status, `WWW-Authenticate` and body `(error, error_description)` of the
/// answer, with the route's RFC 9728 metadata URL in the challenge as live traffic has it.
#[allow(clippy::type_complexity)]
fn answer(
    flow: &Flow,
    ctx: &Ctx,
    parts: &http::request::Parts,
    realm: &str,
) -> (bool, Option<u16>, Option<String>, Option<(String, String)>) {
    match flow {
        Flow::Continue => (true, None, None, None),
        Flow::Respond(r) => {
            // The challenge names the route's RFC 9728 metadata as live traffic's does.
            let metadata = ctx.route.as_ref().and_then(|route| {
                crate::resource_metadata::challenge_url(
                    route,
                    "http",
                    crate::resource_metadata::request_host(parts),
                )
            });
            let p = response::parts_for(r, realm, metadata.as_deref());
            (
                false,
                Some(p.status.as_u16()),
                p.www_authenticate,
                Some((p.error.to_string(), p.description)),
            )
        }
    }
}

fn route_provider(ctx: &Ctx) -> Option<&Arc<crate::provider::Provider>> {
    match &ctx.route.as_ref()?.auth {
        Auth::Jwt { providers, .. } => providers.first(),
        Auth::None => None,
    }
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
