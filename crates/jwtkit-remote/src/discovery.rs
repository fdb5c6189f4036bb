//! Provider metadata: OpenID Connect Discovery 1.0 §4 (`/.well-known/openid-configuration`)
//! and OAuth 2.0 Authorization Server Metadata, RFC 8414 §3
//! (`/.well-known/oauth-authorization-server`).
//!
//! Only the members a verifier needs are kept: `issuer` (OIDC Discovery §4.3 and RFC 8414
//! §3.3: must equal the configured issuer exactly), `jwks_uri`, and
//! `id_token_signing_alg_values_supported` (narrows the algorithm allowlist when the caller
//! gives none).

use serde_json::Value;

use super::{FetchPolicy, check_url};
use crate::err;
use jwtkit::Result;
use jwtkit::{AlgorithmSet, JwsAlg};

/// Which well-known document answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DiscoveryKind {
    /// `/.well-known/openid-configuration` (OpenID Connect Discovery 1.0 §4).
    OpenIdConnect,
    /// `/.well-known/oauth-authorization-server` (RFC 8414 §3).
    OAuthAuthorizationServer,
}

impl DiscoveryKind {
    /// The metadata URL of `issuer` for this kind: `{issuer}/.well-known/openid-configuration`
    /// with a trailing `/` of the issuer removed first (OpenID Connect Discovery 1.0 §4), or
    /// `/.well-known/oauth-authorization-server` inserted between the host and the issuer's
    /// path (RFC 8414 §3: `https://h/t1` gives `https://h/.well-known/oauth-authorization-server/t1`).
    ///
    /// # Errors
    /// `invalid_config` for an issuer refused by the transport rules (https, or http to a
    /// loopback host when `allow_insecure_http`) or with a query or fragment.
    pub fn metadata_url(self, issuer: &str, allow_insecure_http: bool) -> Result<String> {
        match self {
            DiscoveryKind::OpenIdConnect => openid_configuration_url(issuer, allow_insecure_http),
            DiscoveryKind::OAuthAuthorizationServer => oauth_metadata_url(issuer, allow_insecure_http),
        }
    }
}

/// The provider metadata a verifier uses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DiscoveryDocument {
    /// `issuer`, equal to the configured issuer.
    pub issuer: String,
    /// `jwks_uri`: where the provider publishes its JWK Set.
    pub jwks_uri: String,
    /// `id_token_signing_alg_values_supported` as written (may be empty).
    pub id_token_signing_alg_values_supported: Vec<String>,
    /// The URL the document was read from (after redirects).
    pub source_url: String,
    /// Which well-known document it was.
    pub kind: DiscoveryKind,
}

impl DiscoveryDocument {
    /// Parse and check a metadata document fetched for `expected_issuer`.
    ///
    /// # Errors
    /// `bad_json` / `duplicate_member` / `resource_limit` for invalid JSON; `malformed` when
    /// `issuer` or `jwks_uri` is missing or not a string; `invalid_config` when `issuer`
    /// differs from `expected_issuer` (a misconfiguration or a mix-up attack, OIDC Discovery
    /// §4.3) or `jwks_uri` is refused by the transport rules (https, or http to a loopback host).
    pub fn parse(
        body: &[u8],
        expected_issuer: &str,
        kind: DiscoveryKind,
        source_url: &str,
        policy: &FetchPolicy,
    ) -> Result<DiscoveryDocument> {
        let shown = crate::quote(source_url);
        let obj = jwtkit::json::parse_object(body, &policy.limits())
            .map_err(|e| e.context(&format!("discovery document {shown}: ")))?;
        let string = |name: &str| match obj.get(name) {
            Some(Value::String(s)) => Ok(s.clone()),
            Some(v) => Err(err!(
                Malformed,
                "discovery document {shown}: \"{name}\" must be a string, found {}",
                jwtkit::json::type_name(v)
            )),
            None => Err(err!(Malformed, "discovery document {shown} has no \"{name}\"")),
        };
        let issuer = string("issuer")?;
        if issuer != expected_issuer {
            return Err(err!(
                InvalidConfig,
                "discovery document {shown} is for issuer {}, not the configured {}; configure the \
                 issuer exactly as the provider writes it, trailing '/' included (OpenID Connect \
                 Discovery §4.3)",
                crate::quote(&issuer),
                crate::quote(expected_issuer)
            ));
        }
        let jwks_uri = string("jwks_uri")?;
        check_url(&jwks_uri, policy.allow_insecure_http)
            .map_err(|e| e.context("jwks_uri from discovery: "))?;
        let algs = match obj.get("id_token_signing_alg_values_supported") {
            Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).map(str::to_owned).collect(),
            _ => Vec::new(),
        };
        Ok(DiscoveryDocument {
            issuer,
            jwks_uri,
            id_token_signing_alg_values_supported: algs,
            source_url: source_url.to_string(),
            kind,
        })
    }

    /// The supported JWS algorithms named in `id_token_signing_alg_values_supported` (unknown
    /// names and `none` dropped). Empty when the member is absent: the caller then needs its
    /// own allowlist or the keys' (`Key::algorithms`).
    pub fn algorithms(&self) -> AlgorithmSet<JwsAlg> {
        self.id_token_signing_alg_values_supported
            .iter()
            .filter_map(|a| a.parse::<JwsAlg>().ok())
            .collect()
    }
}

fn issuer_url(issuer: &str, allow_insecure_http: bool) -> Result<reqwest::Url> {
    let url = check_url(issuer, allow_insecure_http).map_err(|e| e.context("issuer: "))?;
    if url.query().is_some() || url.fragment().is_some() {
        return Err(err!(
            InvalidConfig,
            "issuer {} must not have a query or fragment (OpenID Connect Discovery §2)",
            crate::quote(issuer)
        ));
    }
    Ok(url)
}

/// `{issuer}/.well-known/openid-configuration`, a trailing `/` of the issuer removed first
/// (OpenID Connect Discovery 1.0 §4).
///
/// # Errors
/// `invalid_config` for an issuer refused by the transport rules (https, or http to a loopback host) or with a query or fragment.
pub(crate) fn openid_configuration_url(issuer: &str, allow_insecure_http: bool) -> Result<String> {
    issuer_url(issuer, allow_insecure_http)?;
    Ok(format!(
        "{}/.well-known/openid-configuration",
        issuer.trim_end_matches('/')
    ))
}

/// RFC 8414 §3: `/.well-known/oauth-authorization-server` inserted between the host and the
/// issuer's path (`https://h/t1` gives `https://h/.well-known/oauth-authorization-server/t1`).
///
/// # Errors
/// As [`openid_configuration_url`].
pub(crate) fn oauth_metadata_url(issuer: &str, allow_insecure_http: bool) -> Result<String> {
    let mut url = issuer_url(issuer, allow_insecure_http)?;
    let path = url.path().trim_end_matches('/').to_string();
    url.set_path(&format!("/.well-known/oauth-authorization-server{path}"));
    Ok(url.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn well_known_urls() {
        assert_eq!(
            openid_configuration_url("https://a.example/", false).unwrap(),
            "https://a.example/.well-known/openid-configuration"
        );
        assert_eq!(
            openid_configuration_url("https://a.example/realms/x", false).unwrap(),
            "https://a.example/realms/x/.well-known/openid-configuration"
        );
        assert_eq!(
            oauth_metadata_url("https://a.example/tenant/1", false).unwrap(),
            "https://a.example/.well-known/oauth-authorization-server/tenant/1"
        );
        assert_eq!(
            oauth_metadata_url("https://a.example", false).unwrap(),
            "https://a.example/.well-known/oauth-authorization-server"
        );
        assert!(openid_configuration_url("https://a.example/?x=1", false).is_err());
    }

    #[test]
    fn issuer_must_match_exactly() {
        let p = FetchPolicy::default();
        let body = br#"{"issuer":"https://a.example/","jwks_uri":"https://a.example/jwks","id_token_signing_alg_values_supported":["RS256","none","XX1"]}"#;
        let d = DiscoveryDocument::parse(body, "https://a.example/", DiscoveryKind::OpenIdConnect, "u", &p)
            .unwrap();
        assert_eq!(d.algorithms(), AlgorithmSet::<JwsAlg>::from(JwsAlg::RS256));
        let e = DiscoveryDocument::parse(body, "https://a.example", DiscoveryKind::OpenIdConnect, "u", &p)
            .unwrap_err();
        assert_eq!(e.kind(), jwtkit::ErrorKind::InvalidConfig);
        let bad = br#"{"issuer":"https://a.example/","jwks_uri":"http://a.example/jwks"}"#;
        let e = DiscoveryDocument::parse(bad, "https://a.example/", DiscoveryKind::OpenIdConnect, "u", &p)
            .unwrap_err();
        assert_eq!(e.kind(), jwtkit::ErrorKind::InvalidConfig);
    }
}
