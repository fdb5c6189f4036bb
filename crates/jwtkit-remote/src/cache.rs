//! [`KeyCache`]: fetched keys with TTL, background refresh, single-flight fetches, rotation on
//! unknown `kid` with a cooldown, and a bounded stale window when the source fails.

use jwtkit::jwt::NumericDate;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::time::{Duration, Instant, SystemTime};

use tokio::sync::watch;

use super::discovery::DiscoveryDocument;
use super::http::parse_jwks;
use super::store::{DocumentStore, StoredDocument};
use super::{FetchPolicy, Fetcher, KeyLocation, fetch_failed};
use crate::err;
use jwtkit::JwkSet;
use jwtkit::jws::Header;
use jwtkit::jws::Keys;
use jwtkit::{Error, Result};

/// A snapshot of a [`KeyCache`] for health checks, metrics and `gateway explain`.
#[derive(Clone, Debug)]
pub struct CacheStatus {
    /// The source, for display (`"jwks https://…"`, `"issuer https://…"`).
    pub source: String,
    /// True when keys are available (fresh, or stale within the stale window).
    pub ready: bool,
    /// True when the keys are past their TTL (served from the stale window).
    pub stale: bool,
    /// Bumped each time a fetch brings a different key set (by `kid`, thumbprint, `alg`, `use`);
    /// 0 before the first success.
    pub generation: u64,
    /// When the current keys were fetched.
    pub fetched_at: Option<SystemTime>,
    /// When the current keys stop being fresh.
    pub expires_at: Option<SystemTime>,
    /// Requests sent to the network (successful or not), since the cache was created.
    pub fetch_count: u64,
    /// Loads that failed (network, HTTP status, parse, limits).
    pub failure_count: u64,
    /// Failures since the last success.
    pub consecutive_failures: u32,
    /// The error of the last failed load, cleared by a success.
    pub last_error: Option<Error>,
    /// Age of the current keys.
    pub key_set_age: Option<Duration>,
    /// Number of usable keys in the current set.
    pub key_count: usize,
}

type Outcome = Option<Result<()>>;

/// What the fetched document holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum DocKind {
    /// A JWK Set (JWKS URL, discovery, allowlisted `jku`).
    Jwks,
    /// Any key document, every key (local file).
    AnyKeys,
    /// A PEM certificate chain; only the first certificate's key (allowlisted `x5u`, RFC 7515 §4.1.5).
    FirstCertificate,
}

type Fingerprint = Vec<(Option<String>, String, Option<String>, Option<String>)>;

struct Entry {
    set: Arc<JwkSet>,
    fingerprint: Fingerprint,
    fetched_at: SystemTime,
    fetched_instant: Instant,
    expires_at: SystemTime,
    expires_instant: Instant,
}

struct Loaded {
    set: JwkSet,
    fetched_at: SystemTime,
    expires_at: SystemTime,
    network: bool,
}

#[derive(Default)]
struct State {
    entry: Option<Entry>,
    discovery: Option<(Arc<DiscoveryDocument>, SystemTime)>,
    generation: u64,
    failure_count: u64,
    consecutive_failures: u32,
    last_error: Option<Error>,
    last_attempt: Option<Instant>,
    last_failure: Option<Instant>,
    inflight: Option<watch::Receiver<Outcome>>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Freshness {
    Fresh,
    Stale,
    Expired,
}

/// Keys from one [`KeyLocation`], shared by every verification of a process (`Send + Sync`; hold
/// it in an `Arc`). Needs a Tokio runtime: fetches run in spawned tasks so that a caller that
/// gives up never cancels the fetch others wait for. See the [module docs](super) for the
/// behaviour.
pub struct KeyCache {
    source: KeyLocation,
    policy: FetchPolicy,
    kind: DocKind,
    fetcher: Fetcher,
    store: Option<Arc<dyn DocumentStore>>,
    state: Mutex<State>,
    fetch_count: AtomicU64,
    key_urls: Mutex<HashMap<String, Arc<KeyCache>>>,
    this: Weak<KeyCache>,
}

impl std::fmt::Debug for KeyCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyCache")
            .field("source", &self.source)
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

fn instant_of(t: SystemTime) -> Option<Instant> {
    let (now_s, now_i) = (SystemTime::now(), Instant::now());
    match t.duration_since(now_s) {
        Ok(ahead) => now_i.checked_add(ahead),
        Err(behind) => now_i.checked_sub(behind.duration()),
    }
}

fn fingerprint(set: &JwkSet) -> Fingerprint {
    set.keys()
        .iter()
        .map(|k| {
            (
                k.kid().map(str::to_owned),
                k.thumbprint().to_string(),
                k.meta().alg.clone(),
                k.meta().use_.clone(),
            )
        })
        .collect()
}

/// True when `kid` names no member of `set` while the set uses kids: a rotation may be under way.
fn kid_unknown(set: &JwkSet, kid: &str) -> bool {
    set.keys().iter().any(|k| k.kid().is_some())
        && !set.keys().iter().any(|k| k.kid() == Some(kid))
        && !set.ignored().iter().any(|i| i.kid.as_deref() == Some(kid))
}

/// The token-named key URL to use: its `jku` (a JWK Set) or, without an allowed one, its `x5u`
/// (a certificate chain), when listed exactly in [`FetchPolicy::allowed_key_urls`].
fn allowed_key_url<'u>(
    policy: &FetchPolicy,
    jku: Option<&'u str>,
    x5u: Option<&'u str>,
) -> Option<(&'u str, DocKind)> {
    let allowed = |u: &&str| policy.allowed_key_urls.iter().any(|a| a == u);
    match (jku.filter(allowed), x5u.filter(allowed)) {
        (Some(u), _) => Some((u, DocKind::Jwks)),
        (None, Some(u)) => Some((u, DocKind::FirstCertificate)),
        (None, None) => None,
    }
}

impl KeyCache {
    /// A cache for `source`; nothing is fetched until keys are first needed (or
    /// [`KeyCache::spawn_refresher`] runs).
    ///
    /// # Errors
    /// `invalid_config` for a URL or issuer refused by the transport rules (plain `http` to a
    /// non-loopback host without `allow_insecure_http`, other schemes, unparsable), an
    /// unusable `allowed_key_urls` entry, or a TLS stack that cannot start.
    pub fn new(source: KeyLocation, policy: FetchPolicy) -> Result<Arc<KeyCache>> {
        KeyCache::build(source, policy, None)
    }

    /// As [`KeyCache::new`], keeping fetched documents in `store` and reading them from it
    /// while fresh (or always, with [`FetchPolicy::offline`]).
    ///
    /// # Errors
    /// As [`KeyCache::new`].
    pub fn with_store(
        source: KeyLocation,
        policy: FetchPolicy,
        store: Arc<dyn DocumentStore>,
    ) -> Result<Arc<KeyCache>> {
        KeyCache::build(source, policy, Some(store))
    }

    /// A cache for the keys a token names itself: its `jku` (a JWK Set, RFC 7515 §4.1.2) or,
    /// without one, its `x5u` (a PEM certificate chain whose first certificate holds the key,
    /// §4.1.5) — only when that URL is listed exactly in [`FetchPolicy::allowed_key_urls`].
    /// None when the token names no allowlisted URL: the header is then ignored. For callers
    /// without another key source (the CLI's `--allow-key-url`); [`KeyCache::keys_for_header`]
    /// does the same for a cache that has one.
    ///
    /// # Errors
    /// As [`KeyCache::new`] for the URL.
    pub fn for_key_url(
        jku: Option<&str>,
        x5u: Option<&str>,
        policy: FetchPolicy,
        store: Option<Arc<dyn DocumentStore>>,
    ) -> Result<Option<Arc<KeyCache>>> {
        let Some((url, kind)) = allowed_key_url(&policy, jku, x5u) else {
            return Ok(None);
        };
        let url = url.to_string();
        super::check_url(&url, policy.allow_insecure_http)?;
        let policy = FetchPolicy {
            allowed_key_urls: Vec::new(),
            ..policy
        };
        KeyCache::build_kind(KeyLocation::JwksUrl(url), policy, store, kind).map(Some)
    }

    fn build(
        source: KeyLocation,
        policy: FetchPolicy,
        store: Option<Arc<dyn DocumentStore>>,
    ) -> Result<Arc<KeyCache>> {
        let kind = match &source {
            KeyLocation::JwksUrl(u) => {
                super::check_url(u, policy.allow_insecure_http)?;
                DocKind::Jwks
            }
            KeyLocation::Discovery { issuer } => {
                super::openid_configuration_url(issuer, policy.allow_insecure_http)?;
                DocKind::Jwks
            }
            KeyLocation::File(_) => DocKind::AnyKeys,
        };
        for u in &policy.allowed_key_urls {
            super::check_url(u, policy.allow_insecure_http).map_err(|e| e.context("allowed key URL: "))?;
        }
        KeyCache::build_kind(source, policy, store, kind)
    }

    fn build_kind(
        source: KeyLocation,
        policy: FetchPolicy,
        store: Option<Arc<dyn DocumentStore>>,
        kind: DocKind,
    ) -> Result<Arc<KeyCache>> {
        let fetcher = Fetcher::new(&policy)?;
        Ok(Arc::new_cyclic(|this| KeyCache {
            source,
            policy,
            kind,
            fetcher,
            store,
            state: Mutex::new(State::default()),
            fetch_count: AtomicU64::new(0),
            key_urls: Mutex::new(HashMap::new()),
            this: this.clone(),
        }))
    }

    /// The source.
    pub fn source(&self) -> &KeyLocation {
        &self.source
    }

    /// The policy.
    pub fn policy(&self) -> &FetchPolicy {
        &self.policy
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn freshness(&self, e: &Entry, now: Instant) -> Freshness {
        if now < e.expires_instant {
            Freshness::Fresh
        } else if e
            .expires_instant
            .checked_add(self.policy.stale_window)
            .is_none_or(|until| now < until)
        {
            Freshness::Stale
        } else {
            Freshness::Expired
        }
    }

    /// Wait after a failure: 1 s, doubling, at most `max(refetch_cooldown, 1 s)`.
    fn backoff(&self, st: &State) -> Duration {
        if st.consecutive_failures == 0 {
            return Duration::ZERO;
        }
        let cap = self.policy.refetch_cooldown.max(Duration::from_secs(1));
        let shift = st.consecutive_failures.saturating_sub(1).min(20);
        Duration::from_secs(1u64 << shift).min(cap)
    }

    fn may_retry(&self, st: &State, now: Instant) -> bool {
        st.last_failure
            .is_none_or(|t| now.saturating_duration_since(t) >= self.backoff(st))
    }

    fn usable(&self, st: &State, now: Instant) -> Option<Arc<JwkSet>> {
        st.entry
            .as_ref()
            .filter(|e| self.freshness(e, now) != Freshness::Expired)
            .map(|e| e.set.clone())
    }

    /// Join the fetch in flight, or start one in a spawned task.
    fn start_fetch(&self, st: &mut State, force: bool) -> Result<watch::Receiver<Outcome>> {
        if let Some(rx) = &st.inflight {
            return Ok(rx.clone());
        }
        let this = self
            .this
            .upgrade()
            .ok_or_else(|| fetch_failed("the key cache is being dropped"))?;
        let handle = tokio::runtime::Handle::try_current()
            .map_err(|_| err!(InvalidConfig, "the key cache needs a Tokio runtime to fetch keys"))?;
        let (tx, rx) = watch::channel(None);
        st.inflight = Some(rx.clone());
        st.last_attempt = Some(Instant::now());
        handle.spawn(async move {
            let result = this.load(force).await;
            let outcome = this.apply(result);
            let _ = tx.send(Some(outcome));
        });
        Ok(rx)
    }

    async fn wait(rx: watch::Receiver<Outcome>) {
        let mut rx = rx;
        let _ = rx.wait_for(Option::is_some).await;
    }

    fn apply(&self, result: Result<Loaded>) -> Result<()> {
        let mut st = self.lock();
        st.inflight = None;
        let now = Instant::now();
        match result {
            Ok(l) => {
                let fp = fingerprint(&l.set);
                if st.entry.as_ref().map(|e| &e.fingerprint) != Some(&fp) {
                    st.generation += 1;
                }
                let fetched_instant = instant_of(l.fetched_at).unwrap_or(now);
                if !l.network {
                    // A stored copy: the cooldown counts from when it was really fetched.
                    st.last_attempt = instant_of(l.fetched_at);
                }
                let expires_instant = if self.policy.offline {
                    now.checked_add(self.policy.max_ttl).unwrap_or(now)
                } else {
                    instant_of(l.expires_at).unwrap_or(now)
                };
                st.entry = Some(Entry {
                    set: Arc::new(l.set),
                    fingerprint: fp,
                    fetched_at: l.fetched_at,
                    fetched_instant,
                    expires_at: l.expires_at,
                    expires_instant,
                });
                st.consecutive_failures = 0;
                st.last_error = None;
                st.last_failure = None;
                Ok(())
            }
            Err(e) => {
                st.failure_count += 1;
                st.consecutive_failures = st.consecutive_failures.saturating_add(1);
                st.last_failure = Some(now);
                st.last_error = Some(e.clone());
                Err(e)
            }
        }
    }

    /// The error when no usable keys exist.
    fn unavailable(&self, st: &State, now: Instant) -> Error {
        let last = st
            .last_error
            .as_ref()
            .map(|e| e.message().to_string())
            .unwrap_or_else(|| "no fetch completed".into());
        match (&st.entry, &st.last_error) {
            (Some(e), _) => fetch_failed(format!(
                "keys from {} expired {} ago and could not be refreshed within the stale window of {}: {last}",
                self.source,
                NumericDate::format_duration(now.saturating_duration_since(e.expires_instant).as_secs()),
                NumericDate::format_duration(self.policy.stale_window.as_secs()),
            )),
            (None, Some(err)) => err.clone(),
            (None, None) => fetch_failed(format!("no keys from {} yet", self.source)),
        }
    }

    /// The current keys: fresh ones from memory; after the TTL, the stale ones while a
    /// background refetch runs (within the stale window); otherwise one fetch shared by every
    /// concurrent caller.
    ///
    /// # Errors
    /// With no usable keys: the load's error (`key_fetch_failed`, `resource_limit`, `bad_json`,
    /// `malformed`, `invalid_config` for a refused `jwks_uri`, `bad_key` for a file without
    /// keys); once keys had been fetched and the stale window is over, `key_fetch_failed`.
    /// After a failure, callers get the error without a new request until the backoff ends.
    pub async fn keys(&self) -> Result<Arc<JwkSet>> {
        let rx = {
            let mut st = self.lock();
            let now = Instant::now();
            let snapshot = st.entry.as_ref().map(|e| (e.set.clone(), self.freshness(e, now)));
            match snapshot {
                Some((set, Freshness::Fresh)) => return Ok(set),
                Some((set, Freshness::Stale)) => {
                    if st.inflight.is_none() && self.may_retry(&st, now) {
                        let _ = self.start_fetch(&mut st, false);
                    }
                    return Ok(set);
                }
                _ => {}
            }
            if st.inflight.is_none() && !self.may_retry(&st, now) {
                return Err(self.unavailable(&st, now));
            }
            self.start_fetch(&mut st, false)?
        };
        KeyCache::wait(rx).await;
        let st = self.lock();
        let now = Instant::now();
        self.usable(&st, now).ok_or_else(|| self.unavailable(&st, now))
    }

    /// The keys to verify a token with header `kid`. When the set uses kids and none is `kid`,
    /// refetch once (rotation) unless a fetch started less than `refetch_cooldown` ago; every
    /// concurrent caller joins that one fetch. The set returned may still lack `kid`: key
    /// selection then fails with `key_not_found` naming the kids present.
    ///
    /// # Errors
    /// As [`KeyCache::keys`]. A failed rotation refetch is not an error while the previous keys
    /// are usable.
    pub async fn keys_for_kid(&self, kid: Option<&str>) -> Result<Arc<JwkSet>> {
        let set = self.keys().await?;
        let Some(kid) = kid else {
            return Ok(set);
        };
        if !kid_unknown(&set, kid) {
            return Ok(set);
        }
        let rx = {
            let mut st = self.lock();
            let now = Instant::now();
            if let Some(cur) = self.usable(&st, now)
                && !Arc::ptr_eq(&cur, &set)
                && !kid_unknown(&cur, kid)
            {
                return Ok(cur);
            }
            let cooled = st
                .last_attempt
                .is_none_or(|t| now.saturating_duration_since(t) >= self.policy.refetch_cooldown);
            if st.inflight.is_none() && !(cooled && self.may_retry(&st, now)) {
                return Ok(self.usable(&st, now).unwrap_or(set));
            }
            self.start_fetch(&mut st, true)?
        };
        KeyCache::wait(rx).await;
        let st = self.lock();
        Ok(self.usable(&st, Instant::now()).unwrap_or(set))
    }

    /// Fetch now (joining a fetch in flight), ignoring the TTL, cooldown and backoff: for the
    /// refresher and an operator's "refresh".
    ///
    /// # Errors
    /// The load's error; the previous keys stay in use.
    pub async fn refresh(&self) -> Result<Arc<JwkSet>> {
        let rx = {
            let mut st = self.lock();
            self.start_fetch(&mut st, true)?
        };
        let mut rx = rx;
        let outcome = match rx.wait_for(Option::is_some).await {
            Ok(v) => v.clone().unwrap_or(Ok(())),
            Err(_) => Err(fetch_failed("the fetch task ended without a result")),
        };
        outcome?;
        let st = self.lock();
        let now = Instant::now();
        self.usable(&st, now).ok_or_else(|| self.unavailable(&st, now))
    }

    /// The keys for a token with this JWS Protected Header: those of an allowlisted `jku` /
    /// `x5u` it names ([`FetchPolicy::allowed_key_urls`], exact match; otherwise the header
    /// is ignored), else this cache's, refetched once for an unknown `kid` (see
    /// [`KeyCache::keys_for_kid`]).
    ///
    /// # Errors
    /// As [`KeyCache::keys`].
    pub async fn keys_for_header(&self, header: &Header) -> Result<Arc<JwkSet>> {
        match self.key_url_cache(header.jku(), header.x5u())? {
            Some(cache) => cache.keys_for_kid(header.kid()).await,
            None => self.keys_for_kid(header.kid()).await,
        }
    }

    /// The cache for a token-named key URL, when it is allowlisted (exact match).
    fn key_url_cache(&self, jku: Option<&str>, x5u: Option<&str>) -> Result<Option<Arc<KeyCache>>> {
        let Some((url, kind)) = allowed_key_url(&self.policy, jku, x5u) else {
            return Ok(None);
        };
        if self.source == KeyLocation::JwksUrl(url.to_string()) && kind == DocKind::Jwks {
            return Ok(None);
        }
        let mut map = self.key_urls.lock().unwrap_or_else(PoisonError::into_inner);
        let key = format!("{kind:?} {url}");
        if let Some(c) = map.get(&key) {
            return Ok(Some(c.clone()));
        }
        let policy = FetchPolicy {
            allowed_key_urls: Vec::new(),
            ..self.policy.clone()
        };
        let cache = KeyCache::build_kind(
            KeyLocation::JwksUrl(url.to_string()),
            policy,
            self.store.clone(),
            kind,
        )?;
        map.insert(key, cache.clone());
        Ok(Some(cache))
    }

    /// The current keys without any I/O (even past the stale window; see
    /// [`CacheStatus::ready`]); None before the first successful load.
    pub fn current(&self) -> Option<Arc<JwkSet>> {
        self.lock().entry.as_ref().map(|e| e.set.clone())
    }

    /// The provider metadata, for a [`KeyLocation::Discovery`] source once fetched.
    pub fn discovery(&self) -> Option<Arc<DiscoveryDocument>> {
        self.lock().discovery.as_ref().map(|(d, _)| d.clone())
    }

    /// A snapshot of the cache's state (no I/O).
    pub fn status(&self) -> CacheStatus {
        let st = self.lock();
        let now = Instant::now();
        let fresh = st.entry.as_ref().map(|e| self.freshness(e, now));
        CacheStatus {
            source: self.source.to_string(),
            ready: matches!(fresh, Some(Freshness::Fresh | Freshness::Stale)),
            stale: fresh == Some(Freshness::Stale),
            generation: st.generation,
            fetched_at: st.entry.as_ref().map(|e| e.fetched_at),
            expires_at: st.entry.as_ref().map(|e| e.expires_at),
            fetch_count: self.fetch_count.load(Ordering::Relaxed),
            failure_count: st.failure_count,
            consecutive_failures: st.consecutive_failures,
            last_error: st.last_error.clone(),
            key_set_age: st
                .entry
                .as_ref()
                .map(|e| SystemTime::now().duration_since(e.fetched_at).unwrap_or_default()),
            key_count: st.entry.as_ref().map_or(0, |e| e.set.keys().len()),
        }
    }

    /// Refresh in the background: at 80% of each TTL (so keys are renewed before they
    /// expire), after a failure with the backoff, at once while there are no keys. The task
    /// holds a weak reference and ends when the cache is dropped; abort the handle to stop it
    /// earlier.
    pub fn spawn_refresher(self: &Arc<Self>) -> tokio::task::JoinHandle<()> {
        let weak = Arc::downgrade(self);
        tokio::spawn(async move {
            loop {
                let delay = match weak.upgrade() {
                    Some(c) => c.next_refresh_in(),
                    None => return,
                };
                tokio::time::sleep(delay).await;
                let Some(cache) = weak.upgrade() else {
                    return;
                };
                let _ = cache.refresh().await;
            }
        })
    }

    fn next_refresh_in(&self) -> Duration {
        let st = self.lock();
        let now = Instant::now();
        let mut at = match &st.entry {
            Some(e) => {
                let ttl = e.expires_instant.saturating_duration_since(e.fetched_instant);
                e.fetched_instant.checked_add(ttl.mul_f64(0.8)).unwrap_or(now)
            }
            None => now,
        };
        if let Some(t) = st.last_failure
            && let Some(retry) = t.checked_add(self.backoff(&st))
        {
            at = at.max(retry);
        }
        at.saturating_duration_since(now).max(Duration::from_millis(50))
    }

    /// Load the document (store or network) and parse it.
    async fn load(&self, force: bool) -> Result<Loaded> {
        let url = match &self.source {
            KeyLocation::File(path) => return self.load_file(path),
            KeyLocation::JwksUrl(u) => u.clone(),
            KeyLocation::Discovery { issuer } => self.jwks_uri(issuer).await?,
        };
        let (doc, network) = self.document(&url, force).await?;
        let set = match self.kind {
            DocKind::Jwks => parse_jwks(&doc.body, &self.policy, &url)?,
            DocKind::AnyKeys | DocKind::FirstCertificate => {
                let (set, _) = jwtkit::JwkSet::load(&doc.body, &self.policy.limits())
                    .map_err(|e| e.context(&format!("{}: ", crate::quote(&url))))?;
                self.first_if_x5u(set)
            }
        };
        if network && let Some(store) = &self.store {
            store.save(&url, &doc);
        }
        Ok(Loaded {
            set,
            fetched_at: doc.fetched_at,
            expires_at: doc.expires_at,
            network,
        })
    }

    fn first_if_x5u(&self, set: JwkSet) -> JwkSet {
        if self.kind != DocKind::FirstCertificate {
            return set;
        }
        JwkSet::from_keys(set.into_keys().into_iter().take(1).collect())
    }

    fn load_file(&self, path: &std::path::Path) -> Result<Loaded> {
        let shown = path.display();
        let read = || -> std::io::Result<Vec<u8>> {
            use std::io::Read;
            let mut buf = Vec::new();
            std::fs::File::open(path)?
                .take(self.policy.max_bytes as u64 + 1)
                .read_to_end(&mut buf)?;
            Ok(buf)
        };
        self.fetch_count.fetch_add(1, Ordering::Relaxed);
        let bytes =
            read().map_err(|e| fetch_failed(format!("cannot read key file {shown}: {e}")).with_source(e))?;
        let (set, _) = jwtkit::JwkSet::load(&bytes, &self.policy.limits())
            .map_err(|e| e.context(&format!("key file {shown}: ")))?;
        let now = SystemTime::now();
        Ok(Loaded {
            set,
            fetched_at: now,
            expires_at: now + self.policy.min_ttl,
            network: true,
        })
    }

    /// A document from the store (fresh, or any with `offline`) unless `force`, else the network.
    async fn document(&self, url: &str, force: bool) -> Result<(StoredDocument, bool)> {
        if let Some(store) = &self.store
            && (!force || self.policy.offline)
            && let Some(d) = store.load(url)
            && (self.policy.offline || d.expires_at > SystemTime::now())
        {
            return Ok((d, false));
        }
        if self.policy.offline {
            return Err(fetch_failed(format!(
                "offline, and no cached copy of {}; run once without --offline",
                crate::quote(url)
            )));
        }
        self.fetch_count.fetch_add(1, Ordering::Relaxed);
        let f = self.fetcher.get(url).await?;
        let expires_at = f.fetched_at + self.policy.ttl(f.max_age);
        Ok((
            StoredDocument {
                body: f.body,
                fetched_at: f.fetched_at,
                expires_at,
            },
            true,
        ))
    }

    /// `jwks_uri` from the provider metadata, refetched when its own TTL ends; a failed
    /// refetch keeps the previous metadata.
    async fn jwks_uri(&self, issuer: &str) -> Result<String> {
        let previous = self.lock().discovery.clone();
        if let Some((doc, expires)) = &previous
            && (*expires > SystemTime::now() || self.policy.offline)
        {
            return Ok(doc.jwks_uri.clone());
        }
        match self.fetch_discovery(issuer).await {
            Ok((doc, expires)) => {
                let uri = doc.jwks_uri.clone();
                self.lock().discovery = Some((Arc::new(doc), expires));
                Ok(uri)
            }
            Err(e) => match previous {
                Some((doc, _)) => Ok(doc.jwks_uri.clone()),
                None => Err(e),
            },
        }
    }

    async fn fetch_discovery(&self, issuer: &str) -> Result<(DiscoveryDocument, SystemTime)> {
        let key = super::openid_configuration_url(issuer, self.policy.allow_insecure_http)?;
        if let Some(store) = &self.store
            && let Some(d) = store.load(&key)
            && (self.policy.offline || d.expires_at > SystemTime::now())
        {
            let kind = super::DiscoveryKind::OpenIdConnect;
            let doc = DiscoveryDocument::parse(&d.body, issuer, kind, &key, &self.policy)?;
            return Ok((doc, d.expires_at));
        }
        if self.policy.offline {
            return Err(fetch_failed(format!(
                "offline, and no cached discovery document for issuer {}; run once without --offline",
                crate::quote(issuer)
            )));
        }
        self.fetch_count.fetch_add(1, Ordering::Relaxed);
        let (doc, f) = self.fetcher.discover(issuer).await?;
        let expires_at = f.fetched_at + self.policy.ttl(f.max_age);
        if let Some(store) = &self.store {
            store.save(
                &key,
                &StoredDocument {
                    body: f.body,
                    fetched_at: f.fetched_at,
                    expires_at,
                },
            );
        }
        Ok((doc, expires_at))
    }
}

/// Verification with a cache ([`jwtkit::jwt::verify_with`]): the header, `crit` and algorithm
/// allowlist are checked before any key is fetched, so a malformed token or a refused `alg`
/// never causes a request. With a [`KeyLocation::Discovery`] source, `iss` must also equal
/// the issuer (`bad_issuer`, `missing_claim`).
impl jwtkit::jws::KeySource for KeyCache {
    async fn keys_for<'a>(&'a self, header: &Header) -> Result<Keys<'a>> {
        self.keys_for_header(header).await.map(Keys::Shared)
    }

    fn issuer(&self) -> Option<&str> {
        match &self.source {
            KeyLocation::Discovery { issuer } => Some(issuer),
            _ => None,
        }
    }
}
