//! The order of checks, written once: every [`crate::Error`] says at which [`Check`] it
//! failed ([`crate::Error::check`]), and every front end (the CLI's report, the debugger,
//! `gateway explain`) renders that instead of guessing from a kind or a message.
//!
//! The JWS/JWT steps are those of [the order of checks](crate::manual#validation-order) (steps 1–19, in order,
//! [`Check::JWS_ORDER`]); the JWE steps are the groups of [the JWE order of checks](crate::manual#jwe-decryption-order)
//! ([`Check::JWE_ORDER`]). Three checks lie outside both orders: [`Check::Config`] (the
//! caller's configuration), [`Check::KeyInput`] (a key given by the operator) and
//! [`Check::Policy`] (what a front end decides after the core accepted a token: revocation,
//! scopes).

use std::fmt;

/// One step of the order of checks ([the order of checks](crate::manual#validation-order) and
/// [the JWE order of checks](crate::manual#jwe-decryption-order)); [`Check::name`] is the stable name printed by
/// `gateway explain` and the CLI's `--json`.
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
    /// The JWS/JWT order, steps 1–19 of [the order of checks](crate::manual#validation-order).
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

    /// The JWE order, grouping steps J1–J11 of [the JWE order of checks](crate::manual#jwe-decryption-order).
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

    /// The step number of [the order of checks](crate::manual#validation-order) (1–19), None for other checks.
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
