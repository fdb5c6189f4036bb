//! # jwtkit-gateway
//!
//! A JWT-verifying reverse proxy (`jwtkit gateway`): routes by host and path prefix, verifies
//! bearer tokens ([RFC 6750]) through the jwtkit core ([RFC 7519] §7.2), answers failures with
//! exact `WWW-Authenticate` headers, forwards claims as headers, revokes by `jti` or `sub`,
//! rate-limits per claim value, and keeps its state in an embedded redb file or in Redis.
//!
//! ```no_run
//! # async fn demo() -> anyhow::Result<()> {
//! let config = jwtkit_gateway::config::Config::load("gateway.toml".as_ref())?;
//! let gw = jwtkit_gateway::Gateway::start(config, Some("gateway.toml".into())).await?;
//! println!("proxy on {}, admin on {}", gw.addr(), gw.admin_addr());
//! gw.wait_for_signal().await;
//! # Ok(()) }
//! ```
//!
//! Modules: [`config`] (TOML), [`provider`] (issuers, keys, token sources), [`encryption`]
//! (JWE tokens: decrypt, then the nested JWT), [`path`] (normalized before routing), [`route`],
//! [`pipeline`] (phases), [`forward`], [`listener_tls`] (TLS on the listener), [`response`] (RFC 6750 in one place), [`store`],
//! [`revocation`], [`rate_limit`], [`token_cache`], [`admin`], [`metrics`], [`explain`].
//!
//! [RFC 6750]: https://www.rfc-editor.org/rfc/rfc6750
//! [RFC 7519]: https://www.rfc-editor.org/rfc/rfc7519
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod admin;
pub mod config;
pub mod decision;
pub mod encryption;
pub mod explain;
pub mod forward;
pub mod identity_claims;
pub mod identity_headers;
pub mod introspection;
pub mod listener_tls;
pub mod metrics;
pub mod path;
pub mod pipeline;
pub mod provider;
pub mod rate_limit;
pub mod resource_metadata;
pub mod response;
pub mod revocation;
pub mod route;
pub mod sender;
pub mod state;
pub mod store;
pub mod token_cache;
pub mod token_profile;

use jwtkit::JwsAlg;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use anyhow::Context;
use arc_swap::ArcSwap;
use http::{Request, Response};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::config::{Config, LogFormat};
use crate::forward::{Body, Clients};
use crate::pipeline::{Ctx, Flow, State};
use crate::provider::KeyRegistry;
use crate::response::Rejection;
use crate::store::Store;
use crate::token_cache::TokenCache;

/// Everything shared by requests, kept across config reloads.
pub struct Shared {
    /// The current configuration generation.
    pub state: ArcSwap<State>,
    /// Revocations and rate limits (None only for `explain` when the store cannot be opened).
    pub store: Option<Store>,
    /// Verified tokens.
    pub cache: TokenCache,
    /// Key sources, one per location.
    pub registry: KeyRegistry,
    /// The config file, for reloads.
    pub config_path: Option<PathBuf>,
    next_generation: AtomicU64,
}

impl Shared {
    /// Build from a config (store opened; keys loaded lazily, see [`Shared::refresh_keys`]).
    ///
    /// # Errors
    /// Invalid config, an unopenable store or CA file.
    pub fn new(config: Config, config_path: Option<PathBuf>, store: Option<Store>) -> anyhow::Result<Shared> {
        let registry = KeyRegistry::default();
        let state = State::build(config, &registry, 1)?;
        Ok(Shared {
            cache: TokenCache::new(state.config.cache.max_entries, state.config.cache.shards),
            state: ArcSwap::from_pointee(state),
            store,
            registry,
            config_path,
            next_generation: AtomicU64::new(2),
        })
    }

    /// Load or fetch every provider's keys now.
    pub async fn refresh_keys(&self) {
        let state = self.state.load_full();
        let mut done: Vec<&provider::ProviderKeys> = Vec::new();
        for p in &state.providers {
            // Providers sharing a key cache (same source and policy) fetch once.
            if done.iter().any(|d| d.same_cache(&p.keys)) {
                continue;
            }
            done.push(&p.keys);
            if let Err(e) = p.keys.refresh().await {
                tracing::warn!(provider = %p.name, error = %e, "keys unavailable");
            }
        }
    }

    /// Re-read the config file and swap it in atomically; on any error the current config
    /// keeps serving.
    ///
    /// # Errors
    /// No config path, or the new config is invalid.
    pub async fn reload(&self) -> anyhow::Result<u64> {
        let path = self.config_path.as_ref().context("no config file to reload")?;
        let result = Config::load(path).and_then(|c| {
            let g = self.next_generation.fetch_add(1, Ordering::Relaxed);
            State::build(c, &self.registry, g)
        });
        let mut new = match result {
            Ok(s) => s,
            Err(e) => {
                ::metrics::counter!("jwtkit_gateway_config_reloads_total", "result" => "error").increment(1);
                tracing::error!(error = %format!("{e:#}"), "config reload rejected; the previous config keeps serving");
                return Err(e);
            }
        };
        let old = self.state.load_full();
        let (a, b) = (&old.config, &new.config);
        if a.server.listen != b.server.listen
            || a.server.admin_listen != b.server.admin_listen
            || a.store != b.store
        {
            tracing::warn!("listen addresses and [store] changes take effect after a restart");
        }
        if old.tls.is_some() != new.tls.is_some() {
            tracing::warn!("turning server.tls on or off takes effect after a restart");
            // A TLS listener keeps its last certificate until then.
            new.tls = new.tls.or_else(|| old.tls.clone());
        }
        let generation = new.generation;
        self.state.store(Arc::new(new));
        drop(old);
        self.registry.start_refreshers();
        self.refresh_keys().await;
        ::metrics::counter!("jwtkit_gateway_config_reloads_total", "result" => "ok").increment(1);
        tracing::info!(generation, "config reloaded");
        Ok(generation)
    }
}

/// Serve one proxied request.
pub async fn handle(
    shared: Arc<Shared>,
    clients: Arc<Clients>,
    client: SocketAddr,
    req: Request<Incoming>,
) -> Result<Response<Body>, Infallible> {
    let state = shared.state.load_full();
    let mut ctx = Ctx::new(state, client);
    let (mut parts, body) = req.into_parts();
    // The client's HTTP version, answered in (RFC 9110 §6.2: a proxy sends its own version; an
    // HTTP/1.0 upstream must not turn the client's keep-alive HTTP/1.1 connection into 1.0).
    let client_version = parts.version;
    let scheme = parts
        .extensions
        .get::<forward::ClientProto>()
        .map_or("http", |p| p.0);
    if parts.uri.path().starts_with(resource_metadata::WELL_KNOWN)
        && let Some(resp) = resource_metadata::serve(
            &ctx.state.routes,
            &parts.method,
            parts.uri.path(),
            scheme,
            resource_metadata::request_host(&parts),
        )
    {
        return Ok(resp);
    }
    let flow = pipeline::decide(&shared, &mut ctx, &mut parts).await;
    // RFC 9728 §5.1: the challenge names the route's metadata (computed only for an answer).
    let metadata = |ctx: &Ctx, parts: &http::request::Parts| {
        ctx.route
            .as_ref()
            .and_then(|r| resource_metadata::challenge_url(r, scheme, resource_metadata::request_host(parts)))
    };
    let rejection = match flow {
        Flow::Respond(r) => r,
        Flow::Continue => match ctx.route.clone() {
            None => Rejection::NoRoute,
            Some(route) => match forward::prepare(&route, &mut parts, client, &ctx.state).and_then(|()| {
                match &ctx.identity {
                    Some(id) => forward::set_claim_headers(&route, id, &mut parts.headers),
                    None => Ok(()),
                }
            }) {
                Ok(()) => {
                    let sent = forward::send(
                        &clients,
                        &route,
                        &ctx.state.identity_headers,
                        Request::from_parts(parts, body),
                    )
                    .await;
                    return Ok(match sent {
                        Ok(resp) => forwarded(resp, &ctx, client_version),
                        Err(r) => rejected(&r, &ctx, None),
                    });
                }
                Err(r) => r,
            },
        },
    };
    Ok(rejected(&rejection, &ctx, metadata(&ctx, &parts).as_deref()))
}

/// The upstream's answer, in the client's HTTP version, counted; `Cache-Control: private` when
/// the token came in the query; the next `DPoP-Nonce` (RFC 9449 §8).
fn forwarded(mut resp: Response<Body>, ctx: &Ctx, client_version: http::Version) -> Response<Body> {
    *resp.version_mut() = client_version;
    if let Some(r) = &ctx.route {
        r.forwarded.increment(1);
    }
    if ctx.token_in_query && resp.status().is_success() {
        forward::cache_private(resp.headers_mut());
    }
    if let Some(n) = ctx
        .dpop_nonce
        .as_deref()
        .and_then(|n| http::HeaderValue::from_str(n).ok())
    {
        resp.headers_mut().insert("dpop-nonce", n);
    }
    resp
}

/// The gateway's own answer ([`response`]), counted by route and outcome, and token rejections
/// by reason and issuer; `metadata_url` is the RFC 9728 §5.1 `resource_metadata` of the challenge
/// (none for a failed upstream: that answer has no challenge).
fn rejected(r: &Rejection, ctx: &Ctx, metadata_url: Option<&str>) -> Response<Body> {
    let reason = response::reason(r);
    let route_name = ctx.route.as_ref().map_or("-", |r| &*r.name);
    ::metrics::counter!("jwtkit_gateway_requests_total", "route" => route_name.to_string(), "outcome" => reason)
        .increment(1);
    if matches!(
        r,
        Rejection::InvalidToken(_)
            | Rejection::MissingToken
            | Rejection::DpopRequired { .. }
            | Rejection::InsufficientScope { .. }
            | Rejection::EncryptionRequired
            | Rejection::InvalidRequest(_)
            | Rejection::Dpop { .. }
            | Rejection::TokenType { .. }
    ) {
        let issuer = ctx
            .provider
            .as_ref()
            .map_or_else(String::new, |p| p.issuer.clone());
        ::metrics::counter!("jwtkit_gateway_rejections_total", "reason" => reason, "issuer" => issuer)
            .increment(1);
    }
    response::respond_for(r, &ctx.state.config.server.realm, metadata_url)
}

/// A running gateway.
pub struct Gateway {
    shared: Arc<Shared>,
    addr: SocketAddr,
    admin_addr: SocketAddr,
    decision_addr: Option<SocketAddr>,
    decision_grpc_addr: Option<SocketAddr>,
    shutdown: watch::Sender<bool>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
    _watcher: Option<notify::RecommendedWatcher>,
}

impl Gateway {
    /// Open the store, load keys, bind both listeners and start serving.
    ///
    /// # Errors
    /// Invalid config, store or listener errors.
    pub async fn start(config: Config, config_path: Option<PathBuf>) -> anyhow::Result<Gateway> {
        metrics::install();
        let store = Store::open(&config.store)?;
        let listen: SocketAddr = config.server.listen.parse()?;
        let admin_listen: SocketAddr = config.server.admin_listen.parse()?;
        let watch_config = config.server.watch_config;
        let shared = Arc::new(Shared::new(config, config_path.clone(), Some(store))?);
        shared.refresh_keys().await;
        shared.registry.start_refreshers();
        if let Some(s) = &shared.store {
            s.started().await;
        }
        let workers =
            shared.state.load().config.server.workers.unwrap_or_else(|| {
                std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
            });
        let first = bind_reuseport(listen).with_context(|| format!("binding {listen}"))?;
        let addr = first.local_addr()?;
        let mut listeners = vec![first];
        for _ in 1..workers {
            listeners.push(bind_reuseport(addr).with_context(|| format!("binding {addr}"))?);
        }
        let admin = TcpListener::bind(admin_listen)
            .await
            .with_context(|| format!("binding {admin_listen}"))?;
        let admin_addr = admin.local_addr()?;
        let (tx, rx) = watch::channel(false);
        let server = &shared.state.load().config.server;
        let (connect_timeout, ca) = (server.connect_timeout.0, server.upstream_ca_file.clone());
        let mut threads = Vec::new();
        for (i, listener) in listeners.into_iter().enumerate() {
            let clients = Arc::new(Clients::new(connect_timeout, ca.as_deref())?);
            let (shared, stop) = (shared.clone(), rx.clone());
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            threads.push(
                std::thread::Builder::new()
                    .name(format!("jwtkit-proxy-{i}"))
                    .spawn(move || {
                        rt.block_on(async move {
                            match TcpListener::from_std(listener) {
                                Ok(l) => serve_proxy(shared, clients, l, stop).await,
                                Err(e) => tracing::error!(error = %e, "proxy worker cannot listen"),
                            }
                        })
                    })?,
            );
        }
        let mut tasks = vec![tokio::task::spawn_blocking(move || {
            for t in threads {
                let _ = t.join();
            }
        })];
        let mut arx = rx.clone();
        let router = admin::router(shared.clone());
        tasks.push(tokio::spawn(async move {
            let _ = axum::serve(admin, router.into_make_service())
                .with_graceful_shutdown(async move {
                    let _ = arx.wait_for(|s| *s).await;
                })
                .await;
        }));
        let decision = decision::start(shared.clone(), rx.clone()).await?;
        tasks.extend(decision.tasks);
        tasks.push(tokio::spawn(housekeeping(shared.clone(), rx.clone())));
        let (reload_tx, reload_rx) = tokio::sync::mpsc::channel::<()>(4);
        tasks.push(tokio::spawn(reloader(shared.clone(), reload_rx, rx.clone())));
        let watcher = match (&config_path, watch_config) {
            (Some(p), true) => watch_file(p, reload_tx.clone()).ok(),
            _ => None,
        };
        #[cfg(unix)]
        {
            let mut stop = rx.clone();
            tasks.push(tokio::spawn(async move {
                let Ok(mut hup) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())
                else {
                    return;
                };
                loop {
                    tokio::select! {
                        got = hup.recv() => if got.is_none() { return },
                        _ = stop.wait_for(|s| *s) => return,
                    }
                    tracing::info!("SIGHUP: reloading the config");
                    let _ = reload_tx.send(()).await;
                }
            }));
        }
        tracing::info!(%addr, %admin_addr, store = shared.store.as_ref().map_or("-", |s| s.kind()), "gateway listening");
        Ok(Gateway {
            shared,
            addr,
            admin_addr,
            decision_addr: decision.http,
            decision_grpc_addr: decision.grpc,
            shutdown: tx,
            tasks,
            _watcher: watcher,
        })
    }

    /// The proxy address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The admin address.
    pub fn admin_addr(&self) -> SocketAddr {
        self.admin_addr
    }

    /// The HTTP decision listener's address (`decision.listen`), if set.
    pub fn decision_addr(&self) -> Option<SocketAddr> {
        self.decision_addr
    }

    /// The ext_authz gRPC listener's address (`decision.grpc_listen`), if set.
    pub fn decision_grpc_addr(&self) -> Option<SocketAddr> {
        self.decision_grpc_addr
    }

    /// Shared state (tests, embedding).
    pub fn shared(&self) -> &Arc<Shared> {
        &self.shared
    }

    /// Stop accepting, let in-flight requests finish (up to `server.shutdown_grace`), stop.
    pub async fn shutdown(self) {
        let _ = self.shutdown.send(true);
        let grace = self.shared.state.load().config.server.shutdown_grace.0;
        for t in self.tasks {
            let abort = t.abort_handle();
            if tokio::time::timeout(grace + Duration::from_secs(1), t)
                .await
                .is_err()
            {
                abort.abort();
            }
        }
    }

    /// Serve until SIGINT or SIGTERM, then shut down gracefully.
    pub async fn wait_for_signal(self) {
        #[cfg(unix)]
        {
            let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = async { match term.as_mut() { Some(t) => { t.recv().await; } None => std::future::pending().await } } => {}
            }
        }
        #[cfg(not(unix))]
        let _ = tokio::signal::ctrl_c().await;
        tracing::info!("shutting down: draining in-flight requests");
        self.shutdown().await;
    }
}

/// A listening socket with `SO_REUSEPORT`, so each proxy worker accepts on its own socket.
fn bind_reuseport(addr: SocketAddr) -> std::io::Result<std::net::TcpListener> {
    let socket = socket2::Socket::new(socket2::Domain::for_address(addr), socket2::Type::STREAM, None)?;
    socket.set_reuse_address(true)?;
    #[cfg(unix)]
    socket.set_reuse_port(true)?;
    socket.set_nonblocking(true)?;
    socket.bind(&addr.into())?;
    socket.listen(4096)?;
    Ok(socket.into())
}

/// One proxy worker: its own single-threaded event loop, listener and upstream pools, so a
/// request and its upstream exchange never cross threads.
async fn serve_proxy(
    shared: Arc<Shared>,
    clients: Arc<Clients>,
    listener: TcpListener,
    mut stop: watch::Receiver<bool>,
) {
    let mut builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .keep_alive(true)
        .timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(Duration::from_secs(30));
    builder.http2().timer(hyper_util::rt::TokioTimer::new());
    let builder = Arc::new(builder);
    // Fixed at start: a reload changes the certificate, not whether the listener speaks TLS.
    let tls_on = shared.state.load().tls.is_some();
    let conn_stop = stop.clone();
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, peer)) = accepted else { continue };
                let _ = stream.set_nodelay(true);
                if tls_on && let Some(tls) = shared.state.load().tls.clone() {
                    let (shared, clients, builder, stop) = (shared.clone(), clients.clone(), builder.clone(), conn_stop.clone());
                    let w = listener_tls::Worker { shared, clients, builder, stop };
                    tokio::spawn(listener_tls::serve(tls, stream, peer, w, graceful.watcher()));
                    continue;
                }
                let (shared, clients) = (shared.clone(), clients.clone());
                let service = hyper::service::service_fn(move |req| handle(shared.clone(), clients.clone(), peer, req));
                let conn = builder.serve_connection_with_upgrades(TokioIo::new(stream), service).into_owned();
                let conn = graceful.watch(conn);
                tokio::spawn(async move {
                    let _ = conn.await;
                });
            }
            _ = stop.wait_for(|s| *s) => break,
        }
    }
    drop(listener);
    let grace = shared.state.load().config.server.shutdown_grace.0;
    if tokio::time::timeout(grace, graceful.shutdown()).await.is_err() {
        tracing::warn!("shutdown grace period over; closing remaining connections");
    }
}

async fn housekeeping(shared: Arc<Shared>, mut stop: watch::Receiver<bool>) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    let mut n: u64 = 0;
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stop.wait_for(|s| *s) => return,
        }
        n += 1;
        if let Some(s) = &shared.store {
            if !s.healthy() || n.is_multiple_of(5) {
                let _ = s.ping().await;
            }
            if n.is_multiple_of(60) {
                s.purge_expired().await;
            }
        }
    }
}

async fn reloader(
    shared: Arc<Shared>,
    mut rx: tokio::sync::mpsc::Receiver<()>,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        tokio::select! {
            got = rx.recv() => if got.is_none() { return },
            _ = stop.wait_for(|s| *s) => return,
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
        while rx.try_recv().is_ok() {}
        let _ = shared.reload().await;
    }
}

fn watch_file(
    path: &std::path::Path,
    tx: tokio::sync::mpsc::Sender<()>,
) -> notify::Result<notify::RecommendedWatcher> {
    use notify::Watcher;
    let file = path.file_name().map(|f| f.to_os_string());
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."))
        .to_path_buf();
    let mut w = notify::recommended_watcher(move |ev: notify::Result<notify::Event>| {
        if let Ok(ev) = ev
            && !ev.kind.is_access()
            && ev
                .paths
                .iter()
                .any(|p| p.file_name().map(|f| f.to_os_string()) == file)
        {
            let _ = tx.try_send(());
        }
    })?;
    w.watch(&dir, notify::RecursiveMode::NonRecursive)?;
    Ok(w)
}

/// Set up logging from `[log]` (text or JSON lines); `RUST_LOG` overrides the level.
pub fn init_logging(log: &config::LogConfig) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(&log.level));
    // Colour codes only on a terminal: a log file or journal gets plain text.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr()) && std::env::var_os("NO_COLOR").is_none();
    let b = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi)
        .with_writer(std::io::stderr);
    let _ = match log.format {
        LogFormat::Json => b.json().flatten_event(true).try_init(),
        LogFormat::Text => b.try_init(),
    };
}

/// `jwtkit gateway --config FILE`: run until SIGINT/SIGTERM.
///
/// # Errors
/// Invalid config, store or listener errors.
pub async fn run(path: PathBuf) -> anyhow::Result<()> {
    let config = Config::load(&path)?;
    init_logging(&config.log);
    let gw = Gateway::start(config, Some(path)).await?;
    gw.wait_for_signal().await;
    Ok(())
}

/// `jwtkit gateway --config FILE --check`: parse and build everything without listening or
/// opening the store. Returns a one-line summary per provider and route.
///
/// # Errors
/// The first problem.
pub fn check(path: &std::path::Path) -> anyhow::Result<Vec<String>> {
    let config = Config::load(path)?;
    let store_line = crate::store::config::check(&config.store)?;
    let registry = KeyRegistry::default();
    let files: Vec<(String, PathBuf)> = config
        .providers
        .iter()
        .filter_map(|p| p.keys.clone().map(|k| (p.name.clone(), k)))
        .collect();
    let state = State::build(config, &registry, 1)?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let mut out = Vec::new();
    for p in &state.providers {
        let keys = match files.iter().find(|(n, _)| *n == *p.name) {
            Some((_, file)) => key_file_summary(&rt, p, file)?,
            None => "fetched at start".to_string(),
        };
        out.push(provider_summary(p, &keys));
    }
    for r in state.routes.iter() {
        let auth = match &r.auth {
            route::Auth::None => "none".to_string(),
            route::Auth::Jwt {
                providers, scopes, ..
            } => format!(
                "providers [{}]{}",
                providers
                    .iter()
                    .map(|p| p.name.to_string())
                    .collect::<Vec<_>>()
                    .join(", "),
                if scopes.is_empty() {
                    String::new()
                } else {
                    format!(", scopes [{}]", scopes.join(" "))
                }
            ),
        };
        out.push(format!(
            "route {}: {}{} → {}://{}, auth {auth}",
            r.name,
            r.host.as_deref().unwrap_or(""),
            if r.prefix.is_empty() { "/" } else { &r.prefix },
            r.upstream.scheme,
            r.upstream.authority
        ));
    }
    out.push(store_line);
    let d = &state.config.decision;
    for (what, addr) in [
        ("forward-auth / ext_authz HTTP", &d.listen),
        ("ext_authz gRPC", &d.grpc_listen),
    ] {
        if let Some(a) = addr {
            a.parse::<SocketAddr>()
                .map_err(|_| anyhow::anyhow!("decision: {a:?} is not an address (host:port)"))?;
            out.push(format!("decision {what} on {a}"));
        }
    }
    if let Some(tls) = &state.tls {
        out.push(format!(
            "listener {}: {}",
            state.config.server.listen,
            tls.summary()
        ));
    }
    Ok(out)
}

/// `check`'s line for a provider's key file: loaded, and able to verify at least one of the
/// provider's algorithms (a key file that cannot rejects every token: an error).
fn key_file_summary(
    rt: &tokio::runtime::Runtime,
    p: &provider::Provider,
    file: &std::path::Path,
) -> anyhow::Result<String> {
    rt.block_on(p.keys.refresh())
        .map_err(|e| anyhow::anyhow!("provider {:?}: keys {}: {}", p.name, file.display(), e.message()))?;
    let set = p.keys.current();
    let n = set.as_ref().map_or(0, |k| k.keys().len());
    let families: Vec<String> = set
        .iter()
        .flat_map(|s| s.keys())
        .map(|k| k.family().to_string())
        .collect();
    let usable = set
        .as_deref()
        .map_or(
            jwtkit::AlgorithmSet::<JwsAlg>::empty(),
            jwtkit::JwkSet::algorithms,
        )
        .intersect(p.validation.algorithms());
    if usable.is_empty() {
        let holds = if families.is_empty() {
            "no key".to_string()
        } else {
            families.join(", ")
        };
        anyhow::bail!(
            "provider {:?}: no key in {} can verify {} (it holds: {holds}); every token would be rejected",
            p.name,
            file.display(),
            p.validation.algorithms(),
        );
    }
    Ok(format!("{n} key(s) from {}", file.display()))
}

/// `check`'s line for a provider: issuer (and tenants), algorithms, keys, JWE, introspection,
/// token profile and sender constraint.
fn provider_summary(p: &provider::Provider, keys: &str) -> String {
    let jwe = p
        .decryption
        .as_ref()
        .map_or_else(String::new, |d| format!(", decrypts JWE: {}", d.summary()));
    let tenants = p
        .issuer_template
        .as_ref()
        .map_or_else(String::new, |t| match t.allowed_tenants() {
            None => format!(" (any {} tenant)", t.tenant_format()),
            Some(l) => format!(" (tenants {})", l.join(", ")),
        });
    let intro = p.introspection.as_ref().map_or_else(String::new, |i| {
        format!(", opaque tokens introspected at {}", i.url)
    });
    let profile = p
        .profile
        .as_ref()
        .map(|profile| format!("typ {}", profile.accepted()));
    let sender: Vec<String> = profile
        .into_iter()
        .chain([p.binding.summary()])
        .filter(|s| !s.is_empty())
        .collect();
    let sender = if sender.is_empty() {
        String::new()
    } else {
        format!(", {}", sender.join(", "))
    };
    format!(
        "provider {}: issuer {}{tenants}, algorithms {}, keys {keys}{jwe}{intro}{sender}",
        p.name,
        p.issuer,
        p.validation.algorithms()
    )
}
