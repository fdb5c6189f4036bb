//! Where revocations and rate-limit counters live: [`embedded`] (a redb file, the default) or
//! [`redis`] (shared by every instance).
//!
//! A request needs one store call ([`Store::check`]): revocation by `jti` and `sub`, then the
//! token bucket. With Redis that is a single Lua script, so one round trip per request and
//! atomic across instances. Errors are counted, flip [`Store::healthy`] (shown in `/readyz`
//! and metrics), and the route's `on_store_error` decides between 503 and going on.

pub mod embedded;
pub mod redis;

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

/// The answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CheckResult {
    /// The token is revoked.
    pub revoked: bool,
    /// The rate-limit decision (`Allow` when no bucket was asked or the token is revoked).
    pub rate: Decision,
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
    /// unhealthy and connects in the background.
    ///
    /// # Errors
    /// The embedded file cannot be opened (e.g. another process holds it), or a bad Redis URL.
    pub fn open(c: &StoreConfig) -> anyhow::Result<Store> {
        Ok(match c.kind {
            StoreKind::Embedded => Store::Embedded(embedded::EmbeddedStore::open(
                c.path.clone().unwrap_or_else(|| "jwtkit-gateway.db".into()),
            )?),
            StoreKind::Redis => {
                let url = crate::config::resolve_secret(c.url.as_deref().unwrap_or_default())?;
                Store::Redis(redis::RedisStore::new(&url, &c.prefix, c.timeout.0)?)
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

    /// Revocation and rate limit for one request.
    ///
    /// # Errors
    /// The store cannot be reached in time.
    pub async fn check(&self, q: &Check<'_>) -> Result<CheckResult, StoreError> {
        let r = match self {
            Store::Embedded(s) => Ok(s.check(q)),
            Store::Redis(s) => s.check(q).await,
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

    /// Drop expired entries (embedded; Redis expires keys itself).
    pub async fn purge_expired(&self) {
        if let Store::Embedded(s) = self {
            s.purge_expired().await;
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
    use jwtkit::jwt::time::Clock;
    jwtkit::jwt::time::SystemClock.now()
}
