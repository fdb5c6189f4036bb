//! The checks every request passes before reaching a handler, and the headers every response
//! carries.
//!
//! - **DNS rebinding**: a page on `evil.example` whose name is re-pointed at 127.0.0.1 reaches
//!   this server with `Host: evil.example`. Only `127.0.0.1:PORT`, `localhost:PORT` and
//!   `[::1]:PORT` are served; anything else gets `403`.
//! - **CSRF**: a form or `fetch` from another site can still `POST` to the loopback address.
//!   API requests other than `GET`/`HEAD` must carry an `Origin` equal to `http://` + `Host` (browsers
//!   always send it on `POST`), must not be marked cross-site by `Sec-Fetch-Site`, and must be
//!   `application/json` (which other sites cannot send without a CORS preflight, never
//!   answered here).
//! - **Headers**: a strict Content-Security-Policy (no inline script or style, no off-host
//!   URL), `X-Content-Type-Options: nosniff`, `Referrer-Policy: no-referrer`,
//!   `X-Frame-Options: DENY`, and `Cache-Control: no-store` so no token or key lands in a
//!   cache.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// The Content-Security-Policy of every response.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// The `Host` values (and matching `Origin`s) this server answers to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Allowed {
    hosts: Vec<String>,
    origins: Vec<String>,
}

impl Allowed {
    /// `127.0.0.1:port`, `localhost:port` and `[::1]:port`, with origins `http://` + each.
    pub fn for_port(port: u16) -> Allowed {
        let hosts: Vec<String> = ["127.0.0.1", "localhost", "[::1]"]
            .iter()
            .map(|h| format!("{h}:{port}"))
            .collect();
        let origins = hosts.iter().map(|h| format!("http://{h}")).collect();
        Allowed { hosts, origins }
    }

    /// Whether `host` (a `Host` header value) names this server.
    pub fn host_ok(&self, host: &str) -> bool {
        self.hosts.iter().any(|h| h.eq_ignore_ascii_case(host))
    }

    /// Whether `origin` (an `Origin` header value) is this server's page as reached through
    /// `host`: the same scheme, name and port (a page on `localhost` may not post to
    /// `127.0.0.1`).
    pub fn origin_ok(&self, origin: &str, host: &str) -> bool {
        self.host_ok(host)
            && self.origins.iter().any(|o| o.eq_ignore_ascii_case(origin))
            && origin.get(7..).is_some_and(|h| h.eq_ignore_ascii_case(host))
    }
}

fn forbidden(status: StatusCode, message: &str) -> Response {
    let body = serde_json::json!({"error": {"kind": "forbidden", "message": message}});
    (status, axum::Json(body)).into_response()
}

fn header_str(headers: &HeaderMap, name: header::HeaderName) -> Option<&str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// Reject requests that fail the `Host`/`Origin` checks, then add the security headers.
pub async fn check(State(allowed): State<Arc<Allowed>>, req: Request, next: Next) -> Response {
    let mut resp = match reject(&allowed, &req) {
        Some(r) => r,
        None => next.run(req).await,
    };
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        "cross-origin-opener-policy",
        HeaderValue::from_static("same-origin"),
    );
    h.insert(
        "cross-origin-resource-policy",
        HeaderValue::from_static("same-origin"),
    );
    h.insert(
        "permissions-policy",
        HeaderValue::from_static("camera=(), microphone=(), geolocation=(), interest-cohort=()"),
    );
    resp
}

fn reject(allowed: &Allowed, req: &Request) -> Option<Response> {
    let headers = req.headers();
    let host = header_str(headers, header::HOST).or_else(|| req.uri().authority().map(|a| a.as_str()));
    let host = match host {
        Some(h) if allowed.host_ok(h) => h,
        _ => {
            return Some(forbidden(
                StatusCode::FORBIDDEN,
                "this debugger answers only to 127.0.0.1, localhost or [::1] on its own port \
                 (Host check against DNS rebinding)",
            ));
        }
    };
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return None;
    }
    match header_str(headers, header::ORIGIN) {
        Some(o) if allowed.origin_ok(o, host) => {}
        _ => {
            return Some(forbidden(
                StatusCode::FORBIDDEN,
                "requests that change state must come from the debugger's own page (Origin check against CSRF)",
            ));
        }
    }
    if let Some(site) = header_str(headers, header::HeaderName::from_static("sec-fetch-site"))
        && !matches!(site, "same-origin" | "none")
    {
        return Some(forbidden(
            StatusCode::FORBIDDEN,
            "cross-site request refused (Sec-Fetch-Site)",
        ));
    }
    let json = header_str(headers, header::CONTENT_TYPE)
        .map(|c| {
            c.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .eq_ignore_ascii_case("application/json")
        })
        .unwrap_or(false);
    if !json {
        return Some(forbidden(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "API requests must be application/json",
        ));
    }
    None
}
