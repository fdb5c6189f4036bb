//! Remote keys (the I/O part of jwtkit; the core crate has no network code): JWK Set URLs ([RFC 7517 §5]),
//! OpenID Connect Discovery 1.0 ([§4]) with the OAuth 2.0 Authorization Server Metadata
//! fallback ([RFC 8414 §3]), and [`KeyCache`], a rotation-safe key cache for long-running
//! verifiers (the gateway) and one-shot ones (the CLI).
//!
//! ```no_run
//! use jwtkit_remote::{FetchPolicy, KeyCache, KeyLocation};
//! use jwtkit::{JwsAlg, Validation};
//! # async fn run(token: &str) -> Result<(), jwtkit::Error> {
//! let cache = KeyCache::new(
//!     KeyLocation::Discovery { issuer: "https://auth.example.com/".into() },
//!     FetchPolicy::default(),
//! )?;
//! let _refresher = cache.spawn_refresher();
//! let validation = Validation::builder([JwsAlg::RS256, JwsAlg::ES256]).audience("orders-api").build()?;
//! let verified = jwtkit::jwt::verify_with(token, &*cache, &validation).await.into_result()?;
//! # Ok(()) }
//! ```
//!
//! # API (stable names)
//! - [`FetchPolicy`]: TTL bounds, rotation cooldown, stale window, timeouts, limits, transport rules.
//! - [`KeyLocation`]: `JwksUrl`, `Discovery { issuer }`, `File`.
//! - [`KeyCache`]: `new`, `with_store`, `keys`, `keys_for_kid`, `keys_for_header`, `current`,
//!   `status`, `spawn_refresher`, `discovery`, `refresh`; a [`jwtkit::KeySource`] for
//!   [`jwtkit::jwt::verify_with`].
//! - [`KeyCacheRegistry`]: `get_or_create` shares one cache per (source, policy).
//! - [`Fetcher`]: one-shot HTTP fetches (`get`, `jwks`, `discover`) under a policy.
//! - [`DocumentStore`] / [`DirStore`]: optional persistent copy of fetched documents (the CLI's
//!   cache directory), with their expiry.
//!
//! # How the cache behaves
//! - **TTL**: `Cache-Control: max-age` (minus `Age`), `no-cache`/`no-store` count as 0, absent
//!   means [`FetchPolicy::default_ttl`]; always clamped to `min_ttl..=max_ttl`.
//! - **Single flight**: every caller that needs a fetch joins the one in flight (a spawned task
//!   whose result is broadcast on a `tokio::sync::watch` channel): 1,000 concurrent misses cause
//!   one request, and a caller that gives up does not cancel the fetch for the others.
//! - **Rotation**: a token whose `kid` is not in the set triggers one refetch, unless one started
//!   less than `refetch_cooldown` ago; then `key_not_found` names the kids present. A flood of
//!   random kids therefore causes at most one request per cooldown.
//! - **Failing issuer**: after expiry the last good keys are served for `stale_window` while a
//!   background refetch is tried (exponential backoff from 1 s up to `refetch_cooldown`); after the
//!   window, `key_fetch_failed`.
//! - **Transport**: HTTPS with rustls (aws-lc-rs) and the platform's root certificates; plain
//!   `http` only to loopback hosts or with `allow_insecure_http`; redirects limited and held to
//!   the same rule; connect, read and total timeouts; the body is read in chunks and cut at
//!   `max_bytes`; no decompression.
//! - **Keys named by the token** (`jku`, `x5u`) are fetched only when the URL is listed exactly
//!   in `allowed_key_urls` (empty by default); otherwise the header is ignored.
//!
//! [RFC 7517 §5]: https://www.rfc-editor.org/rfc/rfc7517#section-5
//! [§4]: https://openid.net/specs/openid-connect-discovery-1_0.html#ProviderConfig
//! [RFC 8414 §3]: https://www.rfc-editor.org/rfc/rfc8414#section-3

mod cache;
mod discovery;
mod http;
mod registry;
mod store;

use std::time::Duration;

pub use cache::{CacheStatus, KeyCache};
pub use discovery::{DiscoveryDocument, DiscoveryKind};
// The URL rules and well-known URLs are public: jwtkit-oauth applies the same ones.
pub(crate) use discovery::{oauth_metadata_url, openid_configuration_url};
pub use http::{Fetched, Fetcher, check_url, is_loopback_host};
pub use registry::KeyCacheRegistry;
pub use store::{DirStore, DocumentStore, StoredDocument};

/// How keys are fetched and cached. Every field has a documented default ([`FetchPolicy::default`]);
/// build variants with `FetchPolicy { max_ttl: ..., ..FetchPolicy::default() }`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct FetchPolicy {
    /// Shortest time a fetched document is trusted before refetching, even when the server
    /// says `max-age=0` or `no-store`. Default 60 s: protects the issuer from one request per
    /// token; rotation does not need a short TTL because an unknown `kid` refetches.
    pub min_ttl: Duration,
    /// Longest time a fetched document is trusted, whatever the server says. Default 1 h: a key
    /// the issuer withdraws (compromise) stops verifying within the hour.
    pub max_ttl: Duration,
    /// TTL when the response has no `Cache-Control: max-age`. Default 10 min (as Envoy's
    /// `cache_duration` and panva/jose's `cacheMaxAge`).
    pub default_ttl: Duration,
    /// Least time between two fetches caused by an unknown `kid`. Default 30 s: a flood of
    /// tokens with random `kid`s costs the issuer at most 2 requests a minute per cache, while a
    /// newly rotated key is picked up within 30 s even in the worst case.
    pub refetch_cooldown: Duration,
    /// How long after expiry the last good keys keep being served while the issuer fails.
    /// Default 24 h (the `stale-if-error=86400` that Auth0 sends): an identity provider outage
    /// of up to a day does not take the APIs down; after it, `key_fetch_failed`.
    pub stale_window: Duration,
    /// TCP + TLS connect timeout. Default 5 s.
    pub connect_timeout: Duration,
    /// Longest wait for the next bytes of a response. Default 5 s.
    pub read_timeout: Duration,
    /// Bound on a whole request (connect, redirects, headers, body), so a server trickling
    /// bytes cannot hold a fetch open. Default 15 s.
    pub total_timeout: Duration,
    /// Largest accepted document, bytes. Default 262,144 (256 KiB): Entra ID's JWK Set with
    /// x5c chains is about 10 KiB, so this leaves a margin of 20 while bounding memory.
    pub max_bytes: usize,
    /// Most keys accepted in one JWK Set. Default 100 (as [`jwtkit::Limits::max_jwks_keys`]);
    /// providers publish 2 to 10.
    pub max_keys: usize,
    /// Most redirects followed. Default 3; every hop obeys the `http`/`https` rule.
    pub max_redirects: usize,
    /// Allow plain `http://` to hosts other than loopback. Default false: key documents fetched
    /// in clear text can be replaced by anyone on the path.
    pub allow_insecure_http: bool,
    /// URLs that a token's `jku` or `x5u` header may name, compared exactly. Default empty:
    /// keys named by the token are never fetched (the header is ignored).
    pub allowed_key_urls: Vec<String>,
    /// Never use the network: only documents from the [`DocumentStore`] (even expired ones).
    /// Default false. For the CLI's `--offline`.
    pub offline: bool,
}

impl Default for FetchPolicy {
    fn default() -> Self {
        FetchPolicy {
            min_ttl: Duration::from_secs(60),
            max_ttl: Duration::from_secs(3600),
            default_ttl: Duration::from_secs(600),
            refetch_cooldown: Duration::from_secs(30),
            stale_window: Duration::from_secs(24 * 3600),
            connect_timeout: Duration::from_secs(5),
            read_timeout: Duration::from_secs(5),
            total_timeout: Duration::from_secs(15),
            max_bytes: 256 * 1024,
            max_keys: 100,
            max_redirects: 3,
            allow_insecure_http: false,
            allowed_key_urls: Vec::new(),
            offline: false,
        }
    }
}

impl FetchPolicy {
    /// The TTL for a response that said `max_age` (None: no `max-age`), clamped to
    /// `min_ttl..=max_ttl`.
    pub fn ttl(&self, max_age: Option<Duration>) -> Duration {
        let ttl = max_age.unwrap_or(self.default_ttl);
        ttl.max(self.min_ttl).min(self.max_ttl.max(self.min_ttl))
    }

    /// The parsing limits for fetched documents: default [`jwtkit::Limits`] with
    /// `max_key_document_bytes = max_bytes` and `max_jwks_keys = max_keys`.
    pub fn limits(&self) -> jwtkit::Limits {
        jwtkit::Limits {
            max_key_document_bytes: self.max_bytes,
            max_jwks_keys: self.max_keys,
            ..jwtkit::Limits::default()
        }
    }
}

/// Where keys come from.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum KeyLocation {
    /// A JWK Set URL (`jwks_uri`), RFC 7517 §5.
    JwksUrl(String),
    /// An issuer URL: `{issuer}/.well-known/openid-configuration` gives `jwks_uri` (OpenID
    /// Connect Discovery 1.0 §4), else RFC 8414's `/.well-known/oauth-authorization-server`.
    /// The document's `issuer` must equal this string exactly, and verified tokens' `iss` too.
    Discovery {
        /// The issuer identifier, exactly as tokens carry it in `iss`.
        issuer: String,
    },
    /// A local key file (JWK Set, JWK, PEM or DER, detected by content), re-read like a fetched
    /// document (`min_ttl`, unknown `kid`).
    File(std::path::PathBuf),
}

impl std::fmt::Display for KeyLocation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            KeyLocation::JwksUrl(u) => write!(f, "jwks {u}"),
            KeyLocation::Discovery { issuer } => write!(f, "issuer {issuer}"),
            KeyLocation::File(p) => write!(f, "file {}", p.display()),
        }
    }
}

pub(crate) fn fetch_failed(msg: impl Into<String>) -> jwtkit::Error {
    jwtkit::Error::new(jwtkit::ErrorKind::KeyFetchFailed, msg)
}

/// An error of kind `$kind` with a formatted message (as the core's own).
macro_rules! err {
    ($kind:ident, $($arg:tt)*) => {
        jwtkit::Error::new(jwtkit::ErrorKind::$kind, format!($($arg)*))
    };
}
pub(crate) use err;

/// `s` quoted for a message as the core quotes untrusted text: at most 80 characters then `…`,
/// `"` and `\\` escaped, control characters escaped (`\n`, `\u{1b}`), so a hostile server or
/// config cannot inject terminal escape sequences or fake log lines.
pub(crate) fn quote(s: &str) -> String {
    let mut chars = s.chars();
    let shown: String = chars.by_ref().take(80).collect();
    let cut = if chars.next().is_some() { "…" } else { "" };
    let escaped: String = shown
        .chars()
        .flat_map(|c| match c {
            '"' | '\\' => vec!['\\', c],
            c if c.is_control() => c.escape_default().collect(),
            c => vec![c],
        })
        .collect();
    format!("\"{escaped}{cut}\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quote_escapes_controls_and_cuts_at_80_characters() {
        assert_eq!(quote("a\u{1b}[31mb\n\"\\"), "\"a\\u{1b}[31mb\\n\\\"\\\\\"");
        assert_eq!(quote(&"é".repeat(81)), format!("\"{}…\"", "é".repeat(80)));
        assert_eq!(quote(&"é".repeat(80)), format!("\"{}\"", "é".repeat(80)));
    }

    #[test]
    fn ttl_is_clamped() {
        let p = FetchPolicy::default();
        assert_eq!(p.ttl(None), Duration::from_secs(600));
        assert_eq!(p.ttl(Some(Duration::ZERO)), Duration::from_secs(60));
        assert_eq!(
            p.ttl(Some(Duration::from_secs(86_400))),
            Duration::from_secs(3600)
        );
        assert_eq!(p.ttl(Some(Duration::from_secs(300))), Duration::from_secs(300));
    }
}
