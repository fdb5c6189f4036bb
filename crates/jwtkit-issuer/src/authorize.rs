//! The authorization endpoint (RFC 6749 §4.1.1, OIDC Core §3.1.2) and the login page.
//!
//! Order of checks: the client and its redirect URI first; while either is unknown the
//! answer is an error page, never a redirect (RFC 6749 §4.1.2.1, RFC 9700 §4.1). After that,
//! errors go back to the client's redirect URI with `error`, `state` and `iss` (RFC 9207).
//! PKCE with S256 is required of every client; `plain` is refused (RFC 9700 §2.1.1).

use std::collections::HashMap;
use std::sync::Mutex;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::Map;
use serde_json::Value;
use std::sync::Arc;

use crate::config::RESERVED_CLAIMS;
use crate::error::OAuthError;
use crate::form::Params;
use crate::mint::random_token;
use crate::page::{LoginPage, error_page, login_page};
use crate::store::{CODES, Code, GRANTS, Grant, MAX_GRANTS, put, token_hash};
use crate::{Issuer, RegisteredClient};

/// An authorization request waiting for the developer on the login page.
#[derive(Clone, Debug)]
pub struct Pending {
    client_id: String,
    redirect_uri: String,
    redirect_uri_given: bool,
    scope: String,
    state: Option<String>,
    nonce: Option<String>,
    challenge: String,
    created: u64,
}

/// Pending requests, bounded in number and age.
#[derive(Default)]
pub struct PendingRequests(Mutex<HashMap<String, Pending>>);

/// Most pending requests kept; the oldest is dropped beyond.
const MAX_PENDING: usize = 1000;
/// How long a login page stays usable (seconds).
const PENDING_TTL: u64 = 600;
/// Largest claims JSON accepted from the login page (bytes).
const MAX_CLAIMS_BYTES: usize = 8192;

impl PendingRequests {
    fn insert(&self, id: String, p: Pending, now: u64) {
        let mut m = self.0.lock().unwrap_or_else(|e| e.into_inner());
        m.retain(|_, p| p.created + PENDING_TTL > now);
        if m.len() >= MAX_PENDING
            && let Some(oldest) = m.iter().min_by_key(|(_, p)| p.created).map(|(k, _)| k.clone())
        {
            m.remove(&oldest);
        }
        m.insert(id, p);
    }

    fn take(&self, id: &str, now: u64) -> Option<Pending> {
        let mut m = self.0.lock().unwrap_or_else(|e| e.into_inner());
        m.remove(id).filter(|p| p.created + PENDING_TTL > now)
    }
}

/// `redirect_uri` with `params` appended to its query (RFC 6749 §4.1.2), or `None` if it
/// does not parse (it was registered, so it does).
fn redirect(uri: &str, params: &[(&str, &str)]) -> Response {
    let Ok(mut u) = url::Url::parse(uri) else {
        return error_page(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "the redirect URI does not parse",
        );
    };
    {
        let mut q = u.query_pairs_mut();
        for (k, v) in params {
            q.append_pair(k, v);
        }
    }
    let mut r = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(u.as_str()) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

fn redirect_error(
    issuer: &Issuer,
    uri: &str,
    state: Option<&str>,
    code: &str,
    description: &str,
) -> Response {
    let mut p = vec![("error", code), ("error_description", description)];
    if let Some(s) = state {
        p.push(("state", s));
    }
    p.push(("iss", issuer.issuer.as_str()));
    redirect(uri, &p)
}

/// Scopes asked for, each allowed to the client; duplicates dropped.
///
/// # Errors
/// `invalid_scope` naming the first scope the client may not have.
pub fn check_scope(requested: &str, client: &RegisteredClient) -> Result<String, OAuthError> {
    let mut out: Vec<&str> = Vec::new();
    for s in requested.split(' ').filter(|s| !s.is_empty()) {
        if !client.scopes.iter().any(|a| a == s) {
            return Err(OAuthError::invalid_scope(format!(
                "scope {s:?} is not allowed for client {:?}",
                client.config.client_id
            )));
        }
        if !out.contains(&s) {
            out.push(s);
        }
    }
    Ok(out.join(" "))
}

/// A PKCE `code_challenge` / `code_verifier` character set check (RFC 7636 §4.1, §4.2).
pub fn is_pkce_text(s: &str, min: usize, max: usize) -> bool {
    (min..=max).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

/// `GET /authorize`.
pub async fn authorize_get(State(issuer): State<Arc<Issuer>>, RawQuery(q): RawQuery) -> Response {
    let q = q.unwrap_or_default();
    if q.len() > issuer.config.tokens.max_request_bytes {
        return error_page(
            StatusCode::URI_TOO_LONG,
            "invalid_request",
            "the request is too long",
        );
    }
    match Params::parse(q.as_bytes()) {
        Ok(p) => authorization_request(&issuer, &p),
        Err(e) => error_page(StatusCode::BAD_REQUEST, e.code, &e.description),
    }
}

/// `POST /authorize` (OIDC Core §3.1.2.1: form-encoded, same parameters as GET).
pub async fn authorize_post(
    State(issuer): State<Arc<Issuer>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    match Params::from_body(&headers, body, issuer.config.tokens.max_request_bytes) {
        Ok(p) => authorization_request(&issuer, &p),
        Err(e) => error_page(e.status, e.code, &e.description),
    }
}

fn authorization_request(issuer: &Issuer, p: &Params) -> Response {
    // 1. Client and redirect URI: errors here are shown, never redirected.
    let Some(client_id) = p.get("client_id") else {
        return error_page(StatusCode::BAD_REQUEST, "invalid_request", "missing client_id");
    };
    let Some(client) = issuer.clients.get(client_id) else {
        return error_page(
            StatusCode::BAD_REQUEST,
            "invalid_client",
            &format!("unknown client_id {client_id:?}"),
        );
    };
    let registered = &client.config.redirect_uris;
    let redirect_uri = match (p.get("redirect_uri"), registered.as_slice()) {
        (Some(r), _) if registered.iter().any(|x| x == r) => r.to_string(),
        (Some(r), _) => {
            return error_page(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                &format!(
                    "redirect_uri {r:?} is not registered for client {client_id:?} (exact match required)"
                ),
            );
        }
        (None, [only]) => only.clone(),
        (None, _) => {
            return error_page(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "missing redirect_uri (the client has several registered)",
            );
        }
    };
    let state = p.get("state");
    let fail = |code: &str, d: &str| redirect_error(issuer, &redirect_uri, state, code, d);
    // 2. Everything else goes back to the client.
    if p.get("request").is_some() {
        return fail("request_not_supported", "request objects are not supported");
    }
    if p.get("request_uri").is_some() {
        return fail("request_uri_not_supported", "request_uri is not supported");
    }
    match p.get("response_type") {
        Some("code") => {}
        None => return fail("invalid_request", "missing response_type"),
        Some(other) => {
            return fail(
                "unsupported_response_type",
                &format!("response_type {other:?} is not supported (use code)"),
            );
        }
    }
    if p.get("response_mode").is_some_and(|m| m != "query") {
        return fail("invalid_request", "only response_mode=query is supported");
    }
    if !client.allows("authorization_code") {
        return fail(
            "unauthorized_client",
            "this client may not use the authorization code grant",
        );
    }
    let scope = match check_scope(p.get("scope").unwrap_or(""), client) {
        Ok(s) => s,
        Err(e) => return fail(e.code, &e.description),
    };
    let Some(challenge) = p.get("code_challenge") else {
        return fail(
            "invalid_request",
            "PKCE is required: send code_challenge with code_challenge_method=S256",
        );
    };
    if p.get("code_challenge_method") != Some("S256") {
        return fail(
            "invalid_request",
            "code_challenge_method must be S256 (plain, and its default when absent, is refused)",
        );
    }
    if challenge.len() != 43 || !is_pkce_text(challenge, 43, 43) {
        return fail(
            "invalid_request",
            "code_challenge must be 43 base64url characters (SHA-256, RFC 7636 §4.2)",
        );
    }
    if p.get("prompt")
        .is_some_and(|pr| pr.split(' ').any(|x| x == "none"))
    {
        return fail(
            "login_required",
            "prompt=none: this issuer always shows its login page",
        );
    }
    let now = issuer.now();
    let Ok(id) = random_token() else {
        return error_page(
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            "the random generator failed",
        );
    };
    let pending = Pending {
        client_id: client_id.to_string(),
        redirect_uri: redirect_uri.clone(),
        redirect_uri_given: p.get("redirect_uri").is_some(),
        scope: scope.clone(),
        state: state.map(str::to_string),
        nonce: p.get("nonce").map(str::to_string),
        challenge: challenge.to_string(),
        created: now,
    };
    issuer.pending.insert(id.clone(), pending, now);
    login_page(&LoginPage {
        request_id: &id,
        client_id,
        scope: &scope,
        redirect_uri: &redirect_uri,
        users: &issuer.config.users,
        selected: None,
        claims_text: "{}",
        error: None,
    })
}

/// The user's configured claims with the login page's changes (`null` removes one).
fn merged_claims(issuer: &Issuer, sub: &str, text: &str) -> Result<Map<String, Value>, String> {
    let user = issuer.user(sub).ok_or_else(|| format!("unknown user {sub:?}"))?;
    let mut claims: Map<String, Value> = user.claims.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    let text = text.trim();
    if text.is_empty() {
        return Ok(claims);
    }
    if text.len() > MAX_CLAIMS_BYTES {
        return Err(format!("the claims are longer than {MAX_CLAIMS_BYTES} bytes"));
    }
    let changes = jwtkit::json::parse_object(text.as_bytes(), &jwtkit::Limits::default())
        .map_err(|e| format!("the claims must be a JSON object: {}", e.message()))?;
    for (k, v) in changes {
        if RESERVED_CLAIMS.contains(&k.as_str()) {
            return Err(format!(
                "claim {k:?} is set by the issuer and cannot be changed here"
            ));
        }
        if v == Value::Null {
            claims.remove(&k);
        } else {
            claims.insert(k, v);
        }
    }
    Ok(claims)
}

/// `POST /authorize/login`: the developer's choice on the login page.
pub async fn login(
    State(issuer): State<Arc<Issuer>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let p = match Params::from_body(&headers, body, issuer.config.tokens.max_request_bytes) {
        Ok(p) => p,
        Err(e) => return error_page(e.status, e.code, &e.description),
    };
    let now = issuer.now();
    let id = p.get("request").unwrap_or("");
    let Some(pending) = issuer.pending.take(id, now) else {
        return error_page(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "this login page has expired or was already used: start the authorization again",
        );
    };
    let state = pending.state.as_deref();
    if p.get("action") != Some("approve") {
        return redirect_error(
            &issuer,
            &pending.redirect_uri,
            state,
            "access_denied",
            "the user denied the request",
        );
    }
    let sub = p.get("sub").unwrap_or("");
    let claims_text = p.get("claims").unwrap_or("");
    let claims = match merged_claims(&issuer, sub, claims_text) {
        Ok(c) => c,
        Err(msg) => {
            let page = login_page(&LoginPage {
                request_id: id,
                client_id: &pending.client_id,
                scope: &pending.scope,
                redirect_uri: &pending.redirect_uri,
                users: &issuer.config.users,
                selected: Some(sub),
                claims_text,
                error: Some(&msg),
            });
            issuer.pending.insert(id.to_string(), pending, now);
            return (StatusCode::BAD_REQUEST, page).into_response();
        }
    };
    match issue_code(&issuer, &pending, sub, claims, now).await {
        Ok(code) => {
            issuer.event(format_args!(
                "login: client={} sub={sub} scope={:?}",
                pending.client_id, pending.scope
            ));
            let mut params = vec![("code", code.as_str())];
            if let Some(s) = state {
                params.push(("state", s));
            }
            params.push(("iss", issuer.issuer.as_str()));
            redirect(&pending.redirect_uri, &params)
        }
        Err(e) => redirect_error(&issuer, &pending.redirect_uri, state, e.code, &e.description),
    }
}

async fn issue_code(
    issuer: &Issuer,
    p: &Pending,
    sub: &str,
    claims: Map<String, Value>,
    now: u64,
) -> Result<String, OAuthError> {
    let t = &issuer.config.tokens;
    let grant_id = random_token()?;
    let code = random_token()?;
    let grant = Grant {
        client_id: p.client_id.clone(),
        sub: sub.to_string(),
        scope: p.scope.clone(),
        claims,
        auth_time: now,
        nonce: p.nonce.clone(),
        expires_at: now + t.refresh_family_ttl.0.max(t.access_token_ttl.0).max(t.code_ttl.0),
        revoked: false,
        refresh_current: None,
        refresh_expires_at: 0,
    };
    let record = Code {
        grant: grant_id.clone(),
        redirect_uri: p.redirect_uri.clone(),
        redirect_uri_given: p.redirect_uri_given,
        challenge: p.challenge.clone(),
        expires_at: now + t.code_ttl.0,
        redeemed: false,
    };
    let hash = token_hash(&code);
    issuer
        .store
        .transact(now, |m| {
            if m.grants.len() >= MAX_GRANTS {
                return (Err(OAuthError::unavailable("too many live grants")), vec![]);
            }
            let w = vec![put(GRANTS, &grant_id, &grant), put(CODES, &hash, &record)];
            m.grants.insert(grant_id.clone(), grant);
            m.codes.insert(hash.clone(), record);
            (Ok(()), w)
        })
        .await
        .map_err(|e| OAuthError::server_error(format!("state: {e}")))??;
    Ok(code)
}
