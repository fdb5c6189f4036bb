//! Token issuers: where a provider's keys come from, how its tokens are found in a request,
//! and the [`jwtkit::Validation`] built once from its config (RFC 7519 §7.2, RFC 6750 §2).
//!
//! Every provider verifies through the core's one pipeline ([`Provider::authenticate`]: one
//! `jwtkit::jwt::verify_with` call per token, its [`KeyCache`] as the key source). Caches are
//! shared through [`KeyRegistry`]:
//! one per key location, reused by every route and across config reloads, so an issuer's
//! keys are fetched once, not once per route or per thread.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use std::borrow::Cow;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use http::HeaderMap;
use jwtkit::jwt::Input;
use jwtkit::{Error, JwkSet, JwsAlg, Validation, Verified};
use jwtkit_remote::{FetchPolicy, KeyCache, KeyCacheRegistry, KeyLocation as RemoteSource};

use crate::config::{FetchConfig, ProviderConfig};
use crate::identity_claims::IdentityClaims;

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

/// A provider's keys: remote (and file) keys through the core's rotation-safe [`KeyCache`],
/// one fetch per issuer shared by every route and thread, unknown-`kid` refetches coalesced
/// and throttled (`refetch_cooldown`), the last good keys served for `stale_window`. The
/// cache is the [`jwtkit::KeySource`] of [`Provider::authenticate`].
#[derive(Clone)]
pub struct ProviderKeys(Arc<KeyCache>);

impl ProviderKeys {
    /// The keys now in use, if any.
    pub fn current(&self) -> Option<Arc<JwkSet>> {
        self.0.current()
    }

    /// Health.
    pub fn status(&self) -> KeyStatus {
        let s = self.0.status();
        KeyStatus {
            ready: s.ready,
            generation: s.generation,
            fetch_count: s.fetch_count,
            failure_count: s.failure_count,
            key_set_age: s.key_set_age,
            last_error: s.last_error.map(|e| e.to_string()),
        }
    }

    /// Load or fetch now (start-up, readiness); errors are also kept in [`ProviderKeys::status`].
    ///
    /// # Errors
    /// The load's error (`key_fetch_failed`, ...); the previous keys stay in use.
    pub async fn refresh(&self) -> Result<(), Error> {
        self.0.refresh().await.map(|_| ())
    }

    /// True when both are the same shared cache (providers with the same source and policy).
    pub fn same_cache(&self, other: &ProviderKeys) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

/// One key cache per (source, policy), shared by all providers and kept across reloads, with
/// one background refresher each.
#[derive(Default)]
pub struct KeyRegistry {
    caches: KeyCacheRegistry,
    refreshers: Mutex<Vec<(std::sync::Weak<KeyCache>, tokio::task::JoinHandle<()>)>>,
}

/// The fetch policy of a provider.
pub fn fetch_policy(f: &FetchConfig) -> FetchPolicy {
    let d = FetchPolicy::default();
    let or = |v: Option<crate::config::Dur>, dflt: Duration| v.map_or(dflt, |x| x.0);
    FetchPolicy {
        min_ttl: or(f.min_ttl, d.min_ttl),
        max_ttl: or(f.max_ttl, d.max_ttl),
        refetch_cooldown: or(f.refetch_cooldown, d.refetch_cooldown),
        stale_window: or(f.stale_window, d.stale_window),
        connect_timeout: or(f.connect_timeout, d.connect_timeout),
        read_timeout: or(f.read_timeout, d.read_timeout),
        allow_insecure_http: f.allow_insecure_http,
        ..d
    }
}

impl KeyRegistry {
    /// The cache for a provider's key source and policy, created on first use.
    ///
    /// # Errors
    /// A refused URL (e.g. plain `http` to a non-loopback host without `allow_insecure_http`).
    pub fn get_or_create(&self, p: &ProviderConfig) -> anyhow::Result<Arc<KeyCache>> {
        let source = match (&p.jwks_uri, p.discovery, &p.keys) {
            (Some(u), _, _) => RemoteSource::JwksUrl(u.clone()),
            (None, true, _) => RemoteSource::Discovery {
                issuer: p.issuer.clone(),
            },
            (None, false, Some(path)) => RemoteSource::File(path.clone()),
            (None, false, None) => anyhow::bail!("provider {:?} has no key source", p.name),
        };
        self.caches
            .get_or_create(source, fetch_policy(&p.fetch))
            .map_err(|e| anyhow::anyhow!("provider {:?}: {}", p.name, e.message()))
    }

    /// Start a background refresher for every cache that has none (needs a Tokio runtime), and
    /// drop caches no provider uses any more (after a reload).
    pub fn start_refreshers(&self) {
        self.caches.prune();
        let mut r = self.refreshers.lock().unwrap_or_else(|e| e.into_inner());
        r.retain(|(w, h)| {
            let alive = w.strong_count() > 0;
            if !alive {
                h.abort();
            }
            alive
        });
        for c in self.caches.caches() {
            if !r
                .iter()
                .any(|(w, _)| w.upgrade().is_some_and(|x| Arc::ptr_eq(&x, &c)))
            {
                r.push((Arc::downgrade(&c), c.spawn_refresher()));
            }
        }
    }
}

impl Drop for KeyRegistry {
    fn drop(&mut self) {
        for (_, h) in self
            .refreshers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .drain(..)
        {
            h.abort();
        }
    }
}

/// Where a token is looked for in a request (RFC 6750 §2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TokenSource {
    /// `Authorization: Bearer TOKEN` (RFC 6750 §2.1) or `Authorization: DPoP TOKEN` (RFC 9449
    /// §7.1, with its proof checked by [`crate::sender`]).
    Bearer,
    /// Another header; a `Bearer ` prefix is removed if present.
    Header(http::HeaderName),
    /// A cookie.
    Cookie(String),
    /// A query parameter (RFC 6750 §2.3).
    Query(String),
    /// A WebSocket subprotocol `base64url.bearer.authorization.k8s.io.<base64url(token)>` in
    /// `Sec-WebSocket-Protocol` (RFC 6455 §11.3.4), as kube-apiserver reads it: browsers cannot
    /// set `Authorization` on a WebSocket. Only on an `Upgrade: websocket` request; the entry is
    /// removed before the upstream ([`crate::forward::prepare`]). `token_from = "websocket"`.
    WebSocketProtocol,
}

/// The subprotocol prefix that carries a bearer token (kube-apiserver's
/// `k8s.io/apiserver/pkg/authentication/request/websocket`).
pub const WEBSOCKET_BEARER_PREFIX: &str = "base64url.bearer.authorization.k8s.io.";

/// The subprotocols of a request, in order (every `Sec-WebSocket-Protocol` field, split at
/// `,`, trimmed; empty entries skipped).
pub fn websocket_protocols(headers: &HeaderMap) -> impl Iterator<Item = &str> {
    headers
        .get_all(http::header::SEC_WEBSOCKET_PROTOCOL)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|p| !p.is_empty())
}

/// The bearer token of a WebSocket handshake (`Ok(None)`: none, or not a WebSocket request).
///
/// # Errors
/// An RFC 6750 §3.1 `invalid_request` description, as kube-apiserver refuses them: two token
/// entries, an entry that is not unpadded base64url of UTF-8, or a token entry with no other
/// subprotocol (the server must echo one back, RFC 6455 §4.2.2).
pub fn websocket_token(headers: &HeaderMap) -> Result<Option<String>, &'static str> {
    let websocket = headers
        .get(http::header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|p| p.trim().eq_ignore_ascii_case("websocket")));
    if !websocket {
        return Ok(None);
    }
    let mut token = None;
    let mut others = 0usize;
    for p in websocket_protocols(headers) {
        let Some(encoded) = p.strip_prefix(WEBSOCKET_BEARER_PREFIX) else {
            others += 1;
            continue;
        };
        if token.is_some() {
            return Err("more than one bearer subprotocol");
        }
        let bytes = URL_SAFE_NO_PAD
            .decode(encoded)
            .map_err(|_| "bearer subprotocol is not base64url")?;
        token = Some(String::from_utf8(bytes).map_err(|_| "bearer subprotocol is not UTF-8")?);
    }
    match token {
        Some(t) if others == 0 && !t.is_empty() => Err("bearer subprotocol without another subprotocol"),
        Some(t) if t.is_empty() => Ok(None),
        t => Ok(t),
    }
}

impl TokenSource {
    /// Parse `header:Authorization`, `header:X-Token`, `cookie:NAME`, `query:NAME`,
    /// `websocket`.
    ///
    /// # Errors
    /// A message naming the text.
    pub fn parse(text: &str) -> Result<TokenSource, String> {
        if text == "websocket" {
            return Ok(TokenSource::WebSocketProtocol);
        }
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
    /// `Authorization: Basic …`, or a malformed WebSocket bearer subprotocol, which
    /// [`find_token`] refuses first) counts as absent.
    pub fn extract<'a>(&self, headers: &'a HeaderMap, query: Option<&'a str>) -> Option<Cow<'a, str>> {
        let found = match self {
            TokenSource::Bearer => headers
                .get(http::header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| strip_bearer(v).or_else(|| strip_dpop(v))),
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
            TokenSource::Query(name) => query_values(query, name).next(),
            TokenSource::WebSocketProtocol => {
                return websocket_token(headers).ok().flatten().map(Cow::Owned);
            }
        };
        found.filter(|t| !t.is_empty()).map(Cow::Borrowed)
    }
}

/// The first token of `sources` in a request, tried in order (RFC 6750 §2).
///
/// # Errors
/// An RFC 6750 §3.1 `invalid_request` description: a source repeated (two `Authorization`
/// headers, a token header or query parameter given twice: which one would the upstream read?),
/// or a token both in `Authorization` and in a query parameter (more than one method, §2), or a
/// token header that is not visible ASCII. Cookies may legitimately repeat (several paths) and are tried in order.
pub fn find_token<'s, 'a>(
    sources: &'s [TokenSource],
    headers: &'a HeaderMap,
    query: Option<&'a str>,
) -> Result<Option<(&'s TokenSource, Cow<'a, str>)>, &'static str> {
    let mut bearer = false;
    let mut in_query = false;
    let mut first = None;
    for s in sources {
        let repeated = match s {
            TokenSource::Bearer => headers.get_all(http::header::AUTHORIZATION).iter().count() > 1,
            TokenSource::Header(name) => headers.get_all(name).iter().count() > 1,
            TokenSource::Query(name) => query_values(query, name).count() > 1,
            TokenSource::Cookie(_) => false,
            TokenSource::WebSocketProtocol => {
                websocket_token(headers)?;
                false
            }
        };
        if repeated {
            return Err(match s {
                TokenSource::Bearer => "authorization header repeated",
                TokenSource::Query(_) => "token parameter repeated",
                _ => "token header repeated",
            });
        }
        // A token header with bytes outside visible ASCII is malformed, not absent (RFC 6750
        // §2.1: b64token is ASCII): a 400, rather than silently treating the request as anonymous.
        let unreadable = match s {
            TokenSource::Bearer => headers.get(http::header::AUTHORIZATION),
            TokenSource::Header(name) => headers.get(name),
            _ => None,
        }
        .is_some_and(|v| v.to_str().is_err());
        if unreadable {
            return Err(match s {
                TokenSource::Bearer => "authorization header is not visible ASCII",
                _ => "token header is not visible ASCII",
            });
        }
        if let Some(t) = s.extract(headers, query) {
            bearer |= *s == TokenSource::Bearer;
            in_query |= matches!(s, TokenSource::Query(_));
            first.get_or_insert((s, t));
        }
    }
    if bearer && in_query {
        return Err("token in both the authorization header and the query");
    }
    Ok(first)
}

/// The values of query parameter `name` (compared as written, like [`TokenSource::extract`]).
fn query_values<'a, 'n>(
    query: Option<&'a str>,
    name: &'n str,
) -> impl Iterator<Item = &'a str> + use<'a, 'n> {
    query
        .into_iter()
        .flat_map(|q| q.split('&'))
        .filter_map(move |kv| match kv.split_once('=') {
            Some((k, v)) if k == name => Some(v),
            None if kv == name => Some(""),
            _ => None,
        })
}

/// `DPoP <token>` (RFC 9449 §7.1): the token; its proof is checked in [`crate::sender`].
pub(crate) fn strip_dpop(v: &str) -> Option<&str> {
    let v = v.trim();
    v.get(..5)?
        .eq_ignore_ascii_case("dpop ")
        .then(|| v.get(5..).unwrap_or("").trim_start())
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
    /// Expected `iss`, or the issuer template as written.
    pub issuer: String,
    /// The issuer template (multi-tenant issuer), when `issuer` is one.
    pub issuer_template: Option<jwtkit::jwt::IssuerTemplate>,
    /// RFC 7662 introspection of opaque tokens, when configured.
    pub introspection: Option<Arc<crate::introspection::Introspector>>,
    /// Built once from the config.
    pub validation: Validation,
    /// Keys.
    pub keys: ProviderKeys,
    /// Token locations, in order.
    pub token_from: Vec<TokenSource>,
    /// Maximum token age, re-checked on cache hits.
    pub max_age: Option<Duration>,
    /// `jwtkit_gateway_verify_seconds`, registered once.
    pub verify_seconds: metrics::Histogram,
    /// Decryption of encrypted tokens (JWE), when `decryption_key` is set.
    pub decryption: Option<Arc<crate::encryption::Decryption>>,
    /// Sender constraints: DPoP and certificate binding ([`crate::sender`]).
    pub binding: crate::sender::Binding,
    /// Accepted `typ` values (`token_profile`, `accepted_typ`), checked after verification.
    pub profile: Option<crate::token_profile::Profile>,
}

impl Provider {
    /// Build from config with the shared key registry: every setting checked and parsed once
    /// (algorithms, token sources, the decryption setup), then the key cache found or created.
    ///
    /// # Errors
    /// The first problem, prefixed with `provider "NAME": `: not exactly one key source, an
    /// empty issuer or audience, no or unknown algorithms, a bad decryption setup, no or bad
    /// token sources, a key source URL the registry refuses.
    pub fn new(
        p: &ProviderConfig,
        registry: &KeyRegistry,
        max_token_bytes: usize,
    ) -> anyhow::Result<Provider> {
        let ctx = format!("provider {:?}", p.name);
        let sources =
            usize::from(p.jwks_uri.is_some()) + usize::from(p.discovery) + usize::from(p.keys.is_some());
        if sources != 1 {
            anyhow::bail!("{ctx}: give exactly one of jwks_uri, discovery = true or keys");
        }
        if p.issuer.is_empty() || p.audiences.iter().any(String::is_empty) {
            anyhow::bail!("{ctx}: issuer and audiences must not be empty strings");
        }
        if p.algorithms.is_empty() {
            anyhow::bail!("{ctx}: algorithms is empty; list the algorithms the issuer signs with");
        }
        let algs = p
            .algorithms
            .iter()
            .map(|a| {
                a.parse::<JwsAlg>()
                    .map_err(|e| anyhow::anyhow!("{ctx}: {}", e.message()))
            })
            .collect::<anyhow::Result<jwtkit::AlgorithmSet<JwsAlg>>>()?;
        let encryption =
            crate::encryption::EncryptionSpec::parse(p).map_err(|e| anyhow::anyhow!("{ctx}: {e:#}"))?;
        if p.token_from.is_empty() {
            anyhow::bail!("{ctx}: token_from is empty");
        }
        let token_from = p
            .token_from
            .iter()
            .map(|t| TokenSource::parse(t).map_err(|e| anyhow::anyhow!("{ctx}: {e}")))
            .collect::<anyhow::Result<_>>()?;
        let issuer_template = issuer_template(p).map_err(|e| anyhow::anyhow!("{ctx}: {e:#}"))?;
        let rules = |parts: Rules| rules(p, algs, max_token_bytes, issuer_template.as_ref(), parts);
        let validation = rules(Rules::ALL).map_err(|e| anyhow::anyhow!("{ctx}: {}", e.message()))?;
        let introspection = match &p.introspection {
            Some(c) => Some(Arc::new(
                crate::introspection::Introspector::new(
                    c,
                    &p.name,
                    p.fetch.allow_insecure_http,
                    |iss, aud| {
                        rules(Rules {
                            issuer: iss,
                            audience: aud,
                            typ: false,
                        })
                    },
                )
                .map_err(|e| anyhow::anyhow!("{ctx}: {e:#}"))?,
            )),
            None => None,
        };
        let decryption = match encryption {
            Some(spec) => Some(Arc::new(
                crate::encryption::Decryption::new(p, spec, *validation.limits())
                    .map_err(|e| anyhow::anyhow!("{ctx}: {e:#}"))?,
            )),
            None => None,
        };
        if p.typ.is_some() && (p.token_profile.is_some() || !p.accepted_typ.is_empty()) {
            anyhow::bail!(
                "{ctx}: typ with token_profile or accepted_typ: list every accepted typ in accepted_typ"
            );
        }
        let binding = crate::sender::Binding::new(p).map_err(|e| anyhow::anyhow!("{ctx}: {e:#}"))?;
        let profile = crate::token_profile::Profile::new(p.token_profile, &p.accepted_typ)
            .map_err(|e| anyhow::anyhow!("{ctx}: {e:#}"))?;
        Ok(Provider {
            binding,
            profile,
            decryption,
            name: p.name.as_str().into(),
            issuer: p.issuer.clone(),
            issuer_template,
            introspection,
            validation,
            keys: ProviderKeys(registry.get_or_create(p)?),
            token_from,
            max_age: p.max_token_age.map(|d| d.0),
            verify_seconds: metrics::histogram!("jwtkit_gateway_verify_seconds"),
        })
    }
}

/// The issuer template of a provider whose `issuer` has a `{claim}` placeholder, with its
/// `tenants` (required) and `tenant_format`; None for a plain issuer (which must then have no
/// `tenants` nor `tenant_format`).
///
/// # Errors
/// A template without `tenants`, `tenants` other than a list or `"any"`, a bad template or
/// tenant, `discovery = true` with a template (discovery needs one issuer), tenant settings
/// without a template.
/// The tenant a token was accepted for, as headers and rate-limit buckets see it: a GUID tenant
/// (compared with the allowlist without regard to case) in lower case, so `72F9…` and `72f9…`
/// are one tenant downstream; a name tenant as found.
pub(crate) fn canonical_tenant(p: &Provider, tenant: &str) -> String {
    match &p.issuer_template {
        Some(t) => t.canonical_tenant(tenant),
        None => tenant.to_owned(),
    }
}

fn issuer_template(p: &ProviderConfig) -> anyhow::Result<Option<jwtkit::jwt::IssuerTemplate>> {
    use crate::config::TenantsConfig;
    use jwtkit::jwt::IssuerTemplate;
    if !p.issuer.contains(['{', '}']) {
        if p.tenants.is_some() || p.tenant_format.is_some() {
            anyhow::bail!(
                "tenants and tenant_format need an issuer template such as \"https://login.microsoftonline.com/{{tid}}/v2.0\""
            );
        }
        return Ok(None);
    }
    if p.discovery {
        anyhow::bail!(
            "discovery = true needs one issuer, not a template: give jwks_uri (for Entra ID, https://login.microsoftonline.com/common/discovery/v2.0/keys)"
        );
    }
    let format = p.tenant_format.as_deref().unwrap_or("guid");
    let template = match &p.tenants {
        None => anyhow::bail!(
            "issuer {:?} is a template: list the accepted tenants in tenants = [\"…\"], or accept every tenant with tenants = \"any\"",
            p.issuer
        ),
        Some(TenantsConfig::Word(w)) if w == "any" => IssuerTemplate::any_tenant(&p.issuer, format),
        Some(TenantsConfig::Word(w)) => {
            anyhow::bail!("tenants = {w:?}: give a list of tenants or the word \"any\"")
        }
        Some(TenantsConfig::List(l)) => IssuerTemplate::with_tenants(&p.issuer, format, l.clone()),
    };
    template.map(Some).map_err(|e| anyhow::anyhow!("{}", e.message()))
}

/// Which of a provider's rules a [`Validation`] carries: all of them for JWTs; an
/// introspection answer's rules leave out `typ` (no header) and `iss` / `aud` when the
/// answer does not carry them.
#[derive(Clone, Copy)]
struct Rules {
    issuer: bool,
    audience: bool,
    typ: bool,
}

impl Rules {
    const ALL: Rules = Rules {
        issuer: true,
        audience: true,
        typ: true,
    };
}

/// A [`Validation`] of a provider, built once: its algorithms, issuer (or issuer template),
/// audiences, `typ`, required claims, leeway and maximum age, with the gateway's token limits
/// — less what `parts` leaves out.
fn rules(
    p: &ProviderConfig,
    algs: jwtkit::AlgorithmSet<JwsAlg>,
    max_token_bytes: usize,
    template: Option<&jwtkit::jwt::IssuerTemplate>,
    parts: Rules,
) -> Result<Validation, Error> {
    let mut b = Validation::builder(algs)
        .leeway(p.leeway.0)
        .limits(jwtkit::Limits {
            max_token_bytes,
            max_json_depth: 16,
            ..jwtkit::Limits::default()
        });
    match (parts.issuer, template) {
        (false, _) => {}
        (true, Some(t)) => b = b.issuer_template(t.clone()),
        (true, None) => b = b.issuer(p.issuer.clone()),
    }
    if parts.audience {
        for a in &p.audiences {
            b = b.audience(a.clone());
        }
    } else {
        b = b.ignore_audience(true);
    }
    if let Some(t) = p.typ.as_ref().filter(|_| parts.typ) {
        b = b.typ(t.clone());
    }
    for c in &p.required_claims {
        b = b.require(c.clone());
    }
    if let Some(m) = p.max_token_age {
        b = b.max_age(m.0);
    }
    b.build()
}

impl Provider {
    /// Whether a token's (unverified) `iss` is this provider's: its issuer exactly, or one
    /// that [fits](jwtkit::jwt::IssuerTemplate::fits) its template. For choosing a provider
    /// only: the core then checks `iss`, the tenant claim's shape and the allowlist.
    pub fn accepts_issuer(&self, iss: &str) -> bool {
        self.issuer == iss || self.issuer_template.as_ref().is_some_and(|t| t.fits(iss))
    }
}

/// A token that [`Provider::authenticate`] accepted.
pub struct Authenticated {
    /// The verified JWT.
    pub verified: Verified,
    /// The claims every request reads, read from the claims text in one pass.
    pub identity: IdentityClaims,
    /// The provider's key set that verified it (None when keys changed meanwhile, or the key
    /// came from an allowlisted `jku`/`x5u`): verified-token cache entries are tied to it.
    pub keys: Option<Arc<JwkSet>>,
    /// The RFC 7638 thumbprint of the key that verified, with [`Authenticated::keys`].
    pub key_thumbprint: Option<String>,
}

impl Provider {
    /// Verify one compact token (RFC 6750 carries the compact serialization) with this
    /// provider's keys and validation: one core call ([`jwtkit::jwt::verify_with`]), then the
    /// gateway's own rule that `sub` and `jti` are strings. Records
    /// `jwtkit_gateway_verify_seconds` from `started` (the decryption of a JWE included).
    ///
    /// # Errors
    /// Every kind of [`jwtkit::jwt::verify_with`]; `malformed` for a non-string `sub`/`jti`.
    pub async fn authenticate(&self, jwt: &str, started: std::time::Instant) -> Result<Authenticated, Error> {
        let outcome =
            jwtkit::jwt::verify_with(Input::new(jwt).compact_only(), &*self.keys.0, &self.validation).await;
        self.verify_seconds.record(started.elapsed().as_secs_f64());
        // Cache only what the provider's current set verified: the entry then lives as long as
        // that set (or its key) does.
        let after = self.keys.current();
        let from_current = match (outcome.keys(), &after) {
            (Some(used), Some(cur)) => std::ptr::eq(used, Arc::as_ptr(cur)),
            _ => false,
        };
        let key_thumbprint = outcome
            .key()
            .filter(|_| from_current)
            .map(|k| k.thumbprint().to_string());
        let verified = outcome.into_result()?;
        // One pass over the checked claims text (no claims map): what every request reads.
        let identity: IdentityClaims = verified.claims_as()?;
        identity_claims_are_strings(&identity)?;
        Ok(Authenticated {
            verified,
            identity,
            keys: after.filter(|_| from_current),
            key_thumbprint,
        })
    }
}

/// `sub` and `jti`, when present, must be strings (RFC 7519 §4.1.2, §4.1.7): revocations and
/// rate limits read them as strings, so a token with `"sub": ["alice"]` or `"jti": 77` would
/// escape a revocation of `alice` or `77` while `claims_to_headers` still forwards the user.
pub(crate) fn identity_claims_are_strings(c: &IdentityClaims) -> Result<(), Error> {
    for (name, value) in [("sub", &c.sub), ("jti", &c.jti)] {
        if let Some(found) = value.non_string() {
            return Err(Error::new(
                jwtkit::ErrorKind::Malformed,
                format!("claim {name} must be a string (RFC 7519 §4.1), found {found}"),
            )
            .with_check(jwtkit::Check::ClaimTypes));
        }
    }
    Ok(())
}

#[cfg(test)]
mod websocket_token_tests {
    use super::*;

    fn h(upgrade: &str, protocols: &[&str]) -> HeaderMap {
        let mut m = HeaderMap::new();
        m.insert(http::header::UPGRADE, upgrade.parse().unwrap());
        for p in protocols {
            m.append(http::header::SEC_WEBSOCKET_PROTOCOL, p.parse().unwrap());
        }
        m
    }

    #[test]
    fn websocket_token_is_read_as_kube_apiserver_reads_it() {
        let entry = format!("{WEBSOCKET_BEARER_PREFIX}{}", URL_SAFE_NO_PAD.encode("a.b.c"));
        // Entries split over fields count the same as one list (RFC 6455 §11.3.4).
        assert_eq!(
            websocket_token(&h("websocket", &["chat", &entry]))
                .unwrap()
                .as_deref(),
            Some("a.b.c")
        );
        // Not a WebSocket handshake: not looked at.
        assert_eq!(websocket_token(&h("h2c", &[&entry, "chat"])).unwrap(), None);
        assert_eq!(
            websocket_token(&h("websocket", &[&format!("{entry}, {entry}, chat")])),
            Err("more than one bearer subprotocol")
        );
        assert_eq!(
            websocket_token(&h(
                "websocket",
                &[&format!("{WEBSOCKET_BEARER_PREFIX}YQ==, chat")]
            )),
            Err("bearer subprotocol is not base64url")
        );
        assert_eq!(
            websocket_token(&h("websocket", &[&entry])),
            Err("bearer subprotocol without another subprotocol")
        );
    }
}
