//! OAuth 2.0 Protected Resource Metadata ([RFC 9728]): one document per route with token
//! authentication, at `GET /.well-known/oauth-protected-resource` followed by the resource's
//! path (§3.1), and its URL in the `resource_metadata` parameter of every `WWW-Authenticate`
//! challenge the gateway sends (§5.1), so a client (an MCP client, for one) that got a `401`
//! finds the authorization servers and scopes to ask for.
//!
//! The resource identifier of a route is its `resource` setting, or else the request's scheme
//! and host followed by the route's `path_prefix` (§3.3: the document's `resource` is the URL
//! the metadata was fetched for). The document:
//!
//! ```json
//! {"resource": "https://api.example.com/orders",
//!  "authorization_servers": ["https://issuer.example.com"],
//!  "scopes_supported": ["orders:read"],
//!  "bearer_methods_supported": ["header"]}
//! ```
//!
//! `authorization_servers` are the issuers of the route's providers; `scopes_supported` the
//! scopes the route requires; `bearer_methods_supported` the RFC 6750 methods among its token
//! sources (`header` for `Authorization: Bearer`, `query` for a query parameter; cookies, other
//! headers and the WebSocket subprotocol are not RFC 6750 methods and are not listed).
//!
//! [RFC 9728]: https://www.rfc-editor.org/rfc/rfc9728

use bytes::Bytes;
use http::{HeaderValue, Method, Response, StatusCode, header};

use crate::forward::{Body, full};
use crate::provider::TokenSource;
use crate::route::{Auth, Route, RouteTable};

/// The well-known path prefix (RFC 9728 §3).
pub const WELL_KNOWN: &str = "/.well-known/oauth-protected-resource";

/// A configured resource identifier: an absolute `https` (or `http`) URL without a fragment
/// (RFC 9728 §1.2), split into its origin and path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resource {
    /// `scheme://authority`.
    pub origin: String,
    /// The path without a trailing `/` (`""` for the root), plus the query if any.
    pub path: String,
}

impl Resource {
    /// Parse a `resource` setting.
    ///
    /// # Errors
    /// A message saying what to fix: not an absolute http(s) URL, or a fragment.
    pub fn parse(text: &str) -> Result<Resource, String> {
        if text.contains('#') {
            return Err(format!("{text:?} has a fragment (RFC 9728 §1.2 forbids one)"));
        }
        let uri: http::Uri = text.parse().map_err(|_| format!("{text:?} is not a URL"))?;
        let (Some(scheme), Some(authority)) = (uri.scheme_str(), uri.authority()) else {
            return Err(format!("{text:?} must be an absolute https:// URL"));
        };
        if scheme != "https" && scheme != "http" {
            return Err(format!("{text:?} must be an https:// URL"));
        }
        let path = uri.path().trim_end_matches('/');
        let path = match uri.query() {
            Some(q) => format!("{path}?{q}"),
            None => path.to_string(),
        };
        Ok(Resource {
            origin: format!("{scheme}://{authority}"),
            path,
        })
    }

    /// The resource identifier.
    pub fn identifier(&self) -> String {
        match self.path.as_str() {
            "" => format!("{}/", self.origin),
            p => format!("{}{p}", self.origin),
        }
    }

    /// The metadata URL: the well-known path inserted between the host and the path (§3.1).
    pub fn metadata_url(&self) -> String {
        format!("{}{WELL_KNOWN}{}", self.origin, self.path)
    }
}

/// The resource of `route` for a request with this scheme and `Host`: the configured one, or
/// `scheme://host` + the route's prefix. `None` without either.
pub fn resource_of(route: &Route, scheme: &str, host: Option<&str>) -> Option<Resource> {
    if let Some(r) = &route.resource {
        return Some(r.clone());
    }
    let host = host.filter(|h| !h.is_empty() && !h.contains(['"', '\\', '/', ' ', '@']))?;
    Some(Resource {
        origin: format!("{scheme}://{host}"),
        path: route.prefix.clone(),
    })
}

/// The request's host for a resource URL: `Host`, or the authority of an absolute-form target.
pub fn request_host(parts: &http::request::Parts) -> Option<&str> {
    parts
        .headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .or_else(|| parts.uri.authority().map(|a| a.as_str()))
}

/// The `resource_metadata` URL for a challenge on `route` (None for a route without token
/// authentication).
pub fn challenge_url(route: &Route, scheme: &str, host: Option<&str>) -> Option<String> {
    match route.auth {
        Auth::Jwt { .. } => resource_of(route, scheme, host).map(|r| r.metadata_url()),
        Auth::None => None,
    }
}

/// The metadata document of a route (RFC 9728 §2).
pub fn document(route: &Route, resource: &Resource) -> serde_json::Value {
    let Auth::Jwt {
        providers,
        sources,
        scopes,
        ..
    } = &route.auth
    else {
        return serde_json::Value::Null;
    };
    let mut issuers: Vec<&str> = Vec::new();
    for p in providers {
        if !issuers.contains(&p.issuer.as_str()) {
            issuers.push(&p.issuer);
        }
    }
    let mut methods: Vec<&str> = Vec::new();
    for s in sources {
        let m = match s {
            TokenSource::Bearer => "header",
            TokenSource::Query(_) => "query",
            _ => continue,
        };
        if !methods.contains(&m) {
            methods.push(m);
        }
    }
    serde_json::json!({
        "resource": resource.identifier(),
        "authorization_servers": issuers,
        "scopes_supported": scopes,
        "bearer_methods_supported": methods,
    })
}

/// Answer `GET`/`HEAD /.well-known/oauth-protected-resource[/path]` when `path` is under the
/// well-known prefix and a route publishes a document there (None otherwise: the request goes
/// on to routing, so an upstream may serve its own). The route is the one with token
/// authentication whose resource path equals the rest of the path (and whose `host`, if set, is
/// the request's).
pub fn serve(
    routes: &RouteTable,
    method: &Method,
    path: &str,
    scheme: &str,
    host: Option<&str>,
) -> Option<Response<Body>> {
    let rest = path.strip_prefix(WELL_KNOWN)?;
    if !(rest.is_empty() || rest.starts_with('/')) {
        return None;
    }
    let rest = rest.trim_end_matches('/');
    if method != Method::GET && method != Method::HEAD {
        let mut r = json_response(
            StatusCode::METHOD_NOT_ALLOWED,
            &serde_json::json!({"error": "method_not_allowed"}),
        );
        r.headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
        return Some(r);
    }
    let bare_host = host.map(|h| crate::route::strip_port(h).to_ascii_lowercase());
    let found = routes.iter().find_map(|r| {
        if !matches!(r.auth, Auth::Jwt { .. }) {
            return None;
        }
        if let (Some(want), Some(have)) = (&r.host, &bare_host)
            && want != have
        {
            return None;
        }
        if r.host.is_some() && bare_host.is_none() {
            return None;
        }
        let res = resource_of(r, scheme, host)?;
        (res.path == rest).then(|| (r.clone(), res))
    });
    let (route, res) = found?;
    let mut resp = json_response(StatusCode::OK, &document(&route, &res));
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("max-age=300"));
    Some(resp)
}

fn json_response(status: StatusCode, v: &serde_json::Value) -> Response<Body> {
    let mut r = Response::new(full(Bytes::from(v.to_string())));
    *r.status_mut() = status;
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_url_inserts_the_well_known_path_between_host_and_path() {
        let r = Resource::parse("https://api.example.com/orders/").unwrap();
        assert_eq!(r.identifier(), "https://api.example.com/orders");
        assert_eq!(
            r.metadata_url(),
            "https://api.example.com/.well-known/oauth-protected-resource/orders"
        );
        let root = Resource::parse("https://api.example.com").unwrap();
        assert_eq!(root.identifier(), "https://api.example.com/");
        assert_eq!(
            root.metadata_url(),
            "https://api.example.com/.well-known/oauth-protected-resource"
        );
    }

    #[test]
    fn resource_with_fragment_or_relative_is_refused() {
        assert!(
            Resource::parse("https://a.example/x#f")
                .unwrap_err()
                .contains("fragment")
        );
        assert!(Resource::parse("/orders").unwrap_err().contains("absolute"));
        assert!(
            Resource::parse("ftp://a.example/x")
                .unwrap_err()
                .contains("https")
        );
    }
}
