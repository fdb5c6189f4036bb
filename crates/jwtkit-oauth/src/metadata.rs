//! Authorization server metadata: OpenID Connect Discovery 1.0 §4
//! (`{issuer}/.well-known/openid-configuration`), falling back to RFC 8414 §3
//! (`/.well-known/oauth-authorization-server{path}`) when the first answers a 4xx status.
//!
//! The document's `issuer` must equal the issuer asked for exactly (OIDC Discovery §4.3,
//! RFC 8414 §3.3: a mix-up defence), and every endpoint must pass the transport rule.

use jwtkit_remote::DiscoveryKind;
use serde_json::Map;
use serde_json::Value;

use crate::error::{Result, err};
use crate::http::Http;

/// The endpoints and capabilities a client uses. Endpoint members are `None` when the
/// provider does not publish them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Metadata {
    /// `issuer`, equal to the issuer asked for.
    pub issuer: String,
    /// `authorization_endpoint` (RFC 6749 §3.1).
    pub authorization_endpoint: Option<String>,
    /// `token_endpoint` (RFC 6749 §3.2).
    pub token_endpoint: Option<String>,
    /// `device_authorization_endpoint` (RFC 8628 §4).
    pub device_authorization_endpoint: Option<String>,
    /// `introspection_endpoint` (RFC 8414 §2, RFC 7662).
    pub introspection_endpoint: Option<String>,
    /// `revocation_endpoint` (RFC 8414 §2, RFC 7009).
    pub revocation_endpoint: Option<String>,
    /// `userinfo_endpoint` (OIDC Core §5.3).
    pub userinfo_endpoint: Option<String>,
    /// `jwks_uri`.
    pub jwks_uri: Option<String>,
    /// `grant_types_supported` as written (empty when absent).
    pub grant_types_supported: Vec<String>,
    /// `code_challenge_methods_supported` (RFC 8414 §2; empty when absent).
    pub code_challenge_methods_supported: Vec<String>,
    /// `token_endpoint_auth_methods_supported` (empty when absent).
    pub token_endpoint_auth_methods_supported: Vec<String>,
    /// `scopes_supported` (empty when absent).
    pub scopes_supported: Vec<String>,
    /// `id_token_signing_alg_values_supported` (empty when absent).
    pub id_token_signing_alg_values_supported: Vec<String>,
    /// Where the document was read from.
    pub source_url: String,
    /// Which well-known document answered.
    pub kind: DiscoveryKind,
}

const ENDPOINTS: [&str; 7] = [
    "authorization_endpoint",
    "token_endpoint",
    "device_authorization_endpoint",
    "introspection_endpoint",
    "revocation_endpoint",
    "userinfo_endpoint",
    "jwks_uri",
];

impl Metadata {
    /// Parse and check a metadata document fetched from `source_url` for `expected_issuer`.
    ///
    /// # Errors
    /// `bad_response` for a body that is not a JSON object, a missing or non-string `issuer`,
    /// an `issuer` other than `expected_issuer`, or a non-string endpoint; `invalid_config`
    /// for an endpoint refused by the transport rule (plain `http` to a remote host).
    pub fn parse(
        obj: &Map<String, Value>,
        expected_issuer: &str,
        kind: DiscoveryKind,
        source_url: &str,
        http: &Http,
    ) -> Result<Metadata> {
        let issuer = match obj.get("issuer") {
            Some(Value::String(s)) => s.clone(),
            _ => {
                return Err(err!(
                    BadResponse,
                    "metadata {source_url} has no string \"issuer\""
                ));
            }
        };
        if issuer != expected_issuer {
            return Err(err!(
                BadResponse,
                "metadata {source_url} is for issuer {issuer:?}, not {expected_issuer:?}: give the \
                 issuer exactly as the provider writes it, trailing '/' included (OpenID Connect \
                 Discovery §4.3, RFC 8414 §3.3)"
            ));
        }
        let mut endpoints: Vec<Option<String>> = Vec::with_capacity(ENDPOINTS.len());
        for name in ENDPOINTS {
            match obj.get(name) {
                None | Some(Value::Null) => endpoints.push(None),
                Some(Value::String(s)) => {
                    http.check(name, s)?;
                    endpoints.push(Some(s.clone()));
                }
                Some(v) => {
                    return Err(err!(
                        BadResponse,
                        "metadata {source_url}: \"{name}\" must be a string, found {}",
                        jwtkit::json::type_name(v)
                    ));
                }
            }
        }
        let list = |name: &str| -> Vec<String> {
            match obj.get(name) {
                Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).map(str::to_owned).collect(),
                _ => Vec::new(),
            }
        };
        let mut it = endpoints.into_iter();
        let mut next = || it.next().flatten();
        Ok(Metadata {
            issuer,
            authorization_endpoint: next(),
            token_endpoint: next(),
            device_authorization_endpoint: next(),
            introspection_endpoint: next(),
            revocation_endpoint: next(),
            userinfo_endpoint: next(),
            jwks_uri: next(),
            grant_types_supported: list("grant_types_supported"),
            code_challenge_methods_supported: list("code_challenge_methods_supported"),
            token_endpoint_auth_methods_supported: list("token_endpoint_auth_methods_supported"),
            scopes_supported: list("scopes_supported"),
            id_token_signing_alg_values_supported: list("id_token_signing_alg_values_supported"),
            source_url: source_url.to_string(),
            kind,
        })
    }

    /// The endpoint `name` ("token_endpoint", ...) or an `invalid_config` error saying the
    /// provider does not publish it.
    ///
    /// # Errors
    /// `invalid_config` when the member is absent.
    pub fn endpoint(&self, name: &str) -> Result<&str> {
        let v = match name {
            "authorization_endpoint" => &self.authorization_endpoint,
            "token_endpoint" => &self.token_endpoint,
            "device_authorization_endpoint" => &self.device_authorization_endpoint,
            "introspection_endpoint" => &self.introspection_endpoint,
            "revocation_endpoint" => &self.revocation_endpoint,
            "userinfo_endpoint" => &self.userinfo_endpoint,
            _ => &self.jwks_uri,
        };
        v.as_deref().ok_or_else(|| {
            err!(
                InvalidConfig,
                "issuer {} publishes no {name} (metadata {})",
                self.issuer,
                self.source_url
            )
        })
    }

    /// Metadata given by hand (no discovery): every endpoint as given, `issuer` as given.
    pub fn manual(issuer: &str) -> Metadata {
        Metadata {
            issuer: issuer.to_string(),
            authorization_endpoint: None,
            token_endpoint: None,
            device_authorization_endpoint: None,
            introspection_endpoint: None,
            revocation_endpoint: None,
            userinfo_endpoint: None,
            jwks_uri: None,
            grant_types_supported: Vec::new(),
            code_challenge_methods_supported: Vec::new(),
            token_endpoint_auth_methods_supported: Vec::new(),
            scopes_supported: Vec::new(),
            id_token_signing_alg_values_supported: Vec::new(),
            source_url: "(given on the command line)".into(),
            kind: DiscoveryKind::OAuthAuthorizationServer,
        }
    }
}

/// Discover the metadata of `issuer`: OIDC Discovery first, RFC 8414 when it answers 4xx.
///
/// # Errors
/// `invalid_config` for an issuer URL refused by the transport rule or with a query or
/// fragment; `transport` / `resource_limit` from the requests; `bad_response` when neither
/// document is found (naming both statuses) or the document is not valid ([`Metadata::parse`]).
pub async fn discover(http: &Http, issuer: &str) -> Result<Metadata> {
    let allow = http.policy().allow_insecure_http;
    let oidc = DiscoveryKind::OpenIdConnect
        .metadata_url(issuer, allow)
        .map_err(crate::Error::from)?;
    let first = http.get("OpenID configuration", &oidc, None).await?;
    let (resp, url, kind) = if (400..500).contains(&first.status) {
        let rfc8414 = DiscoveryKind::OAuthAuthorizationServer
            .metadata_url(issuer, allow)
            .map_err(crate::Error::from)?;
        let second = http.get("authorization server metadata", &rfc8414, None).await?;
        if !(200..300).contains(&second.status) {
            return Err(err!(
                BadResponse,
                "no metadata for issuer {issuer}: {oidc} answered HTTP {}, {rfc8414} answered HTTP {}",
                first.status,
                second.status
            ));
        }
        (second, rfc8414, DiscoveryKind::OAuthAuthorizationServer)
    } else if (200..300).contains(&first.status) {
        (first, oidc, DiscoveryKind::OpenIdConnect)
    } else {
        return Err(err!(
            BadResponse,
            "no metadata for issuer {issuer}: {oidc} answered HTTP {}",
            first.status
        ));
    };
    let obj = resp.object(&format!("metadata {url}"), http.policy())?;
    Metadata::parse(&obj, issuer, kind, &url, http).map_err(|e| e.context(""))
}
