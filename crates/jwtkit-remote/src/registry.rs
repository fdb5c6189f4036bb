//! [`KeyCacheRegistry`]: one [`KeyCache`] per (source, policy) in a process, so that every route,
//! provider and thread verifying tokens of one issuer shares its keys and its fetches.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use super::{FetchPolicy, KeyCache, KeyLocation};
use jwtkit::Result;

/// Shared key caches keyed by source and policy. Two providers with the same issuer and the
/// same policy get the same [`KeyCache`] (one fetch per issuer, not per route); a different
/// policy gets its own cache, so a changed policy (hot reload) takes effect.
#[derive(Debug, Default)]
pub struct KeyCacheRegistry {
    caches: Mutex<HashMap<(KeyLocation, FetchPolicy), Arc<KeyCache>>>,
}

impl KeyCacheRegistry {
    /// An empty registry.
    pub fn new() -> KeyCacheRegistry {
        KeyCacheRegistry::default()
    }

    /// The cache for `source` under `policy`, created on first use.
    ///
    /// # Errors
    /// As [`KeyCache::new`] (`invalid_config`).
    pub fn get_or_create(&self, source: KeyLocation, policy: FetchPolicy) -> Result<Arc<KeyCache>> {
        let mut map = self.caches.lock().unwrap_or_else(PoisonError::into_inner);
        let key = (source, policy);
        if let Some(c) = map.get(&key) {
            return Ok(c.clone());
        }
        let cache = KeyCache::new(key.0.clone(), key.1.clone())?;
        map.insert(key, cache.clone());
        Ok(cache)
    }

    /// Every cache, for status pages and metrics.
    pub fn caches(&self) -> Vec<Arc<KeyCache>> {
        let map = self.caches.lock().unwrap_or_else(PoisonError::into_inner);
        map.values().cloned().collect()
    }

    /// Drop the caches nobody else holds any more (after a configuration reload); returns how
    /// many were dropped. Their refreshers end with them.
    pub fn prune(&self) -> usize {
        let mut map = self.caches.lock().unwrap_or_else(PoisonError::into_inner);
        let before = map.len();
        map.retain(|_, c| Arc::strong_count(c) > 1);
        before - map.len()
    }

    /// Number of caches.
    pub fn len(&self) -> usize {
        self.caches.lock().unwrap_or_else(PoisonError::into_inner).len()
    }

    /// True when there is no cache.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
