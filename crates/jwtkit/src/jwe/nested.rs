//! The nested JWT inside a decrypted JWE (RFC 7519 §5.2, §7.2 step 8): what
//! [`crate::jwt::decrypt_then_verify`] verifies next.

use super::{DecryptOptions, Decrypted};
use crate::error::{Result, err};

impl Decrypted {
    /// The nested JWT inside a JWE that decrypted (RFC 7519 §5.2, §7.2 step 8), for callers that
    /// verify it themselves (e.g. with keys fetched through `jwtkit_remote::KeyCache`).
    ///
    /// The plaintext is a nested JWT when the JWE's `cty` is `JWT`, when it is not a JSON object,
    /// or when it is a JWS JSON serialization: its text is returned, still **unverified**. A
    /// plaintext that is a JSON claims set is unsigned: `Ok(None)` when
    /// [`DecryptOptions::allow_unsigned_claims`] is set, otherwise an error.
    ///
    /// # Errors
    /// `bad_signature` for an unsigned claims set without `allow_unsigned_claims`; `malformed`
    /// when a nested JWT is not UTF-8.
    ///
    /// ```
    /// use jwtkit::{JwkSet, Key};
    /// use jwtkit::jwe::{self, DecryptOptions, EncAlg, Encrypter, KeyMgmtAlg};
    /// let key = Key::hmac(vec![9u8; 32]);
    /// let token = Encrypter::new(&key, KeyMgmtAlg::A256KW, EncAlg::A256GCM)?.cty("JWT").encrypt(b"a.b.c")?;
    /// let opts = DecryptOptions::new(KeyMgmtAlg::A256KW, EncAlg::A256GCM);
    /// let d = opts.decrypt(&token, &JwkSet::from_keys(vec![key]))?;
    /// assert_eq!(d.nested_jwt(&opts)?, Some("a.b.c"));
    /// # Ok::<(), jwtkit::Error>(())
    /// ```
    pub fn nested_jwt(&self, opts: &DecryptOptions) -> Result<Option<&str>> {
        nested_jwt(self, opts)
    }
}

/// [`Decrypted::nested_jwt`].
pub(crate) fn nested_jwt<'a>(decrypted: &'a Decrypted, opts: &DecryptOptions) -> Result<Option<&'a str>> {
    let plaintext = &decrypted.plaintext;
    let nested = decrypted.header.is_nested_jwt()
        || plaintext.first() != Some(&b'{')
        || looks_like_json_jws(plaintext, &opts.limits);
    if nested {
        return std::str::from_utf8(plaintext)
            .map(Some)
            .map_err(|_| err!(Malformed, "the decrypted nested JWT is not UTF-8 text"));
    }
    if !opts.allow_unsigned_claims {
        return Err(err!(
            BadSignature,
            "the JWE holds a claims set without a signature (no nested JWT); anyone who can encrypt to this key could have made it; allow unsigned claims explicitly to accept it"
        ));
    }
    Ok(None)
}

/// A JSON object with `payload` and `signature`/`signatures`: a JWS JSON serialization, which
/// must verify as such rather than pass for an unsigned claims set.
fn looks_like_json_jws(plaintext: &[u8], limits: &crate::Limits) -> bool {
    crate::json::parse_object(plaintext, limits).is_ok_and(|o| {
        o.contains_key("payload") && (o.contains_key("signature") || o.contains_key("signatures"))
    })
}
