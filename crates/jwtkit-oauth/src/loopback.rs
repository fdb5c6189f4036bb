//! The loopback redirect listener of native apps (RFC 8252 §7.3): an HTTP server on
//! `127.0.0.1` (any free port, or a given one) that receives the one authorization response
//! (`GET /callback?code=...&state=...`), checks `state` (RFC 6749 §10.12) and, when present,
//! `iss` (RFC 9207), shows a small "you can close this tab" page, and stops.

use std::collections::HashMap;
use std::net::Ipv4Addr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tokio::sync::oneshot;

use crate::error::{Result, err};
use crate::http::oauth_error_from;
use crate::secret::Secret;

/// The path of the redirect URI.
pub const CALLBACK_PATH: &str = "/callback";

/// A bound loopback listener, not yet serving.
#[derive(Debug)]
pub struct LoopbackListener {
    listener: tokio::net::TcpListener,
    port: u16,
}

/// What the callback handler was told to expect, and where to send the result.
struct Expect {
    state: String,
    issuer: Option<String>,
    done: Mutex<Option<oneshot::Sender<Result<Secret>>>>,
}

impl LoopbackListener {
    /// Listen on `127.0.0.1:port` (`0`: a free port chosen by the system, RFC 8252 §7.3).
    ///
    /// # Errors
    /// `invalid_config` when the port cannot be bound (in use, not permitted).
    pub async fn bind(port: u16) -> Result<LoopbackListener> {
        let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, port))
            .await
            .map_err(|e| {
                err!(
                    InvalidConfig,
                    "cannot listen on 127.0.0.1:{port} for the redirect: {e}"
                )
            })?;
        let port = listener
            .local_addr()
            .map_err(|e| err!(InvalidConfig, "loopback listener: {e}"))?
            .port();
        Ok(LoopbackListener { listener, port })
    }

    /// The port listened on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `http://127.0.0.1:PORT/callback`, the `redirect_uri` to register and send.
    pub fn redirect_uri(&self) -> String {
        format!("http://127.0.0.1:{}{CALLBACK_PATH}", self.port)
    }

    /// Serve until one authorization response arrives or `timeout` passes, then stop.
    /// Returns the authorization `code`.
    ///
    /// # Errors
    /// `state_mismatch` when the response's `state` differs from `state` (nothing is
    /// exchanged); `oauth_error` for an error response (RFC 6749 §4.1.2.1, e.g.
    /// `access_denied`); `bad_response` for a response without `code`, or whose `iss` is not
    /// `issuer` (RFC 9207 §2.4); `timed_out` after `timeout`.
    pub async fn wait(self, state: &str, issuer: Option<&str>, timeout: Duration) -> Result<Secret> {
        let (tx, rx) = oneshot::channel();
        let expect = Arc::new(Expect {
            state: state.to_string(),
            issuer: issuer.map(str::to_owned),
            done: Mutex::new(Some(tx)),
        });
        let app = Router::new()
            .route(CALLBACK_PATH, get(callback))
            .fallback(|| async {
                page(
                    StatusCode::NOT_FOUND,
                    "Not found",
                    "This is jwtkit's OAuth redirect listener.",
                )
            })
            .with_state(expect);
        let (stop_tx, stop_rx) = oneshot::channel::<()>();
        let server = tokio::spawn(async move {
            let _ = axum::serve(self.listener, app)
                .with_graceful_shutdown(async {
                    let _ = stop_rx.await;
                })
                .await;
        });
        let result = match tokio::time::timeout(timeout, rx).await {
            Ok(Ok(r)) => r,
            Ok(Err(_)) => Err(err!(BadResponse, "the redirect listener stopped unexpectedly")),
            Err(_) => Err(err!(
                TimedOut,
                "no authorization response on http://127.0.0.1:{}{CALLBACK_PATH} within {} s (the \
                 login was not completed in the browser; raise --timeout or open the URL again)",
                self.port,
                timeout.as_secs()
            )),
        };
        // Let the browser receive the page, then stop accepting.
        tokio::time::sleep(Duration::from_millis(100)).await;
        let _ = stop_tx.send(());
        let _ = tokio::time::timeout(Duration::from_secs(2), server).await;
        result
    }
}

async fn callback(State(expect): State<Arc<Expect>>, Query(q): Query<HashMap<String, String>>) -> Response {
    let Some(tx) = expect
        .done
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .take()
    else {
        return page(
            StatusCode::GONE,
            "Already done",
            "This login was already received; you can close this tab.",
        );
    };
    let (result, resp) = judge(&expect, &q);
    let _ = tx.send(result);
    resp
}

fn judge(expect: &Expect, q: &HashMap<String, String>) -> (Result<Secret>, Response) {
    let state_ok = q.get("state").is_some_and(|s| {
        aws_lc_rs::constant_time::verify_slices_are_equal(s.as_bytes(), expect.state.as_bytes()).is_ok()
    });
    if !state_ok {
        return (
            Err(err!(
                StateMismatch,
                "the authorization response's state is {} the one sent: a forged or stale redirect \
                 (RFC 6749 §10.12); nothing was exchanged",
                if q.contains_key("state") {
                    "not"
                } else {
                    "missing, not"
                }
            )),
            page(
                StatusCode::BAD_REQUEST,
                "Login refused",
                "The response's state does not match this login. Nothing was exchanged.",
            ),
        );
    }
    if let (Some(want), Some(got)) = (&expect.issuer, q.get("iss"))
        && want != got
    {
        return (
            Err(err!(
                BadResponse,
                "the authorization response came from issuer {got:?}, not {want:?} (RFC 9207 mix-up defence)"
            )),
            page(
                StatusCode::BAD_REQUEST,
                "Login refused",
                "The response came from another issuer.",
            ),
        );
    }
    let obj: serde_json::Map<String, serde_json::Value> =
        q.iter().map(|(k, v)| (k.clone(), v.clone().into())).collect();
    if let Some(e) = oauth_error_from(&obj, None) {
        let text = format!(
            "The authorization server answered {}{}.",
            e.error,
            e.description
                .as_deref()
                .map(|d| format!(": {d}"))
                .unwrap_or_default()
        );
        return (
            Err(crate::Error::oauth("authorization response", e)),
            page(StatusCode::OK, "Login failed", &text),
        );
    }
    match q.get("code") {
        Some(code) if !code.is_empty() => (
            Ok(Secret::new(code.clone())),
            page(
                StatusCode::OK,
                "Login complete",
                "jwtkit received the authorization response. You can close this tab.",
            ),
        ),
        _ => (
            Err(err!(
                BadResponse,
                "the authorization response has neither code nor error"
            )),
            page(
                StatusCode::BAD_REQUEST,
                "Login failed",
                "The response has no code.",
            ),
        ),
    }
}

fn html_escape(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '<' => "&lt;".to_string(),
            '>' => "&gt;".to_string(),
            '&' => "&amp;".to_string(),
            '"' => "&quot;".to_string(),
            '\'' => "&#39;".to_string(),
            c => c.to_string(),
        })
        .collect()
}

fn page(status: StatusCode, title: &str, text: &str) -> Response {
    let body = format!(
        "<!doctype html><html lang=\"en\"><meta charset=\"utf-8\"><title>jwtkit: {t}</title>\
         <body style=\"font-family:sans-serif;margin:3em\"><h1>{t}</h1><p>{x}</p></body></html>",
        t = html_escape(title),
        x = html_escape(text)
    );
    let mut r = (status, body).into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    r
}
