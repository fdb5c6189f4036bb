//! `jwtkit man`: manual pages in roff (clap_mangen), generated from the same clap definition the
//! binary parses with: `jwtkit(1)` and one page per subcommand (`jwtkit-verify(1)`,
//! `jwtkit-jwk-public(1)`, ...).

use std::path::{Path, PathBuf};

use clap::{Args, CommandFactory as _};
use clap_mangen::Man;

use crate::cli::Cli;
use crate::cmd::completions::write_stdout;
use crate::exit::Failure;

/// `jwtkit man`.
#[derive(Debug, Args)]
#[command(after_long_help = "\
Examples:
  jwtkit man | man -l -                       read jwtkit(1)
  jwtkit man verify | man -l -                read jwtkit-verify(1)
  jwtkit man --dir ~/.local/share/man/man1    install every page (then: man jwtkit-verify)")]
pub struct ManArgs {
    /// The subcommand whose page to print (e.g. `verify`, or `jwk public`); default: jwtkit(1).
    #[arg(value_name = "COMMAND")]
    pub command: Vec<String>,
    /// Write jwtkit.1 and a page for every subcommand into DIR (created if missing) instead of
    /// printing one page; prints the paths written.
    #[arg(long, value_name = "DIR", conflicts_with = "command")]
    pub dir: Option<PathBuf>,
}

/// A page with the footer every jwtkit page shares.
fn page(cmd: clap::Command) -> Man {
    Man::new(cmd)
        .date(env!("JWTKIT_BUILD_DATE"))
        .source(concat!("jwtkit ", env!("CARGO_PKG_VERSION")))
        .manual("jwtkit manual")
}

/// The built command tree (built, so subcommands are named `jwtkit-verify`, ...; without the
/// implicit `help` subcommand, which needs no page).
fn tree() -> clap::Command {
    let mut cmd = Cli::command().disable_help_subcommand(true);
    cmd.build();
    cmd
}

/// Write the page of `cmd` and of each of its visible subcommands into `dir`; the paths written.
fn write_all(cmd: &clap::Command, dir: &Path, written: &mut Vec<PathBuf>) -> Result<(), Failure> {
    let man = page(cmd.clone());
    let path = dir.join(man.get_filename());
    let mut roff = Vec::new();
    man.render(&mut roff)
        .map_err(|e| Failure::Io(format!("cannot render {}: {e}", path.display())))?;
    std::fs::write(&path, roff).map_err(|e| Failure::Io(format!("cannot write {}: {e}", path.display())))?;
    written.push(path);
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        write_all(sub, dir, written)?;
    }
    Ok(())
}

pub fn run(args: &ManArgs) -> Result<u8, Failure> {
    let root = tree();
    if let Some(dir) = &args.dir {
        std::fs::create_dir_all(dir)
            .map_err(|e| Failure::Io(format!("cannot create {}: {e}", dir.display())))?;
        let mut written = Vec::new();
        write_all(&root, dir, &mut written)?;
        let list: String = written.iter().map(|p| format!("{}\n", p.display())).collect();
        return write_stdout(list.as_bytes());
    }
    let mut cmd = &root;
    for (depth, name) in args.command.iter().enumerate() {
        cmd = cmd
            .get_subcommands()
            .find(|s| s.get_name() == name && !s.is_hide_set())
            .ok_or_else(|| {
                let path = args.command[..depth].join(" ");
                let names: Vec<&str> = cmd
                    .get_subcommands()
                    .filter(|s| !s.is_hide_set())
                    .map(clap::Command::get_name)
                    .collect();
                Failure::Usage(if names.is_empty() {
                    format!("`jwtkit {path}` has no subcommands, so no page for {name:?}")
                } else {
                    format!(
                        "no subcommand {name:?} in `jwtkit{}{path}` (one of: {})",
                        if path.is_empty() { "" } else { " " },
                        names.join(", ")
                    )
                })
            })?;
    }
    let mut roff = Vec::new();
    page(cmd.clone())
        .render(&mut roff)
        .map_err(|e| Failure::Io(format!("cannot render the page: {e}")))?;
    write_stdout(&roff)
}
