//! The `[store]` keys of a Redis deployment, checked once by `Config::validate` (syntax, which
//! topology) and resolved by [`RedisParams::resolve`] (secrets, TLS files) at start and by
//! `--check`.
//!
//! One topology per config, chosen by which key is set: `url` (one server), `sentinels` +
//! `master_name` (Redis Sentinel, following failover), or `nodes` (Redis Cluster). TLS is on
//! when the URLs use `rediss://`; `tls` adds a CA file and an optional client certificate.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};
use redis::IntoConnectionInfo;
use serde::Deserialize;

use crate::config::{Dur, resolve_secret};

/// `[store]`: `kind = "embedded"` (default, a redb file) or `kind = "redis"`.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct StoreConfig {
    /// `embedded` or `redis`.
    #[serde(default)]
    pub kind: StoreKind,
    /// Embedded: the database file. Default `jwtkit-gateway.db`.
    #[serde(default)]
    pub path: Option<PathBuf>,
    /// Redis: `redis://host:port/db` (or `rediss://`); `env:VAR` allowed.
    #[serde(default)]
    pub url: Option<String>,
    /// Redis: prefix of every key. Default `jwtkit:`.
    #[serde(default = "default_prefix")]
    pub prefix: String,
    /// Redis: time allowed per command before the store counts as unreachable. Default 500 ms.
    #[serde(default = "default_store_timeout")]
    pub timeout: Dur,
    /// How long a `sub` revocation is kept when the request gives no `exp`: tokens issued
    /// before the cut-off are assumed to expire within this. Default 24 h.
    #[serde(default = "default_sub_ttl")]
    pub sub_revocation_ttl: Dur,
    /// Redis Cluster: seed nodes (`redis://host:port` or `rediss://`), instead of `url`.
    #[serde(default)]
    pub nodes: Vec<String>,
    /// Redis Sentinel: sentinel URLs, instead of `url`; the master is asked from them.
    #[serde(default)]
    pub sentinels: Vec<String>,
    /// Redis Sentinel: the monitored master's name.
    #[serde(default)]
    pub master_name: Option<String>,
    /// Redis: ACL user. `env:VAR`/`@file` allowed.
    #[serde(default)]
    pub username: Option<String>,
    /// Redis: password (ACL user's, or `requirepass`). `env:VAR`/`@file` allowed.
    #[serde(default)]
    pub password: Option<String>,
    /// Sentinel: ACL user on the sentinels. `env:VAR`/`@file` allowed.
    #[serde(default)]
    pub sentinel_username: Option<String>,
    /// Sentinel: password on the sentinels. `env:VAR`/`@file` allowed.
    #[serde(default)]
    pub sentinel_password: Option<String>,
    /// Redis: database index (standalone and Sentinel; a cluster has only 0). Default 0.
    #[serde(default)]
    pub db: Option<i64>,
    /// Redis: CA file and client certificate for `rediss://`.
    #[serde(default)]
    pub tls: Option<StoreTls>,
    /// Redis: replicas that must hold a revocation before the admin API answers 201 (`WAIT`).
    /// Default 0; 1 with Sentinel or Cluster replicas, so a failover cannot lose it.
    #[serde(default)]
    pub wait_replicas: u32,
    /// Redis: an instance that has not confirmed its revocation set within this fails closed.
    /// Default 1 s.
    #[serde(default = "default_staleness")]
    pub revocation_max_staleness: Dur,
    /// Redis: `exact` (default, one script per limited request) or `batched`.
    #[serde(default)]
    pub rate_limit_mode: RateLimitMode,
    /// Redis, `batched`: how often local buckets sync with Redis. Default 100 ms.
    #[serde(default = "default_rl_sync")]
    pub rate_limit_sync: Dur,
    /// Failure policy per feature.
    #[serde(default)]
    pub on_error: OnError,
}

fn default_staleness() -> Dur {
    Dur(Duration::from_secs(1))
}
fn default_rl_sync() -> Dur {
    Dur(Duration::from_millis(100))
}

fn default_prefix() -> String {
    "jwtkit:".into()
}
fn default_store_timeout() -> Dur {
    Dur(Duration::from_millis(500))
}
fn default_sub_ttl() -> Dur {
    Dur(Duration::from_secs(86_400))
}

impl Default for StoreConfig {
    fn default() -> Self {
        StoreConfig {
            kind: StoreKind::Embedded,
            path: None,
            url: None,
            prefix: default_prefix(),
            timeout: default_store_timeout(),
            sub_revocation_ttl: default_sub_ttl(),
            nodes: Vec::new(),
            sentinels: Vec::new(),
            master_name: None,
            username: None,
            password: None,
            sentinel_username: None,
            sentinel_password: None,
            db: None,
            tls: None,
            wait_replicas: 0,
            revocation_max_staleness: default_staleness(),
            rate_limit_mode: RateLimitMode::Exact,
            rate_limit_sync: default_rl_sync(),
            on_error: OnError::default(),
        }
    }
}

/// Store backends.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum StoreKind {
    /// A local redb file: survives restarts of one instance.
    #[default]
    Embedded,
    /// Redis: shared by every instance.
    Redis,
}

/// `[store.tls]`: how the gateway verifies Redis and proves itself (PEM files).
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct StoreTls {
    /// CA certificates that sign the Redis server certificates. Default: the system roots.
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
    /// Client certificate chain, for servers with `tls-auth-clients yes`.
    #[serde(default)]
    pub cert_file: Option<PathBuf>,
    /// The client certificate's private key.
    #[serde(default)]
    pub key_file: Option<PathBuf>,
}

/// What a feature does when the store cannot answer (or, for revocations, when the instance
/// cannot be sure its revocation set is current).
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Policy {
    /// Reject with 503 and `Retry-After: 1`.
    FailClosed,
    /// Let the request through without the check.
    FailOpen,
}

/// `[store.on_error]`: the failure policy per feature.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct OnError {
    /// Revocation: `fail_closed` (default): a revoked token must never pass because Redis is away.
    #[serde(default = "closed")]
    pub revocation: Policy,
    /// Rate limit: `fail_open` (default): a limit protects capacity, not identity; an outage of
    /// the store should not become an outage of every rate-limited route.
    #[serde(default = "open")]
    pub rate_limit: Policy,
}

fn closed() -> Policy {
    Policy::FailClosed
}
fn open() -> Policy {
    Policy::FailOpen
}

impl Default for OnError {
    fn default() -> Self {
        OnError {
            revocation: Policy::FailClosed,
            rate_limit: Policy::FailOpen,
        }
    }
}

/// How rate limits are counted with Redis.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum RateLimitMode {
    /// Every request runs the bucket script in Redis: exact across instances, one round trip.
    #[default]
    Exact,
    /// Local buckets pushed to Redis every `rate_limit_sync`; see [`crate::rate_limit`] for the
    /// over-admission bound.
    Batched,
}

/// The Redis topology a config names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Topology {
    /// One server (`url`).
    Standalone,
    /// Redis Sentinel (`sentinels`, `master_name`).
    Sentinel,
    /// Redis Cluster (`nodes`).
    Cluster,
}

impl Topology {
    /// `standalone`, `sentinel` or `cluster` (metrics, readiness).
    pub fn name(self) -> &'static str {
        match self {
            Topology::Standalone => "standalone",
            Topology::Sentinel => "sentinel",
            Topology::Cluster => "cluster",
        }
    }
}

/// Which topology the keys name (validated config only).
pub fn topology(c: &StoreConfig) -> Topology {
    if !c.nodes.is_empty() {
        Topology::Cluster
    } else if !c.sentinels.is_empty() {
        Topology::Sentinel
    } else {
        Topology::Standalone
    }
}

fn is_secret_ref(s: &str) -> bool {
    s.starts_with("env:") || s.starts_with('@')
}

/// Parse one Redis URL (not a secret reference); refuse `#insecure` (no certificate check).
fn check_url(ctx: &str, url: &str) -> anyhow::Result<bool> {
    if is_secret_ref(url) {
        return Ok(url.starts_with("rediss"));
    }
    let scheme_tls = if url.starts_with("rediss://") {
        true
    } else if url.starts_with("redis://") {
        false
    } else {
        bail!("{ctx}: {url:?} is not a redis:// or rediss:// URL (unix sockets are not supported)");
    };
    if url.contains("#insecure") || url.contains("insecure=") {
        bail!("{ctx}: the URL turns off certificate verification; give store.tls.ca_file instead");
    }
    url.into_connection_info()
        .map_err(|e| anyhow::anyhow!("{ctx}: {e}"))?;
    Ok(scheme_tls)
}

/// Syntax and topology checks (no file or environment access), called by `Config::validate`.
///
/// # Errors
/// The first problem, naming the `store.` key.
pub fn validate(c: &StoreConfig) -> anyhow::Result<()> {
    let redis_only = c.url.is_some()
        || !c.nodes.is_empty()
        || !c.sentinels.is_empty()
        || c.master_name.is_some()
        || c.username.is_some()
        || c.password.is_some()
        || c.db.is_some()
        || c.tls.is_some();
    match c.kind {
        StoreKind::Embedded if redis_only => {
            bail!("store.url, nodes, sentinels, username, password, db and tls are only for kind = \"redis\"")
        }
        StoreKind::Embedded => return Ok(()),
        StoreKind::Redis => {}
    }
    let given = usize::from(c.url.is_some())
        + usize::from(!c.sentinels.is_empty())
        + usize::from(!c.nodes.is_empty());
    if given != 1 {
        bail!(
            "store.kind = \"redis\" needs exactly one of url (one server), sentinels (with master_name) or nodes (a cluster)"
        );
    }
    if c.prefix.contains(['{', '}']) {
        bail!(
            "store.prefix must not contain '{{' or '}}': the gateway places its own Redis Cluster hash tags"
        );
    }
    let mut tls = Vec::new();
    if let Some(u) = &c.url {
        tls.push(check_url("store.url", u)?);
    }
    for (i, u) in c.nodes.iter().enumerate() {
        tls.push(check_url(&format!("store.nodes[{i}]"), u)?);
    }
    for (i, u) in c.sentinels.iter().enumerate() {
        check_url(&format!("store.sentinels[{i}]"), u)?;
    }
    match topology(c) {
        Topology::Sentinel if c.master_name.as_deref().is_none_or(str::is_empty) => {
            bail!("store.sentinels needs store.master_name (the name in `sentinel monitor NAME …`)")
        }
        Topology::Sentinel => {}
        _ if c.master_name.is_some() || c.sentinel_username.is_some() || c.sentinel_password.is_some() => {
            bail!("store.master_name, sentinel_username and sentinel_password go with store.sentinels")
        }
        Topology::Cluster if c.db.is_some_and(|d| d != 0) => {
            bail!("store.db: Redis Cluster has only database 0")
        }
        _ => {}
    }
    if c.db.is_some_and(|d| !(0..=1_000_000).contains(&d)) {
        bail!("store.db must be a database index from 0");
    }
    if tls.windows(2).any(|w| w[0] != w[1]) {
        bail!("store.nodes: mix of redis:// and rediss://; use one scheme for every node");
    }
    if let Some(t) = &c.tls {
        let plain = match topology(c) {
            Topology::Sentinel => c.sentinels.iter().any(|u| u.starts_with("redis://")),
            _ => !tls.iter().all(|t| *t),
        };
        if plain {
            bail!("store.tls is set but the URL is redis://; use rediss:// so the connection is encrypted");
        }
        if t.cert_file.is_some() != t.key_file.is_some() {
            bail!("store.tls: cert_file and key_file go together");
        }
    }
    if c.wait_replicas > 16 {
        bail!("store.wait_replicas must be at most 16");
    }
    if c.rate_limit_sync.0 < std::time::Duration::from_millis(10)
        || c.rate_limit_sync.0 > std::time::Duration::from_secs(10)
    {
        bail!("store.rate_limit_sync must be between 10ms and 10s");
    }
    if c.revocation_max_staleness.0 < std::time::Duration::from_millis(200)
        || c.revocation_max_staleness.0 > std::time::Duration::from_secs(60)
    {
        bail!("store.revocation_max_staleness must be between 200ms and 60s");
    }
    Ok(())
}

/// Make `store.tls` paths relative to the config file's directory.
pub fn resolve_paths(c: &mut StoreConfig, base: &Path) {
    if let Some(t) = &mut c.tls {
        for p in [&mut t.ca_file, &mut t.cert_file, &mut t.key_file]
            .into_iter()
            .flatten()
        {
            if p.is_relative() {
                *p = base.join(&*p);
            }
        }
    }
}

/// Everything needed to connect, with secrets and files read.
#[derive(Clone)]
pub struct RedisParams {
    /// Topology.
    pub topology: Topology,
    /// Server URLs: the one `url`, or the cluster `nodes`.
    pub urls: Vec<String>,
    /// Sentinel URLs.
    pub sentinels: Vec<String>,
    /// Sentinel service name.
    pub master_name: String,
    /// ACL user and password for the data nodes.
    pub username: Option<String>,
    /// Password (never printed).
    pub password: Option<String>,
    /// ACL user and password for the sentinels.
    pub sentinel_username: Option<String>,
    /// Sentinel password (never printed).
    pub sentinel_password: Option<String>,
    /// Database index.
    pub db: Option<i64>,
    /// TLS on.
    pub tls: bool,
    /// CA, client certificate and key (PEM), for the `redis` crate.
    pub certs: Option<redis::TlsCertificates>,
}

fn secret(ctx: &str, v: Option<&String>) -> anyhow::Result<Option<String>> {
    v.map(|s| resolve_secret(s).with_context(|| ctx.to_string()))
        .transpose()
}

fn pem_file(what: &str, path: &Path, label: &str) -> anyhow::Result<Vec<u8>> {
    let bytes =
        std::fs::read(path).with_context(|| format!("store.tls.{what}: reading {}", path.display()))?;
    if !String::from_utf8_lossy(&bytes).contains(&format!("-----BEGIN {label}")) {
        bail!("store.tls.{what}: {} holds no PEM {label}", path.display());
    }
    Ok(bytes)
}

impl RedisParams {
    /// Resolve `env:`/`@file` values and read the TLS files (start and `--check`).
    ///
    /// # Errors
    /// A missing variable or file, a file without the expected PEM block, a bad URL.
    pub fn resolve(c: &StoreConfig) -> anyhow::Result<RedisParams> {
        let topology = topology(c);
        let mut urls = Vec::new();
        if let Some(u) = &c.url {
            urls.push(resolve_secret(u).context("store.url")?);
        }
        urls.extend(c.nodes.clone());
        for (i, u) in urls.iter().enumerate() {
            check_url(&format!("store.url/nodes[{i}]"), u)?;
        }
        for (i, u) in c.sentinels.iter().enumerate() {
            check_url(&format!("store.sentinels[{i}]"), u)?;
        }
        // Sentinel: the data nodes use TLS when the sentinels do (one deployment, one scheme).
        let tls = urls
            .first()
            .or(c.sentinels.first())
            .is_some_and(|u| u.starts_with("rediss://"));
        let certs = match &c.tls {
            Some(t) => {
                let root_cert = t
                    .ca_file
                    .as_deref()
                    .map(|p| pem_file("ca_file", p, "CERTIFICATE"))
                    .transpose()?;
                let client_tls = match (&t.cert_file, &t.key_file) {
                    (Some(cert), Some(key)) => Some(redis::ClientTlsConfig {
                        client_cert: pem_file("cert_file", cert, "CERTIFICATE")?,
                        client_key: pem_file("key_file", key, "")?,
                    }),
                    _ => None,
                };
                Some(redis::TlsCertificates {
                    client_tls,
                    root_cert,
                })
            }
            None => None,
        };
        Ok(RedisParams {
            topology,
            urls,
            sentinels: c.sentinels.clone(),
            master_name: c.master_name.clone().unwrap_or_default(),
            username: secret("store.username", c.username.as_ref())?,
            password: secret("store.password", c.password.as_ref())?,
            sentinel_username: secret("store.sentinel_username", c.sentinel_username.as_ref())?,
            sentinel_password: secret("store.sentinel_password", c.sentinel_password.as_ref())?,
            db: c.db,
            tls,
            certs,
        })
    }
}

/// `--check`: for Redis, resolve secrets and read the TLS files as the start would. Returns
/// a one-line summary (no secret in it).
///
/// # Errors
/// What [`RedisParams::resolve`] reports.
pub fn check(c: &StoreConfig) -> anyhow::Result<String> {
    if c.kind == StoreKind::Embedded {
        let path = c
            .path
            .as_deref()
            .map_or_else(|| "jwtkit-gateway.db".into(), |p| p.display().to_string());
        return Ok(format!("store: embedded {path}"));
    }
    let p = RedisParams::resolve(c)?;
    let servers = match p.topology {
        Topology::Standalone => "one server".to_string(),
        Topology::Sentinel => format!("{} sentinel(s), master {:?}", p.sentinels.len(), p.master_name),
        Topology::Cluster => format!("{} cluster seed node(s)", p.urls.len()),
    };
    let tls = match (&p.certs, p.tls) {
        (_, false) => "no TLS".to_string(),
        (None, true) => "TLS (system roots)".to_string(),
        (Some(t), true) => format!(
            "TLS ({}{})",
            if t.root_cert.is_some() {
                "CA file"
            } else {
                "system roots"
            },
            if t.client_tls.is_some() {
                ", client certificate"
            } else {
                ""
            }
        ),
    };
    let policy = |p: Policy| match p {
        Policy::FailClosed => "fail_closed",
        Policy::FailOpen => "fail_open",
    };
    Ok(format!(
        "store: redis {} ({servers}), {tls}{}, rate limits {}, on error: revocation {}, rate limit {}",
        p.topology.name(),
        if p.username.is_some() { ", ACL user" } else { "" },
        match c.rate_limit_mode {
            RateLimitMode::Exact => "exact",
            RateLimitMode::Batched => "batched",
        },
        policy(c.on_error.revocation),
        policy(c.on_error.rate_limit),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(store: &str) -> anyhow::Result<StoreConfig> {
        #[derive(Deserialize)]
        struct W {
            store: StoreConfig,
        }
        let w: W = toml::from_str(&format!("[store]\n{store}"))?;
        validate(&w.store)?;
        Ok(w.store)
    }

    fn refused(store: &str) -> String {
        format!("{:#}", parse(store).unwrap_err())
    }

    #[test]
    fn topology_comes_from_the_one_key_given() {
        let c = parse("kind = \"redis\"\nurl = \"rediss://r:6380/2\"").unwrap();
        assert_eq!(topology(&c), Topology::Standalone);
        let c = parse("kind = \"redis\"\nsentinels = [\"redis://s:26379\"]\nmaster_name = \"m\"").unwrap();
        assert_eq!(topology(&c), Topology::Sentinel);
        let c = parse("kind = \"redis\"\nnodes = [\"redis://a:7000\", \"redis://b:7000\"]").unwrap();
        assert_eq!(topology(&c), Topology::Cluster);
        assert_eq!(c.on_error, OnError::default());
        assert_eq!(
            (c.on_error.revocation, c.on_error.rate_limit, c.rate_limit_mode),
            (Policy::FailClosed, Policy::FailOpen, RateLimitMode::Exact)
        );
    }

    #[test]
    fn bad_store_configs_name_what_to_fix() {
        for (store, expect) in [
            ("kind = \"redis\"", "exactly one of url"),
            (
                "kind = \"redis\"\nurl = \"http://r\"",
                "not a redis:// or rediss:// URL",
            ),
            (
                "kind = \"redis\"\nurl = \"rediss://r/#insecure\"",
                "certificate verification",
            ),
            (
                "kind = \"redis\"\nurl = \"redis://r\"\ntls = { ca_file = \"ca.pem\" }",
                "use rediss://",
            ),
            (
                "kind = \"redis\"\nurl = \"rediss://r\"\ntls = { cert_file = \"c.pem\" }",
                "go together",
            ),
            ("kind = \"redis\"\nsentinels = [\"redis://s:1\"]", "master_name"),
            (
                "kind = \"redis\"\nurl = \"redis://r\"\nmaster_name = \"m\"",
                "go with store.sentinels",
            ),
            (
                "kind = \"redis\"\nnodes = [\"redis://a:1\"]\ndb = 3",
                "only database 0",
            ),
            (
                "kind = \"redis\"\nnodes = [\"redis://a:1\", \"rediss://b:1\"]",
                "one scheme",
            ),
            (
                "kind = \"redis\"\nurl = \"redis://r\"\nprefix = \"a{b}:\"",
                "hash tags",
            ),
            (
                "kind = \"redis\"\nurl = \"redis://r\"\nrate_limit_sync = \"1ms\"",
                "between 10ms and 10s",
            ),
            (
                "kind = \"redis\"\nurl = \"redis://r\"\nrevocation_max_staleness = \"10ms\"",
                "between 200ms",
            ),
            (
                "kind = \"redis\"\nurl = \"redis://r\"\non_error = { revocation = \"maybe\" }",
                "unknown variant",
            ),
            (
                "path = \"x.db\"\nurl = \"redis://r\"",
                "only for kind = \"redis\"",
            ),
        ] {
            let e = refused(store);
            assert!(e.contains(expect), "{store}: {e}");
        }
    }

    #[test]
    fn secrets_and_tls_files_are_read_at_resolve() {
        let dir = tempfile::tempdir().unwrap();
        let pw = dir.path().join("pw");
        std::fs::write(&pw, "s3cret\n").unwrap();
        let not_pem = dir.path().join("ca.pem");
        std::fs::write(&not_pem, "hello").unwrap();
        let c = parse(&format!(
            "kind = \"redis\"\nurl = \"rediss://r\"\nusername = \"gw\"\npassword = \"@{}\"",
            pw.display()
        ))
        .unwrap();
        let p = RedisParams::resolve(&c).unwrap();
        assert_eq!(
            (p.username.as_deref(), p.password.as_deref(), p.tls),
            (Some("gw"), Some("s3cret"), true)
        );
        let c = parse(&format!(
            "kind = \"redis\"\nurl = \"rediss://r\"\ntls = {{ ca_file = \"{}\" }}",
            not_pem.display()
        ))
        .unwrap();
        let e = format!("{:#}", RedisParams::resolve(&c).err().unwrap());
        assert!(e.contains("holds no PEM CERTIFICATE"), "{e}");
        let c =
            parse("kind = \"redis\"\nurl = \"redis://r\"\npassword = \"env:JWTKIT_TEST_UNSET_VAR\"").unwrap();
        let e = format!("{:#}", RedisParams::resolve(&c).err().unwrap());
        assert!(e.contains("JWTKIT_TEST_UNSET_VAR is not set"), "{e}");
    }
}
