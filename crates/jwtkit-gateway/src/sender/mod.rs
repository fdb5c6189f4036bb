//! Sender-constrained access tokens: the `bind` phase of the pipeline (after authenticate,
//! before authorize), run on every request, cached token or not.
//!
//! - Certificate-bound tokens ([RFC 8705] §3): a token whose `cnf` has `x5t#S256` is accepted
//!   only with that client certificate ([`mtls`]); `require_certificate_binding` refuses tokens
//!   without one.
//! - DPoP ([RFC 9449]): `Authorization: DPoP <token>` with one `DPoP` proof header, checked by
//!   the core ([`jwtkit::jwt::verify_with`] with [`jwtkit::jwt::ValidationBuilder::dpop_proof`]) against the request's method and URL
//!   ([`dpop::request_url`]), the server nonce when required, the token's `cnf.jkt`
//!   ([`jwtkit::dpop::VerifiedProof::check_binding`]), then the proof's `jti` remembered in the store (shared by
//!   every instance with Redis) with the revocation failure policy. A token with `cnf.jkt` sent
//!   as `Bearer` is refused (§7.1), and `require_dpop` refuses every token without a proof.
//!
//! [RFC 8705]: https://www.rfc-editor.org/rfc/rfc8705
//! [RFC 9449]: https://www.rfc-editor.org/rfc/rfc9449

pub mod dpop;
pub mod mtls;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use std::sync::Arc;

use http::request::Parts;
use jwtkit::ErrorKind;
use serde_json::Value;

use crate::Shared;
use crate::pipeline::{Ctx, Flow, Outcome, deny, reject_as};
use crate::provider::Provider;
use crate::response::Rejection;
use crate::route::Route;
use crate::token_cache::Identity;

/// A provider's sender-constraint rules, parsed once.
pub struct Binding {
    /// DPoP proof rules (`dpop`, `require_dpop`).
    pub dpop: dpop::DpopRules,
    /// Refuse tokens without `cnf.x5t#S256` (`require_certificate_binding`).
    pub require_certificate: bool,
}

impl Binding {
    /// Parse a provider's `dpop`, `require_dpop` and `require_certificate_binding`.
    ///
    /// # Errors
    /// As [`dpop::DpopRules::new`].
    pub fn new(p: &crate::config::ProviderConfig) -> anyhow::Result<Binding> {
        if p.require_dpop && p.require_certificate_binding {
            anyhow::bail!(
                "require_dpop and require_certificate_binding together: a token has one confirmation method"
            );
        }
        Ok(Binding {
            dpop: dpop::DpopRules::new(&p.dpop, p.require_dpop)?,
            require_certificate: p.require_certificate_binding,
        })
    }

    /// One line for `--check`, empty when nothing is required.
    pub fn summary(&self) -> String {
        let mut s = Vec::new();
        if self.dpop.required {
            s.push(format!("requires DPoP ({})", self.dpop.algs));
        }
        if self.dpop.nonce.is_some() {
            s.push("DPoP nonce".to_string());
        }
        if self.require_certificate {
            s.push("requires certificate-bound tokens".to_string());
        }
        s.join(", ")
    }
}

/// The bind phase: the request's client certificate is read (and its header removed) on every
/// request; a verified token's confirmation (`cnf`) is then checked against it and against
/// the DPoP proof.
pub async fn run(shared: &Shared, ctx: &mut Ctx, parts: &mut Parts) -> Flow {
    let cert = mtls::presented(parts, ctx.state.cert_header.as_ref(), ctx.client);
    let (Some(route), Some(id), Some(provider)) =
        (ctx.route.clone(), ctx.identity.clone(), ctx.provider.clone())
    else {
        return Flow::Continue;
    };
    if ctx.preflight {
        return Flow::Continue;
    }
    if let Flow::Respond(r) = certificate(ctx, &provider, &id, &cert) {
        return Flow::Respond(r);
    }
    proof_of_possession(shared, ctx, &route, &provider, &id, parts).await
}

/// The answer to a request without a token: the `DPoP` challenge when every provider of the
/// route requires DPoP (RFC 9449 §7.1), else the `Bearer` one (RFC 6750 §3).
pub fn missing_token(providers: &[Arc<Provider>]) -> Rejection {
    match providers {
        [first, ..] if providers.iter().all(|p| p.binding.dpop.required) => Rejection::DpopRequired {
            algs: first.binding.dpop.algs.clone(),
        },
        _ => Rejection::MissingToken,
    }
}

/// `cnf.x5t#S256` against the presented certificate (RFC 8705 §3).
fn certificate(ctx: &mut Ctx, provider: &Arc<Provider>, id: &Identity, cert: &mtls::Presented) -> Flow {
    let bound = id.claims.get("cnf").and_then(|c| c.get("x5t#S256"));
    let fail = |ctx: &mut Ctx, message: String| {
        let e = jwtkit::Error::new(ErrorKind::BadTokenBinding, message);
        let r = Rejection::InvalidToken(ErrorKind::BadTokenBinding);
        reject_as(ctx, Some(provider), e, "certificate binding", r)
    };
    match (bound, cert) {
        (None, _) if provider.binding.require_certificate => fail(
            ctx,
            format!(
                "provider {} requires certificate-bound tokens (require_certificate_binding): the token has no cnf.x5t#S256",
                provider.name
            ),
        ),
        (None, _) => Flow::Continue,
        (Some(Value::String(want)), mtls::Presented::Certificate(have, source)) => {
            if aws_lc_rs::constant_time::verify_slices_are_equal(want.as_bytes(), have.as_bytes()).is_ok() {
                let source = *source;
                ctx.step("authenticate", "certificate binding", Outcome::Pass, || {
                    format!("cnf.x5t#S256 is the client certificate's (from {source})")
                });
                Flow::Continue
            } else {
                fail(
                    ctx,
                    format!(
                        "the token is bound to another client certificate (cnf.x5t#S256 {want}, presented {have})"
                    ),
                )
            }
        }
        (Some(Value::String(_)), mtls::Presented::None) => fail(
            ctx,
            "the token is certificate-bound (cnf.x5t#S256) but the request presented no client certificate"
                .into(),
        ),
        (Some(Value::String(_)), mtls::Presented::Unreadable(why)) => fail(ctx, (*why).to_string()),
        (Some(other), _) => fail(
            ctx,
            format!(
                "cnf.x5t#S256 must be a string, found {}",
                jwtkit::json::type_name(other)
            ),
        ),
    }
}

/// `Authorization: DPoP <token>` (scheme case-insensitive, RFC 9110 §11.1): the token, or
/// `None` for another scheme or no header.
fn dpop_token(parts: &Parts) -> Option<&str> {
    let v = parts.headers.get(http::header::AUTHORIZATION)?.to_str().ok()?;
    crate::provider::strip_dpop(v)
}

/// A DPoP refusal: `WWW-Authenticate: DPoP` with the provider's `algs`, the core's message in
/// the log and in `explain`.
fn refuse(ctx: &mut Ctx, provider: &Arc<Provider>, e: jwtkit::Error, nonce: Option<String>) -> Flow {
    let r = Rejection::Dpop {
        kind: e.kind(),
        algs: provider.binding.dpop.algs.clone(),
        nonce,
    };
    reject_as(ctx, Some(provider), e, "DPoP", r)
}

/// DPoP (RFC 9449 §7.1): the scheme, the proof, the nonce, the binding, then replay.
async fn proof_of_possession(
    shared: &Shared,
    ctx: &mut Ctx,
    route: &Route,
    provider: &Arc<Provider>,
    id: &Identity,
    parts: &Parts,
) -> Flow {
    let rules = &provider.binding.dpop;
    let bound = id.claims.get("cnf").and_then(|c| c.get("jkt")).is_some();
    let binding = |m: String| jwtkit::Error::new(ErrorKind::BadTokenBinding, m);
    let Some(token) = dpop_token(parts) else {
        if bound {
            let e = binding("the token is DPoP-bound (cnf.jkt): send it as Authorization: DPoP with a DPoP proof, not as Bearer (RFC 9449 §7.1)".into());
            return refuse(ctx, provider, e, None);
        }
        if rules.required {
            let e = binding(format!(
                "provider {} requires DPoP (require_dpop): send a DPoP-bound token as Authorization: DPoP with a DPoP proof",
                provider.name
            ));
            return refuse(ctx, provider, e, None);
        }
        // A bearer token that is not DPoP-bound: nothing to check (no step, so explain stays as it was).
        return Flow::Continue;
    };
    if ctx.token_hash != Some(crate::token_cache::hash_token(token)) {
        ctx.step("authenticate", "DPoP", Outcome::Fail, || {
            "the token verified is not the one in Authorization: DPoP".into()
        });
        return deny(
            ctx,
            Rejection::InvalidRequest("more than one token in the request"),
        );
    }
    let now = crate::store::now_secs();
    let (verified, url) = match verify_proof(ctx, route, provider, parts, token, now) {
        Ok(v) => v,
        Err(flow) => return flow,
    };
    if let Some(key) = &rules.nonce {
        let ok = verified
            .claims
            .get("nonce")
            .and_then(Value::as_str)
            .is_some_and(|n| key.accepts(n, now));
        if !ok {
            let e = jwtkit::Error::new(
                ErrorKind::DpopNonceRequired,
                "the proof has no nonce, or an expired or unknown one: sign the DPoP-Nonce given",
            );
            return refuse(ctx, provider, e, Some(key.issue(now)));
        }
    }
    if let Err(e) = verified.check_binding(&id.claims) {
        return refuse(ctx, provider, e, None);
    }
    if let Some(flow) = replay(shared, ctx, route, provider, &verified).await {
        return flow;
    }
    let (jkt, alg) = (verified.jkt.clone(), verified.alg);
    ctx.step("authenticate", "DPoP", Outcome::Pass, || {
        format!("proof {alg} for {} {url}, key {jkt} = cnf.jkt", parts.method)
    });
    ctx.dpop_nonce = rules.nonce.as_ref().map(|k| k.issue(now));
    Flow::Continue
}

/// The request's one DPoP proof, verified by the core's one call (`verify_local` with the key
/// of the proof's own `jwk` header) against the request's method and URL and the token's hash
/// (RFC 9449 §4.3), with that URL; a refusal is the flow to return.
fn verify_proof(
    ctx: &mut Ctx,
    route: &Route,
    provider: &Arc<Provider>,
    parts: &Parts,
    token: &str,
    now: i64,
) -> Result<(jwtkit::dpop::VerifiedProof, String), Flow> {
    let proof_error = |m: &str| jwtkit::Error::new(ErrorKind::BadDpopProof, m.to_string());
    let mut headers = parts.headers.get_all("dpop").iter();
    let proof = match (headers.next().map(|v| v.to_str()), headers.next()) {
        (Some(Ok(p)), None) => p,
        (None, _) => {
            let e = proof_error("no DPoP header: a DPoP proof is required with Authorization: DPoP");
            return Err(refuse(ctx, provider, e, None));
        }
        (Some(_), _) => {
            let e = proof_error("exactly one DPoP header of visible ASCII is allowed (RFC 9449 §4.3)");
            return Err(refuse(ctx, provider, e, None));
        }
    };
    let trust = ctx.state.config.server.trust_forwarded;
    let Some(url) = dpop::request_url(parts, route.external_origin.as_deref(), trust) else {
        let e = proof_error("the request has no Host to compare htu with");
        return Err(refuse(ctx, provider, e, None));
    };
    let check = jwtkit::dpop::DpopProofCheck::new(parts.method.as_str(), url.as_str()).access_token(token);
    let validation = match provider.binding.dpop.validation(now, check) {
        Ok(v) => v,
        Err(e) => return Err(reject_as(ctx, Some(provider), e, "DPoP", Rejection::Internal)),
    };
    // The one core call for the proof: verified with the key of its own `jwk` header.
    let no_keys = jwtkit::JwkSet::default();
    let outcome = jwtkit::jwt::verify_local(proof, &no_keys, &validation);
    match (outcome.error, outcome.dpop) {
        (None, Some(v)) => Ok((v, url)),
        (Some(e), _) if e.kind() == ErrorKind::InvalidConfig => {
            Err(reject_as(ctx, Some(provider), e, "DPoP", Rejection::Internal))
        }
        (Some(e), _) => {
            let e = jwtkit::Error::new(ErrorKind::BadDpopProof, format!("{} ({})", e.message(), e.kind()));
            Err(refuse(ctx, provider, e, None))
        }
        (None, None) => {
            let e = jwtkit::Error::new(ErrorKind::InvalidConfig, "the DPoP stage ended without a proof");
            Err(reject_as(ctx, Some(provider), e, "DPoP", Rejection::Internal))
        }
    }
}

/// Remember the proof's `jti` (per key) for as long as the proof is accepted; a second use is
/// refused (RFC 9449 §11.1). A store failure follows the revocation policy. `explain` does not
/// consume the `jti`.
async fn replay(
    shared: &Shared,
    ctx: &mut Ctx,
    route: &Route,
    provider: &Arc<Provider>,
    proof: &jwtkit::dpop::VerifiedProof,
) -> Option<Flow> {
    if ctx.trace.is_some() {
        ctx.step("store", "DPoP replay", Outcome::Skip, || {
            "jti not recorded by explain".into()
        });
        return None;
    }
    let store = shared.store.as_ref()?;
    let id = URL_SAFE_NO_PAD.encode(aws_lc_rs::digest::digest(
        &aws_lc_rs::digest::SHA256,
        format!("{}\n{}", proof.jkt, proof.jti).as_bytes(),
    ));
    match store.first_use(&id, provider.binding.dpop.replay_window()).await {
        Ok(true) => None,
        Ok(false) => {
            let e = jwtkit::Error::new(
                ErrorKind::BadDpopProof,
                "the proof's jti was used before: make a new DPoP proof for every request (RFC 9449 §11.1)",
            );
            Some(refuse(ctx, provider, e, None))
        }
        Err(e) => {
            let policy = crate::store::phase::policy(shared, route.on_store_error).revocation;
            crate::store::phase::on_error(ctx, &route.name, "DPoP replay", policy, &e)
        }
    }
}
