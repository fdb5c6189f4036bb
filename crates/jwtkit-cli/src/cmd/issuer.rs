//! `jwtkit issuer`: a local OpenID Connect provider for development and tests (crate
//! `jwtkit-issuer`, reference in `docs/issuer.md`).

use std::path::PathBuf;
use std::sync::Arc;

use clap::Args;
use jwtkit::ErrorKind;

use crate::exit::{Failure, OK};
use crate::output::Style;

/// `jwtkit issuer --config FILE [--listen ADDR] [--allow-public-address]`.
#[derive(Debug, Args)]
pub struct IssuerArgs {
    /// The issuer config (TOML: clients, users, token lifetimes, key rotation; docs/issuer.md).
    #[arg(long, value_name = "FILE")]
    pub config: PathBuf,
    /// Listen address (default: the config's `listen`, else 127.0.0.1:9400; port 0 picks one).
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<String>,
    /// Allow a non-loopback listen address. Anyone who can reach the issuer can sign in as any
    /// configured user: only for a network you control (a CI container, a test VM).
    #[arg(long)]
    pub allow_public_address: bool,
}

fn config_error(e: anyhow::Error) -> Failure {
    Failure::Jose(jwtkit::Error::new(ErrorKind::InvalidConfig, format!("{e:#}")))
}

/// Serve until Ctrl-C.
pub fn run(a: &IssuerArgs, _st: Style) -> Result<u8, Failure> {
    let config = jwtkit_issuer::config::load(&a.config).map_err(config_error)?;
    let listen = a
        .listen
        .clone()
        .or_else(|| config.listen.clone())
        .unwrap_or_else(|| jwtkit_issuer::DEFAULT_LISTEN.to_string());
    let addr = jwtkit_issuer::listen_address(&listen, a.allow_public_address)
        .map_err(|e| Failure::Usage(format!("{e:#}")))?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Failure::Io(format!("cannot start the runtime: {e}")))?;
    rt.block_on(async {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|e| Failure::Io(format!("cannot listen on {addr}: {e}")))?;
        let bound = listener
            .local_addr()
            .map_err(|e| Failure::Io(format!("cannot listen on {addr}: {e}")))?;
        let issuer =
            jwtkit_issuer::Issuer::new(config, &format!("http://{bound}"), jwtkit_issuer::system_clock())
                .map_err(config_error)?;
        errln!("{}", issuer.banner());
        outln!("{}", issuer.url("/.well-known/openid-configuration"));
        let router = jwtkit_issuer::router(Arc::new(issuer));
        jwtkit_issuer::serve(listener, router)
            .await
            .map_err(|e| Failure::Io(format!("server error: {e}")))
    })?;
    Ok(OK)
}
