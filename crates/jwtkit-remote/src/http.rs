//! Bounded HTTP GET for key documents: URL rules, timeouts, redirects, size limit, and the
//! freshness headers of RFC 9111 §5.2 (`Cache-Control: max-age`) and §5.1 (`Age`).

use std::net::IpAddr;
use std::time::{Duration, SystemTime};

use reqwest::{StatusCode, Url, redirect};

use super::discovery::{DiscoveryDocument, DiscoveryKind};
use super::{FetchPolicy, fetch_failed};
use crate::err;
use jwtkit::{Detail, JwkSet};
use jwtkit::{Error, Result};

const USER_AGENT: &str = concat!("jwtkit/", env!("CARGO_PKG_VERSION"));

/// A document fetched over HTTP(S).
#[derive(Clone, Debug)]
pub struct Fetched {
    /// The URL finally answered (after redirects).
    pub url: String,
    /// The body, at most [`FetchPolicy::max_bytes`].
    pub body: Vec<u8>,
    /// `Cache-Control: max-age` minus `Age`; `Some(0)` for `no-cache`/`no-store`; None when absent.
    pub max_age: Option<Duration>,
    /// When the response arrived.
    pub fetched_at: SystemTime,
}

/// Why a GET failed, keeping the HTTP status for the discovery fallback.
pub(crate) struct Failure {
    pub(crate) error: Error,
    pub(crate) status: Option<StatusCode>,
}

impl From<Error> for Failure {
    fn from(error: Error) -> Failure {
        Failure { error, status: None }
    }
}

/// True for hosts that never leave the machine: `localhost`, 127.0.0.0/8, `::1`.
pub fn is_loopback_host(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

/// Parse and check a key-document URL: `https`, or `http` to a loopback host (any host with
/// `allow_insecure_http`); no credentials in the URL.
///
/// # Errors
/// `invalid_config` for an unparsable URL, another scheme, credentials, or plain `http` to a
/// non-loopback host without `allow_insecure_http`.
pub fn check_url(url: &str, allow_insecure_http: bool) -> Result<Url> {
    let parsed =
        Url::parse(url).map_err(|e| err!(InvalidConfig, "{} is not a URL: {e}", crate::quote(url)))?;
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(err!(
            InvalidConfig,
            "{}: credentials in a key URL are not supported",
            crate::quote(url)
        ));
    }
    match parsed.scheme() {
        "https" => Ok(parsed),
        "http" if allow_insecure_http || is_loopback_host(&parsed) => Ok(parsed),
        "http" => Err(err!(
            InvalidConfig,
            "{} uses plain http to a host that is not loopback: keys fetched in clear text can be \
             replaced on the way; use https (or allow insecure http explicitly, e.g. --allow-http)",
            crate::quote(url)
        )),
        other => Err(err!(
            InvalidConfig,
            "{}: scheme {} is not supported (https, or http to loopback)",
            crate::quote(url),
            crate::quote(other)
        )),
    }
}

/// Seconds of `max-age` in a `Cache-Control` value (`no-cache`/`no-store` give 0).
pub(crate) fn parse_max_age(cache_control: &str) -> Option<Duration> {
    let mut out = None;
    for directive in cache_control.split(',') {
        let d = directive.trim();
        let lower = d.to_ascii_lowercase();
        if lower == "no-store" || lower == "no-cache" {
            return Some(Duration::ZERO);
        }
        if let Some(v) = lower.strip_prefix("max-age=") {
            let v = v.trim_matches('"');
            // RFC 9111 §1.2.2: a delta-seconds too large to represent means "very large".
            out = v
                .parse::<u64>()
                .ok()
                .or_else(|| (!v.is_empty() && v.bytes().all(|b| b.is_ascii_digit())).then_some(u64::MAX))
                .map(Duration::from_secs);
        }
    }
    out
}

/// An HTTP client bound to a [`FetchPolicy`]: one per cache (connections are reused).
#[derive(Clone, Debug)]
pub struct Fetcher {
    client: reqwest::Client,
    /// The same client without proxies from the environment, for loopback hosts (a proxy
    /// cannot reach this machine's loopback).
    direct: reqwest::Client,
    policy: FetchPolicy,
}

impl FetchPolicy {
    /// The two HTTP clients a fetch under this policy needs: one that honours the environment's
    /// proxy settings and one without a proxy (for loopback hosts), both with this policy's
    /// connect, read and total timeouts, `user_agent`, and the redirect policy `redirect` makes
    /// (called once per client). Used by [`Fetcher`] and by jwtkit-oauth's transport.
    ///
    /// # Errors
    /// reqwest's, when the TLS stack cannot be initialised.
    pub fn http_clients(
        &self,
        user_agent: &str,
        redirect: impl Fn() -> redirect::Policy,
    ) -> reqwest::Result<(reqwest::Client, reqwest::Client)> {
        let builder = || {
            reqwest::Client::builder()
                .user_agent(user_agent)
                .connect_timeout(self.connect_timeout)
                .read_timeout(self.read_timeout)
                .timeout(self.total_timeout)
                .redirect(redirect())
        };
        Ok((builder().build()?, builder().no_proxy().build()?))
    }
}

impl Fetcher {
    /// Build the client: rustls on aws-lc-rs with the platform's root certificates, the
    /// policy's timeouts, a redirect policy that applies the transport rules to every hop, no
    /// decompression.
    ///
    /// # Errors
    /// `invalid_config` when the TLS stack cannot be initialised.
    pub fn new(policy: &FetchPolicy) -> Result<Fetcher> {
        let max_redirects = policy.max_redirects;
        let insecure = policy.allow_insecure_http;
        let redirects = move || {
            redirect::Policy::custom(move |attempt| {
                if attempt.previous().len() > max_redirects {
                    let msg = format!("more than {max_redirects} redirects");
                    return attempt.error(msg);
                }
                match check_url(attempt.url().as_str(), insecure) {
                    Ok(_) => attempt.follow(),
                    Err(e) => {
                        let msg = format!("redirect refused: {}", e.message());
                        attempt.error(msg)
                    }
                }
            })
        };
        let (client, direct) = policy
            .http_clients(USER_AGENT, redirects)
            .map_err(|e| err!(InvalidConfig, "cannot build the HTTP client: {}", error_chain(&e)))?;
        Ok(Fetcher {
            client,
            direct,
            policy: policy.clone(),
        })
    }

    /// The policy this fetcher applies.
    pub fn policy(&self) -> &FetchPolicy {
        &self.policy
    }

    /// GET `url` under the policy.
    ///
    /// # Errors
    /// `invalid_config` for a URL refused by the transport rules (https, or http to a loopback host); `key_fetch_failed` for connection
    /// errors, timeouts, refused redirects and non-2xx statuses (naming the status);
    /// `resource_limit` when the body exceeds `max_bytes` (checked on `Content-Length` first,
    /// then while reading).
    pub async fn get(&self, url: &str) -> Result<Fetched> {
        self.get_inner(url).await.map_err(|f| f.error)
    }

    pub(crate) async fn get_inner(&self, url: &str) -> std::result::Result<Fetched, Failure> {
        let parsed = check_url(url, self.policy.allow_insecure_http)?;
        let shown = crate::quote(url);
        let client = if is_loopback_host(&parsed) {
            &self.direct
        } else {
            &self.client
        };
        let mut resp = client
            .get(parsed)
            .header(
                reqwest::header::ACCEPT,
                "application/json, application/jwk-set+json",
            )
            .send()
            .await
            .map_err(|e| self.transport_error(&shown, e))?;
        let status = resp.status();
        let final_url = resp.url().to_string();
        if !status.is_success() {
            return Err(Failure {
                error: fetch_failed(format!("GET {shown} answered HTTP {status}")),
                status: Some(status),
            });
        }
        let max = self.policy.max_bytes;
        if let Some(len) = resp.content_length() {
            let len = usize::try_from(len).unwrap_or(usize::MAX);
            limit(&shown, max, len)?;
        }
        let headers = resp.headers();
        let mut max_age = headers
            .get_all(reqwest::header::CACHE_CONTROL)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .filter_map(parse_max_age)
            .min();
        let age = headers
            .get(reqwest::header::AGE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        if let (Some(m), Some(a)) = (max_age, age) {
            max_age = Some(m.saturating_sub(a));
        }
        let mut body = Vec::new();
        loop {
            match resp.chunk().await {
                Ok(Some(chunk)) => {
                    limit(&shown, max, body.len().saturating_add(chunk.len()))?;
                    body.extend_from_slice(&chunk);
                }
                Ok(None) => break,
                Err(e) => return Err(self.transport_error(&shown, e).into()),
            }
        }
        Ok(Fetched {
            url: final_url,
            body,
            max_age,
            fetched_at: SystemTime::now(),
        })
    }

    fn transport_error(&self, shown: &str, e: reqwest::Error) -> Error {
        let p = &self.policy;
        let error = if e.is_timeout() {
            fetch_failed(format!(
                "GET {shown} timed out (connect {}s, read {}s, total {}s): {}",
                p.connect_timeout.as_secs_f32(),
                p.read_timeout.as_secs_f32(),
                p.total_timeout.as_secs_f32(),
                error_chain(&e)
            ))
        } else {
            fetch_failed(format!("GET {shown} failed: {}", error_chain(&e)))
        };
        error.with_source(e)
    }

    /// Fetch and parse a JWK Set (RFC 7517 §5) with the policy's limits.
    ///
    /// # Errors
    /// As [`Fetcher::get`], then `bad_json` / `duplicate_member` / `malformed` for a body that
    /// is not a JWK Set and `resource_limit` above `max_keys`, each naming the URL.
    pub async fn jwks(&self, url: &str) -> Result<(JwkSet, Fetched)> {
        let fetched = self.get(url).await?;
        let set = parse_jwks(&fetched.body, &self.policy, url)?;
        Ok((set, fetched))
    }

    /// OpenID Connect Discovery 1.0 §4 for `issuer`, falling back to RFC 8414 §3 when the
    /// OpenID configuration answers an HTTP 4xx status. The document's `issuer` must equal
    /// `issuer` exactly and its `jwks_uri` must pass the transport rules.
    ///
    /// # Errors
    /// `invalid_config` for a bad issuer URL; `key_fetch_failed` when neither document can be
    /// fetched; `invalid_config` when the document's `issuer` differs (naming both); `bad_json` / `malformed` for a
    /// document that is not a JSON object with string `issuer` and `jwks_uri`.
    pub async fn discover(&self, issuer: &str) -> Result<(DiscoveryDocument, Fetched)> {
        let oidc = super::openid_configuration_url(issuer, self.policy.allow_insecure_http)?;
        let (fetched, kind) = match self.get_inner(&oidc).await {
            Ok(f) => (f, DiscoveryKind::OpenIdConnect),
            Err(Failure {
                status: Some(s),
                error,
            }) if s.is_client_error() => {
                let oauth = super::oauth_metadata_url(issuer, self.policy.allow_insecure_http)?;
                match self.get(&oauth).await {
                    Ok(f) => (f, DiscoveryKind::OAuthAuthorizationServer),
                    Err(e2) => {
                        return Err(fetch_failed(format!(
                            "discovery failed for issuer {}: {}; RFC 8414 fallback: {}",
                            crate::quote(issuer),
                            error.message(),
                            e2.message()
                        )));
                    }
                }
            }
            Err(f) => return Err(f.error),
        };
        let doc = DiscoveryDocument::parse(&fetched.body, issuer, kind, &fetched.url, &self.policy)?;
        Ok((doc, fetched))
    }
}

fn limit(shown: &str, max: usize, actual: usize) -> Result<()> {
    if actual <= max {
        return Ok(());
    }
    Err(Error::new(
        jwtkit::ErrorKind::ResourceLimit,
        format!("{shown}: response is larger than the limit of {max} bytes"),
    )
    .with_detail(Detail::Limit {
        what: "response_bytes",
        limit: max as u64,
        actual: actual as u64,
    }))
}

/// Parse a fetched JWK Set with the policy's limits, naming the URL in errors.
pub(crate) fn parse_jwks(body: &[u8], policy: &FetchPolicy, url: &str) -> Result<JwkSet> {
    JwkSet::parse(body, &policy.limits())
        .map_err(|e| e.context(&format!("JWK Set at {}: ", crate::quote(url))))
}

/// `e` and its sources, joined with ": " (reqwest hides the cause in the chain).
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut cur = e.source();
    let mut n = 0;
    while let Some(s) = cur {
        let t = s.to_string();
        if !out.contains(&t) {
            out.push_str(": ");
            out.push_str(&t);
        }
        cur = s.source();
        n += 1;
        if n > 8 {
            break;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn max_age_parsing() {
        assert_eq!(
            parse_max_age("public, max-age=15, stale-while-revalidate=15"),
            Some(Duration::from_secs(15))
        );
        assert_eq!(parse_max_age("no-store"), Some(Duration::ZERO));
        assert_eq!(parse_max_age("public"), None);
        assert_eq!(
            parse_max_age("max-age=99999999999999999999999"),
            Some(Duration::from_secs(u64::MAX))
        );
        assert_eq!(parse_max_age("max-age=-1"), None);
    }

    #[test]
    fn url_rules() {
        assert!(check_url("https://auth.example.com/jwks", false).is_ok());
        assert!(check_url("http://127.0.0.1:8080/jwks", false).is_ok());
        assert!(check_url("http://localhost/jwks", false).is_ok());
        assert!(check_url("http://[::1]/jwks", false).is_ok());
        let e = check_url("http://auth.example.com/jwks", false).unwrap_err();
        assert_eq!(e.kind(), jwtkit::ErrorKind::InvalidConfig);
        assert!(check_url("http://auth.example.com/jwks", true).is_ok());
        assert_eq!(
            check_url("ftp://x/", true).unwrap_err().kind(),
            jwtkit::ErrorKind::InvalidConfig
        );
        assert_eq!(
            check_url("not a url", true).unwrap_err().kind(),
            jwtkit::ErrorKind::InvalidConfig
        );
        assert_eq!(
            check_url("https://u:p@x/", true).unwrap_err().kind(),
            jwtkit::ErrorKind::InvalidConfig
        );
        // 127.0.0.1.example.com is not loopback.
        assert!(check_url("http://127.0.0.1.example.com/", false).is_err());
    }
}
