//! `jwtkit gateway`: run the JWT-verifying reverse proxy, check its config, or explain what it
//! would do with a token (see `docs/gateway.md`).

use std::path::PathBuf;

use clap::{Args, Subcommand};
use jwtkit::ErrorKind;

use crate::exit::{Failure, INVALID, OK};
use crate::output::Style;

/// `jwtkit gateway --config FILE [--check]` or `jwtkit gateway explain …`.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct GatewayArgs {
    #[command(subcommand)]
    pub command: Option<GatewayCommand>,
    /// The gateway config (TOML; docs/gateway.md). SIGHUP or editing the file reloads it.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Only validate the config (unknown keys, providers, routes, key files) and exit:
    /// 0 when valid, 3 otherwise.
    #[arg(long)]
    pub check: bool,
}

/// Gateway subcommands.
#[derive(Debug, Subcommand)]
pub enum GatewayCommand {
    /// Print the decision the gateway would make for TOKEN on a path, and every check, using
    /// the same pipeline as live traffic. Exit 0 when forwarded, 1 when rejected.
    Explain(ExplainArgs),
}

/// `jwtkit gateway explain`.
#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// The gateway config.
    #[arg(long, value_name = "FILE")]
    pub config: PathBuf,
    /// Request path (and query), e.g. `/orders/42`.
    #[arg(long, value_name = "PATH")]
    pub route: String,
    /// `Host` of the request, for host-specific routes.
    #[arg(long, value_name = "HOST")]
    pub host: Option<String>,
    /// Print one JSON object.
    #[arg(long)]
    pub json: bool,
    /// The token, `@FILE`, or `-`/absent for stdin.
    #[arg(value_name = "TOKEN")]
    pub token: Option<String>,
}

fn config_error(e: anyhow::Error) -> Failure {
    Failure::Jose(jwtkit::Error::new(ErrorKind::InvalidConfig, format!("{e:#}")))
}

fn runtime() -> Result<tokio::runtime::Runtime, Failure> {
    tokio::runtime::Runtime::new().map_err(|e| Failure::Io(format!("starting the runtime: {e}")))
}

/// Run the subcommand.
pub fn run(a: &GatewayArgs, st: Style) -> Result<u8, Failure> {
    if let Some(GatewayCommand::Explain(e)) = &a.command {
        return explain(e, st);
    }
    let config = a
        .config
        .clone()
        .ok_or_else(|| Failure::Usage("jwtkit gateway needs --config FILE".into()))?;
    if a.check {
        let lines = jwtkit_gateway::check(&config).map_err(config_error)?;
        outln!("{}: {}", config.display(), st.green("ok"));
        for l in lines {
            outln!("  {l}");
        }
        return Ok(OK);
    }
    runtime()?
        .block_on(jwtkit_gateway::run(config))
        .map_err(config_error)?;
    Ok(OK)
}

fn explain(a: &ExplainArgs, st: Style) -> Result<u8, Failure> {
    // `http` reads `orders` as an authority with an empty path ("no route for path ").
    if !a.route.starts_with('/') {
        return Err(Failure::Usage(format!(
            "--route {:?}: a request path starts with '/' (e.g. /{})",
            a.route, a.route
        )));
    }
    let token = crate::input::token(a.token.as_deref())?.token;
    let report = runtime()?
        .block_on(jwtkit_gateway::explain::explain(
            &a.config,
            &a.route,
            &token,
            a.host.as_deref(),
        ))
        .map_err(config_error)?;
    if a.json {
        crate::output::print_json(&report.to_json());
    } else {
        let text = report.render_text();
        let mut lines = text.lines();
        if let Some(first) = lines.next() {
            outln!(
                "{}",
                if report.accepted {
                    st.green(first)
                } else {
                    st.red(first)
                }
            );
        }
        for l in lines {
            outln!("{l}");
        }
    }
    Ok(if report.accepted { OK } else { INVALID })
}
