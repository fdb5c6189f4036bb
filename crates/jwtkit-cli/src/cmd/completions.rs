//! `jwtkit completions SHELL`: the shell completion script (clap_complete), generated from the
//! same clap definition the binary parses with, so every subcommand and flag is in it.

use std::io::Write as _;

use clap::{Args, CommandFactory as _};
use clap_complete::Shell;

use crate::cli::Cli;
use crate::exit::{self, Failure};

/// `jwtkit completions`.
#[derive(Debug, Args)]
#[command(after_long_help = "\
Install (one of):
  bash        jwtkit completions bash > ~/.local/share/bash-completion/completions/jwtkit
  zsh         jwtkit completions zsh > ~/.zfunc/_jwtkit   (~/.zshrc: fpath+=(~/.zfunc) before compinit)
  fish        jwtkit completions fish > ~/.config/fish/completions/jwtkit.fish
  powershell  jwtkit completions powershell | Out-String | Invoke-Expression   (in $PROFILE)
  elvish      eval (jwtkit completions elvish | slurp)   (in ~/.config/elvish/rc.elv)")]
pub struct CompletionsArgs {
    /// The shell to write the completion script for.
    #[arg(value_enum, value_name = "SHELL")]
    pub shell: Shell,
}

/// Write `bytes` to stdout; a closed pipe (`| head`) ends quietly.
pub fn write_stdout(bytes: &[u8]) -> Result<u8, Failure> {
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Ok(()) => Ok(exit::OK),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(exit::OK),
        Err(e) => Err(Failure::Io(format!("cannot write to stdout: {e}"))),
    }
}

pub fn run(args: &CompletionsArgs) -> Result<u8, Failure> {
    let mut cmd = Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, "jwtkit", &mut script);
    write_stdout(&script)
}
