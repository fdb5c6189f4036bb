//! Selective Disclosure for JWTs, [RFC 9901] (SD-JWT), and the SD-JWT VC profile's `dc+sd-jwt`.
//!
//! An SD-JWT is `<Issuer-signed JWT>~<Disclosure 1>~…~<Disclosure N>~[<Key Binding JWT>]`
//! (§4). The Issuer-signed JWT carries digests of the Disclosures (`_sd` arrays and
//! `{"...": digest}` array elements) instead of the claims they disclose; the holder sends
//! only the Disclosures it wants to reveal, optionally with a Key Binding JWT signed by the
//! key in the `cnf` claim (§4.3).
//!
//! - [`SdJwt::parse`] splits the serialization (strict: no empty Disclosure, size first);
//! - [`crate::jwt::verify_with`], with a [`crate::Validation`] that expects an SD-JWT
//!   ([`crate::jwt::ValidationBuilder::sd_jwt`]), runs the verifier's order of RFC 9901
//!   §7.1–7.3: the Issuer-signed JWT's signature (the caller's allowlist, as for any JWT), the
//!   Disclosures against their digests ([`Disclosed::from_payload`]), the JWT claims on the processed claims,
//!   then the Key Binding JWT ([`KeyBinding`]); the [`crate::jwt::Outcome`] carries the
//!   processed claims and [`Disclosed`];
//! - [`SdJwt::issue`] produces one (§5); [`SdJwt::present`] selects Disclosures and
//!   adds a Key Binding JWT for a holder (§4.3, §6).
//!
//! SD-JWT's JSON serialization (§8) is not supported.
//!
//! [RFC 9901]: https://www.rfc-editor.org/rfc/rfc9901

mod disclosure;
mod issue;
mod key_binding;
mod process;

pub use disclosure::{Disclosure, SdAlg};
pub use key_binding::KeyBinding;
pub use process::Revealed;

use issue::Issuance;
use process::Processed;

use crate::check::Check;
use crate::error::{Result, err};
use crate::jwa::JwsAlg;
use crate::jws::KeySource;
use crate::jwt::{Claims, Outcome};
use crate::{Key, Limits, Validation};

/// An SD-JWT split into its parts (RFC 9901 §4), not yet verified.
#[derive(Clone, Debug, PartialEq)]
pub struct SdJwt {
    /// The Issuer-signed JWT (compact JWS).
    pub issuer_jwt: String,
    /// The Disclosures, in the order given.
    pub disclosures: Vec<Disclosure>,
    /// The Key Binding JWT, when the serialization ends with one (SD-JWT+KB).
    pub key_binding_jwt: Option<String>,
}

impl SdJwt {
    /// Whether `text` has the shape of an SD-JWT: a compact JWS followed by `~`.
    pub fn looks_like(text: &str) -> bool {
        text.split_once('~')
            .is_some_and(|(jwt, _)| jwt.split('.').count() == 3 && !jwt.is_empty())
    }

    /// Split and decode `text` (§4, §7.1 step 1).
    ///
    /// # Errors
    /// `resource_limit` above `limits.max_token_bytes` (checked first); `malformed` without a
    /// `~`, with an empty Disclosure (`~~`), or with an Issuer-signed JWT or Key Binding JWT that
    /// is not three segments; the errors of [`Disclosure::parse`].
    pub fn parse(text: &str, limits: &Limits) -> Result<SdJwt> {
        crate::limits::check("token_bytes", limits.max_token_bytes, text.len())?;
        let mut parts = text.split('~');
        let issuer_jwt = parts.next().unwrap_or_default();
        let mut rest: Vec<&str> = parts.collect();
        let Some(last) = rest.pop() else {
            return Err(err!(
                Malformed,
                "an SD-JWT is <JWT>~<Disclosure>~…~ (no '~' found): a plain JWT is not an SD-JWT"
            ));
        };
        if issuer_jwt.split('.').count() != 3 {
            return Err(err!(
                Malformed,
                "the Issuer-signed JWT must be a compact JWS (3 segments)"
            ));
        }
        let key_binding_jwt = match last {
            "" => None,
            kb if kb.split('.').count() == 3 => Some(kb.to_string()),
            _ => {
                return Err(err!(
                    Malformed,
                    "the part after the last '~' must be empty or a Key Binding JWT (3 segments)"
                ));
            }
        };
        let disclosures = rest
            .iter()
            .enumerate()
            .map(|(i, d)| {
                if d.is_empty() {
                    return Err(err!(Malformed, "disclosure {i} is empty ('~~')"));
                }
                Disclosure::parse(d, limits)
                    .map_err(|e| crate::Error::new(e.kind(), format!("disclosure {i}: {}", e.message())))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(SdJwt {
            issuer_jwt: issuer_jwt.to_string(),
            disclosures,
            key_binding_jwt,
        })
    }

    /// `<Issuer-signed JWT>~<Disclosure>~…~`: the SD-JWT without its Key Binding JWT, the input
    /// of `sd_hash` (§4.3.1).
    pub fn without_key_binding(&self) -> String {
        let mut s = String::with_capacity(
            self.issuer_jwt.len()
                + self
                    .disclosures
                    .iter()
                    .map(|d| d.encoded().len() + 1)
                    .sum::<usize>()
                + 1,
        );
        s.push_str(&self.issuer_jwt);
        s.push('~');
        for d in &self.disclosures {
            s.push_str(d.encoded());
            s.push('~');
        }
        s
    }

    /// The serialization (§4): [`SdJwt::without_key_binding`] followed by the Key Binding JWT,
    /// if any.
    pub fn serialize(&self) -> String {
        let mut s = self.without_key_binding();
        if let Some(kb) = &self.key_binding_jwt {
            s.push_str(kb);
        }
        s
    }
}

/// What the SD-JWT stages of [`crate::jwt::verify_with`] found
/// ([`crate::jwt::Outcome::sd_jwt`]): the Disclosures matched their digests; the processed
/// claims are [`crate::jwt::Outcome::claims`].
#[derive(Debug)]
pub struct Disclosed {
    /// The Disclosures as presented.
    pub disclosures: Vec<Disclosure>,
    /// Where each Disclosure put its claim (JSON Pointers into the processed claims).
    pub revealed: Vec<Revealed>,
    /// Digests no Disclosure matched: claims not disclosed, and decoys.
    pub undisclosed: usize,
    /// `_sd_alg`.
    pub sd_alg: SdAlg,
    /// The verified Key Binding JWT, when one was presented and verified: its JWS Protected
    /// Header (`typ: kb+jwt`), its claims (`iat`, `aud`, `nonce`, `sd_hash`), the algorithm
    /// that verified, `key_index` 0 (the one holder key, `cnf.jwk`).
    pub key_binding: Option<crate::jwt::Verified>,
}

impl Disclosed {
    /// Apply `disclosures` to an Issuer-signed JWT's `payload` (RFC 9901 §7.1): the processed
    /// claims (digests replaced by the disclosed values; `_sd`, `_sd_alg` and undisclosed array
    /// elements removed, §7.1 steps 3.4–5) and what the Disclosures did (`key_binding` None:
    /// no Key Binding JWT is looked at). [`crate::jwt::verify_with`] runs this after the
    /// signature verified; a decoder may run it on a payload it has not verified, to show it.
    ///
    /// # Errors
    /// `bad_disclosure`: a digest that appears twice (in the payload or inside disclosed
    /// values), a Disclosure given twice or referenced by nothing, an object-property
    /// Disclosure referenced from an array or an array-element one from `_sd`, a disclosed name
    /// that already exists at its level. `malformed`: an `_sd` that is not an array of strings,
    /// an `_sd_alg` that is not a string. `unsupported_alg`: an unknown `_sd_alg`.
    /// `resource_limit`: nesting deeper than `limits.max_json_depth` after disclosure.
    pub fn from_payload(
        payload: crate::json::Object,
        disclosures: Vec<Disclosure>,
        limits: &Limits,
    ) -> Result<(crate::json::Object, Disclosed)> {
        let processed = Processed::from_payload(payload, disclosures.clone(), limits)?;
        let disclosed = Disclosed {
            disclosures,
            revealed: processed.revealed,
            undisclosed: processed.undisclosed,
            sd_alg: processed.sd_alg,
            key_binding: None,
        };
        Ok((processed.claims, disclosed))
    }
}

/// The SD-JWT stages of [`crate::jwt::verify_with`], as a Verifier (RFC 9901 §7.1–7.3): split
/// (§4) → the Issuer-signed JWT's signature with `source` and `validation`'s allowlist (steps
/// 1–8, compact only) → its payload as a strict JSON object ([`Check::ClaimsSet`]) →
/// Disclosures against digests ([`Disclosed::from_payload`], [`Check::Disclosures`]) → the validation's claim
/// checks on the processed claims (an `exp` hidden in a Disclosure is read where it was
/// disclosed) → the Key Binding JWT ([`KeyBinding::verify`], [`Check::KeyBinding`]).
pub(crate) async fn verify_stages<'k, S: KeySource + ?Sized>(
    text: &str,
    source: &'k S,
    validation: &Validation,
    key_binding: &KeyBinding,
) -> Outcome<'k> {
    let limits = validation.limits();
    let sd = match SdJwt::parse(text, limits) {
        Ok(sd) => sd,
        Err(e) => return Outcome::failed(e),
    };
    let input = crate::jws::Input::new(&sd.issuer_jwt).compact_only();
    let mut out =
        Outcome::from(crate::jws::signed::signature(&input, source, validation.jws_options()).await);
    let (None, Some(header), Some(payload)) = (&out.error, &out.header, out.payload.take()) else {
        return out;
    };
    let payload = match crate::json::parse_object(&payload, limits) {
        Ok(p) => p,
        Err(e) => {
            out.error = Some(crate::jws::segment_error(e, 1).at(Check::ClaimsSet));
            return out;
        }
    };
    let processed = match Processed::from_payload(payload, sd.disclosures.clone(), limits) {
        Ok(p) => p,
        Err(e) => {
            out.error = Some(e.at(Check::Disclosures));
            return out;
        }
    };
    let claims = Claims::new(processed.claims);
    let checked = validation.validate(header, &claims).and_then(|()| {
        source.issuer().map_or(Ok(()), |iss| {
            crate::jwt::verify::check_source_issuer(iss, &claims)
        })
    });
    let key_binding = checked.and_then(|()| {
        key_binding
            .verify(&sd, &claims, processed.sd_alg, validation)
            .map_err(|e| e.at(Check::KeyBinding))
    });
    let (key_binding, error) = match key_binding {
        Ok(kb) => (kb, None),
        Err(e) => (None, Some(e)),
    };
    out.claims = Some(claims);
    out.sd_jwt = Some(Disclosed {
        disclosures: sd.disclosures,
        revealed: processed.revealed,
        undisclosed: processed.undisclosed,
        sd_alg: processed.sd_alg,
        key_binding,
    });
    out.error = error;
    out
}

impl SdJwt {
    /// Most decoy digests [`SdJwt::issue`] adds to one `_sd` array.
    pub const MAX_DECOYS: usize = 100;

    /// Issue an SD-JWT (RFC 9901 §5): make the claims at `pointers` (JSON Pointers, RFC 6901:
    /// `/email`, `/address/street_address`, `/nationalities/0`) selectively disclosable, add
    /// `decoys` random digests to every `_sd` array written (§4.2.5), sign the payload with
    /// `signer` and append every Disclosure. A pointer may sit inside another one (`/address`
    /// and `/address/locality`): the inner claim becomes a Disclosure inside the outer one's
    /// value (recursive disclosure, §4.2.6). Digests in each `_sd` array are sorted, so their
    /// order says nothing about the claims (§9.7). A pointer given twice is disclosed once.
    ///
    /// # Errors
    /// `invalid_config`: more than [`SdJwt::MAX_DECOYS`] decoys, a pointer that names nothing,
    /// the root, a claim that stays visible (`iss`, `nbf`, `exp`, `cnf`, `vct`,
    /// `vct#integrity`, `status`, `_sd_alg`), a claim named `_sd` or `...`, or an invalid
    /// pointer; claims that already use SD-JWT syntax (`_sd`, `_sd_alg`, `{"...": …}` in an
    /// array). Then the errors of signing, and `resource_limit` for a token over
    /// [`Limits::max_token_bytes`].
    pub fn issue(
        claims: crate::json::Object,
        pointers: &[&str],
        sd_alg: SdAlg,
        decoys: usize,
        signer: &crate::jws::Signer<'_>,
    ) -> Result<String> {
        let issuance = Issuance::new(claims, pointers, sd_alg, decoys)?;
        let payload = serde_json::to_vec(&issuance.payload).map_err(|e| err!(BadJson, "{e}"))?;
        let sd = SdJwt {
            issuer_jwt: signer.sign(&payload)?,
            disclosures: issuance.disclosures,
            key_binding_jwt: None,
        };
        let out = sd.serialize();
        crate::limits::check("token_bytes", Limits::DEFAULT.max_token_bytes, out.len())?;
        Ok(out)
    }

    /// A holder's presentation (RFC 9901 §4.3, §6): keep the Disclosures that reveal the claims at
    /// `reveal` (JSON Pointers into the processed claims, as [`Revealed::pointer`] lists them; a
    /// pointer also keeps the Disclosures above it and inside it), and with `holder` sign a Key
    /// Binding JWT for `audience` and `nonce` at `iat` (seconds).
    ///
    /// The Issuer-signed JWT is not verified here (a holder may not have the issuer's key); its
    /// payload is read to match Disclosures to claims.
    ///
    /// # Errors
    /// The errors of [`SdJwt::parse`] and [`Disclosed::from_payload`]; `invalid_config` for a pointer that no
    /// Disclosure reveals; the signing errors of the Key Binding JWT.
    pub fn present(
        issued: &str,
        reveal: &[&str],
        holder: Option<(&Key, JwsAlg, &str, &str, i64)>,
        limits: &Limits,
    ) -> Result<String> {
        let mut sd = SdJwt::parse(issued, limits)?;
        let payload_b64 = sd.issuer_jwt.split('.').nth(1).unwrap_or_default();
        let payload = crate::base64url::decode(payload_b64)
            .map_err(|p| err!(BadBase64, "the payload {}", p.describe()))?;
        let payload = crate::json::parse_object(&payload, limits)?;
        let processed = Processed::from_payload(payload, sd.disclosures.clone(), limits)?;
        let wanted: Vec<String> = reveal
            .iter()
            .map(|p| {
                if p.starts_with('/') {
                    p.to_string()
                } else {
                    format!("/{p}")
                }
            })
            .collect();
        let mut keep = std::collections::HashSet::new();
        for w in &wanted {
            let mut found = false;
            for r in &processed.revealed {
                if related(&r.pointer(), w) {
                    keep.insert(r.disclosure);
                    found = true;
                }
            }
            if !found {
                let known: Vec<String> = processed
                    .revealed
                    .iter()
                    .take(50)
                    .map(Revealed::pointer)
                    .collect();
                return Err(err!(
                    InvalidConfig,
                    "{w}: no Disclosure reveals this claim (disclosable: {})",
                    known.join(", ")
                ));
            }
        }
        let mut i = 0;
        sd.disclosures.retain(|_| {
            i += 1;
            keep.contains(&(i - 1))
        });
        if let Some((key, ..)) = holder {
            holder_matches_cnf(&processed.claims, key)?;
        }
        sd.key_binding_jwt = match holder {
            None => None,
            Some((key, alg, audience, nonce, iat)) => Some(key_binding::sign(
                &sd,
                processed.sd_alg,
                key,
                alg,
                audience,
                nonce,
                iat,
            )?),
        };
        Ok(sd.serialize())
    }
}

/// The holder key must be the one in the token's `cnf.jwk`, or every verifier rejects the Key
/// Binding JWT it signs.
fn holder_matches_cnf(claims: &crate::json::Object, key: &Key) -> Result<()> {
    let cnf = match claims.get("cnf").and_then(|c| c.get("jwk")) {
        Some(serde_json::Value::Object(jwk)) => Key::from_jwk(jwk)?,
        _ => {
            return Err(err!(
                KeyMismatch,
                "the SD-JWT has no cnf.jwk: it is not bound to a holder key, so a Key Binding JWT would prove nothing"
            ));
        }
    };
    let public = key.to_public().ok_or_else(|| {
        err!(
            KeyMismatch,
            "a Key Binding JWT is signed with the holder's private key, not a secret"
        )
    })?;
    if !key.is_private() {
        return Err(err!(KeyMismatch, "the holder key must be a private key"));
    }
    if public.thumbprint() != cnf.thumbprint() {
        return Err(err!(
            KeyMismatch,
            "the holder key is not the token's cnf.jwk (thumbprint {} ≠ {}): verifiers would reject its Key Binding JWT",
            public.thumbprint(),
            cnf.thumbprint()
        ));
    }
    Ok(())
}

/// Whether the Disclosure at `revealed` is needed to show `wanted`: it is `wanted`, above it or
/// inside it.
fn related(revealed: &str, wanted: &str) -> bool {
    let under =
        |a: &str, b: &str| a.len() > b.len() && a.starts_with(b) && a.as_bytes().get(b.len()) == Some(&b'/');
    revealed == wanted || under(wanted, revealed) || under(revealed, wanted)
}
