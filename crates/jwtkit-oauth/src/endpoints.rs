//! The calls made with a token: introspection (RFC 7662), revocation (RFC 7009) and the OIDC
//! UserInfo endpoint (OIDC Core §5.3, errors per RFC 6750 §3).

use serde_json::Map;
use serde_json::Value;

use crate::error::{OAuthError, Result, err};
use crate::http::Form;
use crate::secret::Secret;
use crate::token::Client;

/// An introspection response (RFC 7662 §2.2).
#[derive(Clone, Debug, PartialEq)]
pub struct Introspection {
    /// `active` (required; anything but `true` is inactive).
    pub active: bool,
    /// Every member as sent (`scope`, `client_id`, `sub`, `exp`, ...).
    pub members: Map<String, Value>,
}

/// What the UserInfo endpoint answered.
#[derive(Clone, Debug, PartialEq)]
pub enum UserInfo {
    /// `application/json` claims.
    Claims(Map<String, Value>),
    /// `application/jwt`: a signed (or encrypted) JWT holding the claims (OIDC Core §5.3.2).
    Jwt(String),
}

impl Client {
    /// Introspect `token` (RFC 7662 §2.1), with an optional `token_type_hint`
    /// (`access_token`, `refresh_token`).
    ///
    /// # Errors
    /// `invalid_config` without an `introspection_endpoint`; `oauth_error` for an error
    /// response (`invalid_client`, ...); `bad_response` when `active` is missing.
    pub async fn introspect(&self, token: &Secret, hint: Option<&str>) -> Result<Introspection> {
        let mut form = Form::new();
        form.push("token", token.clone());
        form.push_opt("token_type_hint", hint);
        let what = "introspection request";
        let resp = self.post("introspection_endpoint", what, form).await?;
        let members = resp.success_object(what, self.http.policy())?;
        let active = match members.get("active") {
            Some(Value::Bool(b)) => *b,
            _ => {
                return Err(err!(
                    BadResponse,
                    "the introspection response has no boolean \"active\" (RFC 7662 §2.2)"
                ));
            }
        };
        Ok(Introspection { active, members })
    }

    /// Revoke `token` (RFC 7009 §2.1). The server answers 200 whether or not the token was
    /// valid (§2.2).
    ///
    /// # Errors
    /// `invalid_config` without a `revocation_endpoint`; `oauth_error` for an error response
    /// (`unsupported_token_type`, `invalid_client`); `bad_response` for another non-2xx status.
    pub async fn revoke(&self, token: &Secret, hint: Option<&str>) -> Result<()> {
        let mut form = Form::new();
        form.push("token", token.clone());
        form.push_opt("token_type_hint", hint);
        let what = "revocation request";
        let resp = self.post("revocation_endpoint", what, form).await?;
        if (200..300).contains(&resp.status) {
            return Ok(());
        }
        resp.success_object(what, self.http.policy()).map(|_| ())
    }

    /// Call the UserInfo endpoint with `access_token` as a Bearer token (OIDC Core §5.3.1).
    ///
    /// # Errors
    /// `invalid_config` without a `userinfo_endpoint`; `oauth_error` with the RFC 6750 §3
    /// `error` from `WWW-Authenticate` (or the body); `bad_response` otherwise.
    pub async fn userinfo(&self, access_token: &Secret) -> Result<UserInfo> {
        let endpoint = self.metadata.endpoint("userinfo_endpoint")?.to_string();
        let what = "userinfo request";
        let resp = self.http.get(what, &endpoint, Some(access_token)).await?;
        let is_jwt = resp.content_type.as_deref().is_some_and(|c| {
            c.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .eq_ignore_ascii_case("application/jwt")
        });
        if (200..300).contains(&resp.status) {
            if is_jwt {
                let text = String::from_utf8(resp.body.clone())
                    .map_err(|_| err!(BadResponse, "{what}: the application/jwt body is not UTF-8"))?;
                return Ok(UserInfo::Jwt(text.trim().to_string()));
            }
            return Ok(UserInfo::Claims(resp.object(what, self.http.policy())?));
        }
        if let Some(e) = resp
            .www_authenticate
            .as_deref()
            .and_then(|h| bearer_error(h, resp.status))
        {
            return Err(crate::Error::oauth(what, e));
        }
        resp.success_object(what, self.http.policy())
            .map(|_| UserInfo::Claims(Map::new()))
    }
}

/// The `error`, `error_description` and `error_uri` of a `WWW-Authenticate: Bearer ...`
/// challenge (RFC 6750 §3; quoted-string values with `\` escapes).
pub fn bearer_error(header: &str, status: u16) -> Option<OAuthError> {
    let rest = header.trim_start();
    let rest = rest
        .get(..6)
        .filter(|s| s.eq_ignore_ascii_case("bearer"))
        .map(|_| &rest[6..])?;
    let mut params = std::collections::HashMap::new();
    let mut chars = rest.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| *c == ',' || c.is_whitespace()) {
            chars.next();
        }
        let name: String =
            std::iter::from_fn(|| chars.next_if(|c| *c != '=' && *c != ',' && !c.is_whitespace())).collect();
        if name.is_empty() {
            break;
        }
        if chars.next_if_eq(&'=').is_none() {
            continue;
        }
        let mut value = String::new();
        if chars.next_if_eq(&'"').is_some() {
            while let Some(c) = chars.next() {
                match c {
                    '\\' => value.extend(chars.next()),
                    '"' => break,
                    c => value.push(c),
                }
            }
        } else {
            value = std::iter::from_fn(|| chars.next_if(|c| *c != ',')).collect();
        }
        params.insert(name.to_ascii_lowercase(), value.trim().to_string());
        if params.len() > 16 {
            break;
        }
    }
    Some(OAuthError {
        error: params.remove("error")?,
        description: params.remove("error_description"),
        uri: params.remove("error_uri"),
        status: Some(status),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_challenge_error_is_parsed() {
        let e = bearer_error(
            r#"Bearer realm="example", error="invalid_token", error_description="The access token \"expired\""#,
            401,
        )
        .unwrap();
        assert_eq!(e.error, "invalid_token");
        assert_eq!(e.description.as_deref(), Some("The access token \"expired\""));
        assert_eq!(e.status, Some(401));
        assert!(bearer_error(r#"Bearer realm="x""#, 401).is_none());
        assert!(bearer_error(r#"Basic realm="x""#, 401).is_none());
    }
}
