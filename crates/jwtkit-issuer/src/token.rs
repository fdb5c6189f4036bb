//! The token endpoint (RFC 6749 §3.2): authorization code with PKCE S256 (RFC 7636),
//! refresh tokens rotated on every use with reuse detection (OAuth 2.1 §4.3.1, RFC 9700
//! §4.14.2), client credentials (RFC 6749 §4.4).
//!
//! Codes are single use: a second presentation is a replay, answered `invalid_grant`, and
//! the grant it created is revoked with every token issued from it (RFC 6749 §4.1.2). A
//! refresh token that was already rotated is reuse: the whole family (the grant) is revoked.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};

use crate::authorize::{check_scope, is_pkce_text};
use crate::client_auth::{Caller, authenticate};
use crate::error::{OAuthError, no_store};
use crate::form::Params;
use crate::mint::{AccessSubject, custom, random_token};
use crate::store::{CODES, GRANTS, Grant, MAX_REFRESH_RECORDS, REFRESH, Refresh, put, token_hash};
use crate::{Issuer, RegisteredClient};

/// `POST /token`.
pub async fn token(
    State(issuer): State<Arc<Issuer>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    match handle(&issuer, &headers, body).await {
        Ok(body) => no_store(body),
        Err(e) => e.into_response(),
    }
}

async fn handle(
    issuer: &Issuer,
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Value, OAuthError> {
    let p = Params::from_body(headers, body, issuer.config.tokens.max_request_bytes)?;
    let caller = authenticate(issuer, headers, &p)?;
    let grant_type = p.require("grant_type")?;
    if !crate::config::GRANT_TYPES.contains(&grant_type) {
        return Err(OAuthError::unsupported_grant_type(format!(
            "grant_type {grant_type:?} is not supported"
        )));
    }
    if !caller.client.allows(grant_type) {
        return Err(OAuthError::unauthorized_client(format!(
            "client {:?} may not use {grant_type}",
            caller.client.config.client_id
        )));
    }
    match grant_type {
        "authorization_code" => authorization_code(issuer, &caller, &p).await,
        "refresh_token" => refresh_token(issuer, &caller, &p).await,
        _ => client_credentials(issuer, &caller, &p).await,
    }
}

fn state_error(e: anyhow::Error) -> OAuthError {
    OAuthError::server_error(format!("state: {e}"))
}

/// Why a code cannot be redeemed.
enum Redeem {
    Ok(Box<Grant>, String),
    Unknown,
    Replayed,
    Expired,
    OtherClient,
    RedirectMismatch,
    VerifierMismatch,
}

fn pkce_s256(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(aws_lc_rs::digest::digest(
        &aws_lc_rs::digest::SHA256,
        verifier.as_bytes(),
    ))
}

async fn authorization_code(issuer: &Issuer, caller: &Caller<'_>, p: &Params) -> Result<Value, OAuthError> {
    let code = p.require("code")?;
    let verifier = p.require("code_verifier")?;
    if !is_pkce_text(verifier, 43, 128) {
        return Err(OAuthError::invalid_request(
            "code_verifier must be 43 to 128 characters of [A-Za-z0-9-._~] (RFC 7636 §4.1)",
        ));
    }
    let client_id = caller.client.config.client_id.as_str();
    let redirect_uri = p.get("redirect_uri");
    let hash = token_hash(code);
    let now = issuer.now();
    let outcome = issuer
        .store
        .transact(now, |m| {
            let Some(c) = m.codes.get_mut(&hash) else {
                return (Redeem::Unknown, vec![]);
            };
            if c.redeemed {
                // Replay: revoke what the first redemption issued (RFC 6749 §4.1.2).
                let grant_id = c.grant.clone();
                let mut w = vec![];
                if let Some(g) = m.grants.get_mut(&grant_id) {
                    g.revoked = true;
                    w.push(put(GRANTS, &grant_id, g));
                }
                return (Redeem::Replayed, w);
            }
            if m.grants.get(&c.grant).is_none_or(|g| g.client_id != client_id) {
                return (Redeem::OtherClient, vec![]);
            }
            // One attempt per code: a wrong verifier burns it, so it cannot be guessed at.
            c.redeemed = true;
            let w = vec![put(CODES, &hash, &*c)];
            if c.expires_at <= now {
                return (Redeem::Expired, w);
            }
            let redirect_ok = match redirect_uri {
                Some(r) => r == c.redirect_uri,
                None => !c.redirect_uri_given,
            };
            if !redirect_ok {
                return (Redeem::RedirectMismatch, w);
            }
            let computed = pkce_s256(verifier);
            if aws_lc_rs::constant_time::verify_slices_are_equal(computed.as_bytes(), c.challenge.as_bytes())
                .is_err()
            {
                return (Redeem::VerifierMismatch, w);
            }
            let grant_id = c.grant.clone();
            match m.grants.get(&grant_id) {
                Some(g) if !g.revoked => (Redeem::Ok(Box::new(g.clone()), grant_id), w),
                _ => (Redeem::Unknown, w),
            }
        })
        .await
        .map_err(state_error)?;
    let (grant, grant_id) = match outcome {
        Redeem::Ok(g, id) => (*g, id),
        Redeem::Unknown => return Err(OAuthError::invalid_grant("the authorization code is invalid")),
        Redeem::Replayed => {
            issuer.event(format_args!(
                "authorization code replayed by client={client_id}: its grant and every token from it are revoked"
            ));
            return Err(OAuthError::invalid_grant(
                "the authorization code was already used; the tokens issued for it are revoked",
            ));
        }
        Redeem::Expired => return Err(OAuthError::invalid_grant("the authorization code has expired")),
        Redeem::OtherClient => {
            return Err(OAuthError::invalid_grant(
                "the authorization code was issued to another client",
            ));
        }
        Redeem::RedirectMismatch => {
            return Err(OAuthError::invalid_grant(
                "redirect_uri differs from the authorization request's (RFC 6749 §4.1.3)",
            ));
        }
        Redeem::VerifierMismatch => {
            return Err(OAuthError::invalid_grant(
                "code_verifier does not match code_challenge (RFC 7636 §4.6)",
            ));
        }
    };
    let nonce = grant.nonce.clone();
    let body = issue_user_tokens(
        issuer,
        caller.client,
        &grant,
        &grant_id,
        &grant.scope,
        nonce.as_deref(),
        now,
    )
    .await?;
    issuer.event(format_args!(
        "token: authorization_code client={client_id} sub={}",
        grant.sub
    ));
    Ok(body)
}

/// Access token, ID token (with `openid`) and a new refresh token (when the client may
/// refresh), recording the refresh token as the grant's current one.
async fn issue_user_tokens(
    issuer: &Issuer,
    client: &RegisteredClient,
    grant: &Grant,
    grant_id: &str,
    scope: &str,
    nonce: Option<&str>,
    now: u64,
) -> Result<Value, OAuthError> {
    let (access, ttl) = issuer
        .access_token(AccessSubject {
            sub: &grant.sub,
            client_id: &grant.client_id,
            audience: client.audience(),
            scope,
            grant: Some(grant_id),
            auth_time: Some(grant.auth_time),
            extra: custom(&grant.claims),
        })
        .await?;
    let mut body = Map::new();
    body.insert("access_token".into(), access.clone().into());
    body.insert("token_type".into(), "Bearer".into());
    body.insert("expires_in".into(), ttl.into());
    body.insert("scope".into(), scope.into());
    if scope.split(' ').any(|s| s == "openid") {
        body.insert(
            "id_token".into(),
            issuer.id_token(grant, grant_id, &access, nonce).await?.into(),
        );
    }
    if client.allows("refresh_token") {
        let refresh = random_token()?;
        let hash = token_hash(&refresh);
        let t = &issuer.config.tokens;
        let refresh_expires_at = (now + t.refresh_token_ttl.0).min(grant.expires_at);
        let gid = grant_id.to_string();
        let rotated = issuer
            .store
            .transact(now, |m| {
                if m.refresh.len() >= MAX_REFRESH_RECORDS {
                    return (false, vec![]);
                }
                let Some(g) = m.grants.get_mut(&gid).filter(|g| !g.revoked) else {
                    return (false, vec![]);
                };
                g.refresh_current = Some(hash.clone());
                g.refresh_expires_at = refresh_expires_at;
                let r = Refresh {
                    grant: gid.clone(),
                    expires_at: g.expires_at,
                };
                let w = vec![put(GRANTS, &gid, &*g), put(REFRESH, &hash, &r)];
                m.refresh.insert(hash.clone(), r);
                (true, w)
            })
            .await
            .map_err(state_error)?;
        if !rotated {
            return Err(OAuthError::invalid_grant(
                "the grant was revoked while the tokens were issued",
            ));
        }
        body.insert("refresh_token".into(), refresh.into());
    }
    Ok(Value::Object(body))
}

/// Why a refresh token cannot be used.
enum Rotate {
    Ok(Box<Grant>, String),
    Unknown,
    Reused(String),
    Revoked,
    Expired,
    OtherClient,
}

async fn refresh_token(issuer: &Issuer, caller: &Caller<'_>, p: &Params) -> Result<Value, OAuthError> {
    let token = p.require("refresh_token")?;
    let client_id = caller.client.config.client_id.as_str();
    let hash = token_hash(token);
    let now = issuer.now();
    let outcome = issuer
        .store
        .transact(now, |m| {
            let Some(r) = m.refresh.get(&hash) else {
                return (Rotate::Unknown, vec![]);
            };
            let gid = r.grant.clone();
            let Some(g) = m.grants.get_mut(&gid) else {
                return (Rotate::Unknown, vec![]);
            };
            if g.client_id != client_id {
                return (Rotate::OtherClient, vec![]);
            }
            if g.revoked {
                return (Rotate::Revoked, vec![]);
            }
            if g.refresh_current.as_deref() != Some(hash.as_str()) {
                // Reuse of a rotated token: someone holds a copy. Revoke the family.
                g.revoked = true;
                g.refresh_current = None;
                return (Rotate::Reused(g.sub.clone()), vec![put(GRANTS, &gid, &*g)]);
            }
            if g.refresh_expires_at <= now || g.expires_at <= now {
                return (Rotate::Expired, vec![]);
            }
            // Rotate: this token is spent now, whatever happens next.
            g.refresh_current = None;
            (
                Rotate::Ok(Box::new(g.clone()), gid.clone()),
                vec![put(GRANTS, &gid, &*g)],
            )
        })
        .await
        .map_err(state_error)?;
    let (grant, grant_id) = match outcome {
        Rotate::Ok(g, id) => (*g, id),
        Rotate::Unknown | Rotate::OtherClient => {
            return Err(OAuthError::invalid_grant("the refresh token is invalid"));
        }
        Rotate::Revoked => return Err(OAuthError::invalid_grant("the refresh token was revoked")),
        Rotate::Expired => return Err(OAuthError::invalid_grant("the refresh token has expired")),
        Rotate::Reused(sub) => {
            issuer.event(format_args!(
                "refresh token reuse by client={client_id} sub={sub}: the whole token family is revoked"
            ));
            return Err(OAuthError::invalid_grant(
                "the refresh token was already used; its whole family is now revoked (RFC 9700 §4.14.2)",
            ));
        }
    };
    // A narrower scope for this access token only (RFC 6749 §6); the grant keeps its scope.
    let scope = match p.get("scope") {
        None => grant.scope.clone(),
        Some(s) => {
            let granted: Vec<&str> = grant.scope.split(' ').collect();
            if let Some(extra) = s.split(' ').find(|x| !x.is_empty() && !granted.contains(x)) {
                return Err(OAuthError::invalid_scope(format!(
                    "scope {extra:?} was not granted"
                )));
            }
            check_scope(s, caller.client)?
        }
    };
    let body = issue_user_tokens(issuer, caller.client, &grant, &grant_id, &scope, None, now).await?;
    issuer.event(format_args!(
        "token: refresh_token client={client_id} sub={} (rotated)",
        grant.sub
    ));
    Ok(body)
}

async fn client_credentials(issuer: &Issuer, caller: &Caller<'_>, p: &Params) -> Result<Value, OAuthError> {
    if !caller.authenticated {
        return Err(OAuthError::unauthorized_client(
            "client_credentials needs a confidential client",
        ));
    }
    let client = caller.client;
    let scope = match p.get("scope") {
        Some(s) => check_scope(s, client)?,
        None => client
            .scopes
            .iter()
            // The client's API scopes: not the OIDC ones, which are about a user.
            .filter(|s| {
                !matches!(s.as_str(), "openid" | "offline_access")
                    && !crate::mint::SCOPE_CLAIMS
                        .iter()
                        .any(|(user_scope, _)| user_scope == s)
            })
            .cloned()
            .collect::<Vec<_>>()
            .join(" "),
    };
    if scope.split(' ').any(|s| s == "openid") {
        return Err(OAuthError::invalid_scope(
            "openid needs a user: not with client_credentials",
        ));
    }
    let id = client.config.client_id.as_str();
    let (access, ttl) = issuer
        .access_token(AccessSubject {
            sub: id,
            client_id: id,
            audience: client.audience(),
            scope: &scope,
            grant: None,
            auth_time: None,
            extra: Default::default(),
        })
        .await?;
    issuer.event(format_args!("token: client_credentials client={id}"));
    Ok(serde_json::json!({
        "access_token": access,
        "token_type": "Bearer",
        "expires_in": ttl,
        "scope": scope,
    }))
}
