//! Explaining a token or a key to a person, on the user's own machine (the CLI and the
//! debugger; never the gateway): what is weak about it, why it failed, and what was pasted.
//!
//! - Security findings ("lint", shared by `decode`, `verify`, `lint` and the debugger): a
//!   [`Finding`] with a stable `id`, a [`Severity`], the values involved and a one-line fix,
//!   for a token ([`Finding::for_token`]), a key ([`Finding::for_key`]), a cracked HMAC secret
//!   ([`Finding::cracked_secret`]) and a JWK Set ([`JwksReport`]); [`Finding`] lists the ids.
//!   Findings never change whether a token verifies.
//!
//! "Why did it fail?": local probing after a failed verification (PRODUCT.md "Diagnosis").
//! Verification itself never explains a bad signature (no oracle). [`Diagnosis::explain`]
//! says which keys and algorithms were tried and tests the usual mistakes:
//!
//! | hint id | mistake |
//! |---|---|
//! | `secret_is_base64` | the secret was given as text, but the token was signed with its base64/base64url-decoded bytes |
//! | `secret_is_text` | the secret was given as base64, but the token was signed with the text itself |
//! | `public_key_as_hmac_secret` | an HS* token MACed with a public key's PEM text: the algorithm-confusion **attack** |
//! | `ecdsa_der_signature` | an ES* signature in ASN.1 DER instead of raw r‖s (RFC 7518 §3.4) |
//! | `alg_mislabelled` | the signature is valid under another algorithm of the key's family |
//! | `wrong_kid` | another key of the set verifies: the token's `kid` points at the wrong key |
//! | `kid_not_in_set` | the token's `kid` is not in the set (kids present are listed) |
//! | `token_reencoded` | the token was re-encoded (padding, standard alphabet); restored, it verifies |
//! | `whitespace_in_token` | the token contains spaces or line breaks |
//! | `detached_payload` | the token's payload is empty (or its JSON `"payload"` absent): the content is probably detached (RFC 7515 Appendix F) and was not supplied |
//!
//! The gateway never calls this: it must not reveal why a signature failed to a client.
//!
//! Before any of that, [`Extracted::from_paste`] finds the token in what a person pasted
//! (`Authorization: Bearer …`, a `curl -H` line, quotes, line breaks) and reports each
//! [`Repair`] it made.

pub(crate) mod lint;
mod paste;

pub use lint::{Finding, JwksReport, KeyRow, Severity};
pub use paste::{Extracted, Repair, RepairKind};

use serde_json::{Value, json};

use crate::jwa::{AlgorithmSet, JwsAlg, KeyFamily};
use crate::jws::{CompactJws, Input};
use crate::key::{Key, KeyOp, der};
use crate::{JwkSet, Validation};

/// How the user supplied an HMAC secret, so the opposite reading can be tried.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SecretInput {
    /// Given as text, used as its UTF-8 bytes.
    Text(String),
    /// Given as base64 or base64url text (`b64:`/`b64url:`), used decoded; the string is the
    /// encoded text as typed.
    Encoded(String),
}

/// One key/algorithm combination that was tried.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attempt {
    /// The key (`kid "…"` or `thumbprint …`).
    pub key: String,
    /// The key's RFC 7638 thumbprint; None for a symmetric key ([`Key::shown_thumbprint`]).
    pub thumbprint: Option<String>,
    /// The algorithm tried.
    pub alg: String,
    /// `"verified"`, `"bad_signature"`, `"skipped: …"`, or an error kind with message.
    pub outcome: String,
}

/// A likely cause, with what to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hint {
    /// Stable id (see the module table).
    pub id: &'static str,
    /// What was found and what to do.
    pub message: String,
}

/// The result of [`Diagnosis::explain`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Diagnosis {
    /// What was tried.
    pub attempts: Vec<Attempt>,
    /// Likely causes, most specific first.
    pub hints: Vec<Hint>,
}

impl Diagnosis {
    /// As JSON: `{"attempts":[{key,thumbprint,alg,outcome}], "hints":[{id,message}]}`.
    pub fn to_json(&self) -> Value {
        json!({
            "attempts": self.attempts.iter().map(|a| json!({"key": a.key, "thumbprint": a.thumbprint, "alg": a.alg, "outcome": a.outcome})).collect::<Vec<_>>(),
            "hints": self.hints.iter().map(|h| json!({"id": h.id, "message": h.message})).collect::<Vec<_>>(),
        })
    }

    fn hint(&mut self, id: &'static str, message: String) {
        if !self.hints.iter().any(|h| h.id == id) {
            self.hints.push(Hint { id, message });
        }
    }
}

fn verifies(alg: JwsAlg, key: &Key, input: &[u8], sig: &[u8]) -> bool {
    key.family() == alg.family() && crate::key::sig::verify(alg, key, input, sig).is_ok()
}

impl Diagnosis {
    /// Probe why a token does not verify with `keys` under `validation`: `input` is the token
    /// (`&str`), or an [`Input`] with detached content ([`Input::detached`], RFC 7515
    /// Appendix F), probed over the JWS Signing Input built from that content. Either
    /// serialization is probed whatever the other [`Input`] options. Bounded work: at most a few
    /// dozen signature checks whatever the input.
    pub fn explain<'t>(
        input: impl Into<Input<'t>>,
        keys: &JwkSet,
        validation: &Validation,
        secrets: &[SecretInput],
    ) -> Diagnosis {
        let input = input.into();
        explain_inner(input.token, input.detached, keys, validation, secrets)
    }
}

const DETACHED_HINT: &str = "the payload is empty: if this JWS has detached content (RFC 7515 Appendix F), \
     supply the content to verify it (CLI: --payload @FILE; library: jwt::Input::detached)";

fn explain_inner(
    token: &str,
    detached: Option<&[u8]>,
    keys: &JwkSet,
    validation: &Validation,
    secrets: &[SecretInput],
) -> Diagnosis {
    let mut d = Diagnosis::default();
    if token.trim_start().starts_with('{') {
        json_serialization(token, detached, keys, validation, &mut d);
        return d;
    }
    if token.chars().any(char::is_whitespace) {
        d.hint(
            "whitespace_in_token",
            "the token contains spaces or line breaks; remove them (a copy from a terminal or e-mail often adds them)".into(),
        );
    }
    let compact: String = token.chars().filter(|c| !c.is_whitespace()).collect();
    let limits = validation.limits();
    let parsed = match detached {
        Some(content) => CompactJws::parse_detached(&compact, content, limits),
        None => CompactJws::parse(&compact, limits),
    };
    let jws = match parsed {
        Ok(j) => j,
        Err(_) if detached.is_some() => return d,
        Err(_) => {
            reencoded(&compact, keys, &mut d);
            return d;
        }
    };
    if detached.is_none() && jws.payload().is_empty() {
        d.hint("detached_payload", DETACHED_HINT.into());
    }
    let header = jws.header();
    let Ok(alg) = header.alg() else { return d };
    let probe = Probe {
        alg,
        kid: header.kid(),
        input: jws.signing_input(),
        sig: jws.signature(),
        keys,
    };
    probe.every_key(&mut d);
    probe.kid_and_allowlist(validation.algorithms(), &mut d);
    if alg.is_hmac() {
        probe.hmac_secrets(secrets, &mut d);
    }
    probe.ecdsa_der(&mut d);
    if !d.attempts.iter().any(|a| a.outcome == "verified") {
        probe.other_algorithm(&mut d);
    }
    d
}

/// One signature tried against the usual mistakes, each a method adding hints to a
/// [`Diagnosis`].
struct Probe<'a> {
    alg: JwsAlg,
    kid: Option<&'a str>,
    input: &'a [u8],
    sig: &'a [u8],
    keys: &'a JwkSet,
}

impl Probe<'_> {
    /// The selection verification makes, then every key of the set (at most 16).
    fn every_key(&self, d: &mut Diagnosis) {
        let (alg, kid) = (self.alg, self.kid);
        let selected = self.keys.select(kid, alg, KeyOp::Verify).unwrap_or_default();
        for key in self.keys.keys().iter().take(16) {
            let outcome = if key.family() != alg.family() {
                format!("skipped: {} cannot verify {alg}", key.family())
            } else if let Err(e) = key.check_use(alg, KeyOp::Verify) {
                format!("skipped: {}", e.message())
            } else if !selected.iter().any(|s| std::ptr::eq(*s, key)) && kid.is_some() {
                match verifies(alg, key, self.input, self.sig) {
                    true => "verified (but its kid differs from the token's)".into(),
                    false => "bad_signature (not selected: kid differs)".into(),
                }
            } else {
                match crate::key::sig::verify(alg, key, self.input, self.sig) {
                    Ok(()) => "verified".into(),
                    Err(e) => e.kind().as_str().to_string(),
                }
            };
            if outcome.starts_with("verified") && kid.is_some() && key.kid() != kid {
                d.hint(
                    "wrong_kid",
                    format!(
                        "the signature verifies with {}, but the token names kid {}: the issuer's kid and key are out of sync, or the set is stale",
                        key.label(),
                        kid.map(crate::text::quote).unwrap_or_default()
                    ),
                );
            }
            d.attempts.push(Attempt {
                key: key.label(),
                thumbprint: key.shown_thumbprint().map(str::to_owned),
                alg: alg.to_string(),
                outcome,
            });
        }
    }

    /// A `kid` the set does not have; an `alg` the allowlist does not have.
    fn kid_and_allowlist(&self, allowed: AlgorithmSet<JwsAlg>, d: &mut Diagnosis) {
        let keys = self.keys.keys();
        if let Some(kid) = self.kid
            && keys.iter().any(|k| k.kid().is_some())
            && !keys.iter().any(|k| k.kid() == Some(kid))
        {
            d.hint(
                "kid_not_in_set",
                format!(
                    "the token's kid {} is not in the key set (kids present: {}); the issuer may have rotated keys: refresh the JWKS",
                    crate::text::quote(kid),
                    self.keys.labels().join(", ")
                ),
            );
        }
        if !allowed.contains(self.alg) {
            d.hint(
                "alg_not_allowed",
                format!(
                    "the token uses {}, which is not in the allowed algorithms ({allowed})",
                    self.alg
                ),
            );
        }
    }

    /// HMAC: the secret in another encoding, and the public-key-as-secret attack.
    fn hmac_secrets(&self, secrets: &[SecretInput], d: &mut Diagnosis) {
        let alg = self.alg;
        for s in secrets.iter().take(4) {
            for (bytes, id, how) in alternatives(s) {
                if verifies(alg, &Key::hmac(bytes), self.input, self.sig) {
                    d.hint(id, how);
                }
            }
        }
        let public = self.keys.keys().iter().filter(|k| k.family() != KeyFamily::Oct);
        for key in public.take(8) {
            if let Some(form) = public_key_as_secret(alg, key, self.input, self.sig) {
                d.hint(
                    "public_key_as_hmac_secret",
                    format!(
                        "ATTACK: this {alg} token is MACed with the {form} of the public key {} used as an HMAC secret (algorithm confusion); \
                         a verifier that lets the token choose the algorithm would accept it. jwtkit never does",
                        key.label()
                    ),
                );
            }
        }
    }

    /// ECDSA signatures in DER instead of raw r‖s.
    fn ecdsa_der(&self, d: &mut Diagnosis) {
        if let KeyFamily::Ec(curve) = self.alg.family()
            && self.sig.first() == Some(&0x30)
            && let Some(raw) = der::ecdsa_der_to_raw(self.sig, curve.coordinate_len())
            && self
                .keys
                .keys()
                .iter()
                .take(8)
                .any(|k| verifies(self.alg, k, self.input, &raw))
        {
            d.hint(
                "ecdsa_der_signature",
                format!(
                    "the signature is ASN.1 DER; JOSE requires raw r‖s of {} bytes (RFC 7518 §3.4): the signer must convert it (the token's signature is otherwise correct)",
                    2 * curve.coordinate_len()
                ),
            );
        }
    }

    /// Another algorithm of the same family that verifies: a mislabelled `alg`.
    fn other_algorithm(&self, d: &mut Diagnosis) {
        let alg = self.alg;
        // EdDSA and Ed25519 (RFC 9864) name the same signature: not another algorithm.
        let same = |a: JwsAlg| {
            a == alg || (a.family() == alg.family() && matches!(a, JwsAlg::EdDSA | JwsAlg::Ed25519))
        };
        for other in AlgorithmSet::<JwsAlg>::family(alg.family())
            .iter()
            .filter(|a| !same(*a))
        {
            let keys = self.keys.keys().iter().take(8);
            if let Some(k) = keys
                .into_iter()
                .find(|k| verifies(other, k, self.input, self.sig))
            {
                d.hint(
                    "alg_mislabelled",
                    format!(
                        "the signature is valid as {other} with {}, but the header says {alg}: the signer mislabels its algorithm",
                        k.label()
                    ),
                );
            }
        }
    }
}

/// The other readings of a secret as the user typed it.
fn alternatives(s: &SecretInput) -> Vec<(Vec<u8>, &'static str, String)> {
    use base64::Engine as _;
    let mut out = Vec::new();
    match s {
        SecretInput::Text(t) => {
            let trimmed = t.trim_end_matches('=');
            let engines = [
                (&base64::engine::general_purpose::STANDARD_NO_PAD, "b64:"),
                (&base64::engine::general_purpose::URL_SAFE_NO_PAD, "b64url:"),
            ];
            for (engine, prefix) in engines {
                if let Ok(bytes) = engine.decode(trimmed)
                    && !bytes.is_empty()
                {
                    out.push((
                        bytes,
                        "secret_is_base64",
                        format!(
                            "the secret was given as text, but the token was signed with its base64-decoded bytes: use --secret {prefix}<the same text>"
                        ),
                    ));
                }
            }
            for suffix in ["\n", "\r\n"] {
                if !t.ends_with(suffix) {
                    out.push((
                        format!("{t}{suffix}").into_bytes(),
                        "secret_whitespace",
                        "the token was signed with the secret plus a trailing newline (a secret file written by echo?): \
                         the issuer should sign with the secret alone"
                            .into(),
                    ));
                }
            }
            if t.ends_with('\n') || t.starts_with(char::is_whitespace) || t.ends_with(char::is_whitespace) {
                out.push((
                    t.trim().as_bytes().to_vec(),
                    "secret_whitespace",
                    "the secret has leading or trailing whitespace (often a newline from a file); the token was signed without it".into(),
                ));
            }
        }
        SecretInput::Encoded(t) => out.push((
            t.as_bytes().to_vec(),
            "secret_is_text",
            "the secret was given as base64, but the token was signed with the text itself: pass it without the b64: prefix".into(),
        )),
    }
    out
}

/// Try the usual textual forms of a public key as an HMAC secret.
fn public_key_as_secret(alg: JwsAlg, key: &Key, input: &[u8], sig: &[u8]) -> Option<&'static str> {
    let pem = key.public_key_pem()?;
    let mut forms: Vec<(Vec<u8>, &'static str)> = vec![
        (pem.clone().into_bytes(), "PEM text"),
        (pem.trim_end().as_bytes().to_vec(), "PEM text"),
        (pem.replace('\n', "\r\n").into_bytes(), "PEM text"),
    ];
    if let Some(der_bytes) = key.public_key_der() {
        forms.push((der_bytes, "DER bytes"));
    }
    if let Ok(j) = serde_json::to_vec(&key.to_jwk(false)) {
        forms.push((j, "JWK JSON"));
    }
    forms
        .into_iter()
        .find(|(secret, _)| {
            verifies(
                alg,
                &Key::hmac(secret.clone()).allow_public_key_secret(),
                input,
                sig,
            )
        })
        .map(|(_, f)| f)
}

/// A token that fails strict parsing: restore canonical base64url and check the signature.
fn reencoded(token: &str, keys: &JwkSet, d: &mut Diagnosis) {
    let parts: Vec<&str> = token.split('.').collect();
    if parts.len() != 3 {
        return;
    }
    let fix = |s: &str| crate::base64url::decode_lenient(s).map(crate::base64url::encode);
    let (Some(h), Some(p), Some(s)) = (
        parts.first().and_then(|x| fix(x)),
        parts.get(1).and_then(|x| fix(x)),
        parts.get(2).and_then(|x| fix(x)),
    ) else {
        return;
    };
    let restored = format!("{h}.{p}.{s}");
    if restored == token {
        return;
    }
    let Ok(jws) = CompactJws::parse(&restored, &crate::Limits::default()) else {
        return;
    };
    let Ok(alg) = jws.header().alg() else { return };
    if keys
        .keys()
        .iter()
        .take(8)
        .any(|k| verifies(alg, k, jws.signing_input(), jws.signature()))
    {
        d.hint(
            "token_reencoded",
            "the token was re-encoded (base64 padding or the standard alphabet); restored to base64url it verifies: fix the tool that altered it".into(),
        );
    }
}

/// A JWS JSON serialization (RFC 7515 §7.2): every signature against every key (at most 16
/// attempts). Whitespace is legal there, so no re-encoding probes apply.
fn json_serialization(
    token: &str,
    detached: Option<&[u8]>,
    keys: &JwkSet,
    validation: &Validation,
    d: &mut Diagnosis,
) {
    let Ok(jws) = crate::jws::JwsJson::parse(token, validation.limits()) else {
        return;
    };
    let segment = match detached {
        Some(content) => match jws.detached_segment(content, validation.limits()) {
            Ok(s) => Some(s),
            Err(_) => return,
        },
        None if jws.payload().is_empty() => {
            d.hint("detached_payload", DETACHED_HINT.into());
            if jws.is_detached() {
                return;
            }
            None
        }
        None => None,
    };
    for (i, sig) in jws.signatures().iter().enumerate() {
        let Ok(alg) = sig.header().and_then(|h| h.alg()) else {
            continue;
        };
        let input = match &segment {
            Some(s) => crate::jws::json_signing_input(sig, s),
            None => jws.signing_input(sig),
        };
        for key in keys.keys().iter().take(16 - d.attempts.len().min(16)) {
            let outcome = match key.check_use(alg, KeyOp::Verify) {
                Err(e) => format!("skipped: {}", e.message()),
                Ok(()) if !validation.algorithms().contains(alg) => {
                    format!("not tried: {alg} is not in the allowed algorithms")
                }
                Ok(()) => match crate::key::sig::verify(alg, key, &input, sig.signature()) {
                    Ok(()) => "verified".into(),
                    Err(e) => e.kind().as_str().to_string(),
                },
            };
            d.attempts.push(Attempt {
                key: format!("signature {i}: {}", key.label()),
                thumbprint: key.shown_thumbprint().map(str::to_owned),
                alg: alg.to_string(),
                outcome,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A token signed with the secret plus "\n" (a secret file written by `echo`), verified
    /// with the secret alone.
    #[test]
    fn secret_with_trailing_newline_is_spotted() {
        let secret = "a-secret-that-is-long-enough-32b";
        let signer_key = Key::hmac(format!("{secret}\n").into_bytes());
        let token = crate::jws::Signer::new(&signer_key, JwsAlg::HS256)
            .and_then(|s| s.build())
            .and_then(|s| s.sign(b"{\"sub\":\"1\"}"))
            .unwrap();
        let keys = JwkSet::from_keys(vec![Key::hmac(secret.as_bytes().to_vec())]);
        let v = Validation::builder(JwsAlg::HS256).build().unwrap();
        let d = Diagnosis::explain(&token, &keys, &v, &[SecretInput::Text(secret.into())]);
        assert!(
            d.hints.iter().any(|h| h.id == "secret_whitespace"),
            "{:?}",
            d.hints
        );
    }
}
