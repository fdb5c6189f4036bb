//! The decision cache: allowed answers (the headers to set) by token and route.
//!
//! An entry is used only while the verified-token cache ([`crate::token_cache`]) still holds
//! the token for the same provider, config generation and key set, and before the token's
//! `exp`/`nbf` end it — the decision depends on exactly those facts plus the route (which
//! fixes the scopes, roles and `claims_to_headers` the headers came from), and on nothing else
//! of the request. Each entry also lives at most `decision.cache_ttl`. Revocation and rate
//! limits are not cached: a hit runs the store phase like any request.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::Mutex;
use std::time::Duration;

use http::HeaderMap;
use http::request::Parts;

use crate::Shared;
use crate::pipeline::{Ctx, Flow};
use crate::route::Auth;
use crate::token_cache::{Lookup, TokenHash, hash_token};

struct Entry {
    generation: u64,
    provider: Arc<str>,
    headers: HeaderMap,
    /// Seconds since the epoch.
    expires: f64,
}

const SHARDS: usize = 16;

/// One shard: (token hash, route name) → decision.
type Shard = Mutex<HashMap<(TokenHash, Arc<str>), Entry>>;

/// Allowed decisions by (token hash, route name), in shards.
pub struct DecisionCache {
    shards: Vec<Shard>,
    per_shard: usize,
    ttl: Duration,
}

impl DecisionCache {
    /// A cache of at most `max_entries` decisions, each kept at most `ttl` (either 0 disables
    /// it).
    pub fn new(max_entries: usize, ttl: Duration) -> DecisionCache {
        let per_shard = if ttl.is_zero() {
            0
        } else {
            max_entries.div_ceil(SHARDS)
        };
        DecisionCache {
            shards: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(),
            per_shard,
            ttl,
        }
    }

    fn shard(&self, h: &TokenHash) -> &Shard {
        &self.shards[usize::from(h[0]) % SHARDS]
    }

    /// Run the route phase and look the request's token up: on a hit, `ctx` holds the route,
    /// provider, identity and token hash (ready for the store phase) and the cached headers
    /// are returned. `None`: decide in full (also for preflights, anonymous requests, and
    /// anything the route phase refuses, which the full pipeline then answers).
    pub fn lookup(&self, shared: &Shared, ctx: &mut Ctx, parts: &mut Parts) -> Option<HeaderMap> {
        if self.per_shard == 0 || parts.method == http::Method::OPTIONS {
            return None;
        }
        if !matches!(crate::pipeline::route(ctx, parts), Flow::Continue) {
            return None;
        }
        let route = ctx.route.clone()?;
        let Auth::Jwt {
            providers, sources, ..
        } = &route.auth
        else {
            return None;
        };
        let (_, token) = crate::provider::find_token(sources, &parts.headers, parts.uri.query()).ok()??;
        if token.len() > ctx.state.config.server.max_token_bytes {
            return None;
        }
        let hash = hash_token(&token);
        let now = crate::store::now_secs() as f64;
        let (headers, provider) = {
            let shard = self.shard(&hash).lock().unwrap_or_else(|e| e.into_inner());
            let e = shard.get(&(hash, route.name.clone()))?;
            if e.generation != ctx.state.generation || now >= e.expires {
                return None;
            }
            (e.headers.clone(), e.provider.clone())
        };
        let provider = providers.iter().find(|p| p.name == provider)?.clone();
        let keys = provider.keys.current();
        let Lookup::Hit(id) =
            shared
                .cache
                .get(&hash, &provider.name, ctx.state.generation, now, keys.as_ref())
        else {
            return None;
        };
        ctx.token_hash = Some(hash);
        ctx.cache_hit = true;
        ctx.provider = Some(provider);
        ctx.identity = Some(id);
        Some(headers)
    }

    /// Remember an allowed decision (only one made for a verified token).
    pub fn insert(&self, ctx: &Ctx, headers: &HeaderMap) {
        let (Some(route), Some(id), Some(hash)) = (&ctx.route, &ctx.identity, ctx.token_hash) else {
            return;
        };
        if self.per_shard == 0 || ctx.token_in_query {
            return;
        }
        let now = crate::store::now_secs() as f64;
        let mut expires = now + self.ttl.as_secs_f64();
        if let Some(t) = id.not_after {
            expires = expires.min(t);
        }
        let mut shard = self.shard(&hash).lock().unwrap_or_else(|e| e.into_inner());
        if shard.len() >= self.per_shard {
            shard.retain(|_, e| now < e.expires);
            if shard.len() >= self.per_shard
                && let Some(k) = shard.keys().next().cloned()
            {
                shard.remove(&k);
            }
        }
        shard.insert(
            (hash, route.name.clone()),
            Entry {
                generation: ctx.state.generation,
                provider: id.provider.clone(),
                headers: headers.clone(),
                expires,
            },
        );
    }

    /// Number of decisions held.
    pub fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|s| s.lock().unwrap_or_else(|e| e.into_inner()).len())
            .sum()
    }

    /// No decision held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
