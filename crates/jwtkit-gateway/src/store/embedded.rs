//! The embedded store: revocations in a redb file, committed with `Durability::Immediate`
//! (fsync) before the admin API answers 2xx, so a revocation survives `kill -9` right after.
//! All entries are mirrored in memory for the request path; rate-limit buckets are in memory.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, RwLock};

use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};

use super::{Check, CheckResult, Page, StoreError, now_secs};
use crate::rate_limit::{Decision, LocalBuckets};
use crate::revocation::{Revocation, RevocationKind, id};

const TABLE: TableDefinition<&str, &[u8]> = TableDefinition::new("revocations");

/// redb-backed store.
pub struct EmbeddedStore {
    db: Arc<Database>,
    mem: Arc<RwLock<BTreeMap<String, Revocation>>>,
    buckets: LocalBuckets,
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
        let mut mem = BTreeMap::new();
        let read = db.begin_read()?;
        let table = read.open_table(TABLE)?;
        for item in table.iter()? {
            let (k, v) = item?;
            if let Ok(r) = serde_json::from_slice::<Revocation>(v.value())
                && r.expires_at > now
            {
                mem.insert(k.value().to_string(), r);
            }
        }
        Ok(EmbeddedStore {
            db: Arc::new(db),
            mem: Arc::new(RwLock::new(mem)),
            buckets: LocalBuckets::new(100_000),
            healthy: AtomicBool::new(true),
        })
    }

    pub(crate) fn check(&self, q: &Check<'_>) -> CheckResult {
        let now = now_secs();
        let revoked = {
            let mem = self.mem.read().unwrap_or_else(|e| e.into_inner());
            let hit = |kind, v: Option<&str>| {
                v.and_then(|v| mem.get(&id(kind, v)))
                    .is_some_and(|r| r.expires_at > now && r.revokes(q.iat))
            };
            hit(RevocationKind::Jti, q.jti) || hit(RevocationKind::Sub, q.sub)
        };
        let rate = match &q.bucket {
            Some(b) if !revoked => self.buckets.take(b),
            _ => Decision::Allow,
        };
        CheckResult { revoked, rate }
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
        self.mem.write().unwrap_or_else(|e| e.into_inner()).insert(key, r);
        Ok(())
    }

    pub(crate) fn list(&self, cursor: Option<&str>, limit: usize) -> Page {
        let now = now_secs();
        let mem = self.mem.read().unwrap_or_else(|e| e.into_inner());
        let start = cursor.map_or(std::ops::Bound::Unbounded, |c| {
            std::ops::Bound::Excluded(c.to_string())
        });
        let mut items: Vec<(&String, &Revocation)> = mem
            .range((start, std::ops::Bound::Unbounded))
            .filter(|(_, r)| r.expires_at > now)
            .take(limit + 1)
            .collect();
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
        Ok(self
            .mem
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .remove(key)
            .is_some())
    }

    pub(crate) async fn purge_expired(&self) {
        let now = now_secs();
        let expired: Vec<String> = self
            .mem
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .filter(|(_, r)| r.expires_at <= now)
            .map(|(k, _)| k.clone())
            .collect();
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
}
