//! AES Key Wrap (RFC 7518 §4.4, RFC 3394) and AES GCM key wrapping (RFC 7518 §4.7).
//!
//! A128KW and A256KW come from aws-lc-rs; A192KW, which aws-lc-rs lacks, from the RustCrypto
//! `aes-kw` crate. Every failure is the fixed `decrypt_failed`: the caller learns nothing about
//! why an unwrap failed (integrity check, length).

use aws_lc_rs::aead::{self, Aad, LessSafeKey, Nonce, UnboundKey};
use aws_lc_rs::key_wrap::{self, KeyEncryptionKey, KeyWrap};
use zeroize::Zeroizing;

use crate::error::{Error, Result};

/// Wrap `cek` (a multiple of 8 bytes, at least 16) with the key-encryption key `kek` of 16, 24
/// or 32 bytes. Output is `cek.len() + 8` bytes.
pub(crate) fn wrap(kek: &[u8], cek: &[u8]) -> Result<Vec<u8>> {
    if cek.len() < 16 || !cek.len().is_multiple_of(8) {
        return Err(crate::error::err!(
            InvalidConfig,
            "AES key wrap needs a key of a multiple of 8 bytes"
        ));
    }
    let mut out = vec![0u8; cek.len() + 8];
    let n = match kek.len() {
        16 | 32 => {
            let cipher = if kek.len() == 16 {
                &key_wrap::AES_128
            } else {
                &key_wrap::AES_256
            };
            let k = KeyEncryptionKey::new(cipher, kek).map_err(|_| Error::decrypt_failed())?;
            k.wrap(cek, &mut out).map_err(|_| Error::decrypt_failed())?.len()
        }
        24 => {
            use aes_kw::KeyInit;
            let k = aes_kw::KwAes192::new_from_slice(kek).map_err(|_| Error::decrypt_failed())?;
            k.wrap_key(cek, &mut out)
                .map_err(|_| Error::decrypt_failed())?
                .len()
        }
        _ => return Err(Error::decrypt_failed()),
    };
    out.truncate(n);
    Ok(out)
}

/// Unwrap `wrapped` with `kek`; the result is checked to be `expected_len` bytes.
pub(crate) fn unwrap(kek: &[u8], wrapped: &[u8], expected_len: usize) -> Result<Zeroizing<Vec<u8>>> {
    if wrapped.len() != expected_len + 8 || expected_len < 16 || !expected_len.is_multiple_of(8) {
        return Err(Error::decrypt_failed());
    }
    let mut out = Zeroizing::new(vec![0u8; wrapped.len()]);
    let n = match kek.len() {
        16 | 32 => {
            let cipher = if kek.len() == 16 {
                &key_wrap::AES_128
            } else {
                &key_wrap::AES_256
            };
            let k = KeyEncryptionKey::new(cipher, kek).map_err(|_| Error::decrypt_failed())?;
            k.unwrap(wrapped, &mut out)
                .map_err(|_| Error::decrypt_failed())?
                .len()
        }
        24 => {
            use aes_kw::KeyInit;
            let k = aes_kw::KwAes192::new_from_slice(kek).map_err(|_| Error::decrypt_failed())?;
            k.unwrap_key(wrapped, &mut out)
                .map_err(|_| Error::decrypt_failed())?
                .len()
        }
        _ => return Err(Error::decrypt_failed()),
    };
    if n != expected_len {
        return Err(Error::decrypt_failed());
    }
    out.truncate(n);
    Ok(out)
}

pub(crate) fn gcm_algorithm(key_len: usize) -> Option<&'static aead::Algorithm> {
    match key_len {
        16 => Some(&aead::AES_128_GCM),
        24 => Some(&aead::AES_192_GCM),
        32 => Some(&aead::AES_256_GCM),
        _ => None,
    }
}

/// AES GCM seal with a detached tag: returns (ciphertext, tag).
pub(crate) fn gcm_seal(
    key: &[u8],
    iv: &[u8; 12],
    aad: &[u8],
    plaintext: &[u8],
) -> Result<(Vec<u8>, Vec<u8>)> {
    let alg = gcm_algorithm(key.len()).ok_or_else(Error::decrypt_failed)?;
    let k = LessSafeKey::new(UnboundKey::new(alg, key).map_err(|_| Error::decrypt_failed())?);
    let mut buf = plaintext.to_vec();
    let tag = k
        .seal_in_place_separate_tag(Nonce::assume_unique_for_key(*iv), Aad::from(aad), &mut buf)
        .map_err(|_| Error::decrypt_failed())?;
    Ok((buf, tag.as_ref().to_vec()))
}

/// AES GCM open with a detached 16-byte tag and a 12-byte IV.
pub(crate) fn gcm_open(key: &[u8], iv: &[u8], aad: &[u8], ciphertext: &[u8], tag: &[u8]) -> Result<Vec<u8>> {
    let alg = gcm_algorithm(key.len()).ok_or_else(Error::decrypt_failed)?;
    let iv: [u8; 12] = iv.try_into().map_err(|_| Error::decrypt_failed())?;
    if tag.len() != 16 {
        return Err(Error::decrypt_failed());
    }
    let k = LessSafeKey::new(UnboundKey::new(alg, key).map_err(|_| Error::decrypt_failed())?);
    let mut buf = Vec::with_capacity(ciphertext.len() + 16);
    buf.extend_from_slice(ciphertext);
    buf.extend_from_slice(tag);
    let n = k
        .open_in_place(Nonce::assume_unique_for_key(iv), Aad::from(aad), &mut buf)
        .map_err(|_| Error::decrypt_failed())?
        .len();
    buf.truncate(n);
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    /// RFC 3394 §4.1, §4.2 (192-bit KEK, through aes-kw) and §4.3.
    #[test]
    fn rfc3394_vectors() {
        let data = hex("00112233445566778899AABBCCDDEEFF");
        for (kek, expected) in [
            (
                "000102030405060708090A0B0C0D0E0F",
                "1FA68B0A8112B447AEF34BD8FB5A7B829D3E862371D2CFE5",
            ),
            (
                "000102030405060708090A0B0C0D0E0F1011121314151617",
                "96778B25AE6CA435F92B5B97C050AED2468AB8A17AD84E5D",
            ),
            (
                "000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F",
                "64E8C3F9CE0F5BA263E9777905818A2A93C8191E7D6E8AE7",
            ),
        ] {
            let w = wrap(&hex(kek), &data).unwrap();
            assert_eq!(w, hex(expected));
            assert_eq!(&unwrap(&hex(kek), &w, 16).unwrap()[..], &data[..]);
            let mut bad = w.clone();
            bad[3] ^= 1;
            assert_eq!(
                unwrap(&hex(kek), &bad, 16).unwrap_err().kind(),
                crate::ErrorKind::DecryptFailed
            );
            assert!(unwrap(&hex(kek), &w, 24).is_err());
        }
    }
}
