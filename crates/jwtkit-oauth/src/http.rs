//! The bounded HTTP transport every request of the client goes through: the URL rule of
//! [`jwtkit_remote::check_url`] (`https`, or `http` to a loopback host unless
//! `allow_insecure_http`), the connect/read/total timeouts and the response size limit of a
//! [`FetchPolicy`], no redirects (an OAuth endpoint that redirects a `POST` carrying a
//! client secret is not followed), no decompression, no proxy for loopback hosts.

use std::time::Duration;

use jwtkit_remote::{FetchPolicy, check_url, is_loopback_host};
use reqwest::Url;
use serde_json::{Map, Value};
use zeroize::Zeroizing;

use crate::error::{OAuthError, Result, err};
use crate::secret::Secret;

const USER_AGENT: &str = concat!("jwtkit-oauth/", env!("CARGO_PKG_VERSION"));

/// An `application/x-www-form-urlencoded` request body (RFC 6749 Appendix B). Values are kept
/// as [`Secret`]s and the encoded body is wiped after sending.
#[derive(Clone, Debug, Default)]
pub struct Form {
    pairs: Vec<(String, Secret)>,
}

impl Form {
    /// An empty form.
    pub fn new() -> Form {
        Form::default()
    }

    /// Add `name=value`.
    pub fn push(&mut self, name: &str, value: impl Into<Secret>) -> &mut Form {
        self.pairs.push((name.to_string(), value.into()));
        self
    }

    /// Add `name=value` when `value` is `Some`.
    pub fn push_opt(&mut self, name: &str, value: Option<&str>) -> &mut Form {
        if let Some(v) = value {
            self.push(name, v);
        }
        self
    }

    /// Append every pair of `other`.
    pub fn extend(&mut self, other: Form) {
        self.pairs.extend(other.pairs);
    }

    /// The value of the first `name`, if any.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.expose())
    }

    fn encode(&self) -> Zeroizing<String> {
        let mut s = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in &self.pairs {
            s.append_pair(k, v.expose());
        }
        Zeroizing::new(s.finish())
    }
}

/// A response read whole (at most `max_bytes`).
#[derive(Clone, Debug)]
pub(crate) struct Response {
    pub(crate) status: u16,
    pub(crate) body: Vec<u8>,
    pub(crate) content_type: Option<String>,
    pub(crate) www_authenticate: Option<String>,
}

/// The HTTP client of an OAuth [`crate::Client`]: one per client, connections reused.
#[derive(Clone, Debug)]
pub struct Http {
    client: reqwest::Client,
    /// Without proxies from the environment, for loopback hosts.
    direct: reqwest::Client,
    policy: FetchPolicy,
}

impl Http {
    /// Build the clients from the policy's timeouts (`connect_timeout`, `read_timeout`,
    /// `total_timeout`), size limit (`max_bytes`) and `allow_insecure_http`.
    ///
    /// # Errors
    /// `invalid_config` when the TLS stack cannot be initialised.
    pub fn new(policy: &FetchPolicy) -> Result<Http> {
        let (client, direct) = policy
            .http_clients(USER_AGENT, reqwest::redirect::Policy::none)
            .map_err(|e| err!(InvalidConfig, "cannot build the HTTP client: {}", chain(&e)))?;
        Ok(Http {
            client,
            direct,
            policy: policy.clone(),
        })
    }

    /// The policy applied.
    pub fn policy(&self) -> &FetchPolicy {
        &self.policy
    }

    /// Check an endpoint URL against the transport rule; `what` names it in the error.
    ///
    /// # Errors
    /// `invalid_config` as [`check_url`].
    pub fn check(&self, what: &str, url: &str) -> Result<Url> {
        check_url(url, self.policy.allow_insecure_http)
            .map_err(|e| err!(InvalidConfig, "{what}: {}", e.message()))
    }

    fn client_for(&self, url: &Url) -> &reqwest::Client {
        if is_loopback_host(url) {
            &self.direct
        } else {
            &self.client
        }
    }

    /// `GET url` with `Accept: application/json`, and `Authorization: Bearer` when given.
    pub(crate) async fn get(&self, what: &str, url: &str, bearer: Option<&Secret>) -> Result<Response> {
        let parsed = self.check(what, url)?;
        let mut req = self
            .client_for(&parsed)
            .get(parsed.clone())
            .header(reqwest::header::ACCEPT, "application/json");
        if let Some(b) = bearer {
            req = req.header(reqwest::header::AUTHORIZATION, format!("Bearer {}", b.expose()));
        }
        self.send(what, url, req).await
    }

    /// `POST url` with a form body and an optional `Authorization` header value.
    pub(crate) async fn post_form(
        &self,
        what: &str,
        url: &str,
        form: &Form,
        authorization: Option<&Secret>,
    ) -> Result<Response> {
        let parsed = self.check(what, url)?;
        let body = form.encode();
        let mut req = self
            .client_for(&parsed)
            .post(parsed.clone())
            .header(reqwest::header::ACCEPT, "application/json")
            .header(reqwest::header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(body.as_str().to_owned());
        if let Some(a) = authorization {
            req = req.header(reqwest::header::AUTHORIZATION, a.expose());
        }
        self.send(what, url, req).await
    }

    async fn send(&self, what: &str, url: &str, req: reqwest::RequestBuilder) -> Result<Response> {
        let mut resp = req.send().await.map_err(|e| self.transport(what, url, &e))?;
        let max = self.policy.max_bytes;
        let too_big = || {
            err!(
                ResourceLimit,
                "{what} {url}: the response is larger than the limit of {max} bytes"
            )
        };
        if resp.content_length().is_some_and(|n| n > max as u64) {
            return Err(too_big());
        }
        let header = |name| {
            resp.headers()
                .get(name)
                .and_then(|v: &reqwest::header::HeaderValue| v.to_str().ok())
                .map(str::to_owned)
        };
        let content_type = header(reqwest::header::CONTENT_TYPE);
        let www_authenticate = header(reqwest::header::WWW_AUTHENTICATE);
        let status = resp.status().as_u16();
        let mut body = Vec::new();
        loop {
            match resp.chunk().await {
                Ok(Some(c)) => {
                    if body.len() + c.len() > max {
                        return Err(too_big());
                    }
                    body.extend_from_slice(&c);
                }
                Ok(None) => break,
                Err(e) => return Err(self.transport(what, url, &e)),
            }
        }
        Ok(Response {
            status,
            body,
            content_type,
            www_authenticate,
        })
    }

    fn transport(&self, what: &str, url: &str, e: &reqwest::Error) -> crate::Error {
        let p = &self.policy;
        let secs = |d: Duration| d.as_secs_f32();
        if e.is_timeout() {
            err!(
                Transport,
                "{what} {url} timed out (connect {}s, read {}s, total {}s): {}",
                secs(p.connect_timeout),
                secs(p.read_timeout),
                secs(p.total_timeout),
                chain(e)
            )
        } else {
            err!(Transport, "{what} {url} failed: {}", chain(e))
        }
    }
}

impl Response {
    /// The body as a JSON object (with the policy's parsing limits).
    pub(crate) fn object(&self, what: &str, policy: &FetchPolicy) -> Result<Map<String, Value>> {
        jwtkit::json::parse_object(&self.body, &policy.limits()).map_err(|e| {
            let shown = self.content_type.as_deref().unwrap_or("no Content-Type");
            err!(
                BadResponse,
                "{what}: HTTP {} with a body that is not a JSON object ({shown}): {}",
                self.status,
                e.message()
            )
        })
    }

    /// The RFC 6749 §5.2 error in the body (`{"error": "...", ...}`), when there is one.
    pub(crate) fn oauth_error(&self, policy: &FetchPolicy) -> Option<OAuthError> {
        let obj = jwtkit::json::parse_object(&self.body, &policy.limits()).ok()?;
        oauth_error_from(&obj, Some(self.status))
    }

    /// The body as a JSON object on 2xx; an [`ErrorKind::OAuth`] error when the body says
    /// `error`; `bad_response` otherwise.
    pub(crate) fn success_object(&self, what: &str, policy: &FetchPolicy) -> Result<Map<String, Value>> {
        if (200..300).contains(&self.status) {
            return self.object(what, policy);
        }
        match self.oauth_error(policy) {
            Some(e) => Err(crate::Error::oauth(what, e)),
            None => Err(err!(
                BadResponse,
                "{what}: HTTP {} without an OAuth error object{}",
                self.status,
                self.content_type
                    .as_deref()
                    .map(|c| format!(" (Content-Type {c})"))
                    .unwrap_or_default()
            )),
        }
    }
}

/// `error`, `error_description`, `error_uri` from a JSON object or a redirect's parameters.
pub(crate) fn oauth_error_from(obj: &Map<String, Value>, status: Option<u16>) -> Option<OAuthError> {
    let s = |k: &str| obj.get(k).and_then(|v| v.as_str()).map(str::to_owned);
    Some(OAuthError {
        error: s("error")?,
        description: s("error_description"),
        uri: s("error_uri"),
        status,
    })
}

/// `e` and its sources joined with ": " (reqwest keeps the cause in the chain).
fn chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut cur = e.source();
    for _ in 0..8 {
        let Some(s) = cur else { break };
        let t = s.to_string();
        if !out.contains(&t) {
            out.push_str(": ");
            out.push_str(&t);
        }
        cur = s.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    #[test]
    fn form_encoding_escapes_reserved_characters() {
        let mut f = Form::new();
        f.push("grant_type", "client_credentials")
            .push("scope", "a b&c=d");
        assert_eq!(
            f.encode().as_str(),
            "grant_type=client_credentials&scope=a+b%26c%3Dd"
        );
        assert_eq!(f.get("scope"), Some("a b&c=d"));
    }

    #[test]
    fn plain_http_to_a_remote_host_is_refused() {
        let h = Http::new(&FetchPolicy::default()).unwrap();
        let e = h
            .check("token endpoint", "http://auth.example.com/token")
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidConfig);
        assert!(h.check("token endpoint", "http://127.0.0.1:9/token").is_ok());
    }
}
