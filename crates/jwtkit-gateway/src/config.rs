//! Gateway configuration (TOML), shape in PRODUCT.md "Gateway configuration".
//!
//! Every table rejects unknown keys (`deny_unknown_fields`): a typo such as `audience = …`
//! for `audiences` is an error naming the line, never a silently ignored setting. Durations
//! are strings (`"30s"`, `"5m"`, `"250ms"`) or integers (seconds). This module is the plain
//! data; what serde cannot check (references between tables, URLs, algorithm names, header
//! names) is checked once, as [`crate::state::State::build`] parses each setting into the
//! typed objects it keeps, so that `jwtkit gateway --check` and hot reload reject the same
//! configs the start-up does.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};
use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};

/// A duration read from `"30s"`, `"250ms"`, `"1h30m"` or an integer number of seconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Dur(pub Duration);

impl<'de> Deserialize<'de> for Dur {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Dur, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Dur;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a duration such as \"30s\", \"250ms\", \"5m\" or a number of seconds")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Dur, E> {
                u64::try_from(v)
                    .map(|s| Dur(Duration::from_secs(s)))
                    .map_err(|_| E::custom("a duration cannot be negative"))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Dur, E> {
                Ok(Dur(Duration::from_secs(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Dur, E> {
                parse_duration(v).map(Dur).map_err(E::custom)
            }
        }
        d.deserialize_any(V)
    }
}

/// Parse `"250ms"` or anything [`jwtkit::jwt::NumericDate::parse_duration`] accepts.
///
/// # Errors
/// A message naming the text.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    if let Some(ms) = text.trim().strip_suffix("ms")
        && let Ok(n) = ms.trim().parse::<u64>()
    {
        return Ok(Duration::from_millis(n));
    }
    jwtkit::jwt::NumericDate::parse_duration(text).map_err(|e| e.message().to_string())
}

/// The whole configuration file.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Listeners, admin API, timeouts.
    pub server: ServerConfig,
    /// Where revocations and rate-limit counters live.
    #[serde(default)]
    pub store: StoreConfig,
    /// The verified-token cache.
    #[serde(default)]
    pub cache: CacheConfig,
    /// Logging.
    #[serde(default)]
    pub log: LogConfig,
    /// Token issuers.
    #[serde(default)]
    pub providers: Vec<ProviderConfig>,
    /// Routes, matched by host and longest path prefix.
    #[serde(default)]
    pub routes: Vec<RouteConfig>,
    /// The decision service (forward-auth, Envoy ext_authz): off unless a listener is set.
    #[serde(default)]
    pub decision: crate::decision::DecisionConfig,
}

/// `[server]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerConfig {
    /// Proxy listener, e.g. `"0.0.0.0:8080"` (HTTP/1.1 and h2c).
    pub listen: String,
    /// Admin listener (`/healthz`, `/readyz`, `/metrics`, `/admin/*`). Default `127.0.0.1:8081`.
    #[serde(default = "default_admin_listen")]
    pub admin_listen: String,
    /// Bearer token for `/admin/*`: literal, `env:VAR` or `@file`. Without it, the environment
    /// variable `JWTKIT_ADMIN_TOKEN` is used; without both, `/admin/*` answers 403.
    #[serde(default)]
    pub admin_token: Option<String>,
    /// `realm` in `WWW-Authenticate`. Default `"jwtkit"`.
    #[serde(default = "default_realm")]
    pub realm: String,
    /// Upstream connect timeout. Default 5 s.
    #[serde(default = "default_connect_timeout")]
    pub connect_timeout: Dur,
    /// Time allowed for the upstream to send response headers. Default 30 s.
    #[serde(default = "default_request_timeout")]
    pub request_timeout: Dur,
    /// How long in-flight requests may take to finish on shutdown. Default 30 s.
    #[serde(default = "default_shutdown_grace")]
    pub shutdown_grace: Dur,
    /// Largest token accepted, in bytes. Default 16,384.
    #[serde(default = "default_max_token_bytes")]
    pub max_token_bytes: usize,
    /// Append to the client's `X-Forwarded-For`/`Forwarded` instead of replacing them. Only for
    /// a gateway behind a trusted proxy. Default false.
    #[serde(default)]
    pub trust_forwarded: bool,
    /// Request headers whose name contains `_`: `"drop"` (default), `"reject"` (400) or
    /// `"keep"`. CGI, WSGI, PHP and Rack read `X_User_Id` as `X-User-Id`, so such a header can
    /// pose as one the gateway wrote; every spelling of an identity header is removed even with
    /// `"keep"` ([`crate::identity_headers`]).
    #[serde(default)]
    pub headers_with_underscores: crate::identity_headers::UnderscoreAction,
    /// Extra PEM CA certificates trusted for `https://` upstreams (besides the system roots).
    #[serde(default)]
    pub upstream_ca_file: Option<PathBuf>,
    /// Watch the config file and reload on change (SIGHUP always reloads). Default true.
    #[serde(default = "yes")]
    pub watch_config: bool,
    /// Proxy worker threads, each with its own event loop, listener (`SO_REUSEPORT`) and
    /// upstream connection pool. Default: the number of CPUs.
    #[serde(default)]
    pub workers: Option<usize>,
    /// TLS on the proxy listener: `{ cert, key, min_version, handshake_timeout }`. Default: plain
    /// HTTP.
    #[serde(default)]
    pub tls: Option<crate::listener_tls::TlsConfig>,
    /// The client certificate as a trusted front proxy forwards it, for certificate-bound
    /// tokens: `{ name, format, trusted_proxies }` ([`crate::sender::mtls::CertHeaderConfig`]).
    #[serde(default)]
    pub client_cert_header: Option<crate::sender::mtls::CertHeaderConfig>,
}

fn default_admin_listen() -> String {
    "127.0.0.1:8081".into()
}
fn default_realm() -> String {
    "jwtkit".into()
}
fn default_connect_timeout() -> Dur {
    Dur(Duration::from_secs(5))
}
fn default_request_timeout() -> Dur {
    Dur(Duration::from_secs(30))
}
fn default_shutdown_grace() -> Dur {
    Dur(Duration::from_secs(30))
}
fn default_max_token_bytes() -> usize {
    16 * 1024
}
fn yes() -> bool {
    true
}

/// `[store]` (its keys and checks live with the store: [`crate::store::config`]).
pub use crate::store::config::{StoreConfig, StoreKind};

/// `[cache]`: the verified-token cache.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CacheConfig {
    /// Most cached tokens (0 disables the cache). Default 100,000.
    #[serde(default = "default_cache_entries")]
    pub max_entries: usize,
    /// Number of independently locked shards. Default 32.
    #[serde(default = "default_cache_shards")]
    pub shards: usize,
}

fn default_cache_entries() -> usize {
    100_000
}
fn default_cache_shards() -> usize {
    32
}

impl Default for CacheConfig {
    fn default() -> Self {
        CacheConfig {
            max_entries: default_cache_entries(),
            shards: default_cache_shards(),
        }
    }
}

/// `[log]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogConfig {
    /// `text` (default) or `json`.
    #[serde(default)]
    pub format: LogFormat,
    /// A `tracing` filter, e.g. `"info"` or `"jwtkit_gateway=debug"`. Default `info`.
    #[serde(default = "default_level")]
    pub level: String,
}

fn default_level() -> String {
    "info".into()
}

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig {
            format: LogFormat::Text,
            level: default_level(),
        }
    }
}

/// Log line format.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object per line.
    Json,
}

/// `[[providers]]`: one token issuer.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProviderConfig {
    /// Name routes refer to.
    pub name: String,
    /// Expected `iss`, compared exactly; or an issuer template with one `{claim}` placeholder
    /// (`https://login.microsoftonline.com/{tid}/v2.0`) filled from the token's own claim of
    /// that name, which then needs `tenants` ([`jwtkit::jwt::IssuerTemplate`]).
    pub issuer: String,
    /// With an issuer template: the tenants accepted, a list or the word `"any"` (required:
    /// there is no default).
    #[serde(default)]
    pub tenants: Option<TenantsConfig>,
    /// With an issuer template: the tenant's shape, `"guid"` (default; Entra ID) or `"name"`
    /// (letters, digits, `-`, `_`, single `.`; at most 128 bytes).
    #[serde(default)]
    pub tenant_format: Option<String>,
    /// RFC 7662 token introspection for tokens that are not JWTs (opaque tokens):
    /// `{ url, client_id, client_secret, auth, max_cache, timeout, max_response_bytes }`.
    #[serde(default)]
    pub introspection: Option<crate::introspection::IntrospectionConfig>,
    /// Accepted audiences (any of). Empty: tokens carrying `aud` are rejected (RFC 7519 §4.1.3).
    #[serde(default)]
    pub audiences: Vec<String>,
    /// JWK Set URL.
    #[serde(default)]
    pub jwks_uri: Option<String>,
    /// Find the JWK Set through OpenID Connect discovery on `issuer`.
    #[serde(default)]
    pub discovery: bool,
    /// A local key file (JWK Set, JWK, PEM), relative to the config file.
    #[serde(default)]
    pub keys: Option<PathBuf>,
    /// Algorithm allowlist (required).
    pub algorithms: Vec<String>,
    /// Clock skew allowed for `exp`/`nbf`/`iat`. Default 60 s.
    #[serde(default = "default_leeway")]
    pub leeway: Dur,
    /// Required header `typ` (e.g. `at+jwt`).
    #[serde(default)]
    pub typ: Option<String>,
    /// Claims that must be present.
    #[serde(default)]
    pub required_claims: Vec<String>,
    /// Maximum age since `iat`.
    #[serde(default)]
    pub max_token_age: Option<Dur>,
    /// Where to look for the token, in order: `header:Authorization` (Bearer scheme),
    /// `header:NAME`, `cookie:NAME`, `query:NAME`. Default `["header:Authorization"]`.
    #[serde(default = "default_token_from")]
    pub token_from: Vec<String>,
    /// Key fetching (remote keys only).
    #[serde(default)]
    pub fetch: FetchConfig,
    /// The private key (or JWK Set of keys) that decrypts this provider's encrypted tokens
    /// (JWE, RFC 7516): a key file (PEM, JWK or JWK Set; relative to the config file), `@file`
    /// likewise, or `env:VAR` holding the key document itself. Without it, JWE tokens are not
    /// accepted for this provider.
    #[serde(default)]
    pub decryption_key: Option<String>,
    /// Accepted Key Management Algorithms (`alg` of a JWE, RFC 7518 §4); required with
    /// `decryption_key`. `RSA1_5` and the password-based `PBES2-*` are refused.
    #[serde(default)]
    pub key_management_algorithms: Vec<String>,
    /// Accepted Content Encryption Algorithms (`enc` of a JWE, RFC 7518 §5); required with
    /// `decryption_key`.
    #[serde(default)]
    pub content_encryption_algorithms: Vec<String>,
    /// Reject plain (signed, unencrypted) tokens for this provider. Default false.
    #[serde(default)]
    pub require_encryption: bool,
    /// DPoP proof checks (RFC 9449): algorithms, `max_age`, `leeway`, server `nonce`
    /// ([`crate::sender::dpop::DpopConfig`]). DPoP is accepted with the defaults without it.
    #[serde(default)]
    pub dpop: crate::sender::dpop::DpopConfig,
    /// Accept only DPoP-bound tokens (`cnf.jkt`) with a valid DPoP proof. Default false (a
    /// token with `cnf.jkt` always needs its proof).
    #[serde(default)]
    pub require_dpop: bool,
    /// Accept only certificate-bound tokens (`cnf.x5t#S256`, RFC 8705 §3). Default false (a
    /// token with `cnf.x5t#S256` always needs its client certificate).
    #[serde(default)]
    pub require_certificate_binding: bool,
    /// A preset of accepted `typ` values: `"rfc9068"` (`at+jwt`, RFC 9068 access tokens only).
    #[serde(default)]
    pub token_profile: Option<crate::token_profile::TokenProfileName>,
    /// Accepted `typ` values (any of; case-insensitive, `application/` optional), combined
    /// with `token_profile`.
    #[serde(default)]
    pub accepted_typ: Vec<String>,
}

/// `tenants = ["…", …]` or `tenants = "any"`.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(untagged)]
pub enum TenantsConfig {
    /// A word; only `"any"` is accepted.
    Word(String),
    /// The allowed tenants.
    List(Vec<String>),
}

fn default_leeway() -> Dur {
    Dur(Duration::from_secs(60))
}
fn default_token_from() -> Vec<String> {
    vec!["header:Authorization".into()]
}

/// `fetch = { … }` in a provider: the remote key cache policy.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FetchConfig {
    /// Shortest time keys are kept before a refresh, whatever `Cache-Control` says.
    pub min_ttl: Option<Dur>,
    /// Longest time keys are kept before a refresh.
    pub max_ttl: Option<Dur>,
    /// Least time between two refetches caused by unknown `kid`s.
    pub refetch_cooldown: Option<Dur>,
    /// How long the last good keys are served when refreshes fail.
    pub stale_window: Option<Dur>,
    /// Connect timeout for the key server.
    pub connect_timeout: Option<Dur>,
    /// Read timeout for the key server.
    pub read_timeout: Option<Dur>,
    /// Allow `http://` key URLs (tests, loopback only).
    #[serde(default)]
    pub allow_insecure_http: bool,
}

/// `[[routes]]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RouteConfig {
    /// Name in metrics and logs. Default: the path prefix.
    #[serde(default)]
    pub name: Option<String>,
    /// Match only this `Host` (port ignored). Default: any host.
    #[serde(default)]
    pub host: Option<String>,
    /// Path prefix, matched on segment boundaries; the longest match wins.
    pub path_prefix: String,
    /// `http://host:port[/base]` or `https://…`.
    pub upstream: String,
    /// `auto` (HTTP/1.1, or HTTP/2 through TLS ALPN; default), `http1`, `h2c` (HTTP/2 without TLS).
    #[serde(default)]
    pub upstream_protocol: UpstreamProtocol,
    /// `Host` sent upstream: `"keep"` (the client's, default), `"upstream"` or a literal host.
    #[serde(default = "default_host_header")]
    pub host_header: String,
    /// Remove the path prefix before forwarding. Default false.
    #[serde(default)]
    pub strip_prefix: bool,
    /// `"none"` or `{ providers, scopes, roles, allow_missing }`.
    pub auth: AuthConfig,
    /// Claim (dotted path allowed) → request header.
    #[serde(default)]
    pub claims_to_headers: BTreeMap<String, String>,
    /// How array claims become header values: `join` (comma-separated, default) or `json`.
    #[serde(default)]
    pub array_claims: ArrayFormat,
    /// Remove `Authorization` before forwarding. Default false.
    #[serde(default)]
    pub strip_authorization: bool,
    /// Let CORS preflights (`OPTIONS` with `Origin` and `Access-Control-Request-Method`) through
    /// without a token. Default false.
    #[serde(default)]
    pub cors_preflight: bool,
    /// Token bucket per claim value for authenticated requests.
    #[serde(default)]
    pub rate_limit: Option<RateLimitConfig>,
    /// Token bucket per client IP for requests without a token (`allow_missing` or `auth = "none"`).
    #[serde(default)]
    pub anonymous_rate_limit: Option<BucketConfig>,
    /// What to do when the store cannot be reached: `fail_closed` (503, default) or `fail_open`
    /// (skip revocation and rate limits).
    #[serde(default)]
    pub on_store_error: StoreErrorPolicy,
    /// Per-route override of `server.request_timeout`.
    #[serde(default)]
    pub timeout: Option<Dur>,
    /// RFC 9728 resource identifier (`https://api.example.com/orders`) published at
    /// `/.well-known/oauth-protected-resource/orders` and named by `resource_metadata` in
    /// `WWW-Authenticate`. Default: the request's scheme and host followed by `path_prefix`.
    #[serde(default)]
    pub resource: Option<String>,
    /// The origin clients address this route at (`https://api.example.com`): the scheme and
    /// host a DPoP proof's `htu` must name. Default: the listener's scheme and the request's
    /// `Host` (or `X-Forwarded-Proto`/`X-Forwarded-Host` with `server.trust_forwarded`).
    #[serde(default)]
    pub external_origin: Option<String>,
}

fn default_host_header() -> String {
    "keep".into()
}

/// Upstream HTTP version.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum UpstreamProtocol {
    /// HTTP/1.1, or HTTP/2 when TLS ALPN selects it.
    #[default]
    Auto,
    /// HTTP/1.1 only.
    Http1,
    /// HTTP/2 with prior knowledge, without TLS.
    H2c,
}

/// How array claims are written into headers.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ArrayFormat {
    /// `a,b,c`; values holding `,` or control characters reject the request.
    #[default]
    Join,
    /// The JSON text of the array.
    Json,
}

/// Store failure policy.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum StoreErrorPolicy {
    /// Reject with 503.
    #[default]
    FailClosed,
    /// Skip revocation and rate-limit checks.
    FailOpen,
}

/// `auth = "none"` or a table.
#[derive(Clone, Debug, PartialEq)]
pub enum AuthConfig {
    /// No token needed; none is verified.
    None,
    /// Verify a token.
    Jwt(JwtAuth),
}

/// `auth = { … }`.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct JwtAuth {
    /// Providers accepted (any of); the token's `iss` selects one.
    pub providers: Vec<String>,
    /// Scopes required (all of), from the `scope` string or the `scp` array.
    #[serde(default)]
    pub scopes: Vec<String>,
    /// Role requirement.
    #[serde(default)]
    pub roles: Option<RolesConfig>,
    /// Let requests without a token through (anonymous); a token that is present must be valid.
    #[serde(default)]
    pub allow_missing: bool,
}

/// `roles = { claim = "realm_access.roles", any_of = ["admin"] }`.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RolesConfig {
    /// Dotted path to a string or array claim.
    pub claim: String,
    /// At least one of these roles is required.
    pub any_of: Vec<String>,
}

impl<'de> Deserialize<'de> for AuthConfig {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<AuthConfig, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = AuthConfig;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("\"none\" or a table { providers = [...], scopes = [...] }")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<AuthConfig, E> {
                match v {
                    "none" => Ok(AuthConfig::None),
                    other => Err(E::custom(format!(
                        "auth must be \"none\" or a table, found \"{other}\""
                    ))),
                }
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<AuthConfig, A::Error> {
                JwtAuth::deserialize(de::value::MapAccessDeserializer::new(map)).map(AuthConfig::Jwt)
            }
        }
        d.deserialize_any(V)
    }
}

/// `rate_limit = { key = "sub", per_second = 100, burst = 200 }`.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RateLimitConfig {
    /// Claim (dotted path) whose value names the bucket. Default `sub`.
    #[serde(default = "default_rl_key")]
    pub key: String,
    /// Sustained rate, requests per second.
    pub per_second: f64,
    /// Bucket size: requests allowed at once.
    pub burst: u32,
}

fn default_rl_key() -> String {
    "sub".into()
}

/// `{ per_second, burst }`.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct BucketConfig {
    /// Sustained rate, requests per second.
    pub per_second: f64,
    /// Bucket size.
    pub burst: u32,
}

impl Config {
    /// Parse TOML text into the plain settings, then [`Config::validate`]. Cross-table checks
    /// and the parsing of values (algorithms, token sources, upstream URLs, header names) happen
    /// once, when the typed state is built from it ([`crate::state::State::build`]).
    ///
    /// # Errors
    /// Syntax errors, unknown keys and wrong types, with the line; then [`Config::validate`].
    pub fn parse(text: &str) -> anyhow::Result<Config> {
        let config: Config = toml::from_str(text).map_err(|e| anyhow::anyhow!("{e}"))?;
        config.validate()?;
        Ok(config)
    }

    /// Read and parse a file. Relative paths — `keys`, `decryption_key`, an `@file`
    /// introspection `client_secret`, `store.path` (and its
    /// default), `server.upstream_ca_file`, `server.tls` files and an `@file` `admin_token` — are resolved against its
    /// directory, so the gateway behaves the same whatever its working directory.
    ///
    /// # Errors
    /// I/O errors and everything of [`Config::parse`], prefixed with the path.
    pub fn load(path: &Path) -> anyhow::Result<Config> {
        let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let mut config = Config::parse(&text).with_context(|| format!("in {}", path.display()))?;
        let base = path.parent().unwrap_or(Path::new("."));
        for p in &mut config.providers {
            if let Some(k) = &p.keys
                && k.is_relative()
            {
                p.keys = Some(base.join(k));
            }
            if let Some(spec) = &p.decryption_key
                && let Ok(crate::encryption::KeyDocument::File(f)) =
                    crate::encryption::KeyDocument::parse(spec)
                && f.is_relative()
            {
                p.decryption_key = Some(format!("@{}", base.join(f).display()));
            }
            if let Some(i) = &mut p.introspection {
                i.resolve_paths(base);
            }
        }
        match &config.store.path {
            Some(path) if path.is_relative() => config.store.path = Some(base.join(path)),
            None if config.store.kind == StoreKind::Embedded => {
                config.store.path = Some(base.join("jwtkit-gateway.db"));
            }
            _ => {}
        }
        crate::store::config::resolve_paths(&mut config.store, base);
        if let Some(path) = &config.server.upstream_ca_file
            && path.is_relative()
        {
            config.server.upstream_ca_file = Some(base.join(path));
        }
        if let Some(tls) = &mut config.server.tls {
            tls.resolve_paths(base);
        }
        if let Some(file) = config
            .server
            .admin_token
            .as_deref()
            .and_then(|t| t.strip_prefix('@'))
            && Path::new(file).is_relative()
        {
            config.server.admin_token = Some(format!("@{}", base.join(file).display()));
        }
        Ok(config)
    }

    /// The checks of the server, store and cache tables (addresses, realm, store kind,
    /// workers, shards). Providers and routes are checked as they are built, once
    /// ([`crate::state::State::build`]).
    ///
    /// # Errors
    /// The first problem found, naming the setting.
    pub fn validate(&self) -> anyhow::Result<()> {
        self.server
            .listen
            .parse::<std::net::SocketAddr>()
            .with_context(|| {
                format!(
                    "server.listen {:?} is not an address like 0.0.0.0:8080",
                    self.server.listen
                )
            })?;
        let admin = self
            .server
            .admin_listen
            .parse::<std::net::SocketAddr>()
            .with_context(|| {
                format!(
                    "server.admin_listen {:?} is not an address like 127.0.0.1:8081",
                    self.server.admin_listen
                )
            })?;
        if admin.port() != 0 && self.server.listen.parse().ok() == Some(admin) {
            bail!("server.listen and server.admin_listen are the same address");
        }
        if self.server.realm.contains(['"', '\\']) || self.server.realm.chars().any(char::is_control) {
            bail!("server.realm must not contain quotes, backslashes or control characters");
        }
        crate::store::config::validate(&self.store)?;
        if self.server.workers == Some(0) {
            bail!("server.workers must be at least 1");
        }
        if self.cache.shards == 0 {
            bail!("cache.shards must be at least 1");
        }
        Ok(())
    }
}

/// Resolve `env:VAR`, `@file` or a literal secret.
///
/// # Errors
/// A missing variable or unreadable file (the secret itself is never in the message).
pub fn resolve_secret(spec: &str) -> anyhow::Result<String> {
    if let Some(var) = spec.strip_prefix("env:") {
        return std::env::var(var).with_context(|| format!("environment variable {var} is not set"));
    }
    if let Some(path) = spec.strip_prefix('@') {
        return std::fs::read_to_string(path)
            .map(|s| s.trim_end_matches(['\n', '\r']).to_string())
            .with_context(|| format!("reading {path}"));
    }
    Ok(spec.to_string())
}

#[cfg(test)]
mod tests;
