//! PBES2 key derivation, RFC 7518 §4.8: PBKDF2 with HMAC-SHA-256/384/512 over the password,
//! salted with `UTF8(alg) ‖ 0x00 ‖ p2s`, then AES Key Wrap with the derived key.
//!
//! The iteration count `p2c` comes from the token: the caller checks it against
//! [`crate::Limits::max_pbes2_count`] *before* calling here, so a hostile token cannot make
//! jwtkit do unbounded work.

use std::num::NonZeroU32;

use aws_lc_rs::pbkdf2;
use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::jwa::KeyMgmtAlg;

/// Minimum salt input length, RFC 7518 §4.8.1.1 ("8 or more octets").
pub(crate) const MIN_SALT_LEN: usize = 8;
/// Iteration count used when encrypting unless the caller sets one (OWASP-style 600k is far
/// above what most decryptors accept; 10,000 matches the default decryption bound).
pub const DEFAULT_P2C: u32 = 10_000;

/// The key-encryption key for `alg` from `password`, `p2s` and `p2c`.
pub(crate) fn derive(alg: KeyMgmtAlg, password: &[u8], p2s: &[u8], p2c: u32) -> Result<Zeroizing<Vec<u8>>> {
    let (prf, len) = match alg {
        KeyMgmtAlg::PBES2_HS256_A128KW => (pbkdf2::PBKDF2_HMAC_SHA256, 16),
        KeyMgmtAlg::PBES2_HS384_A192KW => (pbkdf2::PBKDF2_HMAC_SHA384, 24),
        KeyMgmtAlg::PBES2_HS512_A256KW => (pbkdf2::PBKDF2_HMAC_SHA512, 32),
        _ => return Err(Error::decrypt_failed()),
    };
    let iterations = NonZeroU32::new(p2c).ok_or_else(Error::decrypt_failed)?;
    let mut salt = Vec::with_capacity(alg.as_str().len() + 1 + p2s.len());
    salt.extend_from_slice(alg.as_str().as_bytes());
    salt.push(0);
    salt.extend_from_slice(p2s);
    let mut out = Zeroizing::new(vec![0u8; len]);
    pbkdf2::derive(prf, iterations, &salt, password, &mut out);
    Ok(out)
}
