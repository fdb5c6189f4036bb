//! Token profiles: which kinds of JWT a provider accepts, by their `typ` (RFC 7515 §4.1.9,
//! explicit typing per RFC 8725 §3.11).
//!
//! `token_profile = "rfc9068"` accepts only OAuth 2.0 access tokens in the JWT profile of
//! [RFC 9068] (`typ` `at+jwt`, also written `application/at+jwt`); `accepted_typ = [...]` lists
//! `typ` values (the two are combined). Comparison is case-insensitive with or without the
//! `application/` prefix. A refused token is named by [`jwtkit::jwt::Classification::of`] (an ID
//! token says it is one), kind `bad_type`.
//!
//! [RFC 9068]: https://www.rfc-editor.org/rfc/rfc9068

use jwtkit::jwt::{Classification, TokenKind};
use serde::Deserialize;

/// A preset of accepted `typ` values.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
pub enum TokenProfileName {
    /// RFC 9068: `at+jwt`.
    #[serde(rename = "rfc9068")]
    Rfc9068,
}

/// The accepted `typ` values of a provider.
#[derive(Clone, Debug)]
pub struct Profile {
    /// Media types, lower case, without `application/`.
    accepted: Vec<String>,
    /// The kind the preset expects (access token for `rfc9068`).
    expects: Option<TokenKind>,
}

fn media_type(t: &str) -> String {
    let t = t.to_ascii_lowercase();
    t.strip_prefix("application/").map(str::to_string).unwrap_or(t)
}

impl Profile {
    /// From `token_profile` and `accepted_typ`; `None` when neither is set.
    ///
    /// # Errors
    /// An empty `typ` in the list.
    pub fn new(preset: Option<TokenProfileName>, typs: &[String]) -> anyhow::Result<Option<Profile>> {
        if preset.is_none() && typs.is_empty() {
            return Ok(None);
        }
        let mut accepted: Vec<String> = Vec::new();
        if preset == Some(TokenProfileName::Rfc9068) {
            accepted.push("at+jwt".into());
        }
        for t in typs {
            if t.trim().is_empty() || t.contains(['"', '\\', ',']) || t.chars().any(char::is_control) {
                anyhow::bail!(
                    "accepted_typ {t:?}: a media type such as at+jwt, without quotes, commas or control characters"
                );
            }
            let m = media_type(t.trim());
            if !accepted.contains(&m) {
                accepted.push(m);
            }
        }
        Ok(Some(Profile {
            accepted,
            expects: preset.map(|_| TokenKind::AccessToken),
        }))
    }

    /// The accepted values, for `--check` and messages.
    pub fn accepted(&self) -> String {
        self.accepted.join(", ")
    }

    /// Check a verified token's `typ`.
    ///
    /// # Errors
    /// `bad_type`, with what the token is ([`Classification::of`]) and, for an ID token at an access-token
    /// profile, why that is refused ([`Classification::confusion`]).
    pub fn check(&self, v: &jwtkit::Verified) -> Result<(), (jwtkit::Error, TokenKind)> {
        if v.header
            .typ()
            .is_some_and(|t| self.accepted.contains(&media_type(t)))
        {
            return Ok(());
        }
        let found: Classification = Classification::of(&v.header, &v.claims);
        let typ = v.header.typ().map_or("absent".to_string(), |t| format!("{t:?}"));
        let why = self
            .expects
            .and_then(|k| found.confusion(k))
            .unwrap_or_else(|| format!("this is a {} ({})", found.kind.describe(), found.reason));
        let message = format!("typ is {typ}, the provider accepts {}: {why}", self.accepted());
        Err((
            jwtkit::Error::new(jwtkit::ErrorKind::BadType, message),
            found.kind,
        ))
    }
}
