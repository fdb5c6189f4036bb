//! Connections to Redis for each topology, all from the `redis` crate: a `ConnectionManager`
//! (one server; reconnects by itself), a `ConnectionManager` to the master Sentinel names
//! (asked again after a connection error or a `READONLY` reply, so the gateway follows a
//! failover), or a `ClusterConnection` (follows `MOVED`/`ASK` and slot changes). Every
//! connection carries the ACL user, password, database and TLS settings of [`RedisParams`].
//!
//! [`Link`] is what commands run on; [`Connector::subscriber`] opens the separate pub/sub
//! connection (on a cluster, to any node: classic `PUBLISH` reaches every node).

use std::sync::Mutex;
use std::time::{Duration, Instant};

use arc_swap::ArcSwapOption;
use redis::aio::{ConnectionLike, ConnectionManager, ConnectionManagerConfig, PubSub};
use redis::cluster::ClusterClient;
use redis::cluster_async::ClusterConnection;
use redis::sentinel::{SentinelClient, SentinelClientBuilder, SentinelServerType};
use redis::{Client, Cmd, IntoConnectionInfo, Pipeline, RedisFuture, RedisResult, TlsMode, Value};

use super::config::{RedisParams, Topology};

/// A connection commands run on.
#[derive(Clone)]
pub enum Link {
    /// One server or the Sentinel's master.
    Manager(ConnectionManager),
    /// A cluster.
    Cluster(ClusterConnection),
}

impl ConnectionLike for Link {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        match self {
            Link::Manager(c) => c.req_packed_command(cmd),
            Link::Cluster(c) => c.req_packed_command(cmd),
        }
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        match self {
            Link::Manager(c) => c.req_packed_commands(pipeline, offset, count),
            Link::Cluster(c) => c.req_packed_commands(pipeline, offset, count),
        }
    }

    fn get_db(&self) -> i64 {
        match self {
            Link::Manager(c) => c.get_db(),
            Link::Cluster(c) => c.get_db(),
        }
    }
}

struct Master {
    addr: String,
    client: Client,
    conn: ConnectionManager,
}

enum Mode {
    Single {
        client: Client,
        conn: ConnectionManager,
    },
    Sentinel {
        sentinel: tokio::sync::Mutex<SentinelClient>,
        master: ArcSwapOption<Master>,
        last_resolve: Mutex<Option<Instant>>,
    },
    Cluster {
        client: ClusterClient,
        conn: tokio::sync::OnceCell<ClusterConnection>,
        nodes: Vec<Client>,
    },
}

/// Opens and keeps the connections of one topology.
pub struct Connector {
    mode: Mode,
    timeout: Duration,
}

fn manager_config(timeout: Duration) -> ConnectionManagerConfig {
    ConnectionManagerConfig::new()
        .set_connection_timeout(Some(timeout))
        .set_response_timeout(Some(timeout))
        .set_number_of_retries(1)
        .set_max_delay(Duration::from_millis(500))
}

/// A client for one server URL with the configured user, password, database and TLS.
fn client_for(url: &str, p: &RedisParams) -> RedisResult<Client> {
    let info = url.into_connection_info()?;
    let mut settings = info.redis_settings().clone();
    if let Some(u) = &p.username {
        settings = settings.set_username(u);
    }
    if let Some(pw) = &p.password {
        settings = settings.set_password(pw);
    }
    if let Some(db) = p.db {
        settings = settings.set_db(db);
    }
    let info = info.set_redis_settings(settings);
    match &p.certs {
        Some(certs) if p.tls => Client::build_with_tls(info, certs.clone()),
        _ => Client::open(info),
    }
}

fn other(msg: String) -> redis::RedisError {
    redis::RedisError::from((redis::ErrorKind::Io, "redis", msg))
}

impl Connector {
    /// Build the clients (no network yet: connections open on first use).
    ///
    /// # Errors
    /// A URL or TLS file the `redis` crate refuses.
    pub fn new(p: &RedisParams, timeout: Duration) -> RedisResult<Connector> {
        let mode = match p.topology {
            Topology::Standalone => {
                let client = client_for(&p.urls[0], p)?;
                let conn = ConnectionManager::new_lazy_with_config(client.clone(), manager_config(timeout))?;
                Mode::Single { client, conn }
            }
            Topology::Sentinel => {
                let addrs = p
                    .sentinels
                    .iter()
                    .map(|u| u.as_str().into_connection_info().map(|i| i.addr().clone()))
                    .collect::<RedisResult<Vec<_>>>()?;
                let mut b = SentinelClientBuilder::new(addrs, &p.master_name, SentinelServerType::Master)?;
                if let Some(u) = &p.username {
                    b = b.set_client_to_redis_username(u);
                }
                if let Some(pw) = &p.password {
                    b = b.set_client_to_redis_password(pw);
                }
                if let Some(u) = &p.sentinel_username {
                    b = b.set_client_to_sentinel_username(u);
                }
                if let Some(pw) = &p.sentinel_password {
                    b = b.set_client_to_sentinel_password(pw);
                }
                if let Some(db) = p.db {
                    b = b.set_client_to_redis_db(db);
                }
                if p.tls {
                    b = b
                        .set_client_to_redis_tls_mode(TlsMode::Secure)
                        .set_client_to_sentinel_tls_mode(TlsMode::Secure);
                    if let Some(certs) = &p.certs {
                        b = b
                            .set_client_to_redis_certificates(certs.clone())
                            .set_client_to_sentinel_certificates(certs.clone());
                    }
                }
                Mode::Sentinel {
                    sentinel: tokio::sync::Mutex::new(b.build()?),
                    master: ArcSwapOption::empty(),
                    last_resolve: Mutex::new(None),
                }
            }
            Topology::Cluster => {
                let mut b = redis::cluster::ClusterClientBuilder::new(p.urls.iter().map(String::as_str))
                    .connection_timeout(timeout)
                    .response_timeout(timeout)
                    .retries(2)
                    .max_retry_wait(200)
                    .min_retry_wait(20);
                if let Some(u) = &p.username {
                    b = b.username(u);
                }
                if let Some(pw) = &p.password {
                    b = b.password(pw);
                }
                if p.tls {
                    b = b.tls(TlsMode::Secure);
                    if let Some(certs) = &p.certs {
                        b = b.certs(certs.clone());
                    }
                }
                let nodes = p
                    .urls
                    .iter()
                    .map(|u| client_for(u, p))
                    .collect::<RedisResult<Vec<_>>>()?;
                Mode::Cluster {
                    client: b.build()?,
                    conn: tokio::sync::OnceCell::new(),
                    nodes,
                }
            }
        };
        Ok(Connector { mode, timeout })
    }

    /// The connection to run a command on.
    ///
    /// # Errors
    /// Sentinel: no sentinel names a reachable master; cluster: no node answers.
    pub async fn link(&self) -> RedisResult<Link> {
        match &self.mode {
            Mode::Single { conn, .. } => Ok(Link::Manager(conn.clone())),
            Mode::Sentinel { master, .. } => {
                if let Some(m) = master.load_full() {
                    return Ok(Link::Manager(m.conn.clone()));
                }
                Ok(Link::Manager(self.resolve_master().await?.conn.clone()))
            }
            Mode::Cluster { client, conn, .. } => {
                let c = conn
                    .get_or_try_init(|| async { client.get_async_connection().await })
                    .await?;
                Ok(Link::Cluster(c.clone()))
            }
        }
    }

    /// Ask the sentinels for the master (at most every 100 ms) and connect to it.
    async fn resolve_master(&self) -> RedisResult<std::sync::Arc<Master>> {
        let Mode::Sentinel {
            sentinel,
            master,
            last_resolve,
        } = &self.mode
        else {
            return Err(other("not a sentinel store".into()));
        };
        let mut s = sentinel.lock().await;
        if let Some(m) = master.load_full() {
            return Ok(m);
        }
        {
            let mut last = last_resolve.lock().unwrap_or_else(|e| e.into_inner());
            if last.is_some_and(|t| t.elapsed() < Duration::from_millis(100)) {
                return Err(other("waiting for the sentinels to name a master".into()));
            }
            *last = Some(Instant::now());
        }
        let client = tokio::time::timeout(self.timeout * 2, s.async_get_client())
            .await
            .map_err(|_| other("no sentinel answered in time".into()))??;
        let addr = client.get_connection_info().addr().to_string();
        let conn = ConnectionManager::new_lazy_with_config(client.clone(), manager_config(self.timeout))?;
        let m = std::sync::Arc::new(Master { addr, client, conn });
        tracing::info!(master = %m.addr, "store: sentinel names the master");
        master.store(Some(m.clone()));
        Ok(m)
    }

    /// Note a failed command: with Sentinel, a connection error or `READONLY` (the old master
    /// came back as a replica) makes the next command ask the sentinels again.
    pub fn failed(&self, e: &redis::RedisError) {
        if let Mode::Sentinel { master, .. } = &self.mode {
            let readonly = e.code() == Some("READONLY");
            if readonly
                || e.is_io_error()
                || e.is_connection_dropped()
                || e.is_timeout()
                || e.is_connection_refusal()
            {
                master.store(None);
            }
        }
    }

    /// Note a command that ran out of time (the crate's error never came).
    pub fn timed_out(&self) {
        if let Mode::Sentinel { master, .. } = &self.mode {
            master.store(None);
        }
    }

    /// A new pub/sub connection (standalone: the server; Sentinel: the current master; cluster:
    /// the first node that answers).
    ///
    /// # Errors
    /// Nothing reachable.
    pub async fn subscriber(&self) -> RedisResult<PubSub> {
        let t = self.timeout * 2;
        let open = |c: Client| async move {
            tokio::time::timeout(t, c.get_async_pubsub())
                .await
                .map_err(|_| other("pub/sub connection: no answer in time".into()))?
        };
        match &self.mode {
            Mode::Single { client, .. } => open(client.clone()).await,
            Mode::Sentinel { master, .. } => {
                master.store(None);
                let m = self.resolve_master().await?;
                open(m.client.clone()).await
            }
            Mode::Cluster { nodes, .. } => {
                let mut last = other("no cluster node".into());
                for n in nodes {
                    match open(n.clone()).await {
                        Ok(p) => return Ok(p),
                        Err(e) => last = e,
                    }
                }
                Err(last)
            }
        }
    }

    /// Where commands go: the server or current master address, or the cluster seed count.
    pub fn describe(&self) -> String {
        match &self.mode {
            Mode::Single { client, .. } => client.get_connection_info().addr().to_string(),
            Mode::Sentinel { master, .. } => master
                .load_full()
                .map_or_else(|| "master unknown".into(), |m| format!("master {}", m.addr)),
            Mode::Cluster { nodes, conn, .. } => format!(
                "{} seed node(s), {}",
                nodes.len(),
                if conn.initialized() {
                    "connected"
                } else {
                    "not connected"
                }
            ),
        }
    }
}
