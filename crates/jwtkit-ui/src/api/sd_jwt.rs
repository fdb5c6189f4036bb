//! SD-JWT (RFC 9901) on the page: the Disclosures next to the claims they reveal (JSON Pointer,
//! name, value, digest; the salt is sent but shown only on request), for decode (nothing
//! verified, [`jwtkit::sd_jwt::Disclosed::from_payload`] on the unverified payload) and verify (the
//! [`jwtkit::sd_jwt::Disclosed`] of the one core call).

use serde_json::{Value, json};

use jwtkit::dangerous::Unverified;
use jwtkit::sd_jwt::{self, Disclosure, Revealed, SdAlg, SdJwt};
use serde_json::Map;

/// The Disclosures in the order they were found in the payload: where each put its claim,
/// and its digest under `_sd_alg` (what the Issuer-signed JWT lists).
pub(crate) fn disclosures_json(revealed: &[Revealed], disclosures: &[Disclosure], sd_alg: SdAlg) -> Value {
    Value::Array(
        revealed
            .iter()
            .filter_map(|r| {
                let d = disclosures.get(r.disclosure)?;
                Some(json!({
                    "index": r.disclosure,
                    "pointer": r.pointer(),
                    "name": d.name(),
                    "value": d.value(),
                    "salt": d.salt(),
                    "digest": d.digest(sd_alg),
                }))
            })
            .collect(),
    )
}

/// What decode shows of an SD-JWT: the processed claims (the Disclosures applied to the
/// unverified payload) and the `sd_jwt` view, or the error that stops a Verifier at
/// [`jwtkit::Check::Disclosures`].
pub(crate) fn decode_view(
    sd: &SdJwt,
    issuer: &Unverified,
    limits: &jwtkit::Limits,
) -> (Option<Map<String, Value>>, Value) {
    let kb = sd.key_binding_jwt.as_deref().map(|kb| {
        let u = jwtkit::dangerous::Unverified::decode(kb, limits);
        json!({"header": u.header, "claims": u.claims()})
    });
    let processed = issuer
        .claims()
        .map(|payload| sd_jwt::Disclosed::from_payload(payload.clone(), sd.disclosures.clone(), limits));
    match processed {
        Some(Ok((claims, p))) => {
            let view = json!({
                "disclosures": disclosures_json(&p.revealed, &sd.disclosures, p.sd_alg),
                "presented": sd.disclosures.len(),
                "undisclosed": p.undisclosed,
                "sd_alg": p.sd_alg.as_str(),
                "key_binding_jwt": kb,
                "error": Value::Null,
            });
            (Some(claims), view)
        }
        Some(Err(e)) => (
            None,
            json!({"disclosures": [], "presented": sd.disclosures.len(), "key_binding_jwt": kb, "error": e.to_json()}),
        ),
        None => (
            None,
            json!({"disclosures": [], "presented": sd.disclosures.len(), "key_binding_jwt": kb, "error": Value::Null}),
        ),
    }
}

/// What verify found of an SD-JWT: the Disclosures (once they matched their digests) and the
/// Key Binding JWT (once it verified), and the SD-JWT step that failed, if one did.
pub(crate) fn verify_view(outcome: &jwtkit::jwt::Outcome<'_>) -> Value {
    let failed = outcome
        .failed_at()
        .filter(|c| matches!(c, jwtkit::Check::Disclosures | jwtkit::Check::KeyBinding))
        .map(jwtkit::Check::name);
    match &outcome.sd_jwt {
        Some(d) => json!({
            "disclosures": disclosures_json(&d.revealed, &d.disclosures, d.sd_alg),
            "presented": d.disclosures.len(),
            "undisclosed": d.undisclosed,
            "sd_alg": d.sd_alg.as_str(),
            "key_binding": d.key_binding.as_ref().map(|k| json!({
                "verified": true,
                "alg": k.alg,
                "claims": k.claims.as_object(),
            })),
            "failed_at": failed,
        }),
        None => json!({"disclosures": [], "failed_at": failed}),
    }
}
