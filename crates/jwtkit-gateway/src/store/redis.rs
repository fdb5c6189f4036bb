//! The Redis store: revocations and token buckets shared by every gateway instance, on one
//! server, behind Sentinel, or on a Cluster ([`super::connect`]).
//!
//! Keys (all under `prefix`; `{rev}` is a Redis Cluster hash tag, so every revocation key is in
//! one slot and one script can touch them all):
//! - `{rev}:entries` hash id (`jti:…`/`sub:…`) → entry JSON; `{rev}:expiry` sorted set
//!   id → expiry (seconds); `{rev}:seq` the change counter; channel `{rev}:events`.
//! - `rl:{<route>|<claim>|<value>}` hash per bucket (one key per script).
//!
//! A revocation is one script ([`REVOKE_SCRIPT`]): write, `INCR` the counter, `PUBLISH` the
//! change; with `wait_replicas`, `WAIT` follows on the same connection before the 201.
//! Requests read revocations from the in-memory copy ([`super::revocation_sync`]); only rate
//! limits reach Redis on the request path ([`BUCKET_SCRIPT`], or batched, see
//! [`crate::rate_limit`]). Every command used exists in Valkey too.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use super::config::{RateLimitMode, RedisParams};
use super::connect::{Connector, Link};
use super::revocation_sync::Replica;
use super::{Page, StoreError};
use crate::rate_limit::{BucketRequest, Decision, SyncedBuckets};
use crate::revocation::Revocation;

/// Drop expired revocations (bounded per call), shared by the scripts that write.
const PURGE: &str = r#"
local t = redis.call('TIME')
local now = tonumber(t[1])
local old = redis.call('ZRANGE', KEYS[2], '-inf', now, 'BYSCORE', 'LIMIT', 0, 1000)
for _, id in ipairs(old) do redis.call('HDEL', KEYS[1], id) end
if #old > 0 then redis.call('ZREM', KEYS[2], unpack(old)) end
"#;

/// Add a revocation. KEYS: entries, expiry, seq. ARGV: id, entry JSON, expires_at, channel.
/// Returns the new sequence number.
pub const REVOKE_SCRIPT: &str = r#"
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
local seq = redis.call('INCR', KEYS[3])
redis.call('PUBLISH', ARGV[4], '{"seq":' .. seq .. ',"op":"add","entry":' .. ARGV[2] .. '}')
return seq
"#;

/// Remove a revocation. KEYS: entries, expiry, seq. ARGV: id, id as a JSON string, channel.
/// Returns 1 when it existed.
pub const DELETE_SCRIPT: &str = r#"
local n = redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
if n == 1 then
  local seq = redis.call('INCR', KEYS[3])
  redis.call('PUBLISH', ARGV[3], '{"seq":' .. seq .. ',"op":"del","id":' .. ARGV[2] .. '}')
end
return n
"#;

/// Every live revocation and the sequence number they reflect, atomically.
/// KEYS: entries, expiry, seq. Returns `{seq, json…}`.
pub const SNAPSHOT_SCRIPT: &str = r#"
local seq = redis.call('GET', KEYS[3]) or '0'
local out = {seq}
local all = redis.call('HGETALL', KEYS[1])
for i = 2, #all, 2 do out[#out + 1] = all[i] end
return out
"#;

/// Token bucket with Redis' clock. KEYS: bucket. ARGV: per_second, burst, n, mode.
/// Mode `take`: take one token if there is one. Mode `debit`: subtract `n` tokens admitted
/// elsewhere (may go below zero: the debt is paid back by refill). Returns
/// `{allowed, retry_after_ms, tokens (string)}`.
pub const BUCKET_SCRIPT: &str = r#"
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local b = redis.call('HMGET', KEYS[1], 't', 'ts')
local tokens = tonumber(b[1])
local ts = tonumber(b[2])
if tokens == nil or ts == nil then tokens = burst; ts = now end
if now > ts then tokens = math.min(burst, tokens + (now - ts) * rate / 1000); ts = now end
local allowed = 0
local retry = 0
if ARGV[4] == 'debit' then
  tokens = math.max(tokens - tonumber(ARGV[3]), -10 * burst)
  allowed = 1
elseif tokens >= 1 then tokens = tokens - 1; allowed = 1
else retry = math.ceil((1 - tokens) * 1000 / rate) end
redis.call('HSET', KEYS[1], 't', tostring(tokens), 'ts', tostring(ts))
redis.call('PEXPIRE', KEYS[1], math.ceil(2 * burst * 1000 / rate) + 1000)
return {allowed, retry, tostring(tokens)}
"#;

/// The key names of one store.
#[derive(Clone, Debug)]
pub struct Keys {
    /// `{rev}:entries`.
    pub entries: String,
    /// `{rev}:expiry`.
    pub expiry: String,
    /// `{rev}:seq`.
    pub seq: String,
    /// The pub/sub channel.
    pub channel: String,
    prefix: String,
}

impl Keys {
    fn new(prefix: &str) -> Keys {
        Keys {
            entries: format!("{prefix}{{rev}}:entries"),
            expiry: format!("{prefix}{{rev}}:expiry"),
            seq: format!("{prefix}{{rev}}:seq"),
            channel: format!("{prefix}{{rev}}:events"),
            prefix: prefix.to_string(),
        }
    }

    /// A one-time value's key (DPoP `jti`s): `<prefix>dpop:{<id>}`.
    pub fn seen(&self, id: &str) -> String {
        format!("{}dpop:{{{id}}}", self.prefix)
    }

    /// A bucket's key: its whole name is the hash tag.
    pub fn bucket(&self, name: &str) -> String {
        format!("{}rl:{{{name}}}", self.prefix)
    }
}

/// What Redis answered for one bucket operation.
#[derive(Clone, Copy, Debug)]
pub struct BucketReply {
    /// The decision (always `Allow` for a debit).
    pub decision: Decision,
    /// Tokens left in the shared bucket.
    pub tokens: f64,
}

/// The commands, shared by the store, the revocation sync task and the bucket sync task.
pub struct Redis {
    conn: Connector,
    /// A second connection for admin writes, so a `WAIT` never holds up request traffic.
    admin: Connector,
    timeout: Duration,
    /// Key names.
    pub keys: Keys,
    revoke: String,
    snapshot: redis::Script,
    bucket: redis::Script,
    wait_replicas: u32,
    /// Commands sent (pipelines and scripts count once).
    pub round_trips: AtomicU64,
}

fn err(e: impl std::fmt::Display) -> StoreError {
    StoreError(format!("redis: {e}"))
}

impl Redis {
    /// Run `f` on a link within the deadline; count the round trip.
    ///
    /// # Errors
    /// No connection, a Redis error, or no answer within the timeout.
    pub async fn run<T>(
        &self,
        admin: bool,
        f: impl AsyncFnOnce(Link) -> redis::RedisResult<T>,
    ) -> Result<T, StoreError> {
        let c = if admin { &self.admin } else { &self.conn };
        self.round_trips.fetch_add(1, Ordering::Relaxed);
        let work = async {
            let link = c.link().await?;
            f(link).await
        };
        // Admin writes may end with `WAIT` (up to `timeout` itself).
        let deadline = if admin { self.timeout * 3 } else { self.timeout };
        match tokio::time::timeout(deadline, work).await {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(e)) => {
                c.failed(&e);
                Err(err(e))
            }
            Err(_) => {
                c.timed_out();
                Err(StoreError(format!(
                    "redis: no answer within {} ms",
                    deadline.as_millis()
                )))
            }
        }
    }

    /// An admin pipeline (idempotent), tried once more on a fresh link after a connection
    /// error, so the first write after a Sentinel failover reaches the new master.
    ///
    /// # Errors
    /// As [`Redis::run`].
    async fn admin<T: redis::FromRedisValue>(&self, p: &redis::Pipeline) -> Result<T, StoreError> {
        let mut again = true;
        loop {
            let mut broken = false;
            let r = self
                .run(true, async |mut c| {
                    let r = p.query_async(&mut c).await;
                    if let Err(e) = &r {
                        broken = e.is_io_error() || e.is_connection_dropped() || e.is_connection_refusal();
                    }
                    r
                })
                .await;
            if r.is_ok() || !broken || !std::mem::take(&mut again) {
                return r;
            }
        }
    }

    /// The deadline per command.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// A new pub/sub connection.
    ///
    /// # Errors
    /// Nothing reachable.
    pub async fn subscriber(&self) -> Result<redis::aio::PubSub, StoreError> {
        self.conn.subscriber().await.map_err(err)
    }

    /// The sequence number of the last revocation change.
    ///
    /// # Errors
    /// Unreachable.
    pub async fn seq(&self) -> Result<i64, StoreError> {
        let key = self.keys.seq.clone();
        let v: Option<i64> = self
            .run(false, async |mut c| {
                redis::cmd("GET").arg(&key).query_async(&mut c).await
            })
            .await?;
        Ok(v.unwrap_or(0))
    }

    /// Every live revocation and the sequence number it reflects.
    ///
    /// # Errors
    /// Unreachable.
    pub async fn snapshot(&self) -> Result<(i64, Vec<Revocation>), StoreError> {
        let mut inv = self.snapshot.prepare_invoke();
        inv.key(&self.keys.entries)
            .key(&self.keys.expiry)
            .key(&self.keys.seq);
        let out: Vec<String> = self
            .run(false, async |mut c| inv.invoke_async(&mut c).await)
            .await?;
        let seq = out.first().and_then(|s| s.parse().ok()).unwrap_or(0);
        let now = super::now_secs();
        let items = out
            .iter()
            .skip(1)
            .filter_map(|v| serde_json::from_str::<Revocation>(v).ok())
            .filter(|r| r.expires_at > now)
            .collect();
        Ok((seq, items))
    }

    /// One bucket operation: take a token (`debit` None) or subtract `debit` tokens admitted
    /// by this instance's local bucket (0: just read the shared count).
    ///
    /// # Errors
    /// Unreachable.
    pub async fn bucket(&self, b: &BucketRequest, debit: Option<u32>) -> Result<BucketReply, StoreError> {
        let mut inv = self.bucket.prepare_invoke();
        inv.key(self.keys.bucket(&b.key))
            .arg(b.per_second)
            .arg(b.burst)
            .arg(debit.unwrap_or(0))
            .arg(if debit.is_some() { "debit" } else { "take" });
        let (allowed, retry_ms, tokens): (i64, i64, String) = self
            .run(false, async |mut c| inv.invoke_async(&mut c).await)
            .await?;
        Ok(BucketReply {
            decision: if allowed == 1 {
                Decision::Allow
            } else {
                Decision::Deny {
                    retry_after: u64::try_from(retry_ms).unwrap_or(1000).div_ceil(1000).max(1),
                }
            },
            tokens: tokens.parse().unwrap_or(0.0),
        })
    }

    /// `SET <seen key> 1 NX EX <ttl>`: true when the key did not exist (first use).
    ///
    /// # Errors
    /// As [`Redis::run`].
    pub async fn first_use(&self, id: &str, ttl: Duration) -> Result<bool, StoreError> {
        let mut cmd = redis::cmd("SET");
        cmd.arg(self.keys.seen(id))
            .arg(1)
            .arg("NX")
            .arg("EX")
            .arg(ttl.as_secs().max(1));
        let reply: Option<String> = self
            .run(false, async |mut c| cmd.query_async(&mut c).await)
            .await?;
        Ok(reply.is_some())
    }

    /// Run a write script (its text: a pipeline cannot fall back from `EVALSHA` on
    /// `NOSCRIPT`) on the admin connection, then `WAIT` for `wait_replicas` on the same one.
    async fn write(&self, script: &str, args: &[String]) -> Result<i64, StoreError> {
        let mut p = redis::pipe();
        let mut eval = redis::cmd("EVAL");
        eval.arg(script)
            .arg(3)
            .arg(&self.keys.entries)
            .arg(&self.keys.expiry)
            .arg(&self.keys.seq);
        for a in args {
            eval.arg(a);
        }
        p.add_command(eval);
        let n = self.wait_replicas;
        if n > 0 {
            p.cmd("WAIT").arg(n).arg(self.timeout.as_millis() as u64);
        }
        let out: Vec<i64> = self.admin(&p).await?;
        let result = out.first().copied().unwrap_or(0);
        if n > 0 {
            let acked = out.get(1).copied().unwrap_or(0);
            if acked < i64::from(n) {
                return Err(StoreError(format!(
                    "redis: the change reached {acked} of {n} replica(s) (store.wait_replicas) in time; \
                     it is on the master but a failover could lose it"
                )));
            }
        }
        Ok(result)
    }
}

/// Redis-backed store.
pub struct RedisStore {
    /// Commands.
    pub redis: Arc<Redis>,
    /// The in-memory revocation set and its sync state.
    pub replica: Arc<Replica>,
    /// Batched buckets (`rate_limit_mode = "batched"`).
    pub buckets: Option<Arc<SyncedBuckets>>,
    /// `standalone`, `sentinel` or `cluster`.
    pub topology: &'static str,
    pub(crate) healthy: AtomicBool,
    /// Requests that reached the store phase.
    pub requests: AtomicU64,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Drop for RedisStore {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

impl RedisStore {
    /// A store for `params`; connects lazily, reconnects on its own, and starts the revocation
    /// sync task (and the bucket sync task in batched mode). Must run inside a Tokio runtime.
    ///
    /// # Errors
    /// A URL or TLS file the `redis` crate refuses.
    pub fn new(params: &RedisParams, c: &crate::config::StoreConfig) -> anyhow::Result<RedisStore> {
        let timeout = c.timeout.0;
        let conn = Connector::new(params, timeout).map_err(|e| anyhow::anyhow!("store: {e}"))?;
        // Admin writes may wait up to `timeout` in `WAIT`: their connection allows 3×.
        let admin = Connector::new(params, timeout * 3).map_err(|e| anyhow::anyhow!("store: {e}"))?;
        let redis = Arc::new(Redis {
            conn,
            admin,
            timeout,
            keys: Keys::new(&c.prefix),
            revoke: format!("{PURGE}{REVOKE_SCRIPT}"),
            snapshot: redis::Script::new(SNAPSHOT_SCRIPT),
            bucket: redis::Script::new(BUCKET_SCRIPT),
            wait_replicas: c.wait_replicas,
            round_trips: AtomicU64::new(0),
        });
        let replica = Arc::new(Replica::new(c.revocation_max_staleness.0));
        let mut tasks = vec![tokio::spawn(super::revocation_sync::run(
            redis.clone(),
            replica.clone(),
        ))];
        let buckets =
            (c.rate_limit_mode == RateLimitMode::Batched).then(|| Arc::new(SyncedBuckets::new(100_000)));
        if let Some(b) = &buckets {
            tasks.push(tokio::spawn(crate::rate_limit::sync_task(
                redis.clone(),
                b.clone(),
                c.rate_limit_sync.0,
            )));
        }
        Ok(RedisStore {
            redis,
            replica,
            buckets,
            topology: params.topology.name(),
            healthy: AtomicBool::new(false),
            requests: AtomicU64::new(0),
            tasks,
        })
    }

    pub(crate) async fn take(&self, b: &BucketRequest) -> Result<Decision, StoreError> {
        match &self.buckets {
            Some(local) => {
                if let Some(d) = local.take(b) {
                    return Ok(d);
                }
                let reply = self.redis.bucket(b, None).await?;
                local.learn(b, reply.tokens);
                Ok(reply.decision)
            }
            None => Ok(self.redis.bucket(b, None).await?.decision),
        }
    }

    pub(crate) async fn revoke(&self, r: &Revocation) -> Result<(), StoreError> {
        let json = serde_json::to_string(r).map_err(err)?;
        let args = [
            r.id(),
            json,
            r.expires_at.to_string(),
            self.redis.keys.channel.clone(),
        ];
        self.redis.write(&self.redis.revoke, &args).await?;
        // This instance applies its own change now, not when the message comes back.
        self.replica.apply_local(Some(r.clone()), &r.id());
        Ok(())
    }

    pub(crate) async fn list(&self, cursor: Option<&str>, limit: usize) -> Result<Page, StoreError> {
        let now = super::now_secs();
        let offset: isize = cursor.and_then(|c| c.parse().ok()).unwrap_or(0);
        let (expiry, entries) = (self.redis.keys.expiry.clone(), self.redis.keys.entries.clone());
        let mut p = redis::pipe();
        p.cmd("ZRANGE")
            .arg(&expiry)
            .arg(format!("({now}"))
            .arg("+inf")
            .arg("BYSCORE")
            .arg("LIMIT")
            .arg(offset)
            .arg(limit + 1);
        let (ids,): (Vec<String>,) = self.redis.admin(&p).await?;
        let more = ids.len() > limit;
        let ids: Vec<String> = ids.into_iter().take(limit).collect();
        let mut items = Vec::new();
        if !ids.is_empty() {
            let mut p = redis::pipe();
            p.cmd("HMGET").arg(&entries).arg(&ids);
            let (vals,): (Vec<Option<String>>,) = self.redis.admin(&p).await?;
            items = vals
                .into_iter()
                .flatten()
                .filter_map(|v| serde_json::from_str(&v).ok())
                .collect();
        }
        Ok(Page {
            items,
            next: more.then(|| (offset + limit as isize).to_string()),
        })
    }

    pub(crate) async fn delete(&self, id: &str) -> Result<bool, StoreError> {
        let quoted = serde_json::to_string(id).map_err(err)?;
        let args = [id.to_string(), quoted, self.redis.keys.channel.clone()];
        let n = self.redis.write(DELETE_SCRIPT, &args).await?;
        if n == 1 {
            self.replica.apply_local(None, id);
        }
        Ok(n == 1)
    }

    pub(crate) async fn ping(&self) -> Result<(), StoreError> {
        self.redis
            .run(false, async |mut c| {
                redis::cmd("PING").query_async::<String>(&mut c).await
            })
            .await
            .map(|_| ())
    }

    /// Where commands go (readiness).
    pub fn describe(&self) -> String {
        self.redis.conn.describe()
    }
}
