//! ID Token validation (OIDC Core §3.1.3.7): the signature with the issuer's `jwks_uri`
//! (through the core's [`jwtkit_remote::KeyCache`]), `iss` equal to the issuer, `aud`
//! containing the client id, `exp`, `iat` present, and `nonce` equal to the one sent.

use jwtkit::{AlgorithmSet, JwsAlg, Validation, Verified};
use jwtkit_remote::{KeyCache, KeyLocation};
use serde_json::Value;

use crate::error::{Error, Result, err};
use crate::token::Client;

impl Client {
    /// Verify an ID Token from this client's provider. The algorithm allowlist is the
    /// provider's `id_token_signing_alg_values_supported` (`none` and unknown names dropped),
    /// or RS256 when it publishes none (OIDC Core §15.1).
    ///
    /// # Errors
    /// `invalid_config` without a `jwks_uri`; `invalid_token` (with the core's error) for a
    /// token that does not verify (signature, `iss`, `aud`, `exp`) or whose keys cannot be
    /// fetched; `nonce_mismatch` when `nonce` was sent and the token's differs.
    pub async fn verify_id_token(&self, id_token: &str, nonce: Option<&str>) -> Result<Verified> {
        let jwks = self.metadata.endpoint("jwks_uri")?;
        let mut algs: AlgorithmSet<JwsAlg> = self
            .metadata
            .id_token_signing_alg_values_supported
            .iter()
            .filter_map(|a| a.parse::<JwsAlg>().ok())
            .collect();
        if algs.is_empty() {
            algs = JwsAlg::RS256.into();
        }
        let cache = KeyCache::new(KeyLocation::JwksUrl(jwks.to_string()), self.http.policy().clone())?;
        let validation = Validation::builder(algs)
            .issuer(self.metadata.issuer.clone())
            .audience(self.client_id.clone())
            .require("iat")
            .build()?;
        let verified = jwtkit::jwt::verify_with(id_token, &*cache, &validation)
            .await
            .into_result()
            .map_err(|e| Error::invalid_token("the ID Token", e))?;
        if let Some(want) = nonce {
            let got = verified.claims.get("nonce").and_then(Value::as_str);
            if got != Some(want) {
                return Err(err!(
                    NonceMismatch,
                    "the ID Token's nonce is {} the one sent with the authorization request (OIDC \
                     Core §3.1.3.7: a replayed or injected ID Token)",
                    if got.is_some() { "not" } else { "missing, not" }
                ));
            }
        }
        Ok(verified)
    }
}
