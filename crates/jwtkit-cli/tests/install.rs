//! What a user installs with the binary (issue 14): `--version` names the git commit, the shell
//! completion scripts parse and complete in real bash, zsh and fish, and the man pages render
//! with `man -l` without warnings. The shells and man-db come from scripts/deps.sh.

mod common;

use std::path::Path;
use std::process::{Command, Output, Stdio};

use common::*;

/// Run a program that scripts/deps.sh installs; a clear failure when it is missing.
#[track_caller]
fn tool(program: &str, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(program);
    cmd.args(args).stdin(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output()
        .unwrap_or_else(|e| panic!("cannot run {program} ({e}): install it with scripts/deps.sh (as root)"))
}

#[track_caller]
fn ok(out: &Output, what: &str) -> String {
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{what}: {}\n--- stdout\n{stdout}\n--- stderr\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// The subcommand names listed by `jwtkit --help` (so new subcommands are checked too).
fn subcommands(env: &Env) -> Vec<String> {
    let help = env.run(&["--help"]).code(0).stdout;
    let list = help.split("Commands:\n").nth(1).expect("--help lists Commands");
    list.lines()
        .take_while(|l| l.starts_with("  "))
        // Wrapped help continues on lines indented further.
        .filter(|l| !l[2..].starts_with(' '))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|n| *n != "help")
        .map(str::to_string)
        .collect()
}

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

#[test]
fn version_names_the_git_commit_it_was_built_from() {
    let env = Env::new();
    let out = env.run(&["--version"]).code(0).stdout;
    let pkg = env!("CARGO_PKG_VERSION");
    // In a checkout (CI's clone, a developer's worktree) the commit is HEAD's; build.rs falls
    // back to JWTKIT_BUILD_COMMIT or .cargo_vcs_info.json in a tarball without .git.
    match git(&["ls-files", "--error-unmatch", "build.rs"]).and(git(&["rev-parse", "HEAD"])) {
        Some(head) => {
            let date = git(&["log", "-1", "--format=%cd", "--date=short", "HEAD"]).unwrap();
            assert_eq!(out, format!("jwtkit {pkg} (commit {}, {date})\n", &head[..12]));
        }
        None => assert_eq!(out, format!("jwtkit {pkg}\n")),
    }
}

#[test]
fn completions_bash_parses_and_completes_subcommands_and_flags() {
    let env = Env::new();
    let script = env.run(&["completions", "bash"]).code(0).stdout;
    env.write("jwtkit.bash", &script);
    let file = env.path("jwtkit.bash").display().to_string();
    ok(&tool("bash", &["-n", &file], &[]), "bash -n");
    // Complete as bash does on <TAB>: COMP_WORDS/COMP_CWORD, then the registered function.
    let complete = |words: &str| -> String {
        let probe = format!(
            "source {file}\nCOMP_WORDS=({words})\nCOMP_CWORD=$(( ${{#COMP_WORDS[@]}} - 1 ))\n\
             _jwtkit jwtkit \"${{COMP_WORDS[COMP_CWORD]}}\" \"${{COMP_WORDS[COMP_CWORD-1]}}\"\n\
             printf '%s\\n' \"${{COMPREPLY[@]}}\""
        );
        let file = env.path("probe.bash");
        std::fs::write(&file, probe).unwrap();
        ok(
            &tool("bash", &[file.to_str().unwrap()], &[]),
            &format!("complete {words}"),
        )
    };
    let top = complete("jwtkit ''");
    for name in subcommands(&env) {
        assert!(
            top.lines().any(|l| l == name),
            "`jwtkit <TAB>` lacks {name}:\n{top}"
        );
    }
    assert_eq!(complete("jwtkit ver"), "verify\n");
    let jwk = complete("jwtkit jwk ''");
    for sub in ["public", "thumbprint", "convert"] {
        assert!(jwk.lines().any(|l| l == sub), "jwk <TAB>:\n{jwk}");
    }
    let shells = complete("jwtkit completions ''");
    assert_eq!(
        shells.lines().filter(|l| !l.starts_with('-')).collect::<Vec<_>>(),
        ["bash", "elvish", "fish", "powershell", "zsh"]
    );
    assert_eq!(complete("jwtkit verify --time ''"), "utc\nlocal\nunix\n");
    let flags = complete("jwtkit verify --al");
    assert!(flags.lines().any(|l| l == "--alg"), "{flags}");
    assert!(flags.lines().any(|l| l == "--allow-http"), "{flags}");
}

#[test]
fn completions_zsh_parses_and_declares_the_compdef() {
    let env = Env::new();
    let script = env.run(&["completions", "zsh"]).code(0).stdout;
    assert!(script.starts_with("#compdef jwtkit\n"), "{script:.200}");
    env.write("_jwtkit", &script);
    let file = env.path("_jwtkit").display().to_string();
    ok(&tool("zsh", &["-n", &file], &[]), "zsh -n");
    // Loaded through compinit as a user's fpath would: the function is defined, nothing errs.
    let dir = env.path("zfunc");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join("_jwtkit"), &script).unwrap();
    let probe = format!(
        "fpath=({} $fpath); autoload -Uz compinit; compinit -u -d {}; autoload -Uz +X _jwtkit; \
         print -r -- ${{_comps[jwtkit]}}; whence -w _jwtkit",
        dir.display(),
        env.path("zcompdump").display()
    );
    let out = tool(
        "zsh",
        &["-f", "-c", &probe],
        &[("HOME", env.dir.path().to_str().unwrap())],
    );
    assert_eq!(ok(&out, "zsh compinit"), "_jwtkit\n_jwtkit: function\n");
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
}

#[test]
fn completions_fish_parses_and_completes_subcommands_and_flags() {
    let env = Env::new();
    let script = env.run(&["completions", "fish"]).code(0).stdout;
    env.write("jwtkit.fish", &script);
    let file = env.path("jwtkit.fish").display().to_string();
    let home = env.dir.path().to_str().unwrap();
    let fenv = [("HOME", home), ("XDG_CONFIG_HOME", home), ("XDG_DATA_HOME", home)];
    ok(
        &tool("fish", &["--no-execute", &file], &fenv),
        "fish --no-execute",
    );
    let complete = |line: &str| -> Vec<String> {
        let cmd = format!("source {file}; complete -C '{line}'");
        ok(&tool("fish", &["--no-config", "-c", &cmd], &fenv), line)
            .lines()
            .map(|l| l.split('\t').next().unwrap_or("").to_string())
            .collect()
    };
    let top = complete("jwtkit ");
    for name in subcommands(&env) {
        assert!(top.contains(&name), "`jwtkit <TAB>` lacks {name}: {top:?}");
    }
    assert_eq!(complete("jwtkit ver"), ["verify"]);
    let flags = complete("jwtkit verify --al");
    assert!(flags.contains(&"--alg".to_string()), "{flags:?}");
    assert!(flags.contains(&"--allow-http".to_string()), "{flags:?}");
    // (fish's script completes option values, not positional ones: `completions <TAB>` lists files.)
    assert_eq!(complete("jwtkit verify --time "), ["local", "unix", "utc"]);
}

/// No PowerShell or Elvish on Debian's archive: the scripts register for `jwtkit` and name
/// every subcommand (they are generated from the same definition as the three tested above).
#[test]
fn completions_powershell_and_elvish_cover_every_subcommand() {
    let env = Env::new();
    let names = subcommands(&env);
    for (shell, marker) in [
        (
            "powershell",
            "Register-ArgumentCompleter -Native -CommandName 'jwtkit'",
        ),
        ("elvish", "set edit:completion:arg-completer[jwtkit]"),
    ] {
        let script = env.run(&["completions", shell]).code(0).stdout;
        assert!(script.contains(marker), "{shell}: no {marker:?}");
        for name in &names {
            assert!(
                script.contains(&format!("'{name}'")) || script.contains(&format!("jwtkit;{name}")),
                "{shell}: no {name}"
            );
        }
    }
    let bad = env.run(&["completions", "tcsh"]).code(2);
    assert!(
        bad.stderr
            .contains("[possible values: bash, elvish, fish, powershell, zsh]"),
        "{}",
        bad.stderr
    );
}

/// `man -l` renders a page to text, with groff's warnings on stderr.
fn render(page: &Path) -> String {
    let out = tool(
        "man",
        &["--warnings", "-l", "-P", "cat", page.to_str().unwrap()],
        &[("MANWIDTH", "100"), ("LC_ALL", "C.UTF-8")],
    );
    let text = ok(&out, &format!("man -l {}", page.display()));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "",
        "groff warnings for {}",
        page.display()
    );
    // Justified lines: compare words, not the spaces between them.
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[test]
fn man_dir_writes_a_page_per_subcommand_that_man_renders() {
    let env = Env::new();
    let dir = env.path("share/man/man1");
    let r = env.run(&["man", "--dir", dir.to_str().unwrap()]).code(0);
    let mut written: Vec<String> = r.stdout.lines().map(str::to_string).collect();
    written.sort();
    let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path().display().to_string())
        .collect();
    on_disk.sort();
    assert_eq!(written, on_disk, "stdout lists exactly the files written");
    let page = |name: &str| dir.join(format!("{name}.1"));
    for name in subcommands(&env) {
        assert!(page(&format!("jwtkit-{name}")).is_file(), "no page for {name}");
    }
    for nested in ["jwtkit-jwk-public", "jwtkit-jwks-show", "jwtkit-gateway-explain"] {
        assert!(page(nested).is_file(), "no page {nested}");
    }
    assert!(!page("jwtkit-help").exists(), "a page for the help subcommand");

    let top = render(&page("jwtkit"));
    assert!(
        top.starts_with("jwtkit(1) jwtkit manual jwtkit(1) NAME jwtkit - Decode, verify"),
        "{top:.300}"
    );
    assert!(top.contains("Exit codes: 0 valid/ok, 1 token invalid"), "{top}");
    let footer = format!("jwtkit {} ", env!("CARGO_PKG_VERSION"));
    assert!(top.contains(&footer), "no {footer:?} in the footer: {top}");
    let verify = render(&page("jwtkit-verify"));
    assert!(
        verify.contains("jwtkit verify [--no-color] [--secret] [--secret-prompt] [--key]"),
        "synopsis: {verify:.600}"
    );
    assert!(verify.contains("--alg <ALG>"), "{verify}");
    assert!(verify.contains("--secret-prompt"), "{verify}");
}

#[test]
fn man_prints_one_page_to_stdout() {
    let env = Env::new();
    let r = env.run(&["man", "jwk", "public"]).code(0);
    assert!(r.stdout.contains(".TH jwtkit-jwk-public 1 "), "{:.300}", r.stdout);
    env.write("jwtkit-jwk-public.1", &r.stdout);
    let text = render(&env.path("jwtkit-jwk-public.1"));
    assert!(text.contains("jwtkit jwk public [--format]"), "{text}");
    let top = env.run(&["man"]).code(0);
    assert!(top.stdout.contains(".TH jwtkit 1 "), "{:.300}", top.stdout);

    let r = env.run(&["man", "verfiy"]).code(2);
    assert!(
        r.stderr
            .contains("no subcommand \"verfiy\" in `jwtkit` (one of: decode, verify,"),
        "{}",
        r.stderr
    );
    let r = env.run(&["man", "jwk", "public", "x"]).code(2);
    assert!(
        r.stderr.contains("`jwtkit jwk public` has no subcommands"),
        "{}",
        r.stderr
    );
}
