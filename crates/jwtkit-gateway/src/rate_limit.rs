//! Token buckets (`per_second` refill, `burst` capacity), per route and per claim value or
//! client IP. The embedded store keeps buckets in memory ([`LocalBuckets`]); the Redis store
//! runs the same arithmetic atomically in a Lua script so every instance shares one bucket.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

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
}
