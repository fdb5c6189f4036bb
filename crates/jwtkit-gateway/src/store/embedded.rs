//! The embedded store: revocations in a redb file, committed with `Durability::Immediate`
//! (fsync) before the admin API answers 2xx, so a revocation survives `kill -9` right after.
//! All entries are mirrored in memory for the request path; rate-limit buckets are in memory.

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, RwLock};

use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};

use super::{Check, Page, StoreError, now_secs};
use crate::rate_limit::{BucketRequest, Decision, LocalBuckets};
use crate::revocation::{Revocation, RevocationSet};

const TABLE: TableDefinition<&str, &[u8]> = TableDefinition::new("revocations");

/// redb-backed store.
pub struct EmbeddedStore {
    db: Arc<Database>,
    /// Live entries, mirrored from the file: looked up by value without building a key.
    mem: Arc<RwLock<RevocationSet>>,
    /// Whether any entry exists: most requests then skip the lock.
    any: std::sync::atomic::AtomicBool,
    buckets: LocalBuckets,
    /// DPoP proof `jti`s seen ([`super::replay`]).
    pub(crate) seen: super::replay::SeenSet,
    pub(crate) healthy: AtomicBool,
}

fn err(e: impl std::fmt::Display) -> StoreError {
    StoreError(format!("embedded store: {e}"))
}

impl EmbeddedStore {
    /// Open (or create) the file and load live entries.
    ///
    /// # Errors
    /// The file cannot be opened or is held by another process.
    pub fn open(path: PathBuf) -> anyhow::Result<EmbeddedStore> {
        let db = Database::create(&path).map_err(|e| {
            anyhow::anyhow!(
                "opening the store {}: {e} (is another gateway using it?)",
                path.display()
            )
        })?;
        let txn = db.begin_write()?;
        txn.open_table(TABLE)?;
        txn.commit()?;
        let now = now_secs();
        let mut mem = RevocationSet::default();
        let read = db.begin_read()?;
        let table = read.open_table(TABLE)?;
        for item in table.iter()? {
            let (k, v) = item?;
            if let Ok(r) = serde_json::from_slice::<Revocation>(v.value())
                && r.expires_at > now
                && r.id() == k.value()
            {
                mem.insert(r);
            }
        }
        Ok(EmbeddedStore {
            db: Arc::new(db),
            any: std::sync::atomic::AtomicBool::new(!mem.is_empty()),
            mem: Arc::new(RwLock::new(mem)),
            buckets: LocalBuckets::new(100_000),
            seen: super::replay::SeenSet::new(super::replay::MAX_SEEN),
            healthy: AtomicBool::new(true),
        })
    }

    pub(crate) fn revoked(&self, q: &Check<'_>) -> bool {
        self.any.load(std::sync::atomic::Ordering::Acquire)
            && self
                .mem
                .read()
                .unwrap_or_else(|e| e.into_inner())
                .revokes(q.jti, q.sub, q.iat, now_secs())
    }

    pub(crate) fn take(&self, b: &BucketRequest) -> Decision {
        self.buckets.take(b)
    }

    async fn write(
        &self,
        f: impl FnOnce(&mut redb::Table<&str, &[u8]>) -> Result<(), redb::StorageError> + Send + 'static,
    ) -> Result<(), StoreError> {
        let db = self.db.clone();
        tokio::task::spawn_blocking(move || -> Result<(), StoreError> {
            let txn = db.begin_write().map_err(err)?;
            {
                let mut t = txn.open_table(TABLE).map_err(err)?;
                f(&mut t).map_err(err)?;
            }
            txn.commit().map_err(err)
        })
        .await
        .map_err(err)?
    }

    pub(crate) async fn revoke(&self, r: Revocation) -> Result<(), StoreError> {
        let key = r.id();
        let bytes = serde_json::to_vec(&r).map_err(err)?;
        let k2 = key.clone();
        self.write(move |t| t.insert(k2.as_str(), bytes.as_slice()).map(|_| ()))
            .await?;
        self.mem.write().unwrap_or_else(|e| e.into_inner()).insert(r);
        self.any.store(true, std::sync::atomic::Ordering::Release);
        Ok(())
    }

    pub(crate) fn list(&self, cursor: Option<&str>, limit: usize) -> Page {
        let now = now_secs();
        let mem = self.mem.read().unwrap_or_else(|e| e.into_inner());
        let mut items: Vec<(String, &Revocation)> = mem
            .iter()
            .filter(|r| r.expires_at > now)
            .map(|r| (r.id(), r))
            .filter(|(id, _)| cursor.is_none_or(|c| id.as_str() > c))
            .collect();
        items.sort_by(|a, b| a.0.cmp(&b.0));
        let next = (items.len() > limit).then(|| items[limit - 1].0.clone());
        items.truncate(limit);
        Page {
            items: items.into_iter().map(|(_, r)| r.clone()).collect(),
            next,
        }
    }

    pub(crate) async fn delete(&self, key: &str) -> Result<bool, StoreError> {
        let k = key.to_string();
        self.write(move |t| t.remove(k.as_str()).map(|_| ())).await?;
        Ok(self.mem.write().unwrap_or_else(|e| e.into_inner()).remove(key))
    }

    pub(crate) async fn purge_expired(&self) {
        let now = now_secs();
        let expired: Vec<String> = {
            let mem = self.mem.read().unwrap_or_else(|e| e.into_inner());
            mem.iter()
                .filter(|r| r.expires_at <= now)
                .map(Revocation::id)
                .collect()
        };
        if expired.is_empty() {
            return;
        }
        let keys = expired.clone();
        let res = self
            .write(move |t| {
                for k in &keys {
                    t.remove(k.as_str())?;
                }
                Ok(())
            })
            .await;
        if res.is_ok() {
            let mut mem = self.mem.write().unwrap_or_else(|e| e.into_inner());
            for k in expired {
                mem.remove(&k);
            }
        }
    }

    /// Number of live entries held in memory.
    pub(crate) fn len(&self) -> usize {
        self.mem.read().unwrap_or_else(|e| e.into_inner()).len()
    }
}
