//! `jwtkit`: decode, verify, sign and inspect JSON Web Tokens locally.

#[macro_use]
mod output;
mod cli;
mod cmd;
mod exit;
mod input;

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
        Command::Sign(a) => cmd::sign::run(a, st).map_err(Failure::caused_by_inputs),
        Command::Encrypt(a) => cmd::encrypt::run(a, st).map_err(Failure::caused_by_inputs),
        Command::Decrypt(a) => cmd::decrypt::run(a, st),
        Command::Keygen(a) => cmd::keygen::run(a, st),
        Command::Jwk(c) => cmd::jwk::run(c, st),
        Command::Lint(a) => cmd::lint::run(a, st),
        Command::Jwks(c) => cmd::jwks::run(c, st),
        Command::Ui(a) => cmd::ui::run(a, st),
        Command::Gateway(a) => cmd::gateway::run(a, st),
        Command::Sd(c) => cmd::sd::run(c, st),
        Command::Dpop(a) => cmd::dpop::run(a, st),
        Command::Issuer(a) => cmd::issuer::run(a, st),
        Command::Oauth(a) => cmd::oauth::run(a, st),
        Command::Completions(a) => cmd::completions::run(a),
        Command::Man(a) => cmd::man::run(a),
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
        Command::Sd(c) => c.json(),
        Command::Dpop(a) => a.json,
        Command::Oauth(a) => a.json,
        Command::Keygen(_)
        | Command::Jwk(_)
        | Command::Ui(_)
        | Command::Issuer(_)
        | Command::Completions(_)
        | Command::Man(_) => false,
    }
}

/// clap's tip for `--secret -abc` (`use '-- -abc'`) is wrong for an option's value: when the
/// unexpected argument follows a `--option`, say how to give a value that starts with '-'.
fn hyphen_value_hint(e: &clap::Error) -> Option<String> {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    if e.kind() != ErrorKind::UnknownArgument {
        return None;
    }
    let Some(ContextValue::String(bad)) = e.get(ContextKind::InvalidArg) else {
        return None;
    };
    let args: Vec<String> = std::env::args().collect();
    let i = args.iter().position(|a| a.starts_with(bad.as_str()))?;
    let option = args.get(i.checked_sub(1)?)?;
    (option.starts_with("--") && !option.contains('=')).then(|| {
        format!("  hint: a value that starts with '-' is joined to its option with '=': {option}=VALUE")
    })
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
            if let Some(hint) = hyphen_value_hint(&e) {
                eprintln!("{hint}");
            }
            return exit::exit(if e.use_stderr() { exit::USAGE } else { exit::OK });
        }
    };
    match run(&cli) {
        Ok(code) => exit::exit(code),
        Err(f) => {
            if wants_json(&cli) {
                output::print_json(&serde_json::json!({"valid": false, "error": f.to_json()}));
            } else {
                errln!("jwtkit: {}", f.message());
            }
            exit::exit(f.code())
        }
    }
}
