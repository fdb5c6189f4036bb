//! `jwtkit ui`: the local web debugger (crate `jwtkit-ui`) on 127.0.0.1, opened in the browser.

use clap::Args;

use crate::exit::{self, Failure};
use crate::output::Style;

/// `jwtkit ui`.
#[derive(Debug, Args)]
pub struct UiArgs {
    /// TCP port on 127.0.0.1 (0 picks a free one). The page answers only to this address and port.
    #[arg(long, value_name = "PORT", default_value_t = jwtkit_ui::DEFAULT_PORT)]
    pub port: u16,
    /// Print the URL but do not open a browser.
    #[arg(long)]
    pub no_open: bool,
}

/// Open `url` in the desktop's browser, without waiting for it; failure is only a hint.
pub fn open_browser(url: &str) {
    let opener = if cfg!(target_os = "macos") {
        "open"
    } else if cfg!(windows) {
        "explorer"
    } else {
        "xdg-open"
    };
    let spawned = std::process::Command::new(opener)
        .arg(url)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn();
    if spawned.is_err() {
        errln!("jwtkit: could not start {opener}; open {url} yourself");
    }
}

/// Serve until Ctrl-C. Tokens and keys pasted into the page are never logged or stored.
pub fn run(a: &UiArgs, _st: Style) -> Result<u8, Failure> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Failure::Io(format!("cannot start the runtime: {e}")))?;
    rt.block_on(async {
        let bound = jwtkit_ui::bind(jwtkit_ui::UiConfig::new(a.port))
            .await
            .map_err(|e| match e.kind() {
                std::io::ErrorKind::AddrInUse => Failure::Usage(format!(
                    "port {} on 127.0.0.1 is in use: pass --port N (or --port 0 for a free one)",
                    a.port
                )),
                _ => Failure::Io(format!("cannot listen on 127.0.0.1:{}: {e}", a.port)),
            })?;
        let url = bound.url();
        outln!("jwtkit ui: {url}  (loopback only; Ctrl-C to stop)");
        if !a.no_open {
            open_browser(&url);
        }
        bound
            .serve()
            .await
            .map_err(|e| Failure::Io(format!("server error: {e}")))
    })?;
    Ok(exit::OK)
}
