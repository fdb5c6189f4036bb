//! Every instance's copy of the shared revocation set, kept current by Redis pub/sub.
//!
//! The sync task ([`run`]) subscribes to `{rev}:events` first, then loads a snapshot
//! (`SNAPSHOT_SCRIPT`: every entry and the change counter, atomically), then applies the
//! messages that arrived since subscribing, in order; changes are idempotent, so applying one
//! the snapshot already holds is harmless. Messages carry the counter (`seq`); a gap means a
//! lost message and forces a resynchronisation. Pub/sub delivers at most once and a dead TCP
//! connection can be silent, so every `max_staleness / 4` the task also reads the counter: when
//! the counter read at time `t` has been applied, the copy is known current as of `t`. If a
//! counter is not reached by the next read, the task resynchronises.
//!
//! [`Replica::revoked`] answers from memory while the copy was confirmed current within
//! `max_staleness` (default 1 s) and the subscription is up; otherwise it is an error, and the
//! route's revocation policy (fail closed by default) decides. So a revocation acknowledged
//! with 201 by any instance is enforced by every instance within `max_staleness`: either the
//! message arrives (milliseconds), or the instance sees the counter move and resynchronises,
//! or it can no longer confirm and refuses to guess.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use serde::Deserialize;

use super::StoreError;
use super::redis::Redis;
use crate::revocation::{Revocation, RevocationSet};

#[derive(Default)]
struct SyncState {
    /// The subscription is up and the snapshot loaded.
    subscribed: bool,
    /// Every change committed before this instant is applied.
    confirmed_at: Option<Instant>,
    /// Highest change counter applied.
    seq: i64,
    /// Counters read from Redis not yet reached, with when they were read.
    pending: VecDeque<(i64, Instant)>,
    /// When the last full snapshot was loaded.
    loaded_at: Option<Instant>,
}

/// The in-memory revocation set of one instance and how current it is.
pub struct Replica {
    set: RwLock<RevocationSet>,
    state: Mutex<SyncState>,
    max_staleness: Duration,
    /// Snapshots loaded (the first one and every resynchronisation).
    pub syncs: AtomicU64,
    /// Changes applied from pub/sub messages.
    pub messages: AtomicU64,
}

/// A change as published by the write scripts.
#[derive(Deserialize)]
struct Event {
    seq: i64,
    op: String,
    #[serde(default)]
    entry: Option<Revocation>,
    #[serde(default)]
    id: Option<String>,
}

/// What readiness and metrics show.
#[derive(Clone, Copy, Debug)]
pub struct SyncStatus {
    /// Subscription up and snapshot loaded.
    pub subscribed: bool,
    /// Confirmed current within `max_staleness`.
    pub current: bool,
    /// Entries held.
    pub entries: usize,
    /// Seconds since the copy was last confirmed current (None: never).
    pub age: Option<Duration>,
    /// Seconds since the last snapshot.
    pub loaded_age: Option<Duration>,
}

impl Replica {
    /// Empty and not current until the first snapshot.
    pub fn new(max_staleness: Duration) -> Replica {
        Replica {
            set: RwLock::new(RevocationSet::default()),
            state: Mutex::new(SyncState::default()),
            max_staleness,
            syncs: AtomicU64::new(0),
            messages: AtomicU64::new(0),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, SyncState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether the copy can be trusted now.
    pub fn current(&self) -> bool {
        let s = self.state();
        s.subscribed && s.confirmed_at.is_some_and(|t| t.elapsed() <= self.max_staleness)
    }

    /// Whether a token is revoked, from memory.
    ///
    /// # Errors
    /// The copy is not known to be current (store away, resynchronising).
    pub fn revoked(
        &self,
        jti: Option<&str>,
        sub: Option<&str>,
        iat: Option<f64>,
    ) -> Result<bool, StoreError> {
        if !self.current() {
            let s = self.state();
            return Err(StoreError(match (s.subscribed, s.confirmed_at) {
                (false, _) => "revocations: not subscribed to the store's changes (resynchronising)".into(),
                (true, Some(t)) => format!(
                    "revocations: not confirmed current for {} ms",
                    t.elapsed().as_millis()
                ),
                (true, None) => "revocations: not loaded yet".into(),
            }));
        }
        Ok(self.last_known(jti, sub, iat))
    }

    /// Whether the set as last known revokes the token, current or not.
    pub fn last_known(&self, jti: Option<&str>, sub: Option<&str>, iat: Option<f64>) -> bool {
        self.set
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .revokes(jti, sub, iat, super::now_secs())
    }

    /// Apply this instance's own write at once (`entry` None: removal of `id`). The counter is
    /// not advanced: earlier changes by other instances must still arrive (or be detected lost).
    pub fn apply_local(&self, entry: Option<Revocation>, id: &str) {
        let mut set = self.set.write().unwrap_or_else(|e| e.into_inner());
        match entry {
            Some(r) => set.insert(r),
            None => {
                set.remove(id);
            }
        }
    }

    /// Status for readiness and metrics.
    pub fn status(&self) -> SyncStatus {
        let current = self.current();
        let s = self.state();
        SyncStatus {
            subscribed: s.subscribed,
            current,
            entries: self.set.read().unwrap_or_else(|e| e.into_inner()).len(),
            age: s.confirmed_at.map(|t| t.elapsed()),
            loaded_age: s.loaded_at.map(|t| t.elapsed()),
        }
    }

    /// Drop expired entries from memory.
    pub fn purge(&self) {
        self.set
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .purge(super::now_secs());
    }

    fn lost(&self) {
        let mut s = self.state();
        s.subscribed = false;
        s.pending.clear();
    }

    fn loaded(&self, seq: i64, items: Vec<Revocation>, at: Instant) {
        let mut set = RevocationSet::default();
        for r in items {
            set.insert(r);
        }
        *self.set.write().unwrap_or_else(|e| e.into_inner()) = set;
        let mut s = self.state();
        s.seq = seq;
        s.subscribed = true;
        s.confirmed_at = Some(at);
        s.loaded_at = Some(Instant::now());
        s.pending.clear();
        self.syncs.fetch_add(1, Ordering::Relaxed);
    }

    /// Apply one message; false when a message was lost (resynchronise).
    fn apply(&self, e: Event) -> bool {
        {
            let mut set = self.set.write().unwrap_or_else(|e| e.into_inner());
            match (e.op.as_str(), e.entry, e.id) {
                ("add", Some(r), _) => set.insert(r),
                ("del", _, Some(id)) => {
                    set.remove(&id);
                }
                _ => return false,
            }
        }
        self.messages.fetch_add(1, Ordering::Relaxed);
        let mut s = self.state();
        if e.seq > s.seq + 1 {
            return false;
        }
        s.seq = s.seq.max(e.seq);
        self.settle(&mut s);
        true
    }

    /// Counters read earlier and now reached confirm the copy as of their read time.
    fn settle(&self, s: &mut SyncState) {
        while let Some(&(target, at)) = s.pending.front() {
            if s.seq < target {
                break;
            }
            s.pending.pop_front();
            s.confirmed_at = Some(at);
        }
    }

    /// A counter read at `at`; false when an earlier one is still not reached after `grace`.
    fn observed(&self, remote: i64, at: Instant, grace: Duration) -> bool {
        let mut s = self.state();
        if remote <= s.seq {
            s.pending.clear();
            s.confirmed_at = Some(at);
            return true;
        }
        if s.pending.len() < 64 {
            s.pending.push_back((remote, at));
        }
        s.pending.front().is_none_or(|(_, t)| t.elapsed() <= grace)
    }
}

/// Keep `replica` current until the task is aborted.
pub async fn run(redis: Arc<Redis>, replica: Arc<Replica>) {
    let poll = replica.max_staleness / 4;
    let mut backoff = Duration::from_millis(50);
    let mut quiet = false;
    loop {
        replica.lost();
        let loads = replica.syncs.load(Ordering::Relaxed);
        let e = session(&redis, &replica, poll).await;
        if replica.syncs.load(Ordering::Relaxed) != loads {
            // The session had loaded the set: retry at once, and say why it ended.
            backoff = Duration::from_millis(50);
            quiet = false;
        }
        if !quiet {
            tracing::warn!(error = %e, "revocation sync lost; revocations fail closed until reloaded");
            quiet = true;
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(Duration::from_secs(1));
    }
}

/// One subscription: subscribe, load, then follow messages and counters until something is
/// lost; returns why.
async fn session(redis: &Redis, replica: &Replica, poll: Duration) -> StoreError {
    match follow(redis, replica, poll).await {
        Ok(never) => match never {},
        Err(e) => e,
    }
}

async fn follow(
    redis: &Redis,
    replica: &Replica,
    poll: Duration,
) -> Result<std::convert::Infallible, StoreError> {
    let mut pubsub = redis.subscriber().await?;
    tokio::time::timeout(poll * 4, pubsub.subscribe(&redis.keys.channel))
        .await
        .map_err(|_| StoreError("redis: SUBSCRIBE: no answer in time".into()))?
        .map_err(|e| StoreError(format!("redis: SUBSCRIBE: {e}")))?;
    let mut stream = pubsub.into_on_message();
    let at = Instant::now();
    let (seq, items) = redis.snapshot().await?;
    let n = items.len();
    replica.loaded(seq, items, at);
    tracing::info!(entries = n, seq, "revocation sync: loaded and subscribed");
    let mut tick = tokio::time::interval(poll);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            msg = stream.next() => {
                let Some(msg) = msg else {
                    return Err(StoreError("redis: the pub/sub connection closed".into()));
                };
                let Ok(e) = serde_json::from_slice::<Event>(msg.get_payload_bytes()) else {
                    return Err(StoreError("redis: unreadable revocation message".into()));
                };
                if !replica.apply(e) {
                    return Err(StoreError("redis: a revocation message was lost".into()));
                }
            }
            _ = tick.tick() => {
                let at = Instant::now();
                if let Ok(remote) = redis.seq().await
                    && !replica.observed(remote, at, poll * 2)
                {
                    return Err(StoreError("redis: revocation messages stopped arriving".into()));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::revocation::RevocationKind;

    fn entry(v: &str) -> Revocation {
        Revocation {
            kind: RevocationKind::Jti,
            value: v.into(),
            issued_before: None,
            expires_at: super::super::now_secs() + 600,
            created_at: 0,
        }
    }

    fn add(seq: i64, v: &str) -> Event {
        Event {
            seq,
            op: "add".into(),
            entry: Some(entry(v)),
            id: None,
        }
    }

    #[test]
    fn not_current_until_loaded_then_messages_apply_in_order_and_gaps_force_a_reload() {
        let r = Replica::new(Duration::from_secs(1));
        let e = r.revoked(Some("a"), None, None).unwrap_err();
        assert!(e.0.contains("not subscribed"), "{e}");
        r.loaded(5, vec![entry("a")], Instant::now());
        assert!(r.revoked(Some("a"), None, None).unwrap());
        assert!(!r.revoked(Some("b"), None, None).unwrap());
        // A change the snapshot already held (seq ≤ 5) is harmless; the next one applies.
        assert!(r.apply(add(4, "a")));
        assert!(r.apply(add(6, "b")));
        assert!(r.revoked(Some("b"), None, None).unwrap());
        let del = Event {
            seq: 7,
            op: "del".into(),
            entry: None,
            id: Some("jti:b".into()),
        };
        assert!(r.apply(del));
        assert!(!r.revoked(Some("b"), None, None).unwrap());
        // seq 8 never came: 9 reveals the gap.
        assert!(!r.apply(add(9, "c")));
        r.lost();
        assert!(r.revoked(Some("a"), None, None).is_err());
    }

    #[test]
    fn a_counter_read_confirms_only_once_reached_and_a_stale_copy_fails_closed() {
        let r = Replica::new(Duration::from_millis(200));
        let t0 = Instant::now();
        r.loaded(3, vec![], t0);
        // Redis is at 5: not confirmed until 4 and 5 arrive; within the grace that is fine.
        assert!(r.observed(5, Instant::now(), Duration::from_secs(5)));
        assert!(r.apply(add(4, "x")));
        assert_eq!(r.state().confirmed_at, Some(t0));
        assert!(r.apply(add(5, "y")));
        assert!(r.state().confirmed_at.unwrap() > t0);
        // Beyond the grace with the counter unreached: resynchronise.
        assert!(!r.observed(9, Instant::now(), Duration::ZERO));
        // Nothing confirms for longer than max_staleness: not current.
        std::thread::sleep(Duration::from_millis(250));
        assert!(!r.current());
        let e = r.revoked(Some("x"), None, None).unwrap_err();
        assert!(e.0.contains("not confirmed current"), "{e}");
        assert!(r.observed(5, Instant::now(), Duration::ZERO));
        assert!(r.current());
    }
}
