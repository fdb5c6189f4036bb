//! `jwtkit issuer`: a local OpenID Connect provider for development and tests.
//!
//! One axum [`Router`] ([`router`]) over an [`Issuer`] built from a TOML [`config::Config`]:
//! discovery (OIDC Discovery §4, RFC 8414), a JWK Set with scheduled key rotation
//! ([`keys`]), the authorization endpoint with a login page where the developer picks a user
//! and adjusts claims ([`authorize`]), the token endpoint (authorization code + PKCE S256,
//! refresh tokens rotated on every use with reuse detection, client credentials: [`token`]),
//! RFC 9068 access tokens and OIDC ID tokens ([`mint`]), introspection (RFC 7662),
//! revocation (RFC 7009) and userinfo ([`endpoints`]). State is in memory or a redb file
//! ([`store`]).
//!
//! It is for development: there are no passwords. [`bind`] refuses a non-loopback address
//! unless asked, and [`Issuer::banner`] says what it is. Nothing logged names a secret, code
//! or token. Reference: `docs/issuer.md`.

#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

pub mod assertion;
pub mod authorize;
pub mod client_auth;
pub mod config;
pub mod endpoints;
pub mod error;
pub mod form;
pub mod keys;
pub mod mint;
pub mod page;
pub mod store;
pub mod token;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::{Context, bail};
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};

use crate::config::{Client, Config, StateLocation, User};
use crate::keys::KeyRing;
use crate::store::Store;

/// Seconds since the Unix epoch; replaceable in tests to move time forward.
pub type Clock = Arc<dyn Fn() -> u64 + Send + Sync>;

/// The system clock.
pub fn system_clock() -> Clock {
    Arc::new(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0)
    })
}

/// A registered client with its secret resolved.
pub struct RegisteredClient {
    /// As configured.
    pub config: Client,
    /// The secret (`client_secret_basic`/`_post`).
    pub secret: Option<String>,
    /// Public keys (`private_key_jwt`). Neither this nor a secret: a public client.
    pub keys: Option<jwtkit::JwkSet>,
    /// Grant types in effect.
    pub grant_types: Vec<String>,
    /// Scopes in effect.
    pub scopes: Vec<String>,
}

impl RegisteredClient {
    /// Whether it may use `grant_type`.
    pub fn allows(&self, grant_type: &str) -> bool {
        self.grant_types.iter().any(|g| g == grant_type)
    }

    /// `aud` of its access tokens.
    pub fn audience(&self) -> Vec<String> {
        self.config
            .audience
            .clone()
            .unwrap_or_else(|| vec![self.config.client_id.clone()])
    }
}

/// The issuer: configuration, state, keys and clock, shared by every request.
pub struct Issuer {
    /// The `iss` value and base URL (no trailing `/`).
    pub issuer: String,
    /// The configuration.
    pub config: Config,
    /// Clients by `client_id`.
    pub clients: HashMap<String, RegisteredClient>,
    /// State.
    pub store: Store,
    /// Signing keys.
    pub ring: KeyRing,
    /// Pending authorization requests (the login page), in memory only.
    pub pending: authorize::PendingRequests,
    /// Client assertion `jti`s seen (replay protection).
    pub assertions: assertion::SeenAssertions,
    clock: Clock,
    quiet: bool,
}

impl Issuer {
    /// Build the issuer: resolve client secrets, open the state. `issuer` is the `iss` and base
    /// URL when the config has none (the CLI passes `http://<bound address>`).
    ///
    /// # Errors
    /// A client secret that cannot be resolved; the state file cannot be opened.
    pub fn new(config: Config, issuer: &str, clock: Clock) -> anyhow::Result<Issuer> {
        let issuer = config
            .issuer
            .clone()
            .unwrap_or_else(|| issuer.to_string())
            .trim_end_matches('/')
            .to_string();
        let mut clients = HashMap::new();
        for c in &config.clients {
            clients.insert(
                c.client_id.clone(),
                RegisteredClient {
                    secret: c.resolve_secret()?,
                    keys: match &c.jwks {
                        Some(p) => Some(assertion::load_keys(&c.client_id, p)?),
                        None => None,
                    },
                    grant_types: c.grant_types(),
                    scopes: c.scopes(),
                    config: c.clone(),
                },
            );
        }
        let store = match &config.state {
            None | Some(StateLocation::Memory) => Store::memory(),
            Some(StateLocation::File(p)) => Store::open(p)?,
        };
        let t = &config.tokens;
        let k = &config.keys;
        let ring = KeyRing::new(
            k.algorithm,
            k.rotation_period.0,
            k.publish_ahead.0,
            t.access_token_ttl.0.max(t.id_token_ttl.0),
        );
        Ok(Issuer {
            issuer,
            clients,
            store,
            ring,
            pending: authorize::PendingRequests::default(),
            assertions: assertion::SeenAssertions::default(),
            clock,
            quiet: false,
            config,
        })
    }

    /// Do not print events on stderr (tests).
    pub fn quiet(mut self) -> Issuer {
        self.quiet = true;
        self
    }

    /// Now, in Unix seconds.
    pub fn now(&self) -> u64 {
        (self.clock)()
    }

    /// `<issuer><path>`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.issuer)
    }

    /// A registered user.
    pub fn user(&self, sub: &str) -> Option<&User> {
        self.config.users.iter().find(|u| u.sub == sub)
    }

    /// Print one event line on stderr. Callers pass only identifiers (client_id, sub, kid,
    /// grant type), never a secret, code or token.
    pub fn event(&self, line: std::fmt::Arguments<'_>) {
        if !self.quiet {
            eprintln!("jwtkit issuer: {line}");
        }
    }

    /// The start-up banner: what this is, where, and what it knows.
    pub fn banner(&self) -> String {
        let state = match &self.config.state {
            None | Some(StateLocation::Memory) => "memory (lost at exit)".to_string(),
            Some(StateLocation::File(p)) => p.display().to_string(),
        };
        let mut clients: Vec<String> = self
            .clients
            .values()
            .map(|c| {
                let kind = match (&c.secret, &c.keys) {
                    (Some(_), _) => "confidential",
                    (None, Some(_)) => "confidential, private_key_jwt",
                    (None, None) => "public",
                };
                format!("{} ({kind})", c.config.client_id)
            })
            .collect();
        clients.sort();
        let users: Vec<&str> = self.config.users.iter().map(|u| u.sub.as_str()).collect();
        format!(
            "jwtkit issuer: FOR DEVELOPMENT AND TESTS ONLY. Anyone who can reach it can log in as any \
             configured user, without a password.\n  issuer     {}\n  discovery  {}\n  signing    {}, key \
             rotation every {}s\n  state      {state}\n  clients    {}\n  users      {}",
            self.issuer,
            self.url("/.well-known/openid-configuration"),
            self.ring.alg().jws(),
            self.config.keys.rotation_period.0,
            clients.join(", "),
            users.join(", ")
        )
    }
}

/// The Router. Endpoints are served under the issuer URL's path (none for `http://host:port`).
pub fn router(issuer: Arc<Issuer>) -> Router {
    let limit = issuer.config.tokens.max_request_bytes;
    let base = url::Url::parse(&issuer.issuer)
        .map(|u| u.path().trim_end_matches('/').to_string())
        .unwrap_or_default();
    let routes = Router::new()
        .route("/.well-known/openid-configuration", get(endpoints::discovery))
        .route(
            "/.well-known/oauth-authorization-server",
            get(endpoints::discovery),
        )
        .route("/jwks", get(endpoints::jwks))
        .route(
            "/authorize",
            get(authorize::authorize_get).post(authorize::authorize_post),
        )
        .route("/authorize/login", post(authorize::login))
        .route("/token", post(token::token))
        .route("/introspect", post(endpoints::introspect))
        .route("/revoke", post(endpoints::revoke))
        .route(
            "/userinfo",
            get(endpoints::userinfo_get).post(endpoints::userinfo_post),
        );
    let app = if base.is_empty() {
        routes
    } else {
        // RFC 8414 §3.1: the metadata of an issuer with a path is at the root, path appended.
        Router::new()
            .route(
                &format!("/.well-known/oauth-authorization-server{base}"),
                get(endpoints::discovery),
            )
            .nest(&base, routes)
    };
    app.layer(DefaultBodyLimit::max(limit)).with_state(issuer)
}

/// Default listen address.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:9400";

/// Parse a listen address (`localhost:PORT` is 127.0.0.1) and refuse a non-loopback one
/// unless `allow_public`.
///
/// # Errors
/// Not an address, or public without `allow_public`.
pub fn listen_address(text: &str, allow_public: bool) -> anyhow::Result<SocketAddr> {
    let text = text.trim();
    let addr: SocketAddr = match text.strip_prefix("localhost:") {
        Some(port) => SocketAddr::from(([127, 0, 0, 1], port.parse::<u16>().context("port")?)),
        None => text
            .parse()
            .with_context(|| format!("listen address {text:?} is not IP:PORT (e.g. 127.0.0.1:9400)"))?,
    };
    if !addr.ip().is_loopback() && !allow_public {
        bail!(
            "refusing to listen on {addr}: the issuer lets anyone log in as any configured user. \
             Use a loopback address, or pass --allow-public-address to expose it deliberately"
        );
    }
    Ok(addr)
}

/// Serve `router` on `listener` until Ctrl-C.
///
/// # Errors
/// The server failed.
pub async fn serve(listener: tokio::net::TcpListener, router: Router) -> std::io::Result<()> {
    axum::serve(listener, router)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
}
