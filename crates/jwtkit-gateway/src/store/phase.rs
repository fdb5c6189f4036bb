//! The store phase of the request pipeline (after authorize, before forward): is the token
//! revoked, then may the request take a token from its bucket; and the failure policy per
//! feature.

use jwtkit::ErrorKind;

use crate::Shared;
use crate::config::StoreErrorPolicy;
use crate::pipeline::{Ctx, Flow, Outcome, deny, reject};
use crate::rate_limit::{BucketRequest, Decision};
use crate::response::Rejection;
use crate::store::Check;
use crate::store::config::{OnError, Policy};
use crate::token_cache::Identity;

/// `store.on_error`, unless the route says `on_store_error = "fail_open"` (both features open).
pub fn policy(shared: &Shared, route: StoreErrorPolicy) -> OnError {
    match route {
        StoreErrorPolicy::FailOpen => OnError {
            revocation: Policy::FailOpen,
            rate_limit: Policy::FailOpen,
        },
        StoreErrorPolicy::FailClosed => shared.state.load().config.store.on_error,
    }
}

fn bucket_value(id: &Identity, claim: &str) -> Option<String> {
    match id.source(claim)?.as_ref() {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The store phase: revocation (from memory), then the route's bucket; each feature's failure
/// policy decides on a store error.
pub async fn run(shared: &Shared, ctx: &mut Ctx) -> Flow {
    let Some(route) = ctx.route.clone() else {
        return Flow::Continue;
    };
    if ctx.preflight {
        return Flow::Continue;
    }
    let id = ctx.identity.clone();
    let explain = ctx.trace.is_some();
    let bucket = match &id {
        Some(id) => route.rate_limit.as_ref().map(|rl| BucketRequest {
            key: format!(
                "{}|{}|{}",
                route.name,
                rl.key,
                // A token without the claim counts against its client IP; the two kinds of
                // value are prefixed apart, so a claim "ip:1.2.3.4" cannot share that IP's bucket.
                bucket_value(id, &rl.key)
                    .map_or_else(|| format!("ip:{}", ctx.client.ip()), |v| format!("v:{v}"))
            ),
            per_second: rl.per_second,
            burst: rl.burst,
        }),
        None => route.anonymous_rate_limit.as_ref().map(|b| BucketRequest {
            key: format!("{}|ip|{}", route.name, ctx.client.ip()),
            per_second: b.per_second,
            burst: b.burst,
        }),
    };
    let q = Check {
        jti: id.as_ref().and_then(|i| i.jti.as_deref()),
        sub: id.as_ref().and_then(|i| i.sub.as_deref()),
        iat: id.as_ref().and_then(|i| i.iat),
        bucket: if explain { None } else { bucket.clone() },
    };
    if q.jti.is_none() && q.sub.is_none() && q.bucket.is_none() {
        ctx.step("store", "revocation", Outcome::Skip, || "nothing to check".into());
        return Flow::Continue;
    }
    let Some(store) = &shared.store else {
        ctx.step("store", "revocation", Outcome::Skip, || "store not opened".into());
        return Flow::Continue;
    };
    if explain {
        store.wait_current(std::time::Duration::from_secs(2)).await;
    }
    store.count_request();
    let policy = policy(shared, route.on_store_error);
    if q.jti.is_some() || q.sub.is_some() {
        // Failing open still refuses what the last known copy says is revoked.
        let answer = match store.revoked(&q) {
            Err(_) if policy.revocation == Policy::FailOpen && store.revoked_last_known(&q) => Ok(true),
            other => other,
        };
        match answer {
            Ok(true) => {
                if let Some(id) = &id {
                    shared.cache.drop_matching(id.jti.as_deref(), None);
                }
                ctx.step("store", "revocation", Outcome::Fail, || {
                    format!("revoked (jti {:?}, sub {:?})", q.jti, q.sub)
                });
                let provider = ctx.provider.clone();
                return reject(
                    ctx,
                    provider.as_ref(),
                    jwtkit::Error::new(ErrorKind::Revoked, "token revoked"),
                );
            }
            Ok(false) => ctx.step("store", "revocation", Outcome::Pass, || {
                format!("not revoked (jti {:?}, sub {:?})", q.jti, q.sub)
            }),
            Err(e) => {
                if let Some(flow) = on_error(ctx, &route.name, "revocation", policy.revocation, &e) {
                    return flow;
                }
            }
        }
    }
    let Some(b) = &bucket else {
        return Flow::Continue;
    };
    if explain {
        ctx.step("store", "rate limit", Outcome::Skip, || {
            format!(
                "bucket {:?} ({}/s, burst {}) not consumed by explain",
                b.key, b.per_second, b.burst
            )
        });
        return Flow::Continue;
    }
    match store.take(b).await {
        Ok(Decision::Allow) => Flow::Continue,
        Ok(Decision::Deny { retry_after }) => deny(ctx, Rejection::RateLimited { retry_after }),
        Err(e) => on_error(ctx, &route.name, "rate limit", policy.rate_limit, &e).unwrap_or(Flow::Continue),
    }
}

/// Apply a feature's failure policy: Some(503) when it fails closed.
pub(crate) fn on_error(
    ctx: &mut Ctx,
    route: &str,
    feature: &'static str,
    policy: Policy,
    e: &crate::store::StoreError,
) -> Option<Flow> {
    match policy {
        Policy::FailOpen => {
            ctx.step("store", feature, Outcome::Skip, || {
                format!("store error, fail_open: {e}")
            });
            tracing::warn!(route, feature, error = %e, "store unavailable; fail_open lets the request through");
            None
        }
        Policy::FailClosed => {
            ctx.step("store", feature, Outcome::Fail, || {
                format!("store error, fail_closed: {e}")
            });
            Some(deny(ctx, Rejection::StoreUnavailable))
        }
    }
}
