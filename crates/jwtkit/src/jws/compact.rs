//! JWS Compact Serialization, RFC 7515 §7.1: `BASE64URL(header) . BASE64URL(payload) . BASE64URL(signature)`.
//!
//! Parsing is strict and ordered (see [the order of checks](crate::Check#validation-order)): size limit, exactly
//! three segments, strict base64url for each, strict JSON object header, header parameter types.
//! The payload is decoded but not parsed here: claims are read only after the signature verifies.
//!
//! **Detached content** (RFC 7515 Appendix F, RFC 7797 §5.2): [`CompactJws::parse_detached`]
//! takes a token whose payload segment is empty (`header..signature`) and the JWS Payload
//! supplied by the caller, and builds the JWS Signing Input from them: `BASE64URL(header) .
//! BASE64URL(payload)` (§5.2), or `BASE64URL(header) . payload` with `b64: false` (RFC 7797 §3;
//! a detached unencoded payload may hold any octets, `.` included).

use std::borrow::Cow;
use std::cell::RefCell;

use super::Header;
use crate::error::{Error, ErrorKind, Result, err};
use crate::{Detail, Limits};

/// Names of the compact JWS segments, for error details.
pub(crate) const SEGMENT_NAMES: [&str; 3] = ["header", "payload", "signature"];

/// A syntactically valid compact JWS whose signature has **not** been checked.
#[derive(Debug)]
pub struct CompactJws<'a> {
    token: &'a str,
    header: Header,
    payload: Cow<'a, [u8]>,
    signature: SignatureBytes,
    signing_input_len: usize,
    /// The JWS Signing Input built from detached content; `None` when the payload is attached.
    detached_input: Option<Box<[u8]>>,
}

/// The JWS Signature bytes: inline up to 48 bytes (HS256, HS384: no allocation per token, and a
/// [`CompactJws`] small enough to be moved without a `memcpy` call), else on the heap.
#[derive(Debug)]
enum SignatureBytes {
    Inline([u8; 48], u8),
    Heap(Vec<u8>),
}

impl SignatureBytes {
    /// Decode the signature segment (strict base64url).
    fn decode(segment: &str) -> std::result::Result<SignatureBytes, crate::base64url::Base64Problem> {
        let len = crate::base64url::decoded_len(segment.len());
        let mut inline = [0u8; 48];
        match inline.get_mut(..len) {
            // n <= 48: the fallback (an empty signature, which verifies nothing) is unreachable.
            Some(slot) => crate::base64url::decode_to_slice(segment.as_bytes(), slot)
                .map(|n| SignatureBytes::Inline(inline, u8::try_from(n).unwrap_or(u8::MAX))),
            None => crate::base64url::decode(segment).map(SignatureBytes::Heap),
        }
    }

    fn as_slice(&self) -> &[u8] {
        match self {
            SignatureBytes::Inline(bytes, len) => bytes.get(..usize::from(*len)).unwrap_or_default(),
            SignatureBytes::Heap(bytes) => bytes,
        }
    }
}

/// Encoded length of a payload in the JWS Signing Input: base64url without padding, or raw.
pub(crate) fn encoded_len(payload_len: usize, b64: bool) -> usize {
    if b64 {
        payload_len / 3 * 4 + (payload_len % 3 * 4).div_ceil(3)
    } else {
        payload_len
    }
}

/// The detached content counts toward `max_token_bytes` as if it were attached: the token's
/// length plus the content's encoded length.
pub(crate) fn check_detached_size(
    token_len: usize,
    payload_len: usize,
    b64: bool,
    limits: &Limits,
) -> Result<()> {
    crate::limits::check(
        "token_bytes_with_the_detached_payload",
        limits.max_token_bytes,
        token_len.saturating_add(encoded_len(payload_len, b64)),
    )
}

/// Detached content was supplied for a token that carries its own payload.
pub(crate) fn attached_payload_error(what: &str, len: usize) -> Error {
    err!(
        Malformed,
        "detached content was supplied, but the token carries its own payload ({len} characters{what}); \
         a JWS with detached content has an empty payload (RFC 7515 Appendix F): give the content in one place only"
    )
}

/// Name the segment in the message; the detail becomes [`Detail::Segment`] unless the error
/// already carries one (a JSON depth [`Detail::Limit`] is kept).
pub(crate) fn segment_error(e: Error, index: usize) -> Error {
    let name = SEGMENT_NAMES.get(index).copied().unwrap_or("segment");
    let e = e.context(&format!("{name} segment: "));
    if e.detail().is_some() {
        return e;
    }
    e.with_detail(Detail::Segment { index, name })
}

pub(crate) fn b64_error(p: crate::base64url::Base64Problem, index: usize) -> Error {
    segment_error(Error::new(ErrorKind::BadBase64, p.describe()), index)
}

/// The longest header segment [`parse_header`] remembers (a JWS Protected Header is usually
/// under 200 characters; `x5c` chains are longer and not worth keeping).
const CACHED_HEADER_MAX: usize = 512;

thread_local! {
    /// The last header segment this thread parsed successfully, with the JSON depth limit it
    /// was parsed under and the result: tokens of one issuer share their header byte for byte
    /// (`alg`, `kid`, `typ`), so most tokens skip its base64url decoding and JSON parse.
    static LAST_HEADER: RefCell<Option<(Box<str>, usize, Header)>> = const { RefCell::new(None) };
}

/// The JWS Protected Header of a compact serialization's first segment: strict base64url, then
/// [`Header::parse`]. A segment equal to the last one this thread parsed (under the same
/// `max_json_depth`, the only limit header parsing reads) gives a clone of that result, which
/// is what parsing the same octets again would give; errors are never remembered.
///
/// # Errors
/// `bad_base64`, then the kinds of [`Header::parse`], with [`Detail::Segment`] header.
fn parse_header(segment: &str, limits: &Limits) -> Result<Header> {
    let depth = limits.max_json_depth;
    let hit = LAST_HEADER.with_borrow(|last| match last {
        Some((seen, seen_depth, header)) if *seen_depth == depth && **seen == *segment => {
            Some(header.clone())
        }
        _ => None,
    });
    if let Some(header) = hit {
        return Ok(header);
    }
    let bytes = crate::base64url::decode(segment).map_err(|e| b64_error(e, 0))?;
    let header = Header::parse(bytes, limits).map_err(|e| segment_error(e, 0))?;
    if segment.len() <= CACHED_HEADER_MAX {
        LAST_HEADER.set(Some((segment.into(), depth, header.clone())));
    }
    Ok(header)
}

/// Split a compact serialization into exactly `N` segments.
///
/// # Errors
/// `malformed` with the count found; a hint when the count matches the other serialization.
pub(crate) fn split<const N: usize>(token: &str) -> Result<[&str; N]> {
    let mut out = [""; N];
    let mut count = 0usize;
    let mut start = 0;
    // The segments between '.' (as `str::split('.')`), found with a vectorised byte search.
    let ends = memchr::memchr_iter(b'.', token.as_bytes()).chain(std::iter::once(token.len()));
    for end in ends {
        if let Some(slot) = out.get_mut(count) {
            *slot = token.get(start..end).unwrap_or_default();
        }
        count += 1;
        start = end + 1;
        if count > 6 {
            break;
        }
    }
    if count == N {
        return Ok(out);
    }
    let found = if count > 6 {
        "more than 6".to_string()
    } else {
        count.to_string()
    };
    let hint = match (N, count) {
        (3, 5) => "; 5 segments is a JWE (encrypted token): decrypt it instead",
        (5, 3) => "; 3 segments is a JWS (signed token)",
        (3, 2) => "; the signature segment is missing (a token must end with '.' and a signature)",
        (3, 1) => "; this does not look like a JWT",
        _ => "",
    };
    Err(err!(
        Malformed,
        "expected {N} segments separated by '.', found {found}{hint}"
    ))
}

impl<'a> CompactJws<'a> {
    /// Parse a compact JWS without verifying it.
    ///
    /// # Errors
    /// `resource_limit` (larger than `limits.max_token_bytes`), `malformed` (segment count,
    /// header parameter types), `bad_base64`, `bad_json`, `duplicate_member`. Errors about one
    /// segment carry [`Detail::Segment`].
    pub fn parse(token: &'a str, limits: &Limits) -> Result<CompactJws<'a>> {
        Self::parse_inner(token, None, limits)
    }

    /// Parse a compact JWS with detached content (RFC 7515 Appendix F): the token's payload
    /// segment must be empty (`header..signature`) and `payload` is the JWS Payload (the
    /// octets, not their base64url form). The JWS Signing Input is built from `payload` as
    /// §5.2 says (RFC 7797 §3 with `b64: false`: the raw octets, which may contain `.`).
    ///
    /// # Errors
    /// As [`CompactJws::parse`], and: `malformed` (with [`Detail::Segment`] payload) when the
    /// payload segment is not empty; `resource_limit` when the token's length plus the
    /// content's encoded length is above `limits.max_token_bytes` (checked before encoding).
    pub fn parse_detached(token: &'a str, payload: &'a [u8], limits: &Limits) -> Result<CompactJws<'a>> {
        Self::parse_inner(token, Some(payload), limits)
    }

    fn parse_inner(token: &'a str, detached: Option<&'a [u8]>, limits: &Limits) -> Result<CompactJws<'a>> {
        crate::limits::check("token_bytes", limits.max_token_bytes, token.len())?;
        let [h, p, s] = split::<3>(token)?;
        let header = parse_header(h, limits)?;
        let (payload, detached_input) = match detached {
            None if header.b64() => (
                Cow::Owned(crate::base64url::decode(p).map_err(|e| b64_error(e, 1))?),
                None,
            ),
            None => (Cow::Borrowed(p.as_bytes()), None),
            Some(_) if !p.is_empty() => {
                return Err(segment_error(attached_payload_error("", p.len()), 1));
            }
            Some(content) => {
                check_detached_size(token.len(), content.len(), header.b64(), limits)?;
                let mut input = String::with_capacity(h.len() + 1 + encoded_len(content.len(), header.b64()));
                input.push_str(h);
                input.push('.');
                let input = if header.b64() {
                    crate::base64url::encode_into(content, &mut input);
                    input.into_bytes()
                } else {
                    let mut v = input.into_bytes();
                    v.extend_from_slice(content);
                    v
                };
                (Cow::Borrowed(content), Some(input.into_boxed_slice()))
            }
        };
        let signature = SignatureBytes::decode(s).map_err(|e| b64_error(e, 2))?;
        Ok(CompactJws {
            token,
            header,
            payload,
            signature,
            signing_input_len: h.len() + 1 + p.len(),
            detached_input,
        })
    }

    /// The JWS Protected Header.
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// The JWS Payload (decoded; raw when `b64` is false; the supplied content when detached).
    pub fn payload(&self) -> &[u8] {
        &self.payload
    }

    /// The JWS Signature bytes.
    pub fn signature(&self) -> &[u8] {
        self.signature.as_slice()
    }

    /// The JWS Signing Input: `BASE64URL(header) . BASE64URL(payload)` as ASCII bytes (§5.1);
    /// with `b64: false` the payload part is the raw payload (RFC 7797 §3). For detached content
    /// it is built from the supplied payload.
    pub fn signing_input(&self) -> &[u8] {
        match &self.detached_input {
            Some(input) => input,
            None => self
                .token
                .as_bytes()
                .get(..self.signing_input_len)
                .unwrap_or_default(),
        }
    }

    /// True when the payload was supplied detached ([`CompactJws::parse_detached`]).
    pub fn is_detached(&self) -> bool {
        self.detached_input.is_some()
    }

    /// The token text.
    pub fn as_str(&self) -> &'a str {
        self.token
    }

    /// Take the header and payload.
    pub fn into_parts(self) -> (Header, Vec<u8>) {
        (self.header, self.payload.into_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(t: &str) -> ErrorKind {
        CompactJws::parse(t, &Limits::default()).unwrap_err().kind()
    }

    #[test]
    fn strict_structure() {
        let ok = "eyJhbGciOiJIUzI1NiJ9.e30.c2ln";
        let j = CompactJws::parse(ok, &Limits::default()).unwrap();
        assert_eq!(j.header().alg_name(), "HS256");
        assert_eq!(j.payload(), b"{}");
        assert_eq!(j.signature(), b"sig");
        assert_eq!(j.signing_input(), b"eyJhbGciOiJIUzI1NiJ9.e30");
        assert_eq!(kind("eyJhbGciOiJIUzI1NiJ9.e30"), ErrorKind::Malformed);
        assert_eq!(kind("a.b.c.d"), ErrorKind::Malformed);
        assert_eq!(kind("eyJhbGciOiJIUzI1NiJ9=.e30.c2ln"), ErrorKind::BadBase64);
        assert_eq!(kind("eyJhbGciOiJIUzI1NiJ9.e30.c2l="), ErrorKind::BadBase64);
        let e = CompactJws::parse("e30.e30.c2ln", &Limits::default()).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Malformed);
        assert_eq!(
            e.detail(),
            Some(&Detail::Segment {
                index: 0,
                name: "header"
            })
        );
        let five = CompactJws::parse("a.b.c.d.e", &Limits::default()).unwrap_err();
        assert!(five.message().contains("JWE"), "{}", five.message());
    }

    #[test]
    fn split_matches_str_split() {
        for t in [
            "",
            ".",
            "a",
            "a.b",
            "a.b.c",
            "a..c",
            ".b.",
            "a.b.c.d.e",
            "a.b.c.d.e.f.g.h",
            "é.ü.ß",
        ] {
            let ours = split::<3>(t).ok();
            let theirs: Vec<&str> = t.split('.').collect();
            assert_eq!(
                ours.map(|o| o.to_vec()),
                (theirs.len() == 3).then_some(theirs.clone()),
                "{t}"
            );
            let five = split::<5>(t).ok();
            assert_eq!(
                five.map(|o| o.to_vec()),
                (theirs.len() == 5).then_some(theirs),
                "{t}"
            );
        }
        assert!(
            split::<3>("a.b.c.d.e.f.g.h")
                .unwrap_err()
                .message()
                .contains("more than 6")
        );
    }

    #[test]
    fn a_remembered_header_is_what_parsing_gives() {
        let header = crate::base64url::encode(br#"{"alg":"HS256","kid":"k","ext":{"a":[1]}}"#);
        let token = format!("{header}.e30.c2ln");
        let first = CompactJws::parse(&token, &Limits::default()).unwrap();
        let again = CompactJws::parse(&token, &Limits::default()).unwrap();
        assert_eq!(again.header(), first.header());
        assert_eq!(
            (again.header().alg_name(), again.header().kid()),
            ("HS256", Some("k"))
        );
        assert_eq!(again.header().get("ext").unwrap().to_string(), r#"{"a":[1]}"#);
        // Under a lower depth limit the same segment is parsed again, and refused.
        let shallow = Limits {
            max_json_depth: 1,
            ..Limits::default()
        };
        assert_eq!(
            CompactJws::parse(&token, &shallow).unwrap_err().kind(),
            ErrorKind::ResourceLimit
        );
        // A refused header is not remembered: it is refused every time, and the good one
        // still parses.
        let dup = format!(
            "{}.e30.c2ln",
            crate::base64url::encode(br#"{"alg":"HS256","alg":"none"}"#)
        );
        for _ in 0..2 {
            assert_eq!(kind(&dup), ErrorKind::DuplicateMember);
        }
        assert_eq!(
            CompactJws::parse(&token, &Limits::default()).unwrap().header(),
            first.header()
        );
    }

    #[test]
    fn size_limit_first() {
        let big = "a".repeat(300 * 1024);
        assert_eq!(kind(&big), ErrorKind::ResourceLimit);
    }
}
