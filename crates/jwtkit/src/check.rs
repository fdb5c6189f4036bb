//! The order of checks, written once: every [`crate::Error`] says at which [`Check`] it
//! failed ([`crate::Error::check`]), and every front end (the CLI's report, the debugger,
//! `gateway explain`) renders that instead of guessing from a kind or a message.
//!
//! The JWS/JWT steps are those of [the order of checks](crate::Check#validation-order) (steps 1–19, in order,
//! [`Check::JWS_ORDER`]); the JWE steps are the groups of [the JWE order of checks](crate::Check#jwe-decryption-order)
//! ([`Check::JWE_ORDER`]). Three checks lie outside both orders: [`Check::Config`] (the
//! caller's configuration), [`Check::KeyInput`] (a key given by the operator) and
//! [`Check::Policy`] (what a front end decides after the core accepted a token: revocation,
//! scopes).

use std::fmt;

/// One step of the order of checks ([the order of checks](#validation-order) and
/// [the JWE order of checks](#jwe-decryption-order), both below); [`Check::name`] is the stable
/// name printed by `gateway explain` and the CLI's `--json`.
///
/// # Validation order
///
/// Every entry point runs the same checks in the same order, and reports the **first** failure.
/// Each step has a test vector that fails exactly there (`crates/jwtkit/tests/attacks/`).
///
/// | # | step | error kinds |
/// |---|---|---|
/// | 1 | size: the token is at most `Limits::max_token_bytes` (256 KiB) | `resource_limit` |
/// | 2 | segments: exactly 3 (JWS) or 5 (JWE) | `malformed` |
/// | 3 | base64url: every segment strict (no padding, URL-safe alphabet, canonical) | `bad_base64` |
/// | 4 | strict JSON header: UTF-8 object, no duplicate members, depth ≤ 64 | `bad_json`, `duplicate_member`, `resource_limit` |
/// | 5 | header parameters: `alg` present, registered parameters well-typed, `crit` understood | `malformed`, `unsupported_crit` |
/// | 6 | algorithm: not `none`, known, in the caller's allowlist | `alg_none`, `unsupported_alg`, `alg_not_allowed` |
/// | 7 | key selection: by `kid`, then family/`alg`/`use`/`key_ops` of the key | `key_not_found`, `key_mismatch` |
/// | 8 | signature (constant-time for HMAC) | `bad_signature` |
/// | 9 | claims set: strict JSON object (parsed only now, after the signature) | `bad_json`, `duplicate_member` |
/// | 10 | NumericDate types of `exp`, `nbf`, `iat` (a string is never "absent") | `malformed` |
/// | 11 | required claims | `missing_claim` |
/// | 12 | `exp` (expired when now − leeway ≥ exp) | `expired` |
/// | 13 | `nbf` (not valid when now + leeway < nbf) | `not_yet_valid` |
/// | 14 | `iat` (in the future when iat > now + leeway) | `issued_in_future` |
/// | 15 | maximum age (now − leeway − iat > max age) | `too_old`, `missing_claim` |
/// | 16 | `iss` exact match against any configured issuer, else an issuer template's tenant claim (present, a string, of the tenant shape, filling the template to exactly `iss`, allowed) | `bad_issuer`, `missing_claim`, `malformed` |
/// | 17 | `aud` contains a configured audience; a token with `aud` and no configured audience is rejected | `bad_audience`, `missing_claim` |
/// | 18 | `sub` | `bad_subject` |
/// | 19 | header `typ` (case-insensitive, `application/` optional) | `bad_type` |
///
/// Leeway defaults to 60 seconds and applies to steps 12–15.
///
/// With **detached content** ([`crate::jwt::Input::detached`];
/// RFC 7515 Appendix F) the same steps run over the supplied payload: step 1 also counts the
/// content, encoded, as if it were attached (`resource_limit`); between steps 4 and 6 a token
/// that carries a non-empty payload is rejected (`malformed`: the content goes in one place
/// only); step 8 checks the signature over `BASE64URL(header) . BASE64URL(content)` (the raw
/// content with `b64: false`); step 9 parses the content as the claims set.
///
/// # JWE decryption order
///
/// RFC 7516 §5.2, step by step.
///
/// [`crate::jwe::DecryptOptions::decrypt`] (and the CLI's `decrypt`, and `verify` on a JWE) runs these steps and
/// reports the first failure. Steps J1–J8 depend only on the token and the caller's configuration;
/// from step J9 on, every failure is the same fixed `decrypt_failed` (no padding, key-unwrap or
/// curve oracle). Bounds are checked before the work they bound.
///
/// | # | step | error kinds |
/// |---|---|---|
/// | J1 | size ≤ `Limits::max_token_bytes`; JSON: recipients ≤ `Limits::max_recipients` (16) | `resource_limit` |
/// | J2 | compact: exactly 5 segments; JSON: `ciphertext` present, member types | `malformed` |
/// | J3 | base64url strict for every segment / member | `bad_base64` |
/// | J4 | strict JSON protected header | `bad_json`, `duplicate_member`, `resource_limit` |
/// | J5 | JOSE Header: protected, shared and per-recipient headers disjoint, `crit` protected and understood, `alg`/`enc` present, parameter types | `malformed`, `unsupported_crit` |
/// | J6 | `alg`: known, in the key management allowlist; `RSA1_5` refused without the insecure option | `unsupported_alg`, `alg_not_allowed` |
/// | J7 | `enc`: known, in the content encryption allowlist; `zip` only `DEF`; `p2c` ≤ `Limits::max_pbes2_count` (10,000), `p2s` ≥ 8 bytes, `epk`/`iv`/`tag` present | `unsupported_alg`, `alg_not_allowed`, `resource_limit`, `malformed` |
/// | J8 | key selection: `kid`, family, JWK `alg`/`use`/`key_ops`, private key, exact symmetric key length | `key_not_found`, `key_mismatch` |
/// | J9 | key management: RSA-OAEP / RSA1_5 (random CEK on failure, RFC 7516 §11.5), AES KW, AES GCM KW, PBES2, ECDH-ES (`epk` on the key's curve); CEK length | `decrypt_failed` |
/// | J10 | content: IV and tag lengths, tag (constant time, before any CBC decryption), decryption | `decrypt_failed` |
/// | J11 | `zip: DEF`: inflate to at most min(`max_inflated_bytes`, 64 KiB + `max_inflate_ratio` × compressed) | `resource_limit`, `decrypt_failed` |
/// | J12 | nested JWT (`cty: JWT`, [`crate::jwt::decrypt_then_verify`]): the JWS steps 1–19 above with the signature allowlist | as above |
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Check {
    /// Step 1: the token is at most `Limits::max_token_bytes`.
    Size,
    /// Step 2: exactly 3 segments (compact) or a well-formed JSON serialization.
    Segments,
    /// Step 3: strict base64url in every segment.
    Base64,
    /// Step 4: the JWS Protected Header is a strict JSON object.
    HeaderJson,
    /// Step 5: header parameters well-typed, `crit` understood (RFC 7515 §4.1.11).
    HeaderParams,
    /// Step 6: `alg` not `none`, known, in the caller's allowlist.
    Algorithm,
    /// Step 7: key selection (by `kid`, then family, `alg`, `use`, `key_ops`), keys fetched.
    Key,
    /// Step 8: the signature.
    Signature,
    /// Step 9: the JWT Claims Set is a strict JSON object (parsed only after the signature).
    ClaimsSet,
    /// Step 10: NumericDate types of `exp`, `nbf`, `iat`; string types of `iss`, `sub`, `aud`.
    ClaimTypes,
    /// Step 11: required claims present.
    RequiredClaims,
    /// Step 12: `exp`.
    Exp,
    /// Step 13: `nbf`.
    Nbf,
    /// Step 14: `iat` not in the future.
    Iat,
    /// Step 15: maximum age since `iat`.
    MaxAge,
    /// Step 16: `iss`.
    Iss,
    /// Step 17: `aud`.
    Aud,
    /// Step 18: `sub`.
    Sub,
    /// Step 19: header `typ`.
    Typ,
    /// JWE step J1: size and recipient count.
    JweSize,
    /// JWE step J2: five segments, or the JSON serialization's members.
    JweStructure,
    /// JWE step J3: strict base64url.
    JweBase64,
    /// JWE steps J4–J5: the JOSE Header (strict JSON, disjoint headers, `crit`).
    JweHeader,
    /// JWE steps J6–J7: `alg` and `enc` allowlists, `zip`, PBES2 count.
    JweAlgorithms,
    /// JWE step J8: the decryption key.
    DecryptionKey,
    /// JWE steps J9–J11: key management, content decryption, inflation.
    Decryption,
    /// The caller's configuration (an empty allowlist, conflicting options); never the token.
    Config,
    /// A key given by the operator could not be parsed or used.
    KeyInput,
    /// A front end's decision after verification (revoked, missing scope).
    Policy,
    /// SD-JWT (RFC 9901 §7.1): the Disclosures against the digests of the Issuer-signed JWT.
    Disclosures,
    /// SD-JWT (RFC 9901 §7.3): the Key Binding JWT.
    KeyBinding,
    /// DPoP (RFC 9449 §4.3): the proof for this request.
    DpopProof,
    /// A sender-constrained token used with its key (`cnf.jkt`, `cnf.x5t#S256`).
    TokenBinding,
}

impl Check {
    /// The JWS/JWT order, steps 1–19 of [the order of checks](crate::Check#validation-order).
    pub const JWS_ORDER: [Check; 19] = [
        Check::Size,
        Check::Segments,
        Check::Base64,
        Check::HeaderJson,
        Check::HeaderParams,
        Check::Algorithm,
        Check::Key,
        Check::Signature,
        Check::ClaimsSet,
        Check::ClaimTypes,
        Check::RequiredClaims,
        Check::Exp,
        Check::Nbf,
        Check::Iat,
        Check::MaxAge,
        Check::Iss,
        Check::Aud,
        Check::Sub,
        Check::Typ,
    ];

    /// The JWE order, grouping steps J1–J11 of [the JWE order of checks](crate::Check#jwe-decryption-order).
    pub const JWE_ORDER: [Check; 7] = [
        Check::JweSize,
        Check::JweStructure,
        Check::JweBase64,
        Check::JweHeader,
        Check::JweAlgorithms,
        Check::DecryptionKey,
        Check::Decryption,
    ];

    /// The stable name (`"signature"`, `"exp"`, `"alg / enc allowlists"`, ...).
    pub const fn name(self) -> &'static str {
        match self {
            Check::Size => "size",
            Check::Segments => "structure (3 segments)",
            Check::Base64 => "base64url",
            Check::HeaderJson => "JSON header",
            Check::HeaderParams => "crit",
            Check::Algorithm => "algorithm allowlist",
            Check::Key => "key selection",
            Check::Signature => "signature",
            Check::ClaimsSet => "claims set",
            Check::ClaimTypes => "claim types",
            Check::RequiredClaims => "required claims",
            Check::Exp => "exp",
            Check::Nbf => "nbf",
            Check::Iat => "iat",
            Check::MaxAge => "max age",
            Check::Iss => "iss",
            Check::Aud => "aud",
            Check::Sub => "sub",
            Check::Typ => "typ",
            Check::JweSize => "JWE size",
            Check::JweStructure => "JWE structure",
            Check::JweBase64 => "JWE base64url",
            Check::JweHeader => "JWE header",
            Check::JweAlgorithms => "alg / enc allowlists",
            Check::DecryptionKey => "decryption key",
            Check::Decryption => "decryption",
            Check::Config => "configuration",
            Check::KeyInput => "key input",
            Check::Policy => "policy",
            Check::Disclosures => "SD-JWT disclosures",
            Check::KeyBinding => "SD-JWT key binding",
            Check::DpopProof => "DPoP proof",
            Check::TokenBinding => "token binding",
        }
    }

    /// The step number of [the order of checks](crate::Check#validation-order) (1–19), None for other checks.
    pub fn step(self) -> Option<usize> {
        Check::JWS_ORDER.iter().position(|c| *c == self).map(|i| i + 1)
    }

    /// True for the steps after the signature verified (9–19): a failure there means the
    /// token is authentic and its claims were rejected.
    pub fn is_claims(self) -> bool {
        self >= Check::ClaimsSet && self <= Check::Typ
    }

    /// The JWE equivalent of a JWS structure check (size, segments, base64url, header,
    /// algorithm, key), for errors raised by shared parsing code inside a JWE; other checks
    /// are returned unchanged.
    pub(crate) const fn in_jwe(self) -> Check {
        match self {
            Check::Size => Check::JweSize,
            Check::Segments => Check::JweStructure,
            Check::Base64 => Check::JweBase64,
            Check::HeaderJson | Check::HeaderParams => Check::JweHeader,
            Check::Algorithm => Check::JweAlgorithms,
            Check::Key => Check::DecryptionKey,
            other => other,
        }
    }
}

impl fmt::Display for Check {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_follow_the_manual_numbering() {
        assert_eq!(Check::Size.step(), Some(1));
        assert_eq!(Check::Signature.step(), Some(8));
        assert_eq!(Check::ClaimsSet.step(), Some(9));
        assert_eq!(Check::Typ.step(), Some(19));
        assert_eq!(Check::Decryption.step(), None);
        let claims: Vec<Check> = Check::JWS_ORDER.into_iter().filter(|c| c.is_claims()).collect();
        assert_eq!(claims.first(), Some(&Check::ClaimsSet));
        assert_eq!(claims.len(), 11);
    }
}
