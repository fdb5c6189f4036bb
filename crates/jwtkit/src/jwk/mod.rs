//! JSON Web Key, [RFC 7517] (key types of RFC 7518 §6, OKP of RFC 8037 §2, AKP of RFC 9964
//! for ML-DSA, EC `secp256k1` of RFC 8812 §3.1), and JWK thumbprints, [RFC 7638].
//!
//! [`Key`] is one key from any source (JWK, PEM, DER, a raw HMAC secret), bound to its
//! [`crate::KeyFamily`] at load time; [`Key::from_jwk`] reads one JWK object, [`JwkSet`] a JWK
//! Set, and [`JwkSet::load`] any key document, detecting its [`KeyFormat`] by content;
//! [`KeySpec`] names a key to generate. Members are strict
//! base64url; `key_ops` must not repeat values (RFC 7517 §4.3); when `x5c` is present its first
//! certificate must hold the same public key (§4.7). RSA private JWKs need the CRT parameters
//! `p q dp dq qi` (RFC 7518 §6.3.2 says they SHOULD be present; aws-lc-rs needs them).
//!
//! [RFC 7517]: https://www.rfc-editor.org/rfc/rfc7517
//! [RFC 7638]: https://www.rfc-editor.org/rfc/rfc7638

mod load;
mod set;

pub use set::{IgnoredKey, JwkSet};

pub use crate::key::{Key, KeyMeta, KeyOp, KeySpec};
pub use load::KeyFormat;

use base64::Engine as _;
use serde_json::{Map, Value};

use crate::error::Result;
use crate::json::Object;
use crate::jwa::{EcCurve, MlDsa, OkpCurve};
use crate::key::{Material, bad_key, der};

fn str_member<'a>(obj: &'a Object, name: &str) -> Result<Option<&'a str>> {
    match obj.get(name) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(other) => Err(bad_key(format!(
            "JWK member \"{name}\" must be a string, found {}",
            crate::json::type_name(other)
        ))),
    }
}

fn b64_member(obj: &Object, name: &str) -> Result<Option<Vec<u8>>> {
    match str_member(obj, name)? {
        None => Ok(None),
        Some(s) => crate::base64url::decode(s)
            .map(Some)
            .map_err(|p| bad_key(format!("JWK member \"{name}\" {}", p.describe()))),
    }
}

fn required(obj: &Object, name: &str, kty: &str) -> Result<Vec<u8>> {
    b64_member(obj, name)?.ok_or_else(|| bad_key(format!("{kty} JWK is missing the \"{name}\" member")))
}

/// Left-pad a coordinate to the curve's length (some producers strip leading zeros).
fn coordinate(mut v: Vec<u8>, len: usize, name: &str, crv: &str) -> Result<Vec<u8>> {
    if v.len() > len {
        return Err(bad_key(format!(
            "EC JWK member \"{name}\" is {} bytes; {crv} needs {len}",
            v.len()
        )));
    }
    if v.len() < len {
        let mut padded = vec![0u8; len - v.len()];
        padded.append(&mut v);
        v = padded;
    }
    Ok(v)
}

fn meta_from(obj: &Object) -> Result<KeyMeta> {
    let key_ops = match obj.get("key_ops") {
        None => None,
        Some(Value::Array(a)) => {
            let mut ops: Vec<String> = Vec::with_capacity(a.len());
            for v in a {
                let Value::String(s) = v else {
                    return Err(bad_key("JWK member \"key_ops\" must be an array of strings"));
                };
                if ops.contains(s) {
                    return Err(bad_key(format!(
                        "JWK member \"key_ops\" repeats {} (RFC 7517 §4.3)",
                        crate::text::quote(s)
                    )));
                }
                ops.push(s.clone());
            }
            Some(ops)
        }
        Some(_) => {
            return Err(bad_key("JWK member \"key_ops\" must be an array of strings"));
        }
    };
    let x5c = match obj.get("x5c") {
        None => None,
        Some(Value::Array(a)) => Some(
            a.iter()
                .map(|v| match v {
                    Value::String(s) => Ok(s.clone()),
                    _ => Err(bad_key("JWK member \"x5c\" must be an array of strings")),
                })
                .collect::<Result<Vec<_>>>()?,
        ),
        Some(_) => return Err(bad_key("JWK member \"x5c\" must be an array of strings")),
    };
    Ok(KeyMeta {
        kid: str_member(obj, "kid")?.map(str::to_owned),
        alg: str_member(obj, "alg")?.map(str::to_owned),
        use_: str_member(obj, "use")?.map(str::to_owned),
        key_ops,
        x5c,
    })
}

impl Key {
    /// Build a key from one JWK object (RFC 7517 §4).
    ///
    /// # Errors
    /// `bad_key` for a missing or unsupported `kty`/`crv`, members that are not strict
    /// base64url, inconsistent components, or an `x5c` certificate holding another key.
    ///
    /// ```
    /// let jwk = serde_json::json!({"kty":"oct","k":"c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LTMyYg","kid":"k1"});
    /// let key = jwtkit::Key::from_jwk(jwk.as_object().unwrap())?;
    /// assert_eq!(key.kid(), Some("k1"));
    /// # Ok::<(), jwtkit::Error>(())
    /// ```
    pub fn from_jwk(obj: &Object) -> Result<Key> {
        let meta = meta_from(obj)?;
        let kty = str_member(obj, "kty")?.ok_or_else(|| bad_key("JWK is missing \"kty\""))?;
        let key = match kty {
            "oct" => {
                let k = required(obj, "k", "oct")?;
                if k.is_empty() {
                    return Err(bad_key(
                        "the oct JWK's \"k\" is empty: an empty key verifies nothing",
                    ));
                }
                let mut key = Key::hmac(k);
                key.meta = meta;
                key
            }
            "RSA" => {
                let n = required(obj, "n", "RSA")?;
                let e = required(obj, "e", "RSA")?;
                match b64_member(obj, "d")? {
                    None => Key::rsa_public(&n, &e, meta)?,
                    Some(d) => {
                        if obj.contains_key("oth") {
                            return Err(bad_key("multi-prime RSA keys (\"oth\") are not supported"));
                        }
                        let crt = |m: &str| -> Result<Vec<u8>> {
                            b64_member(obj, m)?.ok_or_else(|| {
                                bad_key(format!(
                                    "RSA private JWK without CRT parameter \"{m}\" is not supported \
                                     (RFC 7518 §6.3.2: p, q, dp, dq and qi should be present)"
                                ))
                            })
                        };
                        let (p, q, dp, dq, qi) = (crt("p")?, crt("q")?, crt("dp")?, crt("dq")?, crt("qi")?);
                        Key::rsa_private_components([&n, &e, &d, &p, &q, &dp, &dq, &qi], meta)?
                    }
                }
            }
            "EC" => {
                let crv = str_member(obj, "crv")?.ok_or_else(|| bad_key("EC JWK is missing \"crv\""))?;
                let curve = EcCurve::from_crv(crv).ok_or_else(|| {
                    bad_key(format!(
                        "EC curve {} is not supported (P-256, P-384, P-521, secp256k1)",
                        crate::text::quote(crv)
                    ))
                })?;
                let len = curve.coordinate_len();
                let x = coordinate(required(obj, "x", "EC")?, len, "x", crv)?;
                let y = coordinate(required(obj, "y", "EC")?, len, "y", crv)?;
                let mut point = Vec::with_capacity(1 + 2 * len);
                point.push(4);
                point.extend_from_slice(&x);
                point.extend_from_slice(&y);
                match b64_member(obj, "d")? {
                    None => Key::ec_public(curve, &point, meta)?,
                    Some(d) => Key::ec_private_components(curve, &d, &point, meta)?,
                }
            }
            "OKP" => {
                let crv = str_member(obj, "crv")?.ok_or_else(|| bad_key("OKP JWK is missing \"crv\""))?;
                let curve = OkpCurve::from_crv(crv).ok_or_else(|| {
                    bad_key(format!(
                        "OKP curve {} is not supported (Ed25519, X25519)",
                        crate::text::quote(crv)
                    ))
                })?;
                let x = required(obj, "x", "OKP")?;
                match b64_member(obj, "d")? {
                    None => Key::okp_public(curve, &x, meta)?,
                    Some(d) => Key::okp_private(curve, &d, Some(&x), meta)?,
                }
            }
            "AKP" => {
                // RFC 9964 §6: `alg` is REQUIRED on an AKP key and names the parameter set.
                let alg = meta.alg.as_deref().ok_or_else(|| {
                    bad_key("AKP JWK is missing \"alg\": RFC 9964 requires it (ML-DSA-44, ML-DSA-65 or ML-DSA-87)")
                })?;
                let params = MlDsa::from_alg(alg).ok_or_else(|| {
                    bad_key(format!(
                        "AKP JWK alg {} is not supported (ML-DSA-44, ML-DSA-65, ML-DSA-87)",
                        crate::text::quote(alg)
                    ))
                })?;
                let public = required(obj, "pub", "AKP")?;
                match b64_member(obj, "priv")? {
                    None => Key::akp_public(params, &public, meta)?,
                    Some(seed) => Key::akp_private(params, &seed, Some(&public), meta)?,
                }
            }
            other => {
                return Err(bad_key(format!(
                    "kty {} is not supported (oct, RSA, EC, OKP, AKP)",
                    crate::text::quote(other)
                )));
            }
        };
        if let Some(chain) = &key.meta.x5c {
            check_x5c(&key, chain)?;
        }
        Ok(key)
    }

    /// The key as a JWK object: public members only, or with the private ones when
    /// `include_private` (oct keys always include `k`). Metadata (`kid`, `alg`, `use`,
    /// `key_ops`, `x5c`) follows the key members.
    pub fn to_jwk(&self, include_private: bool) -> Object {
        let mut m = Map::new();
        let b = |v: &[u8]| Value::String(crate::base64url::encode(v));
        match &self.material {
            Material::Oct(s) => {
                m.insert("kty".into(), "oct".into());
                m.insert("k".into(), b(&s.bytes));
            }
            Material::Rsa(p, private) => {
                m.insert("kty".into(), "RSA".into());
                m.insert("n".into(), b(&p.n));
                m.insert("e".into(), b(&p.e));
                if include_private
                    && let Some(pk) = private
                    && let Some(info) = der::pkcs8(&pk.pkcs8)
                    && let Some([_, _, d, pp, q, dp, dq, qi]) = der::rsa_private_key(info.private_key)
                {
                    for (name, v) in [("d", d), ("p", pp), ("q", q), ("dp", dp), ("dq", dq), ("qi", qi)] {
                        m.insert(name.into(), b(v));
                    }
                }
            }
            Material::Ec(p, private) => {
                let (x, y) = p.xy();
                m.insert("kty".into(), "EC".into());
                m.insert("crv".into(), p.curve.as_str().into());
                m.insert("x".into(), b(x));
                m.insert("y".into(), b(y));
                if let (true, Some(pk)) = (include_private, private) {
                    m.insert("d".into(), b(&pk.d));
                }
            }
            Material::Okp(p, private) => {
                m.insert("kty".into(), "OKP".into());
                m.insert("crv".into(), p.curve.as_str().into());
                m.insert("x".into(), b(&p.x));
                if let (true, Some(pk)) = (include_private, private) {
                    m.insert("d".into(), b(&pk.d));
                }
            }
            Material::Akp(p, private) => {
                m.insert("kty".into(), "AKP".into());
                m.insert("pub".into(), b(&p.key));
                if include_private && let Some(seed) = private.as_ref().and_then(|pk| pk.seed.as_ref()) {
                    m.insert("priv".into(), b(seed));
                }
            }
        }
        let meta = &self.meta;
        if let Some(v) = &meta.kid {
            m.insert("kid".into(), v.clone().into());
        }
        if let Some(v) = &meta.use_ {
            m.insert("use".into(), v.clone().into());
        }
        if let Some(v) = &meta.key_ops {
            m.insert("key_ops".into(), v.clone().into());
        }
        if let Some(v) = &meta.alg {
            m.insert("alg".into(), v.clone().into());
        } else if let Material::Akp(p, _) = &self.material {
            // RFC 9964: an AKP JWK always carries its alg.
            m.insert("alg".into(), p.params.as_str().into());
        }
        if let Some(v) = &meta.x5c {
            m.insert("x5c".into(), v.clone().into());
        }
        m
    }
}

fn check_x5c(key: &Key, chain: &[String]) -> Result<()> {
    let Some(leaf) = chain.first() else {
        return Err(bad_key("JWK member \"x5c\" is an empty array"));
    };
    // x5c is standard base64 with padding (RFC 7517 §4.7), not base64url.
    let der_bytes = base64::engine::general_purpose::STANDARD
        .decode(leaf)
        .map_err(|_| bad_key("JWK member \"x5c\" is not standard base64 DER"))?;
    let cert_key = Key::from_certificate(&der_bytes)?;
    if cert_key.thumbprint() != key.thumbprint() {
        return Err(bad_key(
            "the first x5c certificate holds a different public key than the JWK (RFC 7517 §4.7)",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obj(v: serde_json::Value) -> Object {
        match v {
            Value::Object(m) => m,
            _ => unreachable!(),
        }
    }

    /// RFC 7638 §3.1 example.
    #[test]
    fn rfc7638_example() {
        let k = Key::from_jwk(&obj(serde_json::json!({
            "kty": "RSA",
            "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
            "e": "AQAB",
            "alg": "RS256",
            "kid": "2011-04-29"
        })))
        .unwrap();
        assert_eq!(k.thumbprint(), "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
        assert_eq!(k.bits(), 2048);
        assert!(!k.is_private());
    }

    #[test]
    fn key_ops_duplicates_and_types() {
        let e = Key::from_jwk(&obj(
            serde_json::json!({"kty":"oct","k":"AAAA","key_ops":["sign","sign"]}),
        ))
        .unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::BadKey);
        let e = Key::from_jwk(&obj(serde_json::json!({"kty":"oct","k":"AA=="}))).unwrap_err();
        assert!(e.message().contains("padding"), "{}", e.message());
        let e = Key::from_jwk(&obj(serde_json::json!({"kty":"XYZ"}))).unwrap_err();
        assert!(e.message().contains("kty \"XYZ\""), "{}", e.message());
    }
}
