//! Token buckets (`per_second` refill, `burst` capacity), per route and per claim value or
//! client IP. The embedded store keeps buckets in memory ([`LocalBuckets`]); the Redis store
//! runs the same arithmetic atomically in a Lua script so every instance shares one bucket:
//! on every request (`rate_limit_mode = "exact"`), or batched ([`SyncedBuckets`]).
//!
//! # Batched mode and its over-admission bound
//! Each instance decides locally against its view of the shared bucket: the token count Redis
//! returned at the last sync, refilled locally at `per_second`, minus what this instance
//! admitted since. Every `rate_limit_sync` (T) it sends what it admitted (a debit, one script
//! per bucket that admitted something) and gets the shared count back; a view used but not
//! synced for a second is read again. Store operations per request ≈ (buckets active per
//! interval) / (requests per interval). A bucket this instance has not
//! seen yet is taken exactly (one round trip), which also loads the view.
//!
//! With N instances, within one sync interval each of the other N − 1 instances may spend the
//! same tokens: the fleet admits at most (N − 1) · (B + per_second · T) requests beyond the
//! exact limit per interval, where B ≤ `burst` is the count seen at the last sync. Debits are
//! recorded in Redis (the count may go below zero, down to −10 · burst), so the next interval
//! starts from the true count and the long-run rate stays `per_second`. One instance (N = 1)
//! is exact. While Redis is unreachable, known buckets keep limiting per instance.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// A rate-limit decision.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Go ahead.
    Allow,
    /// Refused; retry after this many seconds (at least 1).
    Deny {
        /// Seconds.
        retry_after: u64,
    },
}

/// One request against a bucket.
#[derive(Clone, Debug)]
pub struct BucketRequest {
    /// Bucket key (route name and claim value or IP).
    pub key: String,
    /// Refill rate, tokens per second.
    pub per_second: f64,
    /// Capacity.
    pub burst: u32,
}

/// Refill, then take one token. Returns the new token count and the decision.
pub fn take(tokens: f64, elapsed_secs: f64, per_second: f64, burst: u32) -> (f64, Decision) {
    let burst = f64::from(burst);
    let tokens = (tokens + elapsed_secs.max(0.0) * per_second).min(burst);
    if tokens >= 1.0 {
        (tokens - 1.0, Decision::Allow)
    } else {
        let wait = ((1.0 - tokens) / per_second).ceil().max(1.0);
        (
            tokens,
            Decision::Deny {
                retry_after: wait as u64,
            },
        )
    }
}

const SHARDS: usize = 16;

/// In-memory buckets, bounded: at most `max_keys` buckets; when full, buckets that have
/// refilled completely (and so carry no state) are dropped first.
pub struct LocalBuckets {
    shards: Vec<Mutex<HashMap<String, (f64, Instant)>>>,
    per_shard: usize,
}

impl LocalBuckets {
    /// Hold at most `max_keys` buckets.
    pub fn new(max_keys: usize) -> LocalBuckets {
        LocalBuckets {
            shards: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(),
            per_shard: max_keys.div_ceil(SHARDS).max(1),
        }
    }

    /// Take one token from the bucket named in `req`.
    pub fn take(&self, req: &BucketRequest) -> Decision {
        let h = req.key.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
        });
        let mut shard = self.shards[(h as usize) % SHARDS]
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        if shard.len() >= self.per_shard && !shard.contains_key(&req.key) {
            let burst = f64::from(req.burst);
            shard.retain(|_, (t, at)| *t + now.duration_since(*at).as_secs_f64() * req.per_second < burst);
            if shard.len() >= self.per_shard
                && let Some(k) = shard.keys().next().cloned()
            {
                shard.remove(&k);
            }
        }
        let entry = shard
            .entry(req.key.clone())
            .or_insert((f64::from(req.burst), now));
        let (tokens, d) = take(
            entry.0,
            now.duration_since(entry.1).as_secs_f64(),
            req.per_second,
            req.burst,
        );
        *entry = (tokens, now);
        d
    }
}

/// One instance's view of a shared bucket (batched mode).
struct View {
    per_second: f64,
    burst: u32,
    /// Shared tokens at the last sync.
    tokens: f64,
    synced_at: Instant,
    /// Admitted here since the shared count was read.
    taken: u32,
    /// Admitted here and not yet sent.
    pending: u32,
    last_used: Instant,
}

/// Local views of shared buckets, synced with Redis by [`sync_task`]. Bounded: at most
/// `max_keys` views; when full, views unused for the longest are dropped (their unsent count
/// is lost, which only under-counts a bucket idle since before the last sync).
pub struct SyncedBuckets {
    shards: Vec<Mutex<HashMap<String, View>>>,
    per_shard: usize,
}

fn shard_of(key: &str) -> usize {
    let h = key.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    });
    (h as usize) % SHARDS
}

impl SyncedBuckets {
    /// Hold at most `max_keys` views.
    pub fn new(max_keys: usize) -> SyncedBuckets {
        SyncedBuckets {
            shards: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(),
            per_shard: max_keys.div_ceil(SHARDS).max(1),
        }
    }

    fn shard(&self, key: &str) -> std::sync::MutexGuard<'_, HashMap<String, View>> {
        self.shards[shard_of(key)]
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    }

    /// Decide locally; None when this instance has no view of the bucket yet.
    pub fn take(&self, req: &BucketRequest) -> Option<Decision> {
        let mut shard = self.shard(&req.key);
        let v = shard.get_mut(&req.key)?;
        let now = Instant::now();
        v.last_used = now;
        let (_, d) = take(
            v.tokens - f64::from(v.taken),
            now.duration_since(v.synced_at).as_secs_f64(),
            req.per_second,
            req.burst,
        );
        if d == Decision::Allow {
            v.taken += 1;
            v.pending += 1;
        }
        Some(d)
    }

    /// Start a view from an exact take that left `tokens` in the shared bucket.
    pub fn learn(&self, req: &BucketRequest, tokens: f64) {
        let mut shard = self.shard(&req.key);
        let now = Instant::now();
        if shard.len() >= self.per_shard && !shard.contains_key(&req.key) {
            let oldest = shard
                .iter()
                .min_by_key(|(_, v)| v.last_used)
                .map(|(k, _)| k.clone());
            if let Some(k) = oldest {
                shard.remove(&k);
            }
        }
        shard.entry(req.key.clone()).or_insert(View {
            per_second: req.per_second,
            burst: req.burst,
            tokens,
            synced_at: now,
            taken: 0,
            pending: 0,
            last_used: now,
        });
    }

    /// Buckets to sync now, with the count each admitted since the last send: those that
    /// admitted something, and, to see the other instances' use, those used within the last
    /// `refresh` whose view is older than `refresh` (at most one read per bucket per
    /// `refresh`). Views unused for `idle` are dropped.
    pub fn drain(&self, refresh: Duration, idle: Duration) -> Vec<(BucketRequest, u32)> {
        let mut out = Vec::new();
        for shard in &self.shards {
            let mut shard = shard.lock().unwrap_or_else(|e| e.into_inner());
            shard.retain(|_, v| v.pending > 0 || v.last_used.elapsed() <= idle);
            let due = |v: &View| {
                v.pending > 0 || (v.last_used.elapsed() <= refresh && v.synced_at.elapsed() >= refresh)
            };
            for (k, v) in shard.iter_mut().filter(|(_, v)| due(v)) {
                out.push((
                    BucketRequest {
                        key: k.clone(),
                        per_second: v.per_second,
                        burst: v.burst,
                    },
                    std::mem::take(&mut v.pending),
                ));
            }
        }
        out
    }

    /// The shared count after a sync: admissions since the drain stay counted as taken.
    pub fn synced(&self, key: &str, tokens: f64) {
        if let Some(v) = self.shard(key).get_mut(key) {
            v.tokens = tokens;
            v.synced_at = Instant::now();
            v.taken = v.pending;
        }
    }

    /// A sync failed: keep the count to send next time.
    pub fn unsent(&self, key: &str, n: u32) {
        if let Some(v) = self.shard(key).get_mut(key) {
            v.pending += n;
        }
    }

    /// Views held.
    pub fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|s| s.lock().unwrap_or_else(|e| e.into_inner()).len())
            .sum()
    }

    /// No views.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Every `interval`, send each recently used bucket's admissions and read the shared counts.
pub async fn sync_task(
    redis: Arc<crate::store::redis::Redis>,
    buckets: Arc<SyncedBuckets>,
    interval: Duration,
) {
    let mut tick = tokio::time::interval(interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let batch = buckets.drain(
            Duration::from_secs(1).max(interval),
            Duration::from_secs(10).max(interval * 10),
        );
        let calls = batch.iter().map(|(b, n)| {
            let redis = &redis;
            async move { (b, *n, redis.bucket(b, Some(*n)).await) }
        });
        for (b, n, r) in futures_util::future::join_all(calls).await {
            match r {
                Ok(reply) => buckets.synced(&b.key, reply.tokens),
                Err(_) => buckets.unsent(&b.key, n),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_arithmetic() {
        let (t, d) = take(0.0, 0.5, 2.0, 5);
        assert_eq!((t, d), (0.0, Decision::Allow));
        let (_, d) = take(0.0, 0.0, 0.5, 5);
        assert_eq!(d, Decision::Deny { retry_after: 2 });
        assert_eq!(take(4.0, 100.0, 1.0, 5).0, 4.0);
        let b = LocalBuckets::new(10);
        let req = BucketRequest {
            key: "r:alice".into(),
            per_second: 0.001,
            burst: 3,
        };
        let got: Vec<Decision> = (0..4).map(|_| b.take(&req)).collect();
        assert_eq!(&got[..3], &[Decision::Allow; 3]);
        assert!(matches!(got[3], Decision::Deny { retry_after } if retry_after >= 999));
        for i in 0..100 {
            b.take(&BucketRequest {
                key: format!("k{i}"),
                per_second: 1.0,
                burst: 1,
            });
        }
        let n: usize = b.shards.iter().map(|s| s.lock().unwrap().len()).sum();
        assert!(n <= 16, "{n}");
    }

    #[test]
    fn synced_buckets_spend_the_shared_count_and_keep_what_was_admitted_during_a_sync() {
        let b = SyncedBuckets::new(100);
        let req = BucketRequest {
            key: "r|sub|v:alice".into(),
            per_second: 0.001,
            burst: 10,
        };
        assert_eq!(b.take(&req), None, "unknown bucket: taken exactly first");
        // The exact take left 3 tokens in the shared bucket.
        b.learn(&req, 3.0);
        let got: Vec<Decision> = (0..4).map(|_| b.take(&req).unwrap()).collect();
        assert_eq!(&got[..3], &[Decision::Allow; 3]);
        assert!(matches!(got[3], Decision::Deny { .. }));
        // The sync sends the 3 admitted; one more is admitted while it is in flight.
        let batch = b.drain(Duration::from_secs(1), Duration::from_secs(10));
        assert_eq!(batch.len(), 1);
        assert_eq!((batch[0].0.key.as_str(), batch[0].1), ("r|sub|v:alice", 3));
        b.learn(&req, 0.0);
        b.synced(&req.key, 2.0);
        assert_eq!(b.take(&req), Some(Decision::Allow));
        b.synced(&req.key, 2.0);
        // 2 shared, 1 admitted since the drain: one left.
        assert_eq!(b.take(&req), Some(Decision::Allow));
        assert!(matches!(b.take(&req), Some(Decision::Deny { .. })));
        let batch = b.drain(Duration::from_secs(1), Duration::from_secs(10));
        assert_eq!(batch[0].1, 2);
        b.unsent(&req.key, 2);
        let second = Duration::from_secs(1);
        assert_eq!(b.drain(second, second)[0].1, 2, "a failed sync is sent again");
        assert!(
            b.drain(second, second).is_empty(),
            "nothing admitted, view fresh: nothing to send"
        );
        std::thread::sleep(Duration::from_millis(20));
        let _ = b.take(&req);
        let refresh = Duration::from_millis(10);
        assert_eq!(
            b.drain(refresh, second).len(),
            1,
            "a used view older than refresh is read again"
        );
        assert_eq!(b.len(), 1);
        assert!(b.drain(second, Duration::ZERO).is_empty());
        assert!(b.is_empty(), "an idle view is dropped");
    }
}
