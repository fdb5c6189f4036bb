//! One-time values of the embedded store: DPoP proof `jti`s ([RFC 9449] §11.1), remembered in
//! this instance's memory until the proof would be too old anyway.
//!
//! The embedded store serves one instance (its redb file is locked by one process), so memory
//! is the whole replay cache; it is not written to the file (a write transaction per request),
//! so a restart forgets it: a proof captured before the restart could be replayed once within
//! its `max_age`. Fleets, and deployments that must not accept that, use the Redis store.
//!
//! [RFC 9449]: https://www.rfc-editor.org/rfc/rfc9449

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::StoreError;

/// Most live entries kept (about 100 bytes each).
pub const MAX_SEEN: usize = 1_000_000;

/// Seen ids with their expiry, bounded.
pub struct SeenSet {
    map: Mutex<HashMap<String, Instant>>,
    max: usize,
}

impl SeenSet {
    /// An empty set holding at most `max` live entries.
    pub fn new(max: usize) -> SeenSet {
        SeenSet {
            map: Mutex::new(HashMap::new()),
            max,
        }
    }

    /// True the first time `id` is seen within `ttl`.
    ///
    /// # Errors
    /// The set holds `max` live entries: more distinct proofs within the window than it can
    /// remember (the caller's failure policy decides).
    pub fn first_use(&self, id: &str, ttl: Duration) -> Result<bool, StoreError> {
        let now = Instant::now();
        let mut map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(until) = map.get(id) {
            if *until > now {
                return Ok(false);
            }
        } else if map.len() >= self.max {
            map.retain(|_, until| *until > now);
            if map.len() >= self.max {
                return Err(StoreError(format!(
                    "embedded store: {} DPoP proofs seen within their window, the most it remembers",
                    self.max
                )));
            }
        }
        map.insert(id.to_string(), now + ttl);
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_is_new_once_within_its_ttl_and_the_set_is_bounded() {
        let s = SeenSet::new(2);
        let ttl = Duration::from_secs(60);
        assert!(s.first_use("a", ttl).unwrap());
        assert!(!s.first_use("a", ttl).unwrap());
        assert!(s.first_use("b", ttl).unwrap());
        assert!(s.first_use("c", ttl).is_err(), "full of live entries");
        assert!(s.first_use("d", Duration::ZERO).is_err());
        let short = SeenSet::new(1);
        assert!(short.first_use("x", Duration::ZERO).unwrap());
        assert!(
            short.first_use("x", ttl).unwrap(),
            "expired entries are new again"
        );
        assert!(short.first_use("y", ttl).is_err());
    }
}
