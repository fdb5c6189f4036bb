//! Prometheus metrics (served on the admin listener at `/metrics`).
//!
//! | metric | type | labels |
//! |---|---|---|
//! | `jwtkit_gateway_requests_total` | counter | `route`, `outcome` (`forwarded` or a rejection reason) |
//! | `jwtkit_gateway_rejections_total` | counter | `reason` (error kind), `issuer` |
//! | `jwtkit_gateway_verify_seconds` | histogram | — (signature + claims, cache misses only) |
//! | `jwtkit_gateway_token_cache_hits_total` / `_misses_total` / `_hit_ratio` | counter / gauge | — |
//! | `jwtkit_gateway_jwks_fetches_total` / `_fetch_failures_total` / `_key_set_age_seconds` / `_keys_ready` | counter / gauge | `provider` |
//! | `jwtkit_gateway_store_errors_total` / `jwtkit_gateway_store_up` | counter / gauge | `store` |
//! | `jwtkit_gateway_store_topology` | gauge (1) | `topology` (`standalone`, `sentinel`, `cluster`) |
//! | `jwtkit_gateway_store_requests_total` / `_round_trips_total` / `_round_trips_per_request` | counter / gauge | — (Redis) |
//! | `jwtkit_gateway_revocation_sync_subscribed` / `_current` / `_age_seconds` | gauge | — (Redis) |
//! | `jwtkit_gateway_revocation_set_entries` / `_resyncs_total` / `_messages_total` | gauge / counter | — (Redis) |
//! | `jwtkit_gateway_rate_limit_local_buckets` | gauge | — (Redis, batched) |
//! | `jwtkit_gateway_revocations_total` | counter | `kind` (`jti`, `sub`) |
//! | `jwtkit_gateway_introspection_requests_total` / `_seconds` | counter / histogram | `provider`, `result` ([`crate::introspection`]) |
//! | `jwtkit_gateway_config_reloads_total` | counter | `result` |
//! | `jwtkit_gateway_tls_handshake_failures_total` | counter | `reason` (see [`crate::listener_tls`]) |

use std::sync::OnceLock;

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use crate::Shared;

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Install the process-wide recorder once (later calls share it). None if another recorder
/// was installed first.
pub fn install() -> Option<&'static PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            PrometheusBuilder::new()
                .set_buckets_for_metric(
                    Matcher::Full("jwtkit_gateway_verify_seconds".into()),
                    &[
                        0.00002, 0.00005, 0.0001, 0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.05, 0.1, 1.0,
                    ],
                )
                .ok()?
                .install_recorder()
                .ok()
        })
        .as_ref()
}

/// Refresh gauges that mirror state (key sources, cache), then render the text format.
pub fn render(shared: &Shared) -> String {
    let state = shared.state.load();
    for p in &state.providers {
        let s = p.keys.status();
        let name = p.name.to_string();
        metrics::counter!("jwtkit_gateway_jwks_fetches_total", "provider" => name.clone())
            .absolute(s.fetch_count);
        metrics::counter!("jwtkit_gateway_jwks_fetch_failures_total", "provider" => name.clone())
            .absolute(s.failure_count);
        metrics::gauge!("jwtkit_gateway_jwks_key_set_age_seconds", "provider" => name.clone())
            .set(s.key_set_age.map_or(f64::NAN, |d| d.as_secs_f64()));
        metrics::gauge!("jwtkit_gateway_keys_ready", "provider" => name).set(if s.ready { 1.0 } else { 0.0 });
    }
    let (hits, misses) = shared.cache.counts();
    metrics::counter!("jwtkit_gateway_token_cache_hits_total").absolute(hits);
    metrics::counter!("jwtkit_gateway_token_cache_misses_total").absolute(misses);
    let total = hits + misses;
    metrics::gauge!("jwtkit_gateway_token_cache_hit_ratio").set(if total == 0 {
        0.0
    } else {
        hits as f64 / total as f64
    });
    metrics::gauge!("jwtkit_gateway_token_cache_entries").set(shared.cache.len() as f64);
    if let Some(s) = &shared.store {
        s.export_metrics();
    }
    install().map(|h| h.render()).unwrap_or_default()
}
