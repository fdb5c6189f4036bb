//! Forwarding to the upstream ([RFC 9110] §7.6, [RFC 9112] §9.6, [RFC 7239]): hop-by-hop
//! headers removed, claim headers set after removing client copies, `X-Forwarded-*` and
//! `Forwarded` written, `Host` kept or rewritten, bodies streamed both ways, WebSocket
//! upgrades (RFC 6455 §4) spliced, pooled connections over HTTP/1.1, h2c or TLS (rustls).
//!
//! [RFC 9110]: https://www.rfc-editor.org/rfc/rfc9110
//! [RFC 9112]: https://www.rfc-editor.org/rfc/rfc9112
//! [RFC 7239]: https://www.rfc-editor.org/rfc/rfc7239

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use http::{Request, Response, Uri};
use http_body_util::{BodyExt, Full, combinators::BoxBody};
use hyper::body::{Frame, Incoming};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo};

use crate::config::{ArrayFormat, UpstreamProtocol};
use crate::identity_headers::IdentityHeaders;
use crate::provider::TokenSource;
use crate::response::Rejection;
use crate::route::{Auth, Route};
use crate::token_cache::Identity;

/// Body type for everything the gateway sends.
pub type Body = BoxBody<Bytes, hyper::Error>;

/// A complete body.
pub fn full(b: impl Into<Bytes>) -> Body {
    Full::new(b.into()).map_err(|never| match never {}).boxed()
}

type Connector = hyper_rustls::HttpsConnector<HttpConnector>;

/// Pooled upstream clients (HTTP/1.1 + TLS ALPN, and HTTP/2 prior knowledge).
#[derive(Clone)]
pub struct Clients {
    auto: Client<Connector, Body>,
    h1: Client<Connector, Body>,
    h2c: Client<Connector, Body>,
}

impl Clients {
    /// Build the clients: system roots plus `extra_ca` (PEM), connect timeout.
    ///
    /// # Errors
    /// An unreadable CA file.
    pub fn new(connect_timeout: Duration, extra_ca: Option<&std::path::Path>) -> anyhow::Result<Clients> {
        let mut roots = rustls::RootCertStore::empty();
        for c in rustls_native_certs::load_native_certs().certs {
            let _ = roots.add(c);
        }
        if let Some(path) = extra_ca {
            use rustls_pki_types::pem::PemObject;
            for c in rustls_pki_types::CertificateDer::pem_file_iter(path)
                .map_err(|e| anyhow::anyhow!("server.upstream_ca_file {}: {e}", path.display()))?
            {
                roots.add(c.map_err(|e| anyhow::anyhow!("server.upstream_ca_file: {e}"))?)?;
            }
        }
        let tls = rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
            rustls::crypto::aws_lc_rs::default_provider(),
        ))
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth();
        let connector = |h2: bool, h1: bool| {
            let mut http = HttpConnector::new();
            http.set_connect_timeout(Some(connect_timeout));
            http.set_nodelay(true);
            http.enforce_http(false);
            let b = hyper_rustls::HttpsConnectorBuilder::new()
                .with_tls_config(tls.clone())
                .https_or_http();
            match (h1, h2) {
                (true, true) => b.enable_all_versions().wrap_connector(http),
                (true, false) => b.enable_http1().wrap_connector(http),
                _ => b.enable_http2().wrap_connector(http),
            }
        };
        let builder = || {
            let mut b = Client::builder(TokioExecutor::new());
            b.pool_idle_timeout(Duration::from_secs(90))
                .pool_max_idle_per_host(256);
            b
        };
        Ok(Clients {
            auto: builder().build(connector(true, true)),
            h1: builder().build(connector(false, true)),
            h2c: builder().http2_only(true).build(connector(true, false)),
        })
    }

    fn for_route(&self, p: UpstreamProtocol) -> &Client<Connector, Body> {
        match p {
            UpstreamProtocol::Auto => &self.auto,
            UpstreamProtocol::Http1 => &self.h1,
            UpstreamProtocol::H2c => &self.h2c,
        }
    }
}

/// Headers that apply to one connection only (RFC 9110 §7.6.1; `HTTP2-Settings`, RFC 7540
/// §3.2.1).
const HOP_BY_HOP: [HeaderName; 9] = [
    header::CONNECTION,
    HeaderName::from_static("keep-alive"),
    HeaderName::from_static("proxy-connection"),
    header::PROXY_AUTHENTICATE,
    header::PROXY_AUTHORIZATION,
    header::TE,
    header::TRAILER,
    header::TRANSFER_ENCODING,
    HeaderName::from_static("http2-settings"),
];

/// Whether the request asks for an upgrade the gateway forwards. An upgrade naming `h2c`
/// never is (RFC 9113 §3.1 deprecates it): an upstream that accepted it would turn the
/// connection into a tunnel of HTTP/2 requests the gateway never sees ("h2c smuggling": any
/// path, no token). Such a request is forwarded as a plain request without `Upgrade`.
fn is_upgrade(headers: &HeaderMap) -> bool {
    let h2c = headers.get_all(header::UPGRADE).iter().any(|v| {
        v.to_str().map_or(true, |v| {
            v.split(',').any(|p| {
                p.trim()
                    .split('/')
                    .next()
                    .unwrap_or("")
                    .eq_ignore_ascii_case("h2c")
            })
        })
    });
    headers.contains_key(header::UPGRADE)
        && !h2c
        && headers
            .get_all(header::CONNECTION)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .any(|v| v.split(',').any(|t| t.trim().eq_ignore_ascii_case("upgrade")))
}

/// Remove hop-by-hop headers and those named in `Connection`.
pub fn strip_hop_by_hop(headers: &mut HeaderMap) {
    let named: Vec<HeaderName> = headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|t| HeaderName::from_bytes(t.trim().as_bytes()).ok())
        .collect();
    for h in named.iter().chain(HOP_BY_HOP.iter()) {
        headers.remove(h);
    }
    headers.remove(header::UPGRADE);
}

/// A claim value that cannot be forwarded safely as a header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UnsafeValue;

/// A claim as a header value: strings as is, numbers and booleans as JSON, arrays joined
/// with `,` (each element checked) or as JSON. `Err` when a value cannot be forwarded safely.
pub fn claim_header_value(
    v: &serde_json::Value,
    format: ArrayFormat,
) -> Result<Option<HeaderValue>, UnsafeValue> {
    use serde_json::Value;
    let scalar = |v: &Value| -> Result<Option<String>, UnsafeValue> {
        match v {
            Value::String(s) => Ok(Some(s.clone())),
            Value::Number(n) => Ok(Some(n.to_string())),
            Value::Bool(b) => Ok(Some(b.to_string())),
            Value::Null => Ok(None),
            _ => Err(UnsafeValue),
        }
    };
    let text = match v {
        Value::Array(items) if format == ArrayFormat::Join => {
            let mut parts = Vec::with_capacity(items.len());
            for i in items {
                let s = scalar(i)?.ok_or(UnsafeValue)?;
                if s.contains(',') || s.chars().any(char::is_control) {
                    return Err(UnsafeValue);
                }
                parts.push(s);
            }
            parts.join(",")
        }
        Value::Array(_) | Value::Object(_) => serde_json::to_string(v).map_err(|_| UnsafeValue)?,
        other => match scalar(other)? {
            Some(s) => s,
            None => return Ok(None),
        },
    };
    if text.chars().any(char::is_control) {
        return Err(UnsafeValue);
    }
    HeaderValue::from_str(&text).map(Some).map_err(|_| UnsafeValue)
}

/// Set the claim headers of a route (client copies were removed by [`prepare`]).
pub fn set_claim_headers(route: &Route, id: &Identity, headers: &mut HeaderMap) -> Result<(), Rejection> {
    for (claim, name) in &route.claims_to_headers {
        if let Some(v) = id.source(claim) {
            match claim_header_value(&v, route.array_format) {
                Ok(Some(hv)) => {
                    headers.insert(name.clone(), hv);
                }
                Ok(None) => {}
                Err(UnsafeValue) => return Err(Rejection::BadClaimValue),
            }
        }
    }
    Ok(())
}

/// Rewrite the request for the upstream: URI, hop-by-hop, spoofable headers, forwarding
/// headers, `Host`. Claim headers are set afterwards by [`set_claim_headers`].
pub fn prepare(
    route: &Route,
    parts: &mut http::request::Parts,
    client: SocketAddr,
    state: &crate::pipeline::State,
) -> Result<(), Rejection> {
    let upgrade = is_upgrade(&parts.headers)
        .then(|| parts.headers.get(header::UPGRADE).cloned())
        .flatten();
    // The client's host: `Host` (HTTP/1.1) or the `:authority` of an HTTP/2 request.
    let host = parts.headers.get(header::HOST).cloned().or_else(|| {
        parts
            .uri
            .authority()
            .and_then(|a| HeaderValue::from_str(a.as_str()).ok())
    });
    let sources: &[TokenSource] = match &route.auth {
        Auth::Jwt { sources, .. } => sources,
        Auth::None => &[],
    };
    parts.uri = upstream_uri(route, &parts.uri, sources)?;
    // `http` (HTTP/1.1 or h2c) unless the request came through the TLS listener.
    let proto = parts.extensions.get::<ClientProto>().map_or("http", |p| p.0);
    let h = &mut parts.headers;
    strip_hop_by_hop(h);
    state.identity_headers.strip(h);
    strip_credentials(h, route, sources);
    set_forwarded(
        h,
        client,
        proto,
        host.as_ref(),
        state.config.server.trust_forwarded,
    );
    match (&route.host_header, host) {
        (Some(v), _) => {
            h.insert(header::HOST, v.clone());
        }
        (None, Some(v)) => {
            h.insert(header::HOST, v);
        }
        (None, None) => {
            if let Ok(v) = HeaderValue::from_str(route.upstream.authority.as_str()) {
                h.insert(header::HOST, v);
            }
        }
    }
    if let Some(u) = upgrade {
        h.insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
        h.insert(header::UPGRADE, u);
    }
    if route.protocol == UpstreamProtocol::H2c {
        parts.version = http::Version::HTTP_2;
    } else if parts.version == http::Version::HTTP_2 {
        parts.version = http::Version::HTTP_11;
    }
    Ok(())
}

/// The upstream URI: the route's upstream base path, then the request path (without the
/// route prefix when `strip_prefix`), then the query without the route's token parameters.
fn upstream_uri(route: &Route, uri: &Uri, sources: &[TokenSource]) -> Result<Uri, Rejection> {
    let path = uri.path();
    let rest = if route.strip_prefix {
        path.get(route.prefix.len()..).unwrap_or("")
    } else {
        path
    };
    let mut pq = String::with_capacity(route.upstream.base_path.len() + rest.len() + 32);
    pq.push_str(&route.upstream.base_path);
    if !rest.starts_with('/') {
        pq.push('/');
    }
    pq.push_str(rest);
    if let Some(q) = uri.query() {
        let q = strip_query(q, sources);
        if !q.is_empty() {
            pq.push('?');
            pq.push_str(&q);
        }
    }
    Uri::builder()
        .scheme(route.upstream.scheme.clone())
        .authority(route.upstream.authority.clone())
        .path_and_query(pq)
        .build()
        .map_err(|_| Rejection::BadGateway)
}

/// With `strip_authorization`: the token's header, cookie or WebSocket subprotocol removed
/// (every source of the route); the cookies rewritten either way.
fn strip_credentials(h: &mut HeaderMap, route: &Route, sources: &[TokenSource]) {
    let mut strip_cookies: Vec<&str> = Vec::new();
    if route.strip_authorization {
        h.remove(header::AUTHORIZATION);
        for s in sources {
            match s {
                TokenSource::Header(name) => {
                    h.remove(name);
                }
                TokenSource::Cookie(name) => strip_cookies.push(name),
                TokenSource::WebSocketProtocol => strip_websocket_bearer(h),
                TokenSource::Bearer | TokenSource::Query(_) => {}
            }
        }
    }
    rewrite_cookies(h, &strip_cookies);
}

/// `X-Forwarded-For`, `-Proto`, `-Host` and `Forwarded` (RFC 7239) as this gateway saw the
/// request; a client's values are kept (and appended to) only with `trust_forwarded`.
fn set_forwarded(
    h: &mut HeaderMap,
    client: SocketAddr,
    proto: &'static str,
    host: Option<&HeaderValue>,
    trust: bool,
) {
    let ip = client.ip();
    let xff_name = HeaderName::from_static("x-forwarded-for");
    let xff = match (trust, h.get(&xff_name).and_then(|v| v.to_str().ok())) {
        (true, Some(prev)) => format!("{prev}, {ip}"),
        _ => ip.to_string(),
    };
    let for_node = if ip.is_ipv6() {
        format!("\"[{ip}]\"")
    } else {
        ip.to_string()
    };
    let mut fwd = format!("for={for_node};proto={proto}");
    if let Some(host) = host.and_then(|v| v.to_str().ok()) {
        fwd.push_str(&format!(";host=\"{}\"", host.replace(['"', '\\'], "")));
    }
    let fwd = match (trust, h.get(header::FORWARDED).and_then(|v| v.to_str().ok())) {
        (true, Some(prev)) => format!("{prev}, {fwd}"),
        _ => fwd,
    };
    let set = |h: &mut HeaderMap, name: HeaderName, v: &str| {
        if let Ok(v) = HeaderValue::from_str(v) {
            h.insert(name, v);
        }
    };
    set(h, xff_name, &xff);
    h.insert(
        HeaderName::from_static("x-forwarded-proto"),
        HeaderValue::from_static(proto),
    );
    match host {
        Some(v) => {
            h.insert(HeaderName::from_static("x-forwarded-host"), v.clone());
        }
        None => {
            h.remove("x-forwarded-host");
        }
    }
    set(h, header::FORWARDED, &fwd);
}

/// Remove the bearer subprotocol ([`crate::provider::WEBSOCKET_BEARER_PREFIX`]) from
/// `Sec-WebSocket-Protocol`, keeping the others in order (one field; none left: no field), as
/// kube-apiserver does before its handlers see the handshake.
pub fn strip_websocket_bearer(h: &mut HeaderMap) {
    let name = header::SEC_WEBSOCKET_PROTOCOL;
    if !h.contains_key(&name) {
        return;
    }
    let kept: Vec<&str> = crate::provider::websocket_protocols(h)
        .filter(|p| !p.starts_with(crate::provider::WEBSOCKET_BEARER_PREFIX))
        .collect();
    let joined = HeaderValue::from_str(&kept.join(", "))
        .ok()
        .filter(|_| !kept.is_empty());
    h.remove(&name);
    if let Some(v) = joined {
        h.insert(name, v);
    }
}

/// The query without the route's token parameters (`query:NAME` sources): a token in a URL
/// would end up in the upstream's access logs (RFC 6750 §5.3), so it is never forwarded. Every
/// spelling an upstream may read as the parameter goes: names are compared after
/// percent-decoding (`access%5Ftoken`) and ignoring ASCII case (ASP.NET), and `;` separates
/// parameters as well as `&` (Python before 3.9.2, Go before 1.17, older Rack).
pub fn strip_query<'q>(query: &'q str, sources: &[TokenSource]) -> std::borrow::Cow<'q, str> {
    let names: Vec<&str> = sources
        .iter()
        .filter_map(|s| match s {
            TokenSource::Query(n) => Some(n.as_str()),
            _ => None,
        })
        .collect();
    let keep = |kv: &&str| {
        let key = kv.split_once('=').map_or(*kv, |(k, _)| k);
        !names.iter().any(|n| percent_decoded_eq(key, n))
    };
    if names.is_empty() || query.split(['&', ';']).all(|kv| keep(&kv)) {
        return std::borrow::Cow::Borrowed(query);
    }
    let pairs = query.split('&').filter_map(|pair| {
        let kept: Vec<&str> = pair.split(';').filter(keep).collect();
        (!kept.is_empty()).then(|| kept.join(";"))
    });
    std::borrow::Cow::Owned(pairs.collect::<Vec<_>>().join("&"))
}

/// `raw` (a query key: `%XX` escapes, `+` for space) decodes to `name`, ignoring ASCII case.
fn percent_decoded_eq(raw: &str, name: &str) -> bool {
    let (raw, name) = (raw.as_bytes(), name.as_bytes());
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let (mut i, mut j) = (0, 0);
    while let Some(&b) = raw.get(i) {
        let (byte, len) = match (
            b,
            raw.get(i + 1).copied().and_then(hex),
            raw.get(i + 2).copied().and_then(hex),
        ) {
            (b'%', Some(h), Some(l)) => (h << 4 | l, 3),
            (b'+', _, _) => (b' ', 1),
            (b, _, _) => (b, 1),
        };
        if !name.get(j).is_some_and(|n| n.eq_ignore_ascii_case(&byte)) {
            return false;
        }
        i += len;
        j += 1;
    }
    j == name.len()
}

/// Remove the cookies named in `strip` and send the rest as one `Cookie` header: an HTTP/2
/// client may split cookies over several fields, which must be joined with `"; "` for an
/// HTTP/1.1 upstream (RFC 9113 §8.2.3, RFC 6265 §5.4).
fn rewrite_cookies(h: &mut HeaderMap, strip: &[&str]) {
    let values = h.get_all(header::COOKIE);
    let n = values.iter().count();
    if n == 0 || (n == 1 && strip.is_empty()) {
        return;
    }
    let mut out: Vec<u8> = Vec::new();
    for v in values {
        for pair in v.as_bytes().split(|b| *b == b';') {
            let pair = pair.trim_ascii();
            let name = pair.split(|b| *b == b'=').next().unwrap_or_default().trim_ascii();
            if pair.is_empty() || strip.iter().any(|s| s.as_bytes() == name) {
                continue;
            }
            if !out.is_empty() {
                out.extend_from_slice(b"; ");
            }
            out.extend_from_slice(pair);
        }
    }
    h.remove(header::COOKIE);
    if let Ok(v) = HeaderValue::from_bytes(&out)
        && !out.is_empty()
    {
        h.insert(header::COOKIE, v);
    }
}

/// Mark a success response to a request that carried its token in the URL as `private`
/// (RFC 6750 §2.3): no `Cache-Control` becomes `private`; one without `private` or `no-store`
/// gets `private` in place of `public`. Directive names are case-insensitive (RFC 9111 §5.2).
pub fn cache_private(h: &mut HeaderMap) {
    let directives: Vec<String> = h
        .get_all(header::CACHE_CONTROL)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|d| d.trim().to_string())
        .filter(|d| !d.is_empty())
        .collect();
    let name = |d: &str| d.split('=').next().unwrap_or("").trim().to_ascii_lowercase();
    if directives
        .iter()
        .any(|d| matches!(name(d).as_str(), "private" | "no-store"))
    {
        return;
    }
    let mut out = vec!["private".to_string()];
    out.extend(directives.into_iter().filter(|d| name(d) != "public"));
    if let Ok(v) = HeaderValue::from_str(&out.join(", ")) {
        h.insert(header::CACHE_CONTROL, v);
    }
}

/// The scheme the client used: `https` on a TLS listener (set by [`crate::listener_tls`]);
/// absent means `http`.
#[derive(Clone, Copy, Debug)]
pub struct ClientProto(pub &'static str);

/// Send the prepared request upstream and stream the response back. Upgrades (`101`) are
/// spliced in a background task.
pub async fn send(
    clients: &Clients,
    route: &Route,
    identity: &Arc<IdentityHeaders>,
    mut req: Request<Incoming>,
) -> Result<Response<Body>, Rejection> {
    let client_upgrade = is_upgrade_request(&req).then(|| hyper::upgrade::on(&mut req));
    let (parts, body) = req.into_parts();
    // Request trailers (chunked HTTP/1.1, HTTP/2) reach an HTTP/2 upstream, and some
    // frameworks merge them into the headers: the identity spellings go there too.
    let identity = identity.clone();
    let body = body.map_frame(move |frame| match frame.into_trailers() {
        Ok(mut trailers) => {
            identity.strip(&mut trailers);
            Frame::trailers(trailers)
        }
        Err(frame) => frame,
    });
    let req = Request::from_parts(parts, body.boxed());
    let fut = clients.for_route(route.protocol).request(req);
    let mut resp = match tokio::time::timeout(route.timeout, fut).await {
        Err(_) => return Err(Rejection::GatewayTimeout),
        Ok(Err(e)) => {
            tracing::warn!(route = %route.name, error = %e, error_source = ?std::error::Error::source(&e), "upstream request failed");
            return Err(Rejection::BadGateway);
        }
        Ok(Ok(r)) => r,
    };
    if resp.status() == http::StatusCode::SWITCHING_PROTOCOLS
        && let Some(client_up) = client_upgrade
    {
        let upstream_up = hyper::upgrade::on(&mut resp);
        tokio::spawn(async move {
            if let (Ok(c), Ok(u)) = (client_up.await, upstream_up.await) {
                let _ = tokio::io::copy_bidirectional(&mut TokioIo::new(c), &mut TokioIo::new(u)).await;
            }
        });
        let (parts, _) = resp.into_parts();
        return Ok(Response::from_parts(parts, full(Bytes::new())));
    }
    let (mut parts, body) = resp.into_parts();
    strip_hop_by_hop(&mut parts.headers);
    Ok(Response::from_parts(parts, body.boxed()))
}

fn is_upgrade_request(req: &Request<Incoming>) -> bool {
    req.headers().contains_key(header::UPGRADE) && req.headers().get(header::CONNECTION).is_some()
}

/// Whether the request asks for a protocol upgrade (checked before [`prepare`] strips it).
pub fn wants_upgrade(headers: &HeaderMap) -> bool {
    is_upgrade(headers)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn claim_values() {
        let j = ArrayFormat::Join;
        let v = |x| claim_header_value(&x, j).map(|o| o.map(|h| h.to_str().unwrap().to_string()));
        assert_eq!(v(json!("alice")), Ok(Some("alice".into())));
        assert_eq!(v(json!(["a", "b"])), Ok(Some("a,b".into())));
        assert_eq!(v(json!(["a,b", "c"])), Err(UnsafeValue));
        assert_eq!(v(json!(["a\nb"])), Err(UnsafeValue));
        assert_eq!(v(json!("x\r\nX-Evil: 1")), Err(UnsafeValue));
        assert_eq!(v(json!(42)), Ok(Some("42".into())));
        assert_eq!(v(json!(null)), Ok(None));
        let js = claim_header_value(&json!(["a,b", "c"]), ArrayFormat::Json)
            .unwrap()
            .unwrap();
        assert_eq!(js.to_str().unwrap(), r#"["a,b","c"]"#);
    }

    #[test]
    fn token_parameters_and_cookies_removed() {
        let sources = [
            TokenSource::Bearer,
            TokenSource::Query("access_token".into()),
            TokenSource::Cookie("at".into()),
        ];
        assert_eq!(strip_query("a=1&access_token=x.y.z&b=2", &sources), "a=1&b=2");
        assert_eq!(
            strip_query("access_token=x&access%5Ftoken=y&access_token", &sources),
            ""
        );
        assert_eq!(
            strip_query("access_tokens=1&x=access_token", &sources),
            "access_tokens=1&x=access_token"
        );
        assert!(matches!(
            strip_query("a=1", &sources),
            std::borrow::Cow::Borrowed(_)
        ));
        assert_eq!(
            strip_query("access_token=x", &[TokenSource::Bearer]),
            "access_token=x"
        );
        let mut h = HeaderMap::new();
        h.append(header::COOKIE, HeaderValue::from_static("theme=dark; at=x.y.z"));
        h.append(header::COOKIE, HeaderValue::from_static("at=again;lang=en"));
        rewrite_cookies(&mut h, &["at"]);
        assert_eq!(
            h.get_all(header::COOKIE).iter().collect::<Vec<_>>(),
            ["theme=dark; lang=en"]
        );
        let mut h = HeaderMap::new();
        h.append(header::COOKIE, HeaderValue::from_static("a=1"));
        h.append(header::COOKIE, HeaderValue::from_static("b=2"));
        rewrite_cookies(&mut h, &[]);
        assert_eq!(h.get_all(header::COOKIE).iter().collect::<Vec<_>>(), ["a=1; b=2"]);
        let mut h = HeaderMap::new();
        h.append(header::COOKIE, HeaderValue::from_static("at=1"));
        rewrite_cookies(&mut h, &["at"]);
        assert!(!h.contains_key(header::COOKIE));
    }

    #[test]
    fn responses_to_query_tokens_are_private() {
        let cc = |v: Option<&'static str>| {
            let mut h = HeaderMap::new();
            if let Some(v) = v {
                h.insert(header::CACHE_CONTROL, HeaderValue::from_static(v));
            }
            cache_private(&mut h);
            h.get(header::CACHE_CONTROL)
                .unwrap()
                .to_str()
                .unwrap()
                .to_string()
        };
        assert_eq!(cc(None), "private");
        assert_eq!(cc(Some("public, max-age=600")), "private, max-age=600");
        assert_eq!(cc(Some("No-Store")), "No-Store");
        assert_eq!(cc(Some("private, max-age=5")), "private, max-age=5");
    }

    #[test]
    fn hop_by_hop_removed() {
        let mut h = HeaderMap::new();
        h.insert(
            header::CONNECTION,
            HeaderValue::from_static("keep-alive, x-secret"),
        );
        h.insert("x-secret", HeaderValue::from_static("1"));
        h.insert("keep-alive", HeaderValue::from_static("timeout=5"));
        h.insert(header::TE, HeaderValue::from_static("trailers"));
        h.insert("x-kept", HeaderValue::from_static("1"));
        strip_hop_by_hop(&mut h);
        assert_eq!(h.len(), 1);
        assert!(h.contains_key("x-kept"));
    }
}

#[cfg(test)]
mod websocket_tests {
    use super::*;

    #[test]
    fn websocket_bearer_subprotocol_is_removed_and_the_others_kept_in_order() {
        let mut h = HeaderMap::new();
        h.append(
            header::SEC_WEBSOCKET_PROTOCOL,
            HeaderValue::from_static("chat.v2, base64url.bearer.authorization.k8s.io.YWJj"),
        );
        h.append(
            header::SEC_WEBSOCKET_PROTOCOL,
            HeaderValue::from_static("chat.v1"),
        );
        strip_websocket_bearer(&mut h);
        let all: Vec<_> = h.get_all(header::SEC_WEBSOCKET_PROTOCOL).iter().collect();
        assert_eq!(all, vec![HeaderValue::from_static("chat.v2, chat.v1")]);
        let mut only = HeaderMap::new();
        only.insert(
            header::SEC_WEBSOCKET_PROTOCOL,
            HeaderValue::from_static("base64url.bearer.authorization.k8s.io.YWJj"),
        );
        strip_websocket_bearer(&mut only);
        assert!(only.is_empty());
    }
}
