//! ECDH-ES key agreement, RFC 7518 §4.6 (P-256, P-384, P-521) and RFC 8037 §3.2 (X25519),
//! with the Concat KDF of NIST SP 800-56A §5.8.1 (aws-lc-rs one-step SSKDF with SHA-256).
//!
//! The ephemeral public key `epk` comes from the token: it must be on the recipient key's
//! curve (`crv` equal, coordinates of the exact length, point on the curve; aws-lc-rs checks
//! the point when it parses it). Any problem is the fixed `decrypt_failed`.

use aws_lc_rs::agreement::{self, PrivateKey, UnparsedPublicKey};
use aws_lc_rs::encoding::{AsBigEndian, EcPublicKeyUncompressedBin};
use aws_lc_rs::kdf;
use serde_json::Value;
use zeroize::Zeroizing;

use crate::error::{Error, Result, err};
use crate::json::Object;
use crate::jwa::{EcCurve, KeyFamily, OkpCurve};
use crate::key::{Key, Material};

fn agreement_alg(family: KeyFamily) -> Option<&'static agreement::Algorithm> {
    match family {
        KeyFamily::Ec(EcCurve::P256) => Some(&agreement::ECDH_P256),
        KeyFamily::Ec(EcCurve::P384) => Some(&agreement::ECDH_P384),
        KeyFamily::Ec(EcCurve::P521) => Some(&agreement::ECDH_P521),
        KeyFamily::Okp(OkpCurve::X25519) => Some(&agreement::X25519),
        _ => None,
    }
}

/// Concat KDF (RFC 7518 §4.6.2): `key_len` bytes from the shared secret `z`.
pub(crate) fn concat_kdf(
    z: &[u8],
    algorithm_id: &str,
    apu: &[u8],
    apv: &[u8],
    key_len: usize,
) -> Result<Zeroizing<Vec<u8>>> {
    let mut info = Vec::with_capacity(16 + algorithm_id.len() + apu.len() + apv.len());
    for part in [algorithm_id.as_bytes(), apu, apv] {
        let n = u32::try_from(part.len()).map_err(|_| Error::decrypt_failed())?;
        info.extend_from_slice(&n.to_be_bytes());
        info.extend_from_slice(part);
    }
    let bits = u32::try_from(key_len * 8).map_err(|_| Error::decrypt_failed())?;
    info.extend_from_slice(&bits.to_be_bytes());
    let alg = kdf::get_sskdf_digest_algorithm(kdf::SskdfDigestAlgorithmId::Sha256)
        .ok_or_else(Error::decrypt_failed)?;
    let mut out = Zeroizing::new(vec![0u8; key_len]);
    kdf::sskdf_digest(alg, z, &info, &mut out).map_err(|_| Error::decrypt_failed())?;
    Ok(out)
}

fn b64_field(epk: &Object, name: &str) -> Result<Vec<u8>> {
    epk.get(name)
        .and_then(Value::as_str)
        .and_then(|s| crate::base64url::decode(s).ok())
        .ok_or_else(Error::decrypt_failed)
}

/// The public key bytes of a token's `epk` for the recipient's `family`: 0x04 ‖ x ‖ y for EC,
/// the 32-byte `x` for X25519. Wrong `kty`/`crv`, lengths or private members: `decrypt_failed`.
fn epk_point(epk: &Object, family: KeyFamily) -> Result<Vec<u8>> {
    if epk.contains_key("d") {
        return Err(Error::decrypt_failed());
    }
    let kty = epk.get("kty").and_then(Value::as_str);
    let crv = epk.get("crv").and_then(Value::as_str);
    match family {
        KeyFamily::Ec(curve) if kty == Some("EC") && crv == Some(curve.as_str()) => {
            let (x, y) = (b64_field(epk, "x")?, b64_field(epk, "y")?);
            let n = curve.coordinate_len();
            if x.len() != n || y.len() != n {
                return Err(Error::decrypt_failed());
            }
            let mut p = Vec::with_capacity(1 + 2 * n);
            p.push(0x04);
            p.extend_from_slice(&x);
            p.extend_from_slice(&y);
            Ok(p)
        }
        KeyFamily::Okp(OkpCurve::X25519) if kty == Some("OKP") && crv == Some("X25519") => {
            let x = b64_field(epk, "x")?;
            if x.len() != 32 {
                return Err(Error::decrypt_failed());
            }
            Ok(x)
        }
        _ => Err(Error::decrypt_failed()),
    }
}

/// The recipient's ECDH private key, parsed once per [`Key`].
fn private_key<'k>(key: &'k Key, alg: &'static agreement::Algorithm) -> Option<&'k PrivateKey> {
    let (d, cell) = match &key.material {
        Material::Ec(_, Some(p)) => (&p.d, &p.agreement),
        Material::Okp(p, Some(s)) if p.curve == OkpCurve::X25519 => (&s.d, &s.agreement),
        _ => return None,
    };
    cell.get_or_init(|| PrivateKey::from_private_key(alg, d).ok())
        .as_ref()
}

/// Recipient side: the agreed key of `key_len` bytes from the recipient's private `key` and
/// the token's `epk`.
pub(crate) fn derive_for_recipient(
    key: &Key,
    epk: &Object,
    algorithm_id: &str,
    apu: &[u8],
    apv: &[u8],
    key_len: usize,
) -> Result<Zeroizing<Vec<u8>>> {
    let family = key.family();
    let alg = agreement_alg(family).ok_or_else(Error::decrypt_failed)?;
    let sk = private_key(key, alg).ok_or_else(Error::decrypt_failed)?;
    let point = epk_point(epk, family)?;
    let z = agreement::agree(
        sk,
        UnparsedPublicKey::new(alg, &point),
        Error::decrypt_failed(),
        |z| Ok(Zeroizing::new(z.to_vec())),
    )?;
    concat_kdf(&z, algorithm_id, apu, apv, key_len)
}

/// Sender side: a fresh ephemeral key on the recipient's curve; returns the `epk` JWK (public
/// members only) and the agreed key of `key_len` bytes.
///
/// # Errors
/// `key_mismatch` when the recipient key is not EC P-256/384/521 or X25519.
pub(crate) fn derive_for_sender(
    recipient: &Key,
    algorithm_id: &str,
    apu: &[u8],
    apv: &[u8],
    key_len: usize,
) -> Result<(Object, Zeroizing<Vec<u8>>)> {
    let family = recipient.family();
    let alg = agreement_alg(family).ok_or_else(|| {
        err!(
            KeyMismatch,
            "ECDH-ES needs an EC (P-256, P-384, P-521) or X25519 key"
        )
    })?;
    let peer: &[u8] = match &recipient.material {
        Material::Ec(p, _) => &p.point,
        Material::Okp(p, _) => &p.x,
        _ => return Err(err!(KeyMismatch, "ECDH-ES needs an EC or X25519 key")),
    };
    let bad = || err!(InvalidConfig, "ephemeral key generation failed");
    let sk = PrivateKey::generate(alg).map_err(|_| bad())?;
    let pk = sk.compute_public_key().map_err(|_| bad())?;
    let mut epk = Object::new();
    match family {
        KeyFamily::Ec(curve) => {
            let bin: EcPublicKeyUncompressedBin<'_> = pk.as_be_bytes().map_err(|_| bad())?;
            let raw = bin.as_ref();
            let n = curve.coordinate_len();
            let x = raw.get(1..1 + n).ok_or_else(bad)?;
            let y = raw.get(1 + n..1 + 2 * n).ok_or_else(bad)?;
            epk.insert("kty".into(), "EC".into());
            epk.insert("crv".into(), curve.as_str().into());
            epk.insert("x".into(), crate::base64url::encode(x).into());
            epk.insert("y".into(), crate::base64url::encode(y).into());
        }
        _ => {
            epk.insert("kty".into(), "OKP".into());
            epk.insert("crv".into(), "X25519".into());
            epk.insert("x".into(), crate::base64url::encode(pk.as_ref()).into());
        }
    }
    let z = agreement::agree(
        &sk,
        UnparsedPublicKey::new(alg, peer),
        err!(KeyMismatch, "the recipient's public key is not usable for ECDH"),
        |z| Ok(Zeroizing::new(z.to_vec())),
    )?;
    Ok((epk, concat_kdf(&z, algorithm_id, apu, apv, key_len)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 7518 Appendix C: ECDH-ES with A128GCM, derived key `VqqN6vgjbSBcIijNcacQGg`.
    #[test]
    fn rfc7518_appendix_c() {
        let bob: Object = serde_json::from_str(
            r#"{"kty":"EC","crv":"P-256","x":"weNJy2HscCSM6AEDTDg04biOvhFhyyWvOHQfeF_PxMQ","y":"e8lnCO-AlStT-NJVX-crhB7QRYhiix03illJOVAOyck","d":"VEmDZpDXXK8p8N0Cndsxs924q6nS1RXFASRl6BfUqdw"}"#,
        )
        .unwrap();
        let key = Key::from_jwk(&bob).unwrap();
        let epk: Object = serde_json::from_str(
            r#"{"kty":"EC","crv":"P-256","x":"gI0GAILBdu7T53akrFmMyGcsF3n5dO7MmwNBHKW5SV0","y":"SLW_xSffzlPWrHEVI30DHM_4egVwt3NQqeUD7nMFpps"}"#,
        )
        .unwrap();
        let k = derive_for_recipient(&key, &epk, "A128GCM", b"Alice", b"Bob", 16).unwrap();
        assert_eq!(crate::base64url::encode(&k[..]), "VqqN6vgjbSBcIijNcacQGg");

        // A point off the curve (y changed), a wrong curve name, a private member: rejected.
        let mut off = epk.clone();
        off.insert("y".into(), "SLW_xSffzlPWrHEVI30DHM_4egVwt3NQqeUD7nMFppt".into());
        for bad in [
            off,
            {
                let mut e = epk.clone();
                e.insert("crv".into(), "P-384".into());
                e
            },
            {
                let mut e = epk.clone();
                e.insert("d".into(), "AA".into());
                e
            },
        ] {
            let e = derive_for_recipient(&key, &bad, "A128GCM", b"Alice", b"Bob", 16).unwrap_err();
            assert_eq!(e.kind(), crate::ErrorKind::DecryptFailed);
        }
    }
}
