//! Issuer configuration (TOML; reference in `docs/issuer.md`).
//!
//! Every table rejects unknown keys, so a typo is an error naming the line. Durations are
//! strings (`"30s"`, `"5m"`, `"1h30m"`) or integers (seconds). [`Config::validate`] checks
//! what serde cannot: redirect URIs, grant types, scopes, the key schedule.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use serde::Deserialize;
use serde_json::Value;

/// A duration in whole seconds, read from `"5m"` or `300`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(try_from = "DurationText")]
pub struct Seconds(pub u64);

#[derive(Deserialize)]
#[serde(untagged)]
enum DurationText {
    Number(u64),
    Text(String),
}

impl TryFrom<DurationText> for Seconds {
    type Error = String;
    fn try_from(v: DurationText) -> Result<Seconds, String> {
        match v {
            DurationText::Number(n) => Ok(Seconds(n)),
            DurationText::Text(t) => jwtkit::jwt::NumericDate::parse_duration(&t)
                .map(|d| Seconds(d.as_secs()))
                .map_err(|e| e.message().to_string()),
        }
    }
}

/// Where codes, grants, refresh tokens, revocations and signing keys live.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StateLocation {
    /// In memory: everything is lost at exit (tests, throwaway sessions).
    Memory,
    /// A redb file, created when missing; survives restarts (keys included).
    File(PathBuf),
}

impl<'de> Deserialize<'de> for StateLocation {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<StateLocation, D::Error> {
        let s = String::deserialize(d)?;
        Ok(if s == "memory" {
            StateLocation::Memory
        } else {
            StateLocation::File(PathBuf::from(s))
        })
    }
}

/// JWS algorithm for access and ID tokens.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Default)]
pub enum SigningAlg {
    /// ECDSA P-256 with SHA-256 (RFC 7518 §3.4): small keys, fast key generation.
    #[default]
    ES256,
    /// RSASSA-PKCS1-v1_5 with SHA-256 and 2048-bit keys (RFC 7518 §3.3): what every client supports.
    RS256,
}

impl SigningAlg {
    /// The core's algorithm.
    pub fn jws(self) -> jwtkit::JwsAlg {
        match self {
            SigningAlg::ES256 => jwtkit::JwsAlg::ES256,
            SigningAlg::RS256 => jwtkit::JwsAlg::RS256,
        }
    }
}

/// The whole file.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The `iss` of every token and the base of every endpoint URL. Default
    /// `http://<listen address>` (set it when a proxy or container changes the address).
    #[serde(default)]
    pub issuer: Option<String>,
    /// Listen address; default `127.0.0.1:9400`. `--listen` overrides it.
    #[serde(default)]
    pub listen: Option<String>,
    /// `"memory"` or the path of a redb file (relative to the config file). Default `"memory"`.
    #[serde(default)]
    pub state: Option<StateLocation>,
    /// Token lifetimes.
    #[serde(default)]
    pub tokens: Tokens,
    /// Signing keys and their rotation.
    #[serde(default)]
    pub keys: Keys,
    /// Registered clients.
    #[serde(default)]
    pub clients: Vec<Client>,
    /// Users shown on the login page.
    #[serde(default)]
    pub users: Vec<User>,
}

/// `[tokens]`: lifetimes.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Tokens {
    /// Access token lifetime (`exp - iat`). Default 5m: short, so expiry is exercised.
    pub access_token_ttl: Seconds,
    /// ID token lifetime. Default 5m.
    pub id_token_ttl: Seconds,
    /// Authorization code lifetime. Default 60s (RFC 6749 §4.1.2 recommends at most 10 minutes).
    pub code_ttl: Seconds,
    /// How long an unused refresh token stays valid. Default 8h.
    pub refresh_token_ttl: Seconds,
    /// Absolute lifetime of a refresh token family (login to last refresh). Default 24h.
    pub refresh_family_ttl: Seconds,
    /// Largest request body accepted, in bytes. Default 16384; larger bodies get 413.
    pub max_request_bytes: usize,
}

impl Default for Tokens {
    fn default() -> Tokens {
        Tokens {
            access_token_ttl: Seconds(300),
            id_token_ttl: Seconds(300),
            code_ttl: Seconds(60),
            refresh_token_ttl: Seconds(8 * 3600),
            refresh_family_ttl: Seconds(24 * 3600),
            max_request_bytes: 16 * 1024,
        }
    }
}

/// `[keys]`: signing algorithm and rotation schedule.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Keys {
    /// `"ES256"` (default) or `"RS256"`.
    pub algorithm: SigningAlg,
    /// How long each key signs before the next one takes over. Default 1h.
    pub rotation_period: Seconds,
    /// How long before it signs a new key is already in the JWKS, so caches have it. Default 5m.
    pub publish_ahead: Seconds,
}

impl Default for Keys {
    fn default() -> Keys {
        Keys {
            algorithm: SigningAlg::ES256,
            rotation_period: Seconds(3600),
            publish_ahead: Seconds(300),
        }
    }
}

/// Grant types a client may use.
pub const GRANT_TYPES: [&str; 3] = ["authorization_code", "refresh_token", "client_credentials"];

/// `[[clients]]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Client {
    /// `client_id`.
    pub client_id: String,
    /// The secret (`client_secret_basic` / `client_secret_post`): literal, `env:VAR` or
    /// `@file`. Absent: a public client, which must use PKCE and cannot use
    /// `client_credentials`, introspection or revocation of other clients' tokens.
    #[serde(default)]
    pub client_secret: Option<String>,
    /// A JWK Set file (relative to the config file) with the client's public keys: the client
    /// authenticates with `private_key_jwt` (RFC 7523 §2.2, OIDC Core §9). Not with a secret.
    #[serde(default)]
    pub jwks: Option<PathBuf>,
    /// Redirect URIs, compared exactly (no prefix or wildcard match; RFC 9700 §4.1.3).
    #[serde(default)]
    pub redirect_uris: Vec<String>,
    /// Allowed grant types. Default: `authorization_code` and `refresh_token` when it has
    /// redirect URIs, `client_credentials` when it is confidential.
    #[serde(default)]
    pub grant_types: Option<Vec<String>>,
    /// Scopes the client may ask for. Default `["openid", "profile", "email"]`.
    #[serde(default)]
    pub scopes: Option<Vec<String>>,
    /// `aud` of its access tokens (a resource server's identifier). Default: the client_id.
    #[serde(default)]
    pub audience: Option<Vec<String>>,
}

/// `[[users]]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct User {
    /// `sub`.
    pub sub: String,
    /// Claims: OIDC standard claims (`name`, `email`, …) are released by scope; any other
    /// claim (`roles`, `tenant`) goes into ID and access tokens and userinfo.
    #[serde(default)]
    pub claims: BTreeMap<String, Value>,
}

/// Claims a developer cannot set on a user or on the login page: the issuer sets them.
pub const RESERVED_CLAIMS: [&str; 16] = [
    "iss",
    "sub",
    "aud",
    "exp",
    "nbf",
    "iat",
    "jti",
    "client_id",
    "scope",
    "auth_time",
    "nonce",
    "at_hash",
    "azp",
    "sid",
    "cnf",
    "acr",
];

/// Load, resolve relative paths against the file's directory, and validate.
///
/// # Errors
/// Unreadable file, TOML or unknown key (with its line), or any [`Config::validate`] error.
pub fn load(path: &Path) -> anyhow::Result<Config> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let mut c: Config = toml::from_str(&text).with_context(|| format!("{}", path.display()))?;
    if let Some(StateLocation::File(p)) = &mut c.state
        && p.is_relative()
        && let Some(dir) = path.parent()
    {
        *p = dir.join(&*p);
    }
    if let Some(dir) = path.parent() {
        for client in &mut c.clients {
            if let Some(p) = &mut client.jwks
                && p.is_relative()
            {
                *p = dir.join(&*p);
            }
        }
    }
    c.validate()?;
    Ok(c)
}

impl Config {
    /// Parse TOML text and validate (paths stay as written).
    ///
    /// # Errors
    /// As [`load`].
    pub fn from_toml(text: &str) -> anyhow::Result<Config> {
        let c: Config = toml::from_str(text)?;
        c.validate()?;
        Ok(c)
    }

    /// Checks serde cannot make.
    ///
    /// # Errors
    /// A message naming the client, user or key that is wrong and what to write instead.
    pub fn validate(&self) -> anyhow::Result<()> {
        let k = &self.keys;
        if k.rotation_period.0 < 10 {
            bail!("keys.rotation_period must be at least 10s");
        }
        if k.publish_ahead.0 >= k.rotation_period.0 {
            bail!("keys.publish_ahead must be shorter than keys.rotation_period");
        }
        let t = &self.tokens;
        for (name, v) in [
            ("access_token_ttl", t.access_token_ttl),
            ("id_token_ttl", t.id_token_ttl),
            ("code_ttl", t.code_ttl),
            ("refresh_token_ttl", t.refresh_token_ttl),
            ("refresh_family_ttl", t.refresh_family_ttl),
        ] {
            if v.0 == 0 {
                bail!("tokens.{name} must be positive");
            }
        }
        if t.max_request_bytes < 1024 {
            bail!("tokens.max_request_bytes must be at least 1024");
        }
        if let Some(iss) = &self.issuer {
            check_issuer(iss)?;
        }
        let mut ids = HashSet::new();
        for c in &self.clients {
            if c.client_id.is_empty() || !ids.insert(c.client_id.as_str()) {
                bail!("client_id {:?} is empty or defined twice", c.client_id);
            }
            c.validate()?;
        }
        let mut subs = HashSet::new();
        for u in &self.users {
            if u.sub.is_empty() || !subs.insert(u.sub.as_str()) {
                bail!("user sub {:?} is empty or defined twice", u.sub);
            }
            if let Some(r) = u.claims.keys().find(|c| RESERVED_CLAIMS.contains(&c.as_str())) {
                bail!(
                    "user {:?}: claim {r:?} is set by the issuer and cannot be configured",
                    u.sub
                );
            }
        }
        Ok(())
    }
}

/// An issuer identifier: `http(s)` URL, no query or fragment (RFC 8414 §2).
fn check_issuer(iss: &str) -> anyhow::Result<()> {
    let u = url::Url::parse(iss).with_context(|| format!("issuer {iss:?} is not a URL"))?;
    if !matches!(u.scheme(), "http" | "https") || u.query().is_some() || u.fragment().is_some() {
        bail!("issuer {iss:?} must be an http(s) URL without query or fragment (RFC 8414 §2)");
    }
    Ok(())
}

impl Client {
    /// The secret with `env:`/`@file` resolved; `None` for a public client.
    ///
    /// # Errors
    /// A missing variable or unreadable file, named (never the value).
    pub fn resolve_secret(&self) -> anyhow::Result<Option<String>> {
        let Some(s) = &self.client_secret else {
            return Ok(None);
        };
        let v = if let Some(var) = s.strip_prefix("env:") {
            std::env::var(var).with_context(|| {
                format!(
                    "client {:?}: environment variable {var} is not set",
                    self.client_id
                )
            })?
        } else if let Some(file) = s.strip_prefix('@') {
            std::fs::read_to_string(file)
                .with_context(|| format!("client {:?}: reading the secret file {file}", self.client_id))?
                .trim_end_matches(['\r', '\n'])
                .to_string()
        } else {
            s.clone()
        };
        if v.is_empty() {
            bail!("client {:?}: the client secret is empty", self.client_id);
        }
        Ok(Some(v))
    }

    /// Whether it authenticates (a secret or keys).
    pub fn is_confidential(&self) -> bool {
        self.client_secret.is_some() || self.jwks.is_some()
    }

    /// The grant types in effect (defaults applied).
    pub fn grant_types(&self) -> Vec<String> {
        self.grant_types.clone().unwrap_or_else(|| {
            let mut g = Vec::new();
            if !self.redirect_uris.is_empty() {
                g.extend(["authorization_code".to_string(), "refresh_token".to_string()]);
            }
            if self.is_confidential() {
                g.push("client_credentials".into());
            }
            g
        })
    }

    /// The scopes in effect (defaults applied).
    pub fn scopes(&self) -> Vec<String> {
        self.scopes
            .clone()
            .unwrap_or_else(|| ["openid", "profile", "email"].map(String::from).to_vec())
    }

    fn validate(&self) -> anyhow::Result<()> {
        let id = &self.client_id;
        for g in self.grant_types() {
            if !GRANT_TYPES.contains(&g.as_str()) {
                bail!("client {id:?}: grant type {g:?} is not supported (use one of {GRANT_TYPES:?})");
            }
        }
        let grants = self.grant_types();
        if grants.is_empty() {
            bail!(
                "client {id:?}: no grant type: give it redirect_uris (authorization_code) or a secret (client_credentials)"
            );
        }
        if self.client_secret.is_some() && self.jwks.is_some() {
            bail!(
                "client {id:?}: give client_secret or jwks, not both (one authentication method per client)"
            );
        }
        if !self.is_confidential() && grants.iter().any(|g| g == "client_credentials") {
            bail!(
                "client {id:?}: client_credentials needs a client_secret or jwks (a public client cannot authenticate)"
            );
        }
        if grants.iter().any(|g| g == "authorization_code") && self.redirect_uris.is_empty() {
            bail!("client {id:?}: authorization_code needs at least one redirect_uris entry");
        }
        for r in &self.redirect_uris {
            let u = url::Url::parse(r)
                .with_context(|| format!("client {id:?}: redirect URI {r:?} is not an absolute URI"))?;
            if u.fragment().is_some() {
                bail!("client {id:?}: redirect URI {r:?} has a fragment (RFC 6749 §3.1.2)");
            }
        }
        for s in self.scopes() {
            if s.is_empty()
                || !s
                    .bytes()
                    .all(|b| b == 0x21 || (0x23..=0x5b).contains(&b) || (0x5d..=0x7e).contains(&b))
            {
                bail!("client {id:?}: scope {s:?} is not a scope token (RFC 6749 §3.3)");
            }
        }
        Ok(())
    }
}
