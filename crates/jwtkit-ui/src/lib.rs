//! # jwtkit-ui: the local web debugger behind `jwtkit ui`
//!
//! One page, served on 127.0.0.1, that decodes, verifies, encodes and lints tokens with the
//! jwtkit core library, so nobody has to paste a production token into a website.
//!
//! - [`router`] builds the axum [`Router`]: the page's embedded assets ([`assets`]) and a small
//!   JSON API ([`api`]: `/api/decode`, `/api/verify`, `/api/encode`, `/api/keygen`,
//!   `/api/findings`, `/api/crack`, `/api/info`). Tests drive it in-process, without sockets.
//! - [`bind`] listens on the loopback address only; [`Bound::serve`] runs the server.
//! - [`guard`] is the safety net every request goes through: `Host` must be the loopback
//!   address and port (DNS-rebinding defence), API `POST`s must carry the page's `Origin`
//!   (CSRF defence), and every response carries a strict Content-Security-Policy.
//!
//! Tokens, keys and secrets are never logged nor written to disk: the server prints its URL
//! and nothing else.
//!
//! ```no_run
//! # async fn run() -> std::io::Result<()> {
//! let bound = jwtkit_ui::bind(jwtkit_ui::UiConfig::new(7800)).await?;
//! println!("jwtkit ui: {}", bound.url());
//! bound.serve().await
//! # }
//! ```
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

pub mod api;
pub mod assets;
pub mod guard;

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;

/// Largest accepted API request body, in bytes (a key document of up to 1 MiB, JSON-escaped,
/// plus a token of up to 256 KiB).
pub const MAX_BODY_BYTES: usize = 3 * 1024 * 1024;

/// The default port of `jwtkit ui`.
pub const DEFAULT_PORT: u16 = 7800;

/// How the debugger is set up.
#[derive(Clone, Debug)]
pub struct UiConfig {
    /// The TCP port on 127.0.0.1. `0` asks the system for a free port ([`bind`] then knows the
    /// real one). The `Host` and `Origin` checks accept only this port.
    pub port: u16,
    /// Input limits applied to tokens and key documents.
    pub limits: jwtkit::Limits,
}

impl UiConfig {
    /// Default limits on `port`.
    pub fn new(port: u16) -> UiConfig {
        UiConfig {
            port,
            limits: jwtkit::Limits::default(),
        }
    }
}

impl Default for UiConfig {
    fn default() -> Self {
        UiConfig::new(DEFAULT_PORT)
    }
}

/// Shared state of the handlers.
#[derive(Debug)]
pub(crate) struct State {
    pub(crate) limits: jwtkit::Limits,
    /// JWK Sets fetched from URLs the page names (one cache per URL, with the library's TTL,
    /// rotation refetch and cooldown), kept in memory only.
    pub(crate) remote: jwtkit_remote::KeyCacheRegistry,
}

/// The debugger's routes: `GET /` (the page), `GET /app.js`, `/style.css`, `/favicon.png`, the
/// JSON API under `/api/`, all behind [`guard::check`] for `cfg.port`.
pub fn router(cfg: UiConfig) -> Router {
    let state = Arc::new(State {
        limits: cfg.limits,
        remote: jwtkit_remote::KeyCacheRegistry::new(),
    });
    Router::new()
        .merge(assets::routes())
        .nest("/api", api::routes(state))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn_with_state(
            Arc::new(guard::Allowed::for_port(cfg.port)),
            guard::check,
        ))
}

/// A listening socket on the loopback address, ready to [`Bound::serve`].
#[derive(Debug)]
pub struct Bound {
    listener: tokio::net::TcpListener,
    addr: SocketAddr,
    cfg: UiConfig,
}

/// Listen on `127.0.0.1:cfg.port` (never another interface).
///
/// # Errors
/// The socket error, e.g. `AddrInUse` when the port is taken.
pub async fn bind(cfg: UiConfig) -> std::io::Result<Bound> {
    let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, cfg.port)).await?;
    let addr = listener.local_addr()?;
    let cfg = UiConfig {
        port: addr.port(),
        ..cfg
    };
    Ok(Bound { listener, addr, cfg })
}

impl Bound {
    /// The address listened on (always 127.0.0.1).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The page's URL, `http://127.0.0.1:PORT/`.
    pub fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }

    /// Serve until Ctrl-C (SIGINT) or, on Unix, SIGTERM.
    ///
    /// # Errors
    /// An accept-loop I/O error.
    pub async fn serve(self) -> std::io::Result<()> {
        let app = router(self.cfg);
        axum::serve(self.listener, app)
            .with_graceful_shutdown(shutdown_signal())
            .await
    }
}

/// Bind on the loopback address, print the URL on stdout and serve until interrupted.
///
/// # Errors
/// As [`bind`] and [`Bound::serve`].
pub async fn serve(cfg: UiConfig) -> std::io::Result<()> {
    let bound = bind(cfg).await?;
    println!("jwtkit ui: {}", bound.url());
    bound.serve().await
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}
