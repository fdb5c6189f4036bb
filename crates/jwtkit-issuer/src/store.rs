//! State: grants, authorization codes, refresh tokens, revoked access tokens and signing keys.
//!
//! Everything lives in memory ([`Mem`]); with a state file every change is also written to a
//! redb database (one table per kind, JSON values, `Durability::Immediate`) before the
//! response is sent, and read back at start, so a restart keeps sessions and keys. Codes and
//! refresh tokens are stored only as their SHA-256 ([`token_hash`]): the file never holds a
//! usable credential. One writer at a time: check-and-mark steps (redeeming a code, rotating
//! a refresh token) are atomic.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::{Arc, Mutex};

use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use serde_json::{Map, Value};

/// What a user (or a client for itself) was granted: the parent of its code, refresh tokens
/// and access tokens (which carry the grant id as `sid`). Revoking it revokes them all.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Grant {
    /// The client.
    pub client_id: String,
    /// The user.
    pub sub: String,
    /// Space-separated granted scopes.
    pub scope: String,
    /// The user's claims as approved on the login page.
    pub claims: Map<String, Value>,
    /// When the user logged in (Unix seconds).
    pub auth_time: u64,
    /// The authorization request's `nonce`, for the first ID token.
    pub nonce: Option<String>,
    /// End of the grant: the refresh family's absolute lifetime (Unix seconds).
    pub expires_at: u64,
    /// Revoked (code replay, refresh token reuse, RFC 7009 revocation).
    pub revoked: bool,
    /// Hash of the one refresh token that may be used now.
    pub refresh_current: Option<String>,
    /// When that refresh token stops being accepted (Unix seconds).
    pub refresh_expires_at: u64,
}

/// An authorization code (stored under its hash).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Code {
    /// Its grant.
    pub grant: String,
    /// The redirect URI used.
    pub redirect_uri: String,
    /// Whether the authorization request named `redirect_uri` (it must then be repeated).
    pub redirect_uri_given: bool,
    /// PKCE S256 `code_challenge`.
    pub challenge: String,
    /// Expiry (Unix seconds).
    pub expires_at: u64,
    /// Already presented once: a second use is a replay.
    pub redeemed: bool,
}

/// A refresh token ever issued (stored under its hash), kept until its grant ends so that
/// reuse of a rotated one is recognised.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Refresh {
    /// Its grant.
    pub grant: String,
    /// When this record can be forgotten (the grant's end).
    pub expires_at: u64,
}

/// A signing key and its schedule (Unix seconds).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct KeyRecord {
    /// `kid` (RFC 7638 thumbprint).
    pub kid: String,
    /// JWS algorithm it signs with (`ES256`, `RS256`).
    pub alg: String,
    /// PKCS#8 DER, base64url.
    pub pkcs8: String,
    /// First second it signs.
    pub activates_at: u64,
    /// First second it no longer signs (the next key's `activates_at`).
    pub signs_until: u64,
    /// First second it is no longer published: `signs_until` plus the longest token lifetime.
    pub published_until: u64,
}

/// The in-memory state.
#[derive(Default)]
pub struct Mem {
    /// Grants by id.
    pub grants: HashMap<String, Grant>,
    /// Codes by hash.
    pub codes: HashMap<String, Code>,
    /// Refresh tokens by hash.
    pub refresh: HashMap<String, Refresh>,
    /// Revoked access token `jti` → its `exp`.
    pub revoked_jti: HashMap<String, u64>,
    /// Keys by `kid`.
    pub keys: BTreeMap<String, KeyRecord>,
    last_purge: u64,
}

/// A change to persist.
pub enum Write {
    /// Insert or replace `(table, key, value)`.
    Put(&'static str, String, Vec<u8>),
    /// Remove `(table, key)`.
    Delete(&'static str, String),
}

/// Most live grants (logins); a new login beyond is refused with 503 until some expire.
pub const MAX_GRANTS: usize = 100_000;
/// Most refresh token records (current and rotated, kept for reuse detection).
pub const MAX_REFRESH_RECORDS: usize = 1_000_000;

/// Table names.
pub const GRANTS: &str = "grants";
/// Table names.
pub const CODES: &str = "codes";
/// Table names.
pub const REFRESH: &str = "refresh";
/// Table names.
pub const REVOKED: &str = "revoked_jti";
/// Table names.
pub const KEYS: &str = "keys";
const TABLES: [&str; 5] = [GRANTS, CODES, REFRESH, REVOKED, KEYS];

fn table(name: &str) -> TableDefinition<'_, &'static str, &'static [u8]> {
    TableDefinition::new(name)
}

/// A `Put` of a serializable value.
pub fn put<T: Serialize>(table: &'static str, key: &str, value: &T) -> Write {
    Write::Put(
        table,
        key.to_string(),
        serde_json::to_vec(value).unwrap_or_default(),
    )
}

/// SHA-256 of a code or refresh token, base64url: how it is looked up and stored.
pub fn token_hash(token: &str) -> String {
    URL_SAFE_NO_PAD.encode(aws_lc_rs::digest::digest(
        &aws_lc_rs::digest::SHA256,
        token.as_bytes(),
    ))
}

/// The state: memory plus the optional file.
pub struct Store {
    mem: Mutex<Mem>,
    db: Option<Arc<Database>>,
    writer: tokio::sync::Mutex<()>,
}

fn load<T: DeserializeOwned>(
    db: &Database,
    name: &str,
    into: &mut dyn FnMut(String, T),
) -> anyhow::Result<()> {
    let read = db.begin_read()?;
    let t = read.open_table(table(name))?;
    for item in t.iter()? {
        let (k, v) = item?;
        if let Ok(value) = serde_json::from_slice::<T>(v.value()) {
            into(k.value().to_string(), value);
        }
    }
    Ok(())
}

impl Store {
    /// State in memory only.
    pub fn memory() -> Store {
        Store {
            mem: Mutex::new(Mem::default()),
            db: None,
            writer: tokio::sync::Mutex::new(()),
        }
    }

    /// Open (or create) a redb file and load what it holds.
    ///
    /// # Errors
    /// The file cannot be created, is not a redb database, or is held by another process.
    pub fn open(path: &Path) -> anyhow::Result<Store> {
        let db = Database::create(path).map_err(|e| {
            anyhow::anyhow!(
                "opening the state file {}: {e} (is another issuer using it?)",
                path.display()
            )
        })?;
        let txn = db.begin_write()?;
        for name in TABLES {
            txn.open_table(table(name))?;
        }
        txn.commit()?;
        let mut m = Mem::default();
        load(&db, GRANTS, &mut |k, v| {
            m.grants.insert(k, v);
        })?;
        load(&db, CODES, &mut |k, v| {
            m.codes.insert(k, v);
        })?;
        load(&db, REFRESH, &mut |k, v| {
            m.refresh.insert(k, v);
        })?;
        load(&db, REVOKED, &mut |k, v| {
            m.revoked_jti.insert(k, v);
        })?;
        load(&db, KEYS, &mut |k, v| {
            m.keys.insert(k, v);
        })?;
        Ok(Store {
            mem: Mutex::new(m),
            db: Some(Arc::new(db)),
            writer: tokio::sync::Mutex::new(()),
        })
    }

    /// Whether changes are written to a file.
    pub fn is_persistent(&self) -> bool {
        self.db.is_some()
    }

    /// Read the state.
    pub fn read<R>(&self, f: impl FnOnce(&Mem) -> R) -> R {
        f(&self.mem.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// Change the state: `f` mutates memory and returns the writes to persist; they are
    /// committed before this returns. Expired entries are purged at most once a minute.
    ///
    /// # Errors
    /// The state file could not be written (memory is then ahead of the file).
    pub async fn transact<R>(
        &self,
        now: u64,
        f: impl FnOnce(&mut Mem) -> (R, Vec<Write>),
    ) -> anyhow::Result<R> {
        let _one_writer = self.writer.lock().await;
        let (r, mut writes) = {
            let mut m = self.mem.lock().unwrap_or_else(|e| e.into_inner());
            let (r, mut w) = f(&mut m);
            if now >= m.last_purge + 60 {
                m.last_purge = now;
                w.extend(purge(&mut m, now));
            }
            (r, w)
        };
        if let Some(db) = &self.db
            && !writes.is_empty()
        {
            let db = db.clone();
            let batch = std::mem::take(&mut writes);
            tokio::task::spawn_blocking(move || commit(&db, batch)).await??;
        }
        Ok(r)
    }
}

fn commit(db: &Database, writes: Vec<Write>) -> anyhow::Result<()> {
    let txn = db.begin_write()?;
    for w in &writes {
        match w {
            Write::Put(name, k, v) => {
                txn.open_table(table(name))?.insert(k.as_str(), v.as_slice())?;
            }
            Write::Delete(name, k) => {
                txn.open_table(table(name))?.remove(k.as_str())?;
            }
        }
    }
    txn.commit()?;
    Ok(())
}

/// Drop what has expired: grants, then their codes, refresh records, revocations. Keys are
/// retired by the key ring, which knows their schedule.
fn purge(m: &mut Mem, now: u64) -> Vec<Write> {
    let mut w = Vec::new();
    expire(&mut m.grants, GRANTS, now, |g| g.expires_at, &mut w);
    // A used or expired code is kept while its grant lives, so that a late replay still
    // revokes what the code issued (RFC 6749 §4.1.2); it goes with the grant.
    let grants = &m.grants;
    expire(
        &mut m.codes,
        CODES,
        now,
        |c| {
            if grants.contains_key(&c.grant) {
                u64::MAX
            } else {
                c.expires_at
            }
        },
        &mut w,
    );
    expire(&mut m.refresh, REFRESH, now, |r| r.expires_at, &mut w);
    expire(&mut m.revoked_jti, REVOKED, now, |exp| *exp, &mut w);
    w
}

fn expire<T>(
    map: &mut HashMap<String, T>,
    name: &'static str,
    now: u64,
    end: impl Fn(&T) -> u64,
    w: &mut Vec<Write>,
) {
    map.retain(|k, v| {
        let keep = end(v) > now;
        if !keep {
            w.push(Write::Delete(name, k.clone()));
        }
        keep
    });
}
