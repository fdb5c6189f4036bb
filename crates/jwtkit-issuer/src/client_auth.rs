//! Client authentication at the token, introspection and revocation endpoints:
//! `client_secret_basic`, `client_secret_post` (RFC 6749 §2.3.1) and `none` for public
//! clients (`client_id` alone, RFC 6749 §2.2), `private_key_jwt` ([`crate::assertion`]).
//! One method per request (§2.3).

use axum::http::{HeaderMap, header};
use base64::Engine;

use crate::error::OAuthError;
use crate::form::Params;
use crate::{Issuer, RegisteredClient};

/// Who is calling.
pub struct Caller<'a> {
    /// The client.
    pub client: &'a RegisteredClient,
    /// Whether it proved a secret (a confidential client).
    pub authenticated: bool,
}

fn unknown() -> OAuthError {
    // Same message for an unknown client and a wrong secret: no client enumeration.
    OAuthError::invalid_client("client authentication failed: unknown client or wrong secret")
}

/// `Authorization: Basic` credentials: both halves form-urlencoded (RFC 6749 §2.3.1).
fn basic(headers: &HeaderMap) -> Result<Option<(String, String)>, OAuthError> {
    let Some(v) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let v = v.to_str().map_err(|_| unknown())?;
    let (scheme, rest) = v.split_once(' ').unwrap_or((v, ""));
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(OAuthError::invalid_client(format!(
            "the Authorization scheme {scheme:?} is not supported here (use Basic or client_secret_post)"
        )));
    }
    let raw = base64::engine::general_purpose::STANDARD
        .decode(rest.trim())
        .map_err(|_| OAuthError::invalid_client("the Basic credentials are not base64"))?;
    let text = String::from_utf8(raw)
        .map_err(|_| OAuthError::invalid_client("the Basic credentials are not UTF-8"))?;
    let (id, secret) = text
        .split_once(':')
        .ok_or_else(|| OAuthError::invalid_client("the Basic credentials have no ':'"))?;
    let dec = |s: &str| -> String {
        form_urlencoded::parse(format!("x={s}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default()
    };
    Ok(Some((dec(id), dec(secret))))
}

fn secret_matches(expected: &str, given: &str) -> bool {
    aws_lc_rs::constant_time::verify_slices_are_equal(expected.as_bytes(), given.as_bytes()).is_ok()
}

/// Identify and authenticate the client of a request.
///
/// # Errors
/// `invalid_client` (401) for an unknown client, a wrong or missing secret of a confidential
/// client; `invalid_request` when no client is named or two methods are used at once.
pub fn authenticate<'a>(
    issuer: &'a Issuer,
    headers: &HeaderMap,
    params: &Params,
) -> Result<Caller<'a>, OAuthError> {
    let basic = basic(headers)?;
    if params.get("client_assertion_type").is_some() || params.get("client_assertion").is_some() {
        if basic.is_some() || params.get("client_secret").is_some() {
            return Err(OAuthError::invalid_request(
                "use one client authentication method, not a client assertion and a secret (RFC 6749 §2.3)",
            ));
        }
        return by_assertion(issuer, params);
    }
    let (id, secret) = match (basic, params.get("client_secret")) {
        (Some(_), Some(_)) => {
            return Err(OAuthError::invalid_request(
                "use one client authentication method: Basic or client_secret in the body, not both (RFC 6749 §2.3)",
            ));
        }
        (Some((id, secret)), None) => {
            if params.get("client_id").is_some_and(|c| c != id) {
                return Err(OAuthError::invalid_request(
                    "client_id differs from the Basic credentials",
                ));
            }
            (id, Some(secret))
        }
        (None, secret) => {
            let id = params.get("client_id").ok_or_else(|| {
                OAuthError::invalid_client("no client authentication: send Basic credentials or client_id")
            })?;
            (id.to_string(), secret.map(str::to_string))
        }
    };
    let client = issuer.clients.get(&id).ok_or_else(unknown)?;
    if client.keys.is_some() {
        return Err(OAuthError::invalid_client(
            "this client authenticates with private_key_jwt: send client_assertion (RFC 7523 §2.2)",
        ));
    }
    match (&client.secret, secret) {
        (Some(expected), Some(given)) if secret_matches(expected, &given) => Ok(Caller {
            client,
            authenticated: true,
        }),
        (Some(_), _) => Err(unknown()),
        (None, None) => Ok(Caller {
            client,
            authenticated: false,
        }),
        (None, Some(_)) => Err(OAuthError::invalid_client(
            "this is a public client: it has no secret (send client_id alone)",
        )),
    }
}

/// `private_key_jwt`: the assertion's `iss` selects the client, its keys verify it.
fn by_assertion<'a>(issuer: &'a Issuer, params: &Params) -> Result<Caller<'a>, OAuthError> {
    if params.get("client_assertion_type") != Some(crate::assertion::JWT_BEARER) {
        return Err(OAuthError::invalid_client(format!(
            "client_assertion_type must be {}",
            crate::assertion::JWT_BEARER
        )));
    }
    let assertion = params.require("client_assertion")?;
    let id = crate::assertion::claimed_client(assertion).ok_or_else(unknown)?;
    if params.get("client_id").is_some_and(|c| c != id) {
        return Err(OAuthError::invalid_client(
            "client_id differs from the client assertion's iss",
        ));
    }
    let client = issuer.clients.get(&id).ok_or_else(unknown)?;
    let keys = client.keys.as_ref().ok_or_else(|| {
        OAuthError::invalid_client("this client has no jwks configured: it cannot use private_key_jwt")
    })?;
    issuer.verify_assertion(assertion, &id, keys)?;
    Ok(Caller {
        client,
        authenticated: true,
    })
}
