//! The signing key ring and its rotation schedule.
//!
//! Each key signs for `rotation_period`. The next key is generated and published in the JWK
//! Set `publish_ahead` before it starts signing, so a verifier that refreshes its cache in
//! that window never sees an unknown `kid`. A retired key stays published until every token
//! it signed has expired (`signs_until` + the longest token lifetime + 60 s leeway), then it
//! is deleted. The schedule is brought up to date lazily, by whoever needs keys at a given
//! time (signing, the JWKS endpoint), so it holds whatever the process was doing.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use anyhow::Context;
use jwtkit::jwk::KeySpec;
use jwtkit::{JwkSet, Key};
use serde_json::Value;

use crate::config::SigningAlg;
use crate::store::{KEYS, KeyRecord, Write, put};

/// Leeway added to a retired key's publication for verifiers' clock skew (seconds).
pub const RETIRE_LEEWAY: u64 = 60;

/// Schedule parameters and a cache of parsed keys.
pub struct KeyRing {
    alg: SigningAlg,
    period: u64,
    ahead: u64,
    max_token_life: u64,
    parsed: Mutex<HashMap<String, Arc<Key>>>,
}

impl KeyRing {
    /// A ring signing with `alg`, each key for `period` seconds, published `ahead` seconds
    /// early and `max_token_life` + [`RETIRE_LEEWAY`] seconds after it stops signing.
    pub fn new(alg: SigningAlg, period: u64, ahead: u64, max_token_life: u64) -> KeyRing {
        KeyRing {
            alg,
            period,
            ahead,
            max_token_life,
            parsed: Mutex::new(HashMap::new()),
        }
    }

    /// The signing algorithm.
    pub fn alg(&self) -> SigningAlg {
        self.alg
    }

    fn generate(&self, activates_at: u64) -> anyhow::Result<KeyRecord> {
        let jws = self.alg.jws();
        let key = Key::generate(KeySpec::for_alg(jws)).context("generating a signing key")?;
        let kid = key.thumbprint().to_string();
        let der = key.private_key_der().context("the new key has no private part")?;
        let signs_until = activates_at + self.period;
        Ok(KeyRecord {
            kid,
            alg: jws.as_str().to_string(),
            pkcs8: URL_SAFE_NO_PAD.encode(&*der),
            activates_at,
            signs_until,
            published_until: signs_until + self.max_token_life + RETIRE_LEEWAY,
        })
    }

    /// Bring the schedule up to `now`: delete keys past publication, create the signing key
    /// if none covers `now`, create the next one when it is due for publication.
    ///
    /// # Errors
    /// Key generation failed.
    pub fn schedule(&self, keys: &mut BTreeMap<String, KeyRecord>, now: u64) -> anyhow::Result<Vec<Write>> {
        let mut w = Vec::new();
        keys.retain(|kid, r| {
            let keep = r.published_until > now;
            if !keep {
                w.push(Write::Delete(KEYS, kid.clone()));
            }
            keep
        });
        let alg = self.alg.jws().as_str();
        let mine = |r: &&KeyRecord| r.alg == alg;
        if !keys
            .values()
            .filter(mine)
            .any(|r| r.activates_at <= now && now < r.signs_until)
        {
            let r = self.generate(now)?;
            w.push(put(KEYS, &r.kid, &r));
            keys.insert(r.kid.clone(), r);
        }
        let last_end = keys
            .values()
            .filter(mine)
            .map(|r| r.signs_until)
            .max()
            .unwrap_or(now);
        if now + self.ahead >= last_end {
            let r = self.generate(last_end)?;
            w.push(put(KEYS, &r.kid, &r));
            keys.insert(r.kid.clone(), r);
        }
        Ok(w)
    }

    fn parse(&self, r: &KeyRecord) -> Option<Arc<Key>> {
        let mut cache = self.parsed.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(k) = cache.get(&r.kid) {
            return Some(k.clone());
        }
        let der = URL_SAFE_NO_PAD.decode(&r.pkcs8).ok()?;
        let key = Arc::new(
            Key::from_pkcs8(&der)
                .ok()?
                .with_kid(r.kid.clone())
                .with_alg(r.alg.clone()),
        );
        cache.retain(|kid, _| kid != &r.kid);
        if cache.len() > 64 {
            cache.clear();
        }
        cache.insert(r.kid.clone(), key.clone());
        Some(key)
    }

    /// The key that signs at `now` (after [`KeyRing::schedule`]).
    pub fn signing_key(&self, keys: &BTreeMap<String, KeyRecord>, now: u64) -> Option<Arc<Key>> {
        let alg = self.alg.jws().as_str();
        keys.values()
            .filter(|r| r.alg == alg && r.activates_at <= now && now < r.signs_until)
            .max_by_key(|r| r.activates_at)
            .and_then(|r| self.parse(r))
    }

    /// The public keys published at `now`, newest first.
    pub fn published(&self, keys: &BTreeMap<String, KeyRecord>, now: u64) -> Vec<Arc<Key>> {
        let mut recs: Vec<&KeyRecord> = keys
            .values()
            .filter(|r| r.activates_at <= now + self.ahead && now < r.published_until)
            .collect();
        recs.sort_by_key(|r| std::cmp::Reverse(r.activates_at));
        recs.into_iter().filter_map(|r| self.parse(r)).collect()
    }

    /// The JWK Set document (RFC 7517 §5): public members, `kid`, `alg`, `use: sig`.
    pub fn jwks(&self, keys: &BTreeMap<String, KeyRecord>, now: u64) -> Value {
        let list: Vec<Value> = self
            .published(keys, now)
            .iter()
            .filter_map(|k| k.to_public())
            .map(|k| {
                let mut jwk = k.to_jwk(false);
                jwk.insert("use".into(), "sig".into());
                Value::Object(jwk)
            })
            .collect();
        serde_json::json!({ "keys": list })
    }

    /// The published keys as a set to verify this issuer's own tokens.
    pub fn verifying_set(&self, keys: &BTreeMap<String, KeyRecord>, now: u64) -> JwkSet {
        JwkSet::from_keys(
            self.published(keys, now)
                .iter()
                .filter_map(|k| k.to_public())
                .collect(),
        )
    }
}
