//! Remote keys for `verify`: `--jwks URL|FILE` and `--issuer URL` (OpenID Connect discovery),
//! through the library's `KeyCache` with a persistent copy in the user's cache directory
//! (`$XDG_CACHE_HOME/jwtkit`, else `~/.cache/jwtkit`): within a document's TTL a second run
//! makes no request, an unknown `kid` refetches once (30 s cooldown, counted from the stored
//! copy's fetch time), `--offline` uses only the cache and `--no-cache` bypasses it.

use jwtkit::JwsAlg;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::SystemTime;

use clap::Args;
use jwtkit::{AlgorithmSet, JwkSet, Limits};
use jwtkit_remote::{DirStore, DocumentStore, FetchPolicy, KeyCache, KeyLocation};

use crate::exit::Failure;
use crate::input::{self, LoadedKeys};

/// Remote key flags of `verify`.
#[derive(Debug, Args, Default)]
pub struct RemoteArgs {
    /// JWK Set to verify with: an https URL (http only to loopback, or with --allow-http) or a
    /// file. The key is chosen by the token's kid; an unknown kid refetches the set once.
    #[arg(long, value_name = "URL|FILE", conflicts_with = "issuer")]
    pub jwks: Option<String>,
    /// Issuer URL: keys come from its OpenID Connect discovery document
    /// ({issuer}/.well-known/openid-configuration, else RFC 8414), whose issuer must equal this
    /// exactly; the token's iss must too. Without --alg, the provider's
    /// id_token_signing_alg_values_supported narrows the allowlist.
    #[arg(long, value_name = "URL")]
    pub issuer: Option<String>,
    /// Do not read or write the local cache of fetched documents.
    #[arg(long, conflicts_with = "offline")]
    pub no_cache: bool,
    /// Use only the local cache (even expired documents); never the network.
    #[arg(long)]
    pub offline: bool,
    /// Allow plain http:// to hosts other than loopback (keys can then be replaced in transit).
    #[arg(long)]
    pub allow_http: bool,
    /// Trust the token's jku header (a JWK Set URL) or x5u header (a PEM certificate chain) when
    /// it names exactly this URL: the keys are then fetched from it. Repeatable. Without it,
    /// keys named by the token are never fetched (a token must not choose its own key).
    #[arg(long = "allow-key-url", value_name = "URL")]
    pub allow_key_urls: Vec<String>,
}

/// The key URLs a token's header names: `jku` and `x5u`.
#[derive(Clone, Copy, Debug, Default)]
pub struct TokenKeyUrls<'a> {
    /// `jku` (RFC 7515 §4.1.2).
    pub jku: Option<&'a str>,
    /// `x5u` (RFC 7515 §4.1.5).
    pub x5u: Option<&'a str>,
}

/// Keys loaded from a remote source, with what the source adds to the verification.
pub struct RemoteKeys {
    /// The keys, sources and (no) secrets, as `--key` gives them.
    pub loaded: LoadedKeys,
    /// The issuer whose keys these are (`--issuer`): the token's `iss` must equal it.
    pub issuer: Option<String>,
    /// `id_token_signing_alg_values_supported` from discovery (empty when absent).
    pub discovery_algs: AlgorithmSet<JwsAlg>,
}

/// The cache directory: `$XDG_CACHE_HOME/jwtkit`, else `$HOME/.cache/jwtkit`.
pub fn cache_dir() -> Option<PathBuf> {
    let nonempty = |v: &str| std::env::var_os(v).filter(|s| !s.is_empty()).map(PathBuf::from);
    nonempty("XDG_CACHE_HOME")
        .or_else(|| nonempty("HOME").map(|h| h.join(".cache")))
        .map(|d| d.join("jwtkit"))
}

fn is_url(s: &str) -> bool {
    s.starts_with("https://") || s.starts_with("http://")
}

fn ago(t: SystemTime) -> String {
    let secs = SystemTime::now()
        .duration_since(t)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    if secs == 0 {
        "just now".into()
    } else {
        format!("{} ago", jwtkit::jwt::NumericDate::format_duration(secs))
    }
}

/// Load keys for `--allow-key-url` (when the token's `jku`/`x5u` names an allowed URL), else
/// `--jwks` / `--issuer`, selecting by the token's `kid`. None when none applies.
pub fn load(
    args: &RemoteArgs,
    kid: Option<&str>,
    urls: TokenKeyUrls<'_>,
    expected_iss: &[String],
) -> Result<Option<RemoteKeys>, Failure> {
    if !args.allow_key_urls.is_empty() {
        let policy = policy(args);
        let store = store(args, &policy)?;
        if let Some(cache) = KeyCache::for_key_url(urls.jku, urls.x5u, policy, store)? {
            return fetch(cache, kid, None).map(Some);
        }
        if args.jwks.is_none() && args.issuer.is_none() {
            // Fall back to --key/--secret, if given; the caller says when there is no key.
            return Ok(None);
        }
    }
    let source = match (&args.jwks, &args.issuer) {
        (Some(j), _) if !is_url(j) => return load_file(j).map(Some),
        (Some(j), _) => KeyLocation::JwksUrl(j.clone()),
        (None, Some(i)) => KeyLocation::Discovery { issuer: i.clone() },
        (None, None) => {
            if args.offline || args.no_cache || args.allow_http {
                return Err(Failure::Usage(
                    "--offline, --no-cache and --allow-http need --jwks URL, --issuer URL or --allow-key-url URL"
                        .into(),
                ));
            }
            return Ok(None);
        }
    };
    if let Some(i) = &args.issuer
        && !expected_iss.is_empty()
        && !expected_iss.contains(i)
    {
        return Err(Failure::Usage(format!(
            "--iss does not include the --issuer {i:?}: tokens verified with its keys must carry it as iss"
        )));
    }
    let policy = policy(args);
    let cache = match store(args, &policy)? {
        Some(s) => KeyCache::with_store(source, policy, s)?,
        None => KeyCache::new(source, policy)?,
    };
    fetch(cache, kid, args.issuer.clone()).map(Some)
}

fn policy(args: &RemoteArgs) -> FetchPolicy {
    FetchPolicy {
        allow_insecure_http: args.allow_http,
        offline: args.offline,
        allowed_key_urls: args.allow_key_urls.clone(),
        ..FetchPolicy::default()
    }
}

fn store(args: &RemoteArgs, policy: &FetchPolicy) -> Result<Option<Arc<dyn DocumentStore>>, Failure> {
    match (args.no_cache, cache_dir()) {
        (false, Some(dir)) => Ok(Some(Arc::new(DirStore::new(dir, policy.max_bytes)))),
        (false, None) if args.offline => Err(Failure::Usage(
            "--offline needs a cache directory (set XDG_CACHE_HOME or HOME)".into(),
        )),
        _ => Ok(None),
    }
}

/// Fetch (or read from the cache) the keys of `cache` for `kid`, described for the output.
fn fetch(cache: Arc<KeyCache>, kid: Option<&str>, issuer: Option<String>) -> Result<RemoteKeys, Failure> {
    let source = cache.source().clone();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::Io(format!("cannot start the async runtime: {e}")))?;
    let set = rt.block_on(cache.keys_for_kid(kid))?;
    let status = cache.status();
    let discovery = cache.discovery();
    drop(rt);
    drop(cache);
    let set = Arc::try_unwrap(set).map_err(|_| Failure::Io("the key set is still shared".into()))?;
    let how = if status.fetch_count == 0 {
        format!(
            "from the cache, fetched {}",
            status.fetched_at.map(ago).unwrap_or_default()
        )
    } else {
        "fetched now".to_string()
    };
    let mut sources = Vec::new();
    if let Some(d) = &discovery {
        sources.push(format!("issuer {}: jwks_uri {}", d.issuer, d.jwks_uri));
    }
    sources.push(format!(
        "{source}: JWK Set ({how}), {} usable key{}{}",
        set.keys().len(),
        if set.keys().len() == 1 { "" } else { "s" },
        if set.ignored().is_empty() {
            String::new()
        } else {
            format!(", {} ignored", set.ignored().len())
        }
    ));
    Ok(RemoteKeys {
        loaded: LoadedKeys {
            set,
            secrets: Vec::new(),
            sources,
        },
        issuer,
        discovery_algs: discovery.map(|d| d.algorithms()).unwrap_or_default(),
    })
}

fn load_file(path: &str) -> Result<RemoteKeys, Failure> {
    let bytes = input::read_file(path)?;
    let set = JwkSet::parse(&bytes, &Limits::default())
        .map_err(|e| Failure::Jose(jwtkit::Error::new(e.kind(), format!("{path}: {}", e.message()))))?;
    let sources = vec![format!("{path}: JWK Set, {} usable keys", set.keys().len())];
    Ok(RemoteKeys {
        loaded: LoadedKeys {
            set,
            secrets: Vec::new(),
            sources,
        },
        issuer: None,
        discovery_algs: AlgorithmSet::<JwsAlg>::empty(),
    })
}
