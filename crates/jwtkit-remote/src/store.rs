//! A persistent copy of fetched documents with their expiry, for one-shot verifiers (the CLI
//! keeps them under `$XDG_CACHE_HOME/jwtkit`): a second run within the TTL makes no request,
//! and `--offline` works from it.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};

/// A stored document: the body as fetched and its freshness.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredDocument {
    /// The response body.
    pub body: Vec<u8>,
    /// When it was fetched.
    pub fetched_at: SystemTime,
    /// When it stops being fresh (fetch time + clamped TTL).
    pub expires_at: SystemTime,
}

/// Where a [`super::KeyCache`] keeps fetched documents between processes. Implementations are
/// best effort: a failing store never fails a verification.
pub trait DocumentStore: Send + Sync + std::fmt::Debug {
    /// The stored copy of `url`, if any (fresh or not).
    fn load(&self, url: &str) -> Option<StoredDocument>;
    /// Store (replace) the copy of `url`.
    fn save(&self, url: &str, doc: &StoredDocument);
}

/// A [`DocumentStore`] in a directory: one JSON file per URL, named by the SHA-256 of the URL,
/// `{"url", "fetched_at", "expires_at" (Unix seconds), "body"}`, written atomically
/// (temporary file + rename).
#[derive(Clone, Debug)]
pub struct DirStore {
    dir: PathBuf,
    max_bytes: usize,
}

impl DirStore {
    /// A store in `dir` (created on first save) reading files of at most `max_bytes` of body.
    pub fn new(dir: impl Into<PathBuf>, max_bytes: usize) -> DirStore {
        DirStore {
            dir: dir.into(),
            max_bytes,
        }
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The file holding `url`.
    pub fn path_for(&self, url: &str) -> PathBuf {
        let h = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, url.as_bytes());
        let name: String = h.as_ref().iter().take(16).map(|b| format!("{b:02x}")).collect();
        self.dir.join(format!("{name}.json"))
    }
}

fn secs(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

impl DocumentStore for DirStore {
    fn load(&self, url: &str) -> Option<StoredDocument> {
        let path = self.path_for(url);
        let meta = std::fs::metadata(&path).ok()?;
        // JSON string escaping can at most sextuple the body; bound the read before parsing.
        if meta.len() > (self.max_bytes as u64).saturating_mul(6).saturating_add(4096) {
            return None;
        }
        let bytes = std::fs::read(&path).ok()?;
        let v: Value = serde_json::from_slice(&bytes).ok()?;
        if v.get("url")?.as_str()? != url {
            return None;
        }
        let at = |name: &str| v.get(name)?.as_u64().map(|s| UNIX_EPOCH + Duration::from_secs(s));
        let body = v.get("body")?.as_str()?.as_bytes().to_vec();
        if body.len() > self.max_bytes {
            return None;
        }
        Some(StoredDocument {
            body,
            fetched_at: at("fetched_at")?,
            expires_at: at("expires_at")?,
        })
    }

    fn save(&self, url: &str, doc: &StoredDocument) {
        let Ok(body) = std::str::from_utf8(&doc.body) else {
            return;
        };
        let v = json!({
            "url": url,
            "fetched_at": secs(doc.fetched_at),
            "expires_at": secs(doc.expires_at),
            "body": body,
        });
        if std::fs::create_dir_all(&self.dir).is_err() {
            return;
        }
        let path = self.path_for(url);
        let tmp = path.with_extension(format!("tmp{}", std::process::id()));
        if std::fs::write(&tmp, v.to_string()).is_ok() && std::fs::rename(&tmp, &path).is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let s = DirStore::new(dir.path().join("sub"), 1000);
        let t = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let doc = StoredDocument {
            body: br#"{"keys":[]}"#.to_vec(),
            fetched_at: t,
            expires_at: t + Duration::from_secs(60),
        };
        assert_eq!(s.load("https://a/jwks"), None);
        s.save("https://a/jwks", &doc);
        assert_eq!(s.load("https://a/jwks"), Some(doc));
        assert_eq!(s.load("https://b/jwks"), None);
        let file = std::fs::read_to_string(s.path_for("https://a/jwks")).unwrap();
        assert!(file.contains("\"expires_at\":1700000060"), "{file}");
    }
}
