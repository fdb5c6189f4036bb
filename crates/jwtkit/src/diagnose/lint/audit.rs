//! A JWK Set as a person reviews it (`jwtkit jwks show`): one row per member (RFC 7517 §5) with
//! its RFC 7638 thumbprint, and findings about the set.
//!
//! | id | severity | what |
//! |---|---|---|
//! | `private_key_in_set` | high | a member carries private members (`d`, `p`, ..., or an `oct` `k`) |
//! | `weak_rsa_key` | high | RSA modulus under 2048 bits (RFC 7518 §3.3) |
//! | `alg_kty_mismatch` | high | `alg` cannot be used with the key's `kty`/`crv` |
//! | `duplicate_kid` | medium | several members share a `kid` (RFC 7517 §4.5: SHOULD be distinct) |
//! | `expired_certificate` | medium | an `x5c` certificate is expired or not yet valid |
//! | `missing_kid` | low | a member has no `kid`: verifiers must try keys in turn |
//! | `ignored_key` | low | a member cannot be used (unsupported `kty`, bad members) |

use crate::jwt::NumericDate;
use serde_json::{Value, json};

use super::{Finding, Severity};
use crate::JwkSet;
use crate::json::Object;
use crate::jwa::{JwsAlg, KeyFamily};

/// One member of a JWK Set, for display.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyRow {
    /// Position in the `keys` array.
    pub index: usize,
    /// `kid`.
    pub kid: Option<String>,
    /// `kty` as written.
    pub kty: String,
    /// The curve (`P-256`, `Ed25519`) or the size (`2048 bits`).
    pub size: String,
    /// `alg`.
    pub alg: Option<String>,
    /// `use`.
    pub use_: Option<String>,
    /// RFC 7638 thumbprint (SHA-256, base64url); None for ignored members.
    pub thumbprint: Option<String>,
    /// True when the member carries private key material.
    pub private: bool,
    /// Why the member is unusable, when it is.
    pub ignored: Option<String>,
}

impl KeyRow {
    /// As JSON: `{"index","kid","kty","size","alg","use","thumbprint","private","ignored"}`.
    pub fn to_json(&self) -> Value {
        json!({
            "index": self.index, "kid": self.kid, "kty": self.kty, "size": self.size, "alg": self.alg,
            "use": self.use_, "thumbprint": self.thumbprint, "private": self.private, "ignored": self.ignored,
        })
    }
}

/// Rows and findings for a JWK Set document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JwksReport {
    /// One row per member, in document order.
    pub keys: Vec<KeyRow>,
    /// Findings, most severe first.
    pub findings: Vec<Finding>,
}

const PRIVATE_MEMBERS: &[&str] = &["d", "p", "q", "dp", "dq", "qi", "oth"];

fn finding(id: &'static str, severity: Severity, message: String, fix: &'static str) -> Finding {
    Finding {
        id,
        severity,
        message,
        fix,
    }
}

fn label(index: usize, kid: Option<&str>) -> String {
    match kid {
        Some(k) => format!("key #{index} (kid {})", crate::text::quote(k)),
        None => format!("key #{index}"),
    }
}

/// Whether JWK `alg` fits the key family; None when `alg` is not a known JOSE algorithm.
fn alg_fits(alg: &str, fam: KeyFamily) -> Option<bool> {
    if let Ok(a) = alg.parse::<JwsAlg>() {
        return Some(a.family() == fam);
    }
    let fits = match alg {
        "RSA1_5" | "RSA-OAEP" | "RSA-OAEP-256" => fam == KeyFamily::Rsa,
        "A128KW" | "A192KW" | "A256KW" | "dir" | "A128GCMKW" | "A192GCMKW" | "A256GCMKW" => {
            fam == KeyFamily::Oct
        }
        "ECDH-ES" | "ECDH-ES+A128KW" | "ECDH-ES+A192KW" | "ECDH-ES+A256KW" => {
            matches!(fam, KeyFamily::Ec(_) | KeyFamily::Okp(crate::OkpCurve::X25519))
        }
        _ => return None,
    };
    Some(fits)
}

/// RSA modulus size from the raw `n` member (also for members too small to load).
fn raw_rsa_bits(m: &Object) -> Option<usize> {
    let n = crate::base64url::decode(m.get("n")?.as_str()?).ok()?;
    let start = n.iter().position(|b| *b != 0)?;
    let first = n.get(start)?;
    Some((n.len() - start - 1) * 8 + (8 - first.leading_zeros() as usize))
}

impl JwksReport {
    /// Review a JWK Set: `doc` is the document, `set` its parse ([`JwkSet::from_object`]),
    /// `now` the time (Unix seconds) for certificate validity.
    pub fn new(doc: &Object, set: &JwkSet, now: i64) -> JwksReport {
        let entries: &[Value] = match doc.get("keys") {
            Some(Value::Array(a)) => a,
            _ => &[],
        };
        let mut keys = Vec::new();
        let mut findings = Vec::new();
        let mut usable = set.keys().iter();
        let mut kids: Vec<(String, usize)> = Vec::new();
        for (index, entry) in entries.iter().enumerate() {
            let empty = Object::new();
            let m = entry.as_object().unwrap_or(&empty);
            let s = |name: &str| m.get(name).and_then(Value::as_str).map(str::to_owned);
            let kid = s("kid");
            let ignored = set
                .ignored()
                .iter()
                .find(|i| i.index == index)
                .map(|i| i.reason.clone());
            let key = if ignored.is_none() { usable.next() } else { None };
            let kty = s("kty").unwrap_or_else(|| "?".into());
            let private = PRIVATE_MEMBERS.iter().any(|p| m.contains_key(*p)) || kty == "oct";
            let rsa_bits = (kty == "RSA").then(|| raw_rsa_bits(m)).flatten();
            let size = match (key, s("crv"), rsa_bits) {
                (Some(k), _, _) if k.family() == KeyFamily::Rsa || k.family() == KeyFamily::Oct => {
                    format!("{} bits", k.bits())
                }
                (_, Some(crv), _) => crv,
                (_, None, Some(bits)) => format!("{bits} bits"),
                _ => "?".into(),
            };
            let l = label(index, kid.as_deref());
            if private {
                findings.push(finding(
                    "private_key_in_set",
                    Severity::High,
                    format!("{l} contains private key material ({kty}): a published JWK Set must hold public keys only"),
                    "publish only the public members (jwtkit jwk public) and rotate the exposed key",
                ));
            }
            if let Some(bits) = rsa_bits
                && bits < 2048
            {
                findings.push(finding(
                    "weak_rsa_key",
                    Severity::High,
                    format!("{l} is a {bits}-bit RSA key; RFC 7518 §3.3 requires at least 2048"),
                    "rotate to a 2048-bit or larger RSA key, or to ES256/EdDSA",
                ));
            }
            if let (Some(k), Some(alg)) = (key, s("alg"))
                && alg_fits(&alg, k.family()) == Some(false)
            {
                findings.push(finding(
                    "alg_kty_mismatch",
                    Severity::High,
                    format!("{l} has alg {} but is {}", crate::text::quote(&alg), k.family()),
                    "set alg to an algorithm of the key's type and curve, or remove it",
                ));
            }
            match &kid {
                Some(k) => match kids.iter_mut().find(|(x, _)| x == k) {
                    Some((_, n)) => *n += 1,
                    None => kids.push((k.clone(), 1)),
                },
                None => findings.push(finding(
                    "missing_kid",
                    Severity::Low,
                    format!("{l} has no kid: verifiers cannot select it and must try keys in turn"),
                    "give every key a distinct kid (its RFC 7638 thumbprint is a good choice)",
                )),
            }
            if let Some(Value::Array(chain)) = m.get("x5c") {
                for (ci, cert) in chain.iter().enumerate().take(10) {
                    let der = cert.as_str().and_then(|c| {
                        use base64::Engine as _;
                        base64::engine::general_purpose::STANDARD.decode(c).ok()
                    });
                    let Some((nbf, naf)) = der.as_deref().and_then(crate::key::certificate_validity) else {
                        continue;
                    };
                    let state = if now > naf {
                        "expired"
                    } else if now < nbf {
                        "not yet valid"
                    } else {
                        continue;
                    };
                    findings.push(finding(
                        "expired_certificate",
                        Severity::Medium,
                        format!(
                            "{l}: x5c certificate #{ci} is {state} (valid {} to {})",
                            NumericDate(nbf as f64),
                            NumericDate(naf as f64)
                        ),
                        "renew the certificate and republish the key with the new x5c chain",
                    ));
                }
            }
            if let Some(reason) = &ignored {
                findings.push(finding(
                    "ignored_key",
                    Severity::Low,
                    format!("{l} cannot be used: {reason}"),
                    "fix or remove the member; verifiers ignore it (RFC 7517 §5)",
                ));
            }
            keys.push(KeyRow {
                index,
                kid,
                kty,
                size,
                alg: s("alg"),
                use_: s("use"),
                thumbprint: key.map(|k| k.thumbprint().to_string()),
                private,
                ignored,
            });
        }
        for (kid, n) in kids.into_iter().filter(|(_, n)| *n > 1) {
            findings.push(finding(
                "duplicate_kid",
                Severity::Medium,
                format!(
                    "{n} keys share kid {}: a verifier may pick the wrong one",
                    crate::text::quote(&kid)
                ),
                "give every key a distinct kid (RFC 7517 §4.5)",
            ));
        }
        findings.sort_by_key(|f| std::cmp::Reverse(f.severity));
        JwksReport { keys, findings }
    }

    /// As JSON: `{"keys": [rows], "findings": [findings]}`.
    pub fn to_json(&self) -> Value {
        json!({
            "keys": self.keys.iter().map(KeyRow::to_json).collect::<Vec<_>>(),
            "findings": self.findings.iter().map(Finding::to_json).collect::<Vec<_>>(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn findings_for_a_bad_set() {
        let doc = json!({"keys":[
            {"kty":"EC","crv":"P-256","kid":"a","alg":"RS256",
             "x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"},
            {"kty":"EC","crv":"P-256","kid":"a","d":"jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI",
             "x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"},
            {"kty":"RSA","n":"AQAB","e":"AQAB"},
            {"kty":"XYZ","kid":"z"}
        ]});
        let obj = doc.as_object().unwrap();
        let set = JwkSet::from_object(obj, &crate::Limits::default()).unwrap();
        let r = JwksReport::new(obj, &set, 1_700_000_000);
        let ids: Vec<&str> = r.findings.iter().map(|f| f.id).collect();
        for want in [
            "private_key_in_set",
            "weak_rsa_key",
            "alg_kty_mismatch",
            "duplicate_kid",
            "missing_kid",
            "ignored_key",
        ] {
            assert!(ids.contains(&want), "{want} missing from {ids:?}");
        }
        assert_eq!(r.keys.len(), 4);
        assert_eq!(r.keys[0].size, "P-256");
        assert_eq!(
            r.keys[0].thumbprint.as_deref(),
            Some("oKIywvGUpTVTyxMQ3bwIIeQUudfr_CkLMjCE19ECD-U")
        );
        assert_eq!(r.keys[2].size, "17 bits");
        assert!(r.keys[3].ignored.is_some());
    }
}
