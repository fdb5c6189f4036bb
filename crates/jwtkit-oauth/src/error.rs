//! Errors of the OAuth client: one type, a stable [`ErrorKind`], and for answers of the
//! authorization server the RFC 6749 §5.2 `error`, `error_description` and `error_uri`.

use std::fmt;

/// What went wrong, as a stable snake_case name ([`ErrorKind::as_str`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// The caller's configuration: a bad URL, plain `http` to a remote host, an endpoint the
    /// provider does not publish, a key that cannot sign. Fix the command or its inputs.
    InvalidConfig,
    /// The server could not be reached, timed out, or the connection failed.
    Transport,
    /// A response was larger than the limit ([`jwtkit_remote::FetchPolicy::max_bytes`]).
    ResourceLimit,
    /// The server answered something that is not what the RFC says (not JSON, a missing
    /// member, an issuer that differs from the one asked for, an unexpected status).
    BadResponse,
    /// The server answered an OAuth error: RFC 6749 §5.2 (token endpoint), §4.1.2.1
    /// (authorization redirect), RFC 8628 §3.5 (device), RFC 6750 §3 (userinfo). See
    /// [`OAuthError`].
    OAuth,
    /// The authorization response's `state` differs from the one sent (RFC 6749 §10.12: a
    /// forged or replayed redirect). Nothing was exchanged.
    StateMismatch,
    /// A token the server returned does not verify (ID Token signature, `iss`, `aud`, `exp`):
    /// [`Error::token_error`] has the core's error.
    InvalidToken,
    /// The ID Token's `nonce` is not the one sent (OIDC Core §3.1.3.7: a replayed or injected
    /// ID Token).
    NonceMismatch,
    /// Nobody completed the login before the deadline (the loopback listener's timeout, or the
    /// device code's `expires_in`).
    TimedOut,
}

impl ErrorKind {
    /// The stable name: `invalid_config`, `transport`, `resource_limit`, `bad_response`,
    /// `oauth_error`, `state_mismatch`, `timed_out`.
    pub const fn as_str(self) -> &'static str {
        match self {
            ErrorKind::InvalidConfig => "invalid_config",
            ErrorKind::Transport => "transport",
            ErrorKind::ResourceLimit => "resource_limit",
            ErrorKind::BadResponse => "bad_response",
            ErrorKind::OAuth => "oauth_error",
            ErrorKind::StateMismatch => "state_mismatch",
            ErrorKind::InvalidToken => "invalid_token",
            ErrorKind::NonceMismatch => "nonce_mismatch",
            ErrorKind::TimedOut => "timed_out",
        }
    }

    /// Whether the caller has to fix something (`invalid_config`), rather than the server or
    /// the person logging in.
    pub const fn is_caller_fault(self) -> bool {
        matches!(self, ErrorKind::InvalidConfig)
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An OAuth error response, RFC 6749 §5.2: `error` (an ASCII code such as `invalid_grant`),
/// optional `error_description` (human text) and `error_uri`, with the HTTP status (absent for
/// errors delivered on the redirect).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OAuthError {
    /// The `error` code (`invalid_client`, `invalid_grant`, `authorization_pending`, ...).
    pub error: String,
    /// `error_description`, when the server sent one.
    pub description: Option<String>,
    /// `error_uri`, when the server sent one.
    pub uri: Option<String>,
    /// The HTTP status of the response (None for an authorization redirect).
    pub status: Option<u16>,
}

/// An error of the OAuth client.
#[derive(Clone, Debug)]
pub struct Error {
    kind: ErrorKind,
    message: String,
    oauth: Option<OAuthError>,
    token: Option<jwtkit::Error>,
}

/// `Result` with [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// An error of `kind` with a message that says what to fix.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Error {
        Error {
            kind,
            message: message.into(),
            oauth: None,
            token: None,
        }
    }

    /// An [`ErrorKind::InvalidToken`] error for `what` (`"ID Token"`) from the core's error.
    pub fn invalid_token(what: &str, e: jwtkit::Error) -> Error {
        Error {
            kind: ErrorKind::InvalidToken,
            message: format!("{what} does not verify: {e}"),
            oauth: None,
            token: Some(e),
        }
    }

    /// The core's verification error, for [`ErrorKind::InvalidToken`].
    pub fn token_error(&self) -> Option<&jwtkit::Error> {
        self.token.as_ref()
    }

    /// An [`ErrorKind::OAuth`] error; `context` says which request it answered.
    pub fn oauth(context: &str, e: OAuthError) -> Error {
        let mut message = format!("{context}: {}", e.error);
        if let Some(d) = &e.description {
            message.push_str(&format!(" ({d})"));
        }
        if let Some(s) = e.status {
            message.push_str(&format!(", HTTP {s}"));
        }
        if let Some(h) = hint(&e.error) {
            message.push_str(&format!("; {h}"));
        }
        Error {
            kind: ErrorKind::OAuth,
            message,
            oauth: Some(e),
            token: None,
        }
    }

    /// The kind.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The message (no secret or token is ever part of it).
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The server's OAuth error, for [`ErrorKind::OAuth`].
    pub fn oauth_error(&self) -> Option<&OAuthError> {
        self.oauth.as_ref()
    }

    /// `{"kind","message", "error","error_description","error_uri","status"}` (the last four
    /// only for [`ErrorKind::OAuth`]; `token_error`, the core's error object, for
    /// [`ErrorKind::InvalidToken`]).
    pub fn to_json(&self) -> serde_json::Value {
        let mut m = serde_json::Map::new();
        m.insert("kind".into(), self.kind.as_str().into());
        m.insert("message".into(), self.message.clone().into());
        if let Some(o) = &self.oauth {
            m.insert("error".into(), o.error.clone().into());
            m.insert("error_description".into(), o.description.clone().into());
            m.insert("error_uri".into(), o.uri.clone().into());
            m.insert("status".into(), o.status.into());
        }
        if let Some(t) = &self.token {
            m.insert("token_error".into(), t.to_json());
        }
        serde_json::Value::Object(m)
    }

    pub(crate) fn context(mut self, prefix: &str) -> Error {
        self.message = format!("{prefix}{}", self.message);
        self
    }
}

/// What to do about the common error codes (RFC 6749 §5.2, RFC 8628 §3.5, RFC 7009 §2.2.1).
fn hint(code: &str) -> Option<&'static str> {
    Some(match code {
        "invalid_client" => {
            "the client id, secret or authentication method is wrong (--client-id, --client-secret, --auth)"
        }
        "invalid_grant" => {
            "the code, refresh token or assertion is invalid, expired, revoked or was issued to another client"
        }
        "unauthorized_client" => "this client is not allowed to use this grant type (check its registration)",
        "unsupported_grant_type" => "the server does not support this grant type",
        "invalid_scope" => "a requested scope is unknown or not allowed for this client (--scope)",
        "access_denied" => "the user or the server refused the request",
        "expired_token" => "the device code expired before the user finished: start again",
        "unsupported_token_type" => "the server cannot revoke this kind of token",
        _ => return None,
    })
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind, self.message)
    }
}

impl std::error::Error for Error {}

impl From<jwtkit::Error> for Error {
    fn from(e: jwtkit::Error) -> Error {
        Error::new(ErrorKind::InvalidConfig, e.message().to_string())
    }
}

macro_rules! err {
    ($kind:ident, $($t:tt)*) => {
        $crate::error::Error::new($crate::error::ErrorKind::$kind, format!($($t)*))
    };
}
pub(crate) use err;
