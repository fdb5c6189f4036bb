//! TLS termination on the proxy listener: TLS 1.3 ([RFC 8446]) and 1.2 ([RFC 5246]) through
//! rustls with the aws-lc-rs provider; ALPN ([RFC 7301]) offers `h2` and `http/1.1` (HTTP/2
//! over TLS is negotiated by ALPN, [RFC 9113] §3.2).
//!
//! `[server] tls = { cert = "PATH", key = "PATH" }` ([`TlsConfig`]) is loaded into a
//! [`TlsListener`] with every config generation (start, reload, `--check`): a reload re-reads the
//! files and new connections use the new certificate; a certificate and key that do not load or
//! do not match reject the reload like any other config error. Whether the listener speaks TLS
//! at all is fixed at start.
//!
//! Each accepted connection is handed to `serve` in its own task: the handshake runs there
//! under `handshake_timeout` (a client that never finishes it holds one task and one socket
//! until then, never the accept loop), and a plain-HTTP request sent to the TLS port is answered
//! `400` with a JSON body saying so. Failures are counted in
//! `jwtkit_gateway_tls_handshake_failures_total{reason}` and logged at `debug`.
//!
//! [RFC 8446]: https://www.rfc-editor.org/rfc/rfc8446
//! [RFC 5246]: https://www.rfc-editor.org/rfc/rfc5246
//! [RFC 7301]: https://www.rfc-editor.org/rfc/rfc7301
//! [RFC 9113]: https://www.rfc-editor.org/rfc/rfc9113

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, anyhow, bail};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use serde::Deserialize;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::watch;
use tokio::time::Instant;

use crate::Shared;
use crate::config::Dur;
use crate::forward::{ClientProto, Clients};

/// `[server] tls = { cert, key, min_version, handshake_timeout }`.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TlsConfig {
    /// PEM certificate chain, leaf first (relative to the config file).
    pub cert: PathBuf,
    /// PEM private key of the leaf certificate: PKCS#8, PKCS#1 (RSA) or SEC1 (EC), unencrypted
    /// (relative to the config file).
    pub key: PathBuf,
    /// Lowest TLS version accepted: `"1.2"` (default) or `"1.3"`.
    #[serde(default)]
    pub min_version: TlsVersion,
    /// Time a client has to complete the TLS handshake after connecting. Default 10 s.
    #[serde(default = "default_handshake_timeout")]
    pub handshake_timeout: Dur,
    /// PEM CA certificate(s) that client certificates must chain to (relative to the config
    /// file). With it the listener asks for a client certificate (RFC 8446 §4.3.2) and verifies
    /// it; its `x5t#S256` is then compared with certificate-bound tokens (RFC 8705 §3).
    #[serde(default)]
    pub client_ca: Option<PathBuf>,
    /// With `client_ca`: `"optional"` (default: a client without a certificate connects, and
    /// only certificate-bound tokens need one) or `"required"` (the handshake fails without one).
    #[serde(default)]
    pub client_auth: ClientAuth,
}

/// Whether the listener requires a client certificate.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ClientAuth {
    /// Asked for and verified when sent.
    #[default]
    Optional,
    /// The handshake fails without a valid one.
    Required,
}

fn default_handshake_timeout() -> Dur {
    Dur(Duration::from_secs(10))
}

/// Lowest accepted TLS version.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
pub enum TlsVersion {
    /// TLS 1.2 and 1.3.
    #[default]
    #[serde(rename = "1.2")]
    Tls12,
    /// TLS 1.3 only.
    #[serde(rename = "1.3")]
    Tls13,
}

impl TlsConfig {
    /// Resolve relative `cert` and `key` against the config file's directory.
    pub fn resolve_paths(&mut self, base: &Path) {
        for p in [&mut self.cert, &mut self.key]
            .into_iter()
            .chain(self.client_ca.as_mut())
        {
            if p.is_relative() {
                *p = base.join(&*p);
            }
        }
    }
}

/// A loaded listener TLS configuration: certificate chain and key checked to match.
pub struct TlsListener {
    /// The rustls server configuration (aws-lc-rs provider, ALPN `h2`, `http/1.1`).
    pub config: Arc<rustls::ServerConfig>,
    /// Deadline for the handshake, from the connection's accept.
    pub handshake_timeout: Duration,
    summary: String,
}

impl std::fmt::Debug for TlsListener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.summary)
    }
}

impl TlsListener {
    /// Read the certificate chain and private key and build the server configuration.
    ///
    /// # Errors
    /// A file that cannot be read, holds no PEM certificate or no private key, a key that does
    /// not match the first certificate, or a key type rustls cannot sign with. Messages name the
    /// `server.tls` key and the file.
    pub fn load(c: &TlsConfig) -> anyhow::Result<TlsListener> {
        let (cert_path, key_path) = (c.cert.display(), c.key.display());
        let pem = std::fs::read(&c.cert).with_context(|| format!("server.tls.cert: reading {cert_path}"))?;
        let certs = CertificateDer::pem_slice_iter(&pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| anyhow!("server.tls.cert {cert_path}: {e}"))?;
        if certs.is_empty() {
            bail!(
                "server.tls.cert {cert_path}: no PEM certificate (-----BEGIN CERTIFICATE-----) in the file"
            );
        }
        let pem = zeroize::Zeroizing::new(
            std::fs::read(&c.key).with_context(|| format!("server.tls.key: reading {key_path}"))?,
        );
        let key = PrivateKeyDer::from_pem_slice(&pem).map_err(|e| match e {
            rustls_pki_types::pem::Error::NoItemsFound => anyhow!(
                "server.tls.key {key_path}: no private key in the file (PEM PKCS#8, PKCS#1 or SEC1, not encrypted)"
            ),
            e => anyhow!("server.tls.key {key_path}: {e}"),
        })?;
        let versions: &[&rustls::SupportedProtocolVersion] = match c.min_version {
            TlsVersion::Tls12 => &[&rustls::version::TLS13, &rustls::version::TLS12],
            TlsVersion::Tls13 => &[&rustls::version::TLS13],
        };
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let builder =
            rustls::ServerConfig::builder_with_provider(provider.clone()).with_protocol_versions(versions)?;
        let builder = match &c.client_ca {
            None => builder.with_no_client_auth(),
            Some(ca) => builder.with_client_cert_verifier(client_verifier(ca, c.client_auth, provider)?),
        };
        let mut config = builder
            .with_single_cert(certs.clone(), key)
            .map_err(|e| match e {
                rustls::Error::InconsistentKeys(rustls::InconsistentKeys::KeyMismatch) => anyhow!(
                    "server.tls.key {key_path} does not match the certificate in {cert_path} \
                 (the first certificate of the chain must be the one issued for this key)"
                ),
                rustls::Error::InvalidCertificate(e) => {
                    anyhow!("server.tls.cert {cert_path}: the first certificate cannot be parsed ({e:?})")
                }
                e => anyhow!("server.tls: key {key_path} with certificate {cert_path}: {e}"),
            })?;
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        let clients = match (&c.client_ca, c.client_auth) {
            (None, _) => String::new(),
            (Some(ca), ClientAuth::Optional) => {
                format!(", client certificates optional (CA {})", ca.display())
            }
            (Some(ca), ClientAuth::Required) => {
                format!(", client certificates required (CA {})", ca.display())
            }
        };
        let summary = format!(
            "TLS {} with {} certificate(s) from {cert_path}, ALPN h2 and http/1.1, handshake timeout {:?}{clients}",
            match c.min_version {
                TlsVersion::Tls12 => "1.2 and 1.3",
                TlsVersion::Tls13 => "1.3",
            },
            certs.len(),
            c.handshake_timeout.0,
        );
        Ok(TlsListener {
            config: Arc::new(config),
            handshake_timeout: c.handshake_timeout.0,
            summary,
        })
    }

    /// One line for `--check`: versions, chain length and file, ALPN, handshake timeout.
    pub fn summary(&self) -> &str {
        &self.summary
    }
}

/// The client-certificate verifier of `client_ca` (rustls' WebPKI verifier, aws-lc-rs).
fn client_verifier(
    ca: &Path,
    auth: ClientAuth,
    provider: Arc<rustls::crypto::CryptoProvider>,
) -> anyhow::Result<Arc<dyn rustls::server::danger::ClientCertVerifier>> {
    let pem = std::fs::read(ca).with_context(|| format!("server.tls.client_ca: reading {}", ca.display()))?;
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(&pem) {
        let cert = cert.map_err(|e| anyhow!("server.tls.client_ca {}: {e}", ca.display()))?;
        roots
            .add(cert)
            .map_err(|e| anyhow!("server.tls.client_ca {}: {e}", ca.display()))?;
    }
    if roots.is_empty() {
        bail!(
            "server.tls.client_ca {}: no PEM certificate in the file",
            ca.display()
        );
    }
    let b = rustls::server::WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider);
    let b = match auth {
        ClientAuth::Optional => b.allow_unauthenticated(),
        ClientAuth::Required => b,
    };
    b.build()
        .map_err(|e| anyhow!("server.tls.client_ca {}: {e}", ca.display()))
}

/// Why a handshake did not complete (the `reason` label of
/// `jwtkit_gateway_tls_handshake_failures_total`).
fn classify(e: &std::io::Error) -> &'static str {
    match e.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>()) {
        // The client aborted, e.g. because it does not trust the certificate.
        Some(rustls::Error::AlertReceived(_)) => "alert_received",
        Some(rustls::Error::PeerIncompatible(_) | rustls::Error::NoApplicationProtocol) => "incompatible",
        Some(_) => "protocol",
        None => "io",
    }
}

fn failed(peer: SocketAddr, reason: &'static str, detail: &dyn std::fmt::Display) {
    ::metrics::counter!("jwtkit_gateway_tls_handshake_failures_total", "reason" => reason).increment(1);
    tracing::debug!(%peer, reason, error = %detail, "TLS handshake failed");
}

/// Run `f` until `deadline` or until the gateway stops; None in either case.
async fn bounded<F: std::future::Future>(
    deadline: Instant,
    stop: &mut watch::Receiver<bool>,
    f: F,
) -> Option<Result<F::Output, tokio::time::error::Elapsed>> {
    tokio::select! {
        r = tokio::time::timeout_at(deadline, f) => Some(r),
        _ = stop.wait_for(|s| *s) => None,
    }
}

/// Everything a TLS connection task needs from its worker.
pub(crate) struct Worker {
    pub(crate) shared: Arc<Shared>,
    pub(crate) clients: Arc<Clients>,
    pub(crate) builder: Arc<auto::Builder<TokioExecutor>>,
    pub(crate) stop: watch::Receiver<bool>,
}

/// Serve one accepted connection over TLS (run in its own task): handshake under the deadline,
/// then HTTP/1.1 or HTTP/2 (as ALPN chose; the connection preface decides) with requests marked
/// [`ClientProto`] `https`. A plain-HTTP request gets `400` and the connection is closed.
pub(crate) async fn serve(
    tls: Arc<TlsListener>,
    stream: TcpStream,
    peer: SocketAddr,
    w: Worker,
    watcher: hyper_util::server::graceful::Watcher,
) {
    let Worker {
        shared,
        clients,
        builder,
        mut stop,
    } = w;
    let deadline = Instant::now() + tls.handshake_timeout;
    // A TLS connection starts with a handshake record (content type 22); an HTTP/1 request
    // line starts with an upper-case method.
    let mut first = [0u8; 1];
    match bounded(deadline, &mut stop, stream.peek(&mut first)).await {
        None => return,
        Some(Err(_)) => return failed(peer, "timeout", &"no bytes before the handshake timeout"),
        // Closed without a byte (a TCP health check): not a failed handshake.
        Some(Ok(Ok(0))) => return,
        Some(Ok(Ok(_))) if first[0].is_ascii_uppercase() => {
            failed(peer, "plain_http", &"plain HTTP request on the TLS listener");
            let _ = bounded(deadline, &mut stop, refuse_plain_http(stream)).await;
            return;
        }
        Some(Ok(Ok(_))) => {}
        Some(Ok(Err(e))) => return failed(peer, "io", &e),
    }
    let acceptor = tokio_rustls::TlsAcceptor::from(tls.config.clone());
    let stream = match bounded(deadline, &mut stop, acceptor.accept(stream)).await {
        None => return,
        Some(Err(_)) => {
            return failed(
                peer,
                "timeout",
                &"handshake not finished before the handshake timeout",
            );
        }
        Some(Ok(Err(e))) => return failed(peer, classify(&e), &e),
        Some(Ok(Ok(s))) => s,
    };
    drop(stop);
    // The verified client certificate (with `client_ca`), for certificate-bound tokens.
    let client_cert = stream
        .get_ref()
        .1
        .peer_certificates()
        .and_then(|c| c.first())
        .map(|c| crate::sender::mtls::ClientCertificate(crate::sender::mtls::thumbprint(c.as_ref()).into()));
    let service = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
        req.extensions_mut().insert(ClientProto("https"));
        if let Some(c) = &client_cert {
            req.extensions_mut().insert(c.clone());
        }
        crate::handle(shared.clone(), clients.clone(), peer, req)
    });
    let conn = builder
        .serve_connection_with_upgrades(TokioIo::new(stream), service)
        .into_owned();
    let _ = watcher.watch(conn).await;
}

/// Answer a plain-HTTP request on the TLS port with `400` (as JSON, like every gateway error),
/// then close: read what arrived first and drain briefly after, so that the close does not reset
/// the connection before the client reads the answer.
async fn refuse_plain_http(mut stream: TcpStream) {
    let mut buf = [0u8; 4096];
    let _ = stream.try_read(&mut buf);
    let body = r#"{"error":"bad_request","error_description":"plain HTTP request sent to the HTTPS port; use https://"}"#;
    let answer = format!(
        "HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    if stream.write_all(answer.as_bytes()).await.is_err() {
        return;
    }
    let _ = stream.shutdown().await;
    let _ = tokio::time::timeout(Duration::from_secs(1), async {
        while let Ok(n) = stream.read(&mut buf).await
            && n > 0
        {}
    })
    .await;
}
