//! Routes: matched by `Host` and path prefix on segment boundaries; the longest prefix wins,
//! and a route naming a host beats one for any host at equal length.

use std::sync::Arc;
use std::time::Duration;

use http::uri::{Authority, Scheme};

use crate::config::{
    ArrayFormat, AuthConfig, BucketConfig, RateLimitConfig, RouteConfig, StoreErrorPolicy, UpstreamProtocol,
};
use crate::provider::{Provider, TokenSource};

/// A parsed upstream base URL.
#[derive(Clone, Debug)]
pub struct Upstream {
    /// `http` or `https`.
    pub scheme: Scheme,
    /// `host:port`.
    pub authority: Authority,
    /// Base path without trailing `/` (may be empty).
    pub base_path: String,
}

impl Upstream {
    /// Parse `http://host:port[/base]`.
    ///
    /// # Errors
    /// A message naming the URL.
    pub fn parse(url: &str) -> Result<Upstream, String> {
        let uri: http::Uri = url
            .parse()
            .map_err(|_| format!("upstream {url:?} is not a URL"))?;
        let scheme = uri
            .scheme()
            .cloned()
            .ok_or_else(|| format!("upstream {url:?} needs http:// or https://"))?;
        if scheme != Scheme::HTTP && scheme != Scheme::HTTPS {
            return Err(format!("upstream {url:?} must be http:// or https://"));
        }
        let authority = uri
            .authority()
            .cloned()
            .ok_or_else(|| format!("upstream {url:?} has no host"))?;
        if uri.query().is_some() {
            return Err(format!("upstream {url:?} must not have a query"));
        }
        Ok(Upstream {
            scheme,
            authority,
            base_path: uri.path().trim_end_matches('/').to_string(),
        })
    }
}

/// Route authentication, resolved against the providers.
pub enum Auth {
    /// No token.
    None,
    /// Token required (or optional with `allow_missing`).
    Jwt {
        /// Accepted providers.
        providers: Vec<Arc<Provider>>,
        /// Union of their token sources, in order.
        sources: Vec<TokenSource>,
        /// Required scopes (all).
        scopes: Vec<String>,
        /// Role claim path and accepted roles (any).
        roles: Option<(String, Vec<String>)>,
        /// Anonymous requests allowed.
        allow_missing: bool,
    },
}

/// A route ready to serve.
pub struct Route {
    /// Name for metrics and logs.
    pub name: Arc<str>,
    /// Host to match (lowercase, no port).
    pub host: Option<String>,
    /// Prefix without trailing `/` (`""` for `/`).
    pub prefix: String,
    /// Where to send requests.
    pub upstream: Upstream,
    /// HTTP version to the upstream.
    pub protocol: UpstreamProtocol,
    /// `None`: keep the client's; `Some(v)`: send v.
    pub host_header: Option<http::HeaderValue>,
    /// Remove the prefix before forwarding.
    pub strip_prefix: bool,
    /// Authentication.
    pub auth: Auth,
    /// (claim path, header).
    pub claims_to_headers: Vec<(String, http::HeaderName)>,
    /// Array claim format.
    pub array_format: ArrayFormat,
    /// Remove `Authorization` upstream.
    pub strip_authorization: bool,
    /// CORS preflights pass without a token.
    pub cors_preflight: bool,
    /// Per-claim bucket.
    pub rate_limit: Option<RateLimitConfig>,
    /// Per-IP bucket for anonymous requests.
    pub anonymous_rate_limit: Option<BucketConfig>,
    /// Store failure policy.
    pub on_store_error: StoreErrorPolicy,
    /// Time for the upstream to answer with headers.
    pub timeout: Duration,
    /// `jwtkit_gateway_requests_total{route, outcome="forwarded"}`, registered once.
    pub forwarded: metrics::Counter,
    /// The configured RFC 9728 resource identifier ([`crate::resource_metadata`]).
    pub resource: Option<crate::resource_metadata::Resource>,
    /// `scheme://host[:port]` clients use, for DPoP `htu` (`external_origin`).
    pub external_origin: Option<String>,
}

/// `external_origin`: an absolute `http(s)://host[:port]` without path, query or user info,
/// kept without a trailing `/`.
fn external_origin(o: &str) -> Result<String, String> {
    let t = o.trim_end_matches('/');
    let origin_only = t.split_once("://").is_some_and(|(scheme, rest)| {
        matches!(scheme, "http" | "https") && !rest.is_empty() && !rest.contains(['/', '?', '#', '@'])
    });
    if !origin_only || jwtkit::dpop::DpopProofCheck::normalize_htu(t).is_err() {
        return Err(format!(
            "external_origin {o:?} must be an origin like https://api.example.com (scheme and host, no path)"
        ));
    }
    Ok(t.to_string())
}

/// A header name a client may not forge and that no claim may use.
const RESERVED_HEADERS: &[&str] = &[
    "host",
    "authorization",
    "connection",
    "upgrade",
    "content-length",
    "transfer-encoding",
    "te",
    "trailer",
    "x-forwarded-for",
    "x-forwarded-proto",
    "x-forwarded-host",
    "forwarded",
    "cookie",
];

impl Route {
    /// Build from config: every setting checked and parsed once (upstream URL, `Host` header,
    /// providers, scopes, claim headers, rate limits).
    ///
    /// # Errors
    /// The first problem, prefixed with `route "NAME": `.
    pub fn new(
        c: &RouteConfig,
        providers: &[Arc<Provider>],
        default_timeout: Duration,
    ) -> anyhow::Result<Route> {
        let ctx = format!("route {:?}", c.name.as_deref().unwrap_or(&c.path_prefix));
        if !c.path_prefix.starts_with('/') {
            anyhow::bail!("{ctx}: path_prefix must start with '/'");
        }
        let upstream = Upstream::parse(&c.upstream).map_err(|e| anyhow::anyhow!("{ctx}: {e}"))?;
        let host_header = host_header(&c.host_header, &upstream, &ctx)?;
        let auth = auth(c, providers, &ctx)?;
        let claims_to_headers = claim_headers(c, &ctx)?;
        check_tenant_use(c, &claims_to_headers, &auth, &ctx)?;
        check_rate_limits(c, &ctx)?;
        let resource = c
            .resource
            .as_deref()
            .map(crate::resource_metadata::Resource::parse)
            .transpose()
            .map_err(|e| anyhow::anyhow!("{ctx}: resource: {e}"))?;
        let external_origin = c
            .external_origin
            .as_deref()
            .map(|o| external_origin(o).map_err(|e| anyhow::anyhow!("{ctx}: {e}")))
            .transpose()?;
        let name: Arc<str> = c.name.clone().unwrap_or_else(|| c.path_prefix.clone()).into();
        Ok(Route {
            resource,
            external_origin,
            forwarded: metrics::counter!("jwtkit_gateway_requests_total", "route" => name.to_string(), "outcome" => "forwarded"),
            name,
            host: c.host.as_ref().map(|h| h.to_ascii_lowercase()),
            prefix: c.path_prefix.trim_end_matches('/').to_string(),
            upstream,
            protocol: c.upstream_protocol,
            host_header,
            strip_prefix: c.strip_prefix,
            auth,
            claims_to_headers,
            array_format: c.array_claims,
            strip_authorization: c.strip_authorization,
            cors_preflight: c.cors_preflight,
            rate_limit: c.rate_limit.clone(),
            anonymous_rate_limit: c.anonymous_rate_limit.clone(),
            on_store_error: c.on_store_error,
            timeout: c.timeout.map_or(default_timeout, |d| d.0),
        })
    }

    fn matches_path(&self, path: &str) -> bool {
        path.strip_prefix(self.prefix.as_str())
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/') || self.prefix.is_empty())
    }
}

/// `host_header`: `keep` (the client's), `upstream` (the upstream's authority) or a literal value.
fn host_header(setting: &str, upstream: &Upstream, ctx: &str) -> anyhow::Result<Option<http::HeaderValue>> {
    Ok(match setting {
        "keep" => None,
        "upstream" => Some(http::HeaderValue::from_str(upstream.authority.as_str())?),
        other => Some(
            http::HeaderValue::from_str(other)
                .map_err(|_| anyhow::anyhow!("{ctx}: host_header is not a valid header value"))?,
        ),
    })
}

/// `auth`: the named providers (each must exist), the union of their token sources in order,
/// and scopes that can be written into an RFC 6750 `scope="…"` parameter.
fn auth(c: &RouteConfig, providers: &[Arc<Provider>], ctx: &str) -> anyhow::Result<Auth> {
    let a = match &c.auth {
        AuthConfig::None if !c.claims_to_headers.is_empty() || c.rate_limit.is_some() => {
            anyhow::bail!("{ctx}: claims_to_headers and rate_limit need auth with providers")
        }
        AuthConfig::None => return Ok(Auth::None),
        AuthConfig::Jwt(a) => a,
    };
    if a.providers.is_empty() {
        anyhow::bail!("{ctx}: auth.providers is empty (use auth = \"none\" for a public route)");
    }
    let mut ps = Vec::new();
    let mut sources: Vec<TokenSource> = Vec::new();
    for name in &a.providers {
        let p = providers
            .iter()
            .find(|p| &*p.name == name)
            .ok_or_else(|| anyhow::anyhow!("{ctx}: auth names unknown provider {name:?}"))?;
        for s in &p.token_from {
            if !sources.contains(s) {
                sources.push(s.clone());
            }
        }
        ps.push(p.clone());
    }
    for s in &a.scopes {
        if s.is_empty() || s.contains(['"', '\\', ' ']) || s.chars().any(char::is_control) {
            anyhow::bail!("{ctx}: scope {s:?} must be a non-empty token without spaces or quotes");
        }
    }
    Ok(Auth::Jwt {
        providers: ps,
        sources,
        scopes: a.scopes.clone(),
        roles: a.roles.as_ref().map(|r| (r.claim.clone(), r.any_of.clone())),
        allow_missing: a.allow_missing,
    })
}

/// `$tenant` (in `claims_to_headers` or the rate-limit key) needs a provider with an issuer
/// template: it is the template's tenant.
fn check_tenant_use(
    c: &RouteConfig,
    claims_to_headers: &[(String, http::HeaderName)],
    auth: &Auth,
    ctx: &str,
) -> anyhow::Result<()> {
    let uses_tenant = claims_to_headers
        .iter()
        .map(|(claim, _)| claim.as_str())
        .chain(c.rate_limit.as_ref().map(|r| r.key.as_str()))
        .any(|claim| claim == crate::token_cache::TENANT_SOURCE);
    let has_template = match auth {
        Auth::Jwt { providers, .. } => providers.iter().any(|p| p.issuer_template.is_some()),
        Auth::None => false,
    };
    if uses_tenant && !has_template {
        anyhow::bail!(
            "{ctx}: \"$tenant\" is the tenant of an issuer template, and none of the route's providers has one"
        );
    }
    Ok(())
}

/// Both rate limits (per token key, anonymous): `per_second > 0` and finite, `burst >= 1`.
fn check_rate_limits(c: &RouteConfig, ctx: &str) -> anyhow::Result<()> {
    let limits = [
        c.rate_limit.as_ref().map(|r| (r.per_second, r.burst)),
        c.anonymous_rate_limit.as_ref().map(|r| (r.per_second, r.burst)),
    ];
    for (per_second, burst) in limits.into_iter().flatten() {
        if !(per_second.is_finite() && per_second > 0.0) || burst == 0 {
            anyhow::bail!("{ctx}: rate limits need per_second > 0 and burst >= 1");
        }
    }
    Ok(())
}

/// `claims_to_headers`: each header a valid name, without `_` (frameworks read it as `-`),
/// and never one a client may not forge.
fn claim_headers(c: &RouteConfig, ctx: &str) -> anyhow::Result<Vec<(String, http::HeaderName)>> {
    let mut out = Vec::new();
    for (claim, header) in &c.claims_to_headers {
        let name = http::HeaderName::from_bytes(header.as_bytes())
            .map_err(|_| anyhow::anyhow!("{ctx}: {header:?} (for claim {claim}) is not a header name"))?;
        if name.as_str().contains('_') {
            anyhow::bail!(
                "{ctx}: claims_to_headers header {header:?} contains \"_\": upstream frameworks read it as the \"-\" spelling; name it with \"-\""
            );
        }
        if RESERVED_HEADERS.contains(&name.as_str()) {
            anyhow::bail!("{ctx}: claims cannot be written to the {header} header");
        }
        out.push((claim.clone(), name));
    }
    Ok(out)
}

/// All routes, sorted for matching.
pub struct RouteTable {
    routes: Vec<Arc<Route>>,
}

impl RouteTable {
    /// Sort by prefix length (longest first), host-specific before any-host.
    pub fn new(mut routes: Vec<Arc<Route>>) -> RouteTable {
        routes.sort_by(|a, b| {
            b.prefix
                .len()
                .cmp(&a.prefix.len())
                .then(b.host.is_some().cmp(&a.host.is_some()))
        });
        RouteTable { routes }
    }

    /// The route for a host (port ignored, case-insensitive) and path.
    pub fn find(&self, host: Option<&str>, path: &str) -> Option<&Arc<Route>> {
        let host = host.map(|h| strip_port(h).to_ascii_lowercase());
        self.routes.iter().find(|r| {
            r.host
                .as_ref()
                .is_none_or(|rh| host.as_deref() == Some(rh.as_str()))
                && r.matches_path(path)
        })
    }

    /// Every route.
    pub fn iter(&self) -> impl Iterator<Item = &Arc<Route>> {
        self.routes.iter()
    }
}

pub(crate) fn strip_port(host: &str) -> &str {
    if host.starts_with('[') {
        return host
            .split_once(']')
            .map_or(host, |(h, _)| h.trim_start_matches('['));
    }
    host.rsplit_once(':').map_or(host, |(h, _)| h)
}

/// The host a request is for, checked as RFC 9112 §3.2 asks of a server: a 400 for an HTTP/1.1
/// request without `Host` (and no absolute-form target), more than one `Host` line, a `Host`
/// that is not a valid authority, or one that differs from an absolute-form target's authority
/// (HTTP/2's `:authority` arrives as the target's authority). None when neither is given
/// (HTTP/1.0): only routes without a host match.
pub(crate) fn request_host(parts: &http::request::Parts) -> Result<Option<&str>, &'static str> {
    let mut hosts = parts.headers.get_all(http::header::HOST).iter();
    let (header, more) = (hosts.next(), hosts.next());
    if more.is_some() {
        return Err("more than one Host header");
    }
    let target = parts.uri.authority().map(http::uri::Authority::as_str);
    let Some(header) = header else {
        if target.is_none() && parts.version == http::Version::HTTP_11 {
            return Err("an HTTP/1.1 request needs a Host header");
        }
        return Ok(target);
    };
    let header = header
        .to_str()
        .ok()
        .filter(|h| !h.contains('@') && h.parse::<http::uri::Authority>().is_ok_and(|a| a.as_str() == *h))
        .ok_or("the Host header is not a valid host[:port]")?;
    match target {
        Some(t) if !t.eq_ignore_ascii_case(header) => {
            Err("the Host header differs from the request target's authority")
        }
        _ => Ok(Some(header)),
    }
}

/// Whether the request uses a transfer coding other than `chunked`. hyper decodes only
/// `chunked`: any other coding would reach the upstream still encoded but framed as plain
/// chunked (RFC 9112 §6.1 answers 501).
pub(crate) fn unsupported_transfer_coding(parts: &http::request::Parts) -> bool {
    parts
        .headers
        .get_all(http::header::TRANSFER_ENCODING)
        .iter()
        .flat_map(|v| v.to_str().unwrap_or("?").split(','))
        .any(|c| !c.trim().eq_ignore_ascii_case("chunked"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn route(host: Option<&str>, prefix: &str, name: &str) -> Arc<Route> {
        let c: RouteConfig = toml::from_str(&format!(
            "name = \"{name}\"\npath_prefix = \"{prefix}\"\nupstream = \"http://127.0.0.1:1\"\nauth = \"none\"\n{}",
            host.map(|h| format!("host = \"{h}\"")).unwrap_or_default()
        ))
        .unwrap();
        Arc::new(Route::new(&c, &[], Duration::from_secs(1)).unwrap())
    }

    #[test]
    fn longest_prefix_and_host() {
        let t = RouteTable::new(vec![
            route(None, "/", "root"),
            route(None, "/api", "api"),
            route(None, "/api/orders", "orders"),
            route(Some("admin.example"), "/api", "admin-api"),
        ]);
        let name = |h: Option<&str>, p: &str| t.find(h, p).map(|r| r.name.to_string());
        assert_eq!(name(None, "/api/orders/1").as_deref(), Some("orders"));
        assert_eq!(name(None, "/api/ordersX").as_deref(), Some("api"));
        assert_eq!(name(None, "/apix").as_deref(), Some("root"));
        assert_eq!(
            name(Some("Admin.Example:8080"), "/api/x").as_deref(),
            Some("admin-api")
        );
        assert_eq!(name(Some("other"), "/api/x").as_deref(), Some("api"));
        assert_eq!(name(None, "/api/orders").as_deref(), Some("orders"));
        let t = RouteTable::new(vec![route(None, "/only", "only")]);
        assert!(t.find(None, "/other").is_none());
        assert!(Upstream::parse("ftp://x").is_err());
        assert_eq!(Upstream::parse("http://h:1/base/").unwrap().base_path, "/base");
    }
}
