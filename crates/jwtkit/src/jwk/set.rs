//! JWK Set, RFC 7517 §5: a collection of keys, and key selection for a token.

use serde_json::Value;

use crate::error::{Error, ErrorKind, Result, err};
use crate::json::Object;
use crate::jwa::JwsAlg;
use crate::key::{Key, KeyOp};
use crate::{Detail, Limits};

/// Most keys tried for one token that has no `kid` (or whose `kid` is shared): bounds the work
/// a token can cause against a large set.
pub const MAX_KEYS_TRIED: usize = 4;

/// Algorithm names registered for JWE (RFC 7518 §4.1): a set member with one of these `alg`s
/// is kept (it is an encryption key), not ignored as unknown.
const JWE_ALGS: &[&str] = &[
    "RSA1_5",
    "RSA-OAEP",
    "RSA-OAEP-256",
    "A128KW",
    "A192KW",
    "A256KW",
    "dir",
    "ECDH-ES",
    "ECDH-ES+A128KW",
    "ECDH-ES+A192KW",
    "ECDH-ES+A256KW",
    "A128GCMKW",
    "A192GCMKW",
    "A256GCMKW",
    "PBES2-HS256+A128KW",
    "PBES2-HS384+A192KW",
    "PBES2-HS512+A256KW",
];

/// Up to [`MAX_KEYS_TRIED`] keys chosen for one token, each with its index in the set.
pub(crate) struct Candidates<'a> {
    keys: [Option<(usize, &'a Key)>; MAX_KEYS_TRIED],
}

impl<'a> Candidates<'a> {
    pub(crate) fn iter(&self) -> impl Iterator<Item = (usize, &'a Key)> + '_ {
        self.keys.iter().map_while(|k| *k)
    }
}

/// A member of a JWK Set that was ignored, and why (RFC 7517 §5: unknown `kty`, missing
/// members, values out of supported ranges).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IgnoredKey {
    /// Position in the `keys` array.
    pub index: usize,
    /// Its `kid`, when it had a string one.
    pub kid: Option<String>,
    /// Why it was ignored.
    pub reason: String,
}

/// A set of keys: from a JWK Set document, or any collection (a PEM file with several blocks).
#[derive(Debug, Default)]
pub struct JwkSet {
    keys: Vec<Key>,
    ignored: Vec<IgnoredKey>,
}

impl JwkSet {
    /// A set holding these keys.
    pub fn from_keys(keys: Vec<Key>) -> JwkSet {
        JwkSet {
            keys,
            ignored: Vec::new(),
        }
    }

    /// Parse a JWK Set document (`{"keys":[...]}`), strictly.
    ///
    /// # Errors
    /// `bad_json`/`duplicate_member` for malformed JSON, `malformed` when `keys` is missing or
    /// not an array, `resource_limit` above `limits.max_jwks_keys`. Unusable members are not
    /// errors: they are listed in [`JwkSet::ignored`].
    pub fn parse(bytes: &[u8], limits: &Limits) -> Result<JwkSet> {
        crate::limits::check("key_document_bytes", limits.max_key_document_bytes, bytes.len())?;
        JwkSet::from_object(&crate::json::parse_object(bytes, limits)?, limits)
    }

    /// Build from a parsed JWK Set object.
    ///
    /// # Errors
    /// As [`JwkSet::parse`].
    pub fn from_object(obj: &Object, limits: &Limits) -> Result<JwkSet> {
        let Some(Value::Array(entries)) = obj.get("keys") else {
            return Err(err!(Malformed, "a JWK Set needs a \"keys\" array (RFC 7517 §5)"));
        };
        crate::limits::check("jwks_keys", limits.max_jwks_keys, entries.len())?;
        let mut set = JwkSet::default();
        for (index, entry) in entries.iter().enumerate() {
            let kid = entry.get("kid").and_then(Value::as_str).map(str::to_owned);
            let result = match entry {
                Value::Object(m) => match m.get("alg").and_then(Value::as_str) {
                    Some(a) if a.parse::<JwsAlg>().is_err() && !JWE_ALGS.contains(&a) => Err(Error::new(
                        ErrorKind::UnsupportedAlg,
                        format!("alg {} is not supported", crate::text::quote(a)),
                    )),
                    _ => Key::from_jwk(m),
                },
                _ => Err(err!(BadKey, "not a JSON object")),
            };
            match result {
                Ok(k) => set.keys.push(k),
                Err(e) => set.ignored.push(IgnoredKey {
                    index,
                    kid,
                    reason: e.message().to_string(),
                }),
            }
        }
        Ok(set)
    }

    /// The usable keys, in document order.
    pub fn keys(&self) -> &[Key] {
        &self.keys
    }

    /// The usable keys, by value.
    pub fn into_keys(self) -> Vec<Key> {
        self.keys
    }

    /// Members that were ignored, with the reason.
    pub fn ignored(&self) -> &[IgnoredKey] {
        &self.ignored
    }

    /// The JWS algorithms the keys of the set can verify: the union of [`Key::algorithms`]
    /// (each key's family, narrowed to its JWK `alg`). The allowlist to use when the caller
    /// names none: it comes from the keys, never from the token (RFC 8725 §3.1). Empty when no
    /// key can sign or verify (an X25519 key, a JWK whose `alg` is a JWE algorithm).
    pub fn algorithms(&self) -> crate::AlgorithmSet<JwsAlg> {
        self.keys
            .iter()
            .fold(crate::AlgorithmSet::<JwsAlg>::empty(), |acc, k| {
                k.algorithms()
                    .iter()
                    .fold(acc, crate::AlgorithmSet::<JwsAlg>::with)
            })
    }

    /// True when there is no usable key.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Add a key.
    pub fn push(&mut self, key: Key) {
        self.keys.push(key);
    }

    /// Add every key of another set.
    pub fn extend(&mut self, other: JwkSet) {
        self.keys.extend(other.keys);
        self.ignored.extend(other.ignored);
    }

    /// The only key of the set.
    ///
    /// # Errors
    /// `bad_key` when the set is empty or holds several different keys.
    pub fn into_single(mut self) -> Result<Key> {
        let first = self.keys.first().map(|k| k.thumbprint().to_string());
        if first.is_some() && self.keys.iter().all(|k| Some(k.thumbprint()) == first.as_deref()) {
            // A key plus its own certificate counts as one key; prefer the private one.
            let i = self.keys.iter().position(Key::is_private).unwrap_or(0);
            return Ok(self.keys.swap_remove(i));
        }
        if self.keys.is_empty() {
            return Err(err!(BadKey, "no usable key found"));
        }
        Err(err!(
            BadKey,
            "expected one key, found {} different keys",
            self.keys.len()
        ))
    }

    /// Labels of the keys for messages: each `kid`, or [`Key::label`] for keys without one.
    pub fn labels(&self) -> Vec<String> {
        self.keys
            .iter()
            .map(|k| match k.kid() {
                Some(kid) => kid.to_string(),
                None => format!("(no kid, {})", k.label()),
            })
            .collect()
    }

    /// The keys to try for a token with header `kid` and algorithm `alg`, at most
    /// four (a token without `kid`, or with a shared one, cannot make it try every key).
    ///
    /// With a `kid`: the keys with exactly that `kid`; if no key in the set has any `kid`
    /// (e.g. a PEM file), every key. Without a `kid`: every key. Then only keys that
    /// [`Key::check_use`] accepts for `alg` and `op`.
    ///
    /// # Errors
    /// `key_not_found` when no key has the token's `kid` (the message lists the kids present);
    /// `key_mismatch` when keys were found but none fits `alg` (the first reason is given).
    pub fn select(&self, kid: Option<&str>, alg: JwsAlg, op: KeyOp) -> Result<Vec<&Key>> {
        Ok(self.candidates(kid, alg, op)?.iter().map(|(_, k)| k).collect())
    }

    /// [`JwkSet::select`] with any per-key check (used for JWE key management algorithms).
    pub(crate) fn select_with(
        &self,
        kid: Option<&str>,
        alg: &str,
        check: impl Fn(&Key) -> Result<()>,
    ) -> Result<Vec<&Key>> {
        Ok(self
            .candidates_with(kid, alg, check)?
            .iter()
            .map(|(_, k)| k)
            .collect())
    }

    /// [`JwkSet::select`] without allocating: the chosen keys with their index in the set.
    pub(crate) fn candidates(&self, kid: Option<&str>, alg: JwsAlg, op: KeyOp) -> Result<Candidates<'_>> {
        self.candidates_with(kid, alg.as_str(), |k| k.check_use(alg, op))
    }

    fn candidates_with(
        &self,
        kid: Option<&str>,
        alg: &str,
        check: impl Fn(&Key) -> Result<()>,
    ) -> Result<Candidates<'_>> {
        // With a `kid`, only the keys having exactly that `kid` (unless no key has any `kid`).
        let by_kid = kid.filter(|_| self.keys.iter().any(|k| k.kid().is_some()));
        if let Some(kid) = by_kid
            && !self.keys.iter().any(|k| k.kid() == Some(kid))
        {
            return Err(self.kid_not_found(kid));
        }
        if self.keys.is_empty() {
            let mut msg = String::from("the key set has no usable key");
            if !self.ignored.is_empty() {
                msg.push_str(&format!(
                    " ({} ignored: {})",
                    self.ignored.len(),
                    self.ignored_summary()
                ));
            }
            return Err(Error::new(ErrorKind::KeyNotFound, msg).with_detail(Detail::Keys {
                kid: kid.map(str::to_owned),
                available: vec![],
            }));
        }
        let mut first_err = None;
        let mut fit = Candidates {
            keys: [None; MAX_KEYS_TRIED],
        };
        let mut slots = fit.keys.iter_mut();
        let matching = self
            .keys
            .iter()
            .enumerate()
            .filter(|(_, k)| by_kid.is_none() || k.kid() == by_kid);
        for (index, k) in matching {
            match check(k) {
                Ok(()) => match slots.next() {
                    Some(slot) => *slot = Some((index, k)),
                    None => break,
                },
                Err(e) => {
                    first_err.get_or_insert(e);
                }
            }
        }
        match (fit.keys.first().is_some_and(Option::is_some), first_err) {
            (true, _) => Ok(fit),
            (false, Some(e)) if self.keys.len() == 1 => Err(e),
            (false, first) => Err(Error::new(
                ErrorKind::KeyMismatch,
                format!(
                    "no key fits alg {alg}{}",
                    first
                        .map(|e| format!(" (e.g. {})", e.message()))
                        .unwrap_or_default()
                ),
            )),
        }
    }

    fn kid_not_found(&self, kid: &str) -> Error {
        let available = self.labels();
        Error::new(
            ErrorKind::KeyNotFound,
            format!(
                "no key with kid {} in the key set (kids present: {})",
                crate::text::quote(kid),
                if available.is_empty() {
                    "none".to_string()
                } else {
                    available.join(", ")
                }
            ),
        )
        .with_detail(Detail::Keys {
            kid: Some(kid.to_string()),
            available,
        })
    }

    fn ignored_summary(&self) -> String {
        self.ignored
            .iter()
            .take(3)
            .map(|i| format!("#{}: {}", i.index, i.reason))
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// The set as a JWK Set object, public members only unless `include_private`.
    pub fn to_json(&self, include_private: bool) -> Value {
        serde_json::json!({
            "keys": self.keys.iter().map(|k| Value::Object(k.to_jwk(include_private))).collect::<Vec<_>>()
        })
    }
}
