//! Discovery (OIDC Discovery §3, RFC 8414 §2), the JWK Set, introspection (RFC 7662),
//! revocation (RFC 7009) and userinfo (OIDC Core §5.3).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::Issuer;
use crate::client_auth::authenticate;
use crate::error::{OAuthError, REALM, no_store};
use crate::form::Params;
use crate::mint::release;
use crate::store::{GRANTS, REVOKED, put, token_hash};

/// `GET /.well-known/openid-configuration` and `/.well-known/oauth-authorization-server`.
pub async fn discovery(State(issuer): State<Arc<Issuer>>) -> Response {
    let mut scopes: Vec<&str> = issuer
        .clients
        .values()
        .flat_map(|c| c.scopes.iter().map(String::as_str))
        .collect();
    scopes.sort_unstable();
    scopes.dedup();
    let mut claims: Vec<&str> = vec![
        "sub",
        "iss",
        "aud",
        "exp",
        "iat",
        "auth_time",
        "nonce",
        "at_hash",
        "sid",
    ];
    for u in &issuer.config.users {
        claims.extend(u.claims.keys().map(String::as_str));
    }
    claims.sort_unstable();
    claims.dedup();
    let secret_methods = ["client_secret_basic", "client_secret_post", "private_key_jwt"];
    let assertion_algs: Vec<&str> = jwtkit::JwsAlg::ALL
        .iter()
        .filter(|a| a.family() != jwtkit::KeyFamily::Oct)
        .map(|a| a.as_str())
        .collect();
    let alg = issuer.ring.alg().jws().as_str();
    let doc = json!({
        "issuer": issuer.issuer,
        "authorization_endpoint": issuer.url("/authorize"),
        "token_endpoint": issuer.url("/token"),
        "jwks_uri": issuer.url("/jwks"),
        "userinfo_endpoint": issuer.url("/userinfo"),
        "introspection_endpoint": issuer.url("/introspect"),
        "revocation_endpoint": issuer.url("/revoke"),
        "scopes_supported": scopes,
        "claims_supported": claims,
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": crate::config::GRANT_TYPES,
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": [alg],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "private_key_jwt", "none"],
        "token_endpoint_auth_signing_alg_values_supported": assertion_algs,
        "introspection_endpoint_auth_methods_supported": secret_methods,
        "revocation_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "private_key_jwt", "none"],
        "code_challenge_methods_supported": ["S256"],
        "authorization_response_iss_parameter_supported": true,
        "claims_parameter_supported": false,
        "request_parameter_supported": false,
        "request_uri_parameter_supported": false,
    });
    axum::Json(doc).into_response()
}

/// `GET /jwks`: the keys that sign now, the next one once it is due, and retired ones until
/// their tokens have expired. Cacheable for a fraction of the publish-ahead window.
pub async fn jwks(State(issuer): State<Arc<Issuer>>) -> Response {
    let now = issuer.now();
    let doc = issuer
        .store
        .transact(now, |m| {
            let w = issuer.ring.schedule(&mut m.keys, now).unwrap_or_default();
            (issuer.ring.jwks(&m.keys, now), w)
        })
        .await;
    match doc {
        Ok(doc) => {
            let mut r = axum::Json(doc).into_response();
            let max_age = (issuer.config.keys.publish_ahead.0 / 4).max(1);
            if let Ok(v) = HeaderValue::from_str(&format!("public, max-age={max_age}")) {
                r.headers_mut().insert(header::CACHE_CONTROL, v);
            }
            r
        }
        Err(e) => OAuthError::server_error(format!("state: {e}")).into_response(),
    }
}

/// `POST /introspect` (RFC 7662): confidential clients only. Anything not active now is
/// `{"active": false}` and nothing else (§2.2). A refresh token is described only to the
/// client it was issued to.
pub async fn introspect(
    State(issuer): State<Arc<Issuer>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let run = || -> Result<Value, OAuthError> {
        let p = Params::from_body(&headers, body, issuer.config.tokens.max_request_bytes)?;
        let caller = authenticate(&issuer, &headers, &p)?;
        if !caller.authenticated {
            return Err(OAuthError::invalid_client(
                "introspection needs a confidential client (RFC 7662 §2.1)",
            ));
        }
        let token = p.require("token")?;
        if let Some(c) = issuer.read_access_token(token) {
            let mut out = serde_json::Map::new();
            out.insert("active".into(), true.into());
            out.insert("token_type".into(), "Bearer".into());
            out.extend(c);
            return Ok(Value::Object(out));
        }
        let now = issuer.now();
        let me = caller.client.config.client_id.as_str();
        let hash = token_hash(token);
        Ok(issuer.store.read(|m| {
            let live = m
                .refresh
                .get(&hash)
                .and_then(|r| m.grants.get(&r.grant))
                .filter(|g| {
                    !g.revoked
                        && g.client_id == me
                        && g.refresh_current.as_deref() == Some(hash.as_str())
                        && g.refresh_expires_at > now
                });
            match live {
                Some(g) => json!({
                    "active": true,
                    "token_type": "refresh_token",
                    "iss": issuer.issuer,
                    "client_id": g.client_id,
                    "sub": g.sub,
                    "scope": g.scope,
                    "exp": g.refresh_expires_at,
                    "auth_time": g.auth_time,
                }),
                None => json!({ "active": false }),
            }
        }))
    };
    match run() {
        Ok(v) => no_store(v),
        Err(e) => e.into_response(),
    }
}

/// `POST /revoke` (RFC 7009): a refresh token revokes its whole grant (and the access tokens
/// issued from it); an access token is revoked by `jti` until it expires. Unknown or invalid
/// tokens get 200 (§2.2); a token of another client is refused.
pub async fn revoke(
    State(issuer): State<Arc<Issuer>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let p = match Params::from_body(&headers, body, issuer.config.tokens.max_request_bytes) {
        Ok(p) => p,
        Err(e) => return e.into_response(),
    };
    let caller = match authenticate(&issuer, &headers, &p) {
        Ok(c) => c,
        Err(e) => return e.into_response(),
    };
    let Some(token) = p.get("token") else {
        return OAuthError::invalid_request("missing parameter \"token\"").into_response();
    };
    let me = caller.client.config.client_id.clone();
    let now = issuer.now();
    let access = issuer.read_access_token(token);
    let hash = token_hash(token);
    let result = issuer
        .store
        .transact(now, |m| {
            if let Some(c) = &access {
                if c.get("client_id").and_then(Value::as_str) != Some(me.as_str()) {
                    return (Err(()), vec![]);
                }
                let jti = c
                    .get("jti")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string();
                let exp = c.get("exp").and_then(Value::as_u64).unwrap_or(now);
                m.revoked_jti.insert(jti.clone(), exp);
                return (Ok("access token"), vec![put(REVOKED, &jti, &exp)]);
            }
            let Some(gid) = m.refresh.get(&hash).map(|r| r.grant.clone()) else {
                return (Ok("nothing"), vec![]);
            };
            match m.grants.get_mut(&gid) {
                Some(g) if g.client_id != me => (Err(()), vec![]),
                Some(g) => {
                    g.revoked = true;
                    g.refresh_current = None;
                    (Ok("refresh token family"), vec![put(GRANTS, &gid, &*g)])
                }
                None => (Ok("nothing"), vec![]),
            }
        })
        .await;
    match result {
        Ok(Ok(what)) => {
            if what != "nothing" {
                issuer.event(format_args!("revoked: {what} of client={me}"));
            }
            StatusCode::OK.into_response()
        }
        Ok(Err(())) => OAuthError::invalid_request("the token was not issued to this client (RFC 7009 §2.1)")
            .into_response(),
        Err(e) => OAuthError::server_error(format!("state: {e}")).into_response(),
    }
}

/// A userinfo error (RFC 6750 §3): a Bearer challenge with `error` when there was a token.
fn bearer_error(status: StatusCode, error: Option<&str>, description: &str) -> Response {
    let challenge = match error {
        Some(e) => format!("Bearer realm=\"{REALM}\", error=\"{e}\", error_description=\"{description}\""),
        None => format!("Bearer realm=\"{REALM}\""),
    };
    let mut r = match error {
        Some(e) => (
            status,
            axum::Json(json!({ "error": e, "error_description": description })),
        )
            .into_response(),
        None => status.into_response(),
    };
    if let Ok(v) = HeaderValue::from_str(&challenge) {
        r.headers_mut().insert(header::WWW_AUTHENTICATE, v);
    }
    r
}

fn userinfo(issuer: &Issuer, token: Option<&str>) -> Response {
    let Some(token) = token else {
        return bearer_error(StatusCode::UNAUTHORIZED, None, "");
    };
    let Some(c) = issuer.read_access_token(token) else {
        return bearer_error(
            StatusCode::UNAUTHORIZED,
            Some("invalid_token"),
            "the access token is invalid, expired or revoked",
        );
    };
    let scope = c.get("scope").and_then(Value::as_str).unwrap_or_default();
    if !scope.split(' ').any(|s| s == "openid") {
        return bearer_error(
            StatusCode::FORBIDDEN,
            Some("insufficient_scope"),
            "userinfo needs the openid scope",
        );
    }
    let sub = c.get("sub").and_then(Value::as_str).unwrap_or_default();
    let sid = c.get("sid").and_then(Value::as_str).unwrap_or_default();
    let claims = issuer
        .store
        .read(|m| m.grants.get(sid).map(|g| g.claims.clone()))
        .unwrap_or_default();
    let mut out = release(&claims, scope);
    out.insert("sub".into(), sub.into());
    no_store(Value::Object(out))
}

/// The Bearer token of `Authorization` (RFC 6750 §2.1).
fn bearer(headers: &HeaderMap) -> Option<&str> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = v.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// `GET /userinfo`.
pub async fn userinfo_get(State(issuer): State<Arc<Issuer>>, headers: HeaderMap) -> Response {
    userinfo(&issuer, bearer(&headers))
}

/// `POST /userinfo`: the token in `Authorization` or as `access_token` in the form (RFC 6750 §2.2).
pub async fn userinfo_post(
    State(issuer): State<Arc<Issuer>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    if let Some(t) = bearer(&headers) {
        return userinfo(&issuer, Some(t));
    }
    match Params::from_body(&headers, body, issuer.config.tokens.max_request_bytes) {
        Ok(p) => userinfo(&issuer, p.get("access_token")),
        Err(_) => userinfo(&issuer, None),
    }
}
