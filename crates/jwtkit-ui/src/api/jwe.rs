//! `POST /api/verify` on a JWE (RFC 7516, compact or JSON): decrypt with the page's key (or
//! `decryption_key` when the signature key is another one), then verify the nested JWT and its
//! claims — [`jwtkit::jwt::decrypt_then_verify`], the same core as the CLI and the library.
//!
//! Three allowlists: `algorithms` may name JWS algorithms (the nested signature) and JWE key
//! management algorithms; `encryptions` names content encryption algorithms (default all).
//! Unnamed lists come from the keys. `RSA1_5` decrypts only when named explicitly. A JWE
//! holding claims without a signature is accepted only when `algorithms` names key management
//! algorithms and no JWS algorithm (as the CLI does), with a note saying anyone able to encrypt
//! to the key could have made it.

use axum::response::Response;
use serde_json::{Value, json};

use jwtkit::jwe::DecryptOptions;
use jwtkit::{AlgorithmSet, EncAlg, Error, JwsAlg, KeyMgmtAlg};

use super::keys::summary;
use super::verify::{List, VerifyRequest, validation};
use super::{findings_json, ok};
use crate::State;

fn input_error(field: &str, e: &Error) -> Response {
    ok(json!({"valid": false, "input_error": {"field": field, "error": e.to_json()}}))
}

/// The request's allowlists: `algorithms` split into JWS (the nested signature) and JWE key
/// management algorithms (`RSA1_5` only when named), `encryptions` the content encryption ones.
struct Lists {
    sig_algs: AlgorithmSet<JwsAlg>,
    kw: AlgorithmSet<KeyMgmtAlg>,
    rsa1_5: bool,
    encs: AlgorithmSet<EncAlg>,
}

impl Lists {
    /// An unknown name is the field's input error.
    #[allow(clippy::result_large_err)] // the Err is the finished answer
    fn parse(req: &VerifyRequest) -> Result<Lists, Response> {
        let mut l = Lists {
            sig_algs: AlgorithmSet::empty(),
            kw: AlgorithmSet::empty(),
            rsa1_5: false,
            encs: AlgorithmSet::empty(),
        };
        for a in req.algorithms.as_ref().map(List::items).unwrap_or_default() {
            if let Ok(j) = a.parse::<JwsAlg>() {
                l.sig_algs = l.sig_algs.with(j);
                continue;
            }
            let k = a
                .parse::<KeyMgmtAlg>()
                .map_err(|e| input_error("algorithms", &e))?;
            l.rsa1_5 |= k == KeyMgmtAlg::RSA1_5;
            l.kw = l.kw.with(k);
        }
        for e in req.encryptions.as_ref().map(List::items).unwrap_or_default() {
            l.encs = l
                .encs
                .with(e.parse::<EncAlg>().map_err(|e| input_error("encryptions", &e))?);
        }
        Ok(l)
    }
}

pub(crate) async fn verify(st: &State, req: &VerifyRequest, token: &str, notes: &[String]) -> Response {
    let Lists {
        sig_algs,
        kw,
        rsa1_5,
        encs,
    } = match Lists::parse(req) {
        Ok(l) => l,
        Err(r) => return r,
    };
    let verify_keys = match req.key.load(st, None).await {
        Ok(l) => l,
        Err(e) => return input_error("key", &e),
    };
    let decrypt_keys = match &req.decryption_key {
        Some(k) => match k.load(st, None).await {
            Ok(l) => l,
            Err(e) => return input_error("decryption_key", &e),
        },
        None => match req.key.load(st, None).await {
            Ok(l) => l,
            Err(e) => return input_error("key", &e),
        },
    };
    let enc = if encs.is_empty() {
        AlgorithmSet::<EncAlg>::all()
    } else {
        encs
    };
    let mut opts = if kw.is_empty() {
        DecryptOptions::from_keys(&decrypt_keys.set, enc)
    } else {
        DecryptOptions::new(kw, enc)
    };
    opts.limits = st.limits;
    opts.insecure_allow_rsa1_5 = rsa1_5;
    opts.allow_unsigned_claims = sig_algs.is_empty() && !kw.is_empty();
    let (algs, algs_from) = if sig_algs.is_empty() {
        let from_keys = verify_keys.set.algorithms();
        (
            if from_keys.is_empty() {
                AlgorithmSet::<JwsAlg>::all()
            } else {
                from_keys
            },
            "key",
        )
    } else {
        (sig_algs, "caller")
    };
    let validation = match validation(req, algs, st) {
        Ok(v) => v,
        Err((field, e)) => return input_error(field, &e),
    };
    let mut notes: Vec<String> = notes.to_vec();
    // The one core call: decryption, the nested JWT's signature, its claims.
    let result =
        jwtkit::jwt::decrypt_then_verify(token, &decrypt_keys.set, &opts, &verify_keys.set, &validation);
    let decrypted = match &result {
        Ok(n) => Ok(&n.jwe),
        Err(e) => e.jwe.as_deref().ok_or(e),
    };
    let jwe_json = match decrypted {
        Ok(d) => json!({
            "decrypted": true,
            "alg": d.alg,
            "enc": d.enc,
            "header": d.header.as_object(),
            "key": decrypt_keys.set.keys().get(d.key_index).map(jwtkit::Key::label),
            "recipient": d.recipient_index,
            "error": null,
        }),
        Err(e) => json!({"decrypted": false, "error": e.to_json()}),
    };
    let (signature, claims) = nested(&result, &verify_keys.set, &validation, st, &mut notes);
    let valid = claims.get("valid") == Some(&Value::Bool(true));
    let header = jwtkit::dangerous::Unverified::decode(token, &st.limits).header;
    let findings = header
        .as_ref()
        .map(|h| jwtkit::diagnose::Finding::for_token(h, None, validation.now()))
        .unwrap_or_default();
    ok(json!({
        "token": token,
        "input_notes": notes,
        "key": summary(&verify_keys),
        "decryption_key": summary(&decrypt_keys),
        "algorithms": algs.iter().map(|a| a.as_str()).collect::<Vec<_>>(),
        "algorithms_from": algs_from,
        "key_algorithms": opts.key_algorithms.iter().map(|a| a.as_str()).collect::<Vec<_>>(),
        "encryptions": opts.encryptions.iter().map(|a| a.as_str()).collect::<Vec<_>>(),
        "now": validation.now(),
        "jwe": jwe_json,
        "signature": signature,
        "claims": claims,
        "valid": valid,
        "diagnosis": null,
        "findings": findings_json(findings),
        "command": null,
    }))
}

/// The `(signature, claims)` answers of the one core call: the nested JWT (or unsigned claims)
/// of a JWE, or why decryption or verification failed.
fn nested(
    result: &Result<jwtkit::jwt::NestedVerified, jwtkit::jwt::NestedError>,
    verify_keys: &jwtkit::JwkSet,
    validation: &jwtkit::Validation,
    st: &State,
    notes: &mut Vec<String>,
) -> (Value, Value) {
    match result {
        Ok(n) => {
            let signature = match &n.inner {
                Some(i) => json!({
                    "verified": true,
                    "alg": i.alg,
                    "key": verify_keys.keys().get(i.key_index).map(jwtkit::Key::label),
                    "header": i.header.as_object(),
                }),
                None => {
                    notes.push(UNSIGNED.into());
                    json!({"verified": false, "result": "unsigned", "error": null})
                }
            };
            let claim_notes: Vec<&str> = if validation.audiences().is_empty() {
                vec!["aud not checked: no expected audience given"]
            } else {
                vec![]
            };
            (
                signature,
                json!({"valid": true, "error": null, "notes": claim_notes, "claims": n.claims.as_object()}),
            )
        }
        Err(jwtkit::jwt::NestedError { error, jwe: None }) => (
            json!({"verified": false, "result": "not_decrypted", "error": error.to_json()}),
            Value::Null,
        ),
        Err(jwtkit::jwt::NestedError { error, jwe: Some(d) }) if error.check().is_claims() => {
            // Claims are checked only after the nested signature verified: name its alg.
            let inner_alg = std::str::from_utf8(&d.plaintext)
                .ok()
                .and_then(|t| {
                    jwtkit::dangerous::Unverified::decode(t, &st.limits)
                        .alg()
                        .map(str::to_owned)
                })
                .filter(|_| d.plaintext.first() != Some(&b'{'));
            let signature = match inner_alg {
                Some(alg) => json!({"verified": true, "alg": alg, "key": null}),
                None => {
                    notes.push(UNSIGNED.into());
                    json!({"verified": false, "result": "unsigned", "error": null})
                }
            };
            (
                signature,
                json!({"valid": false, "error": error.to_json(), "notes": []}),
            )
        }
        Err(e) => (
            json!({"verified": false, "result": "not_verified", "error": e.to_json()}),
            Value::Null,
        ),
    }
}

const UNSIGNED: &str =
    "the JWE holds claims without a signature: anyone able to encrypt to this key could have made it";
