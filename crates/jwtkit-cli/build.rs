//! Puts the source's git commit into `jwtkit --version` (and the man pages' footer).
//!
//! Where the commit comes from, first found wins:
//! 1. `JWTKIT_BUILD_COMMIT` (and optionally `JWTKIT_BUILD_DATE`, `YYYY-MM-DD`) in the build's
//!    environment: for packagers building from a source tarball that has no `.git`;
//! 2. `git`, when this file is tracked by the repository around it (a checkout, a worktree, or
//!    `cargo install --path`); a tarball unpacked inside some other repository is not mistaken
//!    for ours;
//! 3. `.cargo_vcs_info.json`, which `cargo package` writes into a crate tarball;
//! 4. none: the version is then the bare package version.
//!
//! Sets `JWTKIT_VERSION` (`0.1.0 (commit 0123456789ab, 2026-12-03)`, or `0.1.0`) and
//! `JWTKIT_BUILD_DATE` (the commit date, or empty) for the crate.

use std::path::{Path, PathBuf};
use std::process::Command;

fn manifest_dir() -> PathBuf {
    PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"))
}

/// `git ARGS` run in this crate's directory; its trimmed stdout when it succeeded.
fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .args(args)
        .current_dir(manifest_dir())
        .output()
        .ok()?;
    let s = String::from_utf8(out.stdout).ok()?.trim().to_string();
    (out.status.success() && !s.is_empty()).then_some(s)
}

/// Rebuild when `path` (as git printed it, relative to this crate) changes, if it exists: a
/// missing path would make cargo rerun this script on every build.
fn watch(path: &str) {
    let p = manifest_dir().join(path);
    if p.exists() {
        println!("cargo:rerun-if-changed={}", p.display());
    }
}

fn is_commit(s: &str) -> bool {
    (7..=40).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_hexdigit())
}

fn from_git() -> Option<(String, String)> {
    // Only when the repository around us is ours: this very file is tracked by it.
    git(&["ls-files", "--error-unmatch", "build.rs"])?;
    let commit = git(&["rev-parse", "HEAD"])?;
    let date = git(&["log", "-1", "--format=%cd", "--date=short", "HEAD"]).unwrap_or_default();
    // HEAD moves by a commit (the branch's ref file or packed-refs) or a checkout (HEAD itself).
    for name in ["HEAD", "packed-refs"] {
        if let Some(p) = git(&["rev-parse", "--git-path", name]) {
            watch(&p);
        }
    }
    if let Some(branch) = git(&["symbolic-ref", "-q", "HEAD"])
        && let Some(p) = git(&["rev-parse", "--git-path", &branch])
    {
        watch(&p);
    }
    Some((commit, date))
}

fn from_vcs_info(dir: &Path) -> Option<String> {
    // {"git": {"sha1": "…"}, "path_in_vcs": "…"}: read without a JSON parser (no build dependency).
    let text = std::fs::read_to_string(dir.join(".cargo_vcs_info.json")).ok()?;
    let rest = &text[text.find("\"sha1\"")? + 6..];
    let rest = &rest[rest.find('"')? + 1..];
    let sha = &rest[..rest.find('"')?];
    is_commit(sha).then(|| sha.to_string())
}

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=JWTKIT_BUILD_COMMIT");
    println!("cargo:rerun-if-env-changed=JWTKIT_BUILD_DATE");
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
    let (commit, date) = if let Some(c) = env("JWTKIT_BUILD_COMMIT") {
        let c = c.trim().to_ascii_lowercase();
        assert!(
            is_commit(&c),
            "JWTKIT_BUILD_COMMIT must be a git commit id (7 to 40 hex digits), not {c:?}"
        );
        (Some(c), env("JWTKIT_BUILD_DATE").unwrap_or_default())
    } else if let Some((c, d)) = from_git() {
        (Some(c), d)
    } else {
        (from_vcs_info(&manifest_dir()), String::new())
    };
    let date = date.trim().to_string();
    let valid_date = date.len() == 10
        && date.bytes().enumerate().all(|(i, b)| {
            if i == 4 || i == 7 {
                b == b'-'
            } else {
                b.is_ascii_digit()
            }
        });
    let date = if valid_date { date } else { String::new() };
    let pkg = std::env::var("CARGO_PKG_VERSION").expect("cargo sets CARGO_PKG_VERSION");
    let version = match (&commit, date.is_empty()) {
        (Some(c), false) => format!("{pkg} (commit {}, {date})", &c[..c.len().min(12)]),
        (Some(c), true) => format!("{pkg} (commit {})", &c[..c.len().min(12)]),
        (None, _) => pkg,
    };
    println!("cargo:rustc-env=JWTKIT_VERSION={version}");
    println!("cargo:rustc-env=JWTKIT_BUILD_DATE={date}");
}
