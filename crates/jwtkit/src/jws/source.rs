//! Where verification gets its keys: the [`KeySource`] trait, implemented by a local
//! [`JwkSet`] and by the remote `KeyCache` (crate `jwtkit-remote`), so that one pipeline
//! ([`crate::jwt::verify_with`]) serves both.

use std::future::Future;
use std::ops::Deref;
use std::sync::Arc;

use super::Header;
use crate::JwkSet;
use crate::error::Result;

/// A source of verification keys, asked once per token after its JWS Protected Header passed
/// the header checks (steps 1–6 of [the order of checks](crate::Check#validation-order)), so a malformed
/// token or a refused `alg` never causes a key fetch.
pub trait KeySource: Sync {
    /// The keys to verify a token whose JWS Protected Header is `header` (its `kid` may
    /// cause a rotation refetch; an allowlisted `jku`/`x5u` may select other keys).
    ///
    /// # Errors
    /// A key source that cannot produce keys: `key_fetch_failed`, `resource_limit`,
    /// `bad_json`, `bad_key`, `invalid_config` (failed at [`crate::Check::Key`]).
    fn keys_for<'a>(&'a self, header: &Header) -> impl Future<Output = Result<Keys<'a>>> + Send;

    /// The issuer these keys belong to, when they come from that issuer's discovery document
    /// (OpenID Connect Discovery 1.0 §4.3): the token's `iss` must then equal it exactly.
    fn issuer(&self) -> Option<&str> {
        None
    }
}

/// The keys a [`KeySource`] gave for one token: borrowed from a local set, or a shared
/// snapshot of a cache (which may be replaced by a refetch while the token is verified).
#[derive(Clone, Debug)]
pub enum Keys<'a> {
    /// A local set.
    Borrowed(&'a JwkSet),
    /// A snapshot of a cache.
    Shared(Arc<JwkSet>),
}

impl Deref for Keys<'_> {
    type Target = JwkSet;
    fn deref(&self) -> &JwkSet {
        match self {
            Keys::Borrowed(s) => s,
            Keys::Shared(s) => s,
        }
    }
}

/// A local set: every token gets the whole set; key selection by `kid` happens in the
/// pipeline.
impl KeySource for JwkSet {
    fn keys_for<'a>(&'a self, _header: &Header) -> impl Future<Output = Result<Keys<'a>>> + Send {
        std::future::ready(Ok(Keys::Borrowed(self)))
    }
}
