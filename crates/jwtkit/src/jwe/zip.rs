//! `zip: "DEF"` (RFC 7516 §4.1.3): raw DEFLATE (RFC 1951) of the plaintext, applied before
//! encryption; inflated after decryption with a hard bound on the output.
//!
//! The bound is `min(limits.max_inflated_bytes, max(1 KiB, compressed × limits.max_inflate_ratio))`:
//! the inflater stops as soon as the output would pass it, so a "DEFLATE bomb" costs at most
//! that much memory and the time to produce it, and fails with `resource_limit`.

use miniz_oxide::inflate::{TINFLStatus, decompress_to_vec_with_limit};

use crate::Limits;
use crate::error::{Error, Result};

/// Smallest output bound, whatever the ratio: tiny plaintexts deflate to more than they hold.
const MIN_BOUND: usize = 1024;

/// Compress with DEFLATE (level 6).
pub(crate) fn deflate(plaintext: &[u8]) -> Vec<u8> {
    miniz_oxide::deflate::compress_to_vec(plaintext, 6)
}

/// The output bound for `compressed_len` input bytes.
pub(crate) fn bound(compressed_len: usize, limits: &Limits) -> usize {
    compressed_len
        .saturating_mul(limits.max_inflate_ratio)
        .max(MIN_BOUND)
        .min(limits.max_inflated_bytes)
}

/// Inflate raw DEFLATE data within the bound.
///
/// # Errors
/// `resource_limit` when the output would exceed the bound (size or ratio); `decrypt_failed`
/// when the data is not valid DEFLATE (it was authenticated, so this is the sender's fault, but
/// it is reported like any other failure after the header).
pub(crate) fn inflate(data: &[u8], limits: &Limits) -> Result<Vec<u8>> {
    let max = bound(data.len(), limits);
    match decompress_to_vec_with_limit(data, max) {
        Ok(v) => Ok(v),
        Err(e) if e.status == TINFLStatus::HasMoreOutput => {
            let by_ratio = max < limits.max_inflated_bytes;
            Err(Error::new(
                crate::ErrorKind::ResourceLimit,
                if by_ratio {
                    format!(
                        "the compressed plaintext inflates beyond {max} bytes ({} × {} compressed bytes, the inflate ratio limit)",
                        limits.max_inflate_ratio,
                        data.len()
                    )
                } else {
                    format!("the compressed plaintext inflates beyond the limit of {max} bytes")
                },
            )
            .with_detail(crate::Detail::Limit {
                what: if by_ratio { "inflate_ratio" } else { "inflated_bytes" },
                limit: max as u64,
                actual: max as u64 + 1,
            }))
        }
        Err(_) => Err(Error::decrypt_failed()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_bomb() {
        let text = b"a JWT claims set, a JWT claims set, a JWT claims set";
        assert_eq!(inflate(&deflate(text), &Limits::default()).unwrap(), text);
        let bomb = deflate(&vec![0u8; 10 * 1024 * 1024]);
        assert!(bomb.len() < 20_000, "{}", bomb.len());
        let e = inflate(&bomb, &Limits::default()).unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::ResourceLimit);
        // The ratio bound alone: 64 KiB of zeros compresses ~1000x.
        let e = inflate(&deflate(&vec![0u8; 64 * 1024]), &Limits::default()).unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::ResourceLimit);
        assert!(e.message().contains("ratio"), "{}", e.message());
        assert_eq!(
            inflate(b"\xff\xff\xff", &Limits::default()).unwrap_err().kind(),
            crate::ErrorKind::DecryptFailed
        );
    }
}
