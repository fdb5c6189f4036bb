//! JSON Web Encryption, [RFC 7516], with the algorithms of [RFC 7518] §4–5 and X25519
//! ([RFC 8037] §3.2): compact and JSON serializations, decryption, encryption and nested JWTs.
//!
//! - [`DecryptOptions::decrypt`] takes any serialization (compact, general or flattened JSON), checks the
//!   header and the caller's two allowlists (key management [`AlgorithmSet<KeyMgmtAlg>`], content encryption
//!   [`AlgorithmSet<EncAlg>`]), selects the key by `kid` and family, then decrypts. Every failure after the
//!   header checks — wrong key, bad tag, truncated tag, bad padding, failed key unwrap, invalid
//!   ephemeral key — is the same fixed `decrypt_failed`: there is no padding or key-unwrap
//!   oracle. Costs are bounded before the work: token size, recipients, PBES2 `p2c`
//!   ([`Limits::max_pbes2_count`]) and inflated size for `zip: "DEF"`.
//! - [`Encrypter`] makes compact JWE, or JSON JWE for several recipients ([`Encrypter::encrypt_json`]),
//!   with shared and per-recipient unprotected headers and AAD.
//! - [`crate::jwt::decrypt_then_verify`] decrypts, then verifies the nested JWT (`cty: "JWT"`) with a
//!   third, separate allowlist: the JWS algorithms of the [`crate::Validation`].
//!
//! `RSA1_5` is refused (`unsupported_alg`) unless the caller lists it *and* sets
//! [`DecryptOptions::insecure_allow_rsa1_5`]; even then its failures follow RFC 7516 §11.5.
//!
//! [RFC 7516]: https://www.rfc-editor.org/rfc/rfc7516
//! [RFC 7518]: https://www.rfc-editor.org/rfc/rfc7518
//! [RFC 8037]: https://www.rfc-editor.org/rfc/rfc8037

pub(crate) mod compact;
mod decrypt;
mod encrypt;
mod header;
pub(crate) mod json;
mod nested;
pub(crate) mod zip;

pub use decrypt::{DecryptOptions, Decrypted};
pub use encrypt::Encrypter;
pub use header::JweHeader;

pub use crate::jwa::{AlgorithmSet, EncAlg, KeyMgmtAlg};

use crate::Limits;
use crate::error::Result;
use crate::json::Object;

/// Which serialization a JWE uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Serialization {
    /// JWE Compact Serialization (RFC 7516 §7.1): five base64url segments.
    Compact,
    /// General JWE JSON Serialization (§7.2.1): a `recipients` array.
    General,
    /// Flattened JWE JSON Serialization (§7.2.2): one recipient at the top level.
    Flattened,
}

/// One recipient of a JWE: its per-recipient unprotected header and JWE Encrypted Key (read
/// through [`Jwe::header`] and [`Jwe::recipient_count`]).
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Recipient {
    header: Option<Object>,
    encrypted_key: Vec<u8>,
}

impl Recipient {
    /// The JWE Encrypted Key (empty for `dir` and `ECDH-ES`).
    pub(crate) fn encrypted_key(&self) -> &[u8] {
        &self.encrypted_key
    }
}

/// A syntactically valid JWE, **not decrypted**: any serialization.
#[derive(Clone, Debug, PartialEq)]
pub struct Jwe {
    serialization: Serialization,
    protected_b64: String,
    protected: Object,
    unprotected: Option<Object>,
    recipients: Vec<Recipient>,
    iv: Vec<u8>,
    ciphertext: Vec<u8>,
    tag: Vec<u8>,
    aad_b64: Option<String>,
    /// The JOSE Header of each recipient, checked once at parse/creation.
    headers: Vec<JweHeader>,
}

impl Jwe {
    /// Compute and check the JOSE Header of every recipient (RFC 7516 §7.2.1).
    pub(crate) fn with_headers(mut self) -> Result<Jwe> {
        let mut headers = Vec::with_capacity(self.recipients.len());
        for (i, r) in self.recipients.iter().enumerate() {
            let h = JweHeader::merge(
                self.protected.clone(),
                self.unprotected.as_ref(),
                r.header.as_ref(),
            );
            headers.push(match (h, self.serialization) {
                (Ok(h), _) => h,
                (Err(e), Serialization::Compact) => return Err(compact::segment_error(e, 0)),
                (Err(e), _) => return Err(e.context(&format!("recipient {i}: "))),
            });
        }
        self.headers = headers;
        Ok(self)
    }

    /// Parse a JWE in any serialization: text starting with `{` is JSON (general or
    /// flattened), anything else compact.
    ///
    /// # Errors
    /// `resource_limit`, `malformed`, `bad_base64`, `bad_json`, `duplicate_member`, as
    /// detailed for each serialization (RFC 7516 §7.1, §7.2).
    ///
    /// ```
    /// let token = "eyJhbGciOiJkaXIiLCJlbmMiOiJBMTI4R0NNIn0..AAAAAAAAAAAAAAAA.AA.AAAAAAAAAAAAAAAAAAAAAA";
    /// let jwe = jwtkit::jwe::Jwe::parse(token, &Default::default())?;
    /// assert_eq!(jwe.header(0)?.enc_name(), "A128GCM");
    /// # Ok::<(), jwtkit::Error>(())
    /// ```
    pub fn parse(token: &str, limits: &Limits) -> Result<Jwe> {
        if token.trim_start().starts_with('{') {
            json::parse(token, limits)
        } else {
            compact::parse(token, limits)
        }
        .map_err(at_jwe_step)
    }

    /// The serialization it was parsed from.
    pub fn serialization(&self) -> Serialization {
        self.serialization
    }

    /// How many recipients the JWE has (RFC 7516 §7.2.1 `recipients`; 1 for the compact and the
    /// flattened serializations); [`Jwe::header`] takes an index below it.
    pub fn recipient_count(&self) -> usize {
        self.recipients.len()
    }

    /// The JOSE Header for recipient `index` (protected ∪ shared unprotected ∪ recipient).
    ///
    /// # Errors
    /// `malformed` for an index out of range.
    pub fn header(&self, index: usize) -> Result<&JweHeader> {
        self.headers
            .get(index)
            .ok_or_else(|| crate::error::err!(Malformed, "the JWE has no recipient {index}"))
    }

    /// The JWE Protected Header (empty when absent in a JSON serialization).
    pub fn protected_header(&self) -> &Object {
        &self.protected
    }

    /// The JWE Shared Unprotected Header (JSON only).
    pub fn unprotected_header(&self) -> Option<&Object> {
        self.unprotected.as_ref()
    }

    /// The JWE AAD (JSON only), decoded.
    pub fn aad(&self) -> Option<Vec<u8>> {
        self.aad_b64
            .as_deref()
            .and_then(|a| crate::base64url::decode(a).ok())
    }

    /// The Initialization Vector.
    pub fn iv(&self) -> &[u8] {
        &self.iv
    }

    /// The Ciphertext.
    pub fn ciphertext(&self) -> &[u8] {
        &self.ciphertext
    }

    /// The Authentication Tag.
    pub fn tag(&self) -> &[u8] {
        &self.tag
    }

    /// The Additional Authenticated Data of content encryption (RFC 7516 §5.1 step 14):
    /// `ASCII(BASE64URL(protected))`, then `'.' ‖ ASCII(BASE64URL(aad))` when there is AAD.
    pub(crate) fn aead_aad(&self) -> Vec<u8> {
        let mut a = self.protected_b64.as_bytes().to_vec();
        if let Some(x) = &self.aad_b64 {
            a.push(b'.');
            a.extend_from_slice(x.as_bytes());
        }
        a
    }

    /// Serialize compactly.
    ///
    /// # Errors
    /// `invalid_config` when the JWE has several recipients, unprotected headers or AAD.
    pub fn to_compact(&self) -> Result<String> {
        compact::serialize(self)
    }

    /// Serialize as JSON: general form, or flattened (one recipient only).
    ///
    /// # Errors
    /// `invalid_config` for a flattened JWE with several recipients.
    pub fn to_json(&self, flattened: bool) -> Result<String> {
        json::serialize(self, flattened)
    }
}

/// Name the JWE step ([`crate::Check::JWE_ORDER`]) of an error raised while parsing or
/// decrypting: the shared parsing code names JWS steps, renamed here; a bound met past the
/// size check is the PBES2 count (J7) or the inflated plaintext (J11).
pub(crate) fn at_jwe_step(e: crate::Error) -> crate::Error {
    use crate::Check;
    let limit = match e.detail() {
        Some(crate::Detail::Limit { what, .. }) => Some(*what),
        _ => None,
    };
    match limit {
        Some("p2c") => e.map_check(|_| Check::JweAlgorithms),
        Some("inflated_bytes" | "inflate_ratio") => e.map_check(|_| Check::Decryption),
        _ => e.map_check(Check::in_jwe),
    }
}
