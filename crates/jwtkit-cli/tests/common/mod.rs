//! Helpers for the CLI integration tests: run the built `jwtkit` in a temp dir, compare with
//! golden files (printing both sides on mismatch), parse `--json` output as exactly one object.
#![allow(dead_code)]

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;

/// The fixed "now" of the golden files: 2026-11-29 21:12:00 UTC.
pub const NOW: &str = "2026-11-29T21:12:00Z";
/// An HMAC secret of 40 bytes (HS256 needs 32).
pub const SECRET: &str = "golden-secret: forty bytes of HMAC key!!";

/// What a run printed and returned.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// The exit code must be `code`; prints everything otherwise.
    #[track_caller]
    pub fn code(self, code: i32) -> Run {
        assert_eq!(
            self.code, code,
            "exit code\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout, self.stderr
        );
        self
    }

    /// stdout as exactly one JSON value (nothing before or after it but whitespace).
    #[track_caller]
    pub fn json(&self) -> Value {
        let mut it = serde_json::Deserializer::from_str(&self.stdout).into_iter::<Value>();
        let v = it
            .next()
            .unwrap_or_else(|| panic!("no JSON on stdout; stderr: {}", self.stderr))
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", self.stdout));
        assert!(
            it.next().is_none(),
            "more than one JSON value on stdout:\n{}",
            self.stdout
        );
        assert!(v.is_object(), "--json output is not an object: {v}");
        v
    }
}

/// A temp dir with the fixture keys copied in; commands run there.
pub struct Env {
    pub dir: tempfile::TempDir,
}

pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

impl Env {
    pub fn new() -> Env {
        let dir = tempfile::tempdir().unwrap();
        for e in std::fs::read_dir(fixtures()).unwrap() {
            let p = e.unwrap().path();
            if !p.is_file() {
                continue;
            }
            std::fs::copy(&p, dir.path().join(p.file_name().unwrap())).unwrap();
        }
        Env { dir }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn write(&self, name: &str, data: impl AsRef<[u8]>) -> String {
        std::fs::write(self.path(name), data).unwrap();
        name.to_string()
    }

    pub fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.path(name)).unwrap()
    }

    /// Run `jwtkit args…`.
    pub fn run(&self, args: &[&str]) -> Run {
        self.run_with(args, None, &[])
    }

    /// Run with bytes on stdin.
    pub fn stdin(&self, args: &[&str], input: impl AsRef<[u8]>) -> Run {
        self.run_with(args, Some(input.as_ref()), &[])
    }

    /// Run with optional stdin and extra environment variables. stdin is `/dev/null` when
    /// not given (never a terminal, so no prompt).
    pub fn run_with(&self, args: &[&str], input: Option<&[u8]>, env: &[(&str, &str)]) -> Run {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_jwtkit"));
        cmd.args(args)
            .current_dir(self.dir.path())
            .env_remove("NO_COLOR")
            .env("TZ", "UTC");
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.stdin(if input.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        });
        cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = cmd.spawn().unwrap();
        if let Some(bytes) = input {
            let mut sin = child.stdin.take().unwrap();
            let bytes = bytes.to_vec();
            std::thread::spawn(move || {
                let _ = sin.write_all(&bytes);
            });
        }
        let out = child.wait_with_output().unwrap();
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8(out.stdout).unwrap(),
            stderr: String::from_utf8(out.stderr).unwrap(),
        }
    }

    /// `jwtkit sign` with the golden secret (or `key_args`), fixed now; returns the token.
    pub fn sign(&self, key_args: &[&str], extra: &[&str]) -> String {
        let mut args = vec!["sign", "--now", "2026-11-29T17:00:00Z"];
        args.extend_from_slice(key_args);
        args.extend_from_slice(extra);
        self.run(&args).code(0).stdout.trim().to_string()
    }

    /// HS256 with the golden secret.
    pub fn hs256(&self, extra: &[&str]) -> String {
        let secret = format!("b64url:{}", b64u(SECRET.as_bytes()));
        let mut args = vec!["--alg", "HS256", "--secret", secret.as_str()];
        args.extend_from_slice(extra);
        self.sign(&[], &args)
    }
}

pub fn b64u(b: impl AsRef<[u8]>) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}

/// Compare a run with `tests/golden/<name>` (`--- stdout`, `--- stderr`, `--- exit N`).
/// `UPDATE_GOLDEN=1` rewrites the file. On mismatch both sides are printed with the first
/// differing line marked.
#[track_caller]
pub fn golden(name: &str, run: &Run) {
    let actual = format!(
        "--- stdout\n{}--- stderr\n{}--- exit {}\n",
        run.stdout, run.stderr, run.code
    );
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, &actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|_| {
        panic!(
            "missing golden file {} (run with UPDATE_GOLDEN=1)\n{actual}",
            path.display()
        )
    });
    if expected != actual {
        let first = expected
            .lines()
            .zip(actual.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(0);
        panic!(
            "output differs from golden/{name} (first at line {}):\n===== expected\n{expected}===== actual\n{actual}=====",
            first + 1
        );
    }
}
