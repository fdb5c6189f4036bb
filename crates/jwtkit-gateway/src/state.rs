//! One configuration generation ([`State`]): the typed objects a [`Config`] describes —
//! providers with their validation and keys, routes, the admin token, the listener's TLS, the
//! identity headers — built together, so that a hot reload swaps them atomically.

use std::collections::HashSet;
use std::sync::Arc;

use anyhow::bail;

use crate::config::Config;
use crate::provider::{KeyRegistry, Provider};
use crate::route::{Route, RouteTable};

/// One configuration generation: what hot reload swaps atomically.
pub struct State {
    /// Increases with every successful load.
    pub generation: u64,
    /// The config it was built from.
    pub config: Config,
    /// Providers by config order.
    pub providers: Vec<Arc<Provider>>,
    /// Routes.
    pub routes: RouteTable,
    /// Resolved admin token.
    pub admin_token: Option<String>,
    /// The proxy listener's TLS certificate and settings (`server.tls`), loaded with this generation.
    pub tls: Option<Arc<crate::listener_tls::TlsListener>>,
    /// Every header an upstream may take as verified, in every spelling (all routes).
    pub identity_headers: Arc<crate::identity_headers::IdentityHeaders>,
    /// The trusted front proxy's client-certificate header (`server.client_cert_header`).
    pub cert_header: Option<crate::sender::mtls::CertHeader>,
}

impl State {
    /// Build everything a config describes, checking and parsing each setting once (key
    /// sources come from the shared registry).
    ///
    /// # Errors
    /// The first problem, naming the table (`server.listen …`, `provider "main": …`,
    /// `route "orders": …`); the caller keeps the previous state.
    pub fn build(config: Config, registry: &KeyRegistry, generation: u64) -> anyhow::Result<State> {
        let mut names = HashSet::new();
        let mut providers = Vec::with_capacity(config.providers.len());
        for p in &config.providers {
            if !names.insert(p.name.as_str()) {
                bail!("provider {:?}: the name is used twice", p.name);
            }
            providers.push(Arc::new(Provider::new(
                p,
                registry,
                config.server.max_token_bytes,
            )?));
        }
        let mut seen = HashSet::new();
        let mut routes = Vec::with_capacity(config.routes.len());
        for r in &config.routes {
            if !seen.insert((r.host.clone(), r.path_prefix.trim_end_matches('/').to_string())) {
                let name = r.name.as_deref().unwrap_or(&r.path_prefix);
                bail!("route {name:?}: another route has the same host and path_prefix");
            }
            routes.push(Arc::new(Route::new(
                r,
                &providers,
                config.server.request_timeout.0,
            )?));
        }

        let admin_token = match &config.server.admin_token {
            Some(spec) => Some(crate::config::resolve_secret(spec)?),
            None => std::env::var("JWTKIT_ADMIN_TOKEN").ok(),
        }
        .filter(|t| !t.is_empty());
        let tls = config
            .server
            .tls
            .as_ref()
            .map(crate::listener_tls::TlsListener::load);
        let cert_header = config
            .server
            .client_cert_header
            .as_ref()
            .map(crate::sender::mtls::CertHeader::new)
            .transpose()?;
        Ok(State {
            cert_header,
            tls: tls.transpose()?.map(Arc::new),
            identity_headers: Arc::new(crate::identity_headers::IdentityHeaders::new(&config)),
            generation,
            routes: RouteTable::new(routes),
            providers,
            admin_token,
            config,
        })
    }
}
