//! PKCE (RFC 7636) with `S256`, `state` and `nonce` values, and the authorization request URL
//! of the authorization code flow (RFC 6749 §4.1.1, OIDC Core §3.1.2.1).

use aws_lc_rs::digest;
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::Url;

use crate::error::Result;
use crate::secret::Secret;

/// `n` random bytes from the system generator, base64url without padding.
///
/// # Panics
/// Never in practice: the system generator failing is fatal for any use of randomness, and the
/// fallback would be worse than stopping.
pub fn random_token(n: usize) -> String {
    let mut b = vec![0u8; n];
    #[allow(clippy::expect_used)]
    SystemRandom::new()
        .fill(&mut b)
        .expect("the system random generator failed");
    URL_SAFE_NO_PAD.encode(&b)
}

/// A PKCE pair: the `code_verifier` (kept secret until the code is exchanged) and its
/// `S256` `code_challenge` (RFC 7636 §4.1, §4.2).
#[derive(Clone, Debug)]
pub struct Pkce {
    /// 32 random bytes, base64url: 43 characters from the unreserved set (RFC 7636 §4.1).
    pub verifier: Secret,
    /// `BASE64URL(SHA256(ASCII(code_verifier)))`.
    pub challenge: String,
}

impl Pkce {
    /// A fresh pair.
    pub fn new() -> Pkce {
        Pkce::from_verifier(Secret::new(random_token(32)))
    }

    /// The pair for a given verifier (RFC 7636 Appendix B test vector in the tests).
    pub fn from_verifier(verifier: Secret) -> Pkce {
        let hash = digest::digest(&digest::SHA256, verifier.expose().as_bytes());
        Pkce {
            challenge: URL_SAFE_NO_PAD.encode(hash.as_ref()),
            verifier,
        }
    }
}

impl Default for Pkce {
    fn default() -> Self {
        Pkce::new()
    }
}

/// An authorization request ready to send the user to, and what the response must be checked
/// against.
#[derive(Clone, Debug)]
pub struct AuthorizationRequest {
    /// The URL to open in the browser (authorization endpoint with the query parameters).
    pub url: String,
    /// The `state` sent (128 random bits); the redirect must carry it back.
    pub state: String,
    /// The `nonce` sent (128 random bits; OIDC Core §3.1.2.1) when `openid` is in the scope.
    pub nonce: Option<String>,
    /// The PKCE pair; `pkce.verifier` goes with the code to the token endpoint.
    pub pkce: Pkce,
    /// The `redirect_uri` sent; the token request repeats it (RFC 6749 §4.1.3).
    pub redirect_uri: String,
}

impl AuthorizationRequest {
    /// Build the request: `response_type=code`, `client_id`, `redirect_uri`, `scope`,
    /// `state`, `code_challenge` + `code_challenge_method=S256`, `nonce` when `scope` has
    /// `openid`, then `extra` parameters (`prompt`, `audience`, `resource`, ...).
    ///
    /// # Errors
    /// `invalid_config` when `authorization_endpoint` is not a URL.
    pub fn new(
        authorization_endpoint: &str,
        client_id: &str,
        redirect_uri: &str,
        scope: Option<&str>,
        extra: &[(String, String)],
    ) -> Result<AuthorizationRequest> {
        let mut url = Url::parse(authorization_endpoint).map_err(|e| {
            crate::error::err!(
                InvalidConfig,
                "authorization_endpoint {authorization_endpoint:?}: {e}"
            )
        })?;
        let pkce = Pkce::new();
        let state = random_token(16);
        let nonce = scope
            .is_some_and(|s| s.split(' ').any(|x| x == "openid"))
            .then(|| random_token(16));
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("response_type", "code");
            q.append_pair("client_id", client_id);
            q.append_pair("redirect_uri", redirect_uri);
            if let Some(s) = scope {
                q.append_pair("scope", s);
            }
            q.append_pair("state", &state);
            q.append_pair("code_challenge", &pkce.challenge);
            q.append_pair("code_challenge_method", "S256");
            if let Some(n) = &nonce {
                q.append_pair("nonce", n);
            }
            for (k, v) in extra {
                q.append_pair(k, v);
            }
        }
        Ok(AuthorizationRequest {
            url: url.to_string(),
            state,
            nonce,
            pkce,
            redirect_uri: redirect_uri.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s256_challenge_matches_rfc7636_appendix_b() {
        let p = Pkce::from_verifier(Secret::new("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"));
        assert_eq!(p.challenge, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
    }

    #[test]
    fn fresh_verifier_is_43_unreserved_characters() {
        let p = Pkce::new();
        assert_eq!(p.verifier.len(), 43);
        assert!(
            p.verifier
                .expose()
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        );
    }

    #[test]
    fn authorization_url_carries_pkce_state_and_nonce() {
        let r = AuthorizationRequest::new(
            "https://as.example/auth?tenant=1",
            "cli",
            "http://127.0.0.1:5000/callback",
            Some("openid profile"),
            &[("prompt".into(), "consent".into())],
        )
        .unwrap();
        let u = Url::parse(&r.url).unwrap();
        let q: std::collections::HashMap<_, _> = u.query_pairs().into_owned().collect();
        assert_eq!(q["tenant"], "1");
        assert_eq!(q["response_type"], "code");
        assert_eq!(q["redirect_uri"], "http://127.0.0.1:5000/callback");
        assert_eq!(q["scope"], "openid profile");
        assert_eq!(q["state"], r.state);
        assert_eq!(q["code_challenge"], r.pkce.challenge);
        assert_eq!(q["code_challenge_method"], "S256");
        assert_eq!(Some(&q["nonce"]), r.nonce.as_ref());
        assert_eq!(q["prompt"], "consent");
        assert!(!r.url.contains(r.pkce.verifier.expose()));
    }
}
