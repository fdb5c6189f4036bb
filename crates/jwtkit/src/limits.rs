//! Resource limits, checked *before* the work they bound (PRODUCT.md "Strict parsing").
//!
//! Every parser in jwtkit takes a [`Limits`]; hostile input can never make it allocate or
//! compute beyond these bounds. The defaults suit tokens seen in the wild with a wide margin;
//! a gateway may set smaller ones.

/// Bounds on the size and cost of untrusted input.
///
/// ```
/// let strict = jwtkit::Limits { max_token_bytes: 16 * 1024, ..jwtkit::Limits::default() };
/// assert_eq!(strict.max_json_depth, 64);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Largest accepted token (compact or JSON serialization), in bytes. Default 262,144 (256 KiB).
    pub max_token_bytes: usize,
    /// Deepest accepted JSON nesting (objects and arrays) in headers, claims and key documents.
    /// Default 64.
    pub max_json_depth: usize,
    /// Largest accepted PBES2 iteration count `p2c` when decrypting (RFC 7518 §4.8.1.2).
    /// Default 10,000.
    pub max_pbes2_count: u32,
    /// Largest accepted plaintext after `zip: "DEF"` inflation, in bytes. Default 262,144.
    pub max_inflated_bytes: usize,
    /// Largest accepted inflation ratio (inflated / compressed). Default 100.
    pub max_inflate_ratio: usize,
    /// Largest accepted key document (JWK, JWK Set, PEM, DER), in bytes. Default 1 MiB.
    pub max_key_document_bytes: usize,
    /// Most keys accepted in one JWK Set. Default 100.
    pub max_jwks_keys: usize,
    /// Most signatures or recipients accepted in one JSON serialization. Default 16.
    pub max_recipients: usize,
}

impl Limits {
    /// The documented defaults (see each field).
    pub const DEFAULT: Limits = Limits {
        max_token_bytes: 256 * 1024,
        max_json_depth: 64,
        max_pbes2_count: 10_000,
        max_inflated_bytes: 256 * 1024,
        max_inflate_ratio: 100,
        max_key_document_bytes: 1024 * 1024,
        max_jwks_keys: 100,
        max_recipients: 16,
    };
}

impl Default for Limits {
    fn default() -> Self {
        Limits::DEFAULT
    }
}

pub(crate) fn check(what: &'static str, limit: usize, actual: usize) -> crate::Result<()> {
    if actual > limit {
        return Err(crate::error::err!(
            ResourceLimit,
            "{} is {actual}, above the limit of {limit}",
            what.replace('_', " ")
        )
        .with_detail(crate::Detail::Limit {
            what,
            limit: limit as u64,
            actual: actual as u64,
        }));
    }
    Ok(())
}
