//! Token issuers: where a provider's keys come from, how its tokens are found in a request,
//! and the [`jwtkit::Validation`] built once from its config (RFC 7519 §7.2, RFC 6750 §2).
//!
//! Keys are behind the small [`KeySource`] trait so that every provider, whatever the source,
//! verifies through the core (`jwtkit::verify`). Sources are shared through [`KeyRegistry`]:
//! one per key location, reused by every route and across config reloads, so an issuer's
//! keys are fetched once, not once per route or per thread.

use std::collections::HashMap;
use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use http::HeaderMap;
use jwtkit::{Error, ErrorKind, JwkSet, JwsAlg, Validation, Verified};

use crate::config::ProviderConfig;

/// A boxed future, for the object-safe [`KeySource`].
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Health of a key source, for `/readyz` and metrics.
#[derive(Clone, Debug, Default)]
pub struct KeyStatus {
    /// Keys are available.
    pub ready: bool,
    /// Bumps whenever the key set changes.
    pub generation: u64,
    /// Successful loads or fetches.
    pub fetch_count: u64,
    /// Failed loads or fetches.
    pub failure_count: u64,
    /// Time since the current keys were obtained.
    pub key_set_age: Option<Duration>,
    /// The last failure, if any.
    pub last_error: Option<String>,
}

/// Where a provider's keys come from.
pub trait KeySource: Send + Sync {
    /// Verify a token with the current keys; a token whose `kid` is unknown may cause one
    /// (coalesced, throttled) reload before failing with `key_not_found`.
    ///
    /// # Errors
    /// Every kind of [`jwtkit::verify`]; `key_fetch_failed` when no keys can be had.
    fn verify<'a>(
        &'a self,
        token: &'a str,
        validation: &'a Validation,
    ) -> BoxFuture<'a, Result<Verified, Error>>;
    /// The keys now in use, if any.
    fn current(&self) -> Option<Arc<JwkSet>>;
    /// Health.
    fn status(&self) -> KeyStatus;
    /// The key-set generation (bumps when keys change); cheap, called per request.
    fn generation(&self) -> u64 {
        self.status().generation
    }
    /// Load or fetch now (start-up, readiness); errors are also kept in [`KeySource::status`].
    fn refresh(&self) -> BoxFuture<'_, Result<(), Error>>;
}

/// Keys from a local file (JWK Set, JWK or PEM), re-read when the file changes (checked on
/// unknown `kid`, at most once per second) and on config reload.
pub struct FileKeys {
    path: PathBuf,
    inner: Mutex<FileState>,
}

#[derive(Default)]
struct FileState {
    keys: Option<Arc<JwkSet>>,
    modified: Option<std::time::SystemTime>,
    loaded_at: Option<Instant>,
    checked_at: Option<Instant>,
    generation: u64,
    fetch_count: u64,
    failure_count: u64,
    last_error: Option<String>,
}

impl FileKeys {
    /// A source for `path`, loaded immediately (a failure is kept in the status).
    pub fn new(path: PathBuf) -> FileKeys {
        let k = FileKeys {
            path,
            inner: Mutex::new(FileState::default()),
        };
        let _ = k.load(true);
        k
    }

    fn load(&self, force: bool) -> Result<(), Error> {
        let mut st = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        if !force
            && st
                .checked_at
                .is_some_and(|t| now.duration_since(t) < Duration::from_secs(1))
        {
            return Ok(());
        }
        st.checked_at = Some(now);
        let modified = std::fs::metadata(&self.path).and_then(|m| m.modified()).ok();
        if st.keys.is_some() && modified.is_some() && modified == st.modified {
            return Ok(());
        }
        let result = std::fs::read(&self.path)
            .map_err(|e| {
                Error::new(
                    ErrorKind::KeyFetchFailed,
                    format!("reading {}: {e}", self.path.display()),
                )
            })
            .and_then(|bytes| jwtkit::key::load(&bytes, &jwtkit::Limits::default()).map(|(set, _)| set));
        match result {
            Ok(set) => {
                st.keys = Some(Arc::new(set));
                st.modified = modified;
                st.loaded_at = Some(now);
                st.generation += 1;
                st.fetch_count += 1;
                st.last_error = None;
                Ok(())
            }
            Err(e) => {
                st.failure_count += 1;
                st.last_error = Some(e.to_string());
                Err(e)
            }
        }
    }
}

impl KeySource for FileKeys {
    fn verify<'a>(
        &'a self,
        token: &'a str,
        validation: &'a Validation,
    ) -> BoxFuture<'a, Result<Verified, Error>> {
        Box::pin(async move {
            let keys = self.current().ok_or_else(|| no_keys(&self.status()))?;
            match jwtkit::verify(token, &keys, validation) {
                Err(e) if e.kind() == ErrorKind::KeyNotFound => {
                    let before = self.status().generation;
                    let _ = self.load(false);
                    match self.current() {
                        Some(k) if self.status().generation != before => {
                            jwtkit::verify(token, &k, validation)
                        }
                        _ => Err(e),
                    }
                }
                other => other,
            }
        })
    }

    fn current(&self) -> Option<Arc<JwkSet>> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner()).keys.clone()
    }

    fn status(&self) -> KeyStatus {
        let st = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        KeyStatus {
            ready: st.keys.is_some(),
            generation: st.generation,
            fetch_count: st.fetch_count,
            failure_count: st.failure_count,
            key_set_age: st.loaded_at.map(|t| t.elapsed()),
            last_error: st.last_error.clone(),
        }
    }

    fn refresh(&self) -> BoxFuture<'_, Result<(), Error>> {
        Box::pin(async move { self.load(true) })
    }

    fn generation(&self) -> u64 {
        self.inner.lock().unwrap_or_else(|e| e.into_inner()).generation
    }
}

fn no_keys(status: &KeyStatus) -> Error {
    Error::new(
        ErrorKind::KeyFetchFailed,
        format!(
            "no keys available{}",
            status
                .last_error
                .as_deref()
                .map(|e| format!(": {e}"))
                .unwrap_or_default()
        ),
    )
}

/// One key source per location, shared by all providers and kept across reloads.
#[derive(Default)]
pub struct KeyRegistry {
    sources: Mutex<HashMap<String, Arc<dyn KeySource>>>,
}

impl KeyRegistry {
    /// The source for a provider's config, created on first use.
    ///
    /// # Errors
    /// A remote source (`jwks_uri`, `discovery`) when remote keys are not available.
    pub fn get_or_create(&self, p: &ProviderConfig) -> anyhow::Result<Arc<dyn KeySource>> {
        let Some(path) = &p.keys else {
            return Err(anyhow::anyhow!(
                "provider {:?}: jwks_uri and discovery need the remote key cache (jwtkit feature \"remote\"), \
                 which this build does not include; use keys = \"FILE\"",
                p.name
            ));
        };
        let id = format!("file:{}", path.display());
        let mut map = self.sources.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(s) = map.get(&id) {
            return Ok(s.clone());
        }
        let s: Arc<dyn KeySource> = Arc::new(FileKeys::new(path.clone()));
        map.insert(id, s.clone());
        Ok(s)
    }

    /// Forget sources no longer used by `keep` (after a reload).
    pub fn retain(&self, keep: &[Arc<dyn KeySource>]) {
        let mut map = self.sources.lock().unwrap_or_else(|e| e.into_inner());
        map.retain(|_, s| keep.iter().any(|k| Arc::ptr_eq(k, s)));
    }
}

/// Where a token is looked for in a request (RFC 6750 §2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TokenSource {
    /// `Authorization: Bearer TOKEN` (RFC 6750 §2.1).
    Bearer,
    /// Another header; a `Bearer ` prefix is removed if present.
    Header(http::HeaderName),
    /// A cookie.
    Cookie(String),
    /// A query parameter (RFC 6750 §2.3).
    Query(String),
}

impl TokenSource {
    /// Parse `header:Authorization`, `header:X-Token`, `cookie:NAME`, `query:NAME`.
    ///
    /// # Errors
    /// A message naming the text.
    pub fn parse(text: &str) -> Result<TokenSource, String> {
        let (kind, name) = text.split_once(':').ok_or_else(|| {
            format!("token_from {text:?} must look like header:NAME, cookie:NAME or query:NAME")
        })?;
        if name.is_empty() {
            return Err(format!("token_from {text:?} has an empty name"));
        }
        match kind {
            "header" if name.eq_ignore_ascii_case("authorization") => Ok(TokenSource::Bearer),
            "header" => http::HeaderName::from_bytes(name.as_bytes())
                .map(TokenSource::Header)
                .map_err(|_| format!("token_from {text:?}: not a header name")),
            "cookie" => Ok(TokenSource::Cookie(name.to_string())),
            "query" => Ok(TokenSource::Query(name.to_string())),
            _ => Err(format!(
                "token_from {text:?}: the kind must be header, cookie or query"
            )),
        }
    }

    /// The token from this source, if present. A present but unusable value (e.g.
    /// `Authorization: Basic …`) counts as absent for `Bearer`.
    pub fn extract<'a>(&self, headers: &'a HeaderMap, query: Option<&'a str>) -> Option<&'a str> {
        match self {
            TokenSource::Bearer => headers
                .get(http::header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .and_then(strip_bearer),
            TokenSource::Header(name) => headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(|v| strip_bearer(v).unwrap_or(v.trim())),
            TokenSource::Cookie(name) => headers
                .get_all(http::header::COOKIE)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .flat_map(|v| v.split(';'))
                .filter_map(|kv| kv.trim().split_once('='))
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.trim_matches('"')),
            TokenSource::Query(name) => query?
                .split('&')
                .filter_map(|kv| kv.split_once('='))
                .find(|(k, _)| k == name)
                .map(|(_, v)| v),
        }
        .filter(|t| !t.is_empty())
    }
}

fn strip_bearer(v: &str) -> Option<&str> {
    let v = v.trim();
    let scheme = v.get(..7)?;
    scheme
        .eq_ignore_ascii_case("bearer ")
        .then(|| v.get(7..).unwrap_or("").trim_start())
}

/// A provider ready to verify tokens.
pub struct Provider {
    /// Config name.
    pub name: Arc<str>,
    /// Expected `iss`.
    pub issuer: String,
    /// Built once from the config.
    pub validation: Validation,
    /// Keys.
    pub keys: Arc<dyn KeySource>,
    /// Token locations, in order.
    pub token_from: Vec<TokenSource>,
    /// Maximum token age, re-checked on cache hits.
    pub max_age: Option<Duration>,
    /// Thumbprints of the keys of the last generation seen, to drop cached tokens whose key left.
    thumbprints: Mutex<(u64, Arc<std::collections::HashSet<String>>)>,
}

impl Provider {
    /// Build from config with the shared key registry.
    ///
    /// # Errors
    /// Bad algorithms, token sources, or an unavailable key source kind.
    pub fn new(
        p: &ProviderConfig,
        registry: &KeyRegistry,
        max_token_bytes: usize,
    ) -> anyhow::Result<Provider> {
        let algs: Vec<JwsAlg> = p
            .algorithms
            .iter()
            .map(|a| {
                a.parse::<JwsAlg>()
                    .map_err(|e| anyhow::anyhow!("{}", e.message()))
            })
            .collect::<anyhow::Result<_>>()?;
        let mut b = Validation::builder(algs.into_iter().collect::<jwtkit::AlgSet>())
            .issuer(p.issuer.clone())
            .leeway(p.leeway.0)
            .limits(jwtkit::Limits {
                max_token_bytes,
                max_json_depth: 16,
                ..jwtkit::Limits::default()
            });
        for a in &p.audiences {
            b = b.audience(a.clone());
        }
        if let Some(t) = &p.typ {
            b = b.typ(t.clone());
        }
        for c in &p.required_claims {
            b = b.require(c.clone());
        }
        if let Some(m) = p.max_token_age {
            b = b.max_age(m.0);
        }
        let validation = b
            .build()
            .map_err(|e| anyhow::anyhow!("provider {:?}: {}", p.name, e.message()))?;
        let token_from = p
            .token_from
            .iter()
            .map(|t| TokenSource::parse(t).map_err(|e| anyhow::anyhow!(e)))
            .collect::<anyhow::Result<_>>()?;
        Ok(Provider {
            name: p.name.as_str().into(),
            issuer: p.issuer.clone(),
            validation,
            keys: registry.get_or_create(p)?,
            token_from,
            max_age: p.max_token_age.map(|d| d.0),
            thumbprints: Mutex::new((u64::MAX, Arc::default())),
        })
    }

    /// Thumbprints of the current keys and their generation.
    pub fn key_thumbprints(&self) -> (u64, Arc<std::collections::HashSet<String>>) {
        let generation = self.keys.generation();
        let mut t = self.thumbprints.lock().unwrap_or_else(|e| e.into_inner());
        if t.0 != generation {
            let set = self
                .keys
                .current()
                .map(|k| k.keys().iter().map(|k| k.thumbprint().to_string()).collect())
                .unwrap_or_default();
            *t = (generation, Arc::new(set));
        }
        (t.0, t.1.clone())
    }
}
