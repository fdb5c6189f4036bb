//! Strict base64url: URL-safe alphabet, no padding, canonical (RFC 7515 §2 and Appendix C).
//!
//! JOSE defines `BASE64URL(OCTETS)` as base64 with the URL- and filename-safe alphabet of
//! RFC 4648 §5, all trailing `=` omitted, and no line breaks, whitespace or other characters.
//! Accepting anything else lets one token have several encodings (a signature-malleability and
//! cache-key hazard), so this module rejects: padding, `+` and `/`, whitespace, a length of
//! 1 mod 4, and a final character whose unused low bits are not zero.

use std::sync::LazyLock;

use base64::Engine as _;
use base64::engine::Simd;
use base64::engine::general_purpose::NO_PAD;

/// The `base64` crate's runtime-detected SIMD engine (AVX2 on x86-64, NEON on aarch64, its
/// scalar engine elsewhere) for the URL-safe alphabet, unpadded, trailing bits required zero:
/// the same strictness as `general_purpose::URL_SAFE_NO_PAD` (the kernels only replace its bulk
/// loop; the tail, padding and canonical checks are the crate's shared scalar code). The
/// `simd-unsafe` feature keeps the `unsafe` inside `base64`; this crate stays `forbid(unsafe_code)`.
static URL_SAFE_NO_PAD: LazyLock<Simd> = LazyLock::new(|| Simd::url_safe(NO_PAD));

/// Why a string is not strict base64url. Converted into an [`crate::Error`] of kind
/// `bad_base64` by the callers, who add which segment or member it was.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Base64Problem {
    /// `=` padding is present (JOSE omits it).
    Padding,
    /// `+` or `/` from the standard alphabet (JOSE uses `-` and `_`).
    StandardAlphabet,
    /// A space, tab, CR or LF inside the text.
    Whitespace,
    /// Another byte outside the alphabet, at this offset.
    InvalidByte(usize),
    /// A length of 1 mod 4 cannot encode whole bytes.
    InvalidLength,
    /// The last character has non-zero unused bits (another encoding of the same bytes exists).
    NonCanonical,
}

impl Base64Problem {
    /// A lowercase phrase for messages.
    pub fn describe(self) -> String {
        match self {
            Base64Problem::Padding => "has '=' padding; base64url in JOSE is unpadded".into(),
            Base64Problem::StandardAlphabet => {
                "uses the standard base64 alphabet ('+' or '/'); JOSE uses base64url ('-' and '_')".into()
            }
            Base64Problem::Whitespace => "contains whitespace or a line break".into(),
            Base64Problem::InvalidByte(at) => {
                format!("has a character outside the base64url alphabet at offset {at}")
            }
            Base64Problem::InvalidLength => "has an impossible length (1 mod 4)".into(),
            Base64Problem::NonCanonical => {
                "is not canonical (unused bits of the last character are not zero)".into()
            }
        }
    }
}

fn classify(input: &[u8]) -> Option<Base64Problem> {
    for (i, &b) in input.iter().enumerate() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' => {}
            b'=' => return Some(Base64Problem::Padding),
            b'+' | b'/' => return Some(Base64Problem::StandardAlphabet),
            b' ' | b'\t' | b'\r' | b'\n' => return Some(Base64Problem::Whitespace),
            _ => return Some(Base64Problem::InvalidByte(i)),
        }
    }
    if input.len() % 4 == 1 {
        return Some(Base64Problem::InvalidLength);
    }
    None
}

/// Decode strict base64url into a new vector.
///
/// # Errors
/// A [`Base64Problem`] naming the first defect found (`aGk=`: padding; `aGl`: non-canonical).
pub fn decode(input: impl AsRef<[u8]>) -> Result<Vec<u8>, Base64Problem> {
    let input = input.as_ref();
    let mut out = Vec::with_capacity(decoded_len(input.len()));
    decode_into(input, &mut out)?;
    Ok(out)
}

/// Decode strict base64url, appending to `out` (reuses its allocation).
///
/// # Errors
/// A [`Base64Problem`] naming the first defect found; `out` is left unchanged.
pub(crate) fn decode_into(input: &[u8], out: &mut Vec<u8>) -> Result<(), Base64Problem> {
    // Grow `out` by exactly the decoded length (valid input decodes to exactly that many
    // bytes), so a buffer allocated with `decoded_len` capacity is never reallocated:
    // `Engine::decode_vec` would reserve its own, larger estimate and move the bytes.
    let start = out.len();
    out.resize(start + decoded_len(input.len()), 0);
    let written = out.get_mut(start..).map(|slot| decode_to_slice(input, slot));
    match written {
        Some(Ok(n)) => {
            out.truncate(start + n);
            Ok(())
        }
        Some(Err(e)) => {
            out.truncate(start);
            Err(e)
        }
        None => Err(Base64Problem::NonCanonical),
    }
}

/// Decode strict base64url into `out`, exactly [`decoded_len`] bytes long; the number of
/// bytes written.
///
/// # Errors
/// A [`Base64Problem`] naming the first defect found.
pub(crate) fn decode_to_slice(input: &[u8], out: &mut [u8]) -> Result<usize, Base64Problem> {
    URL_SAFE_NO_PAD
        .decode_slice(input, out)
        .map_err(|_| classify(input).unwrap_or(Base64Problem::NonCanonical))
}

/// Upper bound of the decoded length of `n` base64url characters.
pub(crate) const fn decoded_len(n: usize) -> usize {
    n / 4 * 3 + (n % 4) * 3 / 4
}

/// Encode bytes as unpadded base64url.
pub fn encode(input: impl AsRef<[u8]>) -> String {
    URL_SAFE_NO_PAD.encode(input)
}

/// Encode bytes as unpadded base64url, appending to `out`.
pub(crate) fn encode_into(input: &[u8], out: &mut String) {
    URL_SAFE_NO_PAD.encode_string(input, out);
}

/// Decode base64 or base64url **leniently** (padding, `+`/`/`, whitespace and non-zero
/// trailing bits tolerated). For display and diagnosis only: never for verification.
pub(crate) fn decode_lenient(input: &str) -> Option<Vec<u8>> {
    use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
    let cleaned: String = input
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '=')
        .map(|c| match c {
            '+' => '-',
            '/' => '_',
            c => c,
        })
        .collect();
    GeneralPurpose::new(
        &base64::alphabet::URL_SAFE,
        GeneralPurposeConfig::new()
            .with_decode_allow_trailing_bits(true)
            .with_decode_padding_mode(DecodePaddingMode::Indifferent),
    )
    .decode(cleaned)
    .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_every_non_canonical_form() {
        assert_eq!(decode("aGk"), Ok(b"hi".to_vec()));
        assert_eq!(decode(""), Ok(vec![]));
        assert_eq!(decode("aGk="), Err(Base64Problem::Padding));
        assert_eq!(decode("a+k"), Err(Base64Problem::StandardAlphabet));
        assert_eq!(decode("a/k"), Err(Base64Problem::StandardAlphabet));
        assert_eq!(decode("aG k"), Err(Base64Problem::Whitespace));
        assert_eq!(decode("aG\nk"), Err(Base64Problem::Whitespace));
        assert_eq!(decode("aG*k"), Err(Base64Problem::InvalidByte(2)));
        assert_eq!(decode("aGkha"), Err(Base64Problem::InvalidLength));
        // "aGl" decodes to "hi" with a non-zero unused bit.
        assert_eq!(decode("aGl"), Err(Base64Problem::NonCanonical));
        assert_eq!(decode("QR"), Err(Base64Problem::NonCanonical));
        assert_eq!(decode("QQ"), Ok(b"A".to_vec()));
    }

    #[test]
    fn round_trips_all_lengths() {
        for n in 0..64usize {
            let bytes: Vec<u8> = (0..n).map(|i| (i * 37 + 11) as u8).collect();
            let enc = encode(&bytes);
            assert!(!enc.contains('='));
            assert_eq!(decoded_len(enc.len()), n);
            assert_eq!(decode(&enc).unwrap(), bytes);
        }
    }
}
