//! Real Redis deployments on loopback for the fleet tests, from Debian's `redis-server`,
//! `redis-sentinel` and `redis-cli`: a TLS server with an ACL user (CA and client certificate
//! made by openssl), a Sentinel group (1 master, 1 replica, 3 sentinels), a Cluster of 3
//! masters with a replica each.
//! Everything runs in a temp dir and stops on drop.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// One server process, killed on drop.
pub struct Proc {
    pub port: u16,
    child: Option<Child>,
}

impl Proc {
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.kill();
    }
}

fn wait_for_port(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "nothing listens on {port}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Start `program config_file` and wait for `port`.
pub fn spawn(program: &str, config: &Path, port: u16) -> Proc {
    let child = Command::new(program)
        .arg(config)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| {
            panic!("{program} must be installed (apt-get install redis-server redis-sentinel): {e}")
        });
    wait_for_port(port);
    Proc {
        port,
        child: Some(child),
    }
}

/// A port whose cluster bus port (+10000) is free too.
pub fn cluster_port() -> u16 {
    loop {
        let p = super::free_port();
        if std::net::TcpListener::bind(("127.0.0.1", p + 10_000)).is_ok() {
            return p;
        }
    }
}

/// `redis-cli -p PORT ARGS…` on a plain port; stdout.
pub fn cli(port: u16, args: &[&str]) -> String {
    let out = Command::new("redis-cli")
        .args(["-h", "127.0.0.1", "-p", &port.to_string()])
        .args(args)
        .output()
        .expect("redis-cli must be installed");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn wait_until(secs: u64, what: &str, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

const BASE: &str = "bind 127.0.0.1\nsave \"\"\nappendonly no\nprotected-mode no\n";

fn openssl(args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .output()
        .expect("openssl must be installed");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A client certificate for `CN=gateway` signed by the CA of `common::certificates(dir)`.
pub fn client_certificate(dir: &Path) -> (PathBuf, PathBuf) {
    let p = |n: &str| dir.join(n).display().to_string();
    std::fs::write(dir.join("client.cnf"), "extendedKeyUsage=clientAuth\n").unwrap();
    openssl(&[
        "req",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-subj",
        "/CN=gateway",
        "-keyout",
        &p("client.key"),
        "-out",
        &p("client.csr"),
    ]);
    openssl(&[
        "x509",
        "-req",
        "-in",
        &p("client.csr"),
        "-CA",
        &p("ca.pem"),
        "-CAkey",
        &p("ca.key"),
        "-CAcreateserial",
        "-days",
        "1",
        "-extfile",
        &p("client.cnf"),
        "-out",
        &p("client.pem"),
    ]);
    (dir.join("client.pem"), dir.join("client.key"))
}

/// A TLS-only server (plain port off) with ACL user `gw` / `gw-password` and the default
/// user disabled. `require_client_cert` sets `tls-auth-clients yes`.
pub fn tls_server(dir: &Path, require_client_cert: bool) -> Proc {
    let port = super::free_port();
    let d = |n: &str| dir.join(n).display().to_string();
    let conf = dir.join(format!("tls-{port}.conf"));
    std::fs::write(
        &conf,
        format!(
            "{BASE}port 0\ntls-port {port}\ntls-cert-file {}\ntls-key-file {}\ntls-ca-cert-file {}\n\
             tls-auth-clients {}\nuser default off\nuser gw on >gw-password ~* &* +@all\n",
            d("cert.pem"),
            d("key.pem"),
            d("ca.pem"),
            if require_client_cert { "yes" } else { "no" }
        ),
    )
    .unwrap();
    spawn("redis-server", &conf, port)
}

/// One master, one replica, three sentinels watching `fleet` (failover after 500 ms down).
pub struct SentinelGroup {
    pub master: Proc,
    pub replica: Proc,
    pub sentinels: Vec<Proc>,
}

pub fn sentinel_group(dir: &Path) -> SentinelGroup {
    let server = |port: u16, extra: String| {
        let conf = dir.join(format!("redis-{port}.conf"));
        std::fs::write(
            &conf,
            format!("{BASE}port {port}\ndir {}\n{extra}", dir.display()),
        )
        .unwrap();
        spawn("redis-server", &conf, port)
    };
    let mp = super::free_port();
    let master = server(mp, String::new());
    let replica = server(super::free_port(), format!("replicaof 127.0.0.1 {mp}\n"));
    wait_until(10, "the replica to sync", || {
        cli(mp, &["INFO", "replication"]).contains("state=online")
    });
    let sentinels = (0..3)
        .map(|_| {
            let port = super::free_port();
            let conf = dir.join(format!("sentinel-{port}.conf"));
            std::fs::write(
                &conf,
                format!(
                    "bind 127.0.0.1\nport {port}\ndir {}\nsentinel monitor fleet 127.0.0.1 {mp} 2\n\
                     sentinel down-after-milliseconds fleet 500\nsentinel failover-timeout fleet 5000\n",
                    dir.display()
                ),
            )
            .unwrap();
            spawn("redis-sentinel", &conf, port)
        })
        .collect::<Vec<_>>();
    for s in &sentinels {
        wait_until(10, "the sentinels to see the replica and each other", || {
            let info = cli(s.port, &["SENTINEL", "MASTER", "fleet"]);
            let field = |name: &str| {
                let lines: Vec<&str> = info.lines().collect();
                lines
                    .iter()
                    .position(|l| *l == name)
                    .and_then(|i| lines.get(i + 1))
                    .and_then(|v| v.parse::<u32>().ok())
                    .unwrap_or(0)
            };
            field("num-slaves") >= 1 && field("num-other-sentinels") >= 2
        });
    }
    SentinelGroup {
        master,
        replica,
        sentinels,
    }
}

/// Three masters and a replica each, slots split by `redis-cli --cluster create`; returns
/// the nodes once every master has its replica online.
pub fn cluster(dir: &Path) -> Vec<Proc> {
    let nodes: Vec<Proc> = (0..6)
        .map(|_| {
            let port = cluster_port();
            let conf = dir.join(format!("cluster-{port}.conf"));
            std::fs::write(
                &conf,
                format!(
                    "{BASE}port {port}\ndir {}\ncluster-enabled yes\ncluster-config-file nodes-{port}.conf\n\
                     cluster-node-timeout 2000\n",
                    dir.display()
                ),
            )
            .unwrap();
            spawn("redis-server", &conf, port)
        })
        .collect();
    let addrs: Vec<String> = nodes.iter().map(|n| format!("127.0.0.1:{}", n.port)).collect();
    let out = Command::new("redis-cli")
        .args(["--cluster", "create"])
        .args(&addrs)
        .args(["--cluster-replicas", "1", "--cluster-yes"])
        .output()
        .expect("redis-cli must be installed");
    assert!(
        out.status.success(),
        "cluster create: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    for n in &nodes {
        wait_until(15, "cluster_state:ok", || {
            cli(n.port, &["CLUSTER", "INFO"]).contains("cluster_state:ok")
        });
    }
    for n in &nodes {
        wait_until(15, "every master's replica to be online", || {
            let info = cli(n.port, &["INFO", "replication"]);
            info.contains("role:slave") || info.contains("state=online")
        });
    }
    nodes
}
