//! The decision service: the same routes, providers and pipeline ([`crate::pipeline::decide`])
//! answer "allow, with these headers" or "deny, with this RFC 6750 answer" to a proxy that
//! asks, instead of forwarding the request themselves.
//!
//! - [`forward_auth`]: HTTP, for nginx `auth_request`, Traefik `ForwardAuth`, Caddy
//!   `forward_auth` (`/forward-auth`, the original request in `X-Forwarded-*`/`X-Original-*`)
//!   and Envoy's HTTP `ext_authz` (`/ext-authz` + the original path);
//! - [`ext_authz`]: Envoy `ext_authz` over gRPC (`envoy.service.auth.v3.Authorization/Check`).
//!
//! Both listeners are set in `[decision]` and run beside the proxy listener. They trust the
//! request facts the proxy sends (method, URI, host, scheme, client address): they must be
//! reachable only by the proxy (bind them to loopback or a private network).
//!
//! A decision cache ([`DecisionCache`]) keyed like the verified-token cache (token hash, config
//! generation, the provider's key set) plus the route keeps allowed answers with their headers;
//! a hit still runs the store phase, so a revoked token is denied at once and rate limits count
//! every request.

pub mod cache;
pub mod ext_authz;
pub mod forward_auth;

use std::net::SocketAddr;
use std::sync::Arc;

use http::HeaderMap;
use http::request::Parts;
use serde::Deserialize;

pub use cache::DecisionCache;

use crate::Shared;
use crate::config::Dur;
use crate::pipeline::{Ctx, Flow};
use crate::response::Rejection;
use crate::route::Auth;

/// `[decision]`.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DecisionConfig {
    /// HTTP decision listener (forward-auth and Envoy HTTP ext_authz), e.g. `"127.0.0.1:9100"`.
    /// Default: off.
    #[serde(default)]
    pub listen: Option<String>,
    /// Envoy ext_authz gRPC listener (HTTP/2 cleartext), e.g. `"127.0.0.1:9101"`. Default: off.
    #[serde(default)]
    pub grpc_listen: Option<String>,
    /// How long an allowed decision is reused, at most (never past the token's `exp`).
    /// Default 30 s; `"0s"` disables the cache.
    #[serde(default = "default_cache_ttl")]
    pub cache_ttl: Dur,
    /// Most decisions kept. Default 10,000.
    #[serde(default = "default_cache_entries")]
    pub cache_max_entries: usize,
}

impl Default for DecisionConfig {
    fn default() -> Self {
        DecisionConfig {
            listen: None,
            grpc_listen: None,
            cache_ttl: default_cache_ttl(),
            cache_max_entries: default_cache_entries(),
        }
    }
}

fn default_cache_ttl() -> Dur {
    Dur(std::time::Duration::from_secs(30))
}
fn default_cache_entries() -> usize {
    10_000
}

/// The original request a proxy asks about.
pub struct Question {
    /// Method, origin-form URI (path and query), and the client's headers with `Host` set to
    /// the original host.
    pub parts: Parts,
    /// `http` or `https`, as the client used.
    pub scheme: String,
    /// The client's address (for anonymous rate limits and logs).
    pub client: SocketAddr,
}

/// The answer.
pub enum Answer {
    /// Let the request through; the proxy copies `headers` onto it (verified claims,
    /// `claims_to_headers`). `remove` lists the route's identity headers and token headers the
    /// proxy must remove from the client's request (Envoy applies it; nginx and Caddy configs
    /// overwrite or delete those headers themselves).
    Allow {
        /// Headers to set on the upstream request.
        headers: HeaderMap,
        /// Header names to remove from the upstream request.
        remove: Vec<http::HeaderName>,
    },
    /// Refuse: the response to send the client.
    Deny {
        /// Why (status, `WWW-Authenticate` and body come from [`crate::response::parts_for`]).
        rejection: Rejection,
        /// RFC 9728 metadata URL for the challenge.
        resource_metadata: Option<String>,
    },
}

/// Decide about one request: the decision cache, else the full pipeline (route, preflight,
/// authenticate, authorize, store) — the same phases the proxy runs and `explain` reports.
pub async fn decide(shared: &Shared, cache: &DecisionCache, q: Question) -> Answer {
    let Question {
        mut parts,
        scheme,
        client,
    } = q;
    let state = shared.state.load_full();
    let mut ctx = Ctx::new(state, client);
    let flow = match cache.lookup(shared, &mut ctx, &mut parts) {
        Some(headers) => {
            ::metrics::counter!("jwtkit_gateway_decision_cache_hits_total").increment(1);
            // A cached decision stands for the token's verification only: what belongs to this
            // request — the DPoP proof, the client certificate (bind) — and the store's
            // revocations and rate limits are checked on every request.
            // Boxed: the bind future nested in this one would overflow the compiler's layout depth.
            match Box::pin(crate::sender::run(shared, &mut ctx, &mut parts)).await {
                Flow::Continue => match crate::store::phase::run(shared, &mut ctx).await {
                    Flow::Continue => return allow(&ctx, headers),
                    respond => respond,
                },
                respond => respond,
            }
        }
        None => crate::pipeline::decide(shared, &mut ctx, &mut parts).await,
    };
    let rejection = match flow {
        Flow::Respond(r) => r,
        Flow::Continue => match render(&ctx) {
            Ok(headers) => {
                cache.insert(&ctx, &headers);
                return allow(&ctx, headers);
            }
            Err(r) => r,
        },
    };
    let route_name = ctx
        .route
        .as_ref()
        .map_or_else(|| "-".to_string(), |r| r.name.to_string());
    ::metrics::counter!("jwtkit_gateway_decisions_total", "route" => route_name, "outcome" => crate::response::reason(&rejection))
        .increment(1);
    let host = crate::resource_metadata::request_host(&parts);
    let resource_metadata = ctx
        .route
        .as_ref()
        .and_then(|r| crate::resource_metadata::challenge_url(r, &scheme, host));
    Answer::Deny {
        rejection,
        resource_metadata,
    }
}

/// The claim headers of an allowed request.
fn render(ctx: &Ctx) -> Result<HeaderMap, Rejection> {
    let mut headers = HeaderMap::new();
    if let (Some(route), Some(id)) = (&ctx.route, &ctx.identity) {
        crate::forward::set_claim_headers(route, id, &mut headers)?;
    }
    Ok(headers)
}

fn allow(ctx: &Ctx, headers: HeaderMap) -> Answer {
    let route_name = ctx
        .route
        .as_ref()
        .map_or_else(|| "-".to_string(), |r| r.name.to_string());
    ::metrics::counter!("jwtkit_gateway_decisions_total", "route" => route_name, "outcome" => "allowed")
        .increment(1);
    // Every identity header of the configuration (any route's claims_to_headers), in both the
    // `-` and the `_` spelling, unless this answer sets it: the proxy mode removes them on
    // every route (crate::identity_headers), Envoy does it from this list.
    let mut remove: Vec<http::HeaderName> = ctx
        .state
        .identity_headers
        .spellings()
        .iter()
        .filter(|n| !headers.contains_key(*n))
        .cloned()
        .collect();
    if let Some(route) = &ctx.route
        && let Auth::Jwt { sources, .. } = &route.auth
        && route.strip_authorization
    {
        remove.push(http::header::AUTHORIZATION);
        for s in sources {
            if let crate::provider::TokenSource::Header(n) = s {
                remove.push(n.clone());
            }
        }
    }
    Answer::Allow { headers, remove }
}

/// A running decision listener.
pub(crate) struct Listeners {
    /// HTTP listener address.
    pub http: Option<SocketAddr>,
    /// gRPC listener address.
    pub grpc: Option<SocketAddr>,
    /// Their tasks.
    pub tasks: Vec<tokio::task::JoinHandle<()>>,
}

/// Bind and start the `[decision]` listeners.
pub(crate) async fn start(
    shared: Arc<Shared>,
    stop: tokio::sync::watch::Receiver<bool>,
) -> anyhow::Result<Listeners> {
    use anyhow::Context;
    let config = shared.state.load().config.decision.clone();
    let cache = Arc::new(DecisionCache::new(config.cache_max_entries, config.cache_ttl.0));
    let mut out = Listeners {
        http: None,
        grpc: None,
        tasks: Vec::new(),
    };
    if let Some(addr) = &config.listen {
        let l = tokio::net::TcpListener::bind(addr)
            .await
            .with_context(|| format!("binding decision.listen {addr}"))?;
        out.http = Some(l.local_addr()?);
        out.tasks.push(tokio::spawn(forward_auth::serve(
            shared.clone(),
            cache.clone(),
            l,
            stop.clone(),
        )));
    }
    if let Some(addr) = &config.grpc_listen {
        let l = tokio::net::TcpListener::bind(addr)
            .await
            .with_context(|| format!("binding decision.grpc_listen {addr}"))?;
        out.grpc = Some(l.local_addr()?);
        out.tasks.push(tokio::spawn(ext_authz::serve(
            shared.clone(),
            cache.clone(),
            l,
            stop.clone(),
        )));
    }
    Ok(out)
}
