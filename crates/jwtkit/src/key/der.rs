//! A minimal, bounds-checked DER reader for the structures key loading needs to *recognise*:
//! SubjectPublicKeyInfo (RFC 5280 §4.1.2.7), PKCS#8 (RFC 5208), PKCS#1 RSA keys (RFC 8017
//! App. A.1), SEC1 EC private keys (RFC 5915), X.509 certificates, and ECDSA DER signatures.
//!
//! It never validates keys cryptographically: aws-lc-rs does that when the key is built. It only
//! finds the algorithm identifiers and fields, so loading can pick the right constructor and say
//! precisely what a file is. Definite lengths only, at most 4 length bytes; any inconsistency
//! returns `None`.

/// Tag numbers used here.
pub(crate) mod tag {
    pub const INTEGER: u8 = 0x02;
    pub const BIT_STRING: u8 = 0x03;
    pub const OCTET_STRING: u8 = 0x04;
    pub const OID: u8 = 0x06;
    pub const SEQUENCE: u8 = 0x30;
    pub const UTC_TIME: u8 = 0x17;
    pub const GENERALIZED_TIME: u8 = 0x18;
    pub const CONTEXT_0: u8 = 0xa0;
}

/// OIDs (DER content octets).
pub(crate) mod oid {
    pub const RSA_ENCRYPTION: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
    pub const RSASSA_PSS: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a];
    pub const EC_PUBLIC_KEY: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
    pub const P256: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
    pub const P384: &[u8] = &[0x2b, 0x81, 0x04, 0x00, 0x22];
    pub const P521: &[u8] = &[0x2b, 0x81, 0x04, 0x00, 0x23];
    pub const SECP256K1: &[u8] = &[0x2b, 0x81, 0x04, 0x00, 0x0a];
    pub const ED25519: &[u8] = &[0x2b, 0x65, 0x70];
    pub const X25519: &[u8] = &[0x2b, 0x65, 0x6e];
    pub const ED448: &[u8] = &[0x2b, 0x65, 0x71];
    pub const X448: &[u8] = &[0x2b, 0x65, 0x6f];
    /// id-ml-dsa-44, 2.16.840.1.101.3.4.3.17 (RFC 9881).
    pub const ML_DSA_44: &[u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x03, 0x11];
    /// id-ml-dsa-65, 2.16.840.1.101.3.4.3.18.
    pub const ML_DSA_65: &[u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x03, 0x12];
    /// id-ml-dsa-87, 2.16.840.1.101.3.4.3.19.
    pub const ML_DSA_87: &[u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x03, 0x13];
}

/// A cursor over DER bytes.
#[derive(Clone, Copy)]
pub(crate) struct Reader<'a> {
    data: &'a [u8],
}

impl<'a> Reader<'a> {
    pub fn new(data: &'a [u8]) -> Self {
        Reader { data }
    }

    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// Next tag without consuming it.
    pub fn peek_tag(&self) -> Option<u8> {
        self.data.first().copied()
    }

    /// Read one TLV: (tag, contents, whole TLV bytes).
    pub fn read_any(&mut self) -> Option<(u8, &'a [u8], &'a [u8])> {
        let tag = *self.data.first()?;
        let first = *self.data.get(1)?;
        let (len, hdr) = if first < 0x80 {
            (first as usize, 2)
        } else {
            let n = (first & 0x7f) as usize;
            if n == 0 || n > 4 {
                return None;
            }
            let mut len = 0usize;
            for i in 0..n {
                len = (len << 8) | *self.data.get(2 + i)? as usize;
            }
            (len, 2 + n)
        };
        let end = hdr.checked_add(len)?;
        let contents = self.data.get(hdr..end)?;
        let whole = self.data.get(..end)?;
        self.data = self.data.get(end..)?;
        Some((tag, contents, whole))
    }

    /// Read one TLV with the expected tag; returns its contents.
    pub fn read(&mut self, expected: u8) -> Option<&'a [u8]> {
        let (t, c, _) = self.read_any()?;
        (t == expected).then_some(c)
    }

    /// Read a SEQUENCE and return a reader over its contents.
    pub fn sequence(&mut self) -> Option<Reader<'a>> {
        self.read(tag::SEQUENCE).map(Reader::new)
    }

    /// Read a non-negative INTEGER as big-endian bytes without leading zeros.
    pub fn unsigned(&mut self) -> Option<&'a [u8]> {
        let c = self.read(tag::INTEGER)?;
        if c.first().is_some_and(|b| b & 0x80 != 0) {
            return None;
        }
        let start = c.iter().position(|&b| b != 0).unwrap_or(c.len());
        c.get(start..)
    }
}

/// An AlgorithmIdentifier: OID plus optional parameter OID (the named curve for EC keys).
pub(crate) struct AlgId<'a> {
    pub oid: &'a [u8],
    pub param_oid: Option<&'a [u8]>,
}

fn alg_id<'a>(r: &mut Reader<'a>) -> Option<AlgId<'a>> {
    let mut s = r.sequence()?;
    let oid = s.read(tag::OID)?;
    let param_oid = match s.peek_tag() {
        Some(tag::OID) => s.read(tag::OID),
        _ => None,
    };
    Some(AlgId { oid, param_oid })
}

/// SubjectPublicKeyInfo: the algorithm and the public key bits.
pub(crate) struct Spki<'a> {
    pub alg: AlgId<'a>,
    pub key: &'a [u8],
}

pub(crate) fn spki(der: &[u8]) -> Option<Spki<'_>> {
    let mut outer = Reader::new(der);
    let mut s = outer.sequence()?;
    if !outer.is_empty() {
        return None;
    }
    let alg = alg_id(&mut s)?;
    let bits = s.read(tag::BIT_STRING)?;
    let (&unused, key) = bits.split_first()?;
    if unused != 0 || !s.is_empty() {
        return None;
    }
    Some(Spki { alg, key })
}

/// PKCS#8 PrivateKeyInfo / OneAsymmetricKey: the algorithm and the private key octets.
pub(crate) struct Pkcs8<'a> {
    pub alg: AlgId<'a>,
    pub private_key: &'a [u8],
}

pub(crate) fn pkcs8(der: &[u8]) -> Option<Pkcs8<'_>> {
    let mut outer = Reader::new(der);
    let mut s = outer.sequence()?;
    if !outer.is_empty() {
        return None;
    }
    let version = s.read(tag::INTEGER)?;
    if version != [0] && version != [1] {
        return None;
    }
    let alg = alg_id(&mut s)?;
    let private_key = s.read(tag::OCTET_STRING)?;
    Some(Pkcs8 { alg, private_key })
}

/// PKCS#1 RSAPublicKey: (n, e).
pub(crate) fn rsa_public_key(der: &[u8]) -> Option<(&[u8], &[u8])> {
    let mut outer = Reader::new(der);
    let mut s = outer.sequence()?;
    let n = s.unsigned()?;
    let e = s.unsigned()?;
    (s.is_empty() && outer.is_empty()).then_some((n, e))
}

/// PKCS#1 RSAPrivateKey (two-prime): n, e, d, p, q, dp, dq, qi.
pub(crate) fn rsa_private_key(der: &[u8]) -> Option<[&[u8]; 8]> {
    let mut outer = Reader::new(der);
    let mut s = outer.sequence()?;
    let version = s.read(tag::INTEGER)?;
    if version != [0] {
        return None; // multi-prime keys (version 1) are not supported in JOSE
    }
    let mut out: [&[u8]; 8] = [&[]; 8];
    for slot in out.iter_mut() {
        *slot = s.unsigned()?;
    }
    Some(out)
}

/// SEC1 ECPrivateKey: the named-curve OID when present.
pub(crate) fn sec1_curve(der: &[u8]) -> Option<Option<&[u8]>> {
    let mut outer = Reader::new(der);
    let mut s = outer.sequence()?;
    if s.read(tag::INTEGER)? != [1] {
        return None;
    }
    s.read(tag::OCTET_STRING)?;
    if s.peek_tag() == Some(tag::CONTEXT_0) {
        let mut p = Reader::new(s.read(tag::CONTEXT_0)?);
        return Some(p.read(tag::OID));
    }
    Some(None)
}

/// An X.509 certificate's SubjectPublicKeyInfo (whole TLV) and validity (notBefore, notAfter)
/// as Unix seconds.
pub(crate) struct Certificate<'a> {
    pub spki: &'a [u8],
    pub not_before: Option<i64>,
    pub not_after: Option<i64>,
}

pub(crate) fn certificate(der: &[u8]) -> Option<Certificate<'_>> {
    let mut outer = Reader::new(der);
    let mut cert = outer.sequence()?;
    let mut tbs = cert.sequence()?;
    if tbs.peek_tag() == Some(tag::CONTEXT_0) {
        tbs.read_any()?; // version
    }
    tbs.read(tag::INTEGER)?; // serialNumber
    tbs.read(tag::SEQUENCE)?; // signature
    tbs.read(tag::SEQUENCE)?; // issuer
    let mut validity = tbs.sequence()?;
    let not_before = read_time(&mut validity);
    let not_after = read_time(&mut validity);
    tbs.read(tag::SEQUENCE)?; // subject
    let (t, _, whole) = tbs.read_any()?;
    (t == tag::SEQUENCE).then_some(Certificate {
        spki: whole,
        not_before,
        not_after,
    })
}

fn read_time(r: &mut Reader<'_>) -> Option<i64> {
    let (t, c, _) = r.read_any()?;
    let s = std::str::from_utf8(c).ok()?;
    let s = s.strip_suffix('Z')?;
    let (year, rest) = match t {
        tag::UTC_TIME => {
            let yy: i64 = s.get(..2)?.parse().ok()?;
            (if yy >= 50 { 1900 + yy } else { 2000 + yy }, s.get(2..)?)
        }
        tag::GENERALIZED_TIME => (s.get(..4)?.parse().ok()?, s.get(4..)?),
        _ => return None,
    };
    let num = |r: std::ops::Range<usize>| -> Option<i64> { rest.get(r)?.parse().ok() };
    let (mo, d, h, mi, sec) = (
        num(0..2)?,
        num(2..4)?,
        num(4..6)?,
        num(6..8)?,
        num(8..10).unwrap_or(0),
    );
    Some(crate::calendar::days_from_civil(year, mo, d)? * 86400 + h * 3600 + mi * 60 + sec)
}

/// Convert an ECDSA-Sig-Value DER signature (SEQUENCE { r INTEGER, s INTEGER }) into the raw
/// fixed-width r‖s form JOSE uses (RFC 7518 §3.4). Used by diagnosis only.
pub(crate) fn ecdsa_der_to_raw(sig: &[u8], coordinate_len: usize) -> Option<Vec<u8>> {
    let mut outer = Reader::new(sig);
    let mut s = outer.sequence()?;
    let r = s.unsigned()?;
    let sv = s.unsigned()?;
    if !s.is_empty() || !outer.is_empty() || r.len() > coordinate_len || sv.len() > coordinate_len {
        return None;
    }
    let mut out = vec![0u8; 2 * coordinate_len];
    out.get_mut(coordinate_len - r.len()..coordinate_len)?
        .copy_from_slice(r);
    out.get_mut(2 * coordinate_len - sv.len()..)?.copy_from_slice(sv);
    Some(out)
}

/// Encode a DER length + contents under `tag`.
pub(crate) fn encode(tag: u8, contents: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(contents.len() + 6);
    out.push(tag);
    let n = contents.len();
    if n < 0x80 {
        out.push(n as u8);
    } else {
        let bytes = n.to_be_bytes();
        let skip = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len() - 1);
        let len_bytes = bytes.get(skip..).unwrap_or_default();
        out.push(0x80 | len_bytes.len() as u8);
        out.extend_from_slice(len_bytes);
    }
    out.extend_from_slice(contents);
    out
}

/// SubjectPublicKeyInfo for an algorithm OID, optional parameter OID and key bits.
pub(crate) fn encode_spki(alg_oid: &[u8], param_oid: Option<&[u8]>, key: &[u8]) -> Vec<u8> {
    let mut alg = encode(tag::OID, alg_oid);
    if let Some(p) = param_oid {
        alg.extend(encode(tag::OID, p));
    }
    let mut bits = vec![0u8];
    bits.extend_from_slice(key);
    let mut body = encode(tag::SEQUENCE, &alg);
    body.extend(encode(tag::BIT_STRING, &bits));
    encode(tag::SEQUENCE, &body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn der_signature_conversion() {
        // r = 1, s = 0x80 (needs a leading zero in DER)
        let sig = [0x30, 0x07, 0x02, 0x01, 0x01, 0x02, 0x02, 0x00, 0x80];
        let raw = ecdsa_der_to_raw(&sig, 4).unwrap();
        assert_eq!(raw, [0, 0, 0, 1, 0, 0, 0, 0x80]);
        assert!(ecdsa_der_to_raw(&sig[..5], 4).is_none());
    }

    #[test]
    fn hostile_lengths() {
        assert!(
            Reader::new(&[0x30, 0x84, 0xff, 0xff, 0xff, 0xff])
                .read_any()
                .is_none()
        );
        assert!(Reader::new(&[0x30, 0x85, 0, 0, 0, 0, 1]).read_any().is_none());
        assert!(Reader::new(&[0x30]).read_any().is_none());
        assert!(spki(&[]).is_none());
        assert!(certificate(&[0x30, 0x00]).is_none());
    }

    #[test]
    fn encode_round_trip() {
        let big = vec![7u8; 300];
        let enc = encode(tag::OCTET_STRING, &big);
        assert_eq!(&enc[..4], &[0x04, 0x82, 0x01, 0x2c]);
        assert_eq!(Reader::new(&enc).read(tag::OCTET_STRING).unwrap(), &big[..]);
    }
}
