//! `application/x-www-form-urlencoded` request parameters (RFC 6749 §3.1, Appendix B).

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, StatusCode, header};

use crate::error::OAuthError;

/// Request parameters, each at most once. Empty values count as absent (RFC 6749 §3.1).
#[derive(Debug, Default)]
pub struct Params(Vec<(String, String)>);

/// Most parameters one request may carry; more is a malformed request, not work to do.
const MAX_PARAMS: usize = 64;

impl Params {
    /// Parse a query string or form body.
    ///
    /// # Errors
    /// `invalid_request` naming a parameter given twice (RFC 6749 §3.1) or too many parameters.
    pub fn parse(bytes: &[u8]) -> Result<Params, OAuthError> {
        let mut out: Vec<(String, String)> = Vec::new();
        for (k, v) in form_urlencoded::parse(bytes) {
            if v.is_empty() {
                continue;
            }
            if out.len() >= MAX_PARAMS {
                return Err(OAuthError::invalid_request(format!(
                    "more than {MAX_PARAMS} parameters"
                )));
            }
            if out.iter().any(|(n, _)| *n == k) {
                return Err(OAuthError::invalid_request(format!(
                    "parameter {k:?} is given more than once (RFC 6749 §3.1)"
                )));
            }
            out.push((k.into_owned(), v.into_owned()));
        }
        Ok(Params(out))
    }

    /// A POST body: the content type must be a form, the body within the limit.
    ///
    /// # Errors
    /// 413 `invalid_request` over the limit; `invalid_request` for another content type or a
    /// repeated parameter.
    pub fn from_body(
        headers: &HeaderMap,
        body: Result<Bytes, BytesRejection>,
        limit: usize,
    ) -> Result<Params, OAuthError> {
        let body = body.map_err(|e| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                OAuthError::too_large(limit)
            } else {
                OAuthError::invalid_request("the request body could not be read")
            }
        })?;
        let ct = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let essence = ct.split(';').next().unwrap_or("").trim();
        if !essence.eq_ignore_ascii_case("application/x-www-form-urlencoded") {
            return Err(OAuthError::invalid_request(
                "the body must be application/x-www-form-urlencoded (RFC 6749 §4.1.3)",
            ));
        }
        Params::parse(&body)
    }

    /// The value of `name`, if given.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// The value of a required parameter.
    ///
    /// # Errors
    /// `invalid_request` naming it.
    pub fn require(&self, name: &str) -> Result<&str, OAuthError> {
        self.get(name)
            .ok_or_else(|| OAuthError::invalid_request(format!("missing parameter {name:?}")))
    }
}
