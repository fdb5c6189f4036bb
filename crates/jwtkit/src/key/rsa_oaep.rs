//! RSA key encryption, RFC 7518 §4.2 (`RSA1_5`) and §4.3 (`RSA-OAEP`, `RSA-OAEP-256`).
//!
//! `RSA1_5` decryption follows RFC 7516 §11.5 against Bleichenbacher's attack: when the
//! PKCS #1 v1.5 unwrap fails or yields a key of the wrong length, a random CEK is used instead
//! and processing continues, so the failure surfaces only as the same `decrypt_failed` as a bad
//! tag, after the same work.

use aws_lc_rs::rsa::{
    OAEP_SHA1_MGF1SHA1, OAEP_SHA256_MGF1SHA256, OaepPrivateDecryptingKey, OaepPublicEncryptingKey,
    Pkcs1PrivateDecryptingKey, Pkcs1PublicEncryptingKey, PrivateDecryptingKey, PublicEncryptingKey,
};
use zeroize::Zeroizing;

use crate::error::{Error, Result, err};
use crate::jwa::KeyMgmtAlg;
use crate::key::{Key, Material};

/// The recipient's decryption key, parsed once per [`Key`] (parsing checks the RSA key and
/// costs more than a decryption) and shared by reference count.
fn private_key(key: &Key) -> Result<PrivateDecryptingKey> {
    match &key.material {
        // An RSASSA-PSS key (RFC 4055) never decrypts: the same decrypt_failed as any other key.
        Material::Rsa(pk, Some(p)) if !pk.pss_only => p
            .decrypting
            .get_or_init(|| PrivateDecryptingKey::from_pkcs8(&p.pkcs8).ok())
            .clone()
            .ok_or_else(Error::decrypt_failed),
        _ => Err(Error::decrypt_failed()),
    }
}

fn public_key(key: &Key) -> Result<PublicEncryptingKey> {
    if key.is_pss_only() {
        return Err(err!(
            KeyMismatch,
            "the key ({}) is an RSASSA-PSS key (RFC 4055): it signs, it does not encrypt",
            key.label()
        ));
    }
    let der = match &key.material {
        Material::Rsa(..) => key.public_key_der(),
        _ => None,
    }
    .ok_or_else(|| err!(KeyMismatch, "RSA key encryption needs an RSA key"))?;
    PublicEncryptingKey::from_der(&der).map_err(|e| err!(BadKey, "unusable RSA public key: {e}"))
}

/// Decrypt the JWE Encrypted Key with the recipient's RSA private key. For `RSA1_5`, a failed
/// unwrap or a key of the wrong length yields a random key of `cek_len` bytes (RFC 7516 §11.5).
pub(crate) fn decrypt_cek(
    alg: KeyMgmtAlg,
    key: &Key,
    encrypted_key: &[u8],
    cek_len: usize,
) -> Result<Zeroizing<Vec<u8>>> {
    let sk = private_key(key)?;
    let mut out = Zeroizing::new(vec![0u8; sk.key_size_bytes()]);
    match alg {
        KeyMgmtAlg::RSA_OAEP | KeyMgmtAlg::RSA_OAEP_256 => {
            let oaep = if alg == KeyMgmtAlg::RSA_OAEP {
                &OAEP_SHA1_MGF1SHA1
            } else {
                &OAEP_SHA256_MGF1SHA256
            };
            let k = OaepPrivateDecryptingKey::new(sk).map_err(|_| Error::decrypt_failed())?;
            let n = k
                .decrypt(oaep, encrypted_key, &mut out, None)
                .map_err(|_| Error::decrypt_failed())?
                .len();
            if n != cek_len {
                return Err(Error::decrypt_failed());
            }
            out.truncate(n);
            Ok(out)
        }
        KeyMgmtAlg::RSA1_5 => {
            let random = crate::jwa::content::random_bytes(cek_len).map(Zeroizing::new)?;
            let k = Pkcs1PrivateDecryptingKey::new(sk).map_err(|_| Error::decrypt_failed())?;
            match k.decrypt(encrypted_key, &mut out) {
                Ok(pt) if pt.len() == cek_len => {
                    let n = pt.len();
                    out.truncate(n);
                    Ok(out)
                }
                _ => Ok(random),
            }
        }
        _ => Err(Error::decrypt_failed()),
    }
}

/// Encrypt `cek` to the recipient's RSA public key.
///
/// # Errors
/// `key_mismatch` for a non-RSA key, `bad_key` when aws-lc-rs rejects the key.
pub(crate) fn encrypt_cek(alg: KeyMgmtAlg, key: &Key, cek: &[u8]) -> Result<Vec<u8>> {
    let pk = public_key(key)?;
    let mut out = vec![0u8; pk.key_size_bytes()];
    let failed = |_| err!(BadKey, "RSA encryption of the content encryption key failed");
    let n = match alg {
        KeyMgmtAlg::RSA_OAEP | KeyMgmtAlg::RSA_OAEP_256 => {
            let oaep = if alg == KeyMgmtAlg::RSA_OAEP {
                &OAEP_SHA1_MGF1SHA1
            } else {
                &OAEP_SHA256_MGF1SHA256
            };
            OaepPublicEncryptingKey::new(pk)
                .map_err(failed)?
                .encrypt(oaep, cek, &mut out, None)
                .map_err(failed)?
                .len()
        }
        KeyMgmtAlg::RSA1_5 => Pkcs1PublicEncryptingKey::new(pk)
            .map_err(failed)?
            .encrypt(cek, &mut out)
            .map_err(failed)?
            .len(),
        _ => return Err(err!(KeyMismatch, "{alg} is not an RSA algorithm")),
    };
    out.truncate(n);
    Ok(out)
}
