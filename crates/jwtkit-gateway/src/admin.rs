//! The admin listener (loopback by default): `/healthz`, `/readyz`, `/metrics`, and the
//! revocation API under `/admin/revocations`, which requires `Authorization: Bearer
//! <admin_token>` (compared in constant time).
//!
//! - `POST /admin/revocations` `{"jti":"…","exp":…}` or `{"sub":"…","issued_before":…}` →
//!   `201` with the entry, once it is durable.
//! - `GET /admin/revocations?limit=100&cursor=…` → `{"items":[…],"next_cursor":…}`.
//! - `DELETE /admin/revocations?jti=…` or `?sub=…` → `204`, or `404`.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};

use crate::Shared;
use crate::revocation::{RevocationKind, id, parse_request};
use crate::store::now_secs;

/// The admin router.
pub fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/healthz", get(|| async { (StatusCode::OK, "ok\n") }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .route("/admin/revocations", get(list).post(create).delete(remove))
        .with_state(shared)
}

fn error(status: StatusCode, error: &str, description: &str) -> Response {
    (
        status,
        axum::Json(json!({"error": error, "error_description": description})),
    )
        .into_response()
}

/// The store, for an authorized admin request: the admin token checked first ([`authorized`]),
/// then `503 store_unavailable` when the gateway runs without a store.
#[allow(clippy::result_large_err)] // the Err is the finished 401/403/503 response
fn authorized_store<'s>(
    shared: &'s Shared,
    headers: &HeaderMap,
) -> Result<&'s crate::store::Store, Response> {
    authorized(shared, headers)?;
    shared
        .store
        .as_ref()
        .ok_or_else(|| error(StatusCode::SERVICE_UNAVAILABLE, "store_unavailable", "no store"))
}

#[allow(clippy::result_large_err)] // the Err is the finished 401/403 response
fn authorized(shared: &Shared, headers: &HeaderMap) -> Result<(), Response> {
    let state = shared.state.load();
    let Some(expected) = state.admin_token.as_deref() else {
        return Err(error(
            StatusCode::FORBIDDEN,
            "admin_disabled",
            "the admin API is disabled: set server.admin_token or JWTKIT_ADMIN_TOKEN",
        ));
    };
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .unwrap_or("");
    let ok = given.len() == expected.len()
        && aws_lc_rs::constant_time::verify_slices_are_equal(given.as_bytes(), expected.as_bytes()).is_ok();
    if ok {
        Ok(())
    } else {
        let mut r = error(
            StatusCode::UNAUTHORIZED,
            "invalid_token",
            "admin bearer token required",
        );
        r.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            header::HeaderValue::from_static("Bearer realm=\"jwtkit-admin\""),
        );
        Err(r)
    }
}

/// Readiness: every provider has keys and the store answers.
pub async fn readiness(shared: &Shared) -> (bool, Value) {
    let state = shared.state.load_full();
    let mut providers = serde_json::Map::new();
    let mut ready = true;
    for p in &state.providers {
        let s = p.keys.status();
        ready &= s.ready;
        providers.insert(
            p.name.to_string(),
            json!({
                "ready": s.ready,
                "key_set_age_seconds": s.key_set_age.map(|d| d.as_secs()),
                "fetches": s.fetch_count,
                "failures": s.failure_count,
                "last_error": s.last_error,
            }),
        );
    }
    let store = match &shared.store {
        Some(store) => {
            let r = store.ping().await;
            let (mut status, current) = store.status();
            ready &= r.is_ok() && current;
            if let Some(o) = status.as_object_mut() {
                o.insert("kind".into(), store.kind().into());
                o.insert("ok".into(), r.is_ok().into());
                o.insert("error".into(), r.err().map(|e| e.to_string()).into());
            }
            status
        }
        None => json!({"ok": false}),
    };
    (
        ready,
        json!({"ready": ready, "config_generation": state.generation, "providers": providers, "store": store}),
    )
}

async fn readyz(State(shared): State<Arc<Shared>>) -> Response {
    let (ready, body) = readiness(&shared).await;
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, axum::Json(body)).into_response()
}

async fn metrics(State(shared): State<Arc<Shared>>) -> Response {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        crate::metrics::render(&shared),
    )
        .into_response()
}

async fn create(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: axum::body::Bytes) -> Response {
    let store = match authorized_store(&shared, &headers) {
        Ok(s) => s,
        Err(r) => return r,
    };
    // The core's strict JSON: a duplicate member ({"jti":"a","jti":"b"}) is refused, not
    // read as its last value.
    let value = match jwtkit::json::parse_object(&body, &jwtkit::Limits::default()) {
        Ok(object) => Value::Object(object),
        Err(e) => match serde_json::from_slice::<Value>(&body) {
            // Strict JSON that is not an object (an array, a string): parse_request says
            // what the body must be.
            Ok(other) if e.kind() == jwtkit::ErrorKind::BadJson && !other.is_object() => other,
            _ => {
                return error(
                    StatusCode::BAD_REQUEST,
                    "invalid_request",
                    &format!("body is not strict JSON: {}: {}", e.kind(), e.message()),
                );
            }
        },
    };
    let ttl = shared.state.load().config.store.sub_revocation_ttl.0;
    let rev = match parse_request(&value, now_secs(), ttl) {
        Ok(r) => r,
        Err(e) => return error(StatusCode::BAD_REQUEST, "invalid_request", &e),
    };
    let body = rev.to_json();
    let (kind, value) = (rev.kind, rev.value.clone());
    match store.revoke(rev).await {
        Ok(()) => {
            let dropped = match kind {
                RevocationKind::Jti => shared.cache.drop_matching(Some(&value), None),
                RevocationKind::Sub => shared.cache.drop_matching(None, Some(&value)),
            };
            let kind_name = if kind == RevocationKind::Jti { "jti" } else { "sub" };
            metrics::counter!("jwtkit_gateway_revocations_total", "kind" => kind_name).increment(1);
            tracing::info!(
                kind = kind_name,
                cached_tokens_dropped = dropped,
                "revocation added"
            );
            (StatusCode::CREATED, axum::Json(body)).into_response()
        }
        Err(e) => error(
            StatusCode::SERVICE_UNAVAILABLE,
            "store_unavailable",
            &e.to_string(),
        ),
    }
}

/// The value of query parameter `name`, given at most once.
///
/// # Errors
/// The `invalid_request` description when the parameter is repeated (which one was meant?).
fn single<'q>(q: &'q [(String, String)], name: &str) -> Result<Option<&'q str>, String> {
    let mut values = q.iter().filter(|(k, _)| k == name).map(|(_, v)| v.as_str());
    let first = values.next();
    if values.next().is_some() {
        return Err(format!("query parameter {name} is repeated; give it once"));
    }
    Ok(first)
}

async fn list(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Query(q): Query<Vec<(String, String)>>,
) -> Response {
    let store = match authorized_store(&shared, &headers) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let (limit, cursor) = match (single(&q, "limit"), single(&q, "cursor")) {
        (Ok(l), Ok(c)) => (l, c),
        (Err(m), _) | (_, Err(m)) => return error(StatusCode::BAD_REQUEST, "invalid_request", &m),
    };
    let limit = match limit.map(str::parse::<usize>) {
        None => 100,
        Some(Ok(n)) if (1..=1000).contains(&n) => n,
        Some(_) => {
            return error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "limit must be a whole number from 1 to 1000",
            );
        }
    };
    match store.list(cursor, limit).await {
        Ok(page) => axum::Json(json!({
            "items": page.items.iter().map(|r| r.to_json()).collect::<Vec<_>>(),
            "next_cursor": page.next,
        }))
        .into_response(),
        Err(e) => error(
            StatusCode::SERVICE_UNAVAILABLE,
            "store_unavailable",
            &e.to_string(),
        ),
    }
}

async fn remove(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Query(q): Query<Vec<(String, String)>>,
) -> Response {
    let store = match authorized_store(&shared, &headers) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let (jti, sub) = match (single(&q, "jti"), single(&q, "sub")) {
        (Ok(j), Ok(s)) => (j, s),
        (Err(m), _) | (_, Err(m)) => return error(StatusCode::BAD_REQUEST, "invalid_request", &m),
    };
    let key = match (jti, sub) {
        (Some(j), None) => id(RevocationKind::Jti, j),
        (None, Some(s)) => id(RevocationKind::Sub, s),
        _ => {
            return error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "give ?jti=… or ?sub=…",
            );
        }
    };
    match store.delete(&key).await {
        Ok(true) => StatusCode::NO_CONTENT.into_response(),
        Ok(false) => error(StatusCode::NOT_FOUND, "not_found", "no such revocation"),
        Err(e) => error(
            StatusCode::SERVICE_UNAVAILABLE,
            "store_unavailable",
            &e.to_string(),
        ),
    }
}
