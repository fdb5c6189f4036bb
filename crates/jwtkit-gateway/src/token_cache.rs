//! The verified-token cache: bounded, sharded, keyed by the SHA-256 of the token.
//!
//! An entry remembers *who verified what*: the provider, the config generation, the key's RFC
//! 7638 thumbprint and the key-set generation. A hit is served only when
//! - the same provider under the same config asks,
//! - `now` is before `exp` and not before `nbf` (no leeway: a token near its edges is fully
//!   re-verified, so the cache never extends a token's life), and within the maximum age,
//! - the key that verified it is still in the provider's key set.
//!
//! Revocations drop entries by `jti` or `sub` ([`TokenCache::drop_matching`]); the revocation
//! check itself still runs on every request, hit or not. Large tokens are cached like small
//! ones: the key is always 32 bytes. An encrypted token (JWE) is keyed by the hash of its
//! compact serialization and remembers the key that signed its nested JWT: a hit skips both
//! decryption and signature verification, with the same checks.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Weak};

use jwtkit::{Claims, JwkSet};

/// SHA-256 of a token.
pub type TokenHash = [u8; 32];

/// Hash a token.
pub fn hash_token(token: &str) -> TokenHash {
    let d = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, token.as_bytes());
    let mut out = [0u8; 32];
    out.copy_from_slice(d.as_ref());
    out
}

/// The short hex id used to name a token in logs: the first 12 hex digits of its SHA-256.
pub fn short_id(hash: &TokenHash) -> String {
    hash.iter().take(6).map(|b| format!("{b:02x}")).collect()
}

/// What is known about a verified token.
#[derive(Debug)]
pub struct Identity {
    /// The provider that verified it.
    pub provider: Arc<str>,
    /// Its claims.
    pub claims: Claims,
    /// `sub`, when a string.
    pub sub: Option<String>,
    /// `jti`, when a string.
    pub jti: Option<String>,
    /// `iat`, seconds.
    pub iat: Option<f64>,
    /// The token may be served from cache from this time (its `nbf`).
    pub not_before: Option<f64>,
    /// … and until this time: `exp`, or `iat` + maximum age when earlier.
    pub not_after: Option<f64>,
    /// Thumbprint of the verifying key.
    pub key_thumbprint: Option<String>,
    /// Scopes from `scope` (space-separated) or `scp` (array or string).
    pub scopes: Vec<String>,
    /// The tenant, when the provider's issuer is a template (`claims_to_headers` source
    /// `$tenant`).
    pub tenant: Option<String>,
    /// The claims are an RFC 7662 introspection answer ([`crate::introspection`]), not a
    /// verified JWT's.
    pub introspected: bool,
}

/// The `claims_to_headers` and `rate_limit` source that is the matched tenant of an issuer
/// template ([`jwtkit::jwt::IssuerTemplate`]), not a claim.
pub const TENANT_SOURCE: &str = "$tenant";

impl Identity {
    /// What a `claims_to_headers` or `rate_limit` source names: [`TENANT_SOURCE`] is the tenant
    /// the gateway found (never a claim of that name); anything else a claim at a dotted path.
    pub fn source(&self, path: &str) -> Option<std::borrow::Cow<'_, serde_json::Value>> {
        if path == TENANT_SOURCE {
            return self
                .tenant
                .clone()
                .map(|t| std::borrow::Cow::Owned(serde_json::Value::String(t)));
        }
        self.claims.get_path(path).map(std::borrow::Cow::Borrowed)
    }
}

struct Entry {
    identity: Arc<Identity>,
    config_generation: u64,
    /// The key set it was last checked against (weak: a retired set is freed, and its address
    /// cannot be reused while this is held).
    keys: Weak<JwkSet>,
}

/// The cache.
pub struct TokenCache {
    shards: Vec<Mutex<HashMap<TokenHash, Entry>>>,
    per_shard: usize,
    hits: AtomicU64,
    misses: AtomicU64,
}

/// Result of [`TokenCache::get`].
pub enum Lookup {
    /// Served from cache.
    Hit(Arc<Identity>),
    /// Verify the token.
    Miss,
}

impl TokenCache {
    /// A cache of at most `max_entries` (0 disables it) in `shards` shards.
    pub fn new(max_entries: usize, shards: usize) -> TokenCache {
        let shards = shards.max(1);
        TokenCache {
            per_shard: max_entries.div_ceil(shards),
            shards: (0..shards).map(|_| Mutex::new(HashMap::new())).collect(),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        }
    }

    fn shard(&self, h: &TokenHash) -> &Mutex<HashMap<TokenHash, Entry>> {
        let i = usize::from(h[0]) | (usize::from(h[1]) << 8);
        &self.shards[i % self.shards.len()]
    }

    /// Look a token up for `provider` at `now` (seconds), given the provider's current key
    /// set (`None`: no keys, always a miss).
    pub fn get(
        &self,
        h: &TokenHash,
        provider: &str,
        config_generation: u64,
        now: f64,
        keys: Option<&Arc<JwkSet>>,
    ) -> Lookup {
        if self.per_shard == 0 {
            return Lookup::Miss;
        }
        let mut shard = self.shard(h).lock().unwrap_or_else(|e| e.into_inner());
        let Some(e) = shard.get_mut(h) else {
            self.misses.fetch_add(1, Ordering::Relaxed);
            return Lookup::Miss;
        };
        let id = &e.identity;
        let fresh = &*id.provider == provider
            && e.config_generation == config_generation
            && id.not_after.is_none_or(|t| now < t)
            && id.not_before.is_none_or(|t| now >= t);
        let keep = fresh
            && keys.is_some_and(|cur| {
                std::ptr::eq(e.keys.as_ptr(), Arc::as_ptr(cur)) || {
                    // The key set changed: keep the entry only if its key is still there.
                    let still = id
                        .key_thumbprint
                        .as_deref()
                        .is_some_and(|t| cur.keys().iter().any(|k| k.thumbprint() == t));
                    if still {
                        e.keys = Arc::downgrade(cur);
                    }
                    still
                }
            });
        if keep {
            self.hits.fetch_add(1, Ordering::Relaxed);
            Lookup::Hit(e.identity.clone())
        } else {
            shard.remove(h);
            self.misses.fetch_add(1, Ordering::Relaxed);
            Lookup::Miss
        }
    }

    /// The provider that verified this token, if it is cached (no freshness check: use
    /// [`TokenCache::get`] with that provider next). Lets a route with several providers
    /// choose for a JWE without decrypting it again.
    pub fn provider_of(&self, h: &TokenHash) -> Option<Arc<str>> {
        if self.per_shard == 0 {
            return None;
        }
        let shard = self.shard(h).lock().unwrap_or_else(|e| e.into_inner());
        shard.get(h).map(|e| e.identity.provider.clone())
    }

    /// Remember a token verified with a key of `keys`.
    pub fn insert(
        &self,
        h: TokenHash,
        identity: Arc<Identity>,
        config_generation: u64,
        keys: &Arc<JwkSet>,
        now: f64,
    ) {
        if identity.key_thumbprint.is_none() {
            return;
        }
        self.put(h, identity, config_generation, keys, now);
    }

    /// Cache an introspection answer ([`crate::introspection`]) until its `not_after`. `anchor`
    /// stands for the key set: the introspector's own, so a hit needs the same introspector
    /// (a reload builds new ones).
    pub fn insert_introspected(
        &self,
        h: TokenHash,
        identity: Arc<Identity>,
        config_generation: u64,
        anchor: &Arc<JwkSet>,
        now: f64,
    ) {
        if identity.introspected && identity.not_after.is_some() {
            self.put(h, identity, config_generation, anchor, now);
        }
    }

    fn put(
        &self,
        h: TokenHash,
        identity: Arc<Identity>,
        config_generation: u64,
        keys: &Arc<JwkSet>,
        now: f64,
    ) {
        if self.per_shard == 0 {
            return;
        }
        let mut shard = self.shard(&h).lock().unwrap_or_else(|e| e.into_inner());
        if shard.len() >= self.per_shard && !shard.contains_key(&h) {
            shard.retain(|_, e| e.identity.not_after.is_none_or(|t| now < t));
            if shard.len() >= self.per_shard
                && let Some(k) = shard.keys().next().copied()
            {
                shard.remove(&k);
            }
        }
        shard.insert(
            h,
            Entry {
                identity,
                config_generation,
                keys: Arc::downgrade(keys),
            },
        );
    }

    /// Drop every entry whose `jti` or `sub` matches (after a revocation).
    pub fn drop_matching(&self, jti: Option<&str>, sub: Option<&str>) -> usize {
        let mut n = 0;
        for s in &self.shards {
            let mut s = s.lock().unwrap_or_else(|e| e.into_inner());
            let before = s.len();
            s.retain(|_, e| {
                !(jti.is_some() && e.identity.jti.as_deref() == jti
                    || sub.is_some() && e.identity.sub.as_deref() == sub)
            });
            n += before - s.len();
        }
        n
    }

    /// (hits, misses) since start.
    pub fn counts(&self) -> (u64, u64) {
        (
            self.hits.load(Ordering::Relaxed),
            self.misses.load(Ordering::Relaxed),
        )
    }

    /// Entries now held.
    pub fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|s| s.lock().unwrap_or_else(|e| e.into_inner()).len())
            .sum()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jwtkit::{JwsAlg, Key};

    fn set(keys: &[&Key]) -> Arc<JwkSet> {
        Arc::new(JwkSet::from_keys(
            keys.iter().map(|k| k.to_public().unwrap()).collect(),
        ))
    }

    fn key() -> Key {
        Key::generate(jwtkit::jwk::KeySpec::for_alg(JwsAlg::ES256)).unwrap()
    }

    fn id(exp: f64, nbf: Option<f64>, jti: &str, key: &Key) -> Arc<Identity> {
        Arc::new(Identity {
            provider: "p".into(),
            claims: Claims::default(),
            sub: Some("alice".into()),
            jti: Some(jti.into()),
            iat: None,
            not_before: nbf,
            not_after: Some(exp),
            key_thumbprint: Some(key.thumbprint().to_string()),
            scopes: vec![],
            tenant: None,
            introspected: false,
        })
    }

    #[test]
    fn never_past_exp_or_before_nbf() {
        let k = key();
        let keys = set(&[&k]);
        let c = TokenCache::new(10, 2);
        let h = hash_token("a");
        let hit = |c: &TokenCache, p: &str, g: u64, now: f64| {
            matches!(c.get(&h, p, g, now, Some(&keys)), Lookup::Hit(_))
        };
        c.insert(h, id(100.0, Some(50.0), "j", &k), 1, &keys, 60.0);
        assert!(hit(&c, "p", 1, 60.0));
        assert!(hit(&c, "p", 1, 99.0));
        assert!(!hit(&c, "p", 1, 100.0), "exp is exclusive");
        c.insert(h, id(100.0, Some(50.0), "j", &k), 1, &keys, 60.0);
        assert!(!hit(&c, "p", 1, 49.0), "before nbf");
        c.insert(h, id(100.0, None, "j", &k), 1, &keys, 60.0);
        assert!(!hit(&c, "other", 1, 60.0), "another provider");
        c.insert(h, id(100.0, None, "j", &k), 1, &keys, 60.0);
        assert!(!hit(&c, "p", 2, 60.0), "another config generation");
        c.insert(h, id(100.0, None, "j", &k), 1, &keys, 60.0);
        assert!(matches!(c.get(&h, "p", 1, 60.0, None), Lookup::Miss), "no keys");
        assert_eq!(c.counts(), (2, 5));
    }

    #[test]
    fn dropped_when_key_leaves_or_revoked() {
        let (k1, k2) = (key(), key());
        let c = TokenCache::new(10, 2);
        let h = hash_token("a");
        let v1 = set(&[&k1]);
        c.insert(h, id(100.0, None, "j", &k1), 1, &v1, 0.0);
        let v2 = set(&[&k1, &k2]);
        assert!(
            matches!(c.get(&h, "p", 1, 1.0, Some(&v2)), Lookup::Hit(_)),
            "key still published"
        );
        let v3 = set(&[&k2]);
        assert!(
            matches!(c.get(&h, "p", 1, 1.0, Some(&v3)), Lookup::Miss),
            "key retired"
        );
        assert!(c.is_empty());
        c.insert(h, id(100.0, None, "j", &k1), 1, &v1, 0.0);
        assert_eq!(c.drop_matching(Some("j"), None), 1);
        assert!(c.is_empty());
    }

    #[test]
    fn bounded() {
        let k = key();
        let keys = set(&[&k]);
        let c = TokenCache::new(8, 2);
        for i in 0..100 {
            c.insert(
                hash_token(&i.to_string()),
                id(100.0, None, "j", &k),
                1,
                &keys,
                0.0,
            );
        }
        assert!(c.len() <= 8, "{}", c.len());
        assert_eq!(short_id(&hash_token("abc")), "ba7816bf8f01");
    }
}
