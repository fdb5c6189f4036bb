//! The Key Binding JWT (RFC 9901 §4.3): the holder's proof that it holds the key in `cnf`,
//! bound to one presentation by `sd_hash`, to one verifier by `aud` and to one request by
//! `nonce`.

use std::time::Duration;

use serde_json::Value;

use super::SdJwt;
use super::disclosure::SdAlg;
use crate::error::{Detail, Result, err};
use crate::jwa::{AlgorithmSet, JwsAlg, KeyFamily};
use crate::jws::JwsOptions;
use crate::jwt::{Claims, Verified};
use crate::{JwkSet, Key, Validation};

/// The `typ` of a Key Binding JWT (§4.3).
pub(crate) const KB_JWT_TYP: &str = "kb+jwt";

/// What a Verifier expects of the Key Binding JWT.
#[derive(Clone, Debug)]
pub struct KeyBinding {
    required: bool,
    audience: Option<String>,
    nonce: Option<String>,
    max_age: Duration,
    algorithms: Option<AlgorithmSet<JwsAlg>>,
}

impl Default for KeyBinding {
    fn default() -> Self {
        KeyBinding::optional()
    }
}

impl KeyBinding {
    /// A Key Binding JWT is not required; one that is presented is still checked (signature by
    /// the `cnf` key, `typ`, `iat`, `sd_hash`), without expectations for `aud` and `nonce`.
    pub fn optional() -> KeyBinding {
        KeyBinding {
            required: false,
            audience: None,
            nonce: None,
            max_age: Duration::from_secs(300),
            algorithms: None,
        }
    }

    /// A Key Binding JWT is required, for this verifier (`aud`) and this request (`nonce`)
    /// (§7.3 step 5).
    pub fn required(audience: impl Into<String>, nonce: impl Into<String>) -> KeyBinding {
        KeyBinding {
            required: true,
            audience: Some(audience.into()),
            nonce: Some(nonce.into()),
            ..KeyBinding::optional()
        }
    }

    /// Require a Key Binding JWT without fixing `aud` or `nonce` (a debugger shows them).
    pub fn required_any() -> KeyBinding {
        KeyBinding {
            required: true,
            ..KeyBinding::optional()
        }
    }

    /// Oldest acceptable `iat`, before the validation's leeway. Default 5 minutes.
    pub fn max_age(mut self, max_age: Duration) -> KeyBinding {
        self.max_age = max_age;
        self
    }

    /// The algorithms the holder key may use. Default: the `cnf` key's own (its family,
    /// narrowed to its JWK `alg`); never a symmetric algorithm.
    pub fn algorithms(mut self, algorithms: impl Into<AlgorithmSet<JwsAlg>>) -> KeyBinding {
        self.algorithms = Some(algorithms.into());
        self
    }

    /// Check the Key Binding JWT of `sd` (§7.3) against the holder key in the processed
    /// `claims`' `cnf.jwk` (RFC 7800 §3.2), with `validation`'s clock and leeway.
    ///
    /// # Errors
    /// `bad_key_binding` (required and absent; no `cnf.jwk`; `sd_hash` or `nonce` mismatch;
    /// missing or mistyped `sd_hash`/`nonce`/`aud`), `bad_key` (a `cnf.jwk` that is not a public
    /// asymmetric key), `bad_type` (`typ` not `kb+jwt`), `bad_audience`, `issued_in_future`,
    /// `too_old`, `missing_claim` (`iat`), and every kind of [`crate::jwt::Outcome::into_jws`].
    pub fn verify(
        &self,
        sd: &SdJwt,
        claims: &Claims,
        sd_alg: SdAlg,
        validation: &Validation,
    ) -> Result<Option<Verified>> {
        let Some(kb) = &sd.key_binding_jwt else {
            if self.required {
                return Err(err!(
                    BadKeyBinding,
                    "a Key Binding JWT is required: the SD-JWT ends with '~' and no KB-JWT"
                ));
            }
            return Ok(None);
        };
        let key = holder_key(claims)?;
        let algorithms = self.algorithms.unwrap_or_else(|| key.algorithms());
        let mut opts = JwsOptions::new(algorithms);
        opts.limits = *validation.limits();
        let set = JwkSet::from_keys(vec![key]);
        let signed =
            crate::jws::signed::signature_local(&crate::jws::Input::new(kb).compact_only(), &set, &opts)
                .into_jws()
                .map_err(|e| e.at(crate::check::Check::KeyBinding))?;
        if !crate::jwt::token_type::typ_is(&signed.header, KB_JWT_TYP) {
            return Err(err!(
                BadType,
                "the Key Binding JWT's typ must be \"kb+jwt\", found {:?}",
                signed.header.typ().unwrap_or("(none)")
            ));
        }
        let kb_claims = Claims::new(crate::json::parse_object(&signed.payload, validation.limits())?);
        self.check_claims(&kb_claims, sd, sd_alg, validation)?;
        Ok(Some(Verified {
            header: signed.header,
            claims: kb_claims,
            alg: signed.alg,
            key_index: signed.key_index,
        }))
    }

    fn check_claims(&self, c: &Claims, sd: &SdJwt, sd_alg: SdAlg, validation: &Validation) -> Result<()> {
        let now = validation.now();
        let leeway = i64::try_from(validation.leeway().as_secs()).unwrap_or(i64::MAX);
        let iat = match c.iat() {
            crate::jwt::ClaimValue::Present(t) => t,
            crate::jwt::ClaimValue::Absent => {
                return Err(err!(MissingClaim, "the Key Binding JWT has no iat"));
            }
            crate::jwt::ClaimValue::Invalid(found) => {
                return Err(err!(
                    Malformed,
                    "the Key Binding JWT's iat must be a NumericDate, found {found}"
                ));
            }
        };
        let time = |claim| Detail::Time {
            claim,
            value: iat,
            now,
            leeway: validation.leeway().as_secs(),
        };
        if iat > now.saturating_add(leeway) as f64 {
            return Err(
                err!(IssuedInFuture, "the Key Binding JWT's iat is in the future").with_detail(time("iat"))
            );
        }
        let max_age = i64::try_from(self.max_age.as_secs()).unwrap_or(i64::MAX);
        if iat < now.saturating_sub(max_age).saturating_sub(leeway) as f64 {
            return Err(err!(
                TooOld,
                "the Key Binding JWT was signed more than {}s ago: a presentation is for one request",
                self.max_age.as_secs()
            )
            .with_detail(time("iat")));
        }
        let string = |name: &str| match c.get(name) {
            Some(Value::String(s)) => Ok(s.as_str()),
            Some(_) => Err(err!(
                BadKeyBinding,
                "the Key Binding JWT's {name} must be a string"
            )),
            None => Err(err!(BadKeyBinding, "the Key Binding JWT has no {name}")),
        };
        let expected = sd_alg.digest(&sd.without_key_binding());
        if string("sd_hash")? != expected {
            return Err(err!(
                BadKeyBinding,
                "sd_hash does not match this presentation: the Disclosures or the Issuer-signed JWT were changed after the holder signed"
            ));
        }
        let aud = string("aud")?;
        if let Some(want) = &self.audience
            && aud != want
        {
            return Err(
                err!(BadAudience, "the Key Binding JWT is for {aud:?}, not {want:?}").with_detail(
                    Detail::Mismatch {
                        claim: "aud".into(),
                        expected: vec![want.clone()],
                        found: Some(aud.to_string()),
                    },
                ),
            );
        }
        let nonce = string("nonce")?;
        if let Some(want) = &self.nonce
            && nonce != want
        {
            return Err(err!(
                BadKeyBinding,
                "the Key Binding JWT's nonce is not the one this verifier issued"
            ));
        }
        Ok(())
    }
}

/// The holder's public key from `cnf.jwk` (RFC 7800 §3.2) of the processed claims.
fn holder_key(claims: &Claims) -> Result<Key> {
    let Some(Value::Object(jwk)) = claims.get("cnf").and_then(|c| c.get("jwk")) else {
        return Err(err!(
            BadKeyBinding,
            "the SD-JWT has no cnf.jwk: there is no holder key to check the Key Binding JWT with"
        ));
    };
    let key = Key::from_jwk(jwk)?;
    if key.family() == KeyFamily::Oct || key.is_private() {
        return Err(err!(
            BadKey,
            "cnf.jwk must be a public asymmetric key (found a secret or private key)"
        ));
    }
    Ok(key)
}

/// Sign a Key Binding JWT for `sd` (whose Key Binding JWT, if any, is ignored).
pub(super) fn sign(
    sd: &SdJwt,
    sd_alg: SdAlg,
    key: &Key,
    alg: JwsAlg,
    audience: &str,
    nonce: &str,
    iat: i64,
) -> Result<String> {
    if key.family() == KeyFamily::Oct {
        return Err(err!(
            KeyMismatch,
            "a Key Binding JWT is signed with the holder's private key, not a secret"
        ));
    }
    let payload = serde_json::json!({
        "iat": iat,
        "aud": audience,
        "nonce": nonce,
        "sd_hash": sd_alg.digest(&sd.without_key_binding()),
    });
    crate::jws::Signer::new(key, alg)?
        .typ(KB_JWT_TYP)
        .build()?
        .sign(payload.to_string().as_bytes())
}
