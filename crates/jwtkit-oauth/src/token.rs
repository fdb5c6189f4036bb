//! The token endpoint (RFC 6749 §3.2): the [`Client`], its grants and the [`TokenResponse`]
//! (RFC 6749 §5.1, RFC 8693 §2.2.1), with errors rendered from §5.2.

use jwtkit_remote::FetchPolicy;
use serde_json::Map;
use serde_json::{Value, json};

use crate::client_auth::ClientAuth;
use crate::error::{Result, err};
use crate::http::{Form, Http, Response};
use crate::metadata::{Metadata, discover};
use crate::pkce::AuthorizationRequest;
use crate::secret::Secret;

/// RFC 7523 §2.1 grant type.
pub const JWT_BEARER_GRANT: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
/// RFC 8693 §2.1 grant type.
pub const TOKEN_EXCHANGE_GRANT: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
/// RFC 8693 §3 token type of an access token.
pub const ACCESS_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:access_token";

/// A successful token response. Secrets (`access_token`, `refresh_token`) are [`Secret`]s;
/// `Debug` shows no token at all (the ID Token and other members are only counted).
#[derive(Clone)]
pub struct TokenResponse {
    /// `access_token` (required).
    pub access_token: Secret,
    /// `token_type` (required; `Bearer`, `DPoP`, `N_A` for RFC 8693).
    pub token_type: String,
    /// `expires_in`, seconds (a numeric string is accepted).
    pub expires_in: Option<u64>,
    /// `refresh_token`.
    pub refresh_token: Option<Secret>,
    /// `id_token` (OIDC Core §3.1.3.3).
    pub id_token: Option<String>,
    /// `scope` as granted (RFC 6749 §5.1: absent means as requested).
    pub scope: Option<String>,
    /// `issued_token_type` (RFC 8693 §2.2.1).
    pub issued_token_type: Option<String>,
    /// Every other member, as sent.
    pub other: Map<String, Value>,
}

impl std::fmt::Debug for TokenResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenResponse")
            .field("access_token", &self.access_token)
            .field("token_type", &self.token_type)
            .field("expires_in", &self.expires_in)
            .field("refresh_token", &self.refresh_token)
            .field(
                "id_token",
                &self.id_token.as_ref().map(|t| format!("<{} bytes>", t.len())),
            )
            .field("scope", &self.scope)
            .field("issued_token_type", &self.issued_token_type)
            .field("other", &format!("<{} members>", self.other.len()))
            .finish()
    }
}

impl TokenResponse {
    /// Parse a 2xx token response.
    ///
    /// # Errors
    /// `bad_response` when `access_token` or `token_type` is missing or not a string, or
    /// `expires_in` is not a non-negative integer.
    pub fn from_object(mut obj: Map<String, Value>) -> Result<TokenResponse> {
        let mut take = |name: &str, required: bool| -> Result<Option<String>> {
            match obj.remove(name) {
                Some(Value::String(s)) => Ok(Some(s)),
                None | Some(Value::Null) if !required => Ok(None),
                None | Some(Value::Null) => Err(err!(
                    BadResponse,
                    "the token response has no \"{name}\" (RFC 6749 §5.1)"
                )),
                Some(v) => Err(err!(
                    BadResponse,
                    "the token response's \"{name}\" must be a string, found {}",
                    jwtkit::json::type_name(&v)
                )),
            }
        };
        let access_token = Secret::new(take("access_token", true)?.unwrap_or_default());
        let token_type = take("token_type", true)?.unwrap_or_default();
        let refresh_token = take("refresh_token", false)?.map(Secret::new);
        let id_token = take("id_token", false)?;
        let scope = take("scope", false)?;
        let issued_token_type = take("issued_token_type", false)?;
        let expires_in = match obj.remove("expires_in") {
            None | Some(Value::Null) => None,
            Some(Value::Number(n)) if n.as_u64().is_some() => n.as_u64(),
            Some(Value::String(s)) if s.parse::<u64>().is_ok() => s.parse().ok(),
            Some(v) => {
                return Err(err!(
                    BadResponse,
                    "the token response's \"expires_in\" must be a number of seconds, found {v}"
                ));
            }
        };
        Ok(TokenResponse {
            access_token,
            token_type,
            expires_in,
            refresh_token,
            id_token,
            scope,
            issued_token_type,
            other: obj,
        })
    }

    /// The response as JSON. Without `with_secrets`, `refresh_token` is replaced by
    /// `{"received": true}` (the access and ID tokens are kept: they are what was asked for).
    pub fn to_json(&self, with_secrets: bool) -> Value {
        let mut m = Map::new();
        m.insert("access_token".into(), self.access_token.expose().into());
        m.insert("token_type".into(), self.token_type.clone().into());
        let mut put = |k: &str, x: Option<Value>| {
            if let Some(x) = x {
                m.insert(k.into(), x);
            }
        };
        put("expires_in", self.expires_in.map(Value::from));
        put(
            "refresh_token",
            self.refresh_token.as_ref().map(|r| {
                if with_secrets {
                    r.expose().into()
                } else {
                    json!({"received": true})
                }
            }),
        );
        put("id_token", self.id_token.clone().map(Value::from));
        put("scope", self.scope.clone().map(Value::from));
        put(
            "issued_token_type",
            self.issued_token_type.clone().map(Value::from),
        );
        for (k, x) in &self.other {
            m.entry(k.clone()).or_insert_with(|| x.clone());
        }
        Value::Object(m)
    }
}

/// RFC 8693 §2.1 token exchange parameters.
#[derive(Clone, Debug, Default)]
pub struct TokenExchange {
    /// `subject_token` (required).
    pub subject_token: Option<Secret>,
    /// `subject_token_type` (default [`ACCESS_TOKEN_TYPE`]).
    pub subject_token_type: Option<String>,
    /// `actor_token`.
    pub actor_token: Option<Secret>,
    /// `actor_token_type` (required with `actor_token`; default [`ACCESS_TOKEN_TYPE`]).
    pub actor_token_type: Option<String>,
    /// `requested_token_type`.
    pub requested_token_type: Option<String>,
    /// `audience` values.
    pub audience: Vec<String>,
    /// `resource` values.
    pub resource: Vec<String>,
    /// `scope`.
    pub scope: Option<String>,
}

/// An OAuth client of one authorization server.
#[derive(Clone, Debug)]
pub struct Client {
    pub(crate) http: Http,
    pub(crate) metadata: Metadata,
    pub(crate) client_id: String,
    pub(crate) auth: ClientAuth,
}

impl Client {
    /// A client for known metadata.
    pub fn new(http: Http, metadata: Metadata, client_id: &str, auth: ClientAuth) -> Client {
        Client {
            http,
            metadata,
            client_id: client_id.to_string(),
            auth,
        }
    }

    /// Discover `issuer` ([`discover`]) and make a client for it.
    ///
    /// # Errors
    /// As [`Http::new`] and [`discover`].
    pub async fn discover(
        policy: &FetchPolicy,
        issuer: &str,
        client_id: &str,
        auth: ClientAuth,
    ) -> Result<Client> {
        let http = Http::new(policy)?;
        let metadata = discover(&http, issuer).await?;
        Ok(Client::new(http, metadata, client_id, auth))
    }

    /// The provider metadata.
    pub fn metadata(&self) -> &Metadata {
        &self.metadata
    }

    /// The client id.
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// The client authentication method.
    pub fn auth(&self) -> &ClientAuth {
        &self.auth
    }

    /// The transport.
    pub fn http(&self) -> &Http {
        &self.http
    }

    /// POST `form` (plus client authentication) to the endpoint `name` of the metadata.
    pub(crate) async fn post(&self, name: &str, what: &str, mut form: Form) -> Result<Response> {
        let endpoint = self.metadata.endpoint(name)?.to_string();
        let header = self
            .auth
            .apply(&self.client_id, &self.metadata.issuer, &endpoint, &mut form)?;
        self.http.post_form(what, &endpoint, &form, header.as_ref()).await
    }

    /// A token request with `grant_type` and the form's parameters (RFC 6749 §4).
    ///
    /// # Errors
    /// `oauth_error` with the §5.2 `error` for an error response; `bad_response` for a
    /// response that is not a token response; `transport`, `resource_limit`, `invalid_config`
    /// from the request.
    pub async fn token(&self, grant_type: &str, params: Form) -> Result<TokenResponse> {
        let mut form = Form::new();
        form.push("grant_type", grant_type);
        form.extend(params);
        let what = format!("token request ({grant_type})");
        let resp = self.post("token_endpoint", &what, form).await?;
        let obj = resp.success_object(&what, self.http.policy())?;
        TokenResponse::from_object(obj)
    }

    /// Client credentials grant (RFC 6749 §4.4).
    ///
    /// # Errors
    /// As [`Client::token`].
    pub async fn client_credentials(
        &self,
        scope: Option<&str>,
        extra: &[(String, String)],
    ) -> Result<TokenResponse> {
        let mut form = Form::new();
        form.push_opt("scope", scope);
        push_extra(&mut form, extra);
        self.token("client_credentials", form).await
    }

    /// Refresh token grant (RFC 6749 §6).
    ///
    /// # Errors
    /// As [`Client::token`].
    pub async fn refresh(&self, refresh_token: &Secret, scope: Option<&str>) -> Result<TokenResponse> {
        let mut form = Form::new();
        form.push("refresh_token", refresh_token.clone());
        form.push_opt("scope", scope);
        self.token("refresh_token", form).await
    }

    /// Authorization code grant, second leg (RFC 6749 §4.1.3 with RFC 7636 §4.5
    /// `code_verifier`).
    ///
    /// # Errors
    /// As [`Client::token`].
    pub async fn exchange_code(&self, req: &AuthorizationRequest, code: &Secret) -> Result<TokenResponse> {
        let mut form = Form::new();
        form.push("code", code.clone());
        form.push("redirect_uri", req.redirect_uri.as_str());
        form.push("code_verifier", req.pkce.verifier.clone());
        self.token("authorization_code", form).await
    }

    /// JWT bearer grant (RFC 7523 §2.1) with a signed assertion.
    ///
    /// # Errors
    /// As [`Client::token`].
    pub async fn jwt_bearer(&self, assertion: &str, scope: Option<&str>) -> Result<TokenResponse> {
        let mut form = Form::new();
        form.push("assertion", assertion);
        form.push_opt("scope", scope);
        self.token(JWT_BEARER_GRANT, form).await
    }

    /// Token exchange (RFC 8693 §2.1).
    ///
    /// # Errors
    /// `invalid_config` without a subject token; else as [`Client::token`].
    pub async fn token_exchange(&self, x: &TokenExchange) -> Result<TokenResponse> {
        let subject = x.subject_token.clone().ok_or_else(|| {
            err!(
                InvalidConfig,
                "token exchange needs a subject_token (RFC 8693 §2.1)"
            )
        })?;
        let mut form = Form::new();
        form.push("subject_token", subject);
        form.push(
            "subject_token_type",
            x.subject_token_type.as_deref().unwrap_or(ACCESS_TOKEN_TYPE),
        );
        if let Some(a) = &x.actor_token {
            form.push("actor_token", a.clone());
            form.push(
                "actor_token_type",
                x.actor_token_type.as_deref().unwrap_or(ACCESS_TOKEN_TYPE),
            );
        }
        form.push_opt("requested_token_type", x.requested_token_type.as_deref());
        for a in &x.audience {
            form.push("audience", a.as_str());
        }
        for r in &x.resource {
            form.push("resource", r.as_str());
        }
        form.push_opt("scope", x.scope.as_deref());
        self.token(TOKEN_EXCHANGE_GRANT, form).await
    }
}

/// Append `extra` (`name`, `value`) pairs to a form.
pub(crate) fn push_extra(form: &mut Form, extra: &[(String, String)]) {
    for (k, v) in extra {
        form.push(k, v.as_str());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_response_requires_access_token_and_type() {
        let obj = |s: &str| jwtkit::json::parse_object(s.as_bytes(), &jwtkit::Limits::default()).unwrap();
        let e = TokenResponse::from_object(obj(r#"{"token_type":"Bearer"}"#)).unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::BadResponse);
        let t = TokenResponse::from_object(obj(
            r#"{"access_token":"at","token_type":"Bearer","expires_in":"60","refresh_token":"rt","id_token":"idt-value","x":1}"#,
        ))
        .unwrap();
        assert_eq!(t.expires_in, Some(60));
        let shown = t.to_json(false);
        assert_eq!(shown["refresh_token"], json!({"received": true}));
        assert_eq!(shown["x"], 1);
        assert_eq!(t.to_json(true)["refresh_token"], "rt");
        let shown = format!("{t:?}");
        assert!(
            !shown.contains("\"rt\"") && !shown.contains("\"at\"") && !shown.contains("idt-value"),
            "{shown}"
        );
    }
}
