//! The Redis store: revocations and token buckets shared by every gateway instance.
//!
//! Keys (all under `prefix`): `rev:jti:<jti>` and `rev:sub:<sub>` (value: the entry as JSON,
//! expiring with `EXPIREAT` when the tokens would), the sorted set `revs` (id → expiry, for
//! listing), and `rl:<route>:<value>` hashes for buckets. A request costs one `EVALSHA` of
//! [`CHECK_SCRIPT`] (revocation, then the bucket, with Redis' own clock). The
//! `ConnectionManager` reconnects by itself; every command has a deadline.

use std::sync::atomic::AtomicBool;
use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};

use super::{Check, CheckResult, Page, StoreError, now_secs};
use crate::rate_limit::Decision;
use crate::revocation::Revocation;

/// Revocation check and token bucket in one atomic step.
///
/// KEYS: jti entry, sub entry, bucket. ARGV: has_jti, has_sub, iat ("" if none), has_bucket,
/// per_second, burst. Returns `{revoked, allowed, retry_after_ms}`.
pub const CHECK_SCRIPT: &str = r#"
local revoked = 0
if ARGV[1] == '1' and redis.call('EXISTS', KEYS[1]) == 1 then revoked = 1 end
if revoked == 0 and ARGV[2] == '1' then
  local v = redis.call('GET', KEYS[2])
  if v then
    local e = cjson.decode(v)
    local iat = tonumber(ARGV[3])
    if iat == nil or e.issued_before == nil or iat <= e.issued_before then revoked = 1 end
  end
end
if revoked == 1 or ARGV[4] ~= '1' then return {revoked, 1, 0} end
local rate = tonumber(ARGV[5])
local burst = tonumber(ARGV[6])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local b = redis.call('HMGET', KEYS[3], 't', 'ts')
local tokens = tonumber(b[1])
local ts = tonumber(b[2])
if tokens == nil or ts == nil then tokens = burst; ts = now end
if now > ts then tokens = math.min(burst, tokens + (now - ts) * rate / 1000); ts = now end
local allowed = 0
local retry = 0
if tokens >= 1 then tokens = tokens - 1; allowed = 1 else retry = math.ceil((1 - tokens) * 1000 / rate) end
redis.call('HSET', KEYS[3], 't', tostring(tokens), 'ts', tostring(ts))
redis.call('PEXPIRE', KEYS[3], math.ceil(burst * 1000 / rate) + 1000)
return {revoked, allowed, retry}
"#;

/// Redis-backed store.
pub struct RedisStore {
    conn: ConnectionManager,
    prefix: String,
    timeout: Duration,
    script: redis::Script,
    pub(crate) healthy: AtomicBool,
}

fn err(e: impl std::fmt::Display) -> StoreError {
    StoreError(format!("redis: {e}"))
}

impl RedisStore {
    /// A store for `url`; connects lazily and reconnects on its own.
    ///
    /// # Errors
    /// A malformed URL.
    pub fn new(url: &str, prefix: &str, timeout: Duration) -> anyhow::Result<RedisStore> {
        let client = redis::Client::open(url).map_err(|e| anyhow::anyhow!("store.url: {e}"))?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(timeout))
            .set_response_timeout(Some(timeout))
            .set_number_of_retries(1)
            .set_max_delay(Duration::from_millis(500));
        let conn = ConnectionManager::new_lazy_with_config(client, config)
            .map_err(|e| anyhow::anyhow!("store.url: {e}"))?;
        Ok(RedisStore {
            conn,
            prefix: prefix.to_string(),
            timeout,
            script: redis::Script::new(CHECK_SCRIPT),
            healthy: AtomicBool::new(false),
        })
    }

    fn key(&self, rest: &str) -> String {
        format!("{}{rest}", self.prefix)
    }

    async fn run<T: redis::FromRedisValue>(
        &self,
        f: impl AsyncFnOnce(ConnectionManager) -> redis::RedisResult<T>,
    ) -> Result<T, StoreError> {
        match tokio::time::timeout(self.timeout, f(self.conn.clone())).await {
            Ok(r) => r.map_err(err),
            Err(_) => Err(StoreError(format!(
                "redis: no answer within {} ms",
                self.timeout.as_millis()
            ))),
        }
    }

    pub(crate) async fn check(&self, q: &Check<'_>) -> Result<CheckResult, StoreError> {
        let mut inv = self.script.prepare_invoke();
        inv.key(self.key(&format!("rev:jti:{}", q.jti.unwrap_or(""))))
            .key(self.key(&format!("rev:sub:{}", q.sub.unwrap_or(""))))
            .key(self.key(&format!(
                "rl:{}",
                q.bucket.as_ref().map_or("", |b| b.key.as_str())
            )))
            .arg(if q.jti.is_some() { "1" } else { "0" })
            .arg(if q.sub.is_some() { "1" } else { "0" })
            .arg(q.iat.map(|i| i.to_string()).unwrap_or_default())
            .arg(if q.bucket.is_some() { "1" } else { "0" })
            .arg(q.bucket.as_ref().map_or(1.0, |b| b.per_second))
            .arg(q.bucket.as_ref().map_or(1, |b| b.burst));
        let (revoked, allowed, retry_ms): (i64, i64, i64) =
            self.run(async |mut c| inv.invoke_async(&mut c).await).await?;
        Ok(CheckResult {
            revoked: revoked == 1,
            rate: if allowed == 1 {
                Decision::Allow
            } else {
                Decision::Deny {
                    retry_after: u64::try_from(retry_ms).unwrap_or(1000).div_ceil(1000).max(1),
                }
            },
        })
    }

    pub(crate) async fn revoke(&self, r: &Revocation) -> Result<(), StoreError> {
        let json = serde_json::to_string(r).map_err(err)?;
        let key = self.key(&format!("rev:{}", r.id()));
        let set = self.key("revs");
        let id = r.id();
        let exp = r.expires_at;
        self.run(async move |mut c| {
            redis::pipe()
                .atomic()
                .cmd("SET")
                .arg(&key)
                .arg(&json)
                .arg("EXAT")
                .arg(exp)
                .ignore()
                .zadd(&set, &id, exp)
                .ignore()
                .query_async::<()>(&mut c)
                .await
        })
        .await
    }

    pub(crate) async fn list(&self, cursor: Option<&str>, limit: usize) -> Result<Page, StoreError> {
        let set = self.key("revs");
        let now = now_secs();
        let offset: isize = cursor.and_then(|c| c.parse().ok()).unwrap_or(0);
        let ids: Vec<String> = self
            .run(async |mut c| {
                redis::cmd("ZREMRANGEBYSCORE")
                    .arg(&set)
                    .arg("-inf")
                    .arg(now)
                    .query_async::<()>(&mut c)
                    .await?;
                redis::cmd("ZRANGE")
                    .arg(&set)
                    .arg(offset)
                    .arg(offset + limit as isize)
                    .query_async(&mut c)
                    .await
            })
            .await?;
        let more = ids.len() > limit;
        let ids: Vec<String> = ids.into_iter().take(limit).collect();
        let mut items = Vec::new();
        if !ids.is_empty() {
            let keys: Vec<String> = ids.iter().map(|i| self.key(&format!("rev:{i}"))).collect();
            let vals: Vec<Option<String>> = self
                .run(async |mut c| redis::cmd("MGET").arg(&keys).query_async(&mut c).await)
                .await?;
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
        let key = self.key(&format!("rev:{id}"));
        let set = self.key("revs");
        let (n, _): (i64, i64) = self
            .run(async |mut c| {
                redis::pipe()
                    .atomic()
                    .del(&key)
                    .zrem(&set, id)
                    .query_async(&mut c)
                    .await
            })
            .await?;
        Ok(n > 0)
    }

    pub(crate) async fn ping(&self) -> Result<(), StoreError> {
        self.run(async |mut c| redis::cmd("PING").query_async::<String>(&mut c).await)
            .await
            .map(|_| ())
    }
}
