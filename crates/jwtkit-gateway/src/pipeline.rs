//! The request pipeline: phases that each return [`Flow`], over a per-request [`Ctx`]
//! (drawn in `docs/gateway.md`, "Request phases").
//!
//! ```text
//! route → preflight → authenticate → bind (DPoP, certificate) → authorize → store (revocation + rate limit) → forward
//! ```
//!
//! [`decide`] runs every phase but the forwarding; live traffic and `jwtkit gateway explain`
//! both call it, so explain reports exactly what traffic would get. A phase that answers
//! returns `Flow::Respond(rejection)`; [`crate::response`] turns it into the RFC 6750 reply.

use jwtkit::jwt::NumericDate;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use http::request::Parts;
use jwtkit::ErrorKind;

use crate::Shared;
use crate::encryption::{self, OpenError, Opened, Stage};
use crate::provider::Provider;
use crate::response::{Rejection, from_error};
use crate::route::{Auth, Route};
pub use crate::state::State;
use crate::token_cache::{Identity, Lookup, hash_token, short_id};

/// What a phase decided.
#[derive(Debug)]
pub enum Flow {
    /// Go to the next phase.
    Continue,
    /// Answer now.
    Respond(Rejection),
}

/// Result of one check, for `explain`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Passed.
    Pass,
    /// Failed: the request is answered here.
    Fail,
    /// Not applicable or not evaluated.
    Skip,
}

/// One recorded check.
#[derive(Clone, Debug)]
pub struct Step {
    /// Phase name.
    pub phase: &'static str,
    /// What was checked.
    pub check: String,
    /// Result.
    pub outcome: Outcome,
    /// Details (values involved).
    pub detail: String,
}

/// Per-request context.
pub struct Ctx {
    /// The config generation serving this request.
    pub state: Arc<State>,
    /// Client address.
    pub client: SocketAddr,
    /// Matched route.
    pub route: Option<Arc<Route>>,
    /// Provider that verified the token.
    pub provider: Option<Arc<Provider>>,
    /// Verified identity (None: anonymous).
    pub identity: Option<Arc<Identity>>,
    /// SHA-256 of the token (its first 12 hex digits name it in logs).
    pub token_hash: Option<crate::token_cache::TokenHash>,
    /// Token served from the verified-token cache.
    pub cache_hit: bool,
    /// Skip authentication (CORS preflight).
    pub preflight: bool,
    /// The token is a compact JWE on a route with a provider that decrypts.
    pub encrypted: bool,
    /// The token came in a query parameter (RFC 6750 §2.3: the success response is marked
    /// `Cache-Control: private`).
    pub token_in_query: bool,
    /// The nested JWT of a JWE (explain only: its signature diagnosis).
    pub nested: Option<String>,
    /// Recorded checks (explain only).
    pub trace: Option<Vec<Step>>,
    /// The verification error, when there was one (explain shows its full message).
    pub error: Option<jwtkit::Error>,
    /// A fresh DPoP nonce for the response (`DPoP-Nonce`, RFC 9449 §8).
    pub dpop_nonce: Option<String>,
}

impl Ctx {
    /// A context for live traffic.
    pub fn new(state: Arc<State>, client: SocketAddr) -> Ctx {
        Ctx {
            state,
            client,
            route: None,
            provider: None,
            identity: None,
            token_hash: None,
            cache_hit: false,
            preflight: false,
            encrypted: false,
            token_in_query: false,
            nested: None,
            trace: None,
            error: None,
            dpop_nonce: None,
        }
    }

    /// The short token id for logs (`-` without a token).
    pub fn token_id(&self) -> String {
        self.token_hash.as_ref().map_or_else(|| "-".to_string(), short_id)
    }

    /// Record a step when tracing (explain); free otherwise.
    pub fn step(
        &mut self,
        phase: &'static str,
        check: &str,
        outcome: Outcome,
        detail: impl FnOnce() -> String,
    ) {
        if let Some(t) = &mut self.trace {
            t.push(Step {
                phase,
                check: check.to_string(),
                outcome,
                detail: detail(),
            });
        }
    }
}

/// Run every phase up to forwarding.
pub async fn decide(shared: &Shared, ctx: &mut Ctx, parts: &mut Parts) -> Flow {
    for phase in [
        Phase::Route,
        Phase::Preflight,
        Phase::Authenticate,
        Phase::Bind,
        Phase::Authorize,
        Phase::Store,
    ] {
        let flow = match phase {
            Phase::Route => route(ctx, parts),
            Phase::Preflight => preflight(ctx, parts),
            Phase::Authenticate => authenticate(shared, ctx, parts).await,
            Phase::Bind => crate::sender::run(shared, ctx, parts).await,
            Phase::Authorize => authorize(ctx),
            Phase::Store => crate::store::phase::run(shared, ctx).await,
        };
        if let Flow::Respond(_) = flow {
            return flow;
        }
    }
    Flow::Continue
}

#[derive(Clone, Copy)]
enum Phase {
    Route,
    Preflight,
    Authenticate,
    Bind,
    Authorize,
    Store,
}

/// The route phase (also run by the decision cache before its lookup).
pub(crate) fn route(ctx: &mut Ctx, parts: &mut Parts) -> Flow {
    if let Err(why) = normalize_path(parts) {
        ctx.step("route", "path", Outcome::Fail, || {
            format!("{why}: {}", parts.uri.path())
        });
        return Flow::Respond(Rejection::BadPath(why));
    }
    if crate::route::unsupported_transfer_coding(parts) {
        ctx.step("route", "transfer coding", Outcome::Fail, || "not chunked".into());
        return Flow::Respond(Rejection::UnsupportedTransferCoding);
    }
    if ctx.state.identity_headers.rejects(&parts.headers) {
        ctx.step("route", "headers", Outcome::Fail, || {
            "a header name contains \"_\" (server.headers_with_underscores = \"reject\")".into()
        });
        return Flow::Respond(Rejection::BadHeader("header names with \"_\" are not accepted"));
    }
    let host = match crate::route::request_host(parts) {
        Ok(host) => host,
        Err(why) => {
            ctx.step("route", "host", Outcome::Fail, || why.to_string());
            return Flow::Respond(Rejection::BadHost(why));
        }
    };
    let path = parts.uri.path();
    match ctx.state.routes.find(host, path).cloned() {
        Some(r) => {
            ctx.step("route", "match", Outcome::Pass, || {
                format!(
                    "route {:?} (prefix {:?}) → {}",
                    r.name,
                    if r.prefix.is_empty() { "/" } else { &r.prefix },
                    r.upstream.authority
                )
            });
            ctx.route = Some(r);
            Flow::Continue
        }
        None => {
            ctx.step("route", "match", Outcome::Fail, || {
                format!("no route for path {path}")
            });
            Flow::Respond(Rejection::NoRoute)
        }
    }
}

/// Route on, and forward, the normalized path ([`crate::path`]).
fn normalize_path(parts: &mut Parts) -> Result<(), &'static str> {
    let Some(normal) = crate::path::normalize(parts.uri.path())? else {
        return Ok(());
    };
    let pq = match parts.uri.query() {
        Some(q) => format!("{normal}?{q}"),
        None => normal,
    };
    let mut uri = parts.uri.clone().into_parts();
    uri.path_and_query = Some(pq.parse().map_err(|_| crate::path::DOT_SEGMENT)?);
    parts.uri = http::Uri::from_parts(uri).map_err(|_| crate::path::DOT_SEGMENT)?;
    Ok(())
}

fn preflight(ctx: &mut Ctx, parts: &Parts) -> Flow {
    let Some(route) = &ctx.route else {
        return Flow::Continue;
    };
    if route.cors_preflight
        && parts.method == http::Method::OPTIONS
        && parts.headers.contains_key(http::header::ORIGIN)
        && parts
            .headers
            .contains_key(http::header::ACCESS_CONTROL_REQUEST_METHOD)
    {
        ctx.preflight = true;
        ctx.step("preflight", "CORS preflight", Outcome::Pass, || {
            "passed through without a token".into()
        });
    }
    Flow::Continue
}

fn now() -> i64 {
    crate::store::now_secs()
}

/// Select the provider for a token: the only one, or the one whose issuer is the token's
/// (unverified) `iss` — used only to pick, the signature and `iss` are then verified.
fn select_provider<'p>(
    providers: &'p [Arc<Provider>],
    token: &str,
    limits: &jwtkit::Limits,
) -> Result<&'p Arc<Provider>, ErrorKind> {
    if let [only] = providers {
        return Ok(only);
    }
    let u = jwtkit::dangerous::Unverified::decode(token, limits);
    let iss = u.claims().and_then(|c| c.get("iss")).and_then(|v| v.as_str());
    match iss {
        Some(iss) => providers
            .iter()
            .find(|p| p.accepts_issuer(iss))
            .ok_or(ErrorKind::BadIssuer),
        None => Err(ErrorKind::MissingClaim),
    }
}

/// The authenticate phase, in steps: find the token ([`find_token`]), choose its provider
/// ([`choose_provider`]), then reuse a cached verification or verify it
/// ([`verified_identity`]: one core call per token, [`Provider::authenticate`]).
async fn authenticate(shared: &Shared, ctx: &mut Ctx, parts: &Parts) -> Flow {
    let Some(route) = ctx.route.clone() else {
        return Flow::Continue;
    };
    let Auth::Jwt {
        providers,
        sources,
        allow_missing,
        ..
    } = &route.auth
    else {
        ctx.step("authenticate", "auth", Outcome::Skip, || "auth = \"none\"".into());
        return Flow::Continue;
    };
    if ctx.preflight {
        return Flow::Continue;
    }
    let token = match find_token(ctx, providers, sources, *allow_missing, parts) {
        Ok(Some(token)) => token,
        Ok(None) => return Flow::Continue,
        Err(flow) => return flow,
    };
    let token = &*token;
    if !ctx.encrypted
        && let Some(p) = crate::introspection::provider_for(providers, token)
    {
        match crate::introspection::identity(shared, ctx, p, token).await {
            Ok(identity) => ctx.identity = Some(identity),
            Err(flow) => return flow,
        }
        return Flow::Continue;
    }
    let started = Instant::now();
    let (provider, opened) = match choose_provider(shared, ctx, providers, token) {
        Ok(chosen) => chosen,
        Err(flow) => return flow,
    };
    let identity = match verified_identity(shared, ctx, providers, provider, opened, token, started).await {
        Ok(identity) => identity,
        Err(flow) => return flow,
    };
    ctx.step("authenticate", "verify", Outcome::Pass, || {
        format!(
            "signature and claims valid (sub {:?}, exp {}{})",
            identity.sub.as_deref().unwrap_or("-"),
            identity
                .not_after
                .map_or("none".to_string(), |t| NumericDate(t).to_string()),
            identity
                .tenant
                .as_deref()
                .map_or(String::new(), |t| format!(", tenant {t}"))
        )
    });
    ctx.identity = Some(identity);
    Flow::Continue
}

/// The token of a request (RFC 6750 §2), its hash and whether it is a JWE; `Ok(None)` for an
/// anonymous request the route allows.
fn find_token<'r>(
    ctx: &mut Ctx,
    providers: &[Arc<Provider>],
    sources: &[crate::provider::TokenSource],
    allow_missing: bool,
    parts: &'r Parts,
) -> Result<Option<std::borrow::Cow<'r, str>>, Flow> {
    let found = match crate::provider::find_token(sources, &parts.headers, parts.uri.query()) {
        Ok(found) => found,
        Err(why) => {
            ctx.step("authenticate", "token", Outcome::Fail, || why.to_string());
            return Err(deny(ctx, Rejection::InvalidRequest(why)));
        }
    };
    let Some((source, token)) = found else {
        if allow_missing {
            ctx.step("authenticate", "token", Outcome::Skip, || {
                "no token; allow_missing: anonymous".into()
            });
            return Ok(None);
        }
        ctx.step("authenticate", "token", Outcome::Fail, || {
            format!("no token in {sources:?}")
        });
        return Err(Flow::Respond(crate::sender::missing_token(providers)));
    };
    let hash = hash_token(&token);
    ctx.token_hash = Some(hash);
    ctx.token_in_query = matches!(source, crate::provider::TokenSource::Query(_));
    // A five-segment token is a JWE when a provider of the route can decrypt; otherwise it
    // goes to the signature path, which rejects it as malformed.
    let encrypted = providers.iter().any(|p| p.decryption.is_some()) && encryption::is_compact_jwe(&token);
    ctx.encrypted = encrypted;
    ctx.step("authenticate", "token", Outcome::Pass, || {
        format!(
            "found in {source:?}, {} bytes, {}id {}",
            token.len(),
            if encrypted { "JWE, " } else { "" },
            short_id(&hash)
        )
    });
    let max = ctx.state.config.server.max_token_bytes;
    if token.len() > max {
        let e = jwtkit::Error::new(
            ErrorKind::ResourceLimit,
            format!("token is {} bytes, above {max}", token.len()),
        );
        return Err(reject(ctx, None, e));
    }
    Ok(Some(token))
}

/// The provider of a token: for a JWE, the one that decrypts it (the JWE may then be open
/// already); else the route's only one, or the one whose issuer is the token's unverified
/// `iss`. A provider that requires encryption refuses a plain JWS.
fn choose_provider(
    shared: &Shared,
    ctx: &mut Ctx,
    providers: &[Arc<Provider>],
    token: &str,
) -> Result<(Arc<Provider>, Option<Opened>), Flow> {
    let hash = ctx.token_hash.unwrap_or_else(|| hash_token(token));
    let (provider, opened) = if ctx.encrypted {
        choose_for_jwe(shared, ctx, providers, token, &hash).map_err(|e| reject_open(ctx, None, e))?
    } else {
        match select_provider(providers, token, &providers[0].validation.limits().clone()) {
            Ok(p) => (p.clone(), None),
            Err(kind) => {
                let issuers: Vec<&str> = providers.iter().map(|p| p.issuer.as_str()).collect();
                let e = jwtkit::Error::new(
                    kind,
                    format!(
                        "the token's iss names none of the route's providers ({})",
                        issuers.join(", ")
                    ),
                );
                return Err(reject(ctx, None, e));
            }
        }
    };
    ctx.step("authenticate", "provider", Outcome::Pass, || {
        let jwe = provider
            .decryption
            .as_ref()
            .map_or_else(String::new, |d| format!("; decrypts JWE: {}", d.summary()));
        format!("{} (issuer {}{jwe})", provider.name, provider.issuer)
    });
    ctx.provider = Some(provider.clone());
    if !ctx.encrypted && provider.decryption.as_ref().is_some_and(|d| d.required) {
        let e = jwtkit::Error::new(
            ErrorKind::Malformed,
            format!(
                "provider {} requires encrypted tokens (require_encryption): the signed JWT must come inside a JWE",
                provider.name
            ),
        );
        let r = Rejection::EncryptionRequired;
        return Err(reject_as(ctx, Some(&provider), e, "encryption", r));
    }
    Ok((provider, opened))
}

/// The identity of a token: from the verified-token cache, or by opening a JWE and verifying
/// the JWT with one core call ([`Provider::authenticate`]), then cached.
async fn verified_identity(
    shared: &Shared,
    ctx: &mut Ctx,
    providers: &[Arc<Provider>],
    mut provider: Arc<Provider>,
    opened: Option<Opened>,
    token: &str,
    started: Instant,
) -> Result<Arc<Identity>, Flow> {
    let hash = ctx.token_hash.unwrap_or_else(|| hash_token(token));
    let now_s = now();
    if ctx.trace.is_none() {
        let keys = provider.keys.current();
        let lookup = shared.cache.get(
            &hash,
            &provider.name,
            ctx.state.generation,
            now_s as f64,
            keys.as_ref(),
        );
        if let Lookup::Hit(id) = lookup {
            ctx.cache_hit = true;
            return Ok(id);
        }
    }
    let started = if opened.is_some() { started } else { Instant::now() };
    let nested;
    let jwt = if ctx.encrypted {
        let o = open_jwe(ctx, providers, &mut provider, opened, token)?;
        nested = o.nested;
        nested.as_str()
    } else {
        token
    };
    let a = match provider.authenticate(jwt, started).await {
        Ok(a) => a,
        Err(e) => return Err(reject(ctx, Some(&provider), e)),
    };
    if let Some(profile) = &provider.profile
        && let Err((e, kind)) = profile.check(&a.verified)
    {
        let r = Rejection::TokenType {
            kind,
            accepted: profile.accepted(),
        };
        return Err(reject_as(ctx, Some(&provider), e, "token profile", r));
    }
    let tenant = provider
        .validation
        .tenant(&a.verified.claims)
        .map(|t| crate::provider::canonical_tenant(&provider, t));
    let keys = a.keys.clone();
    let id = Arc::new(identity_of(
        &provider,
        &a.identity,
        a.verified.claims,
        a.key_thumbprint,
        tenant,
    ));
    if let Some(keys) = &keys {
        shared
            .cache
            .insert(hash, id.clone(), ctx.state.generation, keys, now_s as f64);
    }
    Ok(id)
}

/// Open a JWE (unless choosing its provider already did), recording the decryption.
fn open_jwe(
    ctx: &mut Ctx,
    providers: &[Arc<Provider>],
    provider: &mut Arc<Provider>,
    opened: Option<Opened>,
    token: &str,
) -> Result<Opened, Flow> {
    let o = match opened {
        Some(o) => o,
        None => match open_again(providers, provider, token) {
            Ok((p, o)) => {
                *provider = p;
                ctx.provider = Some(provider.clone());
                o
            }
            Err(e) => {
                let p = provider.clone();
                return Err(reject_open(ctx, Some(&p), e));
            }
        },
    };
    let p = provider.clone();
    ctx.step("authenticate", "decrypt", Outcome::Pass, || {
        format!(
            "alg {}, enc {} with {} (decryption_key {})",
            o.alg,
            o.enc,
            o.key,
            p.decryption.as_ref().map_or("-", |d| d.source.as_str())
        )
    });
    ctx.step("authenticate", "nested JWT", Outcome::Pass, || {
        format!("{} bytes, verified by provider {}", o.nested.len(), p.name)
    });
    if ctx.trace.is_some() {
        ctx.nested = Some(o.nested.clone());
    }
    Ok(o)
}

/// The provider for a JWE: the route's only one; on a route with several, the one that
/// verified this very token before (cache entry), else the one chosen by decrypting
/// ([`encryption::open_for_route`]; the JWE is then already open).
fn choose_for_jwe(
    shared: &Shared,
    ctx: &Ctx,
    providers: &[Arc<Provider>],
    token: &str,
    hash: &crate::token_cache::TokenHash,
) -> Result<(Arc<Provider>, Option<Opened>), OpenError> {
    if let [only] = providers {
        return Ok((only.clone(), None));
    }
    if ctx.trace.is_none()
        && let Some(name) = shared.cache.provider_of(hash)
        && let Some(p) = providers
            .iter()
            .find(|p| *p.name == *name && p.decryption.is_some())
    {
        return Ok((p.clone(), None));
    }
    encryption::open_for_route(providers, token).map(|(p, o)| (p.clone(), Some(o)))
}

/// Open a JWE on a cache miss: with the provider's key, or on a route with several providers
/// by choosing again (the cached choice may be stale after a reload or key change).
fn open_again(
    providers: &[Arc<Provider>],
    provider: &Arc<Provider>,
    token: &str,
) -> Result<(Arc<Provider>, Opened), OpenError> {
    match (providers, provider.decryption.as_ref()) {
        ([_], Some(d)) => d.open(token).map(|o| (provider.clone(), o)),
        _ => encryption::open_for_route(providers, token).map(|(p, o)| (p.clone(), o)),
    }
}

pub(crate) fn reject(ctx: &mut Ctx, provider: Option<&Arc<Provider>>, e: jwtkit::Error) -> Flow {
    let r = from_error(e.kind());
    reject_as(ctx, provider, e, "verify", r)
}

/// A JWE that did not open: every decryption failure answers the fixed `decrypt_failed`
/// (the log and `explain` have the core's kind and message); a plaintext that is not a nested
/// JWT answers by its kind.
fn reject_open(ctx: &mut Ctx, provider: Option<&Arc<Provider>>, e: OpenError) -> Flow {
    match e.stage {
        Stage::Decrypt => {
            let r = match e.error.kind().fault() {
                jwtkit::Fault::Caller => Rejection::Internal,
                _ => Rejection::InvalidToken(ErrorKind::DecryptFailed),
            };
            reject_as(ctx, provider, e.error, "decrypt", r)
        }
        Stage::Nested => {
            let r = from_error(e.error.kind());
            reject_as(ctx, provider, e.error, "nested JWT", r)
        }
    }
}

pub(crate) fn reject_as(
    ctx: &mut Ctx,
    provider: Option<&Arc<Provider>>,
    e: jwtkit::Error,
    check: &'static str,
    r: Rejection,
) -> Flow {
    let route = ctx.route.as_ref().map_or("-".into(), |r| r.name.clone());
    let issuer = provider.map_or("-", |p| p.issuer.as_str());
    tracing::info!(
        token = %ctx.token_id(),
        route = %route,
        issuer,
        kind = e.kind().as_str(),
        reason = %e.message(),
        encrypted = ctx.encrypted,
        check,
        "token rejected"
    );
    ctx.step("authenticate", check, Outcome::Fail, || e.to_string());
    ctx.error = Some(e);
    Flow::Respond(r)
}

/// The identity of verified (or introspected) claims: `sub`, `jti`, the times it may be
/// served from cache, scopes from `scope`/`scp` (all read from `c`, the one-pass typed read of
/// `claims`), the tenant of an issuer template.
pub(crate) fn identity_of(
    p: &Provider,
    c: &crate::identity_claims::IdentityClaims,
    claims: jwtkit::Claims,
    key_thumbprint: Option<String>,
    tenant: Option<String>,
) -> Identity {
    let (exp, iat) = (c.exp.as_f64(), c.iat.as_f64());
    let age_limit = p.max_age.zip(iat).map(|(m, iat)| iat + m.as_secs() as f64);
    let not_after = match (exp, age_limit) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    Identity {
        provider: p.name.clone(),
        sub: c.sub.as_str().map(str::to_owned),
        jti: c.jti.as_str().map(str::to_owned),
        iat,
        not_before: c.nbf.as_f64(),
        not_after,
        key_thumbprint,
        scopes: c.scopes(),
        tenant,
        introspected: false,
        claims,
    }
}

fn authorize(ctx: &mut Ctx) -> Flow {
    let (Some(route), Some(id)) = (ctx.route.clone(), ctx.identity.clone()) else {
        return Flow::Continue;
    };
    let Auth::Jwt { scopes, roles, .. } = &route.auth else {
        return Flow::Continue;
    };
    if let Some(missing) = scopes.iter().find(|s| !id.scopes.contains(s)) {
        let description = format!("missing scope {missing}");
        ctx.step("authorize", "scopes", Outcome::Fail, || {
            format!("required {scopes:?}, token has {:?}", id.scopes)
        });
        return deny(
            ctx,
            Rejection::InsufficientScope {
                scope: scopes.join(" "),
                description,
            },
        );
    }
    if !scopes.is_empty() {
        ctx.step("authorize", "scopes", Outcome::Pass, || {
            format!("required {scopes:?} all present")
        });
    }
    if let Some((claim, any_of)) = roles {
        let have: Vec<&str> = match id.claims.get_path(claim) {
            Some(serde_json::Value::Array(a)) => a.iter().filter_map(|v| v.as_str()).collect(),
            Some(serde_json::Value::String(s)) => s.split_whitespace().collect(),
            _ => vec![],
        };
        if !any_of.iter().any(|r| have.contains(&r.as_str())) {
            ctx.step("authorize", "roles", Outcome::Fail, || {
                format!("{claim} = {have:?}, need one of {any_of:?}")
            });
            return deny(
                ctx,
                Rejection::InsufficientScope {
                    scope: String::new(),
                    description: "missing role".into(),
                },
            );
        }
        ctx.step("authorize", "roles", Outcome::Pass, || {
            format!("{claim} = {have:?}")
        });
    }
    Flow::Continue
}

pub(crate) fn deny(ctx: &mut Ctx, r: Rejection) -> Flow {
    tracing::info!(
        token = %ctx.token_id(),
        route = %ctx.route.as_ref().map_or("-".into(), |r| r.name.clone()),
        reason = crate::response::reason(&r),
        "request denied"
    );
    Flow::Respond(r)
}
