//! Real components for the gateway tests: an upstream HTTP server on 127.0.0.1, key files,
//! token signing through the core, a real `redis-server` on a free loopback port, and an
//! HTTP client. Everything started here stops on drop.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response};
use hyper_util::rt::{TokioExecutor, TokioIo};
use jwtkit::jws::Signer;
use jwtkit::{JwkSet, JwsAlg, Key};
use serde_json::{Value, json};

pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// A port for a server another process (redis-server, a sentinel) will bind later.
///
/// Taken below Linux's ephemeral range (32768–60999 by default), which the kernel hands to
/// `bind(0)` and to every outgoing connection: a port from there, free when this returns, could
/// be taken by any client socket before the server binds it. Below that range only an explicit
/// bind takes a port. Each test process counts through its own window of 100 ports (by process
/// id), skipping ports already bound; a cluster node's bus port (+10000) stays below 32768 too.
pub fn free_port() -> u16 {
    use std::sync::atomic::{AtomicU16, Ordering};
    static NEXT: AtomicU16 = AtomicU16::new(0);
    let window = 20_000 + (std::process::id() % 27) as u16 * 100;
    loop {
        let port = window + NEXT.fetch_add(1, Ordering::Relaxed) % 100;
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
}

/// A signing key with its `kid`.
pub struct Signing {
    pub key: Key,
    pub alg: JwsAlg,
}

impl Signing {
    pub fn new(alg: JwsAlg, kid: &str) -> Signing {
        let key = Key::generate(jwtkit::jwk::KeySpec::for_alg(alg))
            .unwrap()
            .with_kid(kid);
        Signing { key, alg }
    }

    pub fn public(&self) -> Key {
        self.key.to_public().unwrap()
    }

    pub fn sign(&self, claims: &Value) -> String {
        Signer::new(&self.key, self.alg)
            .unwrap()
            .typ("JWT")
            .build()
            .unwrap()
            .sign_claims(claims.as_object().unwrap())
            .unwrap()
    }
}

/// Standard claims for the test issuer/audience, valid for an hour, plus `extra`.
pub fn claims(sub: &str, extra: Value) -> Value {
    let mut c = json!({
        "iss": "https://issuer.test/",
        "aud": "orders-api",
        "sub": sub,
        "iat": now(),
        "exp": now() + 3600,
        "jti": format!("jti-{sub}-{}", rand_suffix()),
    });
    for (k, v) in extra.as_object().unwrap() {
        c[k] = v.clone();
    }
    c
}

pub fn rand_suffix() -> String {
    let mut b = [0u8; 8];
    aws_lc_rs::rand::fill(&mut b).unwrap();
    b.iter().map(|x| format!("{x:02x}")).collect()
}

pub fn write_jwks(path: &Path, keys: &[&Signing]) {
    let set = JwkSet::from_keys(keys.iter().map(|s| s.public()).collect());
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, serde_json::to_vec(&set.to_json(false)).unwrap()).unwrap();
    std::fs::rename(tmp, path).unwrap();
}

/// An upstream that answers every request with a JSON echo of method, path, query and
/// headers, and splices HTTP/1.1 upgrades into an echo of bytes. Serves HTTP/1.1 and h2c.
pub struct Upstream {
    pub addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Upstream {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn echo(mut req: Request<Incoming>) -> Result<Response<Full<Bytes>>, hyper::Error> {
    if req.headers().contains_key(hyper::header::UPGRADE) {
        let up = hyper::upgrade::on(&mut req);
        tokio::spawn(async move {
            if let Ok(io) = up.await {
                let (mut r, mut w) = tokio::io::split(TokioIo::new(io));
                let _ = tokio::io::copy(&mut r, &mut w).await;
            }
        });
        return Ok(Response::builder()
            .status(101)
            .header("connection", "upgrade")
            .header("upgrade", "echo")
            .body(Full::new(Bytes::new()))
            .unwrap());
    }
    if let Some(ms) = req
        .uri()
        .query()
        .and_then(|q| q.strip_prefix("delay_ms="))
        .and_then(|v| v.parse::<u64>().ok())
    {
        tokio::time::sleep(Duration::from_millis(ms)).await;
    }
    let mut headers = BTreeMap::new();
    for (k, v) in req.headers() {
        headers
            .entry(k.as_str().to_string())
            .or_insert_with(Vec::new)
            .push(v.to_str().unwrap_or("?").to_string());
    }
    let version = format!("{:?}", req.version());
    let method = req.method().to_string();
    let path = req.uri().path().to_string();
    let query = req.uri().query().map(str::to_owned);
    let collected = req.into_body().collect().await?;
    let trailers: BTreeMap<String, String> = collected
        .trailers()
        .map(|t| {
            t.iter()
                .map(|(k, v)| (k.as_str().to_string(), v.to_str().unwrap_or("?").to_string()))
                .collect()
        })
        .unwrap_or_default();
    let body = collected.to_bytes();
    let out = json!({
        "method": method, "path": path, "query": query, "version": version,
        "headers": headers, "body_len": body.len(), "trailers": trailers,
    });
    Ok(Response::builder()
        .header("content-type", "application/json")
        .header("x-upstream", "yes")
        .body(Full::new(Bytes::from(out.to_string())))
        .unwrap())
}

impl Upstream {
    /// The same echo server behind TLS (rustls; ALPN h2 and http/1.1) with `cert`/`key` PEM files.
    pub async fn start_tls(cert: &Path, key: &Path) -> Upstream {
        use rustls_pki_types::pem::PemObject;
        let certs: Vec<_> = rustls_pki_types::CertificateDer::pem_file_iter(cert)
            .unwrap()
            .map(|c| c.unwrap())
            .collect();
        let key = rustls_pki_types::PrivateKeyDer::from_pem_file(key).unwrap();
        let mut config = rustls::ServerConfig::builder_with_provider(std::sync::Arc::new(
            rustls::crypto::aws_lc_rs::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .unwrap();
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        let acceptor = tokio_rustls::TlsAcceptor::from(std::sync::Arc::new(config));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    let Ok(tls) = acceptor.accept(stream).await else {
                        return;
                    };
                    let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                        .serve_connection_with_upgrades(TokioIo::new(tls), hyper::service::service_fn(echo))
                        .await;
                });
            }
        });
        Upstream { addr, task }
    }

    pub async fn start() -> Upstream {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                tokio::spawn(async move {
                    let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                        .serve_connection_with_upgrades(
                            TokioIo::new(stream),
                            hyper::service::service_fn(echo),
                        )
                        .await;
                });
            }
        });
        Upstream { addr, task }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

/// A real `redis-server` on a free loopback port, no persistence.
pub struct Redis {
    pub port: u16,
    child: Option<Child>,
}

impl Redis {
    pub fn start() -> Redis {
        let mut r = Redis {
            port: free_port(),
            child: None,
        };
        r.spawn();
        r
    }

    fn spawn(&mut self) {
        let child = Command::new("redis-server")
            .args([
                "--port",
                &self.port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server must be installed (apt-get install redis-server)");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(Instant::now() < deadline, "redis-server did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    pub fn restart(&mut self) {
        self.stop();
        self.spawn();
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A response as the tests see it.
#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: hyper::HeaderMap,
    pub body: Bytes,
}

impl Resp {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The `WWW-Authenticate` challenge with its RFC 9728 `resource_metadata` parameter taken
    /// off, after asserting that the parameter is last and names
    /// `/.well-known/oauth-protected-resource{prefix}` on the address the request went to.
    pub fn challenge_without_metadata(&self, prefix: &str) -> Option<&str> {
        let w = self.header("www-authenticate")?;
        let (challenge, url) = w
            .rsplit_once(", resource_metadata=\"")
            .unwrap_or_else(|| panic!("no resource_metadata in {w:?}"));
        let url = url.strip_suffix('"').expect("resource_metadata is quoted");
        let path = format!("/.well-known/oauth-protected-resource{prefix}");
        assert!(
            (url.starts_with("http://127.0.0.1:") || url.starts_with("https://127.0.0.1:"))
                && url.ends_with(&path),
            "resource_metadata {url:?} is not {path} on the gateway"
        );
        Some(challenge)
    }

    /// Upstream echo: the values of a request header as the upstream saw them.
    pub fn seen(&self, name: &str) -> Option<Vec<String>> {
        let j = self.json();
        j["headers"][name]
            .as_array()
            .map(|a| a.iter().map(|v| v.as_str().unwrap().to_string()).collect())
    }
}

pub async fn request(method: &str, url: &str, headers: &[(&str, &str)], body: &str) -> Resp {
    let client =
        hyper_util::client::legacy::Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let mut b = Request::builder().method(method).uri(url);
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    let req = b.body(Full::new(Bytes::from(body.to_string()))).unwrap();
    let resp = tokio::time::timeout(Duration::from_secs(20), client.request(req))
        .await
        .expect("request timed out")
        .expect("request failed");
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    Resp {
        status,
        headers,
        body,
    }
}

pub async fn get(url: &str, headers: &[(&str, &str)]) -> Resp {
    request("GET", url, headers, "").await
}

pub async fn bearer_get(url: &str, token: &str) -> Resp {
    get(url, &[("authorization", &format!("Bearer {token}"))]).await
}

/// Poll until `f` is true or `secs` pass.
pub async fn eventually<F, Fut>(secs: u64, mut f: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if f().await {
            return true;
        }
        if Instant::now() > deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A temp dir with a JWKS file for `keys` and a config built from `body` (placeholders
/// `{UPSTREAM}`, `{JWKS}`, `{DB}`, `{LISTEN}`, `{ADMIN}` are filled in).
pub struct Setup {
    pub dir: tempfile::TempDir,
    pub config_path: PathBuf,
    pub jwks_path: PathBuf,
}

pub const ADMIN_TOKEN: &str = "test-admin-token-0123456789";

pub fn setup(body: &str, upstream: &str, keys: &[&Signing]) -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let jwks_path = dir.path().join("jwks.json");
    write_jwks(&jwks_path, keys);
    let config_path = dir.path().join("gateway.toml");
    let text = fill(body, upstream, dir.path(), &jwks_path);
    std::fs::write(&config_path, text).unwrap();
    Setup {
        dir,
        config_path,
        jwks_path,
    }
}

pub fn fill(body: &str, upstream: &str, dir: &Path, jwks: &Path) -> String {
    body.replace("{UPSTREAM}", upstream)
        .replace("{JWKS}", &jwks.display().to_string())
        .replace("{DB}", &dir.join("gw.db").display().to_string())
        .replace("{ADMIN_TOKEN}", ADMIN_TOKEN)
}

/// The usual server + provider header for test configs (listeners on free ports).
pub fn base_config(store: &str) -> String {
    format!(
        r#"
[server]
listen = "127.0.0.1:0"
admin_listen = "127.0.0.1:0"
admin_token = "{{ADMIN_TOKEN}}"
request_timeout = "5s"
shutdown_grace = "2s"

{store}

[[providers]]
name = "main"
issuer = "https://issuer.test/"
audiences = ["orders-api"]
keys = "{{JWKS}}"
algorithms = ["ES256", "RS256", "EdDSA"]
leeway = "5s"
fetch = {{ refetch_cooldown = "1s" }}
"#
    )
}

pub const EMBEDDED: &str = "[store]\nkind = \"embedded\"\npath = \"{DB}\"";

pub async fn start(s: &Setup) -> jwtkit_gateway::Gateway {
    let c = jwtkit_gateway::config::Config::load(&s.config_path).unwrap();
    jwtkit_gateway::Gateway::start(c, Some(s.config_path.clone()))
        .await
        .unwrap()
}

pub async fn admin(gw: &jwtkit_gateway::Gateway, method: &str, path_query: &str, body: &str) -> Resp {
    request(
        method,
        &format!("http://{}{path_query}", gw.admin_addr()),
        &[
            ("authorization", &format!("Bearer {ADMIN_TOKEN}")),
            ("content-type", "application/json"),
        ],
        body,
    )
    .await
}

/// A JWKS server on 127.0.0.1 whose keys can be changed, counting fetches; it can start on a
/// port chosen in advance (to be "down" first).
pub struct JwksServer {
    pub port: u16,
    /// The port, held from `new` to `start`: bound but not listening, so a fetch before `start`
    /// is refused and no other test can take the port in between.
    socket: Option<tokio::net::TcpSocket>,
    body: std::sync::Arc<std::sync::Mutex<Vec<u8>>>,
    pub fetches: std::sync::Arc<std::sync::atomic::AtomicU64>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl JwksServer {
    pub fn new(keys: &[&Signing]) -> JwksServer {
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.bind(([127, 0, 0, 1], 0).into()).unwrap();
        let s = JwksServer {
            port: socket.local_addr().unwrap().port(),
            socket: Some(socket),
            body: Default::default(),
            fetches: Default::default(),
            task: None,
        };
        s.set_keys(keys);
        s
    }

    pub fn set_keys(&self, keys: &[&Signing]) {
        let set = JwkSet::from_keys(keys.iter().map(|s| s.public()).collect());
        *self.body.lock().unwrap() = serde_json::to_vec(&set.to_json(false)).unwrap();
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/jwks.json", self.port)
    }

    pub fn fetch_count(&self) -> u64 {
        self.fetches.load(std::sync::atomic::Ordering::SeqCst)
    }

    pub async fn start(&mut self) {
        let listener = self.socket.take().expect("started once").listen(1024).unwrap();
        let (body, fetches) = (self.body.clone(), self.fetches.clone());
        self.task = Some(tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let (body, fetches) = (body.clone(), fetches.clone());
                tokio::spawn(async move {
                    let svc = hyper::service::service_fn(move |_req: Request<Incoming>| {
                        fetches.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                        let b = body.lock().unwrap().clone();
                        async move {
                            Ok::<_, hyper::Error>(
                                Response::builder()
                                    .header("content-type", "application/json")
                                    .header("cache-control", "max-age=300")
                                    .body(Full::new(Bytes::from(b)))
                                    .unwrap(),
                            )
                        }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .keep_alive(false)
                        .serve_connection(TokioIo::new(stream), svc)
                        .await;
                });
            }
        }));
    }
}

impl Drop for JwksServer {
    fn drop(&mut self) {
        if let Some(t) = self.task.take() {
            t.abort();
        }
    }
}

/// [`base_config`] with the provider's keys from a JWKS URL instead of the file.
pub fn jwks_config(store: &str, url: &str) -> String {
    base_config(store).replace("keys = \"{JWKS}\"", &format!("jwks_uri = \"{url}\""))
}

/// A test CA and a server certificate for 127.0.0.1 signed by it: (ca.pem, cert.pem, key.pem).
pub fn certificates(dir: &std::path::Path) -> (std::path::PathBuf, std::path::PathBuf, std::path::PathBuf) {
    let p = |n: &str| dir.join(n);
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];
    std::fs::write(
        p("ext.cnf"),
        "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    let run = |args: Vec<&std::ffi::OsStr>| {
        let out = std::process::Command::new("openssl")
            .args(args)
            .output()
            .expect("openssl must be installed");
        assert!(
            out.status.success(),
            "openssl: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let os = |s: &'static str| std::ffi::OsStr::new(s);
    let (ca, ca_key, csr, cert, key, ext) = (
        p("ca.pem"),
        p("ca.key"),
        p("leaf.csr"),
        p("cert.pem"),
        p("key.pem"),
        p("ext.cnf"),
    );
    let mut a = vec![os("req"), os("-x509")];
    a.extend(ec.iter().map(|s| os(s)));
    a.extend([
        os("-days"),
        os("1"),
        os("-subj"),
        os("/CN=jwtkit test CA"),
        os("-keyout"),
        ca_key.as_os_str(),
        os("-out"),
        ca.as_os_str(),
    ]);
    run(a);
    let mut a = vec![os("req")];
    a.extend(ec.iter().map(|s| os(s)));
    a.extend([
        os("-subj"),
        os("/CN=127.0.0.1"),
        os("-keyout"),
        key.as_os_str(),
        os("-out"),
        csr.as_os_str(),
    ]);
    run(a);
    run(vec![
        os("x509"),
        os("-req"),
        os("-in"),
        csr.as_os_str(),
        os("-CA"),
        ca.as_os_str(),
        os("-CAkey"),
        ca_key.as_os_str(),
        os("-CAcreateserial"),
        os("-days"),
        os("1"),
        os("-extfile"),
        ext.as_os_str(),
        os("-out"),
        cert.as_os_str(),
    ]);
    (ca, cert, key)
}

/// A challenge as the proxy listener at `addr` sends it for the route at `prefix`: `challenge`
/// plus the RFC 9728 `resource_metadata` URL derived from the request (`http`, `Host`, prefix).
pub fn challenge(addr: impl std::fmt::Display, prefix: &str, challenge: &str) -> String {
    format!(r#"{challenge}, resource_metadata="http://{addr}/.well-known/oauth-protected-resource{prefix}""#)
}
