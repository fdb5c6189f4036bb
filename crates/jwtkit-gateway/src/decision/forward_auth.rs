//! The HTTP decision listener (`decision.listen`).
//!
//! | path | asked by | the original request |
//! | --- | --- | --- |
//! | `/forward-auth` | nginx `auth_request`, Traefik `ForwardAuth`, Caddy `forward_auth` | method, URI, host and scheme from the headers below; every other header as sent |
//! | `/ext-authz/…` | Envoy HTTP `ext_authz` (`path_prefix: /ext-authz`) | the path after the prefix, the request's own method and headers |
//! | `/.well-known/oauth-protected-resource/…` | the client, routed there by the proxy | RFC 9728 metadata ([`crate::resource_metadata`]) |
//!
//! Original request facts (each header at most once; when a proxy sets one spelling and the
//! client sent the other, the two must agree, else `400` — see [`question`]):
//! - method: `X-Forwarded-Method` (Traefik, Caddy), `X-Original-Method` (nginx example), else
//!   the request's;
//! - URI: `X-Original-URI` (nginx, `$request_uri`), `X-Forwarded-Uri` (Traefik, Caddy);
//! - host: `X-Forwarded-Host`, else `Host`;
//! - scheme: `X-Forwarded-Proto`, else `http`;
//! - client address: the last `X-Forwarded-For` entry (the address the proxy saw), else the
//!   peer.
//!
//! They are trusted because this listener serves the proxy only; the proxy listener
//! (`server.listen`) never reads them. These headers are removed before the pipeline sees the
//! request, so they can neither pose as a token source nor reach a claim header.
//!
//! Allowed: `200`, empty body, the verified claim headers (`claims_to_headers`), and
//! `x-envoy-auth-headers-to-remove` listing the route's claim headers it did not set and the
//! token headers of a `strip_authorization` route. Denied: the proxy mode's answer (status,
//! `WWW-Authenticate` with `resource_metadata`, `Retry-After`, JSON body) — nginx passes only
//! `401` and `403` through (others become `500`), Caddy, Traefik and Envoy pass all.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, Method, Request, Response, StatusCode, Uri, header};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpListener;
use tokio::sync::watch;

use super::{Answer, DecisionCache, Question};
use crate::Shared;
use crate::forward::{Body, full};

/// The forward-auth path.
pub const FORWARD_AUTH_PATH: &str = "/forward-auth";
/// The Envoy HTTP ext_authz path prefix.
pub const EXT_AUTHZ_PREFIX: &str = "/ext-authz";

/// The headers a proxy uses to describe the original request; never passed to the pipeline.
const FACT_HEADERS: &[&str] = &[
    "x-forwarded-method",
    "x-forwarded-uri",
    "x-forwarded-host",
    "x-forwarded-proto",
    "x-forwarded-for",
    "x-forwarded-port",
    "x-forwarded-prefix",
    "x-original-method",
    "x-original-uri",
    "x-original-url",
    "x-real-ip",
    "forwarded",
];

/// Header listing what Envoy's HTTP ext_authz filter removes from the upstream request.
pub const HEADERS_TO_REMOVE: &str = "x-envoy-auth-headers-to-remove";

fn header_str<'h>(h: &'h HeaderMap, name: &str) -> Option<&'h str> {
    h.get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
}

/// The facts must be unambiguous: a proxy that passes the client's own headers through (nginx
/// `auth_request`, Caddy `forward_auth`, Traefik `ForwardAuth` all do) sets the spellings it
/// knows and leaves a client's other spelling in place. So each fact header appears at most
/// once, and the two spellings of the method and of the URI, when both present, agree;
/// otherwise `400` — a client must not choose the route or method that is authorized.
fn unambiguous(h: &HeaderMap) -> Result<(), &'static str> {
    if FACT_HEADERS.iter().any(|n| h.get_all(*n).iter().nth(1).is_some()) {
        return Err(
            "a header describing the original request is repeated: the proxy must set it, replacing the client's",
        );
    }
    let disagree =
        |a: &str, b: &str| matches!((header_str(h, a), header_str(h, b)), (Some(x), Some(y)) if x != y);
    if disagree("x-forwarded-method", "x-original-method") {
        return Err(
            "X-Forwarded-Method and X-Original-Method disagree: the proxy must remove the spelling it does not set",
        );
    }
    if disagree("x-forwarded-uri", "x-original-uri") || disagree("x-original-url", "x-original-uri") {
        return Err(
            "X-Forwarded-Uri and X-Original-URI disagree: the proxy must remove the spelling it does not set",
        );
    }
    Ok(())
}

/// The original request of a forward-auth or HTTP ext_authz call (`original_uri`: the
/// ext_authz path, or None to read it from the headers).
///
/// # Errors
/// A `400` description: no original URI, or a method or URI that does not parse.
pub fn question(
    parts: &http::request::Parts,
    peer: SocketAddr,
    original_uri: Option<&str>,
) -> Result<Question, &'static str> {
    let h = &parts.headers;
    unambiguous(h)?;
    let method = match header_str(h, "x-forwarded-method").or_else(|| header_str(h, "x-original-method")) {
        Some(m) => Method::from_bytes(m.as_bytes()).map_err(|_| "the original method is not a method")?,
        None => parts.method.clone(),
    };
    let uri = match original_uri {
        Some(u) => u,
        None => header_str(h, "x-original-uri")
            .or_else(|| header_str(h, "x-forwarded-uri"))
            .ok_or("no original URI: the proxy must send X-Original-URI or X-Forwarded-Uri")?,
    };
    if !uri.starts_with('/') {
        return Err("the original URI must be a path (origin-form)");
    }
    let uri: Uri = uri.parse().map_err(|_| "the original URI does not parse")?;
    let host = header_str(h, "x-forwarded-host")
        .map(|v| v.split(',').next().unwrap_or(v).trim())
        .and_then(|v| HeaderValue::from_str(v).ok())
        .or_else(|| h.get(header::HOST).cloned());
    let scheme = match header_str(h, "x-forwarded-proto").map(|p| p.split(',').next().unwrap_or(p).trim()) {
        Some(p) if p.eq_ignore_ascii_case("https") || p.eq_ignore_ascii_case("wss") => "https",
        _ => "http",
    };
    let client = header_str(h, "x-forwarded-for")
        .and_then(|v| v.rsplit(',').next())
        .and_then(|ip| ip.trim().parse::<std::net::IpAddr>().ok())
        .map_or(peer, |ip| SocketAddr::new(ip, 0));
    let mut headers = HeaderMap::with_capacity(h.len());
    for (name, value) in h {
        if FACT_HEADERS.contains(&name.as_str())
            || name == header::HOST
            || name == header::CONTENT_LENGTH
            || name == header::TRANSFER_ENCODING
            || name == header::CONNECTION
        {
            continue;
        }
        headers.append(name.clone(), value.clone());
    }
    if let Some(host) = host {
        headers.insert(header::HOST, host);
    }
    let (mut out, ()) = Request::new(()).into_parts();
    out.method = method;
    out.uri = uri;
    out.version = http::Version::HTTP_11;
    out.headers = headers;
    Ok(Question {
        parts: out,
        scheme: scheme.to_string(),
        client,
    })
}

/// The HTTP rendering of an answer.
pub fn respond(answer: Answer, realm: &str) -> Response<Body> {
    match answer {
        Answer::Allow { headers, remove } => {
            let mut resp = Response::new(full(Bytes::new()));
            *resp.headers_mut() = headers;
            let names: Vec<&str> = remove.iter().map(HeaderName::as_str).collect();
            if !names.is_empty()
                && let Ok(v) = HeaderValue::from_str(&names.join(","))
            {
                resp.headers_mut().insert(HEADERS_TO_REMOVE, v);
            }
            resp.headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            resp
        }
        Answer::Deny {
            rejection,
            resource_metadata,
        } => crate::response::respond_for(&rejection, realm, resource_metadata.as_deref()),
    }
}

/// Serve one request on the decision listener.
pub async fn handle(
    shared: Arc<Shared>,
    cache: Arc<DecisionCache>,
    peer: SocketAddr,
    req: Request<Incoming>,
) -> Result<Response<Body>, Infallible> {
    let (parts, _body) = req.into_parts();
    let path = parts.uri.path();
    let realm = shared.state.load().config.server.realm.clone();
    let original = if path == FORWARD_AUTH_PATH {
        None
    } else if let Some(rest) = path.strip_prefix(EXT_AUTHZ_PREFIX).filter(|r| r.starts_with('/')) {
        Some(match parts.uri.query() {
            Some(q) => format!("{rest}?{q}"),
            None => rest.to_string(),
        })
    } else if path.starts_with(crate::resource_metadata::WELL_KNOWN) {
        let q = question(&parts, peer, Some(path)).ok();
        let host = q
            .as_ref()
            .and_then(|q| crate::resource_metadata::request_host(&q.parts));
        let scheme = q.as_ref().map_or("http", |q| q.scheme.as_str());
        let state = shared.state.load();
        if let Some(resp) = crate::resource_metadata::serve(&state.routes, &parts.method, path, scheme, host)
        {
            return Ok(resp);
        }
        return Ok(plain(StatusCode::NOT_FOUND, "no protected resource at this path"));
    } else {
        return Ok(plain(
            StatusCode::NOT_FOUND,
            "the decision service answers /forward-auth, /ext-authz/… and /.well-known/oauth-protected-resource/…",
        ));
    };
    let q = match question(&parts, peer, original.as_deref()) {
        Ok(q) => q,
        Err(why) => return Ok(plain(StatusCode::BAD_REQUEST, why)),
    };
    let answer = super::decide(&shared, &cache, q).await;
    Ok(respond(answer, &realm))
}

fn plain(status: StatusCode, text: &str) -> Response<Body> {
    let body = serde_json::json!({"error": "bad_request", "error_description": text});
    let mut r = Response::new(full(Bytes::from(body.to_string())));
    *r.status_mut() = status;
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    r
}

/// Accept connections until `stop` (HTTP/1.1 and h2c).
pub async fn serve(
    shared: Arc<Shared>,
    cache: Arc<DecisionCache>,
    listener: TcpListener,
    mut stop: watch::Receiver<bool>,
) {
    let mut builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .keep_alive(true)
        .timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(Duration::from_secs(30));
    let builder = Arc::new(builder);
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, peer)) = accepted else { continue };
                let _ = stream.set_nodelay(true);
                let (shared, cache) = (shared.clone(), cache.clone());
                let service = hyper::service::service_fn(move |req| handle(shared.clone(), cache.clone(), peer, req));
                let conn = builder.serve_connection(TokioIo::new(stream), service).into_owned();
                let conn = graceful.watch(conn);
                tokio::spawn(async move {
                    let _ = conn.await;
                });
            }
            _ = stop.wait_for(|s| *s) => break,
        }
    }
    drop(listener);
    let _ = tokio::time::timeout(Duration::from_secs(5), graceful.shutdown()).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(headers: &[(&str, &str)]) -> http::request::Parts {
        let mut b = Request::builder().method("POST").uri("/forward-auth");
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        b.body(()).unwrap().into_parts().0
    }

    #[test]
    fn original_request_facts_come_from_the_proxy_headers_which_are_then_removed() {
        let peer: SocketAddr = "10.0.0.9:5000".parse().unwrap();
        let p = parts(&[
            ("host", "jwtkit:9100"),
            ("x-original-uri", "/orders/1?a=b"),
            ("x-forwarded-method", "DELETE"),
            ("x-forwarded-host", "api.example.com, other"),
            ("x-forwarded-proto", "https"),
            ("x-forwarded-for", "198.51.100.1, 203.0.113.7"),
            ("authorization", "Bearer t"),
            ("content-length", "0"),
        ]);
        let q = question(&p, peer, None).unwrap();
        assert_eq!(q.parts.method, Method::DELETE);
        assert_eq!(q.parts.uri, "/orders/1?a=b");
        assert_eq!(q.parts.headers["host"], "api.example.com");
        assert_eq!(q.scheme, "https");
        assert_eq!(q.client, "203.0.113.7:0".parse::<SocketAddr>().unwrap());
        let names: Vec<&str> = q.parts.headers.keys().map(|k| k.as_str()).collect();
        assert_eq!(names, vec!["authorization", "host"]);
    }

    #[test]
    fn a_client_spelling_beside_the_proxy_one_or_a_repeated_fact_is_refused() {
        let peer: SocketAddr = "10.0.0.9:5000".parse().unwrap();
        // Caddy sets X-Forwarded-Uri; the client adds X-Original-URI for an open route.
        let p = parts(&[("x-forwarded-uri", "/orders/1"), ("x-original-uri", "/public/x")]);
        assert_eq!(
            question(&p, peer, None).err(),
            Some(
                "X-Forwarded-Uri and X-Original-URI disagree: the proxy must remove the spelling it does not set"
            )
        );
        // nginx sets X-Original-Method; the client adds X-Forwarded-Method: OPTIONS.
        let p = parts(&[
            ("x-original-uri", "/orders/1"),
            ("x-original-method", "GET"),
            ("x-forwarded-method", "OPTIONS"),
        ]);
        assert_eq!(
            question(&p, peer, None).err(),
            Some(
                "X-Forwarded-Method and X-Original-Method disagree: the proxy must remove the spelling it does not set"
            )
        );
        let p = parts(&[("x-original-uri", "/orders/1"), ("x-original-uri", "/public/x")]);
        assert_eq!(
            question(&p, peer, None).err(),
            Some(
                "a header describing the original request is repeated: the proxy must set it, replacing the client's"
            )
        );
        // The same value in both spellings is no ambiguity.
        let p = parts(&[("x-forwarded-uri", "/orders/1"), ("x-original-uri", "/orders/1")]);
        assert_eq!(
            question(&p, peer, None).map(|q| q.parts.uri.to_string()),
            Ok("/orders/1".into())
        );
    }

    #[test]
    fn missing_or_absolute_original_uri_is_refused_and_the_peer_is_the_fallback() {
        let peer: SocketAddr = "10.0.0.9:5000".parse().unwrap();
        assert_eq!(
            question(&parts(&[]), peer, None).err(),
            Some("no original URI: the proxy must send X-Original-URI or X-Forwarded-Uri")
        );
        assert_eq!(
            question(&parts(&[("x-forwarded-uri", "http://evil/orders")]), peer, None).err(),
            Some("the original URI must be a path (origin-form)")
        );
        let q = question(&parts(&[("host", "api.example.com")]), peer, Some("/orders/2")).unwrap();
        assert_eq!(
            (q.parts.method.as_str(), q.scheme.as_str(), q.client),
            ("POST", "http", peer)
        );
    }
}
