//! Where revocations and rate-limit counters live: [`embedded`] (a redb file, the default) or
//! [`redis`] (shared by every instance).
//!
//! A request asks two things: [`Store::revoked`] (by `jti` and `sub`, always from memory: the
//! embedded file's mirror, or with Redis each instance's copy kept current over pub/sub, see
//! [`revocation_sync`]), then [`Store::take`] (the token bucket: in memory, or in Redis per
//! request or batched, see [`crate::rate_limit`]). Errors are counted, flip
//! [`Store::healthy`] (shown in `/readyz` and metrics), and each feature's failure policy
//! (`store.on_error`, or the route's `on_store_error = "fail_open"`) decides between 503 and
//! going on.

pub mod config;
pub mod connect;
pub mod embedded;
pub mod phase;
pub mod redis;
pub mod replay;
pub mod revocation_sync;

use std::sync::atomic::{AtomicBool, Ordering};

use crate::config::{StoreConfig, StoreKind};
use crate::rate_limit::{BucketRequest, Decision};
use crate::revocation::Revocation;

/// What one request asks the store.
#[derive(Clone, Debug, Default)]
pub struct Check<'a> {
    /// Token `jti`.
    pub jti: Option<&'a str>,
    /// Token `sub`.
    pub sub: Option<&'a str>,
    /// Token `iat`, seconds.
    pub iat: Option<f64>,
    /// Bucket to take a token from, if the route limits.
    pub bucket: Option<BucketRequest>,
}

/// A page of revocations.
#[derive(Clone, Debug)]
pub struct Page {
    /// Entries.
    pub items: Vec<Revocation>,
    /// Cursor for the next page, if any.
    pub next: Option<String>,
}

/// A store failure.
#[derive(Debug)]
pub struct StoreError(pub String);

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for StoreError {}

/// The configured store.
pub enum Store {
    /// redb file + in-memory buckets.
    Embedded(embedded::EmbeddedStore),
    /// Redis.
    Redis(redis::RedisStore),
}

impl Store {
    /// Open the configured store. An unreachable Redis is not an error here: the store starts
    /// unhealthy and connects in the background. Must run inside a Tokio runtime (Redis starts
    /// its sync tasks).
    ///
    /// # Errors
    /// The embedded file cannot be opened (e.g. another process holds it); for Redis, a
    /// missing secret or TLS file, or a URL the `redis` crate refuses.
    pub fn open(c: &StoreConfig) -> anyhow::Result<Store> {
        Ok(match c.kind {
            StoreKind::Embedded => Store::Embedded(embedded::EmbeddedStore::open(
                c.path.clone().unwrap_or_else(|| "jwtkit-gateway.db".into()),
            )?),
            StoreKind::Redis => {
                let params = config::RedisParams::resolve(c)?;
                Store::Redis(redis::RedisStore::new(&params, c)?)
            }
        })
    }

    /// `"embedded"` or `"redis"`.
    pub fn kind(&self) -> &'static str {
        match self {
            Store::Embedded(_) => "embedded",
            Store::Redis(_) => "redis",
        }
    }

    /// Count one request that reached the store phase.
    pub fn count_request(&self) {
        if let Store::Redis(s) = self {
            s.requests.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Whether the token is revoked, from memory (no round trip).
    ///
    /// # Errors
    /// Redis: the in-memory copy is not known to be current (store away, resynchronising).
    pub fn revoked(&self, q: &Check<'_>) -> Result<bool, StoreError> {
        match self {
            Store::Embedded(s) => Ok(s.revoked(q)),
            Store::Redis(s) => s.replica.revoked(q.jti, q.sub, q.iat),
        }
    }

    /// Whether the last known revocation set (possibly stale) revokes the token: what a
    /// route failing open still refuses.
    pub fn revoked_last_known(&self, q: &Check<'_>) -> bool {
        match self {
            Store::Embedded(s) => s.revoked(q),
            Store::Redis(s) => s.replica.last_known(q.jti, q.sub, q.iat),
        }
    }

    /// Wait until the revocation copy is current, at most `limit` (for `explain`, which runs
    /// once right after opening the store).
    pub async fn wait_current(&self, limit: std::time::Duration) {
        if let Store::Redis(s) = self {
            let deadline = std::time::Instant::now() + limit;
            while !s.replica.current() && std::time::Instant::now() < deadline {
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
        }
    }

    /// At start: probe the store, and with Redis give the revocation copy up to twice the
    /// command timeout to load, so a healthy instance serves from its first request.
    pub async fn started(&self) {
        let _ = self.ping().await;
        if let Store::Redis(s) = self {
            self.wait_current(s.redis.timeout() * 2).await;
        }
    }

    /// Take one token from a bucket.
    ///
    /// # Errors
    /// Redis: the store cannot be reached in time.
    pub async fn take(&self, b: &BucketRequest) -> Result<Decision, StoreError> {
        let r = match self {
            Store::Embedded(s) => Ok(s.take(b)),
            Store::Redis(s) => s.take(b).await,
        };
        self.record(&r);
        r
    }

    /// Record a one-time value (a DPoP proof's `jti`, by key, RFC 9449 §11.1) for `ttl`: true
    /// the first time, false when it was recorded before and has not expired. With Redis one
    /// `SET NX EX` shared by every instance; embedded, in this instance's memory (bounded).
    ///
    /// # Errors
    /// Redis: the store cannot be reached in time. Embedded: the cache is full of live entries.
    pub async fn first_use(&self, id: &str, ttl: std::time::Duration) -> Result<bool, StoreError> {
        let r = match self {
            Store::Embedded(s) => s.seen.first_use(id, ttl),
            Store::Redis(s) => s.redis.first_use(id, ttl).await,
        };
        self.record(&r);
        r
    }

    /// Add a revocation; returns only after it is durable (fsync'd, or acknowledged by Redis).
    ///
    /// # Errors
    /// Write failures.
    pub async fn revoke(&self, r: Revocation) -> Result<(), StoreError> {
        let res = match self {
            Store::Embedded(s) => s.revoke(r).await,
            Store::Redis(s) => s.revoke(&r).await,
        };
        self.record(&res);
        res
    }

    /// List live revocations, `limit` per page, from `cursor`.
    ///
    /// # Errors
    /// Read failures.
    pub async fn list(&self, cursor: Option<&str>, limit: usize) -> Result<Page, StoreError> {
        let r = match self {
            Store::Embedded(s) => Ok(s.list(cursor, limit)),
            Store::Redis(s) => s.list(cursor, limit).await,
        };
        self.record(&r);
        r
    }

    /// Remove a revocation by id (`jti:…`/`sub:…`); true when it existed.
    ///
    /// # Errors
    /// Write failures.
    pub async fn delete(&self, id: &str) -> Result<bool, StoreError> {
        let r = match self {
            Store::Embedded(s) => s.delete(id).await,
            Store::Redis(s) => s.delete(id).await,
        };
        self.record(&r);
        r
    }

    /// Probe the store (readiness).
    ///
    /// # Errors
    /// Unreachable.
    pub async fn ping(&self) -> Result<(), StoreError> {
        let r = match self {
            Store::Embedded(_) => Ok(()),
            Store::Redis(s) => s.ping().await,
        };
        self.record(&r);
        r
    }

    /// Drop expired entries (the embedded file; the in-memory Redis copy. Redis itself drops
    /// them on the next write).
    pub async fn purge_expired(&self) {
        match self {
            Store::Embedded(s) => s.purge_expired().await,
            Store::Redis(s) => s.replica.purge(),
        }
    }

    /// Store facts for `/readyz`: topology, where commands go, revocation sync state. The
    /// second value is false when revocations cannot be answered now.
    pub fn status(&self) -> (serde_json::Value, bool) {
        match self {
            Store::Embedded(s) => (
                serde_json::json!({"topology": "embedded", "revocations": {"entries": s.len(), "current": true}}),
                true,
            ),
            Store::Redis(s) => {
                let st = s.replica.status();
                let requests = s.requests.load(Ordering::Relaxed);
                let trips = s.redis.round_trips.load(Ordering::Relaxed);
                (
                    serde_json::json!({
                        "topology": s.topology,
                        "requests": requests,
                        "round_trips": trips,
                        "target": s.describe(),
                        "rate_limit_mode": if s.buckets.is_some() { "batched" } else { "exact" },
                        "revocations": {
                            "subscribed": st.subscribed,
                            "current": st.current,
                            "entries": st.entries,
                            "confirmed_age_ms": st.age.map(|d| d.as_millis() as u64),
                            "loaded_age_seconds": st.loaded_age.map(|d| d.as_secs()),
                            "loads": s.replica.syncs.load(Ordering::Relaxed),
                        },
                    }),
                    st.current,
                )
            }
        }
    }

    /// Refresh the store gauges and counters (called when `/metrics` renders).
    pub fn export_metrics(&self) {
        let Store::Redis(s) = self else {
            return;
        };
        let requests = s.requests.load(Ordering::Relaxed);
        metrics::counter!("jwtkit_gateway_store_requests_total").absolute(requests);
        let trips = s.redis.round_trips.load(Ordering::Relaxed);
        metrics::counter!("jwtkit_gateway_store_round_trips_total").absolute(trips);
        metrics::gauge!("jwtkit_gateway_store_round_trips_per_request").set(if requests == 0 {
            0.0
        } else {
            trips as f64 / requests as f64
        });
        let st = s.replica.status();
        metrics::gauge!("jwtkit_gateway_store_topology", "topology" => s.topology).set(1.0);
        metrics::gauge!("jwtkit_gateway_revocation_sync_subscribed").set(if st.subscribed {
            1.0
        } else {
            0.0
        });
        metrics::gauge!("jwtkit_gateway_revocation_sync_current").set(if st.current { 1.0 } else { 0.0 });
        metrics::gauge!("jwtkit_gateway_revocation_set_entries").set(st.entries as f64);
        metrics::gauge!("jwtkit_gateway_revocation_sync_age_seconds")
            .set(st.age.map_or(f64::NAN, |d| d.as_secs_f64()));
        metrics::counter!("jwtkit_gateway_revocation_resyncs_total")
            .absolute(s.replica.syncs.load(Ordering::Relaxed));
        metrics::counter!("jwtkit_gateway_revocation_messages_total")
            .absolute(s.replica.messages.load(Ordering::Relaxed));
        if let Some(b) = &s.buckets {
            metrics::gauge!("jwtkit_gateway_rate_limit_local_buckets").set(b.len() as f64);
        }
    }

    /// Whether the last operation succeeded.
    pub fn healthy(&self) -> bool {
        health(self).load(Ordering::Relaxed)
    }

    fn record<T>(&self, r: &Result<T, StoreError>) {
        let was = health(self).swap(r.is_ok(), Ordering::Relaxed);
        if let Err(e) = r {
            metrics::counter!("jwtkit_gateway_store_errors_total", "store" => self.kind()).increment(1);
            if was {
                tracing::error!(store = self.kind(), error = %e, "store unreachable");
            }
        } else if !was {
            tracing::info!(store = self.kind(), "store reachable again");
        }
        metrics::gauge!("jwtkit_gateway_store_up", "store" => self.kind()).set(if r.is_ok() {
            1.0
        } else {
            0.0
        });
    }
}

fn health(s: &Store) -> &AtomicBool {
    match s {
        Store::Embedded(s) => &s.healthy,
        Store::Redis(s) => &s.healthy,
    }
}

/// Seconds since the epoch.
pub fn now_secs() -> i64 {
    jwtkit::jwt::NumericDate::now()
}
