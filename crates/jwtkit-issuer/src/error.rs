//! OAuth 2.0 error responses (RFC 6749 §5.2, RFC 7009 §2.2.1, RFC 7662 §2.3, RFC 6750 §3).

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// An error response: `{"error": code, "error_description": …}` with `Cache-Control: no-store`,
/// and for `invalid_client` a 401 with `WWW-Authenticate: Basic` (RFC 6749 §5.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthError {
    /// HTTP status.
    pub status: StatusCode,
    /// The RFC's error code (`invalid_grant`, …).
    pub code: &'static str,
    /// What went wrong and what to fix; never contains a secret, code or token.
    pub description: String,
}

/// Realm in `WWW-Authenticate` challenges.
pub const REALM: &str = "jwtkit issuer";

impl OAuthError {
    fn new(status: StatusCode, code: &'static str, description: impl Into<String>) -> OAuthError {
        OAuthError {
            status,
            code,
            description: description.into(),
        }
    }

    /// `invalid_request` (400): a parameter missing, repeated or malformed.
    pub fn invalid_request(d: impl Into<String>) -> OAuthError {
        OAuthError::new(StatusCode::BAD_REQUEST, "invalid_request", d)
    }

    /// `invalid_client` (401): client authentication failed.
    pub fn invalid_client(d: impl Into<String>) -> OAuthError {
        OAuthError::new(StatusCode::UNAUTHORIZED, "invalid_client", d)
    }

    /// `invalid_grant` (400): code or refresh token invalid, expired, revoked, replayed, or
    /// issued to another client; PKCE verifier or redirect URI mismatch.
    pub fn invalid_grant(d: impl Into<String>) -> OAuthError {
        OAuthError::new(StatusCode::BAD_REQUEST, "invalid_grant", d)
    }

    /// `unauthorized_client` (400): the client may not use this grant type.
    pub fn unauthorized_client(d: impl Into<String>) -> OAuthError {
        OAuthError::new(StatusCode::BAD_REQUEST, "unauthorized_client", d)
    }

    /// `unsupported_grant_type` (400).
    pub fn unsupported_grant_type(d: impl Into<String>) -> OAuthError {
        OAuthError::new(StatusCode::BAD_REQUEST, "unsupported_grant_type", d)
    }

    /// `invalid_scope` (400): a scope the client may not have.
    pub fn invalid_scope(d: impl Into<String>) -> OAuthError {
        OAuthError::new(StatusCode::BAD_REQUEST, "invalid_scope", d)
    }

    /// `invalid_request` with 413: the body is larger than `tokens.max_request_bytes`.
    pub fn too_large(limit: usize) -> OAuthError {
        OAuthError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "invalid_request",
            format!("the request body is larger than {limit} bytes"),
        )
    }

    /// `temporarily_unavailable` (503): a bound on stored state is reached.
    pub fn unavailable(d: impl Into<String>) -> OAuthError {
        OAuthError::new(StatusCode::SERVICE_UNAVAILABLE, "temporarily_unavailable", d)
    }

    /// `server_error` (500): the state file could not be written, or a key not generated.
    pub fn server_error(d: impl Into<String>) -> OAuthError {
        OAuthError::new(StatusCode::INTERNAL_SERVER_ERROR, "server_error", d)
    }
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({ "error": self.code, "error_description": self.description });
        let mut r = (self.status, axum::Json(body)).into_response();
        let h = r.headers_mut();
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        if self.status == StatusCode::UNAUTHORIZED {
            h.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"jwtkit issuer\""),
            );
        }
        r
    }
}

/// A JSON response that must not be cached (token, introspection responses: RFC 6749 §5.1).
pub fn no_store(body: serde_json::Value) -> Response {
    let mut r = axum::Json(body).into_response();
    let h = r.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    r
}
