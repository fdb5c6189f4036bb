//! Token introspection ([RFC 7662]) for tokens that are not JWTs: a provider with
//! `introspection = { … }` asks its authorization server about an opaque token, and the
//! answer's members become the token's claims for the rest of the pipeline — scopes
//! (`scope`), roles, `claims_to_headers`, revocation (`jti`, `sub`) and rate limits work on
//! them as on a JWT's claims.
//!
//! - Which tokens: on a route with a provider that introspects, a token that is not a compact
//!   JWS (two dots) nor a compact JWE (four dots). JWTs are always verified locally.
//! - The request: `POST url` with `token=…&token_type_hint=access_token` and the client
//!   authentication of `auth` (`client_secret_basic`, the default, or `client_secret_post`),
//!   through [`jwtkit_oauth`]'s bounded client: `https://` only (plain `http://` to a
//!   loopback host for tests), no redirects, `timeout` for the whole exchange,
//!   `max_response_bytes`.
//! - The answer: `active: false` (or anything but `true`) → 401 `invalid_token` ("token not
//!   active"); `active: true` → the members are checked by the core with the provider's rules
//!   (`exp`/`nbf`/`iat` with its leeway, required claims, maximum age; `iss` against `issuer`
//!   or its template when the answer has `iss`; `aud` against `audiences` when it has `aud`).
//! - Failure (timeout, connection refused, a non-2xx answer, `invalid_client`, a body that is
//!   not JSON or has no boolean `active`, a body above the limit): 503
//!   `temporarily_unavailable`, fail closed; the reason is logged and shown by `explain`.
//! - Concurrent requests with the same uncached token share one call.
//! - Cache: an active answer is kept in the verified-token cache (keyed by the SHA-256 of
//!   the token, never the token) until `exp` or `max_cache` after the answer, whichever comes
//!   first; revocations drop it like a JWT's entry. Inactive answers are not cached.
//! - Metrics: `jwtkit_gateway_introspection_requests_total{provider,result}` (calls made:
//!   `active`, `inactive`, `error`) and `jwtkit_gateway_introspection_seconds`.
//!
//! [RFC 7662]: https://www.rfc-editor.org/rfc/rfc7662

use crate::identity_claims::IdentityClaims;
use jwtkit::jwt::NumericDate;
use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use jwtkit::{Claims, JwkSet, Validation};
use jwtkit_oauth::{Client, ClientAuth, Metadata, Secret};
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::Shared;
use crate::config::Dur;
use crate::pipeline::{Ctx, Flow, Outcome};
use crate::provider::Provider;
use crate::response::Rejection;
use crate::token_cache::{Identity, Lookup, TokenHash};

/// `introspection = { … }` in a provider.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct IntrospectionConfig {
    /// The introspection endpoint (RFC 7662 §2): `https://…` (`http://` only to a loopback
    /// host, or with the provider's `fetch.allow_insecure_http`).
    pub url: String,
    /// The gateway's client id at the authorization server.
    pub client_id: String,
    /// Its secret: literal, `env:VAR` or `@file` (relative to the config file).
    pub client_secret: String,
    /// `client_secret_basic` (default) or `client_secret_post` (RFC 6749 §2.3.1).
    #[serde(default)]
    pub auth: IntrospectionAuth,
    /// Longest time an active answer is reused (never past the token's `exp`). Default 5 min;
    /// `"0s"` introspects every request.
    #[serde(default = "default_max_cache")]
    pub max_cache: Dur,
    /// Time allowed for the whole exchange (connect, send, read). Default 5 s.
    #[serde(default = "default_timeout")]
    pub timeout: Dur,
    /// Largest answer read, in bytes. Default 65,536.
    #[serde(default = "default_max_response_bytes")]
    pub max_response_bytes: usize,
}

fn default_max_cache() -> Dur {
    Dur(Duration::from_secs(300))
}
fn default_timeout() -> Dur {
    Dur(Duration::from_secs(5))
}
fn default_max_response_bytes() -> usize {
    64 * 1024
}

impl IntrospectionConfig {
    /// Make an `@file` secret relative to the config file's directory.
    pub fn resolve_paths(&mut self, base: &Path) {
        if let Some(f) = self.client_secret.strip_prefix('@')
            && Path::new(f).is_relative()
        {
            self.client_secret = format!("@{}", base.join(f).display());
        }
    }
}

/// Client authentication at the introspection endpoint.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum IntrospectionAuth {
    /// HTTP Basic with the form-encoded id and secret (RFC 6749 §2.3.1).
    #[default]
    ClientSecretBasic,
    /// `client_id` and `client_secret` in the form body.
    ClientSecretPost,
}

/// A provider's introspection client, built once per config generation.
pub struct Introspector {
    client: Client,
    /// The endpoint (for logs and explain).
    pub url: String,
    /// Longest reuse of an active answer.
    pub max_cache: Duration,
    /// Claim rules by what the answer carries: `[has iss][has aud]`.
    rules: [[Validation; 2]; 2],
    /// Stands in for the key set of cache entries made from this introspector's answers: the
    /// cache serves them only to this introspector (a reload builds a new one).
    anchor: Arc<JwkSet>,
    seconds: metrics::Histogram,
    provider: String,
    /// Calls in flight, by token hash: concurrent requests with the same uncached token share
    /// one call (the first caller's; if it is dropped, a waiter makes it).
    inflight: Mutex<HashMap<TokenHash, Weak<Call>>>,
}

/// One shared introspection call's result.
type Call = tokio::sync::OnceCell<Result<Answer, jwtkit_oauth::Error>>;

impl std::fmt::Debug for Introspector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Introspector")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

/// What the endpoint said about a token.
#[derive(Clone)]
enum Answer {
    Active(Map<String, Value>),
    Inactive,
}

impl Introspector {
    /// Build from config: the URL checked (the JWKS fetcher's rule), the secret resolved, the
    /// client made. `rules` builds the provider's claim rules for an answer with and without
    /// `iss` and `aud` (`rules(has_iss, has_aud)`).
    ///
    /// # Errors
    /// A refused URL, an unset `env:` secret or unreadable `@file`, an empty `client_id`,
    /// `max_response_bytes` 0, or a rules error.
    pub fn new(
        c: &IntrospectionConfig,
        provider: &str,
        allow_insecure_http: bool,
        rules: impl Fn(bool, bool) -> Result<Validation, jwtkit::Error>,
    ) -> anyhow::Result<Introspector> {
        jwtkit_remote::check_url(&c.url, allow_insecure_http)
            .map_err(|e| anyhow::anyhow!("introspection.url: {}", e.message()))?;
        if c.client_id.is_empty() {
            anyhow::bail!("introspection.client_id is empty");
        }
        if c.max_response_bytes == 0 {
            anyhow::bail!("introspection.max_response_bytes must be above 0");
        }
        let secret = Secret::new(
            crate::config::resolve_secret(&c.client_secret)
                .map_err(|e| anyhow::anyhow!("introspection.client_secret: {e:#}"))?,
        );
        let policy = jwtkit_remote::FetchPolicy {
            connect_timeout: c.timeout.0,
            read_timeout: c.timeout.0,
            total_timeout: c.timeout.0,
            max_bytes: c.max_response_bytes,
            allow_insecure_http,
            ..jwtkit_remote::FetchPolicy::default()
        };
        let http = jwtkit_oauth::Http::new(&policy)
            .map_err(|e| anyhow::anyhow!("introspection: {}", e.message()))?;
        let mut metadata = Metadata::manual(&c.url);
        metadata.introspection_endpoint = Some(c.url.clone());
        let auth = match c.auth {
            IntrospectionAuth::ClientSecretBasic => ClientAuth::SecretBasic(secret),
            IntrospectionAuth::ClientSecretPost => ClientAuth::SecretPost(secret),
        };
        let rule = |iss, aud| rules(iss, aud).map_err(|e| anyhow::anyhow!("{}", e.message()));
        Ok(Introspector {
            client: Client::new(http, metadata, &c.client_id, auth),
            url: c.url.clone(),
            max_cache: c.max_cache.0,
            rules: [
                [rule(false, false)?, rule(false, true)?],
                [rule(true, false)?, rule(true, true)?],
            ],
            anchor: Arc::new(JwkSet::from_keys(Vec::new())),
            inflight: Mutex::new(HashMap::new()),
            provider: provider.to_string(),
            seconds: metrics::histogram!("jwtkit_gateway_introspection_seconds", "provider" => provider.to_string()),
        })
    }

    /// [`Introspector::ask`], shared by the concurrent requests carrying the same token.
    async fn ask_once(&self, hash: &TokenHash, token: &str) -> Result<Answer, jwtkit_oauth::Error> {
        let call = {
            let mut m = self.inflight.lock().unwrap_or_else(|e| e.into_inner());
            match m.get(hash).and_then(Weak::upgrade) {
                Some(c) => c,
                None => {
                    // Entries of finished calls are dropped below; a cancelled caller's too.
                    m.retain(|_, w| w.strong_count() > 0);
                    let c = Arc::new(Call::new());
                    m.insert(*hash, Arc::downgrade(&c));
                    c
                }
            }
        };
        let r = call.get_or_init(|| self.ask(token)).await.clone();
        let mut m = self.inflight.lock().unwrap_or_else(|e| e.into_inner());
        if m.get(hash)
            .is_some_and(|w| std::ptr::eq(w.as_ptr(), Arc::as_ptr(&call)))
        {
            m.remove(hash);
        }
        r
    }

    async fn ask(&self, token: &str) -> Result<Answer, jwtkit_oauth::Error> {
        let started = Instant::now();
        let r = self
            .client
            .introspect(&Secret::new(token), Some("access_token"))
            .await;
        self.seconds.record(started.elapsed().as_secs_f64());
        let result = match &r {
            Ok(i) if i.active => "active",
            Ok(_) => "inactive",
            Err(_) => "error",
        };
        metrics::counter!(
            "jwtkit_gateway_introspection_requests_total",
            "provider" => self.provider.clone(),
            "result" => result
        )
        .increment(1);
        let i = r?;
        Ok(if i.active {
            Answer::Active(i.members)
        } else {
            Answer::Inactive
        })
    }

    /// The claim rules for an answer (which has `iss` / `aud` or not).
    fn rules_for(&self, claims: &Claims) -> &Validation {
        &self.rules[usize::from(claims.contains("iss"))][usize::from(claims.contains("aud"))]
    }
}

/// True when a token is neither a compact JWS (three segments) nor a compact JWE (five): an
/// opaque token, for introspection.
pub fn is_opaque(token: &str) -> bool {
    let dots = token.bytes().filter(|b| *b == b'.').count();
    dots != 2 && dots != 4
}

/// The introspecting provider of a route for an opaque token: the first that introspects.
pub fn provider_for<'p>(providers: &'p [Arc<Provider>], token: &str) -> Option<&'p Arc<Provider>> {
    let p = providers.iter().find(|p| p.introspection.is_some())?;
    is_opaque(token).then_some(p)
}

/// The identity of an opaque token: from the verified-token cache, or by asking the
/// provider's introspection endpoint and checking the answer's claims with the core.
///
/// # Errors
/// The [`Flow`] to answer: 401 (`InactiveToken`, or the claim check's kind), 503
/// (`IntrospectionUnavailable`).
pub(crate) async fn identity(
    shared: &Shared,
    ctx: &mut Ctx,
    provider: &Arc<Provider>,
    token: &str,
) -> Result<Arc<Identity>, Flow> {
    let Some(intro) = provider.introspection.as_ref() else {
        return Err(Flow::Respond(Rejection::Internal));
    };
    let hash = ctx
        .token_hash
        .unwrap_or_else(|| crate::token_cache::hash_token(token));
    let now = crate::store::now_secs() as f64;
    ctx.step("authenticate", "provider", Outcome::Pass, || {
        format!(
            "{} (opaque token: RFC 7662 introspection at {})",
            provider.name, intro.url
        )
    });
    ctx.provider = Some(provider.clone());
    if ctx.trace.is_none()
        && let Lookup::Hit(id) = shared.cache.get(
            &hash,
            &provider.name,
            ctx.state.generation,
            now,
            Some(&intro.anchor),
        )
    {
        ctx.cache_hit = true;
        return Ok(id);
    }
    let members = match intro.ask_once(&hash, token).await {
        Ok(Answer::Active(m)) => m,
        Ok(Answer::Inactive) => {
            log_rejection(
                ctx,
                provider,
                "inactive",
                "the introspection endpoint answered active: false",
            );
            return Err(Flow::Respond(Rejection::InactiveToken));
        }
        Err(e) => {
            tracing::warn!(
                token = %ctx.token_id(),
                provider = %provider.name,
                kind = e.kind().as_str(),
                reason = %e.message(),
                "token introspection failed"
            );
            ctx.step("authenticate", "introspect", Outcome::Fail, || {
                format!("{} ({})", e.message(), e.kind().as_str())
            });
            return Err(Flow::Respond(Rejection::IntrospectionUnavailable));
        }
    };
    let claims = Claims::new(members);
    let rules = intro.rules_for(&claims);
    let identity = match claims_are_acceptable(rules, &claims) {
        Ok(identity) => identity,
        Err(e) => {
            let r = crate::response::from_error(e.kind());
            return Err(crate::pipeline::reject_as(
                ctx,
                Some(provider),
                e,
                "introspected claims",
                r,
            ));
        }
    };
    let tenant = rules
        .tenant(&claims)
        .map(|t| crate::provider::canonical_tenant(provider, t));
    let mut id = crate::pipeline::identity_of(provider, &identity, claims, None, tenant);
    // Reused until exp (or the maximum age) or max_cache after this answer, whichever is first.
    let until = now + intro.max_cache.as_secs_f64();
    id.not_after = Some(id.not_after.map_or(until, |t| t.min(until)));
    id.introspected = true;
    ctx.step("authenticate", "introspect", Outcome::Pass, || {
        format!(
            "active (sub {:?}, scope {:?}, reused until {})",
            id.sub.as_deref().unwrap_or("-"),
            id.scopes.join(" "),
            id.not_after
                .map_or("-".to_string(), |t| NumericDate(t).to_string())
        )
    });
    let id = Arc::new(id);
    if intro.max_cache > Duration::ZERO {
        shared
            .cache
            .insert_introspected(hash, id.clone(), ctx.state.generation, &intro.anchor, now);
    }
    Ok(id)
}

/// The core's claim checks on an answer (there is no JOSE header: the rules have no `typ`),
/// then the gateway's rule that `sub` and `jti` are strings.
fn claims_are_acceptable(rules: &Validation, claims: &Claims) -> Result<IdentityClaims, jwtkit::Error> {
    rules.validate_claims(claims)?;
    let identity: IdentityClaims = claims.deserialize()?;
    crate::provider::identity_claims_are_strings(&identity)?;
    Ok(identity)
}

fn log_rejection(ctx: &mut Ctx, provider: &Provider, kind: &'static str, reason: &'static str) {
    tracing::info!(
        token = %ctx.token_id(),
        route = %ctx.route.as_ref().map_or("-".into(), |r| r.name.clone()),
        issuer = %provider.issuer,
        kind,
        reason,
        check = "introspect",
        "token rejected"
    );
    ctx.step("authenticate", "introspect", Outcome::Fail, || reason.to_string());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opaque_means_neither_jws_nor_jwe_shaped() {
        assert!(is_opaque("2YotnFZFEjr1zCsicMWpAA"));
        assert!(is_opaque("ory_at_abc.def"));
        assert!(!is_opaque("a.b.c"));
        assert!(!is_opaque("a.b.c.d.e"));
        assert!(is_opaque("a.b.c.d"));
    }
}
