//! `jwtkit issuer` as a user runs it: the development banner, the discovery URL on stdout, the
//! loopback guard and config errors with their exit codes (the issuer itself is tested in
//! crates/jwtkit-issuer/tests and scripts/test-issuer.sh).

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};

use common::Env;

const CONFIG: &str = r#"
[[clients]]
client_id = "web"
redirect_uris = ["http://127.0.0.1:8000/cb"]

[[users]]
sub = "alice"
"#;

#[test]
fn issuer_refuses_a_public_address_without_the_flag() {
    let env = Env::new();
    env.write("issuer.toml", CONFIG);
    let r = env
        .run(&["issuer", "--config", "issuer.toml", "--listen", "0.0.0.0:0"])
        .code(2);
    assert!(
        r.stderr.contains("refusing to listen on 0.0.0.0:0"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("--allow-public-address"));
}

#[test]
fn issuer_config_errors_exit_3_naming_the_problem() {
    let env = Env::new();
    env.write("bad.toml", "[tokens]\naccess_ttl = \"5m\"\n");
    let r = env.run(&["issuer", "--config", "bad.toml"]).code(3);
    assert!(r.stderr.contains("unknown field `access_ttl`"), "{}", r.stderr);
    env.write(
        "secret.toml",
        "[[clients]]\nclient_id = \"b\"\nclient_secret = \"env:JWTKIT_TEST_NO_SUCH_VAR\"\nredirect_uris = [\"http://x/cb\"]\n",
    );
    let r = env
        .run(&["issuer", "--config", "secret.toml", "--listen", "127.0.0.1:0"])
        .code(3);
    assert!(
        r.stderr.contains("JWTKIT_TEST_NO_SUCH_VAR is not set"),
        "{}",
        r.stderr
    );
}

#[test]
fn issuer_prints_the_banner_and_serves_discovery_on_the_printed_url() {
    let env = Env::new();
    env.write("issuer.toml", CONFIG);
    let mut child = Command::new(env!("CARGO_BIN_EXE_jwtkit"))
        .args(["issuer", "--config", "issuer.toml", "--listen", "127.0.0.1:0"])
        .current_dir(env.dir.path())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    let url = first.trim().to_string();
    let rest = url.strip_prefix("http://").expect("an http URL");
    let (authority, path) = rest.split_at(rest.find('/').unwrap());
    assert_eq!(path, "/.well-known/openid-configuration");
    let mut s = TcpStream::connect(authority).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut resp = String::new();
    s.read_to_string(&mut resp).unwrap();
    child.kill().unwrap();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(resp.starts_with("HTTP/1.1 200"), "{resp}");
    assert!(
        resp.contains(&format!("\"issuer\":\"http://{authority}\"")),
        "{resp}"
    );
    assert!(
        stderr.starts_with("jwtkit issuer: FOR DEVELOPMENT AND TESTS ONLY"),
        "{stderr}"
    );
    assert!(stderr.contains("clients    web (public)"), "{stderr}");
}
