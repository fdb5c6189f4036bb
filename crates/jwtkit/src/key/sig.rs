//! Digital signatures and MACs for JWS (RFC 7518 §3, RFC 8037 §3.1) over aws-lc-rs.
//!
//! Callers must have run [`Key::check_use`](crate::Key::check_use) first; these functions still
//! refuse a key of the wrong family rather than misuse it.

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::{hmac, signature};

use crate::error::{Error, Result, err};
use crate::jwa::{JwsAlg, KeyFamily};
use crate::key::{Key, Material};

/// Verify `signature` over the JWS Signing Input with `key` under `alg`.
///
/// HMAC tags are compared in constant time; ECDSA signatures must be raw r‖s of exactly twice
/// the coordinate length (RFC 7518 §3.4), so a DER signature fails here (diagnosis spots it);
/// ML-DSA signatures must have the parameter set's exact length (RFC 9964, FIPS 204).
///
/// # Errors
/// `bad_signature` (fixed message) when the signature does not verify; `key_mismatch` when the
/// key's family does not fit `alg`; `bad_key` when aws-lc-rs cannot use the key for `alg`
/// (an RSA key under 2048 bits with RS384 or PS*).
pub fn verify(alg: JwsAlg, key: &Key, signing_input: &[u8], sig: &[u8]) -> Result<()> {
    match (&key.material, alg.family()) {
        (Material::Oct(secret), KeyFamily::Oct) => {
            if let Some(e) = secret.unusable() {
                return Err(e);
            }
            // `hmac::verify` without its move of the whole signing context into `Context::sign`:
            // the tag computed into a buffer by aws-lc-rs, compared in constant time by aws-lc-rs.
            let mut tag = [0u8; aws_lc_rs::digest::MAX_OUTPUT_LEN];
            let tag = hmac::sign_to_buffer(secret.hmac_key(alg), signing_input, &mut tag)
                .map_err(|_| Error::bad_signature())?;
            aws_lc_rs::constant_time::verify_slices_are_equal(tag, sig).map_err(|_| Error::bad_signature())
        }
        (Material::Rsa(p, _), KeyFamily::Rsa) => {
            if p.bits < 2048 && !p.weak_allowed {
                return Err(err!(
                    BadKey,
                    "the RSA key has {} bits, under the 2048-bit minimum of RFC 7518 §3.3: it verifies only with an explicit opt-in (--insecure-allow-weak-key, Key::allow_weak_rsa)",
                    p.bits
                ));
            }
            let v = key.parsed_verifier(alg).ok_or_else(|| {
                err!(
                    BadKey,
                    "cannot verify {alg} with a {}-bit RSA key (aws-lc-rs verifies keys under 2048 bits only with RS256 and RS512)",
                    p.bits
                )
            })?;
            v.verify_sig(signing_input, sig)
                .map_err(|_| Error::bad_signature())
        }
        (Material::Ec(p, _), KeyFamily::Ec(curve)) if p.curve == curve => {
            if sig.len() != 2 * curve.coordinate_len() {
                return Err(Error::bad_signature());
            }
            let v = key
                .parsed_verifier(alg)
                .ok_or_else(|| err!(BadKey, "invalid EC public key"))?;
            v.verify_sig(signing_input, sig)
                .map_err(|_| Error::bad_signature())
        }
        (Material::Okp(..), KeyFamily::Okp(_)) => {
            let v = key
                .parsed_verifier(alg)
                .ok_or_else(|| err!(KeyMismatch, "alg {alg} needs an Ed25519 key"))?;
            v.verify_sig(signing_input, sig)
                .map_err(|_| Error::bad_signature())
        }
        (Material::Akp(p, _), KeyFamily::Akp(params)) if p.params == params => {
            if sig.len() != params.signature_len() {
                return Err(Error::bad_signature());
            }
            let v = key
                .parsed_verifier(alg)
                .ok_or_else(|| err!(BadKey, "invalid {} public key", params.as_str()))?;
            v.verify_sig(signing_input, sig)
                .map_err(|_| Error::bad_signature())
        }
        _ => Err(err!(
            KeyMismatch,
            "alg {alg} needs {}, but the key is {}",
            alg.family(),
            key.family()
        )),
    }
}

/// Sign the JWS Signing Input with `key` under `alg`; returns the JWS Signature bytes
/// (HMAC tag, RSA signature of the modulus length, raw r‖s, 64-byte Ed25519 signature, or
/// ML-DSA signature of 2420, 3309 or 4627 bytes, hedged as FIPS 204 recommends).
///
/// # Errors
/// `key_mismatch` for a public key or a key of another family; `bad_key` if aws-lc-rs fails.
pub fn sign(alg: JwsAlg, key: &Key, signing_input: &[u8]) -> Result<Vec<u8>> {
    match (&key.material, alg.family()) {
        (Material::Oct(secret), KeyFamily::Oct) => {
            if let Some(e) = secret.unusable() {
                return Err(e);
            }
            let mut tag = [0u8; aws_lc_rs::digest::MAX_OUTPUT_LEN];
            hmac::sign_to_buffer(secret.hmac_key(alg), signing_input, &mut tag)
                .map(|tag| tag.to_vec())
                .map_err(|_| err!(BadKey, "aws-lc-rs could not compute the HMAC"))
        }
        (Material::Rsa(_, Some(private)), KeyFamily::Rsa) => {
            let enc: &'static dyn signature::RsaEncoding = match alg {
                JwsAlg::RS256 => &signature::RSA_PKCS1_SHA256,
                JwsAlg::RS384 => &signature::RSA_PKCS1_SHA384,
                JwsAlg::RS512 => &signature::RSA_PKCS1_SHA512,
                JwsAlg::PS256 => &signature::RSA_PSS_SHA256,
                JwsAlg::PS384 => &signature::RSA_PSS_SHA384,
                _ => &signature::RSA_PSS_SHA512,
            };
            let mut out = vec![0u8; private.pair.public_modulus_len()];
            private
                .pair
                .sign(enc, &SystemRandom::new(), signing_input, &mut out)
                .map_err(|_| err!(BadKey, "RSA signing failed"))?;
            Ok(out)
        }
        (Material::Ec(p, Some(private)), KeyFamily::Ec(curve)) if p.curve == curve => private
            .pair
            .sign(&SystemRandom::new(), signing_input)
            .map(|s| s.as_ref().to_vec())
            .map_err(|_| err!(BadKey, "ECDSA signing failed")),
        (Material::Okp(_, Some(private)), KeyFamily::Okp(_)) => match &private.pair {
            Some(pair) => Ok(pair.sign(signing_input).as_ref().to_vec()),
            None => Err(err!(KeyMismatch, "alg {alg} needs an Ed25519 key, not X25519")),
        },
        (Material::Akp(p, Some(private)), KeyFamily::Akp(params)) if p.params == params => {
            let mut out = vec![0u8; params.signature_len()];
            let n = private
                .pair
                .sign(signing_input, &mut out)
                .map_err(|_| err!(BadKey, "{} signing failed", params.as_str()))?;
            out.truncate(n);
            Ok(out)
        }
        (
            Material::Rsa(_, None) | Material::Ec(_, None) | Material::Okp(_, None) | Material::Akp(_, None),
            _,
        ) => Err(err!(
            KeyMismatch,
            "signing needs a private key, but {} is a public key",
            key.label()
        )),
        _ => Err(err!(
            KeyMismatch,
            "alg {alg} needs {}, but the key is {}",
            alg.family(),
            key.family()
        )),
    }
}
