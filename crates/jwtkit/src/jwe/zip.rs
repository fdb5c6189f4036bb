//! `zip: "DEF"` (RFC 7516 §4.1.3): raw DEFLATE (RFC 1951) of the plaintext, applied before
//! encryption; inflated after decryption with a hard bound on the output.
//!
//! The bound is `min(limits.max_inflated_bytes, 64 KiB + compressed × limits.max_inflate_ratio)`:
//! the inflater stops as soon as the output would pass it, so a "DEFLATE bomb" costs at most
//! that much memory and the time to produce it, and fails with `resource_limit`. The ratio
//! applies only beyond the first 64 KiB of output: honest, repetitive JSON (a pretty-printed
//! claims set of 200 KiB) deflates by more than 100× (120× is common for lists of similar
//! objects), and the absolute bound already caps what any input can cost; the ratio still
//! refuses what only a bomb or a degenerate document reaches (200 KiB from under 1.4 KiB).

use miniz_oxide::inflate::{TINFLStatus, decompress_to_vec_with_limit};

use crate::Limits;
use crate::error::{Error, Result};

/// Output allowed before the ratio counts (tiny and repetitive plaintexts deflate very well).
const RATIO_FLOOR: usize = 64 * 1024;

/// Compress with DEFLATE (level 6).
pub(crate) fn deflate(plaintext: &[u8]) -> Vec<u8> {
    miniz_oxide::deflate::compress_to_vec(plaintext, 6)
}

/// The output bound for `compressed_len` input bytes.
pub(crate) fn bound(compressed_len: usize, limits: &Limits) -> usize {
    compressed_len
        .saturating_mul(limits.max_inflate_ratio)
        .saturating_add(RATIO_FLOOR)
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
                        "the compressed plaintext inflates beyond {max} bytes (64 KiB + {} × {} compressed bytes, the inflate ratio limit)",
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
        // The ratio bound alone: 128 KiB of zeros compresses ~1000x.
        let e = inflate(&deflate(&vec![0u8; 128 * 1024]), &Limits::default()).unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::ResourceLimit);
        assert!(e.message().contains("ratio"), "{}", e.message());
        assert_eq!(
            inflate(b"\xff\xff\xff", &Limits::default()).unwrap_err().kind(),
            crate::ErrorKind::DecryptFailed
        );
    }

    /// A pretty-printed entitlement list: `tenants` distinct tenants repeat through 200 KiB.
    fn entitlements(tenants: usize) -> String {
        let mut doc = String::from("{\n  \"entitlements\": [\n");
        let mut i = 0;
        while doc.len() < 200 * 1024 {
            doc.push_str(&format!(
                "    {{\n      \"resource\": \"orders\",\n      \"action\": \"read\",\n      \"tenant\": \"t-{}\"\n    }},\n",
                i % tenants
            ));
            i += 1;
        }
        doc + "    {}\n  ]\n}"
    }

    /// An honest 200 KiB claims set that deflates by about 120× inflates; the same list with only
    /// four tenants (about 200×, a degenerate document) and a bomb still hit the ratio limit.
    #[test]
    fn honest_200_kib_document_inflates_past_the_ratio() {
        let doc = entitlements(40);
        let compressed = deflate(doc.as_bytes());
        let ratio = doc.len() / compressed.len();
        assert!((110..140).contains(&ratio), "ratio {ratio}");
        assert_eq!(inflate(&compressed, &Limits::default()).unwrap(), doc.as_bytes());
        for bomb in [
            deflate(entitlements(4).as_bytes()),
            deflate(&vec![b' '; 200 * 1024]),
        ] {
            let e = inflate(&bomb, &Limits::default()).unwrap_err();
            assert!(e.message().contains("ratio"), "{}", e.message());
        }
    }
}
