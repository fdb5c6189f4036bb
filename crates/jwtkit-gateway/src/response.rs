//! Every response the gateway makes itself, mapped in one place ([RFC 6750] §3).
//!
//! - missing token: `401`, `WWW-Authenticate: Bearer realm="…"` (no `error`, §3.1);
//! - the token repeated, or sent both in `Authorization` and in the query (§2, §3.1):
//!   `400`, `error="invalid_request"`;
//! - invalid token (any token-fault [`ErrorKind`], `revoked`): `401`, `error="invalid_token"`
//!   with a short public `error_description` chosen by kind — the detailed message is logged
//!   with the token's hash, never sent (no oracle);
//! - missing scope or role: `403`, `error="insufficient_scope"`, `scope="…"`;
//! - rate limited: `429` with `Retry-After` (seconds);
//! - keys, store or introspection endpoint unavailable: `503` with `Retry-After`;
//! - an opaque token the introspection endpoint calls inactive: `401`, `invalid_token`;
//!
//! and a JSON body `{"error":…, "error_description":…}` for each.
//!
//! [RFC 6750]: https://www.rfc-editor.org/rfc/rfc6750

use bytes::Bytes;
use http::{HeaderValue, Response, StatusCode, header};
use jwtkit::{ErrorKind, Fault};

use crate::forward::{Body, full};

/// Why the gateway answers instead of the upstream.
#[derive(Clone, Debug, PartialEq)]
pub enum Rejection {
    /// No token where one is required.
    MissingToken,
    /// A token that failed verification or validation, or was revoked. A JWE that does not
    /// decrypt is `InvalidToken(DecryptFailed)` whatever the cause (no oracle).
    InvalidToken(ErrorKind),
    /// A plain (unencrypted) token for a provider with `require_encryption`.
    EncryptionRequired,
    /// RFC 6750 §3.1 `invalid_request` (the description says why: a repeated parameter, or
    /// more than one method of sending the token).
    InvalidRequest(&'static str),
    /// Valid token without the required scopes (`scope` lists them) or roles.
    InsufficientScope {
        /// Space-separated scopes the route requires.
        scope: String,
        /// Human description.
        description: String,
    },
    /// Too many requests; retry after this many seconds.
    RateLimited {
        /// Seconds, at least 1.
        retry_after: u64,
    },
    /// A provider's keys cannot be had.
    KeysUnavailable,
    /// The store cannot be reached (fail closed).
    StoreUnavailable,
    /// A claim cannot be forwarded as a header (a `,` or control character in an array value).
    BadClaimValue,
    /// The request path is refused before routing (a dot segment, [`crate::path`]).
    BadPath(&'static str),
    /// The request's `Host` is missing (HTTP/1.1), repeated, invalid, or differs from the
    /// request target's authority (RFC 9112 §3.2): which route, and which upstream `Host`,
    /// would it be?
    BadHost(&'static str),
    /// A header name the gateway is configured to refuse (`headers_with_underscores = "reject"`).
    BadHeader(&'static str),
    /// The request uses a transfer coding other than `chunked` (RFC 9112 §6.1: 501); forwarding
    /// it as plain chunked would hand the upstream still-encoded bytes.
    UnsupportedTransferCoding,
    /// No route matches.
    NoRoute,
    /// The upstream could not be reached or failed.
    BadGateway,
    /// The upstream did not answer in time.
    GatewayTimeout,
    /// An opaque token the introspection endpoint calls not active (RFC 7662 §2.2: expired,
    /// revoked, or never issued).
    InactiveToken,
    /// The introspection endpoint cannot be asked or gave no usable answer (fail closed).
    IntrospectionUnavailable,
    /// A configuration problem detected at request time.
    Internal,
    /// A DPoP failure (RFC 9449 §7.1): `bad_dpop_proof` answers `invalid_dpop_proof`,
    /// `dpop_nonce_required` answers `use_dpop_nonce` with a fresh `DPoP-Nonce`, a binding
    /// failure (`bad_token_binding`) answers `invalid_token`; all with the `DPoP` scheme.
    Dpop {
        /// The core's kind.
        kind: ErrorKind,
        /// The accepted proof algorithms, space-separated (`algs` of the challenge).
        algs: String,
        /// A fresh nonce for the `DPoP-Nonce` header.
        nonce: Option<String>,
    },
    /// No token, on a route whose providers all require DPoP (RFC 9449 §7.1): the `DPoP`
    /// challenge with the accepted proof algorithms, without an error code (RFC 6750 §3.1).
    DpopRequired {
        /// The accepted proof algorithms, space-separated.
        algs: String,
    },
    /// The token's `typ` is not in the provider's token profile: what the token is, and the
    /// accepted `typ` values.
    TokenType {
        /// What the token is ([`jwtkit::jwt::Classification::of`]).
        kind: jwtkit::jwt::TokenKind,
        /// The provider's accepted `typ` values, comma-separated.
        accepted: String,
    },
}

/// The public `error_description` of a token error: short, fixed per kind, no detail that
/// would help an attacker.
pub fn describe(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::Expired => "token expired",
        ErrorKind::NotYetValid => "token not valid yet",
        ErrorKind::IssuedInFuture => "token issued in the future",
        ErrorKind::TooOld => "token too old",
        ErrorKind::BadIssuer => "issuer not accepted",
        ErrorKind::BadAudience => "audience not accepted",
        ErrorKind::BadSubject => "subject not accepted",
        ErrorKind::BadType => "token type not accepted",
        ErrorKind::MissingClaim => "required claim missing",
        ErrorKind::Revoked => "token revoked",
        ErrorKind::BadSignature => "signature does not verify",
        ErrorKind::KeyNotFound => "signing key not found",
        ErrorKind::AlgNone | ErrorKind::AlgNotAllowed | ErrorKind::UnsupportedAlg => "algorithm not accepted",
        ErrorKind::KeyMismatch => "signing key does not fit the algorithm",
        ErrorKind::ResourceLimit => "token too large",
        ErrorKind::UnsupportedCrit => "critical header not understood",
        ErrorKind::DecryptFailed => "decryption failed",
        ErrorKind::BadTokenBinding => "token binding does not match",
        ErrorKind::BadDpopProof => "DPoP proof not accepted",
        ErrorKind::DpopNonceRequired => "DPoP proof needs the server nonce",
        _ => "token malformed",
    }
}

/// The rejection for a verification error.
pub fn from_error(kind: ErrorKind) -> Rejection {
    match (kind, kind.fault()) {
        (ErrorKind::InsufficientScope, _) => Rejection::InsufficientScope {
            scope: String::new(),
            description: "insufficient scope".into(),
        },
        (_, Fault::Token) => Rejection::InvalidToken(kind),
        (_, Fault::Remote) | (_, Fault::Key) => Rejection::KeysUnavailable,
        (_, Fault::Caller) => Rejection::Internal,
    }
}

/// Status, `WWW-Authenticate`, `Retry-After` and body fields of a rejection.
pub struct Parts {
    /// HTTP status.
    pub status: StatusCode,
    /// `WWW-Authenticate` value, if any.
    pub www_authenticate: Option<String>,
    /// `Retry-After` seconds, if any.
    pub retry_after: Option<u64>,
    /// Body `error`.
    pub error: &'static str,
    /// Body `error_description`.
    pub description: String,
    /// `DPoP-Nonce` value, if any (RFC 9449 §8).
    pub dpop_nonce: Option<String>,
}

/// The table (tested below).
pub fn parts(r: &Rejection, realm: &str) -> Parts {
    use StatusCode as S;
    let bearer = |extra: &str| Some(format!("Bearer realm=\"{realm}\"{extra}"));
    let p = |status, www, retry, error, description: &str| Parts {
        status,
        www_authenticate: www,
        retry_after: retry,
        error,
        description: description.to_string(),
        dpop_nonce: None,
    };
    // `401 invalid_token` with the description in the challenge (RFC 6750 §3.1).
    let invalid_token = |d: &str| {
        let www = bearer(&format!(", error=\"invalid_token\", error_description=\"{d}\""));
        p(S::UNAUTHORIZED, www, None, "invalid_token", d)
    };
    // `503` with `Retry-After: 1`: fail closed, try again.
    let unavailable = |d: &str| {
        p(
            S::SERVICE_UNAVAILABLE,
            None,
            Some(1),
            "temporarily_unavailable",
            d,
        )
    };
    match r {
        Rejection::MissingToken => p(
            S::UNAUTHORIZED,
            bearer(""),
            None,
            "unauthorized",
            "a bearer token is required",
        ),
        Rejection::InvalidToken(kind) => invalid_token(describe(*kind)),
        Rejection::EncryptionRequired => invalid_token("token must be encrypted"),
        Rejection::InactiveToken => invalid_token("token not active"),
        Rejection::BadClaimValue => invalid_token("claim cannot be forwarded"),
        Rejection::TokenType { kind, accepted } => invalid_token(&format!(
            "token type not accepted: {}, expected typ {accepted}",
            kind.describe()
        )),
        Rejection::InvalidRequest(why) => {
            let www = bearer(&format!(
                ", error=\"invalid_request\", error_description=\"{why}\""
            ));
            p(S::BAD_REQUEST, www, None, "invalid_request", why)
        }
        Rejection::InsufficientScope { scope, description } => {
            let scope_param = if scope.is_empty() {
                String::new()
            } else {
                format!(", scope=\"{scope}\"")
            };
            let www = bearer(&format!(
                ", error=\"insufficient_scope\", error_description=\"{description}\"{scope_param}"
            ));
            p(S::FORBIDDEN, www, None, "insufficient_scope", description)
        }
        Rejection::RateLimited { retry_after } => p(
            S::TOO_MANY_REQUESTS,
            None,
            Some((*retry_after).max(1)),
            "rate_limited",
            "too many requests",
        ),
        Rejection::KeysUnavailable => unavailable("the token issuer's keys are unavailable"),
        Rejection::StoreUnavailable => unavailable("the revocation store is unavailable"),
        Rejection::IntrospectionUnavailable => unavailable("the token introspection endpoint is unavailable"),
        Rejection::BadPath(why) | Rejection::BadHost(why) | Rejection::BadHeader(why) => {
            p(S::BAD_REQUEST, None, None, "bad_request", why)
        }
        Rejection::NoRoute => p(S::NOT_FOUND, None, None, "not_found", "no route matches"),
        Rejection::UnsupportedTransferCoding => p(
            S::NOT_IMPLEMENTED,
            None,
            None,
            "not_implemented",
            "only the chunked transfer coding is supported",
        ),
        Rejection::BadGateway => p(S::BAD_GATEWAY, None, None, "bad_gateway", "the upstream failed"),
        Rejection::GatewayTimeout => p(
            S::GATEWAY_TIMEOUT,
            None,
            None,
            "gateway_timeout",
            "the upstream did not answer in time",
        ),
        Rejection::Internal => p(
            S::INTERNAL_SERVER_ERROR,
            None,
            None,
            "internal_error",
            "gateway configuration error",
        ),
        Rejection::Dpop { kind, algs, nonce } => {
            let error = match kind {
                ErrorKind::BadDpopProof => "invalid_dpop_proof",
                ErrorKind::DpopNonceRequired => "use_dpop_nonce",
                _ => "invalid_token",
            };
            let d = describe(*kind);
            let www = format!(
                "DPoP realm=\"{realm}\", algs=\"{algs}\", error=\"{error}\", error_description=\"{d}\""
            );
            Parts {
                dpop_nonce: nonce.clone(),
                ..p(S::UNAUTHORIZED, Some(www), None, error, d)
            }
        }
        Rejection::DpopRequired { algs } => p(
            S::UNAUTHORIZED,
            Some(format!("DPoP realm=\"{realm}\", algs=\"{algs}\"")),
            None,
            "unauthorized",
            "a DPoP-bound token and a DPoP proof are required",
        ),
    }
}

/// The stable reason label for metrics and logs.
pub fn reason(r: &Rejection) -> &'static str {
    match r {
        Rejection::MissingToken | Rejection::DpopRequired { .. } => "missing_token",
        Rejection::InvalidToken(k) => k.as_str(),
        Rejection::EncryptionRequired => "encryption_required",
        Rejection::InvalidRequest(_) => "invalid_request",
        Rejection::InsufficientScope { .. } => "insufficient_scope",
        Rejection::RateLimited { .. } => "rate_limited",
        Rejection::KeysUnavailable => "keys_unavailable",
        Rejection::StoreUnavailable => "store_unavailable",
        Rejection::BadClaimValue => "bad_claim_value",
        Rejection::BadPath(_) => "bad_path",
        Rejection::BadHost(_) => "bad_host",
        Rejection::BadHeader(_) => "bad_header",
        Rejection::NoRoute => "no_route",
        Rejection::UnsupportedTransferCoding => "unsupported_transfer_coding",
        Rejection::BadGateway => "bad_gateway",
        Rejection::GatewayTimeout => "gateway_timeout",
        Rejection::InactiveToken => "inactive_token",
        Rejection::IntrospectionUnavailable => "introspection_unavailable",
        Rejection::Internal => "internal_error",
        Rejection::Dpop { kind, .. } => kind.as_str(),
        Rejection::TokenType { .. } => "token_type",
    }
}

/// Build the HTTP response.
pub fn respond(r: &Rejection, realm: &str) -> Response<Body> {
    respond_for(r, realm, None)
}

/// [`parts`], with the RFC 9728 §5.1 `resource_metadata="URL"` parameter added to the
/// `WWW-Authenticate` challenge (every `401` and `403` that has one) when `resource_metadata`
/// is given.
pub fn parts_for(r: &Rejection, realm: &str, resource_metadata: Option<&str>) -> Parts {
    let mut p = parts(r, realm);
    if let (Some(w), Some(url)) = (p.www_authenticate.as_mut(), resource_metadata) {
        // A URL with a quote or backslash cannot be a quoted-string without escaping; such a
        // configured URL is refused at load, and a derived one never has them.
        if !url.contains(['"', '\\']) {
            w.push_str(&format!(", resource_metadata=\"{url}\""));
        }
    }
    p
}

/// Build the HTTP response, with `resource_metadata` in its challenge ([`parts_for`]).
pub fn respond_for(r: &Rejection, realm: &str, resource_metadata: Option<&str>) -> Response<Body> {
    let p = parts_for(r, realm, resource_metadata);
    let body = serde_json::json!({"error": p.error, "error_description": p.description});
    let mut resp = Response::new(full(Bytes::from(body.to_string())));
    *resp.status_mut() = p.status;
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Some(w) = p.www_authenticate.and_then(|w| HeaderValue::from_str(&w).ok()) {
        h.insert(header::WWW_AUTHENTICATE, w);
    }
    if let Some(s) = p.retry_after {
        h.insert(header::RETRY_AFTER, HeaderValue::from(s));
    }
    if let Some(n) = p.dpop_nonce.and_then(|n| HeaderValue::from_str(&n).ok()) {
        h.insert("dpop-nonce", n);
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6750 §3 table: status, exact `WWW-Authenticate`, `Retry-After`, body `error`.
    #[test]
    #[allow(clippy::type_complexity)]
    fn rfc6750_table() {
        let rows: Vec<(Rejection, u16, Option<&str>, Option<u64>, &str)> = vec![
            (
                Rejection::MissingToken,
                401,
                Some(r#"Bearer realm="api""#),
                None,
                "unauthorized",
            ),
            (
                Rejection::InvalidToken(ErrorKind::Expired),
                401,
                Some(r#"Bearer realm="api", error="invalid_token", error_description="token expired""#),
                None,
                "invalid_token",
            ),
            (
                Rejection::InvalidToken(ErrorKind::BadSignature),
                401,
                Some(
                    r#"Bearer realm="api", error="invalid_token", error_description="signature does not verify""#,
                ),
                None,
                "invalid_token",
            ),
            (
                Rejection::InvalidToken(ErrorKind::Revoked),
                401,
                Some(r#"Bearer realm="api", error="invalid_token", error_description="token revoked""#),
                None,
                "invalid_token",
            ),
            (
                Rejection::InsufficientScope {
                    scope: "orders:read orders:write".into(),
                    description: "missing scope orders:write".into(),
                },
                403,
                Some(
                    r#"Bearer realm="api", error="insufficient_scope", error_description="missing scope orders:write", scope="orders:read orders:write""#,
                ),
                None,
                "insufficient_scope",
            ),
            (
                Rejection::RateLimited { retry_after: 0 },
                429,
                None,
                Some(1),
                "rate_limited",
            ),
            (
                Rejection::RateLimited { retry_after: 7 },
                429,
                None,
                Some(7),
                "rate_limited",
            ),
            (
                Rejection::KeysUnavailable,
                503,
                None,
                Some(1),
                "temporarily_unavailable",
            ),
            (
                Rejection::StoreUnavailable,
                503,
                None,
                Some(1),
                "temporarily_unavailable",
            ),
            (Rejection::NoRoute, 404, None, None, "not_found"),
            (
                Rejection::UnsupportedTransferCoding,
                501,
                None,
                None,
                "not_implemented",
            ),
            (
                Rejection::BadHost("repeated Host header"),
                400,
                None,
                None,
                "bad_request",
            ),
            (
                Rejection::BadPath(crate::path::DOT_SEGMENT),
                400,
                None,
                None,
                "bad_request",
            ),
            (
                Rejection::InvalidToken(ErrorKind::DecryptFailed),
                401,
                Some(r#"Bearer realm="api", error="invalid_token", error_description="decryption failed""#),
                None,
                "invalid_token",
            ),
            (
                Rejection::EncryptionRequired,
                401,
                Some(
                    r#"Bearer realm="api", error="invalid_token", error_description="token must be encrypted""#,
                ),
                None,
                "invalid_token",
            ),
            (
                Rejection::InvalidRequest("token sent more than once"),
                400,
                Some(
                    r#"Bearer realm="api", error="invalid_request", error_description="token sent more than once""#,
                ),
                None,
                "invalid_request",
            ),
        ];
        for (r, status, www, retry, error) in rows {
            let p = parts(&r, "api");
            assert_eq!(p.status.as_u16(), status, "{r:?}");
            assert_eq!(p.www_authenticate.as_deref(), www, "{r:?}");
            assert_eq!(p.retry_after, retry, "{r:?}");
            assert_eq!(p.error, error, "{r:?}");
        }
    }

    /// RFC 9449 §7.1 and §8: the DPoP scheme, `algs`, the error per kind, `DPoP-Nonce`.
    #[test]
    fn dpop_and_token_type_answers() {
        let dpop = |kind, nonce: Option<&str>| Rejection::Dpop {
            kind,
            algs: "ES256 EdDSA".into(),
            nonce: nonce.map(str::to_string),
        };
        let rows = [
            (
                dpop(ErrorKind::BadDpopProof, None),
                r#"DPoP realm="api", algs="ES256 EdDSA", error="invalid_dpop_proof", error_description="DPoP proof not accepted""#,
                None,
            ),
            (
                dpop(ErrorKind::DpopNonceRequired, Some("n1")),
                r#"DPoP realm="api", algs="ES256 EdDSA", error="use_dpop_nonce", error_description="DPoP proof needs the server nonce""#,
                Some("n1"),
            ),
            (
                dpop(ErrorKind::BadTokenBinding, None),
                r#"DPoP realm="api", algs="ES256 EdDSA", error="invalid_token", error_description="token binding does not match""#,
                None,
            ),
            (
                Rejection::TokenType {
                    kind: jwtkit::jwt::TokenKind::IdToken,
                    accepted: "at+jwt".into(),
                },
                r#"Bearer realm="api", error="invalid_token", error_description="token type not accepted: OpenID Connect ID token, expected typ at+jwt""#,
                None,
            ),
        ];
        let missing = parts(&Rejection::DpopRequired { algs: "ES256".into() }, "api");
        assert_eq!(
            (missing.status.as_u16(), missing.www_authenticate.as_deref()),
            (401, Some(r#"DPoP realm="api", algs="ES256""#))
        );
        for (r, www, nonce) in rows {
            let p = parts(&r, "api");
            assert_eq!(p.status.as_u16(), 401, "{r:?}");
            assert_eq!(p.www_authenticate.as_deref(), Some(www), "{r:?}");
            assert_eq!(p.dpop_nonce.as_deref(), nonce, "{r:?}");
            let resp = respond(&r, "api");
            assert_eq!(
                resp.headers().get("dpop-nonce").and_then(|v| v.to_str().ok()),
                nonce
            );
        }
    }

    #[test]
    fn kinds_map_by_fault() {
        assert_eq!(
            from_error(ErrorKind::Expired),
            Rejection::InvalidToken(ErrorKind::Expired)
        );
        assert_eq!(from_error(ErrorKind::KeyFetchFailed), Rejection::KeysUnavailable);
        assert_eq!(from_error(ErrorKind::InvalidConfig), Rejection::Internal);
        for k in ErrorKind::ALL {
            let d = describe(k);
            assert!(!d.contains(['"', '\\']), "{k}");
        }
    }
}
