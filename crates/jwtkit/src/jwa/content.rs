//! Content encryption, RFC 7518 §5: AES_CBC_HMAC_SHA2 (§5.2, composed here from aws-lc-rs
//! AES-CBC and HMAC) and AES GCM (§5.3).
//!
//! Decryption checks IV and tag lengths first, then the tag (HMAC tags compared in constant
//! time, *before* any CBC decryption, so no padding oracle exists), and reports every failure
//! as the fixed `decrypt_failed`.

use aws_lc_rs::cipher::{
    DecryptionContext, EncryptionContext, PaddedBlockDecryptingKey, PaddedBlockEncryptingKey,
    UnboundCipherKey,
};
use aws_lc_rs::iv::FixedLength;
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use aws_lc_rs::{cipher, constant_time, hmac};
use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::jwa::EncAlg;

/// Output of content encryption (RFC 7516 §5.1 steps 11–15).
pub(crate) struct Sealed {
    pub(crate) iv: Vec<u8>,
    pub(crate) ciphertext: Vec<u8>,
    pub(crate) tag: Vec<u8>,
}

/// A fresh random CEK for `enc`.
pub(crate) fn random_cek(enc: EncAlg) -> Result<Zeroizing<Vec<u8>>> {
    random_bytes(enc.key_len()).map(Zeroizing::new)
}

pub(crate) fn random_bytes(n: usize) -> Result<Vec<u8>> {
    let mut v = vec![0u8; n];
    SystemRandom::new()
        .fill(&mut v)
        .map_err(|_| crate::error::err!(InvalidConfig, "the system random generator failed"))?;
    Ok(v)
}

fn cbc_parts(enc: EncAlg) -> (hmac::Algorithm, &'static cipher::Algorithm) {
    match enc {
        EncAlg::A192CBC_HS384 => (hmac::HMAC_SHA384, &cipher::AES_192),
        EncAlg::A256CBC_HS512 => (hmac::HMAC_SHA512, &cipher::AES_256),
        _ => (hmac::HMAC_SHA256, &cipher::AES_128),
    }
}

fn cbc_tag(enc: EncAlg, mac_key: &[u8], aad: &[u8], iv: &[u8], ciphertext: &[u8]) -> hmac::Tag {
    let (halg, _) = cbc_parts(enc);
    let key = hmac::Key::new(halg, mac_key);
    let mut ctx = hmac::Context::with_key(&key);
    ctx.update(aad);
    ctx.update(iv);
    ctx.update(ciphertext);
    let al = (aad.len() as u64).wrapping_mul(8).to_be_bytes();
    ctx.update(&al);
    ctx.sign()
}

/// Encrypt `plaintext` with `cek` under `enc`, authenticating `aad` (RFC 7516 §5.1 step 15).
///
/// # Errors
/// `invalid_config` when the CEK length does not fit `enc` or the random generator fails.
pub(crate) fn encrypt(enc: EncAlg, cek: &[u8], aad: &[u8], plaintext: &[u8]) -> Result<Sealed> {
    if cek.len() != enc.key_len() {
        return Err(crate::error::err!(
            InvalidConfig,
            "{enc} needs a {}-byte content encryption key, got {} bytes",
            enc.key_len(),
            cek.len()
        ));
    }
    let iv = random_bytes(enc.iv_len())?;
    if enc.is_gcm() {
        let iv12: [u8; 12] = iv.as_slice().try_into().map_err(|_| Error::decrypt_failed())?;
        let (ciphertext, tag) = crate::jwa::kw::gcm_seal(cek, &iv12, aad, plaintext)?;
        return Ok(Sealed { iv, ciphertext, tag });
    }
    let half = enc.key_len() / 2;
    let (mac_key, enc_key) = cek.split_at(half);
    let (_, calg) = cbc_parts(enc);
    let iv16: [u8; 16] = iv.as_slice().try_into().map_err(|_| Error::decrypt_failed())?;
    let key = PaddedBlockEncryptingKey::cbc_pkcs7(
        UnboundCipherKey::new(calg, enc_key).map_err(|_| Error::decrypt_failed())?,
    )
    .map_err(|_| Error::decrypt_failed())?;
    let mut ciphertext = plaintext.to_vec();
    key.less_safe_encrypt(&mut ciphertext, EncryptionContext::Iv128(FixedLength::from(iv16)))
        .map_err(|_| Error::decrypt_failed())?;
    let full = cbc_tag(enc, mac_key, aad, &iv, &ciphertext);
    let tag = full.as_ref().get(..enc.tag_len()).unwrap_or_default().to_vec();
    Ok(Sealed { iv, ciphertext, tag })
}

/// Check the tag and decrypt (RFC 7516 §5.2 step 16). Lengths of CEK, IV and tag are checked
/// first; every failure is the fixed `decrypt_failed`.
pub(crate) fn decrypt(
    enc: EncAlg,
    cek: &[u8],
    aad: &[u8],
    iv: &[u8],
    ciphertext: &[u8],
    tag: &[u8],
) -> Result<Vec<u8>> {
    if cek.len() != enc.key_len() || iv.len() != enc.iv_len() || tag.len() != enc.tag_len() {
        return Err(Error::decrypt_failed());
    }
    if enc.is_gcm() {
        return crate::jwa::kw::gcm_open(cek, iv, aad, ciphertext, tag);
    }
    let half = enc.key_len() / 2;
    let (mac_key, enc_key) = cek.split_at(half);
    let full = cbc_tag(enc, mac_key, aad, iv, ciphertext);
    let expected = full.as_ref().get(..enc.tag_len()).unwrap_or_default();
    constant_time::verify_slices_are_equal(expected, tag).map_err(|_| Error::decrypt_failed())?;
    if ciphertext.is_empty() || !ciphertext.len().is_multiple_of(16) {
        return Err(Error::decrypt_failed());
    }
    let (_, calg) = cbc_parts(enc);
    let iv16: [u8; 16] = iv.try_into().map_err(|_| Error::decrypt_failed())?;
    let key = PaddedBlockDecryptingKey::cbc_pkcs7(
        UnboundCipherKey::new(calg, enc_key).map_err(|_| Error::decrypt_failed())?,
    )
    .map_err(|_| Error::decrypt_failed())?;
    let mut buf = ciphertext.to_vec();
    let n = key
        .decrypt(&mut buf, DecryptionContext::Iv128(FixedLength::from(iv16)))
        .map_err(|_| Error::decrypt_failed())?
        .len();
    buf.truncate(n);
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        let s: String = s.split_whitespace().collect();
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    /// RFC 7518 Appendix B.1 (AES_128_CBC_HMAC_SHA_256): checks the MAC construction.
    #[test]
    fn rfc7518_b1_decrypts() {
        let k = hex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
        let p = hex(
            "41 20 63 69 70 68 65 72 20 73 79 73 74 65 6d 20 6d 75 73 74 20 6e 6f 74 20 62 65 20 72 65 71 75
             69 72 65 64 20 74 6f 20 62 65 20 73 65 63 72 65 74 2c 20 61 6e 64 20 69 74 20 6d 75 73 74 20
             62 65 20 61 62 6c 65 20 74 6f 20 66 61 6c 6c 20 69 6e 74 6f 20 74 68 65 20 68 61 6e 64 73 20
             6f 66 20 74 68 65 20 65 6e 65 6d 79 20 77 69 74 68 6f 75 74 20 69 6e 63 6f 6e 76 65 6e 69 65
             6e 63 65",
        );
        let iv = hex("1a f3 8c 2d c2 b9 6f fd d8 66 94 09 23 41 bc 04");
        let a = hex(
            "54 68 65 20 73 65 63 6f 6e 64 20 70 72 69 6e 63 69 70 6c 65 20 6f 66 20 41 75 67 75 73 74 65
             20 4b 65 72 63 6b 68 6f 66 66 73",
        );
        let e = hex(
            "c8 0e df a3 2d df 39 d5 ef 00 c0 b4 68 83 42 79 a2 e4 6a 1b 80 49 f7 92 f7 6b fe 54 b9 03 a9 c9
             a9 4a c9 b4 7a d2 65 5c 5f 10 f9 ae f7 14 27 e2 fc 6f 9b 3f 39 9a 22 14 89 f1 63 62 c7 03 23 36
             09 d4 5a c6 98 64 e3 32 1c f8 29 35 ac 40 96 c8 6e 13 33 14 c5 40 19 e8 ca 79 80 df a4 b9 cf 1b
             38 4c 48 6f 3a 54 c5 10 78 15 8e e5 d7 9d e5 9f bd 34 d8 48 b3 d6 95 50 a6 76 46 34 44 27 ad e5
             4b 88 51 ff b5 98 f7 f8 00 74 b9 47 3c 82 e2 db",
        );
        let t = hex("65 2c 3f a3 6b 0a 7c 5b 32 19 fa b3 a3 0b c1 c4");
        assert_eq!(decrypt(EncAlg::A128CBC_HS256, &k, &a, &iv, &e, &t).unwrap(), p);
        let mut bad = t.clone();
        bad[15] ^= 1;
        assert!(decrypt(EncAlg::A128CBC_HS256, &k, &a, &iv, &e, &bad).is_err());
        assert!(decrypt(EncAlg::A128CBC_HS256, &k, &a, &iv, &e, &t[..15]).is_err());
    }

    #[test]
    fn round_trip_every_enc() {
        for enc in EncAlg::ALL {
            let cek = random_cek(enc).unwrap();
            let s = encrypt(enc, &cek, b"aad", b"hello world").unwrap();
            assert_eq!(s.iv.len(), enc.iv_len());
            assert_eq!(s.tag.len(), enc.tag_len());
            assert_eq!(
                decrypt(enc, &cek, b"aad", &s.iv, &s.ciphertext, &s.tag).unwrap(),
                b"hello world"
            );
            assert!(decrypt(enc, &cek, b"aaD", &s.iv, &s.ciphertext, &s.tag).is_err());
        }
    }
}
