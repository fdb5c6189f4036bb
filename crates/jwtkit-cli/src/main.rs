//! `jwtkit`: decode, verify, sign and inspect JSON Web Tokens locally.

mod cli;
mod cmd;
mod exit;
mod input;
mod output;

use std::process::ExitCode;

use clap::Parser as _;

use crate::cli::{Cli, Command};
use crate::exit::Failure;
use crate::output::Style;

fn run(cli: &Cli) -> Result<u8, Failure> {
    let st = Style::detect(cli.no_color);
    match &cli.command {
        Command::Decode(a) => cmd::decode::run(a, st),
        Command::Verify(a) => cmd::verify::run(a, st),
        Command::Sign(a) => cmd::sign::run(a, st),
        Command::Encrypt(a) => cmd::encrypt::run(a, st),
        Command::Decrypt(a) => cmd::decrypt::run(a, st),
        Command::Keygen(a) => cmd::keygen::run(a, st),
        Command::Jwk(c) => cmd::jwk::run(c, st),
        Command::Lint(a) => cmd::lint::run(a, st),
        Command::Jwks(c) => cmd::jwks::run(c, st),
        Command::Ui(a) => cmd::ui::run(a, st),
        Command::Gateway(a) => cmd::gateway::run(a, st),
    }
}

/// Whether `--json` was asked for (errors are then printed as a JSON object on stdout).
fn wants_json(cli: &Cli) -> bool {
    match &cli.command {
        Command::Decode(a) => a.json,
        Command::Verify(a) => a.json,
        Command::Sign(a) => a.json,
        Command::Encrypt(a) => a.json,
        Command::Decrypt(a) => a.json,
        Command::Lint(a) => a.json,
        Command::Jwks(c) => c.json(),
        Command::Gateway(a) => matches!(&a.command, Some(cmd::gateway::GatewayCommand::Explain(e)) if e.json),
        Command::Keygen(_) | Command::Jwk(_) | Command::Ui(_) => false,
    }
}

fn main() -> ExitCode {
    // Exit quietly when stdout is closed early (`jwtkit decode … | head`).
    std::panic::set_hook(Box::new(|info| {
        let msg = info.to_string();
        if msg.contains("Broken pipe") || msg.contains("failed printing to stdout") {
            std::process::exit(0);
        }
        eprintln!("jwtkit: internal error: {msg}");
    }));
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return exit::exit(if e.use_stderr() { exit::USAGE } else { exit::OK });
        }
    };
    match run(&cli) {
        Ok(code) => exit::exit(code),
        Err(f) => {
            if wants_json(&cli) {
                output::print_json(&serde_json::json!({"valid": false, "error": f.to_json()}));
            } else {
                eprintln!("jwtkit: {}", f.message());
            }
            exit::exit(f.code())
        }
    }
}
